"""Output formats as Quarto names them: extension formats, format aliases, per-format resolution.

``base_format`` follows quarto-cli's ``parseFormatString`` (src/core/pandoc/pandoc-formats.ts);
``format_is`` follows ``quarto.format.is_format`` (src/resources/pandoc/datadir/_format.lua),
which ``.content-visible``/``.content-hidden`` use through ``propertiesMatch``.
"""

from __future__ import annotations

import pytest

from lintkit import book, found, lint
from mlsys_lint.model import Condition, base_format, format_is

PDF_ONLY = '::: {.content-visible when-format="pdf"}\n![Roofline.](r.png){#fig-roofline}\n:::\n'


@pytest.mark.parametrize("name, base", [
    ("pdf", "pdf"), ("titlepage-pdf", "pdf"), ("acm-pdf", "pdf"), ("acm-2023-pdf+draft", "pdf"),
    ("closeread-html", "html"), ("html+smart", "html"), ("gfm-raw_html", "gfm"), ("hugo-md", "md"),
    ("revealjs", "revealjs"), ("dashboard", "dashboard"),
])
def test_parse_format_string_base_format(name: str, base: str) -> None:
    assert base_format(name) == base


@pytest.mark.parametrize("output, wanted, expected", [
    ("titlepage-pdf", "pdf", True), ("titlepage-pdf", "latex", True), ("acm-pdf", "pdf", True),
    ("pdf", "latex", True), ("beamer", "pdf", True), ("pdf", "beamer", False), ("titlepage-pdf", "titlepage-pdf", False),
    ("closeread-html", "html", True), ("revealjs", "html", True), ("epub", "html", True), ("epub", "html:js", False),
    ("html", "html:js", True), ("dashboard", "html", True), ("dashboard", "dashboard", True),
    ("html", "dashboard", False), ("gfm", "markdown", True), ("docx", "html", False), ("typst", "pdf", False),
])
def test_is_format_aliases(output: str, wanted: str, expected: bool) -> None:
    assert format_is(output, wanted) is expected


def test_conditions_follow_is_format() -> None:
    latex = Condition(((True, "when-format", ("latex",)),))
    html = Condition(((True, "when-format", ("html",)),))
    assert latex.visible("titlepage-pdf", "") and not latex.visible("closeread-html", "")
    assert latex.exclusive_with(html)


@pytest.mark.parametrize("fmt", ["titlepage-pdf", "acm-pdf"])
def test_extension_pdf_format_sees_pdf_only_content(tmp_path, fmt: str) -> None:
    config = f"project:\n  type: book\nbook:\n  chapters: [index.qmd]\nformat:\n  {fmt}: default\n"
    root = book(tmp_path, {"index.qmd": f"# T\n\nSee @fig-roofline.\n\n{PDF_ONLY}"}, config=config)
    assert found(lint(root, select=["XR001"]), root) == []


def test_label_missing_in_some_formats_is_reported_naming_them(tmp_path) -> None:
    config = ("project:\n  type: book\nbook:\n  chapters: [index.qmd]\n"
              "format:\n  closeread-html: default\n  titlepage-pdf: default\n  docx: default\n")
    root = book(tmp_path, {"index.qmd": f"# T\n\nSee @fig-roofline.\n\n{PDF_ONLY}"}, config=config)
    diagnostics = lint(root, select=["XR001"])
    assert found(diagnostics, root) == [("XR001", "index.qmd", 3, 5)]
    assert diagnostics[0].message == ("`@fig-roofline` does not resolve in closeread-html, docx output: "
                                      "`fig-roofline` is defined only in content shown when format is pdf")
