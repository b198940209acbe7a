"""CAP: captions and alt text of figures, tables and listings.

What counts as a figure (CAP001-CAP004): every float Quarto builds with a ``fig-`` label
(Markdown image, div, cell, diagram, sub-figure), an unlabelled Markdown image alone in
its paragraph whose brackets hold text (Pandoc and Quarto make it a captioned figure),
and an unlabelled cell with ``fig-cap``.  ``![](logo.png)`` alone in a paragraph is not a
figure (an empty-alt, decorative image) and is never reported.  Embedded notebook figures
(``{{< embed nb.ipynb#fig-x >}}``) carry caption and alt text in the notebook.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterator

from mlsys_lint.cells import option_prefix
from mlsys_lint.document import Cell, Document
from mlsys_lint.elements import Float, Text
from mlsys_lint.model import Span, Violation
from mlsys_lint.plugin import Advice, Option, rule
from mlsys_lint.project import Project

PLACEHOLDER_WORDS = (
    "alt", "alt text", "chart", "description", "diagram", "fig", "figure", "fixme", "graph", "graphic",
    "icon", "illustration", "image", "img", "photo", "photograph", "pic", "picture", "placeholder", "plot",
    "screenshot", "tbd", "todo", "untitled", "xxx",
)
_IMAGE_OF = re.compile(
    r"(?:(?:this|it)\s+is\s+)?(?:an?\s+|the\s+)?(?:image|picture|photo|photograph|graphic|pic)\s+(?:of|showing|that\s+shows)\b",
    re.I)
_FILE_NAME = re.compile(r"[\w./\\~-]*\.(?:png|jpe?g|gif|svg|webp|pdf|tiff?|bmp|eps|avif)", re.I)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TEX = re.compile(r"\\[A-Za-z]+\*?(?:\[[^\]]*\])?(?:\{[^{}]*\})*")
_MARKUP = re.compile(r"[*_`~]+|</?[A-Za-z][^<>]*>|\{[^{}]*\}|\[@[^\]]*\]")
_EDGE = re.compile(r"^[\s\"'“”‘’.,:;!?]+|[\s\"'“”‘’.,:;!?]+$")
_DIAGRAM_LANGUAGES = frozenset({"tikz", "mermaid", "dot", "graphviz", "plantuml", "d2", "asymptote", "pikchr"})
"""Languages of code blocks that filters render as pictures (MLSysBook draws its figures in TikZ)."""
_RAW_TABLE_FORMATS = frozenset({"html", "latex", "tex", "typst", "openxml", "docx"})
_SHOWS_ITSELF = ("embed", "video")
"""Shortcodes whose content brings its own caption and alt text (notebook embeds, videos)."""


# -- shared helpers -------------------------------------------------------------------------


def _prefix(label: str | None) -> str | None:
    return label.split("-", 1)[0].lower() if label and "-" in label else None


def _has_text(text: Text | None) -> bool:
    return text is not None and (text.computed or bool(text.value.strip()))


def _is_figure(item: Float) -> bool:
    """A figure Quarto numbers or captions (see the module docstring)."""
    if item.type != "fig":
        return False
    if item.label:
        return _prefix(item.label) == "fig"
    if item.form == "image":
        return _has_text(item.caption)
    return item.form in ("cell", "diagram")


def _top_figures(doc: Document) -> Iterator[Float]:
    """Figures that are not part of another float (sub-figures are reached through their parent)."""
    for item in doc.floats:
        if item.parent is None and _is_figure(item):
            yield item


def _children(doc: Document, item: Float) -> list[Float]:
    return [doc.floats[index] for index in item.subfloats]


def _anchor(doc: Document, item: Float) -> Span:
    """Where a finding about `item` points: its label, else its first line."""
    for label in doc.labels:
        if label.float_index == item.index:
            return label.span
    if item.form == "image":
        return item.span
    line_end = doc.source.text.find("\n", item.start)
    return doc.source.span(item.start, item.end if line_end == -1 else min(line_end, item.end))


def _name(item: Float, what: str = "figure") -> str:
    return f"{what} `{item.label}`" if item.label else f"this {what}"


def _cell_of(doc: Document, item: Float):
    return next((cell for cell in doc.cells if cell.start == item.start), None)


def _in_header(doc: Document, item: Float) -> bool:
    """Whether a cell float's options are written in the knitr chunk header (``{r fig-x, fig.cap="…"}``).

    The caption or alt text decides where they are; without either, the label does.
    """
    fence_line = doc.source.line_of(item.start)
    texts = [text for text in (item.caption, item.alt) if text is not None and text.end > text.start]
    if texts:
        return any(text.span.line == fence_line for text in texts)
    return any(label.span.line == fence_line for label in doc.labels if label.float_index == item.index)


def _cell_option(doc: Document, item: Float, key: str) -> str:
    """How to write option `key` in `item`'s cell: ``#| fig-alt:`` or a knitr header ``fig.alt="…"``."""
    if _in_header(doc, item):
        return f'`{key.replace("-", ".")}="…"` to the chunk header'
    return f"`{option_prefix(item.cell_language or '')} {key}:` to this cell"


def _plain(text: str) -> str:
    """Caption or alt text as a reader gets it: no Markdown markup, spacing collapsed."""
    text = _LINK.sub(r"\1", text)
    text = _TEX.sub(" ", text)
    text = _MARKUP.sub("", text)
    return " ".join(text.split())


def _folded(text: str) -> str:
    """`_plain` without surrounding quotes and punctuation, case-folded: for comparing texts."""
    return _EDGE.sub("", _plain(text)).casefold()


def _decorative(item: Float, options: dict[str, Any]) -> bool:
    return options.get("allow-decorative", False) or "decorative" in item.classes


def _shows_itself(doc: Document, item: Float) -> bool:
    """A div figure around an embed or a video: the embedded content brings its own text."""
    return any(code.name in _SHOWS_ITSELF and item.start < code.start < item.end for code in doc.shortcodes)


def _graphical(doc: Document, item: Float) -> bool:
    """Whether a div figure shows a picture: an image, a plot cell or a diagram (TikZ, mermaid …).

    A div figure whose content is only text, a table or a code sample needs no alt text:
    screen readers read that content itself. A cell is a plot cell when it sets a figure
    option (``fig-width``, ``fig.height`` …); any other cell may as well print text (a
    directory tree), which cannot be known without running it.
    """
    if any(child.form in ("image", "cell", "diagram") for child in _children(doc, item)):
        return True
    return any(item.start < cell.start < item.end and (cell.language in _DIAGRAM_LANGUAGES or _plots(doc, cell))
               for cell in doc.cells)


_PLOT_CALL = re.compile(r"(?:\b(?:plot|ggplot|qplot|hist|barplot|boxplot|pairs|include_graphics|grViz|mermaid|"
                        r"tm_shape|plot_ly|leaflet)|\b(?:plt|sns|px|alt)\.\w+|\.plot(?:\.\w+)?)\s*\(")


def _plots(doc: Document, cell: Cell) -> bool:
    """A cell that draws: it sets a figure option (``fig-width``, ``fig.height`` …) or calls a
    well-known plotting function (``plot()``, ``ggplot()``, ``plt.…``, ``df.plot()``)."""
    if not cell.executable:
        return False
    return (any(key.startswith(("fig-", "fig.")) for key in cell.options)
            or _PLOT_CALL.search(doc.source.text, cell.start, cell.end) is not None)


def _cell_alt_inside(doc: Document, item: Float) -> bool:
    """An executable cell inside div figure `item` that gives its plot a ``fig-alt``."""
    return any(cell.executable and item.start < cell.start < item.end and cell.options.get("fig-alt") not in (None, "")
               for cell in doc.cells)


# -- CAP001 ---------------------------------------------------------------------------------


def _caption_advice(doc: Document, item: Float, what: str) -> str:
    """Where the caption of `item` goes, for the form it is written in."""
    key = f"{item.type}-cap"
    if item.form == "image":
        return "write it between the image's brackets, `![Caption](…)`"
    if item.form in ("cell", "diagram"):
        return f"add {_cell_option(doc, item, key)}"
    if item.form == "code":
        return f'add `{key}="…"` to the code block\'s attributes'
    if item.form == "table":
        return "put a `: Caption` line directly below the table"
    advice = f'end the div with a caption paragraph (the div needs more than one block), or add `{key}="…"` to it'
    single = [child for child in _children(doc, item) if child.form == "image" and not child.label]
    if item.type == "fig" and len(single) == 1 and _has_text(single[0].caption) and item.alt is single[0].caption:
        advice += "; the image's bracket text is its alt text here, not the figure's caption"
    return advice


def _missing_caption(doc: Document, item: Float, what: str) -> Violation | None:
    if _has_text(item.caption):
        return None
    state = "an empty caption" if item.caption is not None else "no caption"
    return Violation(_anchor(doc, item), f"{_name(item, what)} has {state}: {_caption_advice(doc, item, what)}",
                     item.label or "")


@rule("CAP001", "figure-missing-caption", "error", tags=("captions",))
def figure_missing_caption(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A figure with no caption (or an empty one).

    ## What it does
    Checks every labelled figure, whatever its form: a Markdown image
    ``![Caption](p.png){#fig-x}``, a fenced div ``::: {#fig-x}`` (its caption is its last
    paragraph when it has more than one block, otherwise its ``fig-cap=`` attribute), an
    executable cell or diagram (``#| fig-cap:``, knitr ``fig.cap=``, YAML block scalars),
    and the parent of sub-figures (sub-figures themselves need no caption of their own).
    A knitr caption computed by an R expression (``!expr``) counts as a caption.

    Unlabelled figures cannot lack one: an image alone in its paragraph becomes a figure
    only when its brackets hold text, and ``![](logo.png)`` is a plain image. Figures
    embedded from a notebook (``{{< embed nb.ipynb#fig-x >}}``) take their caption from
    the notebook and are not checked.

    ## Why is this bad?
    Quarto still numbers the figure ("Figure 3") but shows nothing after the number; the
    reader gets no explanation and the list of figures has an empty entry.

    ## Example
    ```markdown
    ::: {#fig-roofline}
    ![](images/roofline.svg){fig-alt="Log-log plot with a sloped and a flat line."}
    :::
    ```

    ## Use instead
    ```markdown
    ::: {#fig-roofline}
    ![](images/roofline.svg){fig-alt="Log-log plot with a sloped and a flat line."}

    The roofline model: throughput is capped by bandwidth, then by peak compute.
    :::
    ```
    """
    for doc in project.reported_documents():
        for item in _top_figures(doc):
            if item.label:
                finding = _missing_caption(doc, item, "figure")
                if finding is not None:
                    yield finding


# -- CAP002 ---------------------------------------------------------------------------------


def _alt_advice(doc: Document, item: Float, sub: bool) -> str:
    """Where the alt text of `item` goes, for the form it is written in."""
    if item.form in ("cell", "diagram"):
        return f"add {_cell_option(doc, item, 'fig-alt')}"
    if item.form == "image":
        return f'add `fig-alt="…"` to the {"sub-figure" if sub else "figure"}\'s image attributes, `{{… fig-alt="…"}}`'
    images = [child for child in _children(doc, item) if child.form == "image"]
    if len(images) == 1 and not images[0].label:
        return 'add `fig-alt="…"` to the div or to its image'
    cells = [cell for cell in doc.cells if cell.executable and item.start < cell.start < item.end]
    if len(cells) == 1:
        return f'add `fig-alt="…"` to the div, or `{option_prefix(cells[0].language)} fig-alt:` to its cell'
    return 'add `fig-alt="…"` to the div'


def _alt_finding(doc: Document, item: Float, options: dict[str, Any], sub: bool) -> Violation | None:
    alt = item.alt
    if alt is not None and (alt.computed or alt.value.strip()):
        return None
    if alt is not None and _decorative(item, options):
        return None
    if alt is None and item.form == "div" and (not _graphical(doc, item) or _shows_itself(doc, item)
                                                or _cell_alt_inside(doc, item)):
        return None
    if alt is None:
        state = "no alt text"
    else:
        state = "empty alt text (decorative; allow it with `.decorative` or the `allow-decorative` option)"
    return Violation(_anchor(doc, item), f"{_name(item, 'sub-figure' if sub else 'figure')} has {state}: "
                     f"{_alt_advice(doc, item, sub)}", item.label or "")


def _cell_without_alt(doc: Document, item: Float) -> Violation | None:
    """A cell whose figures all lack alt text because it has no ``fig-alt`` at all: one finding."""
    cell = _cell_of(doc, item)
    if cell is None or cell.options.get("fig-alt") is not None:
        return None
    count = sum(1 for f in doc.floats if f.start == item.start and f.type == "fig" and not f.subfloats)
    if count > 1:
        what = f"the {count} figures of {f'`{cell.label}`' if cell.label else 'this cell'} have"
    else:
        what = f"figure `{cell.label}` has" if cell.label else "this cell's figure has"
    several = " (a list, one entry per figure)" if count > 1 else ""
    return Violation(_anchor(doc, item), f"{what} no alt text: add {_cell_option(doc, item, 'fig-alt')}{several}",
                     cell.label or "")


def _figure_parts(doc: Document, item: Float) -> list[Float]:
    """The floats that need alt text: each sub-figure, or the figure itself."""
    children = [child for child in _children(doc, item) if child.type == "fig"]
    if item.form == "div" and len(children) == 1 and not children[0].label:
        return [item]  # a div around one image or plot: the parser gave the div that content's alt text
    return children or [item]


def _missing_alt(doc: Document, item: Float, options: dict[str, Any]) -> Iterator[Violation]:
    """Findings for `item` and its sub-figures, depth first (iterative: divs nest deeply)."""
    pending: list[tuple[Float, bool]] = [(item, False)]
    while pending:
        current, sub = pending.pop()
        if current.form in ("cell", "diagram"):
            finding = _cell_without_alt(doc, current)
            if finding is not None:
                yield finding
                continue
        parts = _figure_parts(doc, current)
        if parts == [current]:
            finding = _alt_finding(doc, current, options, sub)
            if finding is not None:
                yield finding
            continue
        pending.extend((part, True) for part in reversed(parts))


@rule("CAP002", "figure-missing-alt-text", "warning", tags=("captions", "accessibility"),
      options=[Option("allow-decorative", bool, False,
                      'accept an empty `fig-alt=""` as a deliberately decorative figure')])
def figure_missing_alt_text(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A figure with no alt text.

    ## What it does
    Checks every figure for alt text, in the place its form takes it:

    - Markdown image figure: ``fig-alt="…"`` (or ``alt="…"``) in the image's attributes.
      The bracket text is the caption, and Quarto does not reuse a caption as alt text
      (append ``\\`` to the line to make the image inline with its bracket text as alt).
    - Div figure: ``fig-alt="…"`` on the div, or on its single image, or that image's own
      bracket text (inside a div an image's bracket text is its alt text).
    - Cell or diagram: ``#| fig-alt:`` (``%%|`` for mermaid, ``//|`` for dot), a YAML
      list with one entry per plot, or knitr's ``fig.alt=``; an ``!expr`` counts.
    - Sub-figures: each sub-figure needs its own alt text; the parent needs none.

    An unlabelled image alone in its paragraph with text in its brackets is a figure too
    and is checked (it has a caption, so it is informative, and Quarto gives it no alt
    text); ``![](logo.png)`` is a plain image, which CAP009 checks. A div figure whose
    content is text, a table or a code sample (no image, plot cell or diagram such as a
    TikZ or mermaid block) needs no alt text: screen readers read that content; nor does
    one around a cell that sets no figure option and calls no well-known plotting
    function (``plot()``, ``ggplot()``, ``plt.…``): it may as well print text. Figures
    embedded from a notebook, and div figures around an embed or a video, are not checked.
    Sub-figures of one cell without any ``fig-alt`` are reported once, for the cell.
    An explicitly empty ``fig-alt=""`` is accepted on a figure with the ``.decorative``
    class, or everywhere with the ``allow-decorative`` option.

    ## Why is this bad?
    Screen-reader users get nothing, or only the file name, for the figure. Quarto's own
    tests check that a caption is never used as alt text, and PDF/UA output warns about
    every figure without it.

    ## Example
    ````markdown
    ```{r}
    #| label: fig-scatter
    #| fig-cap: "Height against weight."
    plot(height, weight)
    ```
    ````

    ## Use instead
    ````markdown
    ```{r}
    #| label: fig-scatter
    #| fig-cap: "Height against weight."
    #| fig-alt: "Scatter plot of 200 points rising from left to right."
    plot(height, weight)
    ```
    ````

    ## Options
    - `allow-decorative`: accept ``fig-alt=""`` on any figure as deliberately decorative.
    """
    for doc in project.reported_documents():
        seen: set[tuple[Span, str]] = set()
        for item in _top_figures(doc):
            for finding in _missing_alt(doc, item, options):
                key = (finding.span, finding.message)
                if key not in seen:  # several figures of one cell share one fix
                    seen.add(key)
                    yield finding


# -- CAP003 / CAP004: alt text that is there -------------------------------------------------


def _described(doc: Document, item: Float) -> Iterator[tuple[Float, Text]]:
    """Each figure or sub-figure with the alt text it has (each alt text once)."""
    stack = [item]
    while stack:
        current = stack.pop(0)
        if current.alt is not None and current.alt.value.strip() and not current.alt.computed:
            yield current, current.alt
        stack.extend(child for child in _children(doc, current) if child.type == "fig")


def _alt_texts(doc: Document) -> Iterator[tuple[Float, Text]]:
    seen: set[tuple[int, int]] = set()
    for item in _top_figures(doc):
        for owner, alt in _described(doc, item):
            if (alt.start, alt.end) not in seen:
                seen.add((alt.start, alt.end))
                yield owner, alt


@rule("CAP003", "alt-text-duplicates-caption", "warning", tags=("captions", "accessibility"))
def alt_text_duplicates_caption(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """Alt text identical to the figure's caption.

    ## What it does
    Compares every figure's (and sub-figure's) alt text with its caption after removing
    Markdown markup (emphasis, code, links, citations, ``\\index{}`` and other TeX),
    surrounding quotes and punctuation, spacing and case. A knitr caption or alt text
    computed by an R expression is not compared.

    ## Why is this bad?
    Screen readers read the caption and then the same words again as the image's
    description; the reader still learns nothing about what the figure shows.

    ## Example
    ```markdown
    ![Rounding error of 8-bit quantization.](q.svg){#fig-q fig-alt="Rounding error of 8-bit quantization."}
    ```

    ## Use instead
    ```markdown
    ![Rounding error of 8-bit quantization.](q.svg){#fig-q fig-alt="Saw-tooth line between -0.5 and 0.5 across the weight range."}
    ```
    """
    for doc in project.reported_documents():
        for item, alt in _alt_texts(doc):
            caption = item.caption
            if caption is None or caption.computed or alt is caption or not _folded(caption.value):
                continue
            if _folded(alt.value) == _folded(caption.value):
                yield Violation(alt.span, f"alt text of {_name(item)} repeats its caption: describe what the figure "
                                          "shows instead", item.label or "")


def _quality_problems(alt: str, options: dict[str, Any]) -> list[str]:
    """What is wrong with one alt text (nothing: an empty list)."""
    plain = _plain(alt)
    words = {str(word).casefold() for word in options.get("placeholder-words", PLACEHOLDER_WORDS)}
    core = " ".join(re.sub(r"[^\w\s]", " ", _folded(alt)).split())
    core = re.sub(r"^(?:an?|the) |(?: \d+[a-z]?)+$", "", core)
    problems = []
    opening = _IMAGE_OF.match(plain)
    if core in words:
        problems.append(f"is a placeholder (`{plain}`)")
    elif _FILE_NAME.fullmatch(plain):
        problems.append("is a file name")
    elif opening:
        problems.append(f'starts with "{opening.group(0)}" (screen readers already announce an image)')
    limit = options.get("max-alt-length", 250)
    if len(plain) > limit:
        problems.append(f"is {len(plain)} characters long (limit {limit}; move detail into the caption or the text)")
    return problems


_ALT_LIMIT = 250


def _alt_length_habit(project: Project) -> Advice | None:
    lengths = sorted(len(alt.value) for doc in project.documents.values() for item in doc.floats if item.type == "fig"
                     for alt in [item.alt] if alt is not None and alt.value.strip() and not alt.computed)
    if not lengths:
        return None
    over = sum(1 for length in lengths if length > _ALT_LIMIT)
    if over * 10 <= len(lengths):
        return Advice(f"{len(lengths)} alt texts, the longest {lengths[-1]} characters: the limit of {_ALT_LIMIT} fits")
    limit = 50 * math.ceil(lengths[int(0.95 * (len(lengths) - 1))] / 50)
    return Advice(f"{over} of {len(lengths)} alt texts are longer than {_ALT_LIMIT} characters (the longest "
                  f"{lengths[-1]}): this book writes detailed descriptions; 95% fit in {limit}",
                  options={"max-alt-length": max(limit, _ALT_LIMIT)})


@rule("CAP004", "alt-text-quality", "info", tags=("captions", "accessibility"), advise=_alt_length_habit,
      options=[Option("max-alt-length", int, _ALT_LIMIT, "longest alt text accepted, in characters"),
               Option("placeholder-words", list, PLACEHOLDER_WORDS,
                      "alt texts that say nothing (compared whole, ignoring case, articles and a trailing number)")])
def alt_text_quality(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """Alt text that is a placeholder, a file name, starts with "image of", or is too long.

    ## What it does
    Reads the alt text of every figure and sub-figure (``fig-alt``, ``alt``, the bracket
    text of an image inside a div figure, cell ``fig-alt``) and reports alt text that is

    - a placeholder word such as "image", "figure 2", "plot", "TODO";
    - a file name (``chart.png``);
    - introduced by "image of", "picture of", "photo of" (screen readers already say
      it is an image);
    - longer than ``max-alt-length`` characters (MLSysBook's standard: at most 250).

    ## Why is this bad?
    Such alt text gives a screen-reader user no description, or one too long to listen
    to; long explanations belong in the caption or the text, where everyone sees them.

    ## Example
    ```markdown
    ![Pruned weights.](w.svg){#fig-w fig-alt="Image of a weight matrix."}
    ```

    ## Use instead
    ```markdown
    ![Pruned weights.](w.svg){#fig-w fig-alt="A weight matrix with most rows blanked out."}
    ```

    ## Options
    - `max-alt-length`: the longest alt text accepted (default 250 characters).
    - `placeholder-words`: the alt texts treated as placeholders.
    """
    for doc in project.reported_documents():
        for item, alt in _alt_texts(doc):
            problems = _quality_problems(alt.value, options)
            if problems:
                yield Violation(alt.span, f"alt text of {_name(item)} " + "; it ".join(problems), item.label or "")


# -- CAP005: tables ------------------------------------------------------------------------


def _caption_unseen(doc: Document, item: Float) -> bool:
    """A table div whose caption comes from where the model cannot read it.

    A ``.list-table`` div takes its first paragraph as the caption; a raw HTML or LaTeX
    table inside a div gives Quarto its ``<caption>``/``\\caption{}``.
    """
    if item.form != "div":
        return False
    return "list-table" in item.classes or any(
        item.start < cell.start < item.end and not cell.executable and cell.language in _RAW_TABLE_FORMATS
        for cell in doc.cells)


@rule("CAP005", "table-missing-caption", "warning", tags=("captions", "tables"),
      options=[Option("unlabelled-tables", bool, False,
                      "also report Markdown tables that have neither a label nor a caption")])
def table_missing_caption(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A table without a caption, or a table caption Pandoc does not attach.

    ## What it does
    Reports a labelled table (``: {#tbl-x}`` with no text, a ``::: {#tbl-x}`` div without
    a caption paragraph, ``tbl-cap=`` or a captioned table inside, a cell with
    ``label: tbl-x`` and no ``tbl-cap``), and a ``: Caption {#tbl-x}`` or ``Table: …`` paragraph that no table
    takes because something other than blank lines separates them (it then stays text, or
    becomes a definition list, and ``@tbl-x`` does not resolve). Tables inside a table
    div or a figure div are captioned by the div. A table cell whose code sets the caption
    (``kable(caption = …)``, gt's ``tab_caption()``, pandas' ``set_caption()``) has one; a
    ``.list-table`` div, or a table div around raw HTML or LaTeX (whose ``<caption>``
    Quarto reads), is not checked. A plain table with neither label nor caption is
    reported only with the `unlabelled-tables` option: Quarto asks no caption of it.

    ## Why is this bad?
    A labelled table without a caption is not numbered, so references to it do not
    resolve; a detached caption prints as stray text.

    ## Example
    ```markdown
    | Level | Capacity |
    |-------|---------:|
    | SRAM  |    32 MB |

    See the sizes above.

    : Memory levels. {#tbl-levels}
    ```

    ## Use instead
    ```markdown
    | Level | Capacity |
    |-------|---------:|
    | SRAM  |    32 MB |

    : Memory levels. {#tbl-levels}
    ```

    ## Options
    - `unlabelled-tables` (default false): also report Markdown tables with neither label
      nor caption, for house styles that caption every table.
    """
    unlabelled = options.get("unlabelled-tables", False)
    for doc in project.reported_documents():
        for item in doc.floats:
            if item.type != "tbl" or item.parent is not None or _caption_unseen(doc, item):
                continue
            if item.label or (item.form == "table" and unlabelled):
                finding = _missing_caption(doc, item, "table")
                if finding is not None:
                    yield finding
        for problem in doc.problems:
            if problem.kind == "detached-table-caption":
                yield Violation(doc.source.span(problem.start, problem.end),
                                f"{problem.message}: put it directly above or below the table", problem.subject)


# -- CAP006: listings ----------------------------------------------------------------------


@rule("CAP006", "listing-missing-caption", "warning", tags=("captions", "listings"))
def listing_missing_caption(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """An ``#lst-`` code block, div or cell without ``lst-cap``.

    ## What it does
    Reports a code block with an ``#lst-`` id and no ``lst-cap`` attribute, a
    ``::: {#lst-x}`` div with neither a caption paragraph nor ``lst-cap=``, and an
    executable cell with ``lst-label`` but no ``lst-cap`` (or an empty one).

    ## Why is this bad?
    Without ``lst-cap`` Quarto does not make the code block a listing: it is not
    numbered and ``@lst-x`` does not resolve.

    ## Example
    ````markdown
    ```{#lst-query .sql}
    SELECT * FROM runs;
    ```
    ````

    ## Use instead
    ````markdown
    ```{#lst-query .sql lst-cap="All recorded training runs."}
    SELECT * FROM runs;
    ```
    ````
    """
    for doc in project.reported_documents():
        for item in doc.floats:
            if item.type == "lst" and item.parent is None:
                finding = _missing_caption(doc, item, "listing")
                if finding is not None:
                    if item.form == "code" and item.caption is None:
                        finding = Violation(finding.span, finding.message + "; without it Quarto does not make it a "
                                            f"listing and `@{item.label}` does not resolve", finding.subject)
                    yield finding


# -- CAP007 --------------------------------------------------------------------------------


@rule("CAP007", "conflicting-captions", "warning", tags=("captions",))
def conflicting_captions(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A ``fig-cap=`` attribute ignored because the div also ends with a caption paragraph.

    ## What it does
    Reports the ``fig-cap`` (``tbl-cap``, ``lst-cap``, or a custom type's ``*-cap``)
    attribute of a float div that has more than one block and ends with a paragraph:
    Quarto takes that paragraph as the caption and drops the attribute.

    ## Why is this bad?
    One of the two captions is never shown, and edits to it silently have no effect.

    ## Example
    ```markdown
    ::: {#fig-dataflow fig-cap="Weight-stationary dataflow."}
    ![](dataflow.svg){fig-alt="Two grids of processing elements."}

    Weight-stationary and output-stationary dataflows.
    :::
    ```

    ## Use instead
    Keep one caption: remove the attribute, or the last paragraph.

    ```markdown
    ::: {#fig-dataflow}
    ![](dataflow.svg){fig-alt="Two grids of processing elements."}

    Weight-stationary and output-stationary dataflows.
    :::
    ```
    """
    for doc in project.reported_documents():
        for item in doc.floats:
            ignored = item.caption_attribute
            if ignored is not None and item.caption is not None:
                line = doc.source.line_of(item.caption.start)
                yield Violation(ignored.span, f"`{item.type}-cap` of `{item.label}` is ignored: the div's last paragraph "
                                              f"(line {line}) is its caption; keep one of them", item.label or "")


# -- CAP009: images that are not figures ---------------------------------------------------


@rule("CAP009", "image-missing-alt-text", "warning", tags=("captions", "accessibility"))
def image_missing_alt_text(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """An image that is not a figure and has no alt text at all.

    ## What it does
    Reports a Markdown image with empty brackets and no ``alt=`` or ``fig-alt=``
    attribute that does not become a figure: alone in its paragraph (``![](shot.png)``),
    inside a sentence, a link, a list or a table cell; and a raw HTML ``<img>`` without an
    ``alt`` attribute. An image is marked decorative only by an explicit ``alt=""``,
    which Pandoc passes through to the page; the ``.decorative`` class does not give it
    an empty alt. Images inside a figure are CAP002's; bracket text is the alt text of an
    image that is not a figure.

    ## Why is this bad?
    Pandoc writes ``<img src="shot.png">`` with no ``alt`` attribute at all, and screen
    readers then read out the file name. An empty ``alt=""`` tells them to skip the image.

    ## Example
    ```markdown
    Open the settings panel: ![](images/settings.png)
    ```

    ## Use instead
    ```markdown
    Open the settings panel: ![The settings panel with the Editor tab open](images/settings.png)
    ```
    or ``![](images/rule.png){alt=""}`` for a purely decorative image.
    """
    for doc in project.reported_documents():
        figures = [(item.start, item.end) for item in doc.floats if item.type == "fig" and item.form != "image"]
        for picture in doc.pictures:
            if picture.figure or picture.description or picture.alt is not None:
                continue
            if any(start <= picture.start < end for start, end in figures):
                continue
            if picture.form == "html":
                message = f'`<img>` of `{picture.path}` has no `alt` attribute: add `alt="…"` (`alt=""` if decorative)'
            else:
                message = (f"image `{picture.path}` has no alt text, so screen readers read its file name: write it "
                           'between the brackets, or add `{alt=""}` if it is decorative')
            yield Violation(picture.span, message, picture.path)


# -- CAP008: house caption style ---------------------------------------------------------------

_BOLD_LEAD = re.compile(r"^\*\*[^*\n]+?\*\*:\s")
_ENDS_SENTENCE = re.compile(r"[.?!][)\]\"'*_’”]*\s*$")
_WORD = re.compile(r"[A-Za-z][\w’'-]*")


def _title_case(text: str) -> bool:
    """Most words after the first start with a capital (acronyms and names like ImageNet aside)."""
    words = [w for w in _WORD.findall(text)[1:] if len(w) > 3]
    capitalised = [w for w in words if w[0].isupper() and w[1:] == w[1:].lower()]
    return len(words) >= 2 and len(capitalised) * 2 > len(words)


def _style_problems(caption: str, options: dict[str, Any]) -> list[str]:
    problems = []
    bold = _BOLD_LEAD.match(caption)
    if options.get("bold-lead", False) and bold is None:
        problems.append("does not start with a bold title, `**Title**: `")
    if options.get("end-with-period", True) and not _ENDS_SENTENCE.search(caption):
        problems.append("does not end with a period")
    if options.get("sentence-case", False) and _title_case(_plain(bold.group() if bold else caption)):
        problems.append("is in title case, not sentence case")
    limit = options.get("max-words", 0)
    words = len(_plain(caption).split())
    if limit and words > limit:
        problems.append(f"has {words} words (limit {limit})")
    return problems


@rule("CAP008", "caption-style", "info", tags=("captions", "style"), enabled=False,
      options=[Option("end-with-period", bool, True, "a caption ends with a period (or ? or !)"),
               Option("bold-lead", bool, False, "a caption starts with a bold title and a colon, `**Title**: `"),
               Option("sentence-case", bool, False, "the title (or the caption) is in sentence case"),
               Option("max-words", int, 0, "the longest caption accepted, in words (0: no limit)")])
def caption_style(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A figure, table or listing caption that does not follow the house style.

    ## What it does
    Off by default. Checks every caption of a figure, table or listing (sub-figures
    aside) against the options: a final period, a bold lead title (`**Title**: …`,
    MLSysBook's form), sentence case, a word limit. Captions written as attributes or
    cell options are checked like caption paragraphs; a caption computed by code is not.

    ## Why is this bad?
    Readers meet captions in lists of figures and side by side; a book whose captions
    follow one form reads as one book.

    ## Example
    ```{.yaml filename=".mlsys-lint.yml"}
    select: [CAP008]
    rules: {CAP008: {bold-lead: true}}
    ```

    ```markdown
    See @fig-roofline.

    ![Roofline model](roofline.png){#fig-roofline fig-alt="A sloped line meeting a flat one."}
    ```

    ## Use instead
    ```{.yaml filename=".mlsys-lint.yml"}
    select: [CAP008]
    rules: {CAP008: {bold-lead: true}}
    ```

    ```markdown
    See @fig-roofline.

    ![**Roofline model**: throughput is capped by bandwidth, then by compute.](roofline.png){#fig-roofline fig-alt="A sloped line meeting a flat one."}
    ```

    ## Options
    - `end-with-period` (default true), `bold-lead` (default false), `sentence-case`
      (default false), `max-words` (default 0, no limit).
    """
    for doc in project.reported_documents():
        for item in doc.floats:
            if item.parent is not None or item.type not in ("fig", "tbl", "lst") or not _has_text(item.caption):
                continue
            if item.caption.computed:
                continue
            problems = _style_problems(item.caption.value.strip(), options)
            if problems:
                what = {"fig": "figure", "tbl": "table", "lst": "listing"}[item.type]
                yield Violation(item.caption.span, f"caption of {_name(item, what)} {'; '.join(problems)}",
                                item.label or "")


RULES = [figure_missing_caption, figure_missing_alt_text, alt_text_duplicates_caption, alt_text_quality,
         table_missing_caption, listing_missing_caption, conflicting_captions, caption_style, image_missing_alt_text]
