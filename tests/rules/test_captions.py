"""CAP001-CAP007: captions and alt text of figures, tables and listings, in every form."""

from __future__ import annotations

import pytest

from lintkit import book, found, lint


def cap(tmp_path, text: str, codes=("CAP",), config: dict | None = None) -> list[tuple[str, int, int]]:
    """``(code, line, column)`` of the CAP findings in a one-chapter book."""
    root = book(tmp_path, {"index.qmd": text})
    return [(code, line, column) for code, _, line, column in found(lint(root, select=list(codes), config=config), root)]


def messages(tmp_path, text: str, codes=("CAP",), config: dict | None = None) -> list[str]:
    root = book(tmp_path, {"index.qmd": text})
    return [f"{d.code} {d.message}" for d in lint(root, select=list(codes), config=config)]


ALT = 'fig-alt="Bars rising to the right."'


# -- CAP001 figure-missing-caption --------------------------------------------------------------


def test_cap001_image_figure_with_empty_brackets(tmp_path):
    text = f"# T\n\n![](a.png){{#fig-a {ALT}}}\n"
    assert cap(tmp_path, text) == [("CAP001", 3, 13)]
    assert "write it between the image's brackets" in messages(tmp_path, text)[0]


def test_cap001_image_figure_with_caption_is_fine(tmp_path):
    assert cap(tmp_path, f"# T\n\n![Growth.](a.png){{#fig-a {ALT}}}\n") == []


def test_unlabelled_image_with_empty_brackets_is_no_figure(tmp_path):
    text = "# T\n\n![](logo.png)\n\n[![](logo.png)](https://example.org)\n"
    assert cap(tmp_path, text, ("CAP001", "CAP002")) == []
    assert cap(tmp_path, text) == [("CAP009", 3, 1), ("CAP009", 5, 2)]  # plain images, with no alt text


def test_cap001_div_with_one_block_and_no_fig_cap(tmp_path):
    text = "# T\n\n::: {#fig-x}\n![](a.png){fig-alt=\"Bars.\"}\n:::\n"
    assert cap(tmp_path, text) == [("CAP001", 3, 7)]
    assert "end the div with a caption paragraph" in messages(tmp_path, text)[0]


def test_cap001_div_whose_bracket_text_is_alt_says_so(tmp_path):
    text = "# T\n\n::: {#fig-x}\n![A robin on a branch](robin.png)\n:::\n"
    assert cap(tmp_path, text) == [("CAP001", 3, 7)]
    assert "the image's bracket text is its alt text here" in messages(tmp_path, text)[0]


def test_cap001_div_with_one_paragraph_has_content_not_caption(tmp_path):
    assert cap(tmp_path, "# T\n\n::: {#fig-x}\nJust some words.\n:::\n") == [("CAP001", 3, 7)]


def test_cap001_div_ending_with_code_has_no_caption(tmp_path):
    text = "# T\n\n::: {#fig-x}\nIntro.\n\n```{.tikz}\n\\draw (0,0) -- (1,1);\n```\n:::\n"
    assert cap(tmp_path, text, ("CAP001",)) == [("CAP001", 3, 7)]


@pytest.mark.parametrize("div", [
    '::: {#fig-x fig-cap="Sites." fig-alt="Map."}\n![](a.png)\n:::\n',
    '::: {#fig-x}\n![](a.png){fig-alt="Map."}\n\nSampling sites.\n:::\n',
])
def test_cap001_div_with_caption_attribute_or_paragraph_is_fine(tmp_path, div):
    assert cap(tmp_path, "# T\n\n" + div) == []


def test_cap001_cell_with_label_and_no_fig_cap(tmp_path):
    text = "# T\n\n```{python}\n#| label: fig-c\n#| fig-alt: \"Line.\"\nplot()\n```\n"
    assert cap(tmp_path, text) == [("CAP001", 4, 11)]
    assert "add `#| fig-cap:` to this cell" in messages(tmp_path, text)[0]


def test_cap001_knitr_header_caption_is_suggested_in_the_header(tmp_path):
    text = '# T\n\n```{r fig-k, fig.alt="Line."}\nplot(1)\n```\n'
    assert cap(tmp_path, text) == [("CAP001", 3, 7)]
    assert 'add `fig.cap="…"` to the chunk header' in messages(tmp_path, text)[0]


@pytest.mark.parametrize("cell", [
    '```{r}\n#| label: fig-e\n#| fig-cap: !expr paste("Mean", "height")\n#| fig-alt: !expr alt_text\nplot(1)\n```\n',
    '```{r fig-e, fig.cap=caption_text, fig.alt=alt_text}\nplot(1)\n```\n',
    '```{r fig-e}\n#| fig.cap: "Dotted knitr name."\n#| fig.alt: "Line."\nplot(1)\n```\n',
])
def test_cap001_knitr_expressions_and_dotted_names_count(tmp_path, cell):
    assert cap(tmp_path, "# T\n\n" + cell) == []


def test_cap001_mermaid_diagram(tmp_path):
    text = "# T\n\n```{mermaid}\n%%| label: fig-flow\nflowchart LR\n  A --> B\n```\n"
    assert cap(tmp_path, text) == [("CAP001", 4, 12), ("CAP002", 4, 12)]
    assert messages(tmp_path, text)[1].endswith("add `%%| fig-alt:` to this cell")


def test_cap001_subfigures_need_a_caption_only_on_the_parent(tmp_path):
    text = ("# T\n\n::: {#fig-p layout-ncol=2}\n![](a.png){#fig-p-a fig-alt=\"A.\"}\n\n"
            "![](b.png){#fig-p-b fig-alt=\"B.\"}\n:::\n")
    assert cap(tmp_path, text) == [("CAP001", 3, 7)]
    assert cap(tmp_path, text.replace("\n:::\n", "\n\nTwo panels.\n:::\n")) == []


def test_embedded_notebook_figure_is_not_checked(tmp_path):
    assert cap(tmp_path, "# T\n\n{{< embed notebooks/analysis.ipynb#fig-residuals >}}\n") == []


# -- CAP002 figure-missing-alt-text ------------------------------------------------------------


def test_cap002_labelled_image_without_fig_alt(tmp_path):
    text = "# T\n\n![Growth of the colony.](a.png){#fig-growth width=70%}\n"
    assert cap(tmp_path, text) == [("CAP002", 3, 34)]
    assert 'add `fig-alt="…"` to the figure\'s image attributes' in messages(tmp_path, text)[0]


def test_cap002_unlabelled_captioned_image_is_a_figure_without_alt(tmp_path):
    assert cap(tmp_path, "# T\n\nSome text.\n\n![An elephant.](elephant.png)\n") == [("CAP002", 5, 1)]


@pytest.mark.parametrize("image", [
    "Inline ![An elephant](elephant.png) in a sentence.",
    "![An elephant](elephant.png)\\",
    '![Cap.](elephant.png){alt="A grey elephant."}',
    '![Cap.](elephant.png){#fig-e fig-alt="A grey elephant."}',
])
def test_cap002_inline_images_and_given_alt_are_fine(tmp_path, image):
    assert cap(tmp_path, f"# T\n\n{image}\n") == []


@pytest.mark.parametrize("div", [
    '::: {#fig-x fig-alt="Map."}\n![](a.png)\n\nCaption.\n:::\n',
    '::: {#fig-x}\n![](a.png){fig-alt="Map."}\n\nCaption.\n:::\n',
    "::: {#fig-x}\n![Map of eight sites](a.png)\n\nCaption.\n:::\n",
    "::: {#fig-x}\nA paragraph shown as a figure.\n\nCaption.\n:::\n",
    "::: {#fig-x}\n| A | B |\n|---|---|\n| C | D |\n\nCaption.\n:::\n",
    "::: {#fig-x}\n```r\nplot(1)\n```\n\nCaption.\n:::\n",
    "::: {#fig-x}\n{{< video https://example.org/v.mp4 >}}\n\nCaption.\n:::\n",
    '::: {#fig-x}\n```{r}\n#| fig-alt: "A line."\nplot(1)\n```\n\nCaption.\n:::\n',
])
def test_cap002_div_figure_with_alt_or_without_a_picture_is_fine(tmp_path, div):
    assert cap(tmp_path, "# T\n\n" + div) == []


def test_cap002_div_with_tikz_picture_needs_fig_alt_on_the_div(tmp_path):
    text = "# T\n\n::: {#fig-x}\n```{.tikz}\n\\draw (0,0) -- (1,1);\n```\n\nCaption.\n:::\n"
    assert cap(tmp_path, text) == [("CAP002", 3, 7)]
    assert messages(tmp_path, text)[0].endswith('add `fig-alt="…"` to the div')


def test_cap002_div_around_a_plot_cell_names_both_places(tmp_path):
    text = "# T\n\n::: {#fig-x}\n```{r}\nplot(1)\n```\n\nCaption.\n:::\n"
    assert cap(tmp_path, text) == [("CAP002", 3, 7)]
    assert messages(tmp_path, text)[0].endswith('add `fig-alt="…"` to the div, or `#| fig-alt:` to its cell')


def test_cap002_div_single_image_without_alt(tmp_path):
    text = '# T\n\n::: {#fig-x fig-cap="Caption."}\n![](a.png)\n:::\n'
    assert cap(tmp_path, text) == [("CAP002", 3, 7)]
    assert messages(tmp_path, text)[0].endswith('add `fig-alt="…"` to the div or to its image')


def test_cap002_python_cell_without_fig_alt(tmp_path):
    text = '# T\n\n```{python}\n#| label: fig-loss\n#| fig-cap: "Loss."\nplot()\n```\n'
    assert cap(tmp_path, text) == [("CAP002", 4, 11)]
    assert messages(tmp_path, text)[0] == "CAP002 figure `fig-loss` has no alt text: add `#| fig-alt:` to this cell"


def test_cap002_knitr_header_cell_is_told_to_use_the_header(tmp_path):
    text = '# T\n\n```{r fig-k, fig.cap="Knitr caption."}\nplot(1)\n```\n'
    assert cap(tmp_path, text) == [("CAP002", 3, 7)]
    assert messages(tmp_path, text)[0].endswith('add `fig.alt="…"` to the chunk header')


def test_cap002_unlabelled_cell_with_fig_cap_is_a_figure(tmp_path):
    text = '# T\n\n```{r}\n#| fig-cap: "Unnumbered."\nplot(1)\n```\n'
    assert cap(tmp_path, text) == [("CAP002", 3, 1)]


def test_cap002_cell_subfigures_without_any_alt_is_one_finding(tmp_path):
    text = ('# T\n\n```{python}\n#| label: fig-s\n#| fig-cap: "Two plots."\n#| fig-subcap:\n#|   - "A"\n'
            '#|   - "B"\nplot()\n```\n')
    assert cap(tmp_path, text) == [("CAP002", 4, 11)]
    assert "the 2 figures of `fig-s` have no alt text" in messages(tmp_path, text)[0]


def test_cap002_cell_subfigures_with_a_short_alt_list(tmp_path):
    text = ('# T\n\n```{python}\n#| label: fig-s\n#| fig-cap: "Two plots."\n#| fig-subcap: ["A", "B"]\n'
            '#| fig-alt: ["First plot."]\nplot()\n```\n')
    root = book(tmp_path, {"index.qmd": text})
    diagnostics = lint(root, select=["CAP002"])
    assert [(d.code, d.span.line, d.subject) for d in diagnostics] == [("CAP002", 4, "fig-s-2")]


def test_cap002_cell_subfigures_with_one_alt_each_are_fine(tmp_path):
    text = ('# T\n\n```{python}\n#| label: fig-s\n#| fig-cap: "Two plots."\n#| fig-subcap: ["A", "B"]\n'
            '#| fig-alt: ["First plot.", "Second plot."]\nplot()\n```\n')
    assert cap(tmp_path, text) == []


def test_cap002_cell_with_a_list_of_captions(tmp_path):
    text = '# T\n\n```{r}\n#| label: fig-l\n#| fig-cap: ["First.", "Second."]\nplot(1)\nplot(2)\n```\n'
    assert cap(tmp_path, text) == [("CAP002", 4, 11)]
    assert "the 2 figures of `fig-l` have no alt text" in messages(tmp_path, text)[0]
    with_alt = text.replace("plot(1)", '#| fig-alt: ["One line.", "Two lines."]\nplot(1)')
    assert cap(tmp_path, with_alt) == []


def test_cap002_each_div_subfigure_needs_its_own_alt(tmp_path):
    text = ("# T\n\n::: {#fig-birds layout-ncol=2}\n![Robin](robin.png){#fig-robin}\n\n"
            '![Wren](wren.png){#fig-wren fig-alt="A small brown bird."}\n\nTwo garden birds.\n:::\n')
    assert cap(tmp_path, text) == [("CAP002", 4, 22)]
    assert messages(tmp_path, text)[0].startswith("CAP002 sub-figure `fig-robin` has no alt text")


def test_cap002_unlabelled_images_in_a_figure_div_are_subfigures(tmp_path):
    text = '# T\n\n::: {#fig-p layout-ncol=2}\n![Left](a.png)\n\n![Right](b.png){fig-alt="B."}\n\nBoth.\n:::\n'
    assert cap(tmp_path, text) == [("CAP002", 4, 1)]


@pytest.mark.parametrize(("image", "config", "expected"), [
    ('![Cap.](a.png){#fig-d fig-alt=""}', None, [("CAP002", 3, 17)]),
    ('![Cap.](a.png){#fig-d .decorative fig-alt=""}', None, []),
    ('![Cap.](a.png){#fig-d fig-alt=""}', {"rules": {"CAP002": {"allow-decorative": True}}}, []),
    ('![Cap.](a.png){#fig-d}', {"rules": {"CAP002": {"allow-decorative": True}}}, [("CAP002", 3, 17)]),
])
def test_cap002_explicitly_decorative_figures(tmp_path, image, config, expected):
    assert cap(tmp_path, f"# T\n\n{image}\n", ("CAP002",), config) == expected


def test_cap002_empty_alt_message_names_the_opt_out(tmp_path):
    text = '# T\n\n![Cap.](a.png){#fig-d fig-alt=""}\n'
    assert "empty alt text (decorative; allow it with `.decorative` or the `allow-decorative` option)" in (
        messages(tmp_path, text)[0])


def test_cap002_cell_suppression_option_silences_it(tmp_path):
    text = '# T\n\n```{python}\n#| label: fig-w\n#| fig-cap: "Warm-up."\n#| mlsys-lint: ignore CAP002\nplot()\n```\n'
    assert cap(tmp_path, text) == []


# -- CAP003 alt-text-duplicates-caption -----------------------------------------------------------


def test_cap003_alt_equal_to_caption_after_markup(tmp_path):
    text = '# T\n\n![**Roofline**: bandwidth, then compute.](r.svg){#fig-r fig-alt="Roofline: bandwidth, then compute"}\n'
    assert cap(tmp_path, text) == [("CAP003", 3, 66)]


def test_cap003_different_alt_is_fine(tmp_path):
    assert cap(tmp_path, f"# T\n\n![Roofline.](r.svg){{#fig-r {ALT}}}\n") == []


def test_cap003_div_image_bracket_text_equal_to_the_caption_paragraph(tmp_path):
    text = "# T\n\n::: {#fig-x}\n![Dividing cells.](c.png)\n\nDividing cells\n:::\n"
    assert cap(tmp_path, text, ("CAP001", "CAP002", "CAP003")) == [("CAP003", 4, 3)]


def test_cap003_cell_alt_equal_to_caption(tmp_path):
    text = '# T\n\n```{r}\n#| label: fig-c\n#| fig-cap: "Height against weight."\n#| fig-alt: "height against weight"\nplot(1)\n```\n'
    assert cap(tmp_path, text) == [("CAP003", 6, 14)]


def test_cap003_block_scalars_are_compared_as_text(tmp_path):
    text = ("# T\n\n```{python}\n#| label: fig-l\n#| fig-cap: |\n#|   Latency over\n#|   time.\n"
            "#| fig-alt: >\n#|   Latency over time\nplot()\n```\n")
    assert cap(tmp_path, text) == [("CAP003", 9, 6)]


def test_cap003_computed_caption_is_not_compared(tmp_path):
    text = '# T\n\n```{r}\n#| label: fig-c\n#| fig-cap: !expr cap\n#| fig-alt: "cap"\nplot(1)\n```\n'
    assert cap(tmp_path, text, ("CAP003",)) == []


# -- CAP004 alt-text-quality -----------------------------------------------------------------------


@pytest.mark.parametrize(("alt", "fragment"), [
    ("image", "is a placeholder (`image`)"),
    ("Figure 2", "is a placeholder (`Figure 2`)"),
    ("TODO", "is a placeholder"),
    ("plots/chart_final.png", "is a file name"),
    ("Image of a weight matrix.", 'starts with "Image of"'),
    ("A photo of a wafer.", 'starts with "A photo of"'),
    ("x" * 251, "is 251 characters long (limit 250"),
])
def test_cap004_poor_alt_text(tmp_path, alt, fragment):
    text = f'# T\n\n![Caption.](w.svg){{#fig-w fig-alt="{alt}"}}\n'
    assert cap(tmp_path, text) == [("CAP004", 3, 36)]
    assert fragment in messages(tmp_path, text)[0]


@pytest.mark.parametrize("alt", ["x" * 250, "A weight matrix with most rows blanked out.", "Screenshot of the editor.",
                                 "Images of three cats in a row."])
def test_cap004_good_alt_text(tmp_path, alt):
    assert cap(tmp_path, f'# T\n\n![Caption.](w.svg){{#fig-w fig-alt="{alt}"}}\n') == []


def test_cap004_options_change_the_limit_and_the_words(tmp_path):
    config = {"rules": {"CAP004": {"max-alt-length": 10, "placeholder-words": ["blank"]}}}
    long_alt = '# T\n\n![Caption.](w.svg){#fig-w fig-alt="Twelve chars"}\n'
    assert cap(tmp_path, long_alt, ("CAP004",), config) == [("CAP004", 3, 36)]
    assert cap(tmp_path, long_alt.replace("Twelve chars", "image"), ("CAP004",), config) == []
    assert cap(tmp_path, long_alt.replace("Twelve chars", "Blank"), ("CAP004",), config) == [("CAP004", 3, 36)]


def test_cap004_checks_cell_alt_and_div_image_bracket_text(tmp_path):
    text = ('# T\n\n```{r}\n#| label: fig-c\n#| fig-cap: "Cap."\n#| fig-alt: "plot"\nplot(1)\n```\n\n'
            "::: {#fig-d}\n![picture](d.png)\n\nCaption.\n:::\n")
    assert cap(tmp_path, text) == [("CAP004", 6, 14), ("CAP004", 11, 3)]


# -- CAP005 table-missing-caption ------------------------------------------------------------------

TABLE = "| a | b |\n|---|---|\n| 1 | 2 |\n"


def test_cap005_pipe_table_without_caption(tmp_path):
    text = "# T\n\nText.\n\n" + TABLE
    assert cap(tmp_path, text) == []  # Quarto asks no caption of a plain table
    assert cap(tmp_path, text, ("CAP005",), {"rules": {"CAP005": {"unlabelled-tables": True}}}) == [("CAP005", 5, 1)]


@pytest.mark.parametrize("text", [
    TABLE + "\n: Counts. {#tbl-c}\n",
    TABLE + "\n\n\n: Counts after three blank lines. {#tbl-c}\n",
    ": Counts above the table. {#tbl-c}\n\n" + TABLE,
    TABLE + "Table: Glued caption.\n",
    "::: {#tbl-c}\n" + TABLE + "\nCounts.\n:::\n",
    "::: {#tbl-c}\n" + TABLE + "\n: Inner caption.\n:::\n",
    "::: {#fig-t}\n" + TABLE + "\nA table shown as a figure.\n:::\n",
    "::: {#tbl-c .list-table}\nFruit prices\n\n- - Fruit\n  - Price\n:::\n",
    '```{r}\n#| label: tbl-c\n#| tbl-cap: "Cars."\nhead(cars)\n```\n',
    '```{r}\n#| label: tbl-c\nknitr::kable(head(cars), caption = "Cars.")\n```\n',
])
def test_cap005_captioned_tables_are_fine(tmp_path, text):
    assert cap(tmp_path, "# T\n\n" + text) == []


def test_cap005_labelled_table_with_empty_caption(tmp_path):
    assert cap(tmp_path, "# T\n\n" + TABLE + "\n: {#tbl-c}\n") == [("CAP005", 7, 5)]


def test_cap005_table_div_without_caption(tmp_path):
    text = "# T\n\n::: {#tbl-c}\n" + TABLE + ":::\n"
    assert cap(tmp_path, text) == [("CAP005", 3, 7)]
    assert "or add `tbl-cap=\"…\"` to it" in messages(tmp_path, text)[0]


def test_cap005_table_cell_without_tbl_cap(tmp_path):
    text = "# T\n\n```{r}\n#| label: tbl-c\nknitr::kable(head(cars))\n```\n"
    assert cap(tmp_path, text) == [("CAP005", 4, 11)]
    assert messages(tmp_path, text)[0].endswith("add `#| tbl-cap:` to this cell")


def test_cap005_caption_pandoc_does_not_attach(tmp_path):
    text = "# T\n\n" + TABLE + "\nThe sizes above.\n\n: Counts. {#tbl-c}\n"
    assert cap(tmp_path, text) == [("CAP005", 9, 1)]
    assert "is not next to a table" in messages(tmp_path, text)[0]


def test_cap005_caption_after_the_closing_fence_of_a_div_is_detached(tmp_path):
    text = "# T\n\n::: {.column-page}\n" + TABLE + ":::\n\n: Counts. {#tbl-c}\n"
    assert cap(tmp_path, text, ("CAP005",)) == [("CAP005", 9, 1)]


# -- CAP006 listing-missing-caption -------------------------------------------------------------------


def test_cap006_code_block_with_lst_id_and_no_lst_cap(tmp_path):
    text = "# T\n\n```{#lst-q .sql}\nSELECT 1;\n```\n"
    assert cap(tmp_path, text) == [("CAP006", 3, 1)]
    assert "`@lst-q` does not resolve" in messages(tmp_path, text)[0]


@pytest.mark.parametrize(("text", "expected"), [
    ('```{#lst-q .sql lst-cap="All runs."}\nSELECT 1;\n```\n', []),
    ("::: {#lst-q}\n```sql\nSELECT 1;\n```\n\nAll runs.\n:::\n", []),
    ("::: {#lst-q}\n```sql\nSELECT 1;\n```\n:::\n", [("CAP006", 3, 7)]),
    ('```{python}\n#| lst-label: lst-p\n#| lst-cap: "Loop."\nfor i in x: pass\n```\n', []),
    ("```{python}\n#| lst-label: lst-p\nfor i in x: pass\n```\n", [("CAP006", 3, 1)]),
    ('```{#lst-q .sql lst-cap=""}\nSELECT 1;\n```\n', [("CAP006", 3, 6)]),
    ("```{#sec-q .sql}\nSELECT 1;\n```\n", []),
])
def test_cap006_listing_forms(tmp_path, text, expected):
    assert cap(tmp_path, "# T\n\n" + text) == expected


# -- CAP007 conflicting-captions ------------------------------------------------------------------------


def test_cap007_fig_cap_ignored_by_caption_paragraph(tmp_path):
    text = '# T\n\n::: {#fig-d fig-cap="Ignored."}\n![](d.svg){fig-alt="Grid."}\n\nThe caption.\n:::\n'
    assert cap(tmp_path, text) == [("CAP007", 3, 22)]
    assert messages(tmp_path, text)[0] == ("CAP007 `fig-cap` of `fig-d` is ignored: the div's last paragraph (line 6) "
                                           "is its caption; keep one of them")


def test_cap007_table_div_and_multi_line_opener(tmp_path):
    text = "# T\n\n::: {#tbl-c\n     tbl-cap='Ignored.'}\n" + TABLE + "\nThe caption.\n:::\n"
    assert cap(tmp_path, text) == [("CAP007", 4, 15)]


def test_cap007_one_block_div_uses_the_attribute(tmp_path):
    assert cap(tmp_path, '# T\n\n::: {#fig-d fig-cap="Used."}\n![](d.svg){fig-alt="Grid."}\n:::\n') == []


# -- what MLSysBook's own check gets wrong, and we must not ---------------------------------------------


def test_not_fooled_by_multi_line_div_attributes(tmp_path):
    text = ('# T\n\n::: {#fig-roofline\n     fig-cap="Throughput is capped by bandwidth, then by compute."\n'
            '     fig-alt="Log-log plot; the \\"ridge\\" point is where the author\'s two lines meet."}\n'
            "```{.tikz}\n\\draw (0,0) -- (1,1);\n```\n:::\n")
    assert cap(tmp_path, text) == []


def test_not_fooled_by_single_quoted_attributes(tmp_path):
    text = "# T\n\n::: {#fig-x fig-cap='Sampling sites.' fig-alt='Map with \"eight\" sites.'}\n![](m.png)\n:::\n"
    assert cap(tmp_path, text) == []


def test_not_fooled_by_subfigure_parent_captioned_by_its_last_paragraph(tmp_path):
    text = ('# T\n\n::: {#fig-pair layout-ncol="2"}\n![Strong scaling.](a.png){#fig-pair-a fig-alt="Speedup line."}\n\n'
            '![Weak scaling.](b.png){#fig-pair-b fig-alt="Flat line."}\n\nScaling from one to sixteen devices.\n:::\n')
    assert cap(tmp_path, text) == []


def test_not_fooled_by_yaml_block_scalar_options(tmp_path):
    text = ("# T\n\n```{python}\n#| label: fig-latency\n#| fig-cap: |\n#|   Latency of one request\n"
            '#|   over a day.\n#| fig-alt: "Line plot with a peak at noon."\nplot()\n```\n')
    assert cap(tmp_path, text) == []


def test_not_fooled_by_figures_shown_inside_code_examples(tmp_path):
    text = ("# T\n\n````markdown\n::: {#fig-demo fig-cap=\"x\"}\n![](y.png)\n:::\n\n```{python}\n"
            "#| label: fig-inner\nplot()\n```\n````\n\n~~~\n![](z.png){#fig-tilde}\n~~~\n\n"
            "<!--\n![](old.png){#fig-old}\n-->\n\nWrite `![](a.png){#fig-inline}` for a figure.\n")
    assert cap(tmp_path, text) == []


def test_not_fooled_by_fig_alt_on_the_image_a_line_below_the_div_opener(tmp_path):
    text = ('# T\n\n::: {#fig-x fig-cap="Caption on the opener."}\n![](a.png){\n  fig-alt="Alt on the image,'
            ' a line below."\n  width=70%\n}\n:::\n')
    assert cap(tmp_path, text) == []


# -- CAP009 image-missing-alt-text -------------------------------------------------------------------

IMAGES_WITHOUT_ALT = [
    "![](shot.png)\n",
    "Open the panel: ![](panel.png) and click.\n",
    "[![](badge.svg)](https://example.org/ci)\n",
    "- ![](item.png)\n",
    "| a |\n|---|\n| ![](cell.png) |\n",
    "![](dec.png){.decorative}\n",
    '<img src="raw.png"> in text.\n',
]
IMAGES_WITH_ALT = [
    "![A cat on a mat.](cat.png)\n",
    "Inline ![a cat](cat.png) in a sentence.\n",
    '![](rule.png){alt=""}\n',
    '![](rule.png){alt="A rule"}\n',
    '<img src="raw.png" alt=""> in text.\n',
    "`![](code.png)` is code.\n",
    "<!-- ![](hidden.png) -->\n",
]


@pytest.mark.parametrize("text", IMAGES_WITHOUT_ALT)
def test_cap009_image_without_alt(tmp_path, text):
    assert [code for code, _, _ in cap(tmp_path, "# T\n\n" + text, ("CAP009",))] == ["CAP009"]


@pytest.mark.parametrize("text", IMAGES_WITH_ALT)
def test_cap009_image_with_alt_or_not_an_image(tmp_path, text):
    assert cap(tmp_path, "# T\n\n" + text, ("CAP009",)) == []


@pytest.mark.parametrize("text", IMAGES_WITHOUT_ALT + IMAGES_WITH_ALT)
def test_cap009_agrees_with_pandoc_html(text):
    """Pandoc is the oracle: an `<img>` it writes without an `alt` attribute is what CAP009 reports."""
    pypandoc = pytest.importorskip("pypandoc", reason="pypandoc-binary is not installed")
    html = pypandoc.convert_text(text, "html", format="markdown")
    tags = [tag for tag in html.split("<img")[1:]]
    assert any("alt=" not in tag.split(">", 1)[0] for tag in tags) == (text in IMAGES_WITHOUT_ALT)


def test_cap009_positions_and_what_it_leaves_to_cap002(tmp_path):
    text = ("# T\n\nSee ![](a.png) here.\n\n![Caption.](fig.png)\n\n![](lab.png){#fig-lab}\n\n"
            "::: {#fig-div}\n![](inside.png)\n\nA figure div.\n:::\n\n"
            '![](fa.png){fig-alt="Quarto moves fig-alt to alt."}\n\nAnd <IMG SRC=up.png>.\n')
    assert cap(tmp_path, text, ("CAP009",)) == [("CAP009", 3, 5), ("CAP009", 17, 5)]
    assert messages(tmp_path, text, ("CAP009",)) == [
        "CAP009 image `a.png` has no alt text, so screen readers read its file name: write it between the brackets, "
        'or add `{alt=""}` if it is decorative',
        'CAP009 `<img>` of `up.png` has no `alt` attribute: add `alt="…"` (`alt=""` if decorative)']


# -- CAP008 caption-style -------------------------------------------------------------------------------

HOUSE = {"rules": {"CAP008": {"bold-lead": True, "sentence-case": True, "max-words": 12}}}


def test_cap008_is_off_by_default_and_checks_a_final_period(tmp_path):
    text = "# T\n\n![Roofline model](r.png){#fig-r}\n\n| a |\n|---|\n| 1 |\n\n: Results? {#tbl-r}\n"
    assert cap(tmp_path, text, ("CAP001", "CAP002", "CAP005")) == [("CAP002", 3, 27)]
    assert [d.message for d in lint(book(tmp_path, {"index.qmd": text}), select=["CAP008"])] == [
        "caption of figure `fig-r` does not end with a period"]


@pytest.mark.parametrize(("caption", "problems"), [
    ("**Roofline model**: throughput is capped by bandwidth.", []),
    ("**Roofline Model For Modern Accelerators**: throughput is capped.", ["is in title case, not sentence case"]),
    ("**ImageNet accuracy by year**: the error rate fell (Russakovsky et al.).", []),
    ("Roofline model.", ["does not start with a bold title, `**Title**: `"]),
    ("**Roofline model**: one two three four five six seven eight nine ten eleven.", ["has 13 words (limit 12)"]),
])
def test_cap008_house_style_options(tmp_path, caption, problems):
    text = f"# T\n\nSee @fig-r.\n\n![{caption}](r.png){{#fig-r fig-alt=\"Lines.\"}}\n"
    messages_ = [d.message for d in lint(book(tmp_path, {"index.qmd": text}), select=["CAP008"], config=HOUSE)]
    assert messages_ == ([f"caption of figure `fig-r` {'; '.join(problems)}"] if problems else [])


def test_cap008_covers_tables_listings_and_cell_captions(tmp_path):
    text = ('# T\n\n| a |\n|---|\n| 1 |\n\n: Results {#tbl-r}\n\n```{#lst-q .sql lst-cap="All runs"}\nSELECT 1;\n```\n\n'
            '```{python}\n#| label: fig-c\n#| fig-cap: "A plot"\nplot()\n```\n')
    root = book(tmp_path, {"index.qmd": text})
    assert found(lint(root, select=["CAP008"]), root) == [("CAP008", "index.qmd", 7, 3), ("CAP008", "index.qmd", 9, 26),
                                                          ("CAP008", "index.qmd", 15, 14)]
