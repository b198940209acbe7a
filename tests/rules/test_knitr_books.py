"""knitr books: chunk options as knitr reads them, cells that show nothing, chunk names.

Option lines follow xfun::divide_chunk (called by knitr's ``partition_chunk``, R/parser.R):
YAML when the first line looks like ``key:``, else knitr's comma-separated ("CSV") form;
chunk headers follow knitr's ``parse_block`` (``xfun::csv_options`` on ``{r name, opt=val}``).
"""

from __future__ import annotations

from lintkit import book, found, lint

from mlsys_lint.document import parse
from mlsys_lint.model import Source

_SETUP = "```{r}\n#| include: false\nlibrary(ggplot2)\n```\n\nThe mean is `r mean(x)`.\n\n"


def _doc(text: str):
    return parse(Source("index.qmd", text))


def test_engine_follows_quarto_markdown_execution_engine():
    assert _doc(_SETUP).engine == "knitr"
    assert _doc("```{python}\n1\n```\n").engine == "jupyter"
    assert _doc("```{mermaid}\ngraph A\n```\n").engine == "markdown"
    assert _doc("---\nengine: knitr\n---\n\n```{python}\n1\n```\n").engine == "knitr"
    assert _doc("---\njupyter: python3\n---\n\n```{r}\n1\n```\n").engine == "jupyter"
    assert _doc("Text `r 1`.\n").engine == "markdown"


def test_partition_chunk_csv_options_over_several_lines():
    doc = _doc(_SETUP + '```{r}\n#| rmdworkflow,\n#| echo = FALSE,\n#| fig.cap = "A diagram of how\n'
               '#|   it renders.",\n#| out.width = "100%"\nplot(1)\n```\n')
    cell = doc.cells[-1]
    assert cell.options["label"] == "rmdworkflow"
    assert cell.options["echo"] is False
    assert cell.options["fig-cap"] == "A diagram of how it renders."
    assert doc.problems == []


def test_partition_chunk_csv_with_trailing_commas_is_no_yaml_error(tmp_path):
    root = book(tmp_path, {"index.qmd": _SETUP + "```{r}\n#| fig.width = 10,\n#| fig.height = 4,\nplot(1)\n```\n"})
    assert found(lint(root, select=["MSL006"]), root) == []


def test_yaml_options_in_a_knitr_book_stay_yaml(tmp_path):
    root = book(tmp_path, {"index.qmd": _SETUP + "```{r}\n#| fig-width: 10: 4\nplot(1)\n```\n"})
    assert found(lint(root, select=["MSL006"]), root) == [("MSL006", "index.qmd", 9, 17)]


def test_csv_caption_is_a_figure_with_its_caption_located():
    doc = _doc(_SETUP + '```{r}\n#| label = "fig-a", fig.cap = "Scatter."\nplot(1)\n```\n')
    (figure,) = doc.floats
    assert (figure.label, figure.caption.value) == ("fig-a", "Scatter.")


def test_hidden_chunks_make_no_figure(tmp_path):
    hidden = ["#| eval: false", "#| include: false", "#| output: false", "#| fig-show: hide",
              "#| eval = FALSE", "#| fig.show = 'hide'"]
    cells = "".join(f"```{{r}}\n#| label: fig-h{n}\n#| fig-cap: Hidden.\n{option}\nplot(1)\n```\n\n"
                    for n, option in enumerate(hidden))
    cells += '```{r fig-h9, fig.cap="Hidden.", eval=FALSE}\nplot(1)\n```\n\nSee @fig-h0.\n'
    root = book(tmp_path, {"index.qmd": _SETUP + cells})
    assert _doc(_SETUP + cells).floats == []
    assert found(lint(root, select=["CAP001", "CAP002", "FIG001", "FIG002", "XR001"]), root) == [
        ("XR001", "index.qmd", 54, 5)]


def test_fig_show_hide_is_knitr_only():
    doc = _doc("```{python}\n#| label: fig-a\n#| fig-cap: A.\n#| fig-show: hide\nplot(1)\n```\n")
    assert [item.label for item in doc.floats] == ["fig-a"]


def test_chunk_names_are_not_crossref_labels(tmp_path):
    text = _SETUP + "```{r, tip_calculator}\nx <- 1\n```\n\n```{r fig_setup}\nx <- 2\n```\n"
    root = book(tmp_path, {"index.qmd": text})
    assert found(lint(root, select=["XR003"]), root) == []


def test_captioned_chunk_without_a_crossref_type_is_still_a_figure(tmp_path):
    text = _SETUP + '```{r my-plot, fig.cap="Fuel use by weight."}\nplot(mtcars)\n```\n'
    root = book(tmp_path, {"index.qmd": text})
    (figure,) = _doc(text).floats
    assert (figure.type, figure.label, figure.caption.value) == ("fig", None, "Fuel use by weight.")
    assert found(lint(root, select=["CAP002"]), root) == [("CAP002", "index.qmd", 8, 1)]
    alt = _SETUP + '```{r my-plot, fig.cap="Fuel use.", fig.alt="Points falling to the right."}\nplot(mtcars)\n```\n'
    root = book(tmp_path, {"index.qmd": alt})
    assert found(lint(root, select=["CAP002"]), root) == []


def test_figure_div_around_text_output_or_nested_image_alt_is_not_reported(tmp_path):
    text = _SETUP + (
        "::: {#fig-tree}\n```{r}\n#| echo: false\nfs::dir_tree(\"project\")\n```\n\nThe project folder.\n:::\n\n"
        "::: {#fig-shot}\n::: {.border}\n![](shot.png){fig-alt=\"A window with two panes.\"}\n:::\n\nA screenshot.\n:::\n\n"
        "::: {#fig-plot}\n```{r}\nggplot(mpg, aes(displ, hwy)) + geom_point()\n```\n\nFuel use.\n:::\n\n"
        "::: {#fig-sized}\n```{r}\n#| fig-width: 4\nshow_map()\n```\n\nA map.\n:::\n\n"
        "See @fig-tree, @fig-shot, @fig-plot and @fig-sized.\n")
    root = book(tmp_path, {"index.qmd": text})
    assert found(lint(root, select=["CAP002"]), root) == [("CAP002", "index.qmd", 25, 7), ("CAP002", "index.qmd", 33, 7)]


def test_knitr_book_habits_tables_images_and_numbers(tmp_path):
    """A knitr chapter: cells in both option syntaxes, inline R, and the book-level habits of issue 20."""
    plots = "".join(f'```{{r}}\n#| label: fig-p{n}\n#| fig-cap: "Plot {n}."\n#| fig-alt: "Dots."\nplot({n})\n```\n\n'
                    for n in range(3))
    plots += '```{r fig-p3, fig.cap="Plot 3.", fig.alt="Dots."}\nplot(3)\n```\n\n'
    text = _SETUP + (
        "As @fig-p0 shows, and Figures 1-3 of the old edition did, the mean is `r mean(y)`; Figure 2.1 is stale.\n\n"
        + plots
        + "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        + "```{r}\n#| label = \"tbl-cars\", echo = FALSE\nknitr::kable(head(cars))\n```\n\n"
        + "The console: ![](screenshots/console.png)\n")
    root = book(tmp_path, {"index.qmd": text})
    assert found(lint(root), root) == [
        ("XR004", "index.qmd", 8, 84),    # chapter form only: "Figures 1-3" mean another work
        ("FIG002", "index.qmd", 18, 11),  # 3 of 4 figures never referred to: one finding for the book
        ("CAP005", "index.qmd", 40, 13),  # labelled (CSV form), no caption; the plain table above is fine
        ("TBL002", "index.qmd", 40, 13),
        ("CAP009", "index.qmd", 44, 14),
        ("IMG001", "index.qmd", 44, 14),  # the screenshot is not in the fixture
    ]


def test_csv_label_that_is_no_name_is_no_label():
    """Found by the fuzzer: a bare first part spanning lines (`#| name` then a YAML line) names nothing."""
    doc = _doc(_SETUP + "```{r}\n#| labeparabl-1\n#| tbl-cap: A caption\nknitr::kable(cars)\n```\n")
    assert [label.id for label in doc.labels + doc.other_ids] == []
