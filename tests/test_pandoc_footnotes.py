r"""Differential test: FN001–FN003 (and FN006) agree with a real Pandoc on the shared corpora.

For every rendered file (a unit, with its includes expanded) that contains ``[^``, Pandoc
(from the ``pypandoc-binary`` package) reads the text as ``-f markdown`` and we collect
what it reports:

* undefined ids: every ``[^id]`` printed literally in its output (``Str`` text only, so
  code, math and raw HTML/TeX do not count);
* unused ids: its warnings "Note with key 'id' defined … but not used";
* duplicate ids: its warnings "Duplicate note reference 'id'".

Those sets must equal the ids of our findings for the same unit: FN001 (plus FN006 for a
glued definition whose id has no real definition, since Pandoc prints that marker
literally too), FN002 and FN003.

Before Pandoc reads a unit, what Quarto (not Pandoc) handles is turned into what Quarto
hands to Pandoc: includes are pasted in; executable cells (```` ```{r} ````,
```` ```{{python}} ````) become plain code blocks (Pandoc alone would read a
```` ```{r} ```` line as inline code and everything up to the closing fence as text);
the front matter is dropped (Quarto reads it; Pandoc would parse its strings as
Markdown of their own). One change only serves the comparison: an escaped bracket
``\[`` becomes ``\{`` (the same escape, another character), because ``\[^id]`` prints
the same literal text as an unresolved marker but is not one.

Known, explained differences (filtered below, each counted so a change shows):

* a marker nested in the text of a note that Pandoc never prints (unused, or replaced by
  a later duplicate) is reported by FN001 (it would print literally once the note is
  used) but cannot show in Pandoc's output;
* markers inside captions and alt text written as attribute values or cell options
  (``fig-cap="…[^a]"``, ``#| fig-cap:``): Quarto parses those as Markdown, Pandoc sees
  attribute text or code.

Runtime: one Pandoc process per unit that contains ``[^`` (about a hundred over all
corpora), run in threads.
"""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mlsys_lint.config import Settings
from mlsys_lint.engine import Engine
from mlsys_lint.registry import load_rules, select_rules
from mlsys_lint.project import FootnoteScope, Project, nested_note
from lintkit import CORPORA

pypandoc = pytest.importorskip("pypandoc", reason="pypandoc-binary is not installed")


_CELL_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*\{+[ \t]*(?P<lang>[^.#=\s{},][^\s{},]*)[^\n]*$", re.M)
_ESCAPED_BRACKET = re.compile(r"(?<!\\)((?:\\\\)*)\\\[")
_LITERAL = re.compile(r"\[\^([^\]\[\s^]+)\]")
_UNUSED = re.compile(r"Note with key '(.+?)' defined at .* but not used")
_DUPLICATE = re.compile(r"Duplicate note reference '(.+?)'")


def _pandoc_path() -> str | None:
    try:
        return pypandoc.get_pandoc_path()
    except OSError:
        return None


def expanded_text(doc, active: frozenset[str] = frozenset()) -> str:
    """A document's text with its includes pasted in (what Quarto hands on)."""
    text = doc.source.text
    pieces = []
    cursor = 0
    for include in sorted(doc.includes, key=lambda inc: inc.start):
        child = getattr(include, "resolved", None)
        if include.in_code or child is None or child.path in active:
            continue
        pieces.append(text[cursor : include.start])
        pieces.append(expanded_text(child, active | {doc.path}))
        cursor = include.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def for_pandoc(text: str) -> str:
    """Quarto's share of the work: drop the front matter, turn cells into code blocks."""
    if text.startswith("---\n"):
        end = re.search(r"^(---|\.\.\.)[ \t]*$", text[4:], re.M)
        if end:
            text = "\n" * text[: 4 + end.end()].count("\n") + text[4 + end.end() :]
    text = _CELL_FENCE.sub(lambda m: f"{m['indent']}{m['fence']}{m['lang'].strip('{}')}", text)
    return _ESCAPED_BRACKET.sub(r"\1\\{", text)


def pandoc_sets(pandoc: str, text: str) -> tuple[set[str], set[str], set[str]]:
    """(literal ids in the output, unused ids, duplicate ids) as Pandoc reports them."""
    done = subprocess.run([pandoc, "-f", "markdown", "-t", "json"], input=text, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    literal: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("t") == "Str":
                literal.update(_LITERAL.findall(node["c"]))
            else:
                walk(node.get("c"))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(done.stdout)["blocks"])
    return literal, set(_UNUSED.findall(done.stderr)), set(_DUPLICATE.findall(done.stderr))


def our_sets(project: Project, scope: FootnoteScope, violations: dict[str, list]) -> tuple[set[str], set[str], set[str]]:
    """(undefined, unused, duplicate) ids our rules report for one scope."""
    paths = {doc.path for unit in scope.units for doc in unit.documents}

    def ids(code: str) -> set[str]:
        return {v.subject for v in violations[code] if v.span.path in paths}

    winners = scope.winners()
    glued = {d.id for d in scope.glued if d.id not in winners and d.source.path in paths}
    return ids("FN001") | glued, ids("FN002"), ids("FN003")


def explained(scope: FootnoteScope) -> set[str]:
    """Ids of markers nested in notes Pandoc never prints, or in attribute/option captions."""
    winners = scope.winners()
    used = scope.used()
    printed = {id(d) for ident, d in winners.items() if ident in used}
    found = set()
    for ref in scope.refs:
        if nested_note(ref):
            holder = [d for d in scope.definitions if d.body.start <= ref.start < d.body.end
                      and d.source is ref.source]
            if not holder or id(holder[0]) not in printed:
                found.add(ref.id)
        elif ref.context in ("caption", "alt") and not _in_markdown(ref):
            found.add(ref.id)
    return found


def _in_markdown(ref) -> bool:
    """Whether a caption marker stands in Markdown text (not an attribute value or cell option)."""
    line = ref.source.line_text(ref.source.line_of(ref.start)).lstrip()
    return not line.startswith(("#|", "%%|", "//|", "```", ":::")) and '="' not in line and "='" not in line


def _units(corpus: Path) -> list[tuple[Project, FootnoteScope, dict[str, list]]]:
    rules = select_rules(load_rules(), Settings(select=["FN"]))
    result = Engine(Settings(select=["FN"]), rules, base=corpus).run([corpus])
    found = []
    for project in result.projects:
        violations = {code: list(rules[code].check(project, {})) for code in ("FN001", "FN002", "FN003")}
        for scope in project.footnote_scopes():
            found.append((project, scope, violations))
    return found


CORPUS_NAMES = sorted(p.name for p in CORPORA.iterdir() if p.is_dir()) if CORPORA.is_dir() else []


@pytest.mark.skipif(not CORPUS_NAMES, reason="shared corpora not available")
@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_footnotes_agree_with_pandoc(name: str) -> None:
    pandoc = _pandoc_path()
    if pandoc is None:
        pytest.skip("pandoc binary not available")
    jobs = []
    for project, scope, violations in _units(CORPORA / name):
        text = "\n\n".join(for_pandoc(expanded_text(unit.document)) for unit in scope.units)
        ours = our_sets(project, scope, violations)
        if "[^" not in text:
            assert ours == (set(), set(), set()), scope.units[0].path
            continue
        jobs.append((scope, ours, text))
    with ThreadPoolExecutor(max_workers=4) as pool:
        theirs = list(pool.map(lambda job: pandoc_sets(pandoc, job[2]), jobs))
    disagreements = []
    for (scope, ours, _), pandoc_found in zip(jobs, theirs):
        skip = explained(scope)
        for kind, mine, its in zip(("undefined", "unused", "duplicate"), ours, pandoc_found):
            if kind == "undefined":
                mine, its = mine - skip, its - skip
            if mine != its:
                disagreements.append(f"{scope.units[0].path}: {kind}: ours {sorted(mine)}, pandoc {sorted(its)}")
    assert not disagreements, "\n".join(disagreements)


# Small documents for every footnote case of the syntax reference (§5, §9 31–36, 47) and
# the MLSysBook notes (§10 11–14): the same comparison, on text written to exercise it.
CASES = {
    "undefined": "Text.[^a] More[^b].\n\n[^a]: Note.\n",
    "unused-and-duplicate": "Text.[^a]\n\n[^a]: One.\n\n[^b]: Unused.\n\n[^a]: Two.\n",
    "hidden": "`[^a]` $x[^b]$ <!-- [^c] --> [l](https://x.org/[^d]) \\[^e]\n\n```{r}\ngsub('[^a-z]', '', x)\n```\n\n"
              "```{{python}}\n[^f]\n```\n\n    [^g] code\n",
    "not-markers": "Text [^my note] and [^a^b] and [^] here.\n\n[^my note]: Not a definition.\n",
    "regex-in-prose": "Digits [^0-9] here.\n",
    "inline-notes": "Text.^[Inline [^a] note.] And^[link](https://x.org)^.\n\n[^a]: A.\n",
    "after-exclamation": "Go![^a] and ![alt](x.png)[^b]\n\n[^a]: A.\n",
    "nested": "Text.[^a]\n\n[^a]: First.\n\n    Second cites [^b].\n\n        code [^c]\n\n    Back.\n\n[^b]: B.\n\n"
              "  Two spaces: outside the note [^d].\n",
    "nested-in-unused": "[^a]: Unused, cites [^b].\n\n[^b]: B.\n",
    "glued": "Text.[^a][^b]\nMore.\n[^a]: Glued [^b].\n\n[^b]: B.\n",
    "glued-defined-elsewhere": "Text.[^a]\n\n[^a]: Real.\n\nPara.\n[^a]: Glued.\n",
    "glued-list-and-quote": "Text.[^a][^b]\n\n- item\n[^a]: Lazy.\n\n> quote\n> [^b]: Glued.\n",
    "not-glued": "Text.[^a][^b][^c][^d][^e]\n\n# H\n[^a]: A.\n[^b]: B.\n\n::: {.note}\n[^c]: C.\n:::\n\n"
                 "| x |\n|---|\n| 1 |\n[^d]: D.\n\n<!-- c -->\n[^e]: E.\n",
    "containers": "Text.[^a][^b]\n\n- item\n\n    [^a]: In item.\n\n> quote\n>\n> [^b]: In quote [^c].\n> lazy\n",
    "between-list-items": "1. One.[^a]\n\n[^a]: Between.\n\n2. Two.\n",
    "bare-marker": "A[^a] B[^b] C[^c] D[^d]\n\n[^a]:\n\n\nNot the note [^x].\n\n[^b]:\n\nThe note [^y].\n\n[^c]:\n# Heading\n\n"
                   "[^d]:\n[^e]: E.\n",
    "lazy-marker-line": "Text.[^a]\n\n[^a]: Note\n[^b] starts a paragraph.\n\n[^b]: B.\n",
    "dollars": "It costs $10 and [^a] then $20.\n",
    "mlsysbook-placement": "| Chip | Note |\n|------|------|\n| TPU  | fast[^fn-a] |\n\nStacked[^fn-a][^fn-b] "
                           "after [@smith2020][^fn-b], $x^{[2]}$.\n\n[^fn-a]: A.\n\n[^fn-b]: B.\n",
    "conditional": "Text.[^a]\n\n::: {.content-visible when-format=\"html\"}\n[^a]: Web.\n:::\n\n"
                   "::: {.content-visible when-format=\"pdf\"}\n[^a]: Print.\n:::\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_syntax_cases_agree_with_pandoc(name: str, tmp_path: Path) -> None:
    pandoc = _pandoc_path()
    if pandoc is None:
        pytest.skip("pandoc binary not available")
    (tmp_path / "doc.qmd").write_text(CASES[name], encoding="utf-8")
    [(project, scope, violations)] = _units(tmp_path)
    ours = our_sets(project, scope, violations)
    skip = explained(scope)
    theirs = pandoc_sets(pandoc, for_pandoc(CASES[name]))
    assert (ours[0] - skip, ours[1], ours[2]) == (theirs[0] - skip, theirs[1], theirs[2])
