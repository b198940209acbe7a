"""The figure audit as one self-contained HTML page an editor can filter.

Each figure is a card: its number as the reader sees it, a lazily loaded thumbnail of its
image file (or what draws it: a cell, a diagram), caption and alt text rendered from
Markdown, every finding with the worst one as the card's colour, and every reference with
its sentence.  The bar on top shows only flagged figures, one rule's, one chapter's, or
those whose label or caption holds some text.  Nothing is fetched but the local images.
"""

from __future__ import annotations

import html
from pathlib import Path

from mlsys_lint.audit import FigureAudit, FigureRow, ReferenceRow, totals
from mlsys_lint.audit_page import card_data, filter_bar, inline_markdown, page, source_link
from mlsys_lint.model import plural

_CSS = """
.figure{background:#fff;border:1px solid #d8dce3;border-left:5px solid #3a8f5a;border-radius:4px;margin:12px 0;
padding:10px 14px;display:grid;grid-template-columns:1fr 180px;gap:0 16px}
.figure>*{grid-column:1}.figure .thumb{grid-column:2;grid-row:1/span 6;text-align:center}
.thumb img{max-width:180px;max-height:140px;border:1px solid #e1e4ea;background:#fff}
.thumb .kind{display:block;padding:24px 8px;border:1px dashed #c5cad3;color:#5a6272;font-size:13px}
.figure.flagged{border-left-color:#c7462f}.figure.warning{border-left-color:#d08a1c}
.figure.info{border-left-color:#5a6ad0}
.shown-as{font-weight:600;margin-right:6px}
ul.refs{list-style:none;padding-left:0}ul.refs li{border-top:1px dashed #e1e4ea;padding:6px 0}
blockquote{margin:4px 0 0 0;padding-left:10px;border-left:3px solid #d8dce3;color:#333}
details summary{cursor:pointer}
"""


def figure_page(audit: FigureAudit) -> str:
    """The whole page."""
    e = html.escape
    base = Path.cwd()
    body = ["<h1>Figure narrative audit</h1>",
            f'<p class="meta" id="totals">{e(totals(audit))}; numbered as the {e(audit.output_format)} output '
            "numbers them.</p>",
            '<table id="summary"><thead><tr><th class="n">#</th><th>Chapter</th><th class="n">Figures</th>'
            '<th class="n">References</th><th class="n">Problems</th></tr></thead><tbody>']
    for number, chapter in enumerate(audit.chapters, 1):
        css = ' class="bad"' if chapter.problems else ""
        body.append(f'<tr{css}><td class="n">{number}</td><td><a href="#chapter-{number}">{e(chapter.title)}</a>'
                    f'<br><span class="meta">{e(chapter.path)}</span></td><td class="n">{len(chapter.figures)}</td>'
                    f'<td class="n">{chapter.references}</td><td class="n">{chapter.problems}</td></tr>')
    body.append("</tbody></table>")
    codes = audit.codes()
    if codes:
        body.append('<p class="meta" id="codes">Findings by rule: '
                    + ", ".join(f"<code>{e(code)}</code> {count}" for code, count in codes.items()) + "</p>")
    body.append(filter_bar("figures", list(codes),
                           [(str(number), f"{number}. {chapter.title}") for number, chapter in enumerate(audit.chapters, 1)
                            if chapter.figures]))
    for number, chapter in enumerate(audit.chapters, 1):
        body.append(f'<section class="chapter" id="chapter-{number}"><h2>{number}. {e(chapter.title)}</h2>'
                    f'<p class="meta">{e(chapter.path)} · {plural(len(chapter.figures), "figure")} · '
                    f'{plural(chapter.references, "reference")} · {plural(chapter.problems, "problem")}</p>')
        body += [_figure(figure, str(number), base) for figure in chapter.figures]
        if chapter.unresolved:
            body.append('<h3>Unresolved figure references</h3><ul class="refs">')
            body += [_reference(ref) for ref in chapter.unresolved]
            body.append("</ul>")
        if chapter.other:
            body.append("<h3>Other figure findings</h3><ul>")
            body += [f'<li class="finding"><code>{e(f.code)}</code> {e(f.location)}: {e(f.message)}</li>'
                     for f in chapter.other]
            body.append("</ul>")
        body.append("</section>")
    return page("Figure narrative audit", _CSS, body)


def _figure(figure: FigureRow, chapter: str, base: Path) -> str:
    e = html.escape
    codes = sorted({f.code for f in figure.findings} | {f.code for ref in figure.references for f in ref.findings})
    flagged = f" flagged {figure.verdict}" if figure.problems else ""
    tags = "".join(f'<span class="tag {e(f.severity)}">{e(f.code)}</span>' for f in figure.findings)
    shown = f'<span class="shown-as">{e(figure.shown_as)}</span>' if figure.shown_as else ""
    data = card_data(bool(figure.problems), codes, [chapter], f"{figure.label} {figure.caption or ''}")
    line, column = figure.line, figure.column
    where = source_link(figure.path, line, column, figure.location, base) if figure.path else e(figure.location)
    rows = [f'<article class="figure{flagged}" id="{e(figure.label)}" data-label="{e(figure.label)}" {data}>',
            f"<h3>{shown}<code>{e(figure.label)}</code>{tags}</h3>",
            f'<p class="meta">{where} · {e(figure.source_kind)}</p>',
            _thumbnail(figure),
            f"<p><b>Caption:</b> {inline_markdown(figure.caption) if figure.caption else '<i>(none)</i>'}</p>",
            f"<p><b>Alt text:</b> {e(figure.alt) if figure.alt else '<i>(none)</i>'}</p>"]
    if figure.subfigures:
        rows.append("<p><b>Subfigures:</b> " + ", ".join(
            f"<code>{e(label)}</code>" + (f" ({e(figure.subfigure_numbers[label])})"
                                          if label in figure.subfigure_numbers else "")
            for label in figure.subfigures) + "</p>")
    rows += [f'<p class="finding"><code>{e(f.code)}</code> {e(f.message)}</p>' for f in figure.findings]
    if figure.references:
        rows.append(f"<details open><summary>{plural(len(figure.references), 'reference')}</summary>"
                    '<ul class="refs">')
        rows += [_reference(ref) for ref in figure.references]
        rows.append("</ul></details>")
    else:
        rows.append('<p class="note">No references.</p>')
    rows.append("</article>")
    return "\n".join(rows)


def _thumbnail(figure: FigureRow) -> str:
    e = html.escape
    if figure.image_state == "found" and figure.image:
        return (f'<div class="thumb"><a href="{e(figure.image)}"><img loading="lazy" src="{e(figure.image)}" '
                f'alt="{e(figure.alt or "")}"></a></div>')
    label = {"missing": f"image file missing: {figure.image}", "remote": "remote image (not loaded)"}.get(
        figure.image_state, figure.source_kind)
    return f'<div class="thumb"><span class="kind">{e(label or "")}</span></div>'


def _reference(ref: ReferenceRow) -> str:
    e = html.escape
    out = [f'<li class="reference"><code>{e(ref.key)}</code> <span class="meta">{e(ref.location)} · {e(ref.context)}'
           f" · {e(ref.position)}</span>"]
    out += [f'<div class="note">{e(note)}</div>' for note in ref.notes]
    out += [f'<div class="finding"><code>{e(f.code)}</code> {e(f.message)}</div>' for f in ref.findings]
    if ref.sentence:
        out.append(f"<blockquote>{inline_markdown(ref.sentence)}</blockquote>")
    out.append("</li>")
    return "".join(out)
