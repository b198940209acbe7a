"""Float numbers as the reader sees them, after quarto-cli's crossref filter and book project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lintkit import CORPORA, write_files
from mlsys_lint.api import lint
from mlsys_lint.numbering import float_numbers

BOOK = """\
project:
  type: book
book:
  title: T
  chapters:
    - index.qmd
    - part: part.qmd
      chapters:
        - one.qmd
        - two.qmd
    - interlude.qmd
    - three.qmd
  appendices:
    - app.qmd
format:
  html: default
  pdf: default
"""

FILES = {
    "_quarto.yml": BOOK,
    "index.qmd": "# Preface {.unnumbered}\n\n![P](p.png){#fig-preface}\n",
    "part.qmd": "# Part I\n\nA part page.\n",
    "one.qmd": "# One\n\n![A](a.png){#fig-a}\n\n![B](b.png){#fig-b}\n\n| x |\n|---|\n| 1 |\n\n: T {#tbl-t}\n\n"
               "![Unlabelled](u.png)\n",
    "two.qmd": ("# Two\n\n::: {.content-visible when-format=\"pdf\"}\n![PDF only](c.png){#fig-pdf-only}\n:::\n\n"
                "::: {#fig-panel layout-ncol=2}\n![L](l.png){#fig-left}\n\n![R](r.png){#fig-right}\n\nPanels.\n:::\n"),
    "interlude.qmd": "---\ntitle: \"Interlude {.unnumbered}\"\n---\n\n![I](i.png){#fig-interlude}\n",
    "three.qmd": "# Three\n\n![C](c.png){#fig-c}\n",
    "app.qmd": "# Extra\n\n![X](x.png){#fig-x}\n\n: Caption {#tbl-x}\n\n| y |\n|---|\n| 2 |\n",
}


def numbers(root: Path, fmt: str) -> dict[str, str]:
    [project] = lint([root], select=["XR001"]).projects
    return float_numbers(project, fmt)


def test_html_book_numbers_each_chapter_alone_bookRenderItems_chapterInfoForInput(tmp_path: Path) -> None:
    root = write_files(tmp_path, FILES)
    assert numbers(root, "html") == {
        "fig-preface": "1",  # an unnumbered chapter counts on its own
        "fig-a": "1.1", "fig-b": "1.2", "tbl-t": "1.1",  # the part page takes no number
        "fig-panel": "2.1", "fig-left": "2.1 (a)", "fig-right": "2.1 (b)",  # the PDF-only figure is not shown
        "fig-interlude": "1",
        "fig-c": "3.1",
        "fig-x": "A.1", "tbl-x": "A.1",  # appendices restart at 1, lettered
    }


def test_pdf_book_numbers_in_one_pass_sections_lua_indexNextChapter(tmp_path: Path) -> None:
    root = write_files(tmp_path, FILES)
    assert numbers(root, "pdf") == {
        "fig-preface": "1",  # before any numbered chapter: no prefix
        "fig-a": "1.1", "fig-b": "1.2", "tbl-t": "1.1",  # the part page's heading becomes \part: no number
        "fig-pdf-only": "2.1", "fig-panel": "2.2", "fig-left": "2.2 (a)", "fig-right": "2.2 (b)",
        "fig-interlude": "2.3",  # an unnumbered chapter continues the count
        "fig-c": "3.1",
        "fig-x": "A.1", "tbl-x": "A.1",
    }


def test_pages_and_crossref_chapters_false_count_plainly(tmp_path: Path) -> None:
    root = write_files(tmp_path, {**FILES, "_quarto.yml": BOOK + "crossref:\n  chapters: false\n"})
    html = numbers(root, "html")
    assert (html["fig-a"], html["fig-b"], html["fig-c"], html["fig-left"]) == ("1", "2", "1", "1 (a)")
    site = write_files(tmp_path / "site", {"_quarto.yml": "project:\n  type: website\n",
                                           "a.qmd": "# A\n\n![1](1.png){#fig-1}\n\n![2](2.png){#fig-2}\n",
                                           "b.qmd": "# B\n\n![3](3.png){#fig-3}\n"})
    assert numbers(site, "html") == {"fig-1": "1", "fig-2": "2", "fig-3": "1"}


# The MLSysBook sample builds PDF only; its chapters (introduction, dl_primer, data_engineering)
# each open with a numbered "# Title {#sec-…}". Written down by hand from the files, in order:
SAMPLE_NUMBERS = {
    "fig-ai-triangle": "1.1", "fig-ai-timeline": "1.2", "fig-alexnet": "1.3", "fig-ml_lifecycle_overview": "1.4",
    "fig-pillars": "1.5", "tbl-ai-evolution-strengths": "1.1",
    "fig-ai-ml-dl": "2.1", "fig-hog": "2.5", "fig-deeplearning": "2.6", "fig-bio_nn2ai_nn": "2.7",
    "fig-trends": "2.8", "fig-mnist-topology-1": "2.15", "fig-usps-digit-examples": "2.20",
    "tbl-evolution": "2.1", "tbl-bio_nn2ai_nn": "2.2", "tbl-forward-pass": "2.6",
    "fig-four-pillars": "3.1", "fig-ds-time": "3.2", "fig-cascades": "3.3", "fig-mswc": "3.15",
    "fig-data-card": "3.17", "tbl-four-pillars-matrix": "3.1", "tbl-storage-performance": "3.4",
}


def test_mlsysbook_sample_numbers_match_the_book(tmp_path: Path) -> None:
    sample = CORPORA / "mlsysbook-sample"
    if not sample.is_dir():
        pytest.skip("the MLSysBook sample corpus is not available")
    root = tmp_path / "sample"
    shutil.copytree(sample, root)
    found = numbers(root, "pdf")
    assert {label: found.get(label) for label in SAMPLE_NUMBERS} == SAMPLE_NUMBERS
    assert sum(1 for label in found if label.startswith("fig-")) == 42
