"""The parser's reading of footnote markers and definitions (as Pandoc reads them)."""

from __future__ import annotations

from mlsys_lint.document import parse
from mlsys_lint.model import Source


def doc(text: str):
    return parse(Source("doc.qmd", text))


def refs(text: str) -> list[tuple[str, int, int, str | None, str]]:
    return [(r.id, r.span.line, r.span.column, r.in_note, r.context) for r in doc(text).footnote_refs]


def defs(text: str) -> list[tuple[str, int, int, bool, str | None, str]]:
    return [(d.id, d.span.line, d.span.column, d.separated, d.container, d.body.value) for d in doc(text).footnote_defs]


def test_definition_body_and_continuations() -> None:
    text = "[^a]: First\nlazy [^b]\n\n    Second [^c]\n\n        code [^d]\n        more [^e]\n\n    Back [^f]\n\nOut [^g]\n"
    assert [d[:5] for d in defs(text)] == [("a", 1, 1, True, None)]
    assert refs(text) == [("b", 2, 6, "a", "footnote"), ("c", 4, 12, "a", "footnote"), ("f", 9, 10, "a", "footnote"),
                          ("g", 11, 5, None, "prose")]


def test_lazy_lines_stop_at_a_line_starting_with_a_marker() -> None:
    # Pandoc ends the note's paragraph before a line that starts with `[^id]`.
    assert refs("[^a]: Note\n[^b] starts a paragraph.\n") == [("b", 2, 1, None, "prose")]


def test_bare_marker_takes_the_next_line_or_paragraph() -> None:
    assert defs("[^a]:\n# Heading\n")[0][5] == "# Heading"
    assert defs("[^a]:\n\nA paragraph [^b]\nlazy\n\nOut.\n")[0][5] == "A paragraph [^b]\nlazy"
    assert refs("[^a]:\n\nA paragraph [^b]\n") == [("b", 3, 13, "a", "footnote")]
    assert defs("[^a]:\n\n\nNot the note.\n")[0][5] == ""
    assert defs("[^a]:\n[^b]: Bee.\n") == [("a", 1, 1, True, None, ""), ("b", 2, 1, True, None, "Bee.")]


def test_glued_definition_is_paragraph_text() -> None:
    text = "Paragraph.\n[^a]: Glued [^b] and @fig-x.\n"
    assert defs(text) == [("a", 2, 1, False, None, "Glued [^b] and @fig-x.")]
    assert refs(text) == [("b", 2, 13, None, "prose")]
    assert [r.context for r in doc(text).references] == ["prose"]


def test_not_glued_after_table_or_comment() -> None:
    assert defs("| a |\n|---|\n| 1 |\n[^a]: T.\n")[0][3] is True
    assert defs("<!-- c -->\n[^a]: C.\n")[0][3] is True
    assert defs("> q\n>\n> [^a]: Q.\n")[0][3] is True
    assert defs("> q\n> [^a]: Q.\n")[0][3] is False


def test_block_quote_definition_is_recorded_once() -> None:
    text = "> quote\n>\n> [^a]: In quote [^c]\n> lazy [^d]\n\nAfter [^e]\n"
    assert defs(text) == [("a", 3, 3, True, "blockquote", "In quote [^c]\n> lazy [^d]")]
    assert refs(text) == [("c", 3, 18, "a", "footnote"), ("d", 4, 8, "a", "footnote"), ("e", 6, 7, None, "prose")]
    assert ">" not in doc(text).masked.splitlines()[3]


def test_list_item_definition() -> None:
    text = "- item\n\n    [^a]: In the item [^c]\n\n        Continued [^d]\n"
    assert [d[:5] for d in defs(text)] == [("a", 3, 5, True, "list")]
    assert refs(text) == [("c", 3, 23, "a", "footnote"), ("d", 5, 19, "a", "footnote")]


def test_definition_between_list_items_is_a_problem() -> None:
    parsed = doc("1. One\n\n[^a]: Between.\n\n2. Two\n")
    assert [(p.kind, p.subject, p.start) for p in parsed.problems] == [("footnote-splits-list", "a", 8)]
    assert doc("1. One\n\n[^a]: After.\n\nText.\n").problems == []


def test_marker_grammar() -> None:
    assert refs("a [^x y] b [^x^y] c [^] d [^[x]] e [^ok]") == [("ok", 1, 36, None, "prose")]
    assert defs("[^a^b]: No.\n") == []


def test_marker_after_exclamation_mark() -> None:
    assert refs("Wow![^a] and ![alt](x.png)[^b]") == [("a", 1, 5, None, "prose"), ("b", 1, 27, None, "prose")]


def test_inline_note_versus_superscripted_link() -> None:
    assert len(doc("Text.^[An inline note.]").inline_notes) == 1
    assert doc("Text^[link](https://x.org)^.").inline_notes == []
