"""Parser facts the cross-reference rules need: ids, raw TeX, layout lines, cell outputs, reuse."""

from __future__ import annotations

from pathlib import Path

from mlsys_lint.document import parse
from mlsys_lint.model import Condition, Source
from mlsys_lint.project import build_project
from mlsys_lint.reading import read_source

from lintkit import book


def doc_of(text: str):
    return parse(Source("t.qmd", text))


def labels(doc) -> list[tuple[str, str, int, int]]:
    return [(label.id, label.form, *doc.source.position(label.start)) for label in doc.labels]


def test_ids_without_a_type_prefix_are_kept_as_other_ids():
    doc = doc_of("## Intro {#intro}\n\n![A.](a.png){#fig_a}\n\n```{r}\n#| label: fig_plot\nplot(1)\n```\n\n"
                 "Text [span]{#note}.\n")
    assert [(label.id, label.type, label.form, *doc.source.position(label.start)) for label in doc.other_ids] == [
        ("intro", "", "heading", 1, 12), ("fig_a", "", "image", 3, 15), ("fig_plot", "", "chunk-name", 6, 11),
        ("note", "", "span", 10, 14)]
    assert doc.labels == []


def test_raw_tex_commands_carry_their_condition():
    doc = doc_of("See \\ref{a}.\n\n::: {.content-visible when-format=\"pdf\"}\nSee \\ref{b}.\n:::\n")
    assert [(tex.argument, tex.condition) for tex in doc.raw_tex] == [
        ("a", Condition()), ("b", Condition(((True, "when-format", ("pdf",)),)))]


def test_a_line_of_layout_commands_lets_a_heading_follow():
    doc = doc_of("Text.\n\n\\needspace{8\\baselineskip}\n## Pipeline {#sec-pipeline}\n\n\\vspace*{-1mm}\n"
                 "### Next {#sec-next}\n")
    assert labels(doc) == [("sec-pipeline", "heading", 4, 15), ("sec-next", "heading", 7, 12)]
    assert [problem.kind for problem in doc.problems] == []


def test_an_inline_command_line_still_starts_a_paragraph():
    doc = doc_of("\\index{GPU}\n## Not a heading {#sec-x}\n")
    assert labels(doc) == []
    assert [problem.kind for problem in doc.problems] == ["detached-attributes"]


def test_knitr_chunk_reuse_defines_nothing():
    doc = doc_of("```{r}\n#| label: fig-plot\n#| fig-cap: A plot.\nplot(1)\n```\n\n"
                 "```{r}\n#| label: fig-plot\n#| eval: false\n\n```\n")
    assert labels(doc) == [("fig-plot", "cell", 2, 11)]
    assert [f.label for f in doc.floats] == ["fig-plot"]


def test_an_empty_chunk_with_a_new_label_still_defines_it():
    doc = doc_of("```{r}\n#| label: fig-plot\n#| fig-cap: A plot.\n```\n")
    assert labels(doc) == [("fig-plot", "cell", 2, 11)]


def test_labels_printed_by_cell_code_are_definitions():
    doc = doc_of("```{r}\n#| echo: false\nknitr::kable(cars, caption = \"Cars {#tbl-cars}\")\n```\n\n"
                 "```{mermaid}\n%%| label: fig-flow\nA{#fig-not-a-label}\n```\n")
    assert labels(doc) == [("tbl-cars", "output", 3, 38), ("fig-flow", "cell", 7, 12)]


def test_raw_latex_table_label_exists_only_in_latex_output():
    doc = doc_of("```{=latex}\n\\begin{tabular}{ll}\n\\caption{Letters {#tbl-two}}\na & b\n\\end{tabular}\n```\n\n"
                 "\\begin{table}\n\\caption{\\label{tbl-mod} Model}\n\\begin{tabular}{l}\nx\n\\end{tabular}\n"
                 "\\end{table}\n\n```{=latex}\n\\label{tbl-no-caption}\n\\begin{tabular}{l}\n\\end{tabular}\n```\n")
    assert labels(doc) == [("tbl-two", "raw-latex", 3, 20), ("tbl-mod", "raw-latex", 9, 17)]
    latex = Condition(((True, "when-format", ("latex",)),))
    assert [label.condition for label in doc.labels] == [latex, latex]
    assert latex.visible("pdf", "") and not latex.visible("html", "")


def test_custom_crossref_types_declared_with_key_or_ref_type(tmp_path):
    config = ("project:\n  type: book\nbook:\n  chapters: [index.qmd]\ncrossref:\n  custom:\n"
              "    - kind: float\n      key: vid\n    - kind: float\n      ref-type: sfig\n")
    root = book(tmp_path, {"index.qmd": "# T\n"}, config=config)
    project = build_project(root, load_document=lambda path: parse(read_source(Path(path))))
    assert {"vid", "sfig"} <= project.crossref_types
    assert {"vid", "sfig"} <= project.float_types
