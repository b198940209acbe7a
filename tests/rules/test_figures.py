"""FIG001-FIG003, TBL001, LST001: where floats stand relative to the text that refers to them."""

from __future__ import annotations

from lintkit import book, found, lint


def fig(root, codes=("FIG",), config=None) -> list[tuple[str, str, int, int]]:
    return found(lint(root, select=list(codes), config=config), root)


def messages(root, codes=("FIG",), config=None) -> list[str]:
    return [d.message for d in lint(root, select=list(codes), config=config)]


FIG = "![Roofline model.](roofline.png){#fig-roofline}\n"


# -- FIG001 figure-shown-before-reference -------------------------------------------------------------


def test_fig001_reference_before_the_figure_is_fine(tmp_path):
    assert fig(book(tmp_path, {"index.qmd": f"# T\n\n@fig-roofline shows the bound.\n\n{FIG}"})) == []


def test_fig001_figure_before_its_first_reference(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{FIG}\nAs @fig-roofline shows.\n"})
    assert fig(root) == [("FIG001", "index.qmd", 3, 35)]
    assert messages(root) == ["figure `fig-roofline` is shown before the text refers to it: its first reference, "
                              "`@fig-roofline`, is in the next paragraph (line 5); refer to it before the figure, or "
                              "set `allow-following-paragraphs: 1` for this house style"]


def test_fig001_first_reference_further_down_says_where(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{FIG}\nThe bound.\n\nAs @fig-roofline shows.\n"})
    assert messages(root) == ["figure `fig-roofline` is shown before the text refers to it; its first reference, "
                              "`@fig-roofline`, comes later at line 7"]


def test_fig001_sentence_start_capital_counts_as_a_reference(tmp_path):
    assert fig(book(tmp_path, {"index.qmd": f"# T\n\n@Fig-roofline shows it.\n\n{FIG}"})) == []


def test_fig001_cross_chapter_order_follows_the_book(tmp_path):
    root = book(tmp_path, {
        "index.qmd": "# One\n\nLater chapters show @fig-two.\n\n![One.](1.png){#fig-one}\n",
        "two.qmd": "# Two\n\n![Two.](2.png){#fig-two}\n\nBack to @fig-one.\n",
    })
    assert fig(root) == [("FIG001", "index.qmd", 5, 17)]
    assert messages(root) == ["figure `fig-one` is shown before the text refers to it; its first reference, "
                              "`@fig-one`, comes later at two.qmd:5"]


def test_fig001_references_in_its_own_caption_or_div_do_not_count(tmp_path):
    text = ("# T\n\n::: {#fig-x}\n![](x.png)\n\nCompare @fig-x with the bound.\n:::\n\n"
            "```{python}\n#| label: fig-cell\n#| fig-cap: \"Unlike @fig-cell, …\"\nplot()\n```\n\n"
            "Now @fig-x and @fig-cell.\n")
    root = book(tmp_path, {"index.qmd": text})
    assert fig(root, ("FIG001",)) == [("FIG001", "index.qmd", 3, 7), ("FIG001", "index.qmd", 10, 11)]


def test_fig001_references_in_code_comments_and_math_do_not_count(tmp_path):
    text = f"# T\n\nSee `@fig-roofline`, <!-- @fig-roofline --> and $@fig-roofline$.\n\n{FIG}\n@fig-roofline.\n"
    assert fig(book(tmp_path, {"index.qmd": text}), ("FIG001",)) == [("FIG001", "index.qmd", 5, 35)]


def test_fig001_subfigure_reference_introduces_the_figure(tmp_path):
    text = ("# T\n\nFirst @fig-robin.\n\n::: {#fig-birds layout-ncol=2}\n![Robin](robin.png){#fig-robin}\n\n"
            "![Wren](wren.png){#fig-wren}\n\nBirds; @fig-wren is smaller.\n:::\n")
    assert fig(book(tmp_path, {"index.qmd": text})) == []


def test_fig001_subfigure_references_inside_the_parent_do_not_count(tmp_path):
    text = ("# T\n\n::: {#fig-birds layout-ncol=2}\n![Robin](robin.png){#fig-robin}\n\n"
            "![Wren](wren.png){#fig-wren}\n\nBirds; @fig-wren is smaller.\n:::\n\nLater @fig-birds.\n")
    assert fig(book(tmp_path, {"index.qmd": text})) == [("FIG001", "index.qmd", 3, 7)]


def test_fig001_cell_subcaption_reference_introduces_the_cell_figure(tmp_path):
    text = ("# T\n\nSee @fig-plots-2.\n\n```{r}\n#| label: fig-plots\n#| fig-cap: Plots\n"
            "#| fig-subcap: [One, Two]\nplot(1)\nplot(2)\n```\n")
    assert fig(book(tmp_path, {"index.qmd": text})) == []


def test_fig001_footnote_reference_counts_where_its_marker_stands(tmp_path):
    text = f"# T\n\nA claim.[^n]\n\n{FIG}\n[^n]: As @fig-roofline shows.\n"
    assert fig(book(tmp_path, {"index.qmd": text})) == []


def test_fig001_figure_in_an_included_file(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\n{{< include _f.qmd >}}\n\nThen @fig-inc.\n"},
                extra={"_f.qmd": "![Inc.](i.png){#fig-inc}\n"})
    assert fig(root) == [("FIG001", "_f.qmd", 1, 17)]


def test_fig001_allow_following_paragraphs(tmp_path):
    text = f"# T\n\n{FIG}\n@fig-roofline shows it.\n\n![Two.](2.png){{#fig-two}}\n\nOne.\n\nThen @fig-two.\n"
    root = book(tmp_path, {"index.qmd": text})
    assert fig(root) == [("FIG001", "index.qmd", 3, 35), ("FIG001", "index.qmd", 7, 17)]
    allow = {"rules": {"FIG001": {"allow-following-paragraphs": 1}}}
    assert fig(root, config=allow) == [("FIG001", "index.qmd", 7, 17)]
    allow = {"rules": {"FIG001": {"allow-following-paragraphs": 2}}}
    assert fig(root, config=allow) == []


def test_fig001_allowance_does_not_count_code_cells_as_paragraphs(tmp_path):
    text = f"# T\n\n{FIG}\n```{{python}}\nx = 1\n```\n\n@fig-roofline shows it.\n"
    assert fig(book(tmp_path, {"index.qmd": text}), config={"rules": {"FIG001": {"allow-following-paragraphs": 1}}}
               ) == []


# -- FIG002 unreferenced-figure -------------------------------------------------------------------------


def test_fig002_unreferenced_figure(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{FIG}"})
    assert fig(root) == [("FIG002", "index.qmd", 3, 35)]
    assert messages(root) == ["figure `fig-roofline` is never referred to"]


def test_fig002_only_its_own_caption_refers_to_it(tmp_path):
    text = "# T\n\n::: {#fig-x fig-cap=\"Compare @fig-x.\"}\n![](x.png)\n:::\n"
    root = book(tmp_path, {"index.qmd": text})
    assert fig(root) == [("FIG002", "index.qmd", 3, 7)]
    assert messages(root) == ["figure `fig-x` is never referred to (only its own caption mentions it)"]


def test_fig002_reference_in_code_is_no_reference(tmp_path):
    text = f"# T\n\n{FIG}\n```markdown\nSee @fig-roofline.\n```\n"
    assert fig(book(tmp_path, {"index.qmd": text})) == [("FIG002", "index.qmd", 3, 35)]


def test_fig002_referenced_from_another_chapter_or_by_link_or_subfigure(tmp_path):
    root = book(tmp_path, {
        "index.qmd": f"# T\n\n{FIG}\n![Linked.](l.png){{#fig-linked}}\n\nSee [the plot](#fig-linked).\n\n"
                     "::: {#fig-pair}\n![A](a.png){#fig-pair-a}\n\n![B](b.png){#fig-pair-b}\n\nPair.\n:::\n\n"
                     "See @fig-pair-b.\n",
        "two.qmd": "# Two\n\nBack to @fig-roofline.\n",
    })
    assert fig(root, ("FIG002",)) == []


def test_fig002_ignores_unlabelled_figures_and_tables(tmp_path):
    text = "# T\n\n![No label.](a.png)\n\n| a |\n|---|\n| 1 |\n\n: Unreferenced. {#tbl-a}\n"
    assert fig(book(tmp_path, {"index.qmd": text})) == []


def _figures(count: int, referenced: int) -> str:
    figures = "".join(f"![Plot {n}.](p{n}.png){{#fig-p{n}}}\n\n" for n in range(count))
    return "# T\n\n" + "".join(f"See @fig-p{n}.\n\n" for n in range(referenced)) + figures


def test_fig002_book_that_numbers_figures_without_referring_to_them_gets_one_finding(tmp_path):
    root = book(tmp_path, {"index.qmd": _figures(10, 4)})  # 6 of 10 never referred to
    assert fig(root, ("FIG002",)) == [("FIG002", "index.qmd", 19, 21)]
    assert messages(root, ("FIG002",)) == [
        "6 of 10 figures are never referred to: this book numbers figures without referring to them; refer to them "
        "or ignore FIG002 (first: `fig-p4`)"]


def test_fig002_book_that_refers_to_most_figures_gets_one_finding_per_figure(tmp_path):
    root = book(tmp_path, {"index.qmd": _figures(10, 5)})  # half referred to: the habit is to refer
    assert fig(root, ("FIG002",)) == [("FIG002", "index.qmd", n, 21) for n in range(23, 33, 2)]


def test_fig002_min_referenced_share_zero_reports_every_figure(tmp_path):
    root = book(tmp_path, {"index.qmd": _figures(4, 0)})
    config = {"rules": {"FIG002": {"min-referenced-share": 0}}}
    assert fig(root, ("FIG002",), config) == [("FIG002", "index.qmd", n, 21) for n in (3, 5, 7, 9)]
    assert len(fig(root, ("FIG002",))) == 1


# -- FIG003 figure-referenced-only-in-caption -------------------------------------------------------------


def test_fig003_referenced_only_from_another_caption(tmp_path):
    text = f"# T\n\n{FIG}\n![Kernels, compare @fig-roofline.](k.png){{#fig-kernels}}\n\nSee @fig-kernels.\n"
    root = book(tmp_path, {"index.qmd": text})
    assert fig(root) == [("FIG001", "index.qmd", 3, 35), ("FIG003", "index.qmd", 3, 35),
                         ("FIG001", "index.qmd", 5, 44)]
    assert messages(root, ("FIG003",)) == ["figure `fig-roofline` is referred to only from captions (first at line 5);"
                                           " refer to it from the text"]


def test_fig003_cell_caption_reference_counts_as_caption(tmp_path):
    text = (f"# T\n\n{FIG}\n```{{r}}\n#| label: fig-k\n#| fig-cap: \"Kernels against @fig-roofline.\"\nplot()\n```\n\n"
            "See @fig-k.\n")
    assert fig(book(tmp_path, {"index.qmd": text}), ("FIG003",)) == [("FIG003", "index.qmd", 3, 35)]


def test_fig003_prose_reference_clears_it(tmp_path):
    text = f"# T\n\n@fig-roofline first.\n\n{FIG}\n![Compare @fig-roofline.](k.png){{#fig-k}}\n\nSee @fig-k.\n"
    assert fig(book(tmp_path, {"index.qmd": text}), ("FIG003",)) == []


# -- TBL001, LST001 --------------------------------------------------------------------------------------

TABLE = "| a | b |\n|---|---|\n| 1 | 2 |\n\n: Results. {#tbl-results}\n"
LISTING = "```{#lst-query .sql lst-cap=\"All customers.\"}\nSELECT * FROM customers;\n```\n"


def test_tbl001_and_lst001_are_off_by_default(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{TABLE}\n@tbl-results.\n\n{LISTING}\n@lst-query.\n\n{FIG}"})
    assert [d for d in found(lint(root), root) if d[0][:3] in ("FIG", "TBL", "LST")] == [
        ("FIG002", "index.qmd", 17, 35)]


def test_tbl001_table_before_reference(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{TABLE}\n@tbl-results lists them.\n"})
    assert fig(root, ("TBL001",)) == [("TBL001", "index.qmd", 7, 14)]
    assert messages(root, ("TBL001",)) == ["table `tbl-results` is shown before the text refers to it: its first "
                                           "reference, `@tbl-results`, is in the next paragraph (line 9); refer to it "
                                           "before the table, or set `allow-following-paragraphs: 1` for this house "
                                           "style"]


def test_tbl001_reference_first_is_fine(tmp_path):
    assert fig(book(tmp_path, {"index.qmd": f"# T\n\n@tbl-results lists them.\n\n{TABLE}"}), ("TBL001",)) == []


def test_lst001_listing_before_reference_and_allowance(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{LISTING}\n@lst-query selects them.\n"})
    assert fig(root, ("LST001",)) == [("LST001", "index.qmd", 3, 6)]
    allow = {"rules": {"LST001": {"allow-following-paragraphs": 1}}}
    assert fig(root, ("LST001",), config=allow) == []


def test_fig002_one_finding_for_a_figure_written_once_per_format(tmp_path):
    text = ("# T\n\nSee @fig-a.\n\n![A.](a.png){#fig-a}\n\n"
            "::: {.content-visible when-format=\"html\"}\n![Map.](m.png){#fig-map}\n:::\n\n"
            "::: {.content-visible when-format=\"pdf\"}\n![Map.](m.png){#fig-map}\n:::\n")
    assert fig(book(tmp_path, {"index.qmd": text}), ("FIG002",)) == [("FIG002", "index.qmd", 8, 17)]


# -- TBL002, LST002 -------------------------------------------------------------------------------------


def test_tbl002_and_lst002_unreferenced_table_and_listing(tmp_path):
    text = f"# T\n\n{TABLE}\n{LISTING}\n"
    root = book(tmp_path, {"index.qmd": text})
    assert fig(root, ("TBL002", "LST002")) == [("TBL002", "index.qmd", 7, 14), ("LST002", "index.qmd", 9, 6)]
    assert messages(root, ("TBL002", "LST002")) == ["table `tbl-results` is never referred to",
                                                    "listing `lst-query` is never referred to"]


def test_tbl002_and_lst002_referenced_from_another_chapter_by_link_or_subtable(tmp_path):
    tables = ("::: {#tbl-pair}\n| a |\n|---|\n| 1 |\n\n: A {#tbl-pair-a}\n\n| b |\n|---|\n| 2 |\n\n: B {#tbl-pair-b}\n\n"
              "Pair.\n:::\n\nSee @tbl-pair-b.\n")
    root = book(tmp_path, {"index.qmd": f"# T\n\n{TABLE}\n{LISTING}\n{tables}",
                           "two.qmd": "# Two\n\nBack to @tbl-results and [the query](#lst-query).\n"})
    assert fig(root, ("TBL002", "LST002")) == []


def test_tbl002_book_that_labels_tables_without_referring_to_them_gets_one_finding(tmp_path):
    tables = "".join(f"| a |\n|---|\n| {n} |\n\n: Table {n}. {{#tbl-t{n}}}\n\n" for n in range(4))
    root = book(tmp_path, {"index.qmd": "# T\n\nSee @tbl-t0.\n\n" + tables})
    assert messages(root, ("TBL002",)) == [
        "3 of 4 tables are never referred to: this book numbers tables without referring to them; refer to them or "
        "ignore TBL002 (first: `tbl-t1`)"]
