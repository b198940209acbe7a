"""XR: cross-references that do not resolve, clash, cannot be referenced, or use foreign syntax."""

from __future__ import annotations

import bisect
import difflib
from functools import cache, lru_cache, partial
import re
from typing import Any, Iterator

from mlsys_lint.elements import Condition, Label, format_is
from mlsys_lint.file_facts import per_file
from mlsys_lint.files import relative
from mlsys_lint.model import Violation
from mlsys_lint.numbering import numbers_by_chapter
from mlsys_lint.plugin import Option, rule
from mlsys_lint.project import Project
from mlsys_lint.xref import (
    CrossRef,
    Definition,
    Namespace,
    bibliography_keys,
    crossref_type,
    namespaces,
    output_formats,
    site,
)

_TAGS = ("crossref",)
_NOT_LATEX = ("html", "epub", "docx", "typst", "revealjs", "gfm")
_TEX_REFS = {"ref", "autoref", "cref", "Cref", "pageref", "eqref", "nameref", "label"}
_BOOKDOWN_TYPES = {"fig": "fig", "tab": "tbl", "tbl": "tbl", "eq": "eq", "sec": "sec", "lst": "lst", "thm": "thm",
                   "lem": "lem", "cor": "cor", "prp": "prp", "def": "def", "exm": "exm", "exr": "exr"}
_FOREIGN_KEY = re.compile(r"(fig|tab|tbl|eq|sec|lst):(\S+)$")
_BOOKDOWN_REF = re.compile(r"ref\(([^()\s]+)\)")
_HARD_CODED = re.compile(r"(Figures?|Fig\.|Tables?|Listings?)[ \u00a0]+(\d+(?:\.\d+)*[a-z]?)\b")
"""Without a leading ``\\b``, which makes `re` try every position (six times slower): `_hard_coded` checks it."""
_WORD_CHAR = re.compile(r"\w")
_HARD_CODED_TYPE = {"fig": "fig", "tab": "tbl", "lis": "lst"}
_EXTERNAL = re.compile(  # "Figure 2 of …", "Figures 2 and 3 in …", "Figure 5 by Szegedy et al.", "…, adapted from"
    r"[ \t\n]+(?:(?:and|to|&|–|-)[ \t\n]+\d+(?:\.\d+)*[a-z]?[ \t\n]+)?(?:of|in|from|by)\b"
    r"|[ \t\n]*[,(][ \t\n]*(?:adapted|reproduced|reprinted|redrawn|modified|taken|courtesy)\b", re.I)
_CITATION_GAP = re.compile(r"[\s,;:()\[\]'\u2019s]{0,6}")
"""What may stand between a hard-coded number and a citation next to it (``Figure 5 [@key]``, ``[@key, Figure 5]``)."""
_PROSE_KINDS = ("paragraph", "list", "footnote", "definition")
_SUGGESTED_PREFIX = {"image": "fig", "heading": "sec", "table-caption": "tbl", "equation": "eq"}


# -- XR001 ---------------------------------------------------------------------------


@rule("XR001", "unresolved-reference", "error", tags=_TAGS)
def unresolved_reference(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A cross-reference whose label is not defined where Quarto looks for it.

    ## What it does
    Resolves every ``@key`` whose prefix is a cross-reference type (``fig``, ``tbl``,
    ``sec``, ``eq``, ``lst``, the theorem and callout types, and custom types from
    ``crossref: custom:``) against the labels of its namespace: the whole book (all
    chapters, included files where they are included), or the page itself in a website
    or for loose files. Only the first character of the key is case-folded, as in
    Quarto. A label that exists only in conditional content (``.content-visible
    when-format="html"``) does not resolve a reference shown in other formats.
    The message names the closest existing label when the key looks like a typo, and
    every format where a label shown only in some formats is missing. A website page's
    references to labels that other pages define are one finding per page and label type,
    listing each label and the page that defines it.
    Citation keys (``@smith2020``) are left to the bibliography.

    ## Why is this bad?
    Quarto prints a bold ``?@fig-x`` in the output, warns only while rendering, and
    still exits successfully.

    ## Example
    ```markdown
    ![Roofline model.](roofline.png){#fig-roofline}

    As @fig-rooflin shows, …
    ```

    ## Use instead
    ```markdown
    ![Roofline model.](roofline.png){#fig-roofline}

    As @fig-roofline shows, …
    ```
    """
    bib = bibliography_keys(project)
    elsewhere = _definitions_by_page(project)
    for space in namespaces(project):
        cross_page: dict[str, list[CrossRef]] = {}
        suggest = cache(partial(_suggestion, space))  # a missing label is often referred to many times
        pages = space.kind == "page"  # references to other pages are gathered from all of the page
        for ref in space.references:
            reported = project.is_target(ref.reference.source.path)
            if not reported and not pages:
                continue
            definitions = space.lookup(ref.key)
            if not definitions:
                if ref.reference.key in bib:
                    continue
                if pages and ref.key in elsewhere and suggest(ref.key) is None:
                    cross_page.setdefault(ref.type, []).append(ref)
                    continue
                if reported:  # the suggestion costs; other files are not reported
                    yield Violation(ref.span, _unresolved_message(space, ref, suggest(ref.key)), subject=ref.key)
                continue
            if not reported:
                continue
            missing = _formats_without(ref.reference.condition, definitions, output_formats(project, ref.unit))
            if missing:
                shown = " or ".join(sorted({_shown_for(d.condition) for d in definitions}))
                yield Violation(ref.span, f"`@{ref.reference.key}` does not resolve in {', '.join(missing)} output: "
                                          f"`{ref.key}` is defined only in content shown {shown}", subject=ref.key)
        for kind, refs in cross_page.items():
            yield Violation(refs[0].span, _cross_page_message(project, kind, refs, elsewhere), subject=refs[0].key)


def _unresolved_message(space: Namespace, ref: CrossRef, suggestion: str | None) -> str:
    message = f"`@{ref.reference.key}` does not resolve: no label `{ref.key}` in {space.describe()}"
    return f"{message} (did you mean @{suggestion}?)" if suggestion else message


def _definitions_by_page(project: Project) -> dict[str, Definition]:
    """Each label of a website's pages → its first definition (for references from other pages)."""
    found: dict[str, Definition] = {}
    if project.is_book:
        return found
    for space in namespaces(project):
        if space.kind == "page":
            for ident, definitions in space.definitions.items():
                found.setdefault(ident, definitions[0])
    return found


_LISTED = 8
"""Labels named in one cross-page finding; the rest are counted."""


def _cross_page_message(project: Project, kind: str, refs: list[CrossRef], elsewhere: dict[str, Definition]) -> str:
    """One finding for every reference of a page to `kind-` labels that other pages define."""
    uses: dict[str, int] = {}
    for ref in refs:
        uses[ref.key] = uses.get(ref.key, 0) + 1
    listed = [f"`{key}` ({site(elsewhere[key], project.root)}{f', {count} references' if count > 1 else ''})"
              for key, count in list(uses.items())[:_LISTED]]
    if len(uses) > _LISTED:
        listed.append(f"and {len(uses) - _LISTED} more")
    first = elsewhere[refs[0].key]
    target = f"{relative(first.path, project.root, max_up=0)}#{first.id}"
    count = f"{len(refs)} reference{'s' if len(refs) != 1 else ''}"
    return (f"{count} to `{kind}-` labels defined on other pages do not resolve, because Quarto resolves "
            f"cross-references only within a page of a website: {', '.join(listed)}; link to the page instead, "
            f"e.g. `[…]({target})`")


@lru_cache(maxsize=4096)
def _close_spelling(key: str, candidates: tuple[str, ...]) -> str | None:
    # A ratio of 0.8 needs lengths within a quarter of each other: skip the rest cheaply.
    near = [ident for ident in candidates if abs(len(ident) - len(key)) * 4 <= len(key) + len(ident)]
    if not near:
        return None
    close = difflib.get_close_matches(key, near, n=1, cutoff=0.8)
    return close[0] if close else None


def _suggestion(space: Namespace, key: str) -> str | None:
    """The label the author probably meant: same letters in another case, or a close spelling."""
    same = space.label_ignoring_case(key)
    if same is not None:
        return same
    head = re.split(r"[.:]", key, maxsplit=1)[0]
    if head != key and space.lookup(head):
        return head
    return _close_spelling(key, space.labels_with_prefix(key.split("-", 1)[0].lower()))


def _profiles(*conditions: Condition) -> set[str]:
    names = {"", "other"}
    for condition in conditions:
        names.update(v for _, attribute, values in condition.clauses if attribute.endswith("profile") for v in values)
    return names


def _formats_without(where: Condition, definitions: list[Definition], formats) -> list[str]:
    """Output formats that show the reference but none of the definitions with it."""
    if not where.clauses and all(not d.condition.clauses for d in definitions):
        return []
    profiles = _profiles(where, *(d.condition for d in definitions))
    missing = []
    for fmt in sorted(formats):
        shown = [p for p in profiles if where.visible(fmt, p)]
        if shown and not any(d.condition.visible(fmt, p) for d in definitions for p in shown):
            missing.append(fmt)
    return missing


def _shown_for(condition: Condition) -> str:
    parts = []
    for visible, attribute, values in condition.clauses:
        verb = attribute.split("-")[0] if visible else {"when": "unless", "unless": "when"}[attribute.split("-")[0]]
        parts.append(f"{verb} {attribute.split('-')[1]} is {'/'.join(values)}")
    return " and ".join(parts) or "always"


# -- XR002 ---------------------------------------------------------------------------


@rule("XR002", "duplicate-label", "error", tags=_TAGS)
def duplicate_label(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """The same label defined more than once in a namespace.

    ## What it does
    Reports every definition of a label that is defined again in the same namespace
    (a whole book, or one page of a website), and names the other definition sites.
    Included files count where they are included. Definitions in mutually exclusive
    conditional content (one in ``.content-visible when-format="html"``, the other in
    ``when-format="pdf"``) are not duplicates.

    ## Why is this bad?
    Quarto numbers both, silently keeps one for references, and every ``@label``
    points at whichever it kept.

    ## Example
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [memory.qmd, limits.qmd]
    ```

    ```{.markdown filename="memory.qmd"}
    ![Memory hierarchy.](mem.png){#fig-memory}
    ```

    ```{.markdown filename="limits.qmd"}
    ![Memory wall.](wall.png){#fig-memory}
    ```

    ## Use instead
    Give each its own label:

    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [memory.qmd, limits.qmd]
    ```

    ```{.markdown filename="memory.qmd"}
    ![Memory hierarchy.](mem.png){#fig-memory-hierarchy}
    ```

    ```{.markdown filename="limits.qmd"}
    ![Memory wall.](wall.png){#fig-memory-wall}
    ```
    """
    for space in namespaces(project):
        for ident, definitions in space.definitions.items():
            if len(definitions) < 2:
                continue
            for definition in definitions:
                others = [o for o in definitions if o is not definition
                          and not definition.condition.exclusive_with(o.condition)]
                if others:
                    sites = ", ".join(_site(project, o, definition.path) for o in others)
                    yield Violation(definition.span, f"label `{ident}` is defined {len(others) + 1} times in "
                                                     f"{space.describe()}; also defined at {sites}", subject=ident)


def _site(project: Project, definition: Definition, here: str) -> str:
    where = site(definition, project.root, here)
    if definition.path != definition.unit.path:
        where += f" (included in {relative(definition.unit.path, project.root, max_up=0)})"
    return where


# -- XR003 ---------------------------------------------------------------------------


@rule("XR003", "invalid-label", "warning", tags=_TAGS,
      options=[Option("forbid-underscore", bool, False, "also report labels with `_` in them (`fig-my_plot`)")])
def invalid_label(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A label that Quarto cannot cross-reference as written.

    ## What it does
    Reports:

    - labels with upper-case letters (``{#fig-Roofline}``; Quarto requires lower case);
    - ids with the type joined by ``_`` or ``:`` (``{#fig_roofline}``, pandoc-crossref's
      ``{#fig:roofline}``): not cross-reference labels at all;
    - an id without a type prefix that the text cites with ``@`` (``{#roofline}`` and
      ``@roofline``): the citation goes to the bibliography;
    - ``{#fig-x}`` separated by a space from the image it should label;
    - an inline image carrying ``#fig-x`` (it shares its paragraph with text, so it is
      not a figure);
    - a line starting with ``(@fig-x)``, which Pandoc reads as an example-list label;
    - a bibliography key with a type prefix (``@sec-act`` in ``references.bib``),
      which Quarto takes for a cross-reference.

    ## Why is this bad?
    Each of these renders as ``?@label``, as literal text, or as a citation, instead of
    a numbered reference.

    ## Example
    ```markdown
    ![Roofline model.](roofline.png) {#fig-roofline}

    @fig-roofline shows the bound.
    ```

    ## Use instead
    ```markdown
    ![Roofline model.](roofline.png){#fig-roofline}

    @fig-roofline shows the bound.
    ```

    ## Options
    - `forbid-underscore` (default false): also report a label with `_` in it
      (`fig-my_plot`), for house styles (MLSysBook's) that forbid it; Quarto's
      cross-reference guide advises against underscores, which some output formats
      treat specially.
    """
    types = project.crossref_types
    underscore = options.get("forbid-underscore", False)
    for doc in project.reported_documents():
        for label in doc.labels:
            if label.type not in types or label.form == "subcap":
                continue
            if label.id != label.id.lower():
                yield Violation(label.span, f"label `{label.id}` has upper-case letters; Quarto labels must be "
                                            f"lower case (use `{valid_label(label.id)}`)", subject=label.id)
            elif underscore and "_" in label.id:
                yield Violation(label.span, f"label `{label.id}` has `_` in it, which the house style forbids (use "
                                            f"`{label.id.replace('_', '-')}`)", subject=label.id)
        for label in doc.other_ids:
            if label.form == "chunk-name":  # knitr names every chunk; a name is no attempt at a label
                continue
            fixed = _joined_label(label.id, types)
            if fixed is not None:
                yield Violation(label.span, f"`{label.id}` is not a cross-reference label: Quarto needs the type "
                                            f"and a hyphen (`{fixed}`)", subject=label.id)
        for problem in doc.problems:
            if problem.kind in ("detached-attributes", "inline-image-label", "example-list-label") and crossref_type(
                    problem.subject, types):
                yield Violation(doc.source.span(problem.start, problem.end), _problem_message(problem),
                                subject=problem.subject)
    yield from _cited_plain_ids(project)
    yield from _prefixed_bib_keys(project)


def _joined_label(ident: str, types: frozenset[str]) -> str | None:
    """The label meant by an id whose type is joined by ``_`` or ``:`` (``fig_x`` → ``fig-x``), else None."""
    joined = re.match(r"([A-Za-z]+)[_:](.+)", ident)
    if joined and joined.group(1).lower() in types:
        return valid_label(f"{joined.group(1)}-{joined.group(2)}")
    return None


def valid_label(ident: str) -> str:
    """`ident` as a label Quarto can cross-reference: lower case, words joined by single hyphens
    (``fig_AMD_chiplet`` → ``fig-amd-chiplet``)."""
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]+", "-", ident.lower())).strip("-")


def _problem_message(problem) -> str:
    if problem.kind == "detached-attributes":
        return f"`{{#{problem.subject}}}` is separated by a space from what it should label, so it labels nothing"
    if problem.kind == "inline-image-label":
        return (f"image labelled `#{problem.subject}` does not stand alone in a paragraph (it shares one with text, "
                f"or stands in a heading, a table cell or another image), so it is not a figure and `@{problem.subject}` cannot refer to it")
    return f"{problem.message}; `@{problem.subject}` there is not a cross-reference"


def _cited_plain_ids(project: Project) -> Iterator[Violation]:
    """Ids without a type prefix (``#roofline``) that the text cites as ``@roofline``."""
    bib = bibliography_keys(project)
    for space in namespaces(project):
        cited: dict[str, list] = {}
        for ref in space.citations:
            if ref.key in space.other_ids and ref.key not in bib and _joined_label(ref.key, project.crossref_types) is None:
                cited.setdefault(ref.key, []).append(ref)
        for key, refs in cited.items():
            for label in space.other_ids[key]:
                yield Violation(label.span, _plain_id_message(project, label, refs), subject=key)


def _plain_id_message(project: Project, label: Label, refs: list) -> str:
    prefix = _SUGGESTED_PREFIX.get(label.form)
    rename = f"`{valid_label(f'{prefix}-{label.id}')}`" if prefix else "a name with a type prefix such as `fig-`"
    where = site(refs[0].span, project.root, label.source.path)
    more = f" and {len(refs) - 1} more" if len(refs) > 1 else ""
    return (f"`{label.id}` has no cross-reference type prefix, so `@{label.id}` ({where}{more}) is read as a citation; "
            f"rename it {rename}")


def _prefixed_bib_keys(project: Project) -> Iterator[Violation]:
    bib = bibliography_keys(project)
    if not bib:
        return
    for space in namespaces(project):
        for ref in space.references:
            if ref.reference.key in bib and not space.lookup(ref.key):
                yield Violation(ref.span, f"`@{ref.reference.key}` is a bibliography key, but its `{ref.type}-` prefix "
                                          "makes Quarto read it as a cross-reference; rename the key",
                                subject=ref.reference.key)


# -- XR004 ---------------------------------------------------------------------------


@rule("XR004", "foreign-reference-syntax", "warning", tags=_TAGS)
def foreign_reference_syntax(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A reference written the bookdown, pandoc-crossref or LaTeX way, or a hard-coded number.

    ## What it does
    Reports bookdown's ``\\@ref(fig:x)``, raw LaTeX ``\\ref{…}``/``\\autoref{…}``/
    ``\\label{…}`` in Markdown text (not in content shown only in LaTeX output),
    pandoc-crossref's ``@fig:x``, and numbers typed by hand ("see Figure 3.2") in a
    book or page that numbers its figures (tables, listings) through Quarto labels.
    A hard-coded number in another work is not reported: followed by "of", "in", "from"
    or "by", credited ("adapted from …"), or next to a citation (``Figure 5 [@key]``,
    ``[@key, Figure 5]``), or not in the book's own numbering form: a book numbers by
    chapter ("Figure 3.1", Quarto's ``crossref: chapters: true``, which its book
    project sets), so "Figures 1-3" there mean another work; a website or an article
    numbers "Figure 1".

    ## Why is this bad?
    Quarto does not resolve these: they print literally, vanish in HTML, go to the
    bibliography, or go stale the moment a figure is added before them.

    ## Example
    ```markdown
    As Figure \\@ref(fig:roofline) shows, … (see also Figure 3.2)
    ```

    ## Use instead
    ```markdown
    As @fig-roofline shows, … (see also @fig-memory)
    ```
    """
    bib = bibliography_keys(project)
    for space in namespaces(project):
        numbered = {d.type for definitions in space.definitions.values() for d in definitions if d.float is not None}
        types = project.crossref_types
        for unit in space.units:
            latex_only = all(format_is(fmt, "latex") for fmt in output_formats(project, unit))
            by_chapter = numbers_by_chapter(project, unit.document.front_matter)
            for doc in unit.documents:
                if not project.is_target(doc.path):
                    continue
                yield from _bookdown_refs(doc)
                if not latex_only:
                    yield from _tex_refs(doc, types)
                yield from _hard_coded_numbers(project, doc, frozenset(numbered), types, by_chapter)
        for ref in space.citations:
            if not project.is_target(ref.source.path):
                continue
            match = _FOREIGN_KEY.match(ref.key)
            if match and ref.key not in bib:
                quarto = f"{_BOOKDOWN_TYPES.get(match.group(1), match.group(1))}-{match.group(2)}"
                yield Violation(ref.span, f"`@{ref.key}` is pandoc-crossref syntax, which Quarto reads as a citation; "
                                          f"use `@{quarto}`", subject=ref.key)


def _bookdown_refs(doc) -> Iterator[Violation]:
    if "\\@ref(" not in doc.source.text:
        return
    text, masked = doc.source.text, doc.masked
    for match in _BOOKDOWN_REF.finditer(masked):
        start = match.start() - 2
        if start < 0 or text[start:match.start()] != "\\@":
            continue
        target = match.group(1)
        kind, _, name = target.partition(":")
        quarto = f"{_BOOKDOWN_TYPES.get(kind, kind)}-{name}" if name else f"sec-{target}"
        yield Violation(doc.source.span(start, match.end()), f"`\\@ref({target})` is bookdown syntax, which Quarto "
                                                             f"prints literally; use `@{quarto}`", subject=target)


def _tex_refs(doc, types) -> Iterator[Violation]:
    for tex in doc.raw_tex:
        if tex.command not in _TEX_REFS or _latex_only(tex.condition):
            continue
        target = tex.argument.rsplit("{", 1)[-1]
        kind, sep, name = target.partition(":")
        if sep and kind in _BOOKDOWN_TYPES:
            quarto = f"{_BOOKDOWN_TYPES[kind]}-{name}"
        elif crossref_type(target, types):
            quarto = target
        else:
            quarto = None
        if quarto is None:
            advice = "give the target a Quarto label such as `#tbl-…` and refer to it with `@`"
        elif tex.command == "label":
            advice = f"label the element with `{{#{quarto}}}`"
        else:
            advice = f"use `@{quarto}`"
        yield Violation(doc.source.span(tex.start, tex.end), f"raw LaTeX `\\{tex.command}{{{target}}}` is dropped from "
                                                             f"HTML and unknown to Quarto's cross-references; {advice}",
                        subject=target)


def _latex_only(condition: Condition) -> bool:
    """Content shown only in LaTeX/PDF output, where raw LaTeX is at home."""
    if not condition.clauses:
        return False
    return not any(condition.visible(fmt, profile) for fmt in _NOT_LATEX for profile in _profiles(condition))


def _hard_coded_numbers(project: Project, doc, numbered: frozenset[str], types: frozenset[str],
                        by_chapter: bool) -> list[Violation]:
    """`_hard_coded`, kept per file (`mlsys_lint.file_facts`): it reads `doc` and its arguments alone."""
    if not numbered:
        return []
    fingerprint = f"{','.join(sorted(numbered))};{','.join(sorted(types))};{by_chapter}"
    size = len(doc.source.text)

    def valid(rows: Any) -> bool:
        return isinstance(rows, list) and all(
            type(row) is list and len(row) == 3 and type(row[0]) is int and type(row[1]) is int
            and 0 <= row[0] < row[1] <= size and row[2] in _NOUN for row in rows)

    def violations(rows: list[list]) -> list[Violation]:
        text = doc.source.text
        return [Violation(doc.source.span(start, end), f"hard-coded \"{text[start:end]}\" goes stale when "
                          f"{_NOUN[kind]}s move; refer to the label with `@{kind}-…`", subject=text[start:end])
                for start, end, kind in rows]

    def search(doc) -> tuple[list[list], list[Violation]]:
        rows = [[start, end, kind] for start, end, kind in _hard_coded(doc, numbered, types, by_chapter)]
        return rows, violations(rows)

    return per_file(project, doc, "hard-coded-numbers", fingerprint, search, valid, violations)


def _hard_coded(doc, numbered: frozenset[str], types: frozenset[str],
                by_chapter: bool) -> Iterator[tuple[int, int, str]]:
    """Numbers typed by hand ("Figure 3.2") for the float types `numbered` in `doc`: start, end, type."""
    citations = [(ref.start, ref.end) for ref in doc.references if crossref_type(ref.key, types) is None]
    masked, text = doc.masked, doc.source.text
    running = _merged([(p.start, p.end) for p in doc.prose if p.kind in _PROSE_KINDS])
    attached = _merged([(p.start, p.end) for p in doc.prose if p.kind in ("alt", "caption")])
    for match in _HARD_CODED.finditer(masked):  # one pass; the few matches are then placed
        if match.start() and _WORD_CHAR.match(masked, match.start() - 1):
            continue
        if not _within(running, match.start(), match.end()) or _within(attached, match.start(), match.start() + 1):
            continue
        kind = _HARD_CODED_TYPE[match.group(1)[:3].lower()]
        if ("." in match.group(2)) != by_chapter:
            continue
        if kind not in numbered or _external_or_quoted(text, masked, match) or _cited(text, match, citations):
            continue
        yield match.start(), match.end(), kind


_NOUN = {"fig": "figure", "tbl": "table", "lst": "listing"}


def _merged(spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """`spans` as sorted, disjoint ``(starts, ends)`` (overlapping and nested ones joined)."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(spans):
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _within(merged: tuple[list[int], list[int]], start: int, end: int) -> bool:
    starts, ends = merged
    index = bisect.bisect_right(starts, start) - 1
    return index >= 0 and end <= ends[index]


def _cited(text: str, match: re.Match, citations: list[tuple[int, int]]) -> bool:
    """A number next to a citation (``Figure 5 [@key]``, ``@key, Figure 5``) or inside a citation's
    brackets (``[see @key, Figure 5]``) is a locator in another work."""
    opening = text.rfind("[", 0, match.start())
    bracket = opening != -1 and "]" not in text[opening:match.start()] and "\n\n" not in text[opening:match.start()]
    for start, end in citations:
        if bracket and opening < start < match.start():
            return True
        after = text[match.end():start] if start >= match.end() else None
        before = text[end:match.start()] if end <= match.start() else None
        for gap in (after, before):
            if gap is not None and _CITATION_GAP.fullmatch(gap):
                return True
    return False


def _external_or_quoted(text: str, masked: str, match: re.Match) -> bool:
    """A number in another work ("Figure 2 of …"), inside quotes, or in a block quote."""
    if _EXTERNAL.match(masked, match.end()):
        return True
    line_start = text.rfind("\n", 0, match.start()) + 1
    if text[line_start:match.start()].lstrip().startswith(">"):
        return True
    before = masked[line_start:match.start()]
    return before.count('"') % 2 == 1 or before.count("\u201c") > before.count("\u201d")


RULES = [unresolved_reference, duplicate_label, invalid_label, foreign_reference_syntax]
