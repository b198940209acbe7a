"""Code is code: nothing in a code cell's body (comments included, any language), a raw
block or an HTML comment defines, refers, notes or uses a term; only a cell's leading
option lines are read (and labels the code itself prints, outside comments)."""

from __future__ import annotations

import pytest

from lintkit import book, found, lint
from mlsys_lint.document import parse
from mlsys_lint.model import Source

COMMENTED = {
    "r": "#  ![A chart.](chart.png){#fig-chart}\n# see @fig-other, [^note] and {{< glossary GPU >}}\n"
         "# kable(caption = \"Cars {#tbl-cars}\")\n#| label: fig-late\nplot(1) # {#fig-trailing}\n",
    "python": "# ![A chart.](chart.png){#fig-chart}\n# see @fig-other, [^note] and {{< glossary GPU >}}\n"
              "# df.style.set_caption('Cars {#tbl-cars}')\n#| label: fig-late\nplot(1)  # {#fig-trailing}\n",
    "julia": "# ![A chart.](chart.png){#fig-chart}\n#= see @fig-other, [^note]\n{{< glossary GPU >}} {#tbl-cars} =#\n"
             "#| label: fig-late\nplot(1) # {#fig-trailing}\n",
}


def cell(language: str) -> str:
    return f"```{{{language}}}\n#| label: fig-plot\n#| fig-cap: \"A plot, see @fig-plot-ref.\"\n{COMMENTED[language]}```\n"


@pytest.mark.parametrize("language", sorted(COMMENTED))
def test_code_cell_body_defines_and_refers_to_nothing(language: str) -> None:
    doc = parse(Source("ch.qmd", f"# T\n\n{cell(language)}"))
    assert [label.id for label in doc.labels] == ["fig-plot"]
    assert [ref.key for ref in doc.references] == ["fig-plot-ref"]  # from the fig-cap option only
    assert doc.footnote_refs == [] and doc.shortcodes == [] and doc.other_ids == []
    assert [f.caption.value for f in doc.floats] == ["A plot, see @fig-plot-ref."]
    body = doc.source.text.index(COMMENTED[language][:10])
    assert doc.masked[body:].strip() == ""  # no word of the body is prose (glossary matching reads this)


@pytest.mark.parametrize("language", sorted(COMMENTED))
def test_commented_label_is_no_duplicate_and_commented_reference_not_unresolved(tmp_path, language: str) -> None:
    root = book(tmp_path, {"index.qmd": f"# T\n\nSee @fig-chart and @fig-plot.\n\n![A chart.](chart.png){{#fig-chart}}\n\n"
                                        f"{cell(language)}"})
    assert found(lint(root, select=["XR001", "XR002", "FN001"]), root) == [("XR001", "index.qmd", 9, 26)]


def test_label_printed_by_code_outside_a_comment_still_counts() -> None:
    doc = parse(Source("ch.qmd", '```{r}\n#| label: cars\nkable(mtcars, caption = "Cars {#tbl-cars}") # not {#tbl-no}\n```\n'))
    assert [(label.id, label.form) for label in doc.labels] == [("tbl-cars", "output")]


def test_table_caption_set_in_a_comment_is_no_caption() -> None:
    doc = parse(Source("ch.qmd", '```{r}\n#| label: tbl-cars\n# kable(mtcars, caption = "Cars")\nkable(mtcars)\n```\n'))
    assert [(f.label, f.caption) for f in doc.floats] == [("tbl-cars", None)]


def test_raw_latex_comment_defines_no_label() -> None:
    text = ("```{=latex}\n% \\label{tbl-old}\n\\begin{table}\\caption{Cars}\\label{tbl-cars}\n"
            "\\begin{tabular}{l}x\\end{tabular}\\end{table}\n```\n")
    assert [label.id for label in parse(Source("ch.qmd", text)).labels] == ["tbl-cars"]


def test_raw_html_block_and_html_comment_hold_nothing() -> None:
    text = ('```{=html}\n<img id="fig-h"> @fig-q [^n]\n```\n\n<!--\n![x](y.png){#fig-a}\n\n@fig-b [^m]\n\n'
            '```{r}\n#| label: fig-c\n```\n-->\n\nText.\n')
    doc = parse(Source("ch.qmd", text))
    assert doc.labels == [] and doc.references == [] and doc.footnote_refs == [] and doc.floats == []
