"""GLS: glossary terms used consistently, glossary entries that agree and are used.

The glossary is ``project.glossary`` (loaded once by the engine from the configured or
auto-detected sources, `mlsys_lint.terms`); where its terms are used is
`mlsys_lint.term_usage.term_usage`, computed once per project over the visible prose of every
rendered file in reading order with one combined pattern for all terms.
"""

from __future__ import annotations

import re
from typing import Iterator

from mlsys_lint.files import relative
from mlsys_lint.glossary import Entry, normalize_definition, normalize_term
from mlsys_lint.model import Fix, Severity, Violation
from mlsys_lint.plugin import Option, rule
from mlsys_lint.project import Project
from mlsys_lint.term_usage import Occurrence, TermUsage, book_word_case, term_usage
from mlsys_lint.terms import ProjectGlossary, project_glossary

_HTML = ("html", "revealjs", "dashboard")
_TAGS = ("glossary",)
_NEEDS = ("glossary",)


def _rel(project: Project, path: str) -> str:
    return relative(path, project.root, max_up=0)


def _reported(project: Project, entry: Entry) -> bool:
    """Whether findings on `entry` (at its first source, `ProjectGlossary.span_of`) are reported."""
    return project.is_target(entry.sources[0][0] if entry.sources else "")


def _at(project: Project, path: str, line: int) -> str:
    return f"{_rel(project, path)}:{line}"


# --------------------------------------------------------------------------------------
# GLS001
# --------------------------------------------------------------------------------------

_FOLLOWING_WORD = re.compile(r"[ \t]*\n?[ \t]*([^\W\d_][\w'\u2019-]*)")
# Words that cannot be the noun a hyphenated compound modifies ("a memory-wall is …").
_NOT_MODIFIED = frozenset("""
a an the this that these those and or nor but so yet if than then as at by for from in into of off on onto
out over to up upon with within without via per about after before between among through during under is
are was were be been being am has have had do does did will would can could may might must shall should
which who whom whose what where when while why how it its they them their he she we you i our your his her
not also too very only just even still again here there more most less least such""".split())


def _hyphenated_modifier(occurrence: Occurrence) -> bool:
    """ "black-box components": a spaced term hyphenated in front of the word it modifies
    (the next word is not a function word: "a black-box is" is no modifier)."""
    m = occurrence.match
    if not m.auto or "-" not in m.text and "\u2010" not in m.text and "\u2011" not in m.text:
        return False
    written = re.sub(r"[\-\u2010\u2011]", " ", m.text.lower())
    written = " ".join(written.split())
    form = " ".join(m.form.lower().replace("-", " ").split())
    if not written.startswith(form) or "-" in m.form:
        return False
    following = _FOLLOWING_WORD.match(occurrence.doc.masked, m.end)
    return following is not None and following.group(1).lower() not in _NOT_MODIFIED


_GRID_BORDER = re.compile(r"[ \t]*\+[-=:+]+\+[ \t]*$")
_HEADER_RULE = re.compile(r"[ \t]*(?:\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?|\+[=:+]+\+|-{2,}(?:[ \t]+-{2,})*)[ \t]*$")
# Prose whose text --fix may edit: running prose and table cells (not headings, captions,
# alt text or definition-list terms, which are titles, labels or attributes).
_FIXABLE = frozenset({"paragraph", "list", "footnote", "definition", "table"})


def _fix_keeps_layout(occurrence: Occurrence) -> bool:
    """Whether replacing the span keeps a table's structure: outside tables, or in a
    body cell of a pipe table (cells are delimited), or when the length does not change
    (grid and simple tables align their columns by position).  Never in a header row."""
    m = occurrence.match
    if occurrence.kind != "table":
        return True
    source = occurrence.doc.source
    line = source.line_of(m.start)
    if line < source.line_count and _HEADER_RULE.match(source.line_text(line + 1)):
        return False
    if len(m.replacement) == len(m.text):
        return True
    if not source.line_text(line).lstrip().startswith("|"):
        return False
    while line > 1:  # a grid table's rows start with "|" too: look for its border
        line -= 1
        text = source.line_text(line)
        if not text.strip():
            return True
        if _GRID_BORDER.match(text):
            return False
    return True


def _in_link(occurrence: Occurrence) -> bool:
    """Inside a link's or an image's text (an image's text is its alt text or caption)."""
    start, end = occurrence.start, occurrence.end
    if any(a < end and start < b for a, b, _ in occurrence.doc.links):
        return True
    text = occurrence.doc.source.text
    line_start = text.rfind("\n", 0, start) + 1
    opening = text.rfind("![", line_start, start)
    if opening == -1 or "]" in text[opening:start]:
        return False
    closing = text.find("](", end)
    return closing != -1 and "[" not in text[end:closing] and "\n\n" not in text[end:closing]


def _term_fix(occurrence: Occurrence, usage: TermUsage) -> Fix | None:
    """The replacement of a finding's span, when --fix may make it: in running prose or
    a table cell that keeps its layout, outside links, and only towards a spelling the
    book or the glossary already has.  It needs review (unsafe)."""
    m = occurrence.match
    if occurrence.kind not in _FIXABLE or _in_link(occurrence) or not _fix_keeps_layout(occurrence):
        return None
    if not usage.is_known(m.target):
        return None
    span = occurrence.span
    return Fix(f"Replace `{m.text}` with `{m.replacement}`", span.path, span.line, span.column,
               span.end_line, span.end_column, m.replacement, safe=False)


def _gls001_message(occurrence: Occurrence) -> str:
    m = occurrence.match
    entry = m.entry
    if m.kind == "case":
        if entry.case_sensitive:
            return f"`{m.text}` is written `{m.replacement}` (the glossary term `{entry.term}` is case-sensitive)"
        return f"`{m.text}` is written `{m.replacement}` (the glossary writes `{m.form}`)"
    declared = "a declared variant" if not m.auto else "a variant spelling"
    return f"`{m.text}` is {declared} of the glossary term `{entry.term}`; write `{m.replacement}`"


@rule(
    "GLS001",
    "non-canonical-term",
    "warning",
    tags=_TAGS,
    needs=_NEEDS,
    fixable=True,
    options=[
        Option("flag-hyphenated-modifiers", bool, False,
               "Also report a spaced term hyphenated as a compound modifier (\"black-box components\")."),
    ],
)
def non_canonical_term(project: Project, options: dict) -> Iterator[Violation]:
    """A glossary term written in a variant form instead of its canonical form.

    ## What it does
    Finds glossary terms written in prose in a form other than the glossary's: a
    declared variant (`variants:`/`forbidden:` in the mlsys-lint format), a hyphen,
    space or joined spelling of a multi-word or hyphenated term ("back propagation",
    "mini batch", "datacenter"), or the wrong case of a term whose entry is
    `case-sensitive: true` or whose glossary spelling has capitals ("Tensorflow",
    "Pytorch").  A lower-case term says nothing about case (machine-made glossaries
    store every term in lower case), so "the Memory Wall" is reported only when the
    entry is case-sensitive.  Plurals and possessives are recognised.  Headings,
    captions and table header rows are read like prose; code, math, labels,
    citations, URLs, link targets and attributes other than captions and alt text are
    never searched.  A capital at the start of a sentence, in a heading or in a
    `**bold**` first definition is fine.  Aliases are accepted forms and never
    reported.  Not reported: a variant written with capitals the glossary's lower-case
    term does not have ("AllReduce", "the Data-Center Forum"), which is a name; and
    every variant of a term whose glossary spelling the book does not use (GLS007
    reports the entry instead: the book's own spelling wins).

    ## Why is this bad?
    A reader meets one concept under several spellings and wonders whether they are
    different things; the index and search split the term too.

    ## Example
    ```{.yaml filename="glossary.yml"}
    mini-batch: A slice of the training data.
    ```

    ```{.markdown filename="index.qmd"}
    Each mini batch is small. A mini-batch fits in memory; every mini-batch is shuffled.
    ```

    ## Use instead
    ```{.yaml filename="glossary.yml"}
    mini-batch: A slice of the training data.
    ```

    ```{.markdown filename="index.qmd"}
    Each mini-batch is small. A mini-batch fits in memory; every mini-batch is shuffled.
    ```

    ## Options
    - `flag-hyphenated-modifiers` (bool, default false): a spaced term hyphenated in
      front of the noun it modifies ("black-box components", "data-center design") is
      correct English and not reported unless this is true.  Declared variants are
      always reported.

    ## Fix safety
    Unsafe (applied with `--unsafe-fixes`): a term replacement changes the words, so it
    needs review.  Only the matched span is replaced by the canonical form (plural or
    possessive ending kept, a sentence-initial capital kept), and only in running
    prose, footnotes, list items, definitions and table body cells — never in headings,
    captions, alt text, table header rows or link text.  No fix is offered towards a
    spelling that neither the book nor the glossary uses, nor, in grid and simple
    tables (columns aligned by position), a replacement of another length.
    """
    flag_modifiers = options.get("flag-hyphenated-modifiers", False)
    usage = term_usage(project)
    seen: set[tuple[str, int]] = set()
    for occurrence in usage.reported(project):
        m = occurrence.match
        if m.kind not in ("variant", "case") or not m.needs_fix or occurrence.in_glossary:
            continue
        where = (occurrence.doc.path, m.start)
        if where in seen:
            continue
        seen.add(where)
        if m.kind == "variant":
            if m.named or usage.dominant_spelling(m.entry) is not None:
                continue
            if not flag_modifiers and _hyphenated_modifier(occurrence):
                continue
        yield Violation(occurrence.span, _gls001_message(occurrence), subject=m.entry.term,
                        fix=_term_fix(occurrence, usage))


# --------------------------------------------------------------------------------------
# GLS002
# --------------------------------------------------------------------------------------


@rule("GLS002", "conflicting-glossary-entries", "error", tags=_TAGS, needs=_NEEDS)
def conflicting_glossary_entries(project: Project, options: dict) -> Iterator[Violation]:
    """One term defined more than once across the glossary sources.

    ## What it does
    Reports each term (compared case-insensitively, with runs of spaces and
    underscores as one space; "keyword spotting (kws)" is the term "keyword spotting")
    that is an entry more than once in the glossary sources — in one file or several —
    once, at its first definition (in the configured order; within a file, in file
    order), listing where the others are.  The finding is an error when the
    definitions differ (after removing Markdown markup, curly quotes and whitespace
    differences) and info when they are all the same text.  A glossary page generated
    from the sources (MLSysBook's back-matter glossary) or a merged volume glossary is
    not a source and never counts; `mlsys-lint audit glossary` shows the definitions
    side by side.

    ## Why is this bad?
    Two definitions of one term drift apart: the chapter glossary says one thing, the
    back-matter glossary another, and a tool that merges them keeps only one.

    ## Example
    ```{.yaml filename="glossary.yml"}
    quantization: Storing weights with fewer bits.
    quantization (q): Mapping a continuous range onto discrete levels.
    ```

    ## Use instead
    ```{.yaml filename="glossary.yml"}
    quantization: Storing weights with fewer bits.
    ```
    """
    glossary = project_glossary(project)
    yield from project.remember(("GLS002",), (glossary,), lambda: list(_conflict_findings(project, glossary)))


def _conflict_findings(project: Project, glossary: ProjectGlossary) -> Iterator[Violation]:
    """One finding per term the glossary sources define more than once (they depend on the glossary alone)."""
    for conflict in glossary.conflicts():
        first = conflict.entries[0]
        others = ", ".join(_at(project, e.path, e.line) for e in conflict.entries[1:])
        times = len(conflict.entries)
        if conflict.differ:
            message = (f"glossary term `{first.term}` is defined {times} times with different definitions; "
                       f"also at {others}")
            yield Violation(glossary.span_of(first), message, subject=first.term)
        else:
            texts = {normalize_definition(d.text) for d in conflict.definitions} - {""}
            how = "the same definition" if texts else "no definition"
            message = f"glossary term `{first.term}` is defined {times} times with {how}; also at {others}; keep one"
            yield Violation(glossary.span_of(first), message, subject=first.term, severity=Severity.INFO)


# --------------------------------------------------------------------------------------
# GLS003
# --------------------------------------------------------------------------------------


def _did_you_mean(glossary: ProjectGlossary, name: str) -> str:
    found = glossary.suggest(name)
    return f" (did you mean `{found.term}`?)" if found is not None else ""


def _anchor_hint(glossary: ProjectGlossary, project: Project, target: str, anchor: str) -> str:
    ids = glossary.anchors.get(target, {})
    line = glossary.misplaced_ids.get(target, {}).get(anchor)
    if line is not None:
        return (f" (the heading at {_at(project, target, line)} writes `(#{anchor})` in parentheses, which is no "
                f"id for Pandoc: write `{{#{anchor}}}`)")
    lowered = anchor.lower()
    for candidate in ids:
        if candidate.lower() == lowered:
            return f" (the id is `#{candidate}`: ids are case-sensitive)"
    for candidate in ids:
        c = candidate.lower()
        forms = {c + "s", c + "es", c[:-1] + "ies" if c.endswith("y") else c}
        if lowered in forms or c in {lowered + "s", lowered + "es"}:
            return f" (did you mean `#{candidate}`?)"
    return ""


@rule(
    "GLS003",
    "unknown-glossary-term",
    "error",
    tags=_TAGS,
    needs=_NEEDS,
    options=[
        Option("warn-any-non-html", bool, False,
               "Report glossary shortcodes whenever the project also builds a non-HTML format "
               "(by default only when it builds no HTML format at all)."),
    ],
)
def unknown_glossary_term(project: Project, options: dict) -> Iterator[Violation]:
    """A glossary reference that names no glossary entry.

    ## What it does
    Checks every `{{< glossary X >}}` shortcode of the quarto-glossary extension
    (looked up case-insensitively, as the extension does; `def=` gives its own
    definition and `table=true` names no term), every knitr `` `r glossary("X")` `` call
    of the glossary R package, and every link to an anchor of a glossary chapter
    (`[:mean](glossary.qmd#mean)`).  When the project has the file quarto-glossary reads
    (`glossary: path:` in `_quarto.yml`, default `glossary.yml`), a shortcode must name a
    term of that file: the extension reads no other source.  It also warns, once per
    project, when the project builds only formats other than HTML, where the
    extension's shortcode prints nothing and the term disappears from the sentence.
    When the project holds no glossary source at all (the glossary R package linking
    to an online glossary), no term can be checked: one note says so and how to name a
    source.

    ## Why is this bad?
    quarto-glossary shows an empty definition for a term it does not know, silently; a
    link to a missing anchor lands at the top of the glossary page.

    ## Example
    ```{.yaml filename="glossary.yml"}
    pruning: Removing weights that contribute little.
    ```

    ```markdown
    Removing whole rows, known as {{< glossary "structured pruning" >}}, is a kind of
    {{< glossary pruning >}}.
    ```

    ## Use instead
    Add the term to `glossary.yml` (or fix its spelling):

    ```{.yaml filename="glossary.yml"}
    pruning: Removing weights that contribute little.
    structured pruning: Removing whole rows, columns or channels.
    ```

    ```markdown
    Removing whole rows, known as {{< glossary "structured pruning" >}}, is a kind of
    {{< glossary pruning >}}.
    ```

    ## Options
    - `warn-any-non-html` (bool, default false): also warn when the project builds HTML
      and a non-HTML format (PDF, EPUB, DOCX): there the shortcode prints nothing in the
      non-HTML output.
    """
    glossary = project_glossary(project)
    usage = term_usage(project)
    if not (glossary.sources or glossary.chapters or glossary.quarto_path or len(glossary)):
        yield from _no_glossary_source(usage.refs)
        return
    quarto_keys = glossary.quarto_keys
    quarto_name = _rel(project, glossary.quarto_path) if glossary.quarto_path else None
    seen: set[tuple[str, int]] = set()
    shortcodes = []
    for ref in usage.refs:
        where = (ref.doc.path, ref.start)
        if where in seen:
            continue
        seen.add(where)
        if ref.form == "link":
            if not ref.anchor_exists:
                hint = _anchor_hint(glossary, project, ref.target or "", ref.name)
                message = (f"link to glossary anchor `#{ref.name}` of {_rel(project, ref.target or '')} "
                           f"names no glossary entry{hint}")
                yield Violation(ref.span, message, subject=ref.name)
            continue
        if ref.form == "shortcode":
            shortcodes.append(ref)
        if ref.table or ref.own_definition:
            continue
        if not ref.name:
            yield Violation(ref.span, "glossary shortcode names no term", subject="")
            continue
        if ref.form == "shortcode" and quarto_keys is not None:
            if ref.name.lower() in quarto_keys:
                continue
            if ref.entry is not None:
                message = (f"glossary term `{ref.name}` is defined in {_rel(project, ref.entry.path)} but not in "
                           f"{quarto_name}, the file quarto-glossary reads: its definition will be empty")
            else:
                message = f"glossary term `{ref.name}` is not in {quarto_name}{_did_you_mean(glossary, ref.name)}"
            yield Violation(ref.span, message, subject=ref.name)
        elif ref.entry is None:
            message = f"glossary term `{ref.name}` names no glossary entry{_did_you_mean(glossary, ref.name)}"
            yield Violation(ref.span, message, subject=ref.name)
    if shortcodes and project.builds_non_html():
        has_html = any(fmt.startswith(_HTML) for fmt in project.formats)
        if not has_html or options.get("warn-any-non-html", False):
            others = ", ".join(sorted(f for f in project.formats if not f.startswith(_HTML)))
            count = len(shortcodes)
            message = (f"the project builds {others}, where quarto-glossary's shortcode prints nothing: "
                       f"{count} glossary shortcode{'s' if count != 1 else ''} will vanish from the text")
            yield Violation(shortcodes[0].span, message, subject="glossary", severity=Severity.WARNING)


def _no_glossary_source(refs: list) -> Iterator[Violation]:
    """One note when terms are named but the project holds no glossary to check them against
    (the knitr ``glossary()`` of an R package that links to an online glossary)."""
    named = [ref for ref in refs if ref.form != "link"]
    if not named:
        return
    count = len(named)
    message = (f"{count} glossary reference{'s' if count != 1 else ''} (first: `{named[0].name}`) but the project "
               "holds no glossary source, so no term is checked: list the file that defines them under "
               "`glossary: sources:` in .mlsys-lint.yml")
    yield Violation(named[0].span, message, subject="glossary", severity=Severity.INFO)


# --------------------------------------------------------------------------------------
# GLS004
# --------------------------------------------------------------------------------------


@rule("GLS004", "unused-glossary-entry", "info", tags=_TAGS, needs=_NEEDS)
def unused_glossary_entry(project: Project, options: dict) -> Iterator[Violation]:
    """A glossary entry the manuscript never uses.

    ## What it does
    Reports glossary entries none of whose forms (term, aliases, variants, expansions,
    plurals) appears in the visible prose of any rendered file, and that no glossary
    shortcode, `glossary("…")` call or glossary-anchor link names.  Uses inside the
    glossary chapter itself do not count.

    ## Why is this bad?
    A glossary entry for a term the book never uses is dead weight, often left behind by
    a rename (and then the new name is missing from the glossary).

    ## Example
    ```{.yaml filename="glossary.yml"}
    gradient checkpointing: Saving memory by recomputing activations.
    ```

    ```markdown
    Training saves memory by recomputing activations in the backward pass.
    ```

    ## Use instead
    Remove the entry, or use the term where the idea is discussed:

    ```{.yaml filename="glossary.yml"}
    gradient checkpointing: Saving memory by recomputing activations.
    ```

    ```markdown
    Training saves memory by recomputing activations in the backward pass
    (gradient checkpointing).
    ```
    """
    glossary = project_glossary(project)
    reported = [entry for entry in glossary.terms if _reported(project, entry)]
    if not reported:
        return
    usage = term_usage(project)
    used = {id(o.entry) for o in usage.occurrences if not o.in_glossary}
    used.update(id(r.entry) for r in usage.refs if r.entry is not None and not r.in_glossary)
    for entry in reported:
        if id(entry) not in used:
            yield Violation(glossary.span_of(entry), f"glossary entry `{entry.term}` is never used in the manuscript",
                            subject=entry.term)


# --------------------------------------------------------------------------------------
# GLS005
# --------------------------------------------------------------------------------------

_SHORT = re.compile(r"^[A-Za-z][A-Za-z0-9&]{1,9}$")


class _Acronym:
    """An acronym of the glossary: its short forms, and its expansions.

    `exact`: the short forms are matched in their case (a case-preserving source);
    otherwise in any case (a lower-case source's "kws" is the text's KWS)."""

    def __init__(self, entry: Entry, shorts: list[str], expansions: list[str], exact: bool) -> None:
        self.entry = entry
        self.exact = exact
        self.shorts = {s if exact else s.upper() for s in shorts}
        self.expansions = expansions
        alternatives = "|".join(_flexible(e) for e in sorted(expansions, key=len, reverse=True))
        self.before = re.compile(r"(?<![\w-])(?:" + alternatives + r")(?:e?s)?\s*\(\s*$", re.I)
        self.after = re.compile(r"\s*\(\s*(?:" + alternatives + r")(?:e?s)?\s*[),;]", re.I)

    @property
    def name(self) -> str:
        return sorted(self.shorts)[0]

    def short_use(self, text: str) -> bool:
        if not self.exact:
            text = text.upper()
        for suffix in ("'S", "\u2019S", "S", "'s", "\u2019s", "s", ""):
            if suffix and not text.endswith(suffix):
                continue
            if text[: len(text) - len(suffix)] in self.shorts:
                return True
        return False


def _flexible(expansion: str) -> str:
    words = re.split(r"[\s\-\u2010\u2011]+", expansion.strip())
    return r"[\s\-\u2010\u2011]+".join(re.escape(w) for w in words if w)


def _acronym(entry: Entry) -> _Acronym | None:
    """The acronym an entry stands for, if it can be told with its expansion: an acronym
    entry with `expansion`, a "long form (ACR)" term, or a spaced term with an
    all-capitals alias (ML for machine learning)."""
    if entry.expansions:
        shorts = [entry.term] + [a for a in entry.aliases if _SHORT.match(a) and a.upper() == a]
        return _Acronym(entry, shorts, entry.expansions, entry.preserves_case)
    if entry.short:
        return _Acronym(entry, [entry.short], [entry.term], entry.preserves_case and entry.short != entry.short.lower())
    shorts = [a for a in entry.aliases if _SHORT.match(a) and a.upper() == a and sum(c.isupper() for c in a) > 1]
    if shorts and " " in entry.term:
        return _Acronym(entry, shorts, [entry.term], True)
    return None


@rule(
    "GLS005",
    "acronym-not-expanded",
    "warning",
    tags=_TAGS,
    needs=_NEEDS,
    options=[
        Option("per-chapter", bool, False, "Expect each acronym to be expanded at its first use in every chapter."),
        Option("exempt", list, [], "Acronyms that need no expansion (e.g. [CPU, GPU, JSON])."),
    ],
)
def acronym_not_expanded(project: Project, options: dict) -> Iterator[Violation]:
    """An acronym used before its first expansion.

    ## What it does
    For each glossary acronym with a known expansion — an entry with `expansion:` (a
    list for a homonym such as MAC), an MLSysBook term written "keyword spotting (kws)",
    or an entry with an all-capitals alias such as ML — finds its first bare use in book
    order and reports it when no introduction comes before it.  An introduction is
    "expansion (ACR)" or "ACR (expansion)", in any case, with plural forms ("CNNs
    (convolutional neural networks)").  Introductions count everywhere, in headings
    too; bare uses count in paragraphs, lists, tables, captions, alt text and
    footnotes, but not in headings.  The glossary chapter is skipped.  A website (not a
    book) is checked page by page.

    ## Why is this bad?
    A reader who meets "TPU" before "tensor processing unit (TPU)" has to guess.

    ## Example
    ```{.yaml filename="glossary.yml"}
    terms:
      - term: TPU
        expansion: tensor processing unit
    ```

    ```markdown
    Google's TPU was one of the first such chips. The tensor processing unit (TPU)
    multiplies matrices in a systolic array.
    ```

    ## Use instead
    ```{.yaml filename="glossary.yml"}
    terms:
      - term: TPU
        expansion: tensor processing unit
    ```

    ```markdown
    Google's tensor processing unit (TPU) was one of the first such chips. The TPU
    multiplies matrices in a systolic array.
    ```

    ## Options
    - `per-chapter` (bool, default false): expect an expansion at the first use in every
      chapter (the MLSysBook convention for HTML books, whose chapters are separate pages).
    - `exempt` (list of acronyms, default []): acronyms never reported (CPU, GPU, …).
    """
    glossary = project_glossary(project)
    usage = term_usage(project)
    exempt = {str(a).upper() for a in options.get("exempt", [])}
    acronyms = {}
    for entry in glossary.terms:
        acronym = _acronym(entry)
        if acronym is not None and not {s.upper() for s in acronym.shorts} & exempt:
            acronyms[id(entry)] = acronym
    if not acronyms:
        return
    per_unit = options.get("per-chapter", False) or not project.is_book
    done: set[tuple] = set()
    first_bare: dict[tuple, Occurrence] = {}
    for key, acronym in acronyms.items():
        for occurrence in usage.by_entry.get(key, ()):
            if occurrence.in_glossary:
                continue
            scope = (key, occurrence.unit.index if per_unit else 0)
            if scope in done:
                continue
            kind = _classify(acronym, occurrence)
            if kind == "intro":
                done.add(scope)
            elif kind == "bare" and occurrence.kind != "heading":
                done.add(scope)
                first_bare[scope] = occurrence
    messages = []
    for scope, first in first_bare.items():
        if not project.is_target(first.doc.path):
            continue
        acronym = acronyms[scope[0]]
        later = _first_intro_after(acronym, first, usage.uses(acronym.entry), per_unit)
        if later is not None:
            messages.append((first, acronym, None, f"at {_at(project, later.doc.path, later.span.line)}"))
        else:
            long_form, short = _established(acronym, usage.uses(acronym.entry))
            messages.append((first, acronym, long_form, short))
    # A lower-case glossary's expansion the book never writes: its words as the book
    # writes them elsewhere ("hadoop" → "Hadoop").
    words = {w.lower() for _, a, long_form, _ in messages if long_form is None and not a.entry.preserves_case
             for w in re.findall(r"[^\W\d_]+", a.expansions[0])}
    cased = book_word_case(project, words) if words else {}
    for first, acronym, long_form, tail in messages:
        written = first.match.text
        if long_form is None and tail.startswith("at "):
            message = f"acronym `{written}` is used before it is expanded; its first expansion comes later, {tail}"
        else:
            if long_form is None:
                long_form = re.sub(r"[^\W\d_]+", lambda m: cased.get(m.group().lower(), m.group()),
                                   acronym.expansions[0])
            message = (f"acronym `{written}` is never expanded{' in this chapter' if per_unit else ''}; write "
                       f"\"{long_form} ({tail})\" at its first use")
        yield Violation(first.span, message, subject=acronym.name)


def _established(acronym: _Acronym, uses: list[Occurrence]) -> tuple[str | None, str]:
    """The expansion and the acronym as the book writes them most often ("Hadoop
    Distributed File System", "KWS"); the expansion is None when the book never writes
    it, the acronym as the glossary has it (in capitals from a lower-case source) when
    the book never writes it either.  A capital the first word takes at the start of a
    sentence does not count when the book also writes it in lower case."""
    expansions = {normalize_term(e) for e in acronym.expansions}
    long_forms: dict[str, int] = {}
    shorts: dict[str, int] = {}
    for occurrence in uses:
        m = occurrence.match
        if occurrence.in_glossary:
            continue
        if acronym.short_use(m.text):
            shorts[m.stem] = shorts.get(m.stem, 0) + 1
        elif normalize_term(m.form) in expansions and m.kind != "variant":
            long_forms[m.stem] = long_forms.get(m.stem, 0) + 1
    for written in list(long_forms):
        lower = written[:1].lower() + written[1:]
        if lower != written and lower in long_forms:
            long_forms[lower] += long_forms.pop(written)
    long_form = max(long_forms, key=lambda w: (long_forms[w], w == w.lower())) if long_forms else None
    short = max(shorts, key=lambda w: (shorts[w], w.isupper())) if shorts else acronym.name
    return long_form, short.rstrip("s") if short.endswith("s") and short[:-1] in acronym.shorts else short


def _classify(acronym: _Acronym, occurrence: Occurrence) -> str:
    """"intro" (an expansion with the acronym), "bare" (the acronym alone) or "other"."""
    m = occurrence.match
    text = m.text
    if not acronym.short_use(text):
        return "other"
    masked = occurrence.doc.masked
    if acronym.before.search(masked, max(0, m.start - 300), m.start):
        return "intro"
    if acronym.after.match(masked, m.end):
        return "intro"
    return "bare"


def _first_intro_after(acronym: _Acronym, first: Occurrence, uses: list[Occurrence], per_unit: bool) -> Occurrence | None:
    for occurrence in uses:
        if occurrence.key <= first.key or occurrence.in_glossary:
            continue
        if per_unit and occurrence.unit.index != first.unit.index:
            continue
        if _classify(acronym, occurrence) == "intro":
            return occurrence
    return None


# --------------------------------------------------------------------------------------
# GLS006
# --------------------------------------------------------------------------------------


@rule(
    "GLS006",
    "term-used-before-definition",
    "info",
    tags=_TAGS,
    needs=_NEEDS,
    options=[Option("ignore", list, [], "Glossary terms never reported (e.g. everyday words such as training).")],
)
def term_used_before_definition(project: Project, options: dict) -> Iterator[Violation]:
    """A term used in a chapter before the chapter that defines it.

    ## What it does
    A term is introduced by the first chapter (in book order) whose chapter glossary
    defines it (MLSysBook's `<chapter>_glossary.json` next to `<chapter>.qmd`) or whose
    prose gives its first definition in bold (`**memory wall**`).  Reports the first use
    of the term in an earlier chapter (books only; glossary chapters are skipped, and
    so are headings, which name a topic rather than use a term).

    ## Why is this bad?
    The reader meets the term chapters before it is explained.

    ## Example
    The introduction mentions a systolic array, which the hardware chapter defines:

    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [intro.qmd, hardware.qmd]
    ```

    ```{.yaml filename="glossary.yml"}
    systolic array: A grid of processing elements that pass data to their neighbours.
    ```

    ```{.markdown filename="intro.qmd"}
    # Introduction

    Accelerators multiply matrices in a systolic array.
    ```

    ```{.markdown filename="hardware.qmd"}
    # Hardware

    A **systolic array** is a grid of processing elements.
    ```

    ## Use instead
    Explain the term at its first use, or move the definition to the earlier chapter
    (its chapter glossary, or its bold first definition):

    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [intro.qmd, hardware.qmd]
    ```

    ```{.yaml filename="glossary.yml"}
    systolic array: A grid of processing elements that pass data to their neighbours.
    ```

    ```{.markdown filename="intro.qmd"}
    # Introduction

    Accelerators multiply matrices in a **systolic array**, a grid of processing
    elements.
    ```

    ```{.markdown filename="hardware.qmd"}
    # Hardware

    The systolic array passes data between neighbours.
    ```

    ## Options
    - `ignore` (list of terms, default []): terms never reported, compared as glossary
      keys (case-insensitive), for everyday words a chapter glossary defines.
    """
    if not project.is_book:
        return
    glossary = project_glossary(project)
    usage = term_usage(project)
    index_of = {unit.path: unit.index for unit in project.units}
    unit_of = {unit.index: unit for unit in project.units}
    introduced: dict[int, tuple[int, str]] = {}
    for entry in glossary.terms:
        for path, _line in entry.sources:
            chapter = glossary.chapter_of.get(path)
            if chapter in index_of:
                index = index_of[chapter]
                if id(entry) not in introduced or index < introduced[id(entry)][0]:
                    introduced[id(entry)] = (index, f"its chapter glossary {_rel(project, path)}")
    for occurrence in usage.bold:
        if not occurrence.in_glossary and occurrence.unit.path in index_of:
            index = occurrence.unit.index
            key = id(occurrence.entry)
            if key not in introduced or index < introduced[key][0]:
                introduced[key] = (index, f"its bold definition at {_at(project, occurrence.doc.path, occurrence.span.line)}")
    ignored = {normalize_term(str(t)) for t in options.get("ignore", [])}
    for key, (index, how) in introduced.items():
        first = next((o for o in usage.by_entry.get(key, ()) if not (o.in_glossary or o.bold or o.kind == "heading")
                      and o.unit.path in index_of), None)  # units are in book order: only the first use can be early
        if first is None or first.unit.index >= index or first.entry.key in ignored:
            continue
        if not project.is_target(first.doc.path):
            continue
        chapter = _rel(project, unit_of[index].path)
        message = (f"`{first.match.text}` is used here, before {chapter}, the chapter that defines the "
                   f"glossary term `{first.entry.term}` ({how})")
        yield Violation(first.span, message, subject=first.entry.term)


# --------------------------------------------------------------------------------------
# GLS007
# --------------------------------------------------------------------------------------


@rule("GLS007", "glossary-spelling-unused", "warning", tags=_TAGS, needs=_NEEDS)
def glossary_spelling_unused(project: Project, options: dict) -> Iterator[Violation]:
    """A glossary spelling the book does not use, while it consistently writes another.

    ## What it does
    Counts how the manuscript (outside glossary pages) writes each glossary term: the
    glossary's spelling, in any case, against each hyphen, space or joined spelling
    ("co-design", "co design", "codesign"), plurals and possessives included.  When
    one other spelling makes up at least 80% of at least three uses, the glossary's
    spelling is rare or absent: the finding is on the glossary entry, and GLS001 does
    not report the uses in prose.  Declared variants (`variants:`/`forbidden:`) never
    win: the glossary says they are wrong.

    ## Why is this bad?
    The glossary is what drifted: "fixing" 57 consistent uses to a spelling the book
    never uses would damage the prose; the glossary entry should follow the book.

    ## Example
    ```{.yaml filename="glossary.yml"}
    co design: Designing hardware and software together.
    ```

    ```{.markdown filename="index.qmd"}
    Hardware co-design matters; co-design needs both teams. We teach co-design.
    ```

    ## Use instead
    ```{.yaml filename="glossary.yml"}
    co-design: Designing hardware and software together.
    ```

    ```{.markdown filename="index.qmd"}
    Hardware co-design matters; co-design needs both teams. We teach co-design.
    ```
    """
    glossary = project_glossary(project)
    usage = term_usage(project)
    for entry in glossary.terms:
        if not _reported(project, entry):
            continue
        dominant = usage.dominant_spelling(entry)
        if dominant is None:
            continue
        spelling = usage.spelling(entry)
        shown, count = dominant
        own = spelling.counts.get(spelling.glossary, 0)
        also = f"`{entry.term}` {_times(own)}" if own else f"never `{entry.term}`"
        message = (f"the glossary writes `{entry.term}`; the text writes `{shown}` {_times(count)} "
                   f"and {also}: write the glossary entry as the book does")
        yield Violation(glossary.span_of(entry), message, subject=entry.term)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


RULES = [
    non_canonical_term,
    conflicting_glossary_entries,
    unknown_glossary_term,
    unused_glossary_entry,
    acronym_not_expanded,
    term_used_before_definition,
    glossary_spelling_unused,
]
