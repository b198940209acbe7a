"""XR001-XR004: resolution, duplicates, invalid labels and foreign syntax over project namespaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from lintkit import book, found, lint, write_files, CORPORA


def xr(root, codes=("XR",), config=None) -> list[tuple[str, str, int, int]]:
    return found(lint(root, select=list(codes), config=config), root)


def messages(root, codes=("XR",)) -> list[str]:
    return [d.message for d in lint(root, select=list(codes))]


FIG = "![Roofline model.](roofline.png){#fig-roofline}\n"
WEBSITE = "project:\n  type: website\n"


# -- XR001 unresolved-reference --------------------------------------------------------------------


def test_xr001_cross_chapter_forward_and_backward_references_resolve(tmp_path):
    root = book(tmp_path, {
        "index.qmd": "# One {#sec-one}\n\nLater, @fig-memory shows the hierarchy; see also @sec-two.\n",
        "two.qmd": "# Two {#sec-two}\n\n![Memory.](m.png){#fig-memory}\n\nAs @sec-one said, @fig-memory …\n",
    })
    assert xr(root, ("XR001",)) == []


def test_xr001_typo_names_the_closest_label(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{FIG}\nAs @fig-rooflin shows.\n"})
    assert xr(root) == [("XR001", "index.qmd", 5, 4)]
    assert messages(root) == ["`@fig-rooflin` does not resolve: no label `fig-rooflin` in the book "
                              "(did you mean @fig-roofline?)"]


def test_xr001_every_reference_to_one_missing_label_is_reported_with_the_suggestion(tmp_path):
    """A suggestion is looked for once per missing label and namespace, and given to each reference."""
    root = book(tmp_path, {"index.qmd": f"# T\n\n{FIG}\nAs @fig-rooflin shows.\n",
                           "two.qmd": "# Two\n\n@fig-rooflin again, and @fig-nothing-close.\n\nOnce more @fig-rooflin.\n"})
    assert xr(root) == [("XR001", "index.qmd", 5, 4), ("XR001", "two.qmd", 3, 1), ("XR001", "two.qmd", 3, 25),
                        ("XR001", "two.qmd", 5, 11)]
    assert [m.endswith("(did you mean @fig-roofline?)") for m in messages(root)] == [True, True, False, True]


def test_xr001_capitalised_first_letter_resolves_but_all_caps_prefix_does_not(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{FIG}\n@Fig-roofline shows it. So does @FIG-roofline.\n"})
    assert xr(root) == [("XR001", "index.qmd", 5, 33)]
    assert messages(root)[0].endswith("no label `fIG-roofline` in the book (did you mean @fig-roofline?)")


def test_xr001_ignores_citations_and_keys_whose_prefix_is_no_type(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\nAs @smith2020 and [@smith-jones, p. 4] argue.\n"})
    assert xr(root) == []


def test_xr001_references_in_code_comments_and_math_do_not_count(tmp_path):
    text = ("# T\n\nInline `@fig-a` code, $x@fig-b$ math, <!-- @fig-c --> comment, mail a@fig-d.org.\n\n"
            "```python\n# @fig-e\n```\n\n    @fig-f indented code\n")
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root) == []


def test_xr001_reference_in_caption_is_checked(tmp_path):
    text = "# T\n\n![Compare @fig-missing.](a.png){#fig-a}\n\nSee @fig-a.\n"
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root) == [("XR001", "index.qmd", 3, 11)]


def test_xr001_subfigures_and_cell_subcaptions_resolve(tmp_path):
    text = ("# T\n\nSee @fig-birds, @fig-robin, @fig-plots-2 and @fig-plots.\n\n"
            "::: {#fig-birds layout-ncol=2}\n![Robin](robin.png){#fig-robin}\n\n![Wren](wren.png){#fig-wren}\n\n"
            "Two birds.\n:::\n\n"
            "```{python}\n#| label: fig-plots\n#| fig-cap: Plots\n#| fig-subcap:\n#|   - One\n#|   - Two\n"
            "plot()\n```\n\nAnd @fig-wren.\n")
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root, ("XR001",)) == []


def test_xr001_in_a_website_each_page_stands_alone(tmp_path):
    root = write_files(tmp_path, {"_quarto.yml": WEBSITE, "a.qmd": f"# A\n\n{FIG}\nSee @fig-roofline.\n",
                                  "b.qmd": "# B\n\nSee @fig-roofline.\n"})
    assert xr(root) == [("XR001", "b.qmd", 3, 5)]
    assert messages(root) == ["1 reference to `fig-` labels defined on other pages do not resolve, because Quarto "
                              "resolves cross-references only within a page of a website: `fig-roofline` (a.qmd:3); "
                              "link to the page instead, e.g. `[…](a.qmd#fig-roofline)`"]


def test_xr001_website_cross_page_references_are_one_finding_per_page_and_label_type(tmp_path):
    root = write_files(tmp_path, {
        "_quarto.yml": WEBSITE,
        "a.qmd": f"# A\n\n{FIG}\n## Setup {{#sec-setup}}\n",
        "b.qmd": "# B\n\n![Memory.](m.png){#fig-memory}\n\nSee @fig-memory.\n",
        "c.qmd": "# C\n\n@fig-roofline, @fig-memory and @fig-roofline again.\n\nAs @sec-setup says; @fig-memroy.\n",
    })
    assert xr(root, ("XR001",)) == [("XR001", "c.qmd", 3, 1), ("XR001", "c.qmd", 5, 4), ("XR001", "c.qmd", 5, 21)]
    figures, sections, typo = [d.message for d in lint(root, select=["XR001"])]
    assert figures == ("3 references to `fig-` labels defined on other pages do not resolve, because Quarto resolves "
                       "cross-references only within a page of a website: `fig-roofline` (a.qmd:3, 2 references), "
                       "`fig-memory` (b.qmd:3); link to the page instead, e.g. `[…](a.qmd#fig-roofline)`")
    assert sections.startswith("1 reference to `sec-` labels defined on other pages")
    assert typo == "`@fig-memroy` does not resolve: no label `fig-memroy` in this page"


def test_xr001_loose_files_stand_alone(tmp_path):
    root = write_files(tmp_path, {"a.qmd": f"# A\n\n{FIG}\nSee @fig-roofline.\n", "b.qmd": "# B\n\n@fig-roofline.\n"})
    assert xr(root) == [("XR001", "b.qmd", 3, 1)]


def test_xr001_included_labels_resolve_and_findings_point_into_the_included_file(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\nSee @fig-inc.\n\n{{< include _part.qmd >}}\n"},
                extra={"_part.qmd": "![Included.](i.png){#fig-inc}\n\nAnd @fig-nowhere.\n"})
    assert xr(root) == [("XR001", "_part.qmd", 3, 5)]


def test_xr001_label_only_in_one_format_branch_is_unresolved_in_the_other(tmp_path):
    config = "project:\n  type: book\nbook:\n  chapters: [index.qmd]\nformat:\n  html: default\n  pdf: default\n"
    text = ("# T\n\nSee @fig-live.\n\n::: {.content-visible when-format=\"html\"}\n"
            "![Live.](l.png){#fig-live}\n:::\n")
    root = book(tmp_path, {"index.qmd": text}, config=config)
    assert xr(root) == [("XR001", "index.qmd", 3, 5)]
    assert messages(root) == ["`@fig-live` does not resolve in pdf output: `fig-live` is defined only in content "
                              "shown when format is html"]


def test_xr001_reference_and_label_in_the_same_branch_resolve(tmp_path):
    config = "project:\n  type: book\nbook:\n  chapters: [index.qmd]\nformat:\n  html: default\n  pdf: default\n"
    text = ("# T\n\n::: {.content-visible when-format=\"html\"}\nSee @fig-live.\n\n"
            "![Live.](l.png){#fig-live}\n:::\n")
    assert xr(book(tmp_path, {"index.qmd": text}, config=config)) == []


def test_xr001_custom_types_declared_with_key_are_cross_references(tmp_path):
    config = ("project:\n  type: book\nbook:\n  chapters: [index.qmd]\ncrossref:\n  custom:\n"
              "    - kind: float\n      key: vid\n      reference-prefix: Video\n")
    text = "# T\n\nSee @vid-tour and @vid-gone.\n\n::: {#vid-tour}\nA video.\n\nThe tour.\n:::\n"
    assert xr(book(tmp_path, {"index.qmd": text}, config=config)) == [("XR001", "index.qmd", 3, 19)]


def test_xr001_labels_printed_by_code_and_raw_latex_tables_resolve(tmp_path):
    text = ("---\nformat: pdf\n---\n\n# T\n\nSee @tbl-cars and @tbl-tex.\n\n"
            "```{r}\nknitr::kable(head(cars), caption = \"Cars {#tbl-cars}\")\n```\n\n"
            "```{=latex}\n\\begin{tabular}{ll}\n\\caption{Letters}\n\\label{tbl-tex}\na & b\n\\end{tabular}\n```\n")
    assert xr(book(tmp_path, {"index.qmd": text})) == []


def test_xr001_display_only_cell_defines_nothing(tmp_path):
    text = "# T\n\nSee @fig-demo.\n\n```{{r}}\n#| label: fig-demo\n#| fig-cap: Demo\nplot(1)\n```\n"
    assert xr(book(tmp_path, {"index.qmd": text})) == [("XR001", "index.qmd", 3, 5)]


# -- XR002 duplicate-label -------------------------------------------------------------------------


def test_xr002_same_label_in_two_chapters_reports_both_with_the_other_site(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# One\n\n{FIG}", "two.qmd": f"# Two\n\nText.\n\n{FIG}"})
    assert xr(root) == [("XR002", "index.qmd", 3, 35), ("XR002", "two.qmd", 5, 35)]
    assert messages(root) == ["label `fig-roofline` is defined 2 times in the book; also defined at two.qmd:5",
                              "label `fig-roofline` is defined 2 times in the book; also defined at index.qmd:3"]


def test_xr002_exclusive_conditional_branches_are_not_duplicates(tmp_path):
    text = ("# T\n\n::: {.content-visible when-format=\"html\"}\n![A.](a.png){#fig-a}\n:::\n\n"
            "::: {.content-visible when-format=\"pdf\"}\n![A.](a.pdf){#fig-a}\n:::\n\nSee @fig-a.\n")
    assert xr(book(tmp_path, {"index.qmd": text})) == []


def test_xr002_conditional_and_unconditional_are_duplicates(tmp_path):
    text = "# T\n\n::: {.content-visible when-format=\"html\"}\n![A.](a.png){#fig-a}\n:::\n\n![A.](a.pdf){#fig-a}\n"
    assert xr(book(tmp_path, {"index.qmd": text})) == [("XR002", "index.qmd", 4, 15), ("XR002", "index.qmd", 7, 15)]


def test_xr002_included_definition_counts_where_included(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\n![A.](a.png){#fig-a}\n\n{{< include _b.qmd >}}\n"},
                extra={"_b.qmd": "![B.](b.png){#fig-a}\n"})
    assert xr(root) == [("XR002", "index.qmd", 3, 15), ("XR002", "_b.qmd", 1, 15)]
    assert messages(root)[0] == ("label `fig-a` is defined 2 times in the book; also defined at _b.qmd:1 "
                                 "(included in index.qmd)")


def test_xr002_website_pages_may_reuse_labels(tmp_path):
    root = write_files(tmp_path, {"_quarto.yml": WEBSITE, "a.qmd": f"# A\n\n{FIG}", "b.qmd": f"# B\n\n{FIG}"})
    assert xr(root, ("XR002",)) == []


def test_xr002_knitr_chunk_reuse_is_not_a_duplicate(tmp_path):
    text = ("# T\n\n```{r}\n#| label: fig-plot\n#| fig-cap: A plot.\nplot(1)\n```\n\nSee @fig-plot.\n\n"
            "```{r}\n#| label: fig-plot\n#| echo: true\n#| eval: false\n```\n")
    assert xr(book(tmp_path, {"index.qmd": text})) == []


# -- XR003 invalid-label ---------------------------------------------------------------------------


def test_xr003_uppercase_label(tmp_path):
    text = "# T\n\n## Methods {#sec-Methods}\n\nSee @sec-Methods.\n"
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root, ("XR003",)) == [("XR003", "index.qmd", 3, 14)]
    assert messages(root, ("XR003",)) == ["label `sec-Methods` has upper-case letters; Quarto labels must be lower "
                                          "case (use `sec-methods`)"]


def test_xr003_underscore_and_colon_labels(tmp_path):
    text = ("# T\n\n![A.](a.png){#fig_roofline}\n\n```{r}\n#| label: fig_plot\n#| fig-cap: P.\nplot(1)\n```\n\n"
            "| a |\n|---|\n| 1 |\n\n: T. {#tbl:results}\n")
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root, ("XR003",)) == [("XR003", "index.qmd", 3, 15), ("XR003", "index.qmd", 6, 11),
                                    ("XR003", "index.qmd", 15, 8)]
    assert messages(root, ("XR003",))[0] == ("`fig_roofline` is not a cross-reference label: Quarto needs the type "
                                             "and a hyphen (`fig-roofline`)")


def test_xr003_prefixless_id_cited_with_at(tmp_path):
    text = "# T\n\n![Roofline.](r.png){#roofline}\n\nSee @roofline.\n"
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root) == [("XR003", "index.qmd", 3, 22)]
    assert messages(root) == ["`roofline` has no cross-reference type prefix, so `@roofline` (line 5) is read as a "
                              "citation; rename it `fig-roofline`"]


def test_xr003_underscore_label_cited_with_at_is_one_finding(tmp_path):
    text = "# T\n\nSee @fig_roofline.\n\n![Roofline.](r.png){#fig_roofline}\n"
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root) == [("XR003", "index.qmd", 5, 22)]
    assert messages(root) == ["`fig_roofline` is not a cross-reference label: Quarto needs the type and a hyphen "
                              "(`fig-roofline`)"]


def test_xr003_prefixless_id_not_cited_is_fine(tmp_path):
    assert xr(book(tmp_path, {"index.qmd": "# T\n\n## Intro {#intro}\n\nSee [the intro](#intro).\n"})) == []


def test_xr003_space_before_attributes_and_inline_image(tmp_path):
    text = "# T\n\n![Map.](map.png) {#fig-map}\n\nText ![Map.](m.png){#fig-inline} more text.\n"
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root, ("XR003",)) == [("XR003", "index.qmd", 3, 18), ("XR003", "index.qmd", 5, 21)]
    assert messages(root, ("XR003",))[0] == ("`{#fig-map}` is separated by a space from what it should label, so it "
                                             "labels nothing")


def test_xr003_example_list_label_at_line_start(tmp_path):
    text = "# T\n\n![Map.](m.png){#fig-map}\n\n(@fig-map) shows the map.\n"
    assert xr(book(tmp_path, {"index.qmd": text}), ("XR003",)) == [("XR003", "index.qmd", 5, 1)]


def test_xr003_bibliography_key_with_type_prefix(tmp_path):
    config = "project:\n  type: book\nbook:\n  chapters: [index.qmd]\nbibliography: refs.bib\n"
    root = book(tmp_path, {"index.qmd": "# T\n\nAs @sec-act argues.\n"}, config=config,
                extra={"refs.bib": "@article{sec-act,\n  title = {Security act},\n}\n"})
    assert xr(root) == [("XR003", "index.qmd", 3, 4)]


def test_xr003_lowercase_labels_and_capitalised_references_are_fine(tmp_path):
    text = "# T\n\n@Fig-roofline shows it.\n\n" + FIG + "\n```markdown\n![X](x.png){#fig-Bad}\n```\n"
    assert xr(book(tmp_path, {"index.qmd": text}), ("XR003",)) == []


# -- XR004 foreign-reference-syntax ----------------------------------------------------------------


@pytest.mark.parametrize("written, message", [
    ("{#fig_amd_chiplet_based}", "`fig_amd_chiplet_based` is not a cross-reference label: Quarto needs the type and a "
                                 "hyphen (`fig-amd-chiplet-based`)"),
    ("{#fig-AMD_Chiplet}", "label `fig-AMD_Chiplet` has upper-case letters; Quarto labels must be lower case "
                           "(use `fig-amd-chiplet`)"),
    ("{#fig:amd.chiplet}", "`fig:amd.chiplet` is not a cross-reference label: Quarto needs the type and a hyphen "
                           "(`fig-amd-chiplet`)"),
])
def test_xr003_suggestions_are_valid_labels(tmp_path, written, message):
    root = book(tmp_path, {"index.qmd": f"# T\n\n![Chiplets.](c.png){written}\n"})
    assert messages(root, ("XR003",)) == [message]


def test_xr004_bookdown_latex_and_pandoc_crossref_syntax(tmp_path):
    text = (f"# T\n\n{FIG}\nAs Figure \\@ref(fig:roofline) shows, \\ref{{fig-roofline}} and [@fig:roofline].\n")
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root) == [("XR004", "index.qmd", 5, 11), ("XR004", "index.qmd", 5, 38), ("XR004", "index.qmd", 5, 62)]
    assert messages(root) == [
        "`\\@ref(fig:roofline)` is bookdown syntax, which Quarto prints literally; use `@fig-roofline`",
        "raw LaTeX `\\ref{fig-roofline}` is dropped from HTML and unknown to Quarto's cross-references; "
        "use `@fig-roofline`",
        "`@fig:roofline` is pandoc-crossref syntax, which Quarto reads as a citation; use `@fig-roofline`"]


def test_xr004_raw_latex_in_pdf_only_content_or_code_is_fine(tmp_path):
    text = (f"# T\n\n{FIG}\n::: {{.content-visible when-format=\"pdf\"}}\nChapter \\ref{{sec-x}} next.\n:::\n\n"
            "`\\ref{fig-a}` and\n\n```\n\\@ref(fig:a)\n```\n")
    assert xr(book(tmp_path, {"index.qmd": text}), ("XR004",)) == []


def test_xr004_hard_coded_numbers(tmp_path):
    text = (f"# T\n\n{FIG}\nAs Figure 3.2 shows, and Table 1 too.\n\n"
            "Figure 2 of Smith (2020) and \"Figure 4\" are fine.\n\n"
            "![Shot of a page.](s.png){#fig-shot fig-alt=\"A caption reading Figure 1: Elephant.\"}\n")
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root, ("XR004",)) == [("XR004", "index.qmd", 5, 4)]
    assert messages(root, ("XR004",)) == ["hard-coded \"Figure 3.2\" goes stale when figures move; refer to the "
                                          "label with `@fig-…`"]


@pytest.mark.parametrize("sentence", [
    "Figure 5.1 [@szegedy2015] shows the module.",
    "As in [@szegedy2015, Figure 5.1], the module repeats.",
    "See @szegedy2015, Table 2.1.",
    "Figure 5.1 by Szegedy et al. shows the module.",
    "Table 2.1 in their appendix lists the runs.",
    "The module (Figure 5.1, adapted from Szegedy et al.) repeats.",
    "[see @szegedy2015, p. 4, Figure 5.1]",
])
def test_xr004_number_next_to_a_citation_or_credit_is_another_work(tmp_path, sentence):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{FIG}\n@fig-roofline.\n\n{sentence}\n"})
    assert xr(root, ("XR004",)) == []


def test_xr004_citation_far_from_the_number_does_not_excuse_it(tmp_path):
    root = book(tmp_path, {"index.qmd": f"# T\n\n{FIG}\n@fig-roofline.\n\nAs Figure 5.1 shows, the kernel is memory "
                                        "bound, which matches earlier results [@williams2009].\n"})
    assert xr(root, ("XR004",)) == [("XR004", "index.qmd", 7, 4)]


def test_xr004_only_numbers_in_the_books_own_form(tmp_path):
    """quarto-cli's book project numbers by chapter (bookProjectType.formatExtras: crossref.chapters)."""
    text = f"# T\n\n{FIG}\n@fig-roofline.\n\nFigures 1-3 show the old design; Figure 2.1 the new one.\n"
    assert xr(book(tmp_path, {"index.qmd": text}), ("XR004",)) == [("XR004", "index.qmd", 7, 34)]
    unnumbered = "project:\n  type: book\nbook:\n  chapters: [index.qmd]\ncrossref:\n  chapters: false\n"
    assert xr(book(tmp_path, {"index.qmd": text}, config=unnumbered), ("XR004",)) == [("XR004", "index.qmd", 7, 1)]
    website = "project:\n  type: website\n"
    assert xr(book(tmp_path, {"index.qmd": text}, config=website), ("XR004",)) == [("XR004", "index.qmd", 7, 1)]
    page = "---\ncrossref:\n  chapters: true\n---\n\n" + text
    assert xr(book(tmp_path, {"index.qmd": page}, config=website), ("XR004",)) == [("XR004", "index.qmd", 12, 34)]


def test_xr004_hard_coded_number_in_a_book_without_labelled_figures_is_fine(tmp_path):
    assert xr(book(tmp_path, {"index.qmd": "# T\n\nAs Figure 3 in the paper shows.\n\nSee Figure 2.\n"})) == []


# -- Quarto's own test documents ------------------------------------------------------------------

QUARTO_TESTS = CORPORA / "quarto-cli-tests"
# Every reference these documents leave unresolved on purpose (each checked against its front matter):
# the "Unresolved Crossref" float-5 tests assert that no link is made,
# the issue-13992 tests expect the conditional float to be absent from HTML, and the book's `@fig-1`
# names a link (`[A figure](cover.png){#fig-1}`), not a figure.
# (issue-5317 expects `@fig-figure1`, an image figure inside a list item, to resolve: it is not here.)
INTENDED = {("crossrefs/unresolved.qmd", "fig-elephant1"), ("project/book/summary.qmd", "fig-1")} | {
    (f"smoke-all/crossrefs/float/{fmt}/{fmt}-float-5.qmd", "fig-elephant1")
    for fmt in ("asciidoc", "docx", "html", "hugo", "jats", "latex", "revealjs", "typst")} | {
    (f"smoke-all/2026/02/04/issue-13992-{kind}.qmd", label)
    for kind, label in (("figure", "fig-cond"), ("listing", "lst-cond"), ("table", "tbl-mytypes"),
                        ("theorem", "thm-cond"))}


@pytest.mark.skipif(not QUARTO_TESTS.is_dir(), reason="the quarto-cli test corpus is not available")
def test_xr001_on_quarto_tests_reports_only_references_meant_to_stay_unresolved():
    docs = QUARTO_TESTS / "tests" / "docs"
    # The corpus folder is no project: its loose documents, plus the book project nested in it.
    diagnostics = lint(QUARTO_TESTS, select=["XR001"], paths=[QUARTO_TESTS, docs / "project" / "book"])
    assert {(Path(d.span.path).relative_to(docs).as_posix(), d.subject) for d in diagnostics} == INTENDED


def test_xr003_forbid_underscore_is_a_house_style_option(tmp_path):
    text = "# T {#sec-t}\n\nSee @fig-my_plot.\n\n![Plot.](p.png){#fig-my_plot}\n"
    root = book(tmp_path, {"index.qmd": text})
    assert xr(root, ("XR003",)) == []
    config = {"rules": {"XR003": {"forbid-underscore": True}}}
    assert found(lint(root, select=["XR003"], config=config), root) == [("XR003", "index.qmd", 5, 18)]
