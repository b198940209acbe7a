"""The glossary audit: every glossary term with its definitions, uses, variants and findings.

`glossary_audit` lints with the rules tagged ``glossary`` (no rule logic lives here) and lays
the glossary out term by term, alphabetically: its definition(s) and where each is
written (side by side when they conflict), the chapter that defines it, its first use
in reading order, its number of uses per chapter, the variant spellings found in the
text, whether the book writes it with another spelling than the glossary's (GLS007),
whether its definitions conflict, and the GLS findings about it.  Generated glossary
pages (rendered from the sources) are listed once, as such.  `render_markdown` and
`render_html` turn that into a review sheet; the HTML is one self-contained page
(inline CSS and its own filter script, no network; `mlsys_lint.audit_page`) that fits a
1,300-pixel window.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mlsys_lint.audit_page import card_data, filter_bar, inline_markdown, page
from mlsys_lint.config import Settings
from mlsys_lint.files import relative
from mlsys_lint.glossary import normalize_definition
from mlsys_lint.model import Diagnostic
from mlsys_lint.project import Project
from mlsys_lint.term_usage import term_usage
from mlsys_lint.terms import ProjectGlossary, project_glossary

AUDIT_TAGS = ("glossary",)


@dataclass
class DefinitionRow:
    text: str
    location: str


@dataclass
class TermRow:
    """One glossary term."""

    term: str
    aliases: list[str]
    expansions: list[str]
    definitions: list[DefinitionRow]
    defined_in: list[str]
    chapter: str | None
    first_use: str | None
    uses: dict[str, int] = field(default_factory=dict)
    variants: dict[str, int] = field(default_factory=dict)
    conflict: str | None = None
    spelling: str | None = None
    findings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.uses.values())


@dataclass
class GlossaryReport:
    """The whole report: one per project with a glossary."""

    title: str
    sources: list[str]
    chapters: list[str]
    terms: list[TermRow]
    other: list[str] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    generated: list[str] = field(default_factory=list)


def glossary_audit(paths: list[Path], settings: Settings, base: Path | None = None) -> list[GlossaryReport]:
    """Lint `paths` with the glossary rules and build one report per project."""
    from mlsys_lint.api import lint

    result = lint(paths or [base or Path.cwd()], config=replace(settings, extend_select=[]),
                  select=[f"tag:{tag}" for tag in AUDIT_TAGS])
    base = base or Path.cwd()
    diagnostics = result.located()
    reports = []
    for project in result.projects:
        glossary = project_glossary(project)
        if not glossary and not any(r.form != "link" for r in term_usage(project).refs):
            continue
        mine = [d for d in diagnostics if _belongs(project, glossary, d)]
        reports.append(build_report(project, mine, base))
    return reports


def _belongs(project: Project, glossary: ProjectGlossary, diagnostic: Diagnostic) -> bool:
    path = diagnostic.span.path
    return path in project.documents or path in glossary.files


def build_report(project: Project, diagnostics: list[Diagnostic], base: Path) -> GlossaryReport:
    glossary = project_glossary(project)
    usage = term_usage(project)
    unit_path = {unit.index: unit.path for unit in project.all_units}
    conflicts = {c.key: c for c in glossary.conflicts()}
    by_subject: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_subject.setdefault(d.subject.lower(), []).append(d)
    claimed: set[int] = set()
    rows = []
    for entry in glossary.terms:
        uses: dict[str, int] = {}
        variants: dict[str, int] = {}
        first = None
        first_key = None
        seen: set[tuple[str, int]] = set()
        for occurrence in usage.uses(entry):
            where = (occurrence.doc.path, occurrence.start)
            if occurrence.in_glossary or where in seen:
                continue
            seen.add(where)
            chapter = relative(unit_path[occurrence.unit.index], base)
            uses[chapter] = uses.get(chapter, 0) + 1
            if first is None:
                first = f"{relative(occurrence.doc.path, base)}:{occurrence.span.line}"
                first_key = occurrence.key
            if occurrence.match.kind in ("variant", "case") and occurrence.match.needs_fix:
                variants[occurrence.match.text] = variants.get(occurrence.match.text, 0) + 1
        for ref in usage.refs:
            if ref.entry is entry and not ref.in_glossary:
                if ref.form == "link" and any(path == ref.doc.path and ref.start <= start < ref.end
                                              for path, start in seen):
                    continue  # the link text is the term, counted already
                chapter = relative(unit_path[ref.unit.index], base)
                uses[chapter] = uses.get(chapter, 0) + 1
                if first_key is None or ref.key < first_key:
                    first = f"{relative(ref.doc.path, base)}:{ref.span.line}"
                    first_key = ref.key
        dominant = usage.dominant_spelling(entry)
        spelling = (f"the text writes `{dominant[0]}` {dominant[1]} times, the glossary `{entry.term}`"
                    if dominant else None)
        conflict = conflicts.get(entry.key)
        conflict_text = None
        if conflict is not None:
            texts = {normalize_definition(d.text) for d in conflict.definitions} - {""}
            conflict_text = (f"defined {len(conflict.entries)} times, "
                             + ("with different definitions" if len(texts) > 1 else "with the same definition"))
        chapters = sorted({glossary.chapter_of[p] for p, _ in entry.sources if p in glossary.chapter_of})
        findings = []
        for d in by_subject.get(entry.term.lower(), []):
            claimed.add(id(d))
            findings.append(f"{d.code} {relative(d.span.path, base)}:{d.span.line}: {d.message}")
        rows.append(TermRow(
            term=entry.term,
            aliases=list(entry.aliases),
            expansions=entry.expansions,
            definitions=[DefinitionRow(d.text, f"{relative(d.path, base)}:{d.line}") for d in entry.definitions],
            defined_in=[f"{relative(p, base)}:{line}" for p, line in entry.sources],
            chapter=", ".join(relative(c, base) for c in chapters) or None,
            first_use=first,
            uses=uses,
            variants=variants,
            conflict=conflict_text,
            spelling=spelling,
            findings=findings,
        ))
    rows.sort(key=lambda row: (row.term.casefold(), row.term))
    other = [f"{d.code} {relative(d.span.path, base)}:{d.span.line}: {d.message}"
             for d in diagnostics if id(d) not in claimed]
    codes: dict[str, int] = {}
    for d in diagnostics:
        codes[d.code] = codes.get(d.code, 0) + 1
    title = str(project.config.get("book", {}).get("title", "")) if isinstance(project.config.get("book"), dict) else ""
    return GlossaryReport(
        title=title or relative(str(project.root), base),
        sources=[relative(s, base) for s in glossary.sources + [c for c in glossary.chapters if c not in glossary.sources]],
        chapters=[relative(c, base) for c in glossary.chapters],
        terms=rows,
        other=other,
        codes=dict(sorted(codes.items())),
        generated=[f"{relative(path, base)}: {why}" for path, why in glossary.generated.items()],
    )


# -- rendering ---------------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


JSON_VERSION = 1
"""Version of `render_json`'s document (schema: ``mlsys_lint/schemas/audit-glossary-v1.json``)."""


def render_json(reports: list[GlossaryReport]) -> str:
    """The reports as a versioned JSON document, for other tools."""
    projects = [{**asdict(report), "terms": [{**asdict(term), "total": term.total} for term in report.terms]}
                for report in reports]
    return json.dumps({"version": JSON_VERSION, "kind": "glossary-audit", "projects": projects},
                      indent=2, ensure_ascii=False) + "\n"


def render_markdown(reports: list[GlossaryReport]) -> str:
    out = ["# Glossary audit", ""]
    if not reports:
        out += ["No glossary found (no glossary source, glossary chapter or glossary shortcode).", ""]
    for report in reports:
        used = sum(1 for t in report.terms if t.total)
        out += [f"## {report.title}", "",
                f"{len(report.terms)} terms, {used} used; sources: "
                + (", ".join(f"`{s}`" for s in report.sources) or "none"), ""]
        if report.codes:
            out += ["Findings by rule: " + ", ".join(f"{code} {n}" for code, n in report.codes.items()), ""]
        if report.generated:
            out += ["Generated glossary pages (neither sources nor uses):", ""]
            out += [f"- `{g}`" for g in report.generated] + [""]
        if report.terms:
            out += ["| Term | Defined in | First use | Uses | Variants found | Conflict | Spelling |",
                    "|---|---|---|---:|---|---|---|"]
            for t in report.terms:
                variants = ", ".join(f"{v} ×{n}" for v, n in t.variants.items())
                out.append(f"| {_cell(t.term)} | {_cell(', '.join(t.defined_in))} | {t.first_use or '—'} | {t.total} | "
                           f"{_cell(variants) or '—'} | {t.conflict or '—'} | {_cell(t.spelling or '—')} |")
            out.append("")
        for t in report.terms:
            out += [f"### {t.term}", ""]
            if t.aliases:
                out.append(f"- Aliases: {', '.join(t.aliases)}")
            if t.expansions:
                out.append(f"- Expansion: {'; '.join(t.expansions)}")
            for d in t.definitions:
                out.append(f"- Definition ({d.location}): {' '.join(d.text.split()) or '(empty)'}")
            if t.chapter:
                out.append(f"- Chapter glossary of: {t.chapter}")
            out.append(f"- First use: {t.first_use or 'never used'}")
            if t.uses:
                out.append("- Uses per chapter: " + ", ".join(f"{c} {n}" for c, n in t.uses.items()))
            if t.variants:
                out.append("- Variants found: " + ", ".join(f"`{v}` ×{n}" for v, n in t.variants.items()))
            if t.conflict:
                out.append(f"- Conflict: {t.conflict}")
            if t.spelling:
                out.append(f"- Spelling unused: {t.spelling}")
            for f in t.findings:
                out.append(f"- Finding: {f}")
            out.append("")
        if report.other:
            out += ["### Other glossary findings", ""] + [f"- {f}" for f in report.other] + [""]
    return "\n".join(out).rstrip("\n") + "\n"


_CSS = """
table{table-layout:fixed;margin:1rem 0}
th.term{width:16%}th.where{width:20%}th.first{width:14%}
article.term{background:#fff;border:1px solid #d8dce3;border-left:5px solid #3a8f5a;border-radius:4px;
padding:.5rem 1rem;margin:1rem 0}
article.flagged{border-left-color:#c7462f}
.defs{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.5rem 1rem}
.defs p{margin:.3rem 0}
"""
_CODE = re.compile(r"[A-Z]{2,4}[0-9]{3}\b")


def render_html(reports: list[GlossaryReport]) -> str:
    """One self-contained page: per project the term table, then a card per term (definitions
    side by side, uses per chapter, findings) that the bar on top filters."""
    e = html.escape
    body = ["<h1>Glossary audit</h1>"]
    if not reports:
        body.append("<p>No glossary found (no glossary source, glossary chapter or glossary shortcode).</p>")
    codes = sorted({code for report in reports for code in report.codes})
    chapters = sorted({chapter for report in reports for term in report.terms for chapter in term.uses})
    body.append(filter_bar("terms", codes, [(str(index), chapter) for index, chapter in enumerate(chapters)]))
    chapter_index = {chapter: str(index) for index, chapter in enumerate(chapters)}
    for number, report in enumerate(reports, 1):
        used = sum(1 for t in report.terms if t.total)
        body.append(f'<section id="project-{number}"><h2>{e(report.title)}</h2>'
                    f'<p class="meta">{len(report.terms)} terms, {used} used; sources: '
                    + (", ".join(f"<code>{e(s)}</code>" for s in report.sources) or "none") + "</p>")
        if report.codes:
            body.append('<p class="meta">Findings by rule: '
                        + ", ".join(f"<code>{e(c)}</code> {n}" for c, n in report.codes.items()) + "</p>")
        if report.generated:
            body.append('<p class="meta" id="generated"><span class="tag plain">generated</span> Glossary pages '
                        "rendered from the sources (neither sources nor uses): "
                        + ", ".join(f"<code>{e(g)}</code>" for g in report.generated) + "</p>")
        body.append('<table id="terms"><thead><tr><th class="term">Term</th><th class="where">Defined in</th>'
                    '<th class="first">First use</th><th class="n">Uses</th><th>Variants found</th><th>Conflict</th>'
                    "</tr></thead><tbody>")
        for index, t in enumerate(report.terms):
            css = ' class="bad"' if t.findings else ""
            variants = ", ".join(f"{e(v)} ×{n}" for v, n in t.variants.items()) or "—"
            tag = ' <span class="tag warning">spelling unused</span>' if t.spelling else ""
            body.append(f'<tr{css}><td><a href="#t{number}-{index}">{e(t.term)}</a>{tag}</td>'
                        f"<td>{e(', '.join(t.defined_in))}</td><td>{e(t.first_use or '—')}</td>"
                        f'<td class="n">{t.total}</td><td>{variants}</td><td>{e(t.conflict or "—")}</td></tr>')
        body.append("</tbody></table>")
        body += [_term_card(t, f"t{number}-{index}", chapter_index) for index, t in enumerate(report.terms)]
        if report.other:
            body.append("<h3>Other glossary findings</h3><ul>"
                        + "".join(f'<li class="finding">{e(f)}</li>' for f in report.other) + "</ul>")
        body.append("</section>")
    return page("Glossary audit", _CSS, body)


def _term_card(t: TermRow, anchor: str, chapter_index: dict[str, str]) -> str:
    e = html.escape
    codes = sorted({match.group() for f in t.findings for match in [_CODE.match(f)] if match})
    text = " ".join([t.term, *t.aliases, *t.expansions, *(d.text for d in t.definitions)])
    data = card_data(bool(t.findings), codes, [chapter_index[c] for c in t.uses], text)
    flagged = " flagged" if t.findings else ""
    rows = [f'<article class="term{flagged}" id="{anchor}" {data}><h3>{e(t.term)}'
            + "".join(f'<span class="tag">{e(code)}</span>' for code in codes) + "</h3>"]
    if t.aliases:
        rows.append(f"<p><b>Aliases:</b> {e(', '.join(t.aliases))}</p>")
    if t.expansions:
        rows.append(f"<p><b>Expansion:</b> {e('; '.join(t.expansions))}</p>")
    rows.append('<div class="defs">')
    for d in t.definitions:
        rows.append(f'<p><b>Definition</b> <span class="meta">{e(d.location)}</span>: '
                    f"{inline_markdown(' '.join(d.text.split())) or '<i>(empty)</i>'}</p>")
    rows.append("</div>")
    if t.chapter:
        rows.append(f"<p><b>Chapter glossary of:</b> {e(t.chapter)}</p>")
    rows.append(f"<p><b>First use:</b> {e(t.first_use or 'never used')}</p>")
    if t.uses:
        rows.append("<p><b>Uses per chapter:</b> " + ", ".join(f"{e(c)} {n}" for c, n in t.uses.items()) + "</p>")
    if t.variants:
        rows.append("<p><b>Variants found:</b> "
                    + ", ".join(f"<code>{e(v)}</code> ×{n}" for v, n in t.variants.items()) + "</p>")
    if t.conflict:
        rows.append(f'<p class="finding"><b>Conflict:</b> {e(t.conflict)}</p>')
    if t.spelling:
        rows.append(f'<p class="finding"><b>Spelling unused:</b> {e(t.spelling)}</p>')
    rows += [f'<p class="finding">{e(f)}</p>' for f in t.findings]
    rows.append("</article>")
    return "".join(rows)
