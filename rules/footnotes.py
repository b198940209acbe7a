"""FN: footnote markers and definitions, read the way Pandoc reads them.

Scope is Pandoc's: one run per rendered file with its includes expanded (an HTML book
renders each chapter on its own), or the whole book when it builds only formats that
merge the chapters (`Project.footnote_scopes`).  FN005 compares chapters of a book that
builds both kinds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from mlsys_lint.elements import Condition, Float, FootnoteDef, FootnoteRef, Text, format_is
from mlsys_lint.model import Fix, Severity, Violation
from mlsys_lint.plugin import rule
from mlsys_lint.project import FootnoteScope, Project, nested_note
from mlsys_lint.xref import output_formats

_TAGS = ("footnotes",)
_CONTAINERS = {"list": "a list item", "blockquote": "a block quote"}


def _once(violations: Iterator[tuple[Any, Violation]]) -> Iterator[Violation]:
    """Drop repeats: a file included by two chapters is seen once per chapter."""
    seen: set[tuple[str, int, int]] = set()
    for element, violation in violations:
        key = (element.source.path, element.start, element.end)
        if key not in seen:
            seen.add(key)
            yield violation


def _reported(project: Project, scopes: list[FootnoteScope]) -> Iterator[tuple[int, FootnoteScope]]:
    """The scopes, numbered, that hold a file whose findings are reported."""
    for number, scope in enumerate(scopes):
        if project.reports_any(scope.units):
            yield number, scope


def _where(element: FootnoteDef | FootnoteRef, relative_to: FootnoteDef | FootnoteRef) -> str:
    """``line 12`` in the same file, else ``intro.qmd:12``."""
    line = element.span.line
    if element.source.path == relative_to.source.path:
        return f"line {line}"
    return f"{Path(element.source.path).name}:{line}"


def _first_by_id(project: Project, scopes: list[FootnoteScope], attribute: str) -> dict[str, list[tuple[int, Any]]]:
    """For a book split into several scopes: id → ``(scope number, first element)`` per scope.

    Used for hints ("defined in another chapter"); empty when there is one scope per book.
    """
    found: dict[str, list[tuple[int, Any]]] = {}
    if not project.is_book or len(scopes) < 2:
        return found
    for number, scope in enumerate(scopes):
        for element in getattr(scope, attribute):
            if attribute == "refs" and nested_note(element):
                continue
            entries = found.setdefault(element.id, [])
            if not entries or entries[-1][0] != number:
                entries.append((number, element))
    return found


def _elsewhere(index: dict[str, list[tuple[int, Any]]], number: int, ident: str) -> Any:
    """The first element with `ident` in a scope other than `number`, or None."""
    return next((element for other, element in index.get(ident, ()) if other != number), None)


# -- FN001 ------------------------------------------------------------------------------


@rule("FN001", "undefined-footnote", "error", tags=_TAGS)
def undefined_footnote(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A footnote marker ``[^id]`` that Pandoc cannot resolve.

    ## What it does
    Reports a ``[^id]`` marker with no definition ``[^id]: …`` in the same document (the
    rendered file with its includes expanded; each chapter of an HTML book is rendered on
    its own), and a marker inside the text of another footnote's definition, which
    Pandoc never resolves because notes do not nest.

    Not markers: ``[^id]`` inside code, math, HTML comments or link targets, an id with a
    space (``[^my note]``), an inline note ``^[text]``. A definition glued to the
    paragraph above is reported by FN006 instead.

    ## Why is this bad?
    Pandoc prints the marker literally, ``[^id]``, without a warning.

    ## Example
    ```markdown
    TPUs use systolic arrays.[^fn-tpu]

    [^fn-tpuu]: A grid of multiply-accumulate units.
    ```

    ## Use instead
    ```markdown
    TPUs use systolic arrays.[^fn-tpu]

    [^fn-tpu]: A grid of multiply-accumulate units.
    ```
    Text meant literally (a regular expression such as ``[^0-9]``) belongs in backticks.
    """

    def check() -> Iterator[tuple[Any, Violation]]:
        scopes = project.footnote_scopes()
        definitions = _first_by_id(project, scopes, "definitions")
        for number, scope in _reported(project, scopes):
            winners = scope.winners()
            glued = {definition.id: definition for definition in scope.glued}
            for ref in scope.refs:
                if nested_note(ref):
                    message = (f"footnote `[^{ref.id}]` stands in the text of footnote `[^{ref.in_note}]`; Pandoc does "
                               "not nest notes and prints it literally")
                elif ref.id in winners or ref.id in glued:
                    continue
                else:
                    message = f"footnote `[^{ref.id}]` has no definition, so Pandoc prints it literally"
                    other = _elsewhere(definitions, number, ref.id)
                    if other is not None:
                        message += (f" (it is defined in {_where(other, ref)}, but each chapter is rendered on its "
                                    "own in HTML)")
                yield ref, Violation(ref.span, message, ref.id)

    return _once(check())


# -- FN002 ------------------------------------------------------------------------------


@rule("FN002", "unused-footnote", "warning", tags=_TAGS)
def unused_footnote(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A footnote definition that no marker refers to.

    ## What it does
    Reports a definition ``[^id]: …`` whose id no ``[^id]`` marker uses in the same
    document (the rendered file with its includes expanded). A marker inside another
    note's text counts as a use, as it does for Pandoc. When an id is defined twice, the
    definition Pandoc keeps (the last) is the one reported.

    ## Why is this bad?
    Pandoc warns "Note with key … defined … but not used" and drops the note: its text
    never appears. Usually the marker was deleted or misspelt.

    ## Example
    ```markdown
    TPUs use systolic arrays.

    [^fn-tpu]: A grid of multiply-accumulate units.
    ```

    ## Use instead
    ```markdown
    TPUs use systolic arrays.[^fn-tpu]

    [^fn-tpu]: A grid of multiply-accumulate units.
    ```
    """

    def check() -> Iterator[tuple[Any, Violation]]:
        scopes = project.footnote_scopes()
        refs = _first_by_id(project, scopes, "refs")
        for number, scope in _reported(project, scopes):
            used = scope.used()
            for ident, definition in scope.winners().items():
                if ident in used:
                    continue
                message = f"footnote `[^{ident}]` is defined but never referenced, so Pandoc drops it"
                other = _elsewhere(refs, number, ident)
                if other is not None:
                    message += (f" (it is referenced in {_where(other, definition)}, but each chapter is rendered on "
                                "its own in HTML)")
                yield definition, Violation(definition.span, message, ident)

    return _once(check())


# -- FN003 ------------------------------------------------------------------------------


@rule("FN003", "duplicate-footnote", "error", tags=_TAGS)
def duplicate_footnote(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """The same footnote id defined twice in one document.

    ## What it does
    Reports every definition of an id after the first in the same document (the
    rendered file with its includes expanded, in reading order).

    ## Why is this bad?
    Pandoc warns "Duplicate note reference" and keeps only the last definition: every
    marker of that id shows the later text, and the earlier text is lost.

    ## Example
    ```markdown
    Quantization[^fn-q] and pruning[^fn-q] shrink models.

    [^fn-q]: Fewer bits per weight.

    [^fn-q]: Fewer weights.
    ```

    ## Use instead
    ```markdown
    Quantization[^fn-quant] and pruning[^fn-prune] shrink models.

    [^fn-quant]: Fewer bits per weight.

    [^fn-prune]: Fewer weights.
    ```
    """

    def check() -> Iterator[tuple[Any, Violation]]:
        for _, scope in _reported(project, project.footnote_scopes()):
            first: dict[str, FootnoteDef] = {}
            for definition in scope.definitions:
                earlier = first.setdefault(definition.id, definition)
                if earlier is definition:
                    continue
                message = (f"footnote `[^{definition.id}]` is defined again (first at {_where(earlier, definition)}); "
                           "Pandoc keeps only the last definition")
                yield definition, Violation(definition.span, message, definition.id)

    return _once(check())


# -- FN004 ------------------------------------------------------------------------------


@rule("FN004", "empty-footnote", "warning", tags=_TAGS)
def empty_footnote(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A footnote definition with no text.

    ## What it does
    Reports a definition ``[^id]:`` with nothing after the colon and no text on the
    following lines. (After a bare ``[^id]:`` Pandoc takes the next line, or the
    paragraph after one blank line, as the note's text; that is not empty.)

    ## Why is this bad?
    The marker becomes an empty note: a number that leads nowhere. Usually a
    placeholder that was never filled in.

    ## Example
    ```markdown
    Roofline models bound throughput.[^fn-roofline]

    [^fn-roofline]:
    ```

    ## Use instead
    ```markdown
    Roofline models bound throughput.[^fn-roofline]

    [^fn-roofline]: Performance is capped by compute or by memory bandwidth.
    ```
    """

    def check() -> Iterator[tuple[Any, Violation]]:
        for _, scope in _reported(project, project.footnote_scopes()):
            for definition in scope.definitions:
                if not definition.body.value:
                    message = f"footnote `[^{definition.id}]` has no text, so Pandoc renders an empty note"
                    yield definition, Violation(definition.span, message, definition.id)

    return _once(check())


# -- FN005 ------------------------------------------------------------------------------


@rule("FN005", "footnote-id-collision", "warning", tags=_TAGS)
def footnote_id_collision(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """The same footnote id defined in two chapters of a book that also builds PDF, EPUB or DOCX.

    ## What it does
    In a book whose formats include one that merges all chapters into one document
    (pdf/latex, epub, docx, odt, typst) as well as HTML, reports each definition of an
    id already defined in an earlier chapter (book order). A book that builds only
    merged formats is one document, where FN003 reports the same thing.

    ## Why is this bad?
    Each HTML page has its own notes, so the book looks right on the web. In the merged
    build the ids share one namespace: Pandoc keeps the last definition, and every
    chapter's marker shows that text (quarto-cli#7894).

    ## Example
    A book built as HTML and PDF whose chapters both use the id `1`:

    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [intro.qmd, training.qmd]
    format:
      html: default
      pdf: default
    ```

    ```{.markdown filename="intro.qmd"}
    Models are trained offline.[^1]

    [^1]: See the appendix.
    ```

    ```{.markdown filename="training.qmd"}
    Training takes days.[^1]

    [^1]: On eight GPUs.
    ```

    ## Use instead
    Book-wide unique ids, for example prefixed with the chapter:

    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [intro.qmd, training.qmd]
    format:
      html: default
      pdf: default
    ```

    ```{.markdown filename="intro.qmd"}
    Models are trained offline.[^intro-appendix]

    [^intro-appendix]: See the appendix.
    ```

    ```{.markdown filename="training.qmd"}
    Training takes days.[^training-gpus]

    [^training-gpus]: On eight GPUs.
    ```
    """
    merged = project.merged_formats()
    if not merged or len(merged) == len(project.formats):
        return
    formats = "/".join(fmt.upper() for fmt in merged)
    first: dict[str, FootnoteDef] = {}
    for unit in project.units:
        in_unit: dict[str, FootnoteDef] = {}
        for definition in project.unit_footnote_scope(unit).definitions:
            in_unit.setdefault(definition.id, definition)
        for ident, definition in in_unit.items():
            earlier = first.setdefault(ident, definition)
            if earlier is definition or (earlier.source.path, earlier.start) == (definition.source.path, definition.start):
                continue
            message = (f"footnote `[^{definition.id}]` is also defined in {_where(earlier, definition)}; in the "
                       f"{formats} build the chapters are merged and only the last definition is kept")
            yield Violation(definition.span, message, definition.id)


# -- FN006 ------------------------------------------------------------------------------


@rule("FN006", "footnote-definition-not-separated", "error", tags=_TAGS, fixable=True)
def footnote_definition_not_separated(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A footnote definition that is not a block of its own.

    ## What it does
    Reports a definition line ``[^id]: …``
    - directly below a paragraph line (no blank line between): Pandoc reads it as part
      of that paragraph;
    - inside a list item or a block quote: Pandoc happens to accept it, but its manual
      says definitions may not stand inside other blocks, and other Markdown tools
      (editors, previewers, linters) do not read it as a definition. Markers to it
      count as resolved (FN001, FN002 agree with Pandoc); this rule flags the placement;
    - between two items of a list: it ends the list, and the items after it form a
      second list.

    ## Why is this bad?
    A glued definition is printed literally, ``[^id]: text``, in the middle of the
    paragraph, and its markers stay unresolved: an error. The other placements are
    fragile or break the list around them, but Pandoc still resolves the note: they
    are warnings.

    ## Example
    ```markdown
    TPUs use systolic arrays.[^fn-tpu]
    [^fn-tpu]: A grid of multiply-accumulate units.
    ```

    ## Use instead
    ```markdown
    TPUs use systolic arrays.[^fn-tpu]

    [^fn-tpu]: A grid of multiply-accumulate units.
    ```
    Definitions at the top level, after the list or quote, separated by blank lines.

    ## Fix safety
    For a glued definition the fix inserts the missing blank line (inside a block
    quote, an empty ``>`` line). It is safe: it only makes Pandoc read the definition
    as the author wrote it. The other placements have no automatic fix.
    """
    for doc in project.reported_documents():
        for definition in doc.footnote_defs:
            if not definition.separated:
                message = (f"footnote definition `[^{definition.id}]:` is glued to the paragraph above, so Pandoc "
                           "prints it literally as part of that paragraph; insert a blank line before it")
                yield Violation(definition.span, message, definition.id, fix=_blank_line_before(definition))
            elif definition.container in _CONTAINERS:
                message = (f"footnote definition `[^{definition.id}]:` inside {_CONTAINERS[definition.container]} "
                           "is not reliably a definition; move it out, after the "
                           f"{'list' if definition.container == 'list' else 'quote'}")
                yield Violation(definition.span, message, definition.id, severity=Severity.WARNING)
        for problem in doc.problems:
            if problem.kind == "footnote-splits-list":
                message = (f"footnote definition `[^{problem.subject}]:` between two list items ends the list; the items "
                           "after it form a second list; move the definition after the list")
                yield Violation(doc.source.span(problem.start, problem.end), message, problem.subject,
                                severity=Severity.WARNING)


def _blank_line_before(definition: FootnoteDef) -> Fix:
    """Insert an empty line (keeping a block quote's ``>``) before the definition's line."""
    line = definition.span.line
    prefix = definition.source.line_text(line)[: definition.span.column - 1].rstrip()
    return Fix("Insert a blank line before the footnote definition", definition.source.path, line, 1, line, 1,
               prefix + "\n")


# -- FN007 ------------------------------------------------------------------------------

_MARGIN_CLASSES = ("column-margin", "aside")
_FLOAT_NAMES = {"fig": "figure", "lst": "listing"}


@rule("FN007", "footnote-lost-in-pdf", "warning", tags=_TAGS + ("pdf",))
def footnote_lost_in_pdf(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    r"""A footnote in a place where Quarto's PDF output does not set it at the foot of the page.

    ## What it does
    In a project that renders LaTeX (``pdf``, ``beamer``, ``latex`` and formats built on
    them), reports a note (``[^id]`` with a definition, or ``^[…]``) in:
    - the caption of a subfigure or other subfloat;
    - the caption of a cross-referenced figure that Quarto does not put in a ``figure``
      environment: ``fig-env`` set to another one, a ``.column-margin``/``.aside`` figure
      (``marginfigure``) or a ``.column-page``/``.column-screen`` one (``figure*``);
    - the caption of a cross-referenced listing (``codelisting``) or custom float type;
    - a callout's title (its ``title`` attribute, or the heading that opens it).

    Quiet for the places where the PDF keeps the note: the caption of an ordinary figure
    (Quarto moves the note out, below), a Markdown table's caption and cells (a
    ``longtable``, which holds notes), a callout's body (Quarto moves it out), and any
    note in content the PDF does not show.

    ## Why is this bad?
    LaTeX cannot set a footnote from inside a float or a box. Pandoc alone writes a note
    in a figure caption as ``\footnotemark`` plus a ``\footnotetext`` after the float, but
    Quarto writes floats itself (``FloatRefTarget``'s LaTeX renderer) and repairs only
    the ``\caption`` of a ``figure`` environment afterwards (``captionFootnoteLineProcessor``
    in ``src/format/pdf/format-pdf.ts``). Everywhere else ``\footnote`` stays inside the
    float: LaTeX drops the note or stops with "Argument of \caption@ydblarg has an extra
    }" (quarto-cli#1141, #6907). In a callout, Quarto lifts notes out of the body because
    they would be set inside the box, but it writes the title separately, so a note
    there stays in the box.

    ## Example
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [index.qmd]
    format: [html, pdf]
    ```

    ```markdown
    ::: {.callout-note}
    ## Roofline[^fn-roofline]

    Bounded by compute or by memory.
    :::

    [^fn-roofline]: Williams, Waterman and Patterson, 2009.
    ```

    ## Use instead
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [index.qmd]
    format: [html, pdf]
    ```

    ```markdown
    ::: {.callout-note}
    ## Roofline

    Bounded by compute or by memory.[^fn-roofline]
    :::

    [^fn-roofline]: Williams, Waterman and Patterson, 2009.
    ```
    Put the note in the running text (or the callout's body) that the caption or title
    belongs to.
    """
    defined = {d.id for doc in project.documents.values() for d in doc.footnote_defs if d.separated}
    for unit in project.all_units:
        latex = [fmt for fmt in output_formats(project, unit) if format_is(fmt, "latex")]
        if not latex:
            continue
        for doc in unit.documents:
            if not project.is_target(doc.path):
                continue
            notes = sorted([(ref.start, ref.end, f"footnote `[^{ref.id}]`") for ref in doc.footnote_refs
                            if ref.id in defined and not nested_note(ref)]
                           + [(note.start, note.end, "inline footnote `^[…]`") for note in doc.inline_notes])
            if not notes:
                continue
            for place, condition, why in _note_traps(doc):
                if not any(condition.visible(fmt, profile) for fmt in latex for profile in ("", "other")):
                    continue
                for start, end, note in notes:
                    if place.start <= start and end <= place.end:
                        yield Violation(doc.source.span(start, end), f"{note} {why}; move it into the text")


def _note_traps(doc) -> Iterator[tuple[Text, Condition, str]]:
    """The captions and titles whose notes Quarto's LaTeX output leaves inside a float or box."""
    for float_ in doc.floats:
        if not float_.label or float_.caption is None:
            continue
        what = f"{_FLOAT_NAMES.get(float_.type, float_.type)} `{float_.label}`"
        if float_.parent is not None:
            yield float_.caption, float_.condition, (f"in the caption of sub{_FLOAT_NAMES.get(float_.type, 'float')} "
                                                     f"`{float_.label}` stays inside the float in the PDF, where "
                                                     "LaTeX drops it or stops with an error")
            continue
        env = _latex_environment(float_)
        if env is not None and env != "figure":
            named = f"its `{env}` float" if float_.type in _FLOAT_NAMES or "fig-env" in float_.attributes else "its float"
            yield float_.caption, float_.condition, (f"in the caption of {what} stays inside {named} in the PDF, "
                                                     "where LaTeX drops it or stops with an error")
    for callout in doc.callouts:
        if callout.title is not None:
            yield callout.title, callout.condition, ("in a callout's title stays inside the callout box in the PDF "
                                                     "(Quarto moves notes out of a callout's body, not its title)")


def _latex_environment(float_: Float) -> str | None:
    """The LaTeX environment of a cross-referenced float as quarto-cli's ``latexFigureEnv``
    chooses it (``fig-env``, margin and full-width classes); None for tables, which Quarto
    writes as a ``longtable`` holding their notes, and for cell output, whose classes the
    manuscript does not show."""
    if float_.type == "tbl" or float_.form in ("cell", "knitr"):
        return None
    if float_.attributes.get("fig-env"):
        return float_.attributes["fig-env"]
    default = {"fig": "figure", "lst": "codelisting"}.get(float_.type, float_.type)
    if any(c in _MARGIN_CLASSES for c in float_.classes):
        return "marginfigure"
    if any(c.startswith(("column-page", "column-screen")) and not c.endswith("-left") for c in float_.classes):
        return default + "*"
    return default


# -- FN008 ------------------------------------------------------------------------------


@rule("FN008", "inline-footnote", "warning", tags=_TAGS + ("style",), enabled=False)
def inline_footnote(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """An inline footnote, `^[…]`, in a house style that writes every note as a reference.

    ## What it does
    Reports each inline note `^[text]` that Pandoc reads as a note (not in code, math,
    comments or raw blocks). Off by default: Pandoc and Quarto accept inline notes; turn
    it on for a house style (MLSysBook's) that wants every note as `[^id]` with a
    definition, which can be reviewed, reused and given a name.

    ## Why is this bad?
    An inline note cannot be referenced twice, has no id to search for, and hides a
    paragraph of text inside a sentence of another.

    ## Example
    ```markdown
    TPUs use systolic arrays.^[A grid of multiply-accumulate units.]
    ```

    ## Use instead
    ```markdown
    TPUs use systolic arrays.[^fn-systolic]

    [^fn-systolic]: A grid of multiply-accumulate units.
    ```
    """
    for doc in project.reported_documents():
        for note in doc.inline_notes:
            yield Violation(note.source.span(note.start, note.end),
                            "inline footnote `^[…]`: the house style writes notes as `[^id]` with a definition")


RULES = [undefined_footnote, unused_footnote, duplicate_footnote, empty_footnote, footnote_id_collision,
         footnote_definition_not_separated, footnote_lost_in_pdf, inline_footnote]
