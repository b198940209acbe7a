"""What the HTML audit reports share: one self-contained page (inline CSS and script, nothing
fetched), Markdown shown as the reader sees it, links to the source, and a filter bar.

Text from the manuscript is rendered by markdown-it-py with raw HTML off (shown escaped) and
its link check on (no ``javascript:`` or ``data:`` link becomes live); math stays source in a
``<code>``; citations stay ``[@key]``; a Content-Security-Policy lets only the page's own
script run and only local images load.  The filter bar hides the cards (`[data-card]`) that a
check box, two lists and a search box rule out, and says how many are shown.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from functools import lru_cache
from pathlib import Path

_MATH = re.compile(r"(?<![\\$])(\$\$?)(?!\s)(.+?)(?<!\s)\1(?!\d)", re.S)

BASE_CSS = """
*{box-sizing:border-box}[hidden]{display:none!important}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9;
overflow-wrap:anywhere}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #d8dce3}
h3{font-size:16px;margin:0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d8dce3;padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}tr.bad td{background:#fff4f2}
.meta{color:#5a6272;font-size:13px}
.tag{display:inline-block;font:12px monospace;padding:1px 6px;border-radius:3px;background:#c7462f;color:#fff;
margin-left:6px}.tag.warning{background:#d08a1c}.tag.info{background:#5a6ad0}.tag.plain{background:#8a92a3}
.finding{color:#8a2b1c;margin:4px 0}.note{color:#5a6272;font-style:italic}
code{font-size:13px;background:#eef0f4;padding:0 3px;border-radius:3px}
code.math{background:#f3effa}
#filters{position:sticky;top:0;z-index:1;background:#f6f7f9;padding:8px 0;border-bottom:1px solid #d8dce3;
display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
#filters input[type=search]{min-width:16em}
"""

FILTER_SCRIPT = """
(function () {
  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-card]"));
  var flagged = document.getElementById("flagged"), rule = document.getElementById("rule");
  var chapter = document.getElementById("chapter"), search = document.getElementById("search");
  var shown = document.getElementById("shown");
  function apply() {
    var query = search.value.trim().toLowerCase(), count = 0;
    cards.forEach(function (card) {
      var keep = (!flagged.checked || card.dataset.flagged === "1")
        && (!rule.value || card.dataset.codes.indexOf(" " + rule.value + " ") !== -1)
        && (!chapter.value || card.dataset.chapters.indexOf(" " + chapter.value + " ") !== -1)
        && (!query || card.dataset.text.indexOf(query) !== -1);
      card.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = count + " of " + cards.length + " " + shown.dataset.noun + " shown";
  }
  [flagged, rule, chapter, search].forEach(function (control) {
    control.addEventListener("input", apply);
    control.addEventListener("change", apply);
  });
  apply();
})();
"""


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def inline_markdown(text: str) -> str:
    """`text` (Markdown from the manuscript) as safe inline HTML: emphasis, code and links
    rendered, raw HTML escaped, math as its source in ``<code class="math">``."""
    out = []
    position = 0
    for match in _MATH.finditer(text):
        out.append(_markdown().renderInline(text[position : match.start()]))
        out.append(f'<code class="math">{html.escape(match.group())}</code>')
        position = match.end()
    out.append(_markdown().renderInline(text[position:]))
    return "".join(out)


def source_link(path: str, line: int, column: int, shown: str, base: Path) -> str:
    """Where something is written, as two links: the editor (``vscode://file/…``) and the file."""
    e = html.escape
    absolute = Path(path).absolute().as_posix()
    try:
        relative = Path(path).absolute().relative_to(base.absolute()).as_posix()
    except ValueError:
        relative = Path(absolute).as_uri()
    return (f'<a class="source" href="{e(relative)}">{e(shown)}</a> '
            f'<a class="editor" href="{e("vscode://file" + absolute)}:{line}:{column}" title="Open in VS Code">'
            "&#x270E;</a>")


def _policy() -> str:
    """The page's Content-Security-Policy: nothing loads but local images, and no script runs
    but the filter script (by its hash), whatever the manuscript's text holds."""
    digest = base64.b64encode(hashlib.sha256(FILTER_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; img-src file: data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def page(title: str, css: str, body: list[str]) -> str:
    """A whole page: `body` between the head (inline CSS) and the filter script."""
    return "\n".join(["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      f'<meta http-equiv="Content-Security-Policy" content="{_policy()}">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">',
                      f"<title>{html.escape(title)}</title>", f"<style>{BASE_CSS}{css}</style></head><body><main>",
                      *body, f"</main><script>{FILTER_SCRIPT}</script></body></html>"]) + "\n"


def filter_bar(noun: str, codes: list[str], chapters: list[tuple[str, str]]) -> str:
    """The controls: flagged only, one rule, one chapter (``(value, title)``), free text."""
    e = html.escape
    rules = "".join(f'<option value="{e(code)}">{e(code)}</option>' for code in codes)
    places = "".join(f'<option value="{e(value)}">{e(title)}</option>' for value, title in chapters)
    return ('<div id="filters" role="search">'
            '<label><input type="checkbox" id="flagged"> Flagged only</label>'
            f'<label>Rule <select id="rule"><option value="">all</option>{rules}</select></label>'
            f'<label>Chapter <select id="chapter"><option value="">all</option>{places}</select></label>'
            f'<input type="search" id="search" placeholder="Search {e(noun)}" aria-label="Search">'
            f'<span class="meta" id="shown" data-noun="{e(noun)}"></span></div>')


def card_data(flagged: bool, codes: list[str], chapters: list[str], text: str) -> str:
    """The attributes the filter script reads on a card."""
    e = html.escape
    return (f'data-card data-flagged="{int(flagged)}" data-codes=" {e(" ".join(codes))} " '
            f'data-chapters=" {e(" ".join(chapters))} " data-text="{e(" ".join(text.lower().split()))}"')
