"""The figure narrative audit: every figure in book order, its references, and the findings on them.

`figure_audit` lints with the rules tagged ``crossref``, ``figures`` and ``captions`` (no rule logic
lives here) and lays the results out per chapter: for each labelled figure its label,
place, caption and alt text, and every reference to it with the sentence it stands in,
each flagged with the findings that concern it (a finding's `related` places too).  `render_markdown` and `render_html` turn that into a review
sheet; the HTML is one self-contained page (inline CSS, no scripts, no network); `render_json` gives
the same data to other tools.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mlsys_lint.config import Settings
from mlsys_lint.files import relative
from mlsys_lint.model import Diagnostic, Span
from mlsys_lint.plugin import Rule
from mlsys_lint.project import Project, Unit
from mlsys_lint.xref import CrossRef, FloatEntry, Namespace, crossref_type, namespaces, top_level

AUDIT_TAGS = ("crossref", "figures", "captions")
"""The tags of the rules the audit runs (caption and alt-text findings included, so a figure without a
caption is never shown as clean); findings of rules tagged ``figures`` always concern figures."""
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z@\[(*_\"'])")
_SPACES = re.compile(r"\s+")
_MAX_SENTENCE = 600


@dataclass
class Finding:
    """A finding as the audit shows it."""

    code: str
    severity: str
    message: str
    location: str


@dataclass
class ReferenceRow:
    """One reference to a figure (or an unresolved one to a figure label)."""

    key: str
    location: str
    context: str
    position: str
    sentence: str
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class FigureRow:
    """One labelled figure with everything an editor needs to judge its narrative."""

    number: int
    label: str
    location: str
    line: int
    caption: str | None
    alt: str | None
    subfigures: list[str]
    references: list[ReferenceRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return len(self.findings) + sum(len(ref.findings) for ref in self.references)

    @property
    def verdict(self) -> str:
        """The worst severity among the figure's findings (its references' too), or ``ok``."""
        found = {f.severity for f in self.findings} | {f.severity for ref in self.references for f in ref.findings}
        return next((severity for severity in ("error", "warning", "info") if severity in found), "ok")


@dataclass
class ChapterRow:
    """One rendered file (a book chapter or a page) with its figures."""

    title: str
    path: str
    source: str = ""
    figures: list[FigureRow] = field(default_factory=list)
    unresolved: list[ReferenceRow] = field(default_factory=list)
    other: list[Finding] = field(default_factory=list)

    @property
    def references(self) -> int:
        return sum(len(figure.references) for figure in self.figures) + len(self.unresolved)

    @property
    def problems(self) -> int:
        return (sum(figure.problems for figure in self.figures) + sum(len(r.findings) for r in self.unresolved)
                + len(self.other))


@dataclass
class FigureAudit:
    """The whole report."""

    chapters: list[ChapterRow]

    @property
    def figures(self) -> int:
        return sum(len(chapter.figures) for chapter in self.chapters)

    @property
    def references(self) -> int:
        return sum(chapter.references for chapter in self.chapters)

    @property
    def problems(self) -> int:
        return sum(chapter.problems for chapter in self.chapters)

    def codes(self) -> dict[str, int]:
        """How many findings of each code the report shows."""
        counts: dict[str, int] = {}
        for chapter in self.chapters:
            findings = list(chapter.other)
            for figure in chapter.figures:
                findings += figure.findings + [f for ref in figure.references for f in ref.findings]
            findings += [f for ref in chapter.unresolved for f in ref.findings]
            for finding in findings:
                counts[finding.code] = counts.get(finding.code, 0) + 1
        return dict(sorted(counts.items()))


# -- building ---------------------------------------------------------------------------


def figure_audit(paths: list[Path], settings: Settings, base: Path | None = None) -> FigureAudit:
    """Lint `paths` with the rules tagged for the audit and build it from the model and findings."""
    from mlsys_lint.api import lint

    result = lint(paths or [base or Path.cwd()], config=replace(settings, extend_select=[]),
                  select=[f"tag:{tag}" for tag in AUDIT_TAGS])
    return build_audit(result.projects, result.located(), base or Path.cwd(), result.rules)


def about_figures(diagnostic: Diagnostic, project: Project, rules: dict[str, Rule]) -> bool:
    """Whether a finding concerns a figure: a rule tagged ``figures``, or a figure label, key or number."""
    subject = diagnostic.subject
    rule = rules.get(diagnostic.code)
    if (rule is not None and "figures" in rule.tags) or crossref_type(subject, project.crossref_types) == "fig":
        return True
    return subject.lower().startswith(("fig:", "fig_", "figure", "fig."))


def build_audit(projects: list[Project], diagnostics: list[Diagnostic], base: Path,
                rules: dict[str, Rule]) -> FigureAudit:
    chapters: list[ChapterRow] = []
    for project in projects:
        relevant = [d for d in diagnostics if about_figures(d, project, rules) and _in_project(project, d.span.path)]
        pool = _Pool(relevant)
        caption_rules = {code for code, rule in rules.items() if "captions" in rule.tags}
        rows: dict[int, ChapterRow] = {}
        for space in namespaces(project):
            for unit in space.units:
                rows.setdefault(id(unit), ChapterRow(_chapter_title(unit), _display(unit.path, base), unit.path))
            number = 0
            for entry in space.floats:
                if entry.float.type != "fig" or not top_level(entry):
                    continue
                number += 1
                rows[id(entry.unit)].figures.append(_figure_row(project, space, entry, number, pool, base,
                                                                caption_rules))
            for ref in space.references:
                if ref.type == "fig" and not space.lookup(ref.key):
                    row = _reference_row(project, ref, None, pool, base)
                    rows[id(ref.unit)].unresolved.append(row)
        by_path = {doc.path: rows[id(unit)] for unit in project.all_units if id(unit) in rows
                   for doc in unit.documents}
        for diagnostic in pool.rest():
            chapter = by_path.get(diagnostic.span.path)
            if chapter is None:
                chapter = rows.setdefault(0, ChapterRow("Other files", ""))
            chapter.other.append(_finding(diagnostic, base))
        chapters.extend(row for key, row in rows.items() if key == 0 or project.is_target(row.source))
    return FigureAudit(chapters)


class _Pool:
    """Findings waiting to be attached; each is attached once."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.order = list(diagnostics)
        self.by_span: dict[Span, list[Diagnostic]] = {}
        self.by_subject: dict[tuple[str, str], list[Diagnostic]] = {}
        for diagnostic in diagnostics:
            self.by_span.setdefault(diagnostic.span, []).append(diagnostic)
            self.by_subject.setdefault((diagnostic.span.path, diagnostic.subject), []).append(diagnostic)

    def take(self, span: Span, subject: str | None = None) -> list[Diagnostic]:
        waiting = self.by_span.get(span, [])
        taken = [d for d in waiting if subject is None or d.subject == subject]
        self.by_span[span] = [d for d in waiting if not any(d is t for t in taken)]
        return taken

    def take_about(self, subject: str, path: str, codes: set[str]) -> list[Diagnostic]:
        """Findings of `codes` about `subject` anywhere in `path` (an alt text or a `fig-cap=`
        attribute is not the label's span, but the finding is about that figure)."""
        taken = [d for d in self.by_subject.get((path, subject), [])
                 if d.code in codes and any(d is waiting for waiting in self.by_span.get(d.span, []))]
        for diagnostic in taken:
            self.by_span[diagnostic.span] = [d for d in self.by_span[diagnostic.span] if d is not diagnostic]
        return taken

    def rest(self) -> list[Diagnostic]:
        left = {id(d) for waiting in self.by_span.values() for d in waiting}
        return [d for d in self.order if id(d) in left]


def _in_project(project: Project, path: str) -> bool:
    return path in project.documents or (project.config_path is not None and path == str(project.config_path))


def _figure_row(project: Project, space: Namespace, entry: FloatEntry, number: int, pool: _Pool,
                base: Path, caption_rules: set[str]) -> FigureRow:
    figure = entry.float
    span = entry.definition.span
    taken = pool.take(span, entry.label) + pool.take_about(entry.label, span.path, caption_rules)
    findings = [_finding(d, base) for d in taken]
    notes: dict[Span, list[str]] = {}
    for diagnostic in taken:
        for related in diagnostic.related:
            notes.setdefault(related.span, []).append(f"{diagnostic.code}: {related.message}")
    refs = sorted({id(r): r for label in entry.labels for r in space.references_to(label)}.values(),
                  key=lambda r: r.order)
    rows = []
    for ref in refs:
        row = _reference_row(project, ref, entry, pool, base)
        if ref.within & entry.labels:
            row.notes.append("in the figure's own caption or div: does not count")
        row.notes += notes.get(ref.span, [])
        rows.append(row)
    doc = project.documents[figure.source.path]
    alts = [figure.alt] if figure.alt is not None else [doc.floats[i].alt for i in figure.subfloats]
    alt = "; ".join(text.value for text in alts if text is not None) or None
    subfigures = sorted(entry.labels - {entry.label})
    return FigureRow(number, entry.label, _display(span.path, base, span), span.line,
                     figure.caption.value if figure.caption is not None else None, alt, subfigures, rows, findings)


def _reference_row(project: Project, ref: CrossRef, entry: FloatEntry | None, pool: _Pool, base: Path) -> ReferenceRow:
    if entry is None:
        position = "unresolved"
    elif ref.within & entry.labels:
        position = "inside the figure"
    else:
        position = "before the figure" if ref.order < entry.order else "after the figure"
    context = "caption" if ref.in_caption else ref.reference.context
    doc = project.documents.get(ref.reference.source.path)
    sentence = sentence_at(doc, ref.reference.start) if doc is not None else ""
    findings = [_finding(d, base) for d in pool.take(ref.span)]
    return ReferenceRow("@" + ref.reference.key, _display(ref.span.path, base, ref.span), context, position,
                        sentence, findings=findings)


def sentence_at(doc, offset: int) -> str:
    """The sentence of visible text around `offset` (whitespace collapsed)."""
    best = None
    for prose in doc.prose:
        if prose.start <= offset < prose.end and (best is None or prose.end - prose.start < best.end - best.start):
            best = prose
    text = doc.source.text
    if best is None:
        line = doc.source.line_of(offset)
        return _SPACES.sub(" ", doc.source.line_text(line)).strip()
    start, end = best.start, best.end
    for match in _SENTENCE_END.finditer(text, best.start, best.end):
        if match.end() <= offset:
            start = match.end()
        elif match.start() >= offset:
            end = match.start()
            break
    sentence = _SPACES.sub(" ", text[start:end]).strip()
    if len(sentence) > _MAX_SENTENCE:
        sentence = sentence[: _MAX_SENTENCE - 1] + "…"
    return sentence


def _chapter_title(unit: Unit) -> str:
    doc = unit.document
    for heading in doc.headings:
        if heading.level == 1:
            return heading.text.value
    title = doc.front_matter.get("title") if isinstance(doc.front_matter, dict) else None
    return str(title) if title else Path(unit.path).stem


def _display(path: str, base: Path, span: Span | None = None) -> str:
    rel = relative(path, base, max_up=1)
    return f"{rel}:{span.line}:{span.column}" if span is not None else rel


def _finding(diagnostic: Diagnostic, base: Path) -> Finding:
    return Finding(diagnostic.code, str(diagnostic.severity), diagnostic.message,
                   _display(diagnostic.span.path, base, diagnostic.span))


# -- Markdown ---------------------------------------------------------------------------


def render_markdown(audit: FigureAudit) -> str:
    out = ["# Figure narrative audit", "",
           _totals(audit) + ".", "",
           "| # | Chapter | File | Figures | References | Problems |", "|---:|---|---|---:|---:|---:|"]
    for number, chapter in enumerate(audit.chapters, 1):
        out.append(f"| {number} | {_md_cell(chapter.title)} | `{chapter.path}` | {len(chapter.figures)} | "
                   f"{chapter.references} | {chapter.problems} |")
    codes = audit.codes()
    if codes:
        out += ["", "Findings by rule: " + ", ".join(f"{code} {count}" for code, count in codes.items()) + "."]
    for number, chapter in enumerate(audit.chapters, 1):
        out += ["", f"## {number}. {chapter.title}", "", f"`{chapter.path}`" if chapter.path else "", ""]
        if not chapter.figures and not chapter.unresolved and not chapter.other:
            out.append("No figures.")
        for figure in chapter.figures:
            out += _md_figure(figure)
        if chapter.unresolved:
            out += ["", "### Unresolved figure references", ""]
            for ref in chapter.unresolved:
                out += _md_reference(ref)
        if chapter.other:
            out += ["", "### Other figure findings", ""]
            out += [f"- **{f.code}** ({f.severity}) `{f.location}`: {f.message}" for f in chapter.other]
    return "\n".join(out).rstrip() + "\n"


def _md_figure(figure: FigureRow) -> list[str]:
    flags = " ".join(sorted({f.code for f in figure.findings}))
    out = ["", f"### {figure.number}. `{figure.label}`" + (f" — {flags}" if flags else ""), "",
           f"- **Defined at:** `{figure.location}`",
           f"- **Caption:** {_md_inline(figure.caption) if figure.caption else '*(none)*'}",
           f"- **Alt text:** {_md_inline(figure.alt) if figure.alt else '*(none)*'}"]
    if figure.subfigures:
        out.append("- **Subfigures:** " + ", ".join(f"`{label}`" for label in figure.subfigures))
    for finding in figure.findings:
        out.append(f"- **{finding.code}** ({finding.severity}): {finding.message}")
    out += ["", f"References ({len(figure.references)}):" if figure.references else "References: *none*", ""]
    for ref in figure.references:
        out += _md_reference(ref)
    return out


def _md_reference(ref: ReferenceRow) -> list[str]:
    out = [f"- `{ref.key}` at `{ref.location}` ({ref.context}, {ref.position})"]
    for note in ref.notes:
        out.append(f"  - {note}")
    for finding in ref.findings:
        out.append(f"  - **{finding.code}** ({finding.severity}): {finding.message}")
    if ref.sentence:
        out.append(f"  > {_md_inline(ref.sentence)}")
    return out


def _md_inline(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _md_cell(text: str) -> str:
    return _md_inline(text).replace("|", "\\|")


# -- HTML ---------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #d8dce3}
h3{font-size:16px;margin:0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d8dce3;padding:4px 8px;text-align:left}
td.n,th.n{text-align:right}tr.bad td{background:#fff4f2}
.figure{background:#fff;border:1px solid #d8dce3;border-left:5px solid #3a8f5a;border-radius:4px;margin:12px 0;
padding:10px 14px}
.figure.flagged{border-left-color:#c7462f}.figure.warning{border-left-color:#d08a1c}
.figure.info{border-left-color:#5a6ad0}
.meta{color:#5a6272;font-size:13px}.tag{display:inline-block;font:12px monospace;padding:1px 6px;border-radius:3px;
background:#c7462f;color:#fff;margin-left:6px}.tag.info{background:#5a6ad0}
.finding{color:#8a2b1c;margin:4px 0}.note{color:#5a6272;font-style:italic}
ul.refs{list-style:none;padding-left:0}ul.refs li{border-top:1px dashed #e1e4ea;padding:6px 0}
blockquote{margin:4px 0 0 0;padding-left:10px;border-left:3px solid #d8dce3;color:#333}
code{font-size:13px;background:#eef0f4;padding:0 3px;border-radius:3px}
details summary{cursor:pointer}
"""


def render_html(audit: FigureAudit) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>Figure narrative audit</title>", f"<style>{_CSS}</style></head><body><main>",
             "<h1>Figure narrative audit</h1>",
             f'<p class="meta" id="totals">{html.escape(_totals(audit))}.</p>',
             '<table id="summary"><thead><tr><th class="n">#</th><th>Chapter</th><th class="n">Figures</th>'
             '<th class="n">References</th><th class="n">Problems</th></tr></thead><tbody>']
    for number, chapter in enumerate(audit.chapters, 1):
        css = ' class="bad"' if chapter.problems else ""
        parts.append(f'<tr{css}><td class="n">{number}</td><td><a href="#chapter-{number}">{e(chapter.title)}</a>'
                     f'<br><span class="meta">{e(chapter.path)}</span></td><td class="n">{len(chapter.figures)}</td>'
                     f'<td class="n">{chapter.references}</td><td class="n">{chapter.problems}</td></tr>')
    parts.append("</tbody></table>")
    codes = audit.codes()
    if codes:
        parts.append('<p class="meta" id="codes">Findings by rule: '
                     + ", ".join(f"<code>{e(code)}</code> {count}" for code, count in codes.items()) + "</p>")
    for number, chapter in enumerate(audit.chapters, 1):
        parts.append(f'<section class="chapter" id="chapter-{number}"><h2>{number}. {e(chapter.title)}</h2>'
                     f'<p class="meta">{e(chapter.path)} · {_count(len(chapter.figures), "figure")} · '
                     f'{_count(chapter.references, "reference")} · {_count(chapter.problems, "problem")}</p>')
        for figure in chapter.figures:
            parts.append(_html_figure(figure))
        if chapter.unresolved:
            parts.append('<h3>Unresolved figure references</h3><ul class="refs">')
            parts += [_html_reference(ref) for ref in chapter.unresolved]
            parts.append("</ul>")
        if chapter.other:
            parts.append("<h3>Other figure findings</h3><ul>")
            parts += [f'<li class="finding"><code>{e(f.code)}</code> {e(f.location)}: {e(f.message)}</li>'
                      for f in chapter.other]
            parts.append("</ul>")
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _html_figure(figure: FigureRow) -> str:
    e = html.escape
    flagged = f" flagged {figure.verdict}" if figure.problems else ""
    tags = "".join(f'<span class="tag{" info" if f.severity == "info" else ""}">{e(f.code)}</span>'
                   for f in figure.findings)
    rows = [f'<article class="figure{flagged}" id="{e(figure.label)}" data-label="{e(figure.label)}">',
            f"<h3>{figure.number}. <code>{e(figure.label)}</code>{tags}</h3>",
            f'<p class="meta">{e(figure.location)}</p>',
            f"<p><b>Caption:</b> {e(figure.caption) if figure.caption else '<i>(none)</i>'}</p>",
            f"<p><b>Alt text:</b> {e(figure.alt) if figure.alt else '<i>(none)</i>'}</p>"]
    if figure.subfigures:
        rows.append("<p><b>Subfigures:</b> " + ", ".join(f"<code>{e(s)}</code>" for s in figure.subfigures) + "</p>")
    rows += [f'<p class="finding"><code>{e(f.code)}</code> {e(f.message)}</p>' for f in figure.findings]
    if figure.references:
        rows.append(f"<details open><summary>{_count(len(figure.references), 'reference')}</summary>"
                    '<ul class="refs">')
        rows += [_html_reference(ref) for ref in figure.references]
        rows.append("</ul></details>")
    else:
        rows.append('<p class="note">No references.</p>')
    rows.append("</article>")
    return "\n".join(rows)


def _totals(audit: FigureAudit) -> str:
    return (f"{_count(audit.figures, 'figure')}, {_count(audit.references, 'reference')}, "
            f"{_count(audit.problems, 'problem')} in {_count(len(audit.chapters), 'chapter')}")


JSON_VERSION = 1
"""Version of `render_json`'s document (schema: ``mlsys_lint/schemas/audit-figures-v1.json``)."""


def render_json(audit: FigureAudit) -> str:
    """The report as a versioned JSON document, for other tools."""
    def figure(row: FigureRow) -> dict:
        return {**asdict(row), "verdict": row.verdict, "problems": row.problems}

    chapters = [{"title": c.title, "path": c.path, "references": c.references, "problems": c.problems,
                 "figures": [figure(f) for f in c.figures], "unresolved": [asdict(r) for r in c.unresolved],
                 "other": [asdict(f) for f in c.other]} for c in audit.chapters]
    document = {"version": JSON_VERSION, "kind": "figure-audit",
                "summary": {"figures": audit.figures, "references": audit.references, "problems": audit.problems,
                            "by_rule": audit.codes()},
                "chapters": chapters}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _html_reference(ref: ReferenceRow) -> str:
    e = html.escape
    out = [f'<li class="reference"><code>{e(ref.key)}</code> <span class="meta">{e(ref.location)} · {e(ref.context)}'
           f" · {e(ref.position)}</span>"]
    out += [f'<div class="note">{e(note)}</div>' for note in ref.notes]
    out += [f'<div class="finding"><code>{e(f.code)}</code> {e(f.message)}</div>' for f in ref.findings]
    if ref.sentence:
        out.append(f"<blockquote>{e(ref.sentence)}</blockquote>")
    out.append("</li>")
    return "".join(out)
