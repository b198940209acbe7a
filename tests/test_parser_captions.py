"""The parser's captions and alt text: table captions, div figures, knitr values, cell options."""

from __future__ import annotations

import textwrap

from mlsys_lint.cells import option_prefix
from mlsys_lint.document import parse
from mlsys_lint.model import Source


def doc_of(text: str):
    return parse(Source("t.qmd", textwrap.dedent(text)))


def floats(text: str):
    doc = doc_of(text)
    return doc, {f.label: f for f in doc.floats}


TABLE = "| a | b |\n|---|---|\n| 1 | 2 |\n"


# -- table captions ----------------------------------------------------------------------------


def test_caption_below_a_table_attaches_across_several_blank_lines():
    doc, found = floats(TABLE + "\n\n\n: Counts per site. {#tbl-counts}\n")
    table = found["tbl-counts"]
    assert table.caption.value == "Counts per site."
    assert [label.id for label in doc.labels] == ["tbl-counts"]
    assert not [p for p in doc.problems if p.kind == "detached-table-caption"]


def test_caption_above_a_table_attaches_across_several_blank_lines():
    doc, found = floats(": Counts per site. {#tbl-counts}\n\n\n" + TABLE)
    assert found["tbl-counts"].caption.value == "Counts per site."
    assert found["tbl-counts"].span.line == 4


def test_caption_separated_by_prose_is_a_detached_caption_problem():
    doc, found = floats(TABLE + "\nSome prose.\n\n: Counts per site. {#tbl-counts}\n")
    assert found[None].caption is None
    assert "tbl-counts" not in found
    problems = [p for p in doc.problems if p.kind == "detached-table-caption"]
    assert [(p.subject, doc.source.span(p.start, p.end).line, doc.source.span(p.start, p.end).column)
            for p in problems] == [("tbl-counts", 7, 1)]


def test_detached_table_prefix_caption_without_label_is_a_problem():
    doc = doc_of("Some prose.\n\nTable: Counts per site.\n")
    assert [(p.kind, p.subject) for p in doc.problems] == [("detached-table-caption", "")]


def test_definition_list_item_is_not_a_detached_caption():
    doc = doc_of("Term\n\n: The definition of the term.\n")
    assert doc.problems == []
    assert [d.term.value for d in doc.definitions] == ["Term"]


# -- div figures ---------------------------------------------------------------------------------


def test_div_with_caption_paragraph_and_ignored_fig_cap_keeps_its_image_alt():
    _, found = floats("""\
        ::: {#fig-x fig-cap="Ignored."}
        ![](a.png){fig-alt="A bar chart."}

        The caption.
        :::
        """)
    figure = found["fig-x"]
    assert figure.caption.value == "The caption."
    assert figure.caption_attribute.value == "Ignored."
    assert figure.alt.value == "A bar chart."


def test_single_image_bracket_text_is_the_div_alt_not_its_caption():
    doc, found = floats("""\
        ::: {#fig-x}
        ![A robin on a branch](robin.png)
        :::
        """)
    figure = found["fig-x"]
    assert figure.caption is None
    assert figure.alt.value == "A robin on a branch"
    assert (figure.alt.span.line, figure.alt.span.column) == (2, 3)


def test_image_with_empty_brackets_gives_the_div_no_alt():
    _, found = floats("::: {#fig-x fig-cap=\"Cap.\"}\n![](robin.png)\n:::\n")
    assert found["fig-x"].alt is None


def test_table_div_takes_the_caption_of_the_table_inside():
    _, found = floats("::: {#tbl-x}\n" + TABLE + "\n: Inner caption.\n:::\n")
    assert found["tbl-x"].caption.value == "Inner caption."


def test_table_div_takes_the_tbl_cap_of_a_cell_inside():
    _, found = floats("""\
        ::: {#tbl-x}
        ```{r}
        #| tbl-cap: "From the cell."
        head(cars)
        ```
        :::
        """)
    assert found["tbl-x"].caption.value == "From the cell."


# -- cells -----------------------------------------------------------------------------------


def test_knitr_header_values_unquoted_are_computed_quoted_are_not():
    _, found = floats("""\
        ```{r fig-a, fig.cap=caption_a, fig.alt="A line."}
        plot(1)
        ```
        """)
    figure = found["fig-a"]
    assert (figure.caption.value, figure.caption.computed) == ("caption_a", True)
    assert (figure.alt.value, figure.alt.computed) == ("A line.", False)


def test_expr_option_is_a_computed_caption():
    _, found = floats("""\
        ```{r}
        #| label: fig-a
        #| fig-cap: !expr paste("A", "b")
        plot(1)
        ```
        """)
    assert found["fig-a"].caption.computed is True
    assert found["fig-a"].alt is None


def test_table_cell_whose_code_sets_the_caption_has_a_computed_caption():
    _, found = floats("""\
        ```{r}
        #| label: tbl-cars
        knitr::kable(head(cars), caption = "Cars.")
        ```

        ```{r}
        #| label: tbl-plain
        knitr::kable(head(cars))
        ```
        """)
    assert found["tbl-cars"].caption.computed is True
    assert found["tbl-plain"].caption is None


def test_block_scalar_caption_and_alt_are_read():
    _, found = floats("""\
        ```{python}
        #| label: fig-latency
        #| fig-cap: |
        #|   Latency over time.
        #| fig-alt: >
        #|   Line plot rising
        #|   to the right.
        plot()
        ```
        """)
    figure = found["fig-latency"]
    assert figure.caption.value.strip() == "Latency over time."
    assert figure.alt.value.strip() == "Line plot rising to the right."
    assert (figure.alt.span.line, figure.alt.span.column) == (6, 6)


def test_option_prefix_follows_the_language_comment_token():
    assert [option_prefix(lang) for lang in ("r", "python", "mermaid", "dot", "sql", "c", "unknown")] == [
        "#|", "#|", "%%|", "//|", "--|", "/*|", "#|"]
