"""FIG, TBL, LST: the narrative around floats: referred to, before they appear, from the text."""

from __future__ import annotations

from typing import Any, Iterator

from mlsys_lint.model import Related, Violation
from mlsys_lint.plugin import Advice, Option, rule
from mlsys_lint.project import Project
from mlsys_lint.xref import CrossRef, FloatEntry, Namespace, namespaces, site, top_level

_NOUN = {"fig": "figure", "tbl": "table", "lst": "listing"}
_PARAGRAPHS = ("paragraph", "list")
_ALLOWANCE = Option("allow-following-paragraphs", int, 0,
                    "How many paragraphs after the float may hold its first reference (0: it must come before).")


def labelled_floats(project: Project, kind: str) -> Iterator[tuple[Namespace, FloatEntry]]:
    """Every labelled top-level float of `kind`, in reading order, with its namespace."""
    for space in namespaces(project):
        for entry in space.floats:
            if entry.float.type == kind and top_level(entry):
                yield space, entry


def _shown_before_reference(project: Project, kind: str, allowance: int) -> Iterator[Violation]:
    for space, entry in labelled_floats(project, kind):
        if not project.is_target(entry.float.source.path):
            continue
        refs = space.outside_references(entry)
        if not refs or refs[0].order < entry.order:
            continue
        first = refs[0]
        distance = _paragraphs_before(project, entry, first)
        if allowance and distance <= allowance:
            continue
        where = site(first, project.root, entry.float.source.path)
        if distance == 1:
            message = (f"{_NOUN[kind]} `{entry.label}` is shown before the text refers to it: its first reference, "
                       f"`@{first.reference.key}`, is in the next paragraph ({where}); refer to it before the "
                       f"{_NOUN[kind]}, or set `allow-following-paragraphs: 1` for this house style")
        else:
            message = (f"{_NOUN[kind]} `{entry.label}` is shown before the text refers to it; its first reference, "
                       f"`@{first.reference.key}`, comes later at {where}")
        yield Violation(entry.definition.span, message, subject=entry.label,
                        related=(Related(first.span, f"the first reference comes after the {_NOUN[kind]}"),))


def _paragraphs_before(project: Project, entry: FloatEntry, ref: CrossRef) -> int:
    """How many paragraphs after the float the reference stands in (a large number if elsewhere)."""
    path = entry.float.source.path
    if ref.reference.source.path != path or ref.unit is not entry.unit:
        return 1 << 30
    doc = project.documents[path]
    end, at = entry.float.end, ref.offset
    return len({p.block for p in doc.prose if p.kind in _PARAGRAPHS and end <= p.start <= at})


@rule("FIG001", "figure-shown-before-reference", "warning", tags=("figures", "order"), options=[_ALLOWANCE])
def figure_shown_before_reference(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A figure that appears before the text first refers to it.

    ## What it does
    Finds the first reference to each labelled figure (or to one of its subfigures) in
    reading order: across chapters in `_quarto.yml` order for a book, with included
    files where they are included and a footnote where its marker stands. References
    inside the figure's own caption or div do not count. When that first reference
    comes after the figure, reports the figure and says where the reference is (when
    it is in the very next paragraph, the message names the option that accepts that).
    Figures nobody refers to are FIG002's business.

    ## Why is this bad?
    A reader meets the figure before the text has said what to look for in it; in a
    printed book it can land pages before its discussion.

    ## Example
    ```markdown
    ![Roofline model.](roofline.png){#fig-roofline}

    @fig-roofline shows that the kernel is memory bound.
    ```

    ## Use instead
    ```markdown
    @fig-roofline shows that the kernel is memory bound.

    ![Roofline model.](roofline.png){#fig-roofline}
    ```

    ## Options
    - `allow-following-paragraphs` (default 0): accept a first reference in one of the
      next N paragraphs after the figure, for a house style of "figure, then the
      paragraph that discusses it".
    """
    return _shown_before_reference(project, "fig", options["allow-following-paragraphs"])


@rule("TBL001", "table-shown-before-reference", "warning", tags=("tables", "order"), options=[_ALLOWANCE],
      enabled=False)
def table_shown_before_reference(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A table that appears before the text first refers to it.

    ## What it does
    FIG001 for labelled tables (``{#tbl-x}`` captions, ``#tbl-`` divs, cells with
    ``label: tbl-x``): the first reference in reading order, not counting references
    in the table's own caption, must come before the table. Off by default.

    ## Why is this bad?
    The reader meets the table before the text says why it is there.

    ## Example
    ```markdown
    | a | b |
    |---|---|
    | 1 | 2 |

    : Results. {#tbl-results}

    @tbl-results lists the results.
    ```

    ## Use instead
    Refer to `@tbl-results` before the table.

    ```markdown
    @tbl-results lists the results.

    | a | b |
    |---|---|
    | 1 | 2 |

    : Results. {#tbl-results}
    ```

    ## Options
    - `allow-following-paragraphs` (default 0): as for FIG001.
    """
    return _shown_before_reference(project, "tbl", options["allow-following-paragraphs"])


@rule("LST001", "listing-shown-before-reference", "warning", tags=("listings", "order"), options=[_ALLOWANCE],
      enabled=False)
def listing_shown_before_reference(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A code listing that appears before the text first refers to it.

    ## What it does
    FIG001 for labelled listings (code blocks with ``#lst-x`` and ``lst-cap``, ``#lst-``
    divs, cells with ``lst-label``). Off by default.

    ## Why is this bad?
    The reader meets the code before the text says what it does.

    ## Example
    ````markdown
    ```{#lst-query .sql lst-cap="All customers."}
    SELECT * FROM customers;
    ```

    @lst-query selects every customer.
    ````

    ## Use instead
    Refer to `@lst-query` before the listing.

    ````markdown
    @lst-query selects every customer.

    ```{#lst-query .sql lst-cap="All customers."}
    SELECT * FROM customers;
    ```
    ````

    ## Options
    - `allow-following-paragraphs` (default 0): as for FIG001.
    """
    return _shown_before_reference(project, "lst", options["allow-following-paragraphs"])


_SHARE = Option("min-referenced-share", float, 0.5,
                "below this share of referred-to floats the book numbers them without referring to them: one "
                "project-level finding instead of one per float (0: always one per float)")


def _unreferenced(project: Project, kind: str) -> tuple[list[tuple[Namespace, FloatEntry]], int]:
    """The labelled floats of `kind` nothing refers to, and how many labelled floats of that kind
    there are (one written once per format, in html and pdf blocks, counts once)."""
    unreferenced, seen, labels = [], set(), set()
    for space, entry in labelled_floats(project, kind):
        labels.add((id(space), entry.label))
        if not space.outside_references(entry) and not entry.labels & space.linked and (id(space), entry.label) not in seen:
            seen.add((id(space), entry.label))
            unreferenced.append((space, entry))
    return unreferenced, len(labels)


def _unreferenced_findings(project: Project, kind: str, code: str, options: dict[str, Any]) -> Iterator[Violation]:
    """FIG002, TBL002, LST002: one finding per unreferenced float, or one for the book when it
    refers to fewer than `min-referenced-share` of them."""
    unreferenced, total = _unreferenced(project, kind)
    if not unreferenced:
        return
    noun = _NOUN[kind]
    if len(unreferenced) > 1 and 1 - len(unreferenced) / total < options.get("min-referenced-share", 0.5):
        first = unreferenced[0][1]
        message = (f"{len(unreferenced)} of {total} {noun}s are never referred to: this book numbers {noun}s "
                   f"without referring to them; refer to them or ignore {code} (first: `{first.label}`)")
        yield Violation(first.definition.span, message, subject=f"{noun}s")
        return
    for space, entry in unreferenced:
        own = " (only its own caption mentions it)" if space.self_references(entry) else ""
        yield Violation(entry.definition.span, f"{noun} `{entry.label}` is never referred to{own}", subject=entry.label)


def _habit(kind: str, code: str):
    """The `advise` hook of FIG002, TBL002 and LST002: off for a book that does not refer to them."""

    def advise(project: Project) -> Advice | None:
        unreferenced, total = _unreferenced(project, kind)
        if not total:
            return None
        referred, noun = total - len(unreferenced), _NOUN[kind]
        if referred * 2 < total:
            return Advice(f"the text refers to {referred} of {total} labelled {noun}s: this book numbers {noun}s "
                          f"without referring to them, so {code} is off (take it out of `ignore` when you start "
                          "referring to them)", ignore=True)
        return Advice(f"the text refers to {referred} of {total} labelled {noun}s: {code} reports the others")

    return advise


@rule("FIG002", "unreferenced-figure", "warning", tags=("figures",), advise=_habit("fig", "FIG002"), options=[_SHARE])
def unreferenced_figure(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A labelled figure that nothing refers to.

    ## What it does
    Reports each labelled figure when no reference to it (or to one of its subfigures)
    exists in its namespace outside its own caption and div, and no link points at it
    (``[the diagram](#fig-x)``). A figure that refers only to itself ("compare @fig-x"
    in its own caption) is reported too. A book that refers to fewer than half of its
    figures (`min-referenced-share`) numbers them without referring to them, as a
    habit: it gets one finding, at its first unreferenced figure, instead of one per
    figure.

    ## Why is this bad?
    A figure the text never mentions is either left over from an earlier draft or not
    explained; readers do not know when to look at it.

    ## Example
    ```markdown
    ![Roofline model.](roofline.png){#fig-roofline}
    ```
    and no `@fig-roofline` anywhere.

    ## Use instead
    Introduce it in the text, or remove it.

    ```markdown
    @fig-roofline shows that the kernel is memory bound.

    ![Roofline model.](roofline.png){#fig-roofline}
    ```
    """
    yield from _unreferenced_findings(project, "fig", "FIG002", options)


@rule("FIG003", "figure-referenced-only-in-caption", "info", tags=("figures",))
def figure_referenced_only_in_caption(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A figure referred to only from captions, never from the text.

    ## What it does
    Reports each labelled figure whose references (outside its own caption and div)
    all stand in captions of other floats.

    ## Why is this bad?
    Captions are read after the fact, if at all; the running text never tells the
    reader to look at the figure.

    ## Example
    ```markdown
    ![Roofline model.](roofline.png){#fig-roofline}

    ![Measured kernels, compare @fig-roofline.](kernels.png){#fig-kernels}
    ```

    ## Use instead
    Refer to it from a paragraph:

    ```markdown
    @fig-roofline shows the bound.

    ![Roofline model.](roofline.png){#fig-roofline}

    ![Measured kernels, compare @fig-roofline.](kernels.png){#fig-kernels}
    ```
    """
    for space, entry in labelled_floats(project, "fig"):
        if not project.is_target(entry.float.source.path):
            continue
        refs = space.outside_references(entry)
        if refs and all(ref.in_caption for ref in refs) and not entry.labels & space.linked:
            where = site(refs[0], project.root, entry.float.source.path)
            yield Violation(entry.definition.span, f"figure `{entry.label}` is referred to only from captions "
                                                   f"(first at {where}); refer to it from the text",
                            subject=entry.label,
                            related=tuple(Related(ref.span, "only captions refer to the figure") for ref in refs))


@rule("TBL002", "unreferenced-table", "warning", tags=("tables",), advise=_habit("tbl", "TBL002"), options=[_SHARE])
def unreferenced_table(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A labelled table that nothing refers to.

    ## What it does
    FIG002 for tables: reports each table labelled `#tbl-` (a captioned Markdown table, a
    table div, a cell with `label: tbl-…`) when nothing in its namespace refers to it
    outside its own caption, and no link points at it. References from other pages of a
    website, to a sub-table, or from conditional content count as FIG002's do. A book
    that refers to fewer than half its tables (`min-referenced-share`) gets one finding.

    ## Why is this bad?
    A numbered table the text never mentions is left over from a draft, or the reader is
    not told what to read in it.

    ## Example
    ```markdown
    | Level | Capacity |
    |-------|---------:|
    | SRAM  |    32 MB |

    : Memory levels. {#tbl-levels}
    ```

    ## Use instead
    ```markdown
    @tbl-levels lists the capacity of each level.

    | Level | Capacity |
    |-------|---------:|
    | SRAM  |    32 MB |

    : Memory levels. {#tbl-levels}
    ```
    """
    yield from _unreferenced_findings(project, "tbl", "TBL002", options)


@rule("LST002", "unreferenced-listing", "warning", tags=("listings",), advise=_habit("lst", "LST002"), options=[_SHARE])
def unreferenced_listing(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A labelled listing that nothing refers to.

    ## What it does
    FIG002 for listings: reports each code listing labelled `#lst-` (a code block with
    `lst-cap`, a listing div, a cell with `lst-label`) that nothing in its namespace
    refers to, with FIG002's reasons to stay quiet and its book-level summary.

    ## Why is this bad?
    A numbered listing the text never introduces leaves the reader to guess why the code
    is there.

    ## Example
    ````markdown
    ```{#lst-query .sql lst-cap="All runs."}
    SELECT * FROM runs;
    ```
    ````

    ## Use instead
    ````markdown
    @lst-query reads every run.

    ```{#lst-query .sql lst-cap="All runs."}
    SELECT * FROM runs;
    ```
    ````
    """
    yield from _unreferenced_findings(project, "lst", "LST002", options)


RULES = [figure_shown_before_reference, unreferenced_figure, figure_referenced_only_in_caption,
         unreferenced_table, unreferenced_listing,
         table_shown_before_reference, listing_shown_before_reference]
