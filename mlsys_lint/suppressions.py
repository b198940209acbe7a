"""`--add-suppressions`: write a suppression comment for each current finding, for a book
adopting the linter without a baseline file.

A comment is only written where it cannot change what Pandoc reads: before a prose line,
a heading, an image or a div fence (``<!-- mlsys-lint: disable-next-line CODES -->``, with
a blank line after it when the line starts a block, so the block keeps its blank line); at
the end of a list item's line (``disable-line``: a line of its own would end the list or
make it loose); and as a ``#| mlsys-lint: ignore CODES`` line at the top of an executable cell whose
options are YAML (and whose options the book does not show, `echo: fenced`). Lines of tables, captions, definition lists, footnote definitions,
code, front matter and data files (glossaries, bibliographies, `_quarto.yml`) are left
alone: those findings are counted and belong in a baseline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mlsys_lint.cells import YAML_OPTIONS, option_prefix
from mlsys_lint.document import Document
from mlsys_lint.model import Diagnostic, Fix

_TABLE_OR_CAPTION = re.compile(r"^[ \t>]*(?:\||\+[-=:+]|:[ \t]|:$|~[ \t]|Table:|\[\^[^\]]*\]:)")
"""Lines where an inserted line changes what Pandoc reads: table rows and rules, captions,
definitions, footnote definitions (a comment before one can glue it or move a list's end)."""


@dataclass
class SuppressionPlan:
    """Insertions by file, and the findings no comment can safely suppress."""

    fixes: dict[str, list[Fix]] = field(default_factory=dict)
    suppressed: int = 0
    left: list[Diagnostic] = field(default_factory=list)


def plan_suppressions(diagnostics: list[Diagnostic], documents: dict[str, Document]) -> SuppressionPlan:
    """Where to write suppression comments for `diagnostics` (paths as in `documents`)."""
    plan = SuppressionPlan()
    by_line: dict[tuple[str, int], list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_line.setdefault((diagnostic.span.path, diagnostic.span.line), []).append(diagnostic)
    cells_done: dict[tuple[str, int], set[str]] = {}
    for (path, line), found in sorted(by_line.items()):
        document = documents.get(path)
        codes = sorted({d.code for d in found})
        where = _placement(document, line) if document is not None else None
        if where is None:
            plan.left.extend(found)
            continue
        kind, at, prefix = where
        if kind == "cell":
            cells_done.setdefault((path, at), set()).update(codes)
        elif kind == "append":
            end = len(document.source.line_text(at)) + 1
            comment = f" <!-- mlsys-lint: disable-line {', '.join(codes)} -->"
            plan.fixes.setdefault(path, []).append(Fix("Suppress the findings of this line", path, at, end, at, end,
                                                       comment))
        else:
            text = f"{prefix}<!-- mlsys-lint: disable-next-line {', '.join(codes)} -->\n"
            if kind == "block":
                text += prefix.rstrip() + "\n"
            plan.fixes.setdefault(path, []).append(Fix("Suppress the findings of this line", path, at, 1, at, 1, text))
        plan.suppressed += len(found)
    for (path, at), codes in cells_done.items():
        document = documents[path]
        cell = next(c for c in document.cells if c.first_line == at)
        indent = re.match(r"[ \t>]*", document.source.line_text(at)).group()
        line = f"{indent}{option_prefix(cell.language)} mlsys-lint: ignore {', '.join(sorted(codes))}\n"
        plan.fixes.setdefault(path, []).append(Fix("Suppress the findings of this cell", path, at + 1, 1, at + 1, 1,
                                                   line))
    return plan


_TABLE_RULE = re.compile(r"[ \t]*[-=| :+]{3,}[ \t]*")
_LIST_ITEM = re.compile(r"^[ \t>]*(?:[-*+]|\d+[.)]|[a-zA-Z][.)]|#\.|\(@[\w-]*\))[ \t]")
_BLOCK_START = re.compile(r"^[ \t>]*(?:#{1,6}[ \t]|:{3,}|!\[)")
"""A heading, a div fence or a line starting with an image: a comment goes before it, as a block."""


def _placement(document: Document, line: int) -> tuple[str, int, str] | None:
    """How a suppression for `line` is written: ``("block"|"inline", line, prefix)`` on a line of
    its own before it, ``("append", line, "")`` at the end of a list item's line, ``("cell", fence
    line, "")`` in an executable cell, or None where no comment is safe."""
    source = document.source
    if line < 1 or line > source.line_count or _in_front_matter(document, line):
        return None
    for cell in document.cells:
        if cell.first_line <= line <= cell.last_line:
            return _cell_placement(document, cell)
    text = source.line_text(line)
    if not text.strip() or _TABLE_OR_CAPTION.match(text) or _near_table(document, line):
        return None
    previous_blank = line == 1 or not source.line_text(line - 1).strip(" \t>")
    if _LIST_ITEM.match(text) or text[:1] in (" ", "\t"):
        # a line before an item or inside one would end the list or make it loose: append instead
        if text.rstrip("\n").endswith(("\\", "  ", "}")) or _BLOCK_START.match(text):
            return None
        return "append", line, ""
    prefix = re.match(r"[ \t]*(?:>[ \t]?)*", text).group()
    if _BLOCK_START.match(text):
        return ("block", line, prefix) if previous_blank else None
    return ("block" if previous_blank else "inline"), line, prefix


def _cell_placement(document: Document, cell) -> tuple[str, int, str] | None:
    """An executable cell whose options are YAML takes one more option line; a knitr cell in the
    comma-separated form, or a plain code block, takes none."""
    if not cell.executable or cell.options.get("echo") == "fenced":
        return None  # `echo: fenced` shows the option lines in the book
    token = option_prefix(cell.language)
    first = document.source.line_text(cell.first_line + 1).strip() if cell.first_line < cell.last_line else ""
    if first.startswith(token.rstrip()):
        option = first[len(token.rstrip()):].lstrip("| ").strip()
        if option and not YAML_OPTIONS.match(option):
            return None
    return "cell", cell.first_line, ""


def _in_front_matter(document: Document, line: int) -> bool:
    """Whether `line` is in the YAML front matter (its fences included), however long it is."""
    source = document.source
    if source.line_text(1).strip() != "---":
        return False
    for number in range(2, line):
        if source.line_text(number).strip() in ("---", "..."):
            return False
    return True


def _near_table(document: Document, line: int) -> bool:
    """A line of a simple or pipe table: it or a neighbour is a rule of dashes."""
    source = document.source
    for neighbour in (line - 1, line, line + 1):
        if 1 <= neighbour <= source.line_count and _TABLE_RULE.fullmatch(source.line_text(neighbour)) \
                and "-" in source.line_text(neighbour):
            return True
    return False
