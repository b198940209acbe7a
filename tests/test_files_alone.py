"""A file named alone is judged in its project and gets exactly its findings of the whole run.

Pre-commit names the changed files and the language server checks the edited chapter first
(`Project.targets`); rules skip the work whose findings would all fall in other files. That
must never change what they report: checked on every rule's fixtures (`lintkit.lint`), on
book-wide tallies here, and on real books.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lintkit import CORPORA, assert_files_alone_agree, book
from mlsys_lint.api import resolve_settings
from mlsys_lint.engine import Engine
from mlsys_lint.registry import load_rules, select_rules

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "book"
BOOKS = ["mlsysbook-sample", "r4ds", "geocompy", "stat-models-v2"]
"""Corpora whose every rendered file is checked alone (the larger ones take a few seconds each)."""


def _check_each_file(root: Path, every: int = 1) -> tuple[int, set[str]]:
    """How many files were checked alone, and the codes the whole run found."""
    settings = resolve_settings([root], None)  # as the command line reads them
    result = Engine(settings, select_rules(load_rules(), settings), base=root).run([root])
    files = result.files[::every]
    assert_files_alone_agree(root, settings, result.diagnostics, files)
    return len(files), {d.code for d in result.diagnostics}


def test_book_wide_tallies_do_not_shrink_to_the_named_file(tmp_path):
    # FIG002 reports one finding for the book when most figures are unreferenced; GLS005's
    # first bare acronym may stand in another chapter than the named one.
    figure = "![Plot.](p.png){{#fig-{0}}}\n\n"
    chapters = {f"c{n}.qmd": f"# C{n}\n\n" + figure.format(f"a{n}") + figure.format(f"b{n}") for n in range(3)}
    chapters["c2.qmd"] += "See @fig-a2.\n\nThe GPU is fast. A graphics processing unit (GPU) is fast.\n"
    chapters["c0.qmd"] += "The GPU is here.\n"
    terms = "terms:\n  - term: GPU\n    expansion: graphics processing unit\n"
    root = book(tmp_path, chapters, extra={"p.png": "", "terms.yml": terms,
                                           ".mlsys-lint.yml": "glossary:\n  sources: [terms.yml]\n"})
    checked, codes = _check_each_file(root)
    assert checked == 3 and {"FIG002", "GLS005"} <= codes


def test_the_example_book_file_by_file():
    assert _check_each_file(EXAMPLE)[0] > 3


@pytest.mark.parametrize("corpus", BOOKS)
def test_real_books_file_by_file(corpus):
    root = CORPORA / corpus
    if not root.is_dir():
        pytest.skip(f"no corpus at {root}")
    assert _check_each_file(root)[0] > 0


def test_quarto_web_every_fiftieth_page():
    root = CORPORA / "quarto-web"
    if not root.is_dir():
        pytest.skip(f"no corpus at {root}")
    assert _check_each_file(root, every=50)[0] > 5


def test_a_folder_named_reports_the_files_under_it(tmp_path):
    chapters = {"index.qmd": "# I\n\nSee @sec-b and @sec-gone.\n", "part/a.qmd": "# A\n\nSee @sec-gone.\n",
                "part/b.qmd": "# B {#sec-b}\n\n![](x.png)\n"}
    root = book(tmp_path, chapters)
    settings = resolve_settings([root], None)
    whole = Engine(settings, select_rules(load_rules(), settings), base=root).run([root]).diagnostics
    part = Engine(settings, select_rules(load_rules(), settings), base=root).run([root / "part"]).diagnostics
    assert part == [d for d in whole if d.span.path.startswith(str(root / "part") + os.sep)]
    assert {Path(d.span.path).name for d in part} == {"a.qmd", "b.qmd"}
