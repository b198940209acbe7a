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
from mlsys_lint.term_usage import Occurrence, term_usage
from mlsys_lint.terms import ProjectGlossary, project_glossary

_HTML = ("html", "revealjs", "dashboard")
_TAGS = ("glossary",)
_NEEDS = ("glossary",)


def _rel(project: Project, path: str) -> str:
    return relative(path, project.root, max_up=0)


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


def _fix_keeps_layout(occurrence: Occurrence) -> bool:
    """Whether replacing the span cannot break a table: outside tables, in a pipe table
    (cells are delimited), or when the length does not change.  Grid and simple tables
    align their columns by position, so a longer or shorter word would break them."""
    m = occurrence.match
    if occurrence.kind != "table" or len(m.replacement) == len(m.text):
        return True
    source = occurrence.doc.source
    line = source.line_of(m.start)
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


def _gls001_message(occurrence: Occurrence) -> str:
    m = occurrence.match
    entry = m.entry
    if m.kind == "case":
        if entry.case_sensitive:
            return f"`{m.text}` is written `{m.replacement}` (the glossary term `{entry.term}` is case-sensitive)"
        return (f"`{m.text}`: the glossary term `{m.form}` is lower case except at the start of a "
                f"sentence; write `{m.replacement}`")
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
    "mini batch", "datacenter"), a case-sensitive name in another case ("Tensorflow"),
    or a lower-case concept term capitalised mid-sentence ("the Memory Wall").
    Plurals and possessives are recognised.  Code, math, labels, citations, URLs, link
    targets and attributes other than captions and alt text are never searched; a
    capital at the start of a sentence, in a heading or in a `**bold**` first
    definition is fine.  Aliases are accepted forms and never reported.  Terms of
    MLSysBook JSON glossaries and lower-case quarto-glossary keys say nothing about
    case, so they are never reported for their case.

    ## Why is this bad?
    A reader meets one concept under several spellings and wonders whether they are
    different things; the index and search split the term too.

    ## Example
    ```{.yaml filename="glossary.yml"}
    terms:
      - term: backpropagation
        variants: [back-propagation]
      - term: memory wall
    ```

    ```markdown
    Gradients are computed by back-propagation. We hit the Memory Wall.
    ```

    ## Use instead
    ```{.yaml filename="glossary.yml"}
    terms:
      - term: backpropagation
        variants: [back-propagation]
      - term: memory wall
    ```

    ```markdown
    Gradients are computed by backpropagation. We hit the memory wall.
    ```

    ## Options
    - `flag-hyphenated-modifiers` (bool, default false): a spaced term hyphenated in
      front of the noun it modifies ("black-box components", "data-center design") is
      correct English and not reported unless this is true.  Declared variants are
      always reported.

    ## Fix safety
    Unsafe (applied with ``--fix --unsafe-fixes``, after review): a variant can be
    deliberate, in a quotation or a product's name.  Only the matched span is replaced by
    the canonical form (plural or possessive ending kept, a sentence-initial capital
    kept).  In grid and simple tables, whose columns are aligned by position, a
    replacement of another length is not offered.
    """
    flag_modifiers = options.get("flag-hyphenated-modifiers", False)
    seen: set[tuple[str, int]] = set()
    for occurrence in term_usage(project).occurrences:
        m = occurrence.match
        if m.kind not in ("variant", "case") or not m.needs_fix:
            continue
        where = (occurrence.doc.path, m.start)
        if where in seen:
            continue
        seen.add(where)
        if m.kind == "variant" and not flag_modifiers and _hyphenated_modifier(occurrence):
            continue
        span = occurrence.span
        fix = None
        if _fix_keeps_layout(occurrence):
            fix = Fix(f"Replace `{m.text}` with `{m.replacement}`", span.path, span.line, span.column,
                      span.end_line, span.end_column, m.replacement, safe=False)
        yield Violation(span, _gls001_message(occurrence), subject=m.entry.term, fix=fix)


# --------------------------------------------------------------------------------------
# GLS002
# --------------------------------------------------------------------------------------


@rule("GLS002", "conflicting-glossary-entries", "error", tags=_TAGS, needs=_NEEDS)
def conflicting_glossary_entries(project: Project, options: dict) -> Iterator[Violation]:
    """One term defined more than once across the glossary sources.

    ## What it does
    Reports every entry whose term (compared case-insensitively, with runs of spaces and
    underscores as one space) was already defined earlier in the glossary sources (in
    the configured order; within a file, in file order) — in the same file or another.
    The finding is an error when the definitions differ (after removing Markdown markup,
    curly quotes and whitespace differences) and info when they are the same text.  It
    points at the later entry and names the earlier one.

    ## Why is this bad?
    Two definitions of one term drift apart: the chapter glossary says one thing, the
    back-matter glossary another, and a tool that merges them keeps only one.

    ## Example
    ```{.yaml filename=".mlsys-lint.yml"}
    glossary:
      sources: [glossary.yml, style/terms.yml]
    ```

    ```{.yaml filename="glossary.yml"}
    quantization: Storing weights with fewer bits.
    ```

    ```{.yaml filename="style/terms.yml"}
    terms:
      - term: quantization
        definition: Mapping a continuous range onto discrete levels.
    ```

    ```markdown
    Quantization shrinks a model.
    ```

    ## Use instead
    Keep one definition (or make both the same text and remove one):

    ```{.yaml filename=".mlsys-lint.yml"}
    glossary:
      sources: [glossary.yml, style/terms.yml]
    ```

    ```{.yaml filename="glossary.yml"}
    quantization: Storing weights with fewer bits.
    ```

    ```{.yaml filename="style/terms.yml"}
    terms:
      - term: pruning
        definition: Removing weights that contribute little.
    ```

    ```markdown
    Quantization shrinks a model; so does pruning.
    ```
    """
    glossary = project_glossary(project)
    for conflict in glossary.conflicts():
        first = conflict.entries[0]
        earlier: list[Entry] = [first]
        for entry in conflict.entries[1:]:
            text = normalize_definition(entry.definition)
            other = next((e for e in earlier if normalize_definition(e.definition)
                          and text and normalize_definition(e.definition) != text), None)
            earlier.append(entry)
            span = glossary.span_of(entry)
            if other is not None:
                message = (f"glossary term `{entry.term}` is defined again with a different definition "
                           f"(first defined at {_at(project, other.path, other.line)})")
                yield Violation(span, message, subject=first.term)
            else:
                how = "the same definition" if text else "no definition"
                message = (f"glossary term `{entry.term}` is defined again with {how} "
                           f"(first defined at {_at(project, first.path, first.line)}); remove one")
                yield Violation(span, message, subject=first.term, severity=Severity.INFO)


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
    usage = term_usage(project)
    used = {id(o.entry) for o in usage.occurrences if not o.in_glossary}
    used.update(id(r.entry) for r in usage.refs if r.entry is not None and not r.in_glossary)
    for entry in glossary.terms:
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
    for occurrence in usage.occurrences:
        acronym = acronyms.get(id(occurrence.entry))
        if acronym is None or occurrence.in_glossary:
            continue
        scope = (id(occurrence.entry), occurrence.unit.index if per_unit else 0)
        if scope in done:
            continue
        kind = _classify(acronym, occurrence)
        if kind == "intro":
            done.add(scope)
        elif kind == "bare" and occurrence.kind != "heading":
            done.add(scope)
            first_bare[scope] = occurrence
    for scope, first in first_bare.items():
        acronym = acronyms[scope[0]]
        later = _first_intro_after(acronym, first, usage.uses(acronym.entry), per_unit)
        written = first.match.text
        if later is not None:
            message = (f"acronym `{written}` is used before it is expanded; its first expansion comes later, "
                       f"at {_at(project, later.doc.path, later.span.line)}")
        else:
            message = (f"acronym `{written}` is never expanded{' in this chapter' if per_unit else ''}; write "
                       f"\"{acronym.expansions[0]} ({acronym.name})\" at its first use")
        yield Violation(first.span, message, subject=acronym.name)


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
    for occurrence in usage.occurrences:
        if occurrence.bold and not occurrence.in_glossary and occurrence.unit.path in index_of:
            index = occurrence.unit.index
            key = id(occurrence.entry)
            if key not in introduced or index < introduced[key][0]:
                introduced[key] = (index, f"its bold definition at {_at(project, occurrence.doc.path, occurrence.span.line)}")
    ignored = {normalize_term(str(t)) for t in options.get("ignore", [])}
    reported: set[int] = set()
    for occurrence in usage.occurrences:
        key = id(occurrence.entry)
        if key in reported or key not in introduced or occurrence.in_glossary or occurrence.bold:
            continue
        if occurrence.kind == "heading" or occurrence.entry.key in ignored:
            continue
        if occurrence.unit.path not in index_of:
            continue
        index, how = introduced[key]
        if occurrence.unit.index < index:
            reported.add(key)
            chapter = _rel(project, unit_of[index].path)
            message = (f"`{occurrence.match.text}` is used here, before {chapter}, the chapter that defines the "
                       f"glossary term `{occurrence.entry.term}` ({how})")
            yield Violation(occurrence.span, message, subject=occurrence.entry.term)


RULES = [
    non_canonical_term,
    conflicting_glossary_entries,
    unknown_glossary_term,
    unused_glossary_entry,
    acronym_not_expanded,
    term_used_before_definition,
]
