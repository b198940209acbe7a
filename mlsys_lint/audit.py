"""The figure narrative audit: every figure in book order, its references, and the findings on them.

`figure_audit` lints with the rules tagged ``crossref``, ``figures`` and ``captions`` (no rule logic
lives here) and lays the results out per chapter: for each labelled figure its label,
place, caption and alt text, and every reference to it with the sentence it stands in,
each flagged with the findings that concern it (a finding's `related` places too), and
numbered as the reader sees it (`mlsys_lint.numbering`).  `render_markdown` and
`render_html` (`mlsys_lint.audit_html`: one self-contained page that filters) turn that
into a review sheet; `render_json` gives the same data to other tools.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mlsys_lint.config import Settings
from mlsys_lint.elements import format_is
from mlsys_lint.files import relative
from mlsys_lint.image_files import local_images
from mlsys_lint.model import Diagnostic, Span, plural
from mlsys_lint.numbering import float_numbers
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
    shown_as: str | None = None
    """The number the reader sees ("Figure 3.2"; `mlsys_lint.numbering`), None where the format hides it."""
    subfigure_numbers: dict[str, str] = field(default_factory=dict)
    """Each subfigure's number ("Figure 3.2 (a)")."""
    path: str = ""
    column: int = 1
    source_kind: str = "image"
    """What makes the figure: ``image``, ``R cell``, ``Python cell``, ``Mermaid diagram``, ``raw LaTeX``, …"""
    image: str | None = None
    """The first image's file, resolved as Quarto resolves it and relative to the report's folder; None if none."""
    image_state: str = "none"
    """``found``, ``missing`` (a path no file answers), ``remote`` (a URL, not loaded) or ``none``."""

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
    output_format: str = "html"
    """The format whose numbering the report shows."""

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


def figure_audit(paths: list[Path], settings: Settings, base: Path | None = None,
                 numbered_as: str | None = None) -> FigureAudit:
    """Lint `paths` with the rules tagged for the audit and build it from the model and findings;
    figures are numbered as output format `numbered_as` shows them (default: HTML when the
    project builds it, else its first format)."""
    from mlsys_lint.api import lint

    result = lint(paths or [base or Path.cwd()], config=replace(settings, extend_select=[]),
                  select=[f"tag:{tag}" for tag in AUDIT_TAGS])
    return build_audit(result.projects, result.located(), base or Path.cwd(), result.rules, numbered_as)


def about_figures(diagnostic: Diagnostic, project: Project, rules: dict[str, Rule]) -> bool:
    """Whether a finding concerns a figure: a rule tagged ``figures``, or a figure label, key or number."""
    subject = diagnostic.subject
    rule = rules.get(diagnostic.code)
    if (rule is not None and "figures" in rule.tags) or crossref_type(subject, project.crossref_types) == "fig":
        return True
    return subject.lower().startswith(("fig:", "fig_", "figure", "fig."))


def build_audit(projects: list[Project], diagnostics: list[Diagnostic], base: Path,
                rules: dict[str, Rule], output_format: str | None = None) -> FigureAudit:
    chapters: list[ChapterRow] = []
    shown_in = output_format
    for project in projects:
        fmt = output_format or _reading_format(project)
        shown_in = shown_in or fmt
        numbers = float_numbers(project, fmt)
        images = _image_candidates(project)
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
                row = _figure_row(project, space, entry, number, pool, base, caption_rules)
                _describe(project, entry, row, numbers, base, images)
                rows[id(entry.unit)].figures.append(row)
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
    return FigureAudit(chapters, shown_in or "html")


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


def _reading_format(project: Project) -> str:
    """The format a reader most likely reads: HTML when the project builds it, else its first."""
    names = project.format_names or ("html",)
    return next((name for name in names if format_is(name, "html")), names[0])


_LANGUAGES = {"r": "R", "python": "Python", "julia": "Julia", "ojs": "OJS", "bash": "Bash", "sql": "SQL"}
_DIAGRAMS = {"mermaid": "Mermaid diagram", "dot": "Graphviz diagram"}


def _describe(project: Project, entry: FloatEntry, row: FigureRow, numbers: dict[str, str], base: Path,
              images: dict[tuple[str, int], list[str]]) -> None:
    """Add what the reader sees: the number, what draws the figure, its image."""
    figure = entry.float
    number = numbers.get(entry.label)
    row.shown_as = f"Figure {number}" if number else None
    row.subfigure_numbers = {label: f"Figure {numbers[label]}" for label in row.subfigures if label in numbers}
    row.path = entry.definition.span.path
    row.column = entry.definition.span.column
    if figure.form in ("cell", "knitr"):
        language = (figure.cell_language or "").lower()
        row.source_kind = _DIAGRAMS.get(language) or f"{_LANGUAGES.get(language, language or 'code')} cell"
    elif figure.form in ("raw-latex", "embed", "diagram"):
        row.source_kind = {"raw-latex": "raw LaTeX", "embed": "embedded notebook output"}.get(figure.form, "diagram")
    doc = project.documents[figure.source.path]
    picture = next((p for p in doc.pictures if figure.start <= p.start < figure.end), None)
    if picture is None:
        return
    candidates = images.get((picture.source.path, picture.start))
    if candidates is None:  # a URL, a path built by a shortcode, or an image no format shows
        row.image_state = "remote" if re.match(r"[A-Za-z][\w+.-]*:|//", picture.path) else "none"
        return
    found = next((candidate for candidate in candidates if os.path.isfile(candidate)), None)
    row.image_state = "found" if found else "missing"
    row.image = Path(os.path.relpath(found or candidates[0], base.resolve())).as_posix()


def _image_candidates(project: Project) -> dict[tuple[str, int], list[str]]:
    """The paths Quarto tries for each local image, in its order (`mlsys_lint.image_files`)."""
    return {(picture.source.path, picture.start): candidates
            for _unit, picture, candidates, _lookup in local_images(project)}


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
           totals(audit) + ".", "", f"Figure numbers as the {audit.output_format} output shows them.", "",
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
    shown = f" ({figure.shown_as})" if figure.shown_as else ""
    out = ["", f"### {figure.number}. `{figure.label}`{shown}" + (f" — {flags}" if flags else ""), "",
           f"- **Defined at:** `{figure.location}` ({figure.source_kind})",
           f"- **Caption:** {_md_inline(figure.caption) if figure.caption else '*(none)*'}",
           f"- **Alt text:** {_md_inline(figure.alt) if figure.alt else '*(none)*'}"]
    if figure.image_state == "missing":
        out.append(f"- **Image:** `{figure.image}` (missing)")
    if figure.subfigures:
        out.append("- **Subfigures:** " + ", ".join(
            f"`{label}`" + (f" ({figure.subfigure_numbers[label]})" if label in figure.subfigure_numbers else "")
            for label in figure.subfigures))
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


def render_html(audit: FigureAudit) -> str:
    """The report as one self-contained, filterable HTML page (`mlsys_lint.audit_html`)."""
    from mlsys_lint.audit_html import figure_page

    return figure_page(audit)


JSON_VERSION = 1
"""Version of `render_json`'s document (schema: ``mlsys_lint/schemas/audit-figures-v1.json``)."""


def render_json(audit: FigureAudit) -> str:
    """The report as a versioned JSON document, for other tools."""
    def figure(row: FigureRow) -> dict:
        return {**asdict(row), "verdict": row.verdict, "problems": row.problems}

    chapters = [{"title": c.title, "path": c.path, "references": c.references, "problems": c.problems,
                 "figures": [figure(f) for f in c.figures], "unresolved": [asdict(r) for r in c.unresolved],
                 "other": [asdict(f) for f in c.other]} for c in audit.chapters]
    document = {"version": JSON_VERSION, "kind": "figure-audit", "numbered_as": audit.output_format,
                "summary": {"figures": audit.figures, "references": audit.references, "problems": audit.problems,
                            "by_rule": audit.codes()},
                "chapters": chapters}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def totals(audit: FigureAudit) -> str:
    """"12 figures, 30 references, 2 problems in 3 chapters"."""
    return (f"{plural(audit.figures, 'figure')}, {plural(audit.references, 'reference')}, "
            f"{plural(audit.problems, 'problem')} in {plural(len(audit.chapters), 'chapter')}")
