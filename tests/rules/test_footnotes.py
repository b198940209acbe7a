"""FN001–FN006: footnotes per document (includes expanded) and across a book."""

from __future__ import annotations

from pathlib import Path

import pytest

from lintkit import book, found, lint, write_files
from mlsys_lint.fixes import apply_fixes
from mlsys_lint.model import Severity

FN = ["FN001", "FN002", "FN003", "FN004", "FN005", "FN006"]  # the always-on footnote rules


def one(tmp_path: Path, text: str, select: list[str] | None = None, name: str = "doc.qmd"):
    """Lint a single loose document; return ``(code, line, column)`` tuples."""
    write_files(tmp_path, {name: text})
    return [(code, line, column) for code, _, line, column in
            found(lint(tmp_path, select or FN, paths=[tmp_path / name]), tmp_path)]


# -- FN001 undefined-footnote -------------------------------------------------------------


def test_fn001_reference_without_definition(tmp_path: Path) -> None:
    text = "Text.[^a] More[^b].\n\n[^a]: Note.\n"
    assert one(tmp_path, text) == [("FN001", 1, 15)]


def test_fn001_message_and_subject(tmp_path: Path) -> None:
    write_files(tmp_path, {"doc.qmd": "Text[^fn-x].\n"})
    [diagnostic] = lint(tmp_path, FN, paths=[tmp_path / "doc.qmd"])
    assert diagnostic.subject == "fn-x"
    assert "`[^fn-x]` has no definition" in diagnostic.message
    assert (diagnostic.span.line, diagnostic.span.column, diagnostic.span.end_column) == (1, 5, 12)


def test_fn001_not_in_code_math_comments_links_or_escaped(tmp_path: Path) -> None:
    text = (
        "Inline `[^a]` code, $x[^b]$ math, <!-- [^c] --> comment, [link](https://x.org/[^d]) and \\[^e] escaped.\n"
        "\n"
        "```python\n"
        "re.sub(r\"[^0-9]\", \"\", s)\n"
        "```\n"
        "\n"
        "```{r}\n"
        "gsub(\"[^a-z]\", \"\", x)\n"
        "```\n"
        "\n"
        "    [^f] indented code\n"
        "\n"
        "<!--\n"
        "[^g] in a multi-line comment\n"
        "-->\n"
        "\n"
        "$$\n"
        "x^{[^h]}\n"
        "$$\n"
    )
    assert one(tmp_path, text) == []


def test_fn001_id_with_space_is_not_a_marker(tmp_path: Path) -> None:
    assert one(tmp_path, "Text [^my note] and [^a^b] stay literal.\n") == []


def test_fn001_regex_like_text_in_prose_is_a_marker(tmp_path: Path) -> None:
    # Pandoc reads `[^0-9]` in prose as a note marker (and prints it literally).
    assert one(tmp_path, "Digits match [^0-9] here.\n") == [("FN001", 1, 14)]


def test_fn001_inline_note_is_not_a_reference(tmp_path: Path) -> None:
    assert one(tmp_path, "Text.^[An inline note with `code` and $x$.]\n") == []


def test_fn001_marker_after_exclamation_mark(tmp_path: Path) -> None:
    assert one(tmp_path, "Go![^a]\n\n[^a]: Note.\n") == []
    assert one(tmp_path, "Go![^b]\n", name="other.qmd") == [("FN001", 1, 4)]


def test_fn001_marker_nested_in_a_note(tmp_path: Path) -> None:
    text = (
        "Text.[^a]\n"
        "\n"
        "[^a]: First paragraph.\n"
        "\n"
        "    Second paragraph cites [^b].\n"
        "\n"
        "[^b]: Defined, but notes do not nest.\n"
    )
    assert one(tmp_path, text) == [("FN001", 5, 28)]


def test_fn001_marker_in_inline_note_resolves(tmp_path: Path) -> None:
    assert one(tmp_path, "Text.^[See [^a].]\n\n[^a]: Note.\n") == []


def test_fn001_leaves_a_glued_definition_to_fn006(tmp_path: Path) -> None:
    write_files(tmp_path, {"doc.qmd": "Text.[^a]\nMore text.\n[^a]: Glued.\n"})
    diagnostics = lint(tmp_path, FN, paths=[tmp_path / "doc.qmd"])
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("FN006", 3, 1)]
    assert "glued to the paragraph above" in diagnostics[0].message


def test_fn001_definitions_in_includes_count(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# Home\n", "a.qmd": "Text.[^a]\n\n{{< include _notes.qmd >}}\n"},
                extra={"_notes.qmd": "[^a]: From the include.\n"})
    assert found(lint(root, FN), root) == []


def test_fn001_each_html_chapter_is_its_own_document(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "Text.[^a]\n", "b.qmd": "Other.\n\n[^a]: Defined in b.\n"})
    diagnostics = lint(root, FN)
    assert found(diagnostics, root) == [("FN001", "index.qmd", 1, 6), ("FN002", "b.qmd", 3, 1)]
    assert "defined in b.qmd:3" in diagnostics[0].message
    assert "referenced in index.qmd:1" in diagnostics[1].message


def test_fn001_pdf_only_book_is_one_document(tmp_path: Path) -> None:
    config = "project:\n  type: book\nbook:\n  chapters: [index.qmd, b.qmd]\nformat:\n  pdf: default\n"
    root = book(tmp_path, {"index.qmd": "Text.[^a]\n", "b.qmd": "Other.\n\n[^a]: Defined in b.\n"}, config=config)
    assert found(lint(root, FN), root) == []


# -- FN002 unused-footnote ----------------------------------------------------------------


def test_fn002_definition_never_referenced(tmp_path: Path) -> None:
    text = "Text.[^a]\n\n[^a]: Used.\n\n[^b]: Unused.\n"
    assert one(tmp_path, text) == [("FN002", 5, 1)]


def test_fn002_use_inside_another_note_counts(tmp_path: Path) -> None:
    # Pandoc counts the nested marker as a use (and prints it literally: FN001).
    text = "Text.[^a]\n\n[^a]: See [^b].\n\n[^b]: Only nested.\n"
    assert one(tmp_path, text) == [("FN001", 3, 11)]


def test_fn002_use_in_caption_and_heading_counts(tmp_path: Path) -> None:
    text = (
        "# Heading[^h]\n"
        "\n"
        "![A caption.[^c]](x.png){#fig-x}\n"
        "\n"
        "| a | b |\n"
        "|---|---|\n"
        "| 1[^t] | 2 |\n"
        "\n"
        "[^h]: H.\n"
        "\n"
        "[^c]: C.\n"
        "\n"
        "[^t]: T.\n"
    )
    assert one(tmp_path, text) == []


def test_fn002_reference_in_code_does_not_count(tmp_path: Path) -> None:
    assert one(tmp_path, "Code `[^a]` only.\n\n[^a]: Note.\n") == [("FN002", 3, 1)]


def test_fn002_duplicate_reports_the_kept_definition(tmp_path: Path) -> None:
    text = "Text.\n\n[^a]: One.\n\n[^a]: Two.\n"
    assert one(tmp_path, text) == [("FN002", 5, 1), ("FN003", 5, 1)]


# -- FN003 duplicate-footnote -------------------------------------------------------------


def test_fn003_same_id_twice(tmp_path: Path) -> None:
    text = "Text.[^a] And.[^b]\n\n[^a]: One.\n\n[^b]: B.\n\n[^a]: Two.\n\n[^a]: Three.\n"
    write_files(tmp_path, {"doc.qmd": text})
    diagnostics = lint(tmp_path, FN, paths=[tmp_path / "doc.qmd"])
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("FN003", 7, 1), ("FN003", 9, 1)]
    assert "first at line 3" in diagnostics[0].message


def test_fn003_across_an_include(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "Text.[^a]\n\n[^a]: Here.\n\n{{< include _more.qmd >}}\n"},
                extra={"_more.qmd": "[^a]: Again.\n"})
    diagnostics = lint(root, FN)
    assert found(diagnostics, root) == [("FN003", "_more.qmd", 1, 1)]
    assert "first at index.qmd:3" in diagnostics[0].message


def test_fn003_not_across_html_chapters(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "A.[^a]\n\n[^a]: One.\n", "b.qmd": "B.[^a]\n\n[^a]: Two.\n"})
    assert found(lint(root, FN), root) == []


def test_fn003_in_exclusive_conditional_branches_is_still_a_duplicate(tmp_path: Path) -> None:
    # Pandoc resolves notes before Quarto drops either branch: the later text wins in both formats.
    text = (
        "Text.[^a]\n\n"
        "::: {.content-visible when-format=\"html\"}\n[^a]: Web.\n:::\n\n"
        "::: {.content-visible when-format=\"pdf\"}\n[^a]: Print.\n:::\n"
    )
    assert one(tmp_path, text) == [("FN003", 8, 1)]


# -- FN004 empty-footnote -----------------------------------------------------------------


def test_fn004_empty_definition(tmp_path: Path) -> None:
    text = "Text.[^a] More.[^b]\n\n[^a]:\n\n\nNext paragraph.\n\n[^b]:   \n"
    assert one(tmp_path, text) == [("FN004", 3, 1), ("FN004", 8, 1)]


def test_fn004_text_on_the_next_lines_is_not_empty(tmp_path: Path) -> None:
    text = (
        "Text.[^a] More.[^b] And.[^c]\n"
        "\n"
        "[^a]:\n"
        "    Indented text on the next line.\n"
        "\n"
        "[^b]:\n"
        "Lazy text on the next line.\n"
        "\n"
        "[^c]:\n"
        "\n"
        "Pandoc takes this paragraph as the note's text.\n"
    )
    assert one(tmp_path, text) == []


def test_fn004_empty_before_next_definition(tmp_path: Path) -> None:
    text = "Text.[^a][^b]\n\n[^a]:\n[^b]: Bee.\n"
    assert one(tmp_path, text) == [("FN004", 3, 1)]


# -- FN005 footnote-id-collision ----------------------------------------------------------

BOTH = "project:\n  type: book\nbook:\n  chapters: [index.qmd, b.qmd, c.qmd]\nformat:\n  html: default\n  {fmt}: default\n"


def _chapters() -> dict[str, str]:
    return {
        "index.qmd": "A.[^1] B.[^fn-x]\n\n[^1]: One.\n\n[^fn-x]: X.\n",
        "b.qmd": "C.[^1]\n\n[^1]: Another one.\n",
        "c.qmd": "D.[^1]\n\n[^1]: Third.\n",
    }


def test_fn005_same_id_in_two_chapters_of_a_pdf_book(tmp_path: Path) -> None:
    root = book(tmp_path, _chapters(), config=BOTH.format(fmt="pdf"))
    diagnostics = lint(root, FN)
    assert found(diagnostics, root) == [("FN005", "b.qmd", 3, 1), ("FN005", "c.qmd", 3, 1)]
    assert "also defined in index.qmd:3" in diagnostics[0].message
    assert "PDF build" in diagnostics[0].message


def test_fn005_epub_and_docx(tmp_path: Path) -> None:
    for fmt in ("epub", "docx"):
        root = book(tmp_path / fmt, _chapters(), config=BOTH.format(fmt=fmt))
        assert [code for code, *_ in found(lint(root, ["FN005"]), root)] == ["FN005", "FN005"]


def test_fn005_not_for_html_only_books(tmp_path: Path) -> None:
    root = book(tmp_path, _chapters())
    assert found(lint(root, FN), root) == []


def test_fn005_pdf_only_book_reports_fn003_instead(tmp_path: Path) -> None:
    config = "project:\n  type: book\nbook:\n  chapters: [index.qmd, b.qmd, c.qmd]\nformat: pdf\n"
    root = book(tmp_path, _chapters(), config=config)
    assert found(lint(root, FN), root) == [("FN003", "b.qmd", 3, 1), ("FN003", "c.qmd", 3, 1)]


def test_fn005_file_included_twice_is_not_a_collision(tmp_path: Path) -> None:
    chapters = {"index.qmd": "A.[^n]\n\n{{< include _n.qmd >}}\n", "b.qmd": "B.[^n]\n\n{{< include _n.qmd >}}\n"}
    config = "project:\n  type: book\nbook:\n  chapters: [index.qmd, b.qmd]\nformat:\n  html: default\n  pdf: default\n"
    root = book(tmp_path, chapters, extra={"_n.qmd": "[^n]: Shared.\n"}, config=config)
    assert found(lint(root, FN), root) == []


def test_fn005_not_for_websites(tmp_path: Path) -> None:
    write_files(tmp_path, {"_quarto.yml": "project:\n  type: website\nformat:\n  html: default\n  pdf: default\n",
                           "a.qmd": "A.[^1]\n\n[^1]: One.\n", "b.qmd": "B.[^1]\n\n[^1]: Two.\n"})
    assert found(lint(tmp_path, FN), tmp_path) == []


# -- FN006 footnote-definition-not-separated ----------------------------------------------


def test_fn006_definition_glued_to_paragraph(tmp_path: Path) -> None:
    text = "Text.[^a]\n[^a]: Glued.\n"
    assert one(tmp_path, text) == [("FN006", 2, 1)]
    [finding] = lint(tmp_path, ["FN006"], paths=[tmp_path / "doc.qmd"])
    assert finding.severity == Severity.ERROR  # Pandoc prints it literally: the note is lost


def test_fn006_not_after_heading_div_table_comment_or_definition(tmp_path: Path) -> None:
    text = (
        "Text.[^a][^b][^c][^d][^e]\n"
        "\n"
        "# Notes\n"
        "[^a]: After a heading.\n"
        "[^b]: Right after another definition.\n"
        "\n"
        "::: {.callout-note}\n"
        "[^c]: First line of a div.\n"
        ":::\n"
        "\n"
        "| x | y |\n"
        "|---|---|\n"
        "| 1 | 2 |\n"
        "[^d]: After a table.\n"
        "\n"
        "<!-- a comment -->\n"
        "[^e]: After a comment.\n"
    )
    assert one(tmp_path, text) == []


def test_fn006_glued_after_list_item(tmp_path: Path) -> None:
    text = "Text.[^a]\n\n- item\n[^a]: Lazy continuation of the item.\n"
    assert one(tmp_path, text) == [("FN006", 4, 1)]


def test_fn006_definition_inside_list_item_and_block_quote(tmp_path: Path) -> None:
    text = (
        "Text.[^a] More.[^b]\n"
        "\n"
        "- item\n"
        "\n"
        "    [^a]: Inside the item.\n"
        "\n"
        "> quote\n"
        ">\n"
        "> [^b]: Inside the quote.\n"
    )
    write_files(tmp_path, {"doc.qmd": text})
    diagnostics = lint(tmp_path, FN, paths=[tmp_path / "doc.qmd"])
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("FN006", 5, 5), ("FN006", 9, 3)]
    assert "inside a list item" in diagnostics[0].message
    assert "inside a block quote" in diagnostics[1].message
    assert all(d.fix is None for d in diagnostics)
    assert [d.severity for d in diagnostics] == [Severity.WARNING, Severity.WARNING]


def test_fn006_glued_inside_block_quote(tmp_path: Path) -> None:
    text = "Text.[^a]\n\n> quote\n> [^a]: Glued.\n"
    assert one(tmp_path, text) == [("FN006", 4, 3)]


def test_fn006_definition_between_list_items(tmp_path: Path) -> None:
    text = "1. One.[^a]\n\n[^a]: Splits the list.\n\n2. Two.\n\nAfter.\n\n[^b]: Not between items.[^c]\n\n[^c]: C.\n"
    write_files(tmp_path, {"doc.qmd": text})
    diagnostics = lint(tmp_path, ["FN006"], paths=[tmp_path / "doc.qmd"])
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("FN006", 3, 1)]
    assert diagnostics[0].severity == Severity.WARNING
    assert "between two list items" in diagnostics[0].message


@pytest.mark.parametrize("text", [
    "Text.[^a]\n\n- item\n\n    [^a]: Inside the item.\n",
    "Text.[^a]\n\n> quote\n>\n> [^a]: Inside the quote.\n",
    "1. One.[^a]\n\n[^a]: Splits the list.\n\n2. Two.\n",
])
def test_fn006_warning_placements_still_resolve_in_pandoc(text: str) -> None:
    """The placements FN006 reports as warnings: Pandoc still turns the marker into a note."""
    pypandoc = pytest.importorskip("pypandoc", reason="pypandoc-binary is not installed")
    native = pypandoc.convert_text(text, "native", format="markdown")
    assert "Note" in native and "[^a]" not in native


def test_fn006_fix_inserts_blank_line(tmp_path: Path) -> None:
    text = "Text.[^a] Quote.[^b]\nMore.\n[^a]: Glued.\n\n> quote\n> [^b]: Glued in a quote.\n"
    write_files(tmp_path, {"doc.qmd": text})
    diagnostics = lint(tmp_path, ["FN006"], paths=[tmp_path / "doc.qmd"])
    assert [d.fix.as_dict()["edits"][0]["content"] for d in diagnostics] == ["\n", ">\n"]
    outcome = apply_fixes(tmp_path / "doc.qmd", [d.fix for d in diagnostics])
    assert outcome.new_text == "Text.[^a] Quote.[^b]\nMore.\n\n[^a]: Glued.\n\n> quote\n>\n> [^b]: Glued in a quote.\n"
    assert found(lint(tmp_path, FN, paths=[tmp_path / "doc.qmd"]), tmp_path) == [
        ("FN006", "doc.qmd", 8, 3)]  # now a (separated) definition inside a quote


def test_fn006_fix_keeps_crlf(tmp_path: Path) -> None:
    path = tmp_path / "doc.qmd"
    path.write_bytes(b"Text.[^a]\r\n[^a]: Glued.\r\n")
    diagnostics = lint(tmp_path, ["FN006"], paths=[path])
    apply_fixes(path, [d.fix for d in diagnostics])
    assert path.read_bytes() == b"Text.[^a]\r\n\r\n[^a]: Glued.\r\n"


# -- the syntax of definitions --------------------------------------------------------------


def test_multi_paragraph_definition_with_nested_marker(tmp_path: Path) -> None:
    # MLSysBook: indented continuation paragraphs, one of them citing another note.
    text = (
        "Systolic arrays[^fn-sa] are fast.[^fn-y]\n"
        "\n"
        "[^fn-sa]: **Systolic array**: a grid of cells.\n"
        "lazy continuation line.\n"
        "\n"
        "    A second paragraph mentions [^fn-y].\n"
        "\n"
        "        indented code [^0-9]\n"
        "\n"
        "    ```python\n"
        "    re.sub(r\"[^a-z]\", \"\", s)\n"
        "    ```\n"
        "\n"
        "    Back in the note.\n"
        "\n"
        "[^fn-y]: Y.\n"
        "\n"
        "  Indented two spaces only: an ordinary paragraph, not part of the note.\n"
    )
    assert one(tmp_path, text) == [("FN001", 6, 33)]


def test_definition_in_code_or_comment_defines_nothing(tmp_path: Path) -> None:
    text = "Text.[^a]\n\n```markdown\n[^a]: In code.\n```\n\n<!--\n[^a]: In a comment.\n-->\n"
    assert one(tmp_path, text) == [("FN001", 1, 6)]


def test_id_with_space_in_definition_is_not_a_definition(tmp_path: Path) -> None:
    assert one(tmp_path, "Text.\n\n[^my note]: Not a definition.\n") == []


def test_mlsysbook_placement_snippets(tmp_path: Path) -> None:
    # Table cell markers, stacked markers, marker after a citation, `$x^{[2]}$` math.
    text = (
        "| Chip | Note |\n"
        "|------|------|\n"
        "| TPU  | fast[^fn-a] |\n"
        "\n"
        "Stacked[^fn-a][^fn-b] and cited [@smith2020][^fn-b], math $x^{[2]}$.\n"
        "\n"
        "[^fn-a]: A.\n"
        "\n"
        "[^fn-b]: B.\n"
    )
    assert one(tmp_path, text) == []


def test_marker_between_dollar_amounts_is_live(tmp_path: Path) -> None:
    # `$10 and $20` is not math (a closing `$` followed by a digit), so the marker is real.
    assert one(tmp_path, "It costs $10 and[^a] then $20.\n") == [("FN001", 1, 17)]


# -- FN008 inline-footnote ----------------------------------------------------------------------


def test_fn008_is_off_by_default_and_reports_inline_notes_pandoc_reads(tmp_path: Path) -> None:
    text = "A note.^[Inline one.] And `^[code]`, $x^[1]$ and \\^[escaped].\n\n<!-- ^[comment] -->\n"
    write_files(tmp_path, {"doc.qmd": text})
    assert lint(tmp_path, paths=[tmp_path / "doc.qmd"]) == []
    [finding] = lint(tmp_path, ["FN008"], paths=[tmp_path / "doc.qmd"])
    assert (finding.span.line, finding.span.column, finding.span.end_column) == (1, 8, 22)
    pypandoc = pytest.importorskip("pypandoc", reason="pypandoc-binary is not installed")
    assert pypandoc.convert_text(text, "native", format="markdown").count("Note") == 1


# -- FN007 footnote-lost-in-pdf ------------------------------------------------------------------

PDF_BOOK = """\
project:
  type: book
book:
  title: T
  chapters:
    - index.qmd
format:
  html: default
  pdf: default
"""

FLOATS = """\
# Intro

![A plain figure.[^a]](a.png){#fig-plain}

![A margin figure.[^a]](a.png){#fig-margin .column-margin}

![A side figure.^[inline]](a.png){#fig-side fig-env="SCfigure"}

![A wide figure.[^a]](a.png){#fig-wide .column-page}

![A left-page figure.[^a]](a.png){#fig-left-page .column-page-left}

::: {#fig-panel layout-ncol=2}
![Left.[^b]](a.png){#fig-left}

![Right.](a.png){#fig-right}

Both panels.[^a]
:::

::: {#lst-code}
```python
x = 1
```

A listing.[^b]
:::

| A | B |
|---|---|
| cell[^a] | 2 |

: Table caption.[^b] {#tbl-t}

![Unlabelled figure.[^a]](a.png)

Undefined marker: ![Caption.[^nope]](a.png){#fig-undefined}

[^a]: A.
[^b]: B.
"""


def test_fn007_caption_notes_quarto_leaves_in_a_float_captionFootnoteLineProcessor(tmp_path: Path) -> None:
    """Quarto moves notes out of the ``\\caption`` of a ``figure`` environment only
    (format-pdf.ts ``captionFootnoteLineProcessor``); ``latexFigureEnv`` picks the others."""
    book(tmp_path, {"index.qmd": FLOATS}, config=PDF_BOOK)
    findings = [(d.span.line, d.span.column) for d in lint(tmp_path, ["FN007"])]
    assert findings == [(5, 19), (7, 17), (9, 17), (14, 8), (26, 11)]
    messages = [d.message for d in lint(tmp_path, ["FN007"])]
    assert "`marginfigure` float" in messages[0] and "`SCfigure` float" in messages[1]
    assert "`figure*` float" in messages[2] and "subfigure `fig-left`" in messages[3]
    assert "`codelisting` float" in messages[4]


def test_fn007_callout_titles_but_not_bodies_callout_lua_resolveHeadingCaption(tmp_path: Path) -> None:
    text = """\
    # Intro

    ::: {.callout-note}
    ## Title note[^a]

    Body note.[^b]
    :::

    ::: {.callout-tip title="Attribute ^[inline title]"}
    ## A heading in the body[^a]
    :::

    ::: {.callout-warning}
    A paragraph first.

    ## Not the title[^a]
    :::

    ::: {.callout-important title="Literal [^a] marker"}
    Body.
    :::

    ::: {.content-visible when-format="html"}
    ::: {.callout-note}
    ## Shown in HTML only[^a]
    :::
    :::

    [^a]: A.
    [^b]: B.
    """
    book(tmp_path, {"index.qmd": text}, config=PDF_BOOK)
    assert [(d.span.line, d.span.column) for d in lint(tmp_path, ["FN007"])] == [(4, 14), (9, 36)]
    # `[^a]` in a title attribute is text to Quarto (read alone, without definitions): still a use of nothing
    assert [(d.code, d.span.line) for d in lint(tmp_path, ["FN001", "FN002"])] == []


def test_fn007_is_silent_without_a_latex_format(tmp_path: Path) -> None:
    book(tmp_path / "book", {"index.qmd": FLOATS}, config=PDF_BOOK.replace("  pdf: default\n", ""))
    assert lint(tmp_path / "book", ["FN007"]) == []
    write_files(tmp_path / "page", {"doc.qmd": "---\nformat: beamer\n---\n\n" + FLOATS})
    assert len(lint(tmp_path / "page", ["FN007"], paths=[tmp_path / "page" / "doc.qmd"])) == 5
