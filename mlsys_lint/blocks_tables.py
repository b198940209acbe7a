"""Tables, table captions and definition lists: part of the block scanner (blocks.py)."""

from __future__ import annotations

import re

from mlsys_lint.attributes import parse_attributes
from mlsys_lint.block_syntax import (
    Block,
    CAPTION_ATTRS,
    DEFINITION,
    GRID_BORDER,
    TABLE_CAPTION,
    TABLE_SEPARATOR,
    is_table,
)
from mlsys_lint.document_model import DefinitionItem
from mlsys_lint.elements import Float, Problem, Text


class TableBlocks:
    """Mixed into `BlockScanner`, which holds the state: pipe, grid and simple tables, `: caption`
    paragraphs (next to a table or held for the next one), definition lists."""

    def pending_caption_target(self, first: int) -> bool:
        """A `: caption` paragraph attaches to a table right above it (or right below).

        Only blank lines may stand between them, but any number (Pandoc skips them all).
        """
        if self.last_block is not None and self.last_block.kind == "table":
            prev_end_line = self.source.line_of(self.last_block.end) - 1
            if all(not line.strip() for line in self.lines[prev_end_line + 1 : first]):
                return True
        probe = self.para_last + 1
        while probe < len(self.lines) and not self.lines[probe].strip():
            probe += 1
        if probe >= len(self.lines):
            return False
        following = []
        while probe < len(self.lines) and self.lines[probe].strip():
            following.append(self.lines[probe])
            probe += 1
        return is_table(following)

    def detached_table_caption(self, first: int, last: int) -> None:
        """Record a ``: Caption {#tbl-x}`` (or ``Table: …``) paragraph that no table takes."""
        line = self.lines[first]
        match = CAPTION_ATTRS.search(self.text, self.starts[first], self.line_end(last))
        ident = parse_attributes(self.text, match.start() + 1, match.end(1)).id or "" if match else ""
        if not ident.lower().startswith("tbl-") and not line.lstrip().lower().startswith("table:"):
            return
        start = self.starts[first] + len(line) - len(line.lstrip())
        self.doc.problems.append(Problem(
            "detached-table-caption", "table caption is not next to a table (only blank lines may separate them), "
            "so Pandoc does not attach it", start, self.line_end(first), ident))

    # -- tables ----------------------------------------------------------------

    def table(self, first: int, last: int) -> None:
        lines = self.lines[first : last + 1]
        caption_from = None
        for offset, line in enumerate(lines):
            if offset > 0 and TABLE_CAPTION.match(line) and not line.lstrip().startswith("|"):
                caption_from = first + offset
                break
        rest = None
        if "|" in lines[0] and TABLE_SEPARATOR.match(lines[1]) and not GRID_BORDER.match(lines[0]):
            for offset in range(2, len(lines)):
                if "|" not in lines[offset]:  # a pipe-table row needs a pipe: the table ends here
                    if first + offset != caption_from:
                        rest, caption_from = first + offset, None
                    break
        table_last = (caption_from - 1) if caption_from is not None else (rest - 1 if rest is not None else last)
        start, end = self.starts[first], self.line_end(table_last)
        for index in range(first, table_last + 1):
            line_start = self.starts[index]
            self.doc.add_prose(line_start, self.line_end(index), "table", self.block_index + 1)
        result = self.scanner.scan(start, end, context="table", block=self.block_index + 1, condition=self.condition)
        self.scanner.not_figures(result.images, "sits in a table cell")
        block = Block("table", start, end, result.references, result)
        self.add_block(block)
        table = Float("tbl", "table", None, start, end, self.source, condition=self.condition, block=self.block_index)
        table.index = len(self.doc.floats)
        self.doc.floats.append(table)
        if self.pending_table_caption is not None:
            self._attach_caption(table, self.pending_table_caption)
            self.pending_table_caption = None
        if caption_from is not None:
            self.table_caption(caption_from, last, block)
        if rest is not None:  # the lines after the table are a paragraph of their own
            self.start_paragraph(rest, self.para_kind)
            self.para_last = last
            self.end_paragraph()

    def table_caption(self, first: int, last: int, target: Block | None) -> None:
        """A ``: Caption {#tbl-x}`` paragraph: attach it to the table above, or hold it."""
        line = self.lines[first]
        marker = TABLE_CAPTION.match(line)
        start = self.starts[first] + marker.end()
        end = self.line_end(last)
        self.doc.hide(self.starts[first], start)
        block = Block("caption", start, end)
        text = self.text
        attrs = None
        attr_match = CAPTION_ATTRS.search(text, start, end)
        caption_end = end
        if attr_match:
            brace_start = attr_match.start()
            attrs = parse_attributes(text, brace_start + 1, attr_match.end(1))
            caption_end = brace_start
            self.scanner._hide_attributes(brace_start, attr_match.end(), attrs)
        self.doc.add_prose(start, caption_end, "caption", self.block_index)
        result = self.scanner.scan(start, caption_end, context="caption", block=self.block_index, condition=self.condition)
        block.references = result.references
        block.scan = result
        caption = Text(text[start:caption_end].strip(), start, caption_end, self.source)
        pending = (caption, attrs, result.references)
        table = None
        if target is not None and target.kind == "table":
            for candidate in reversed(self.doc.floats):
                if candidate.form == "table" and candidate.start == target.start:
                    table = candidate
                    break
        if table is None:
            self.pending_table_caption = pending
            return
        self._attach_caption(table, pending)

    def _attach_caption(self, table: Float, pending) -> None:
        caption, attrs, refs = pending
        table.caption = caption
        if attrs is not None:
            table.attributes = dict(attrs.values)
            table.classes = tuple(attrs.classes)
            if attrs.id:
                table.label = attrs.id
                label = self.doc.add_label(attrs.id, "table-caption", attrs.id_start, attrs.id_end,
                                           table.condition, table.index)
                if label is None:
                    table.label = None
        for ref in self.doc.references[refs[0] : refs[1]]:
            ref.in_caption_of = table.label

    # -- definition lists (glossary chapters) -----------------------------------------

    def definition_list(self, first: int, last: int) -> None:
        index = first
        while index <= last:
            line = self.lines[index]
            if not DEFINITION.match(line) and index + 1 <= last and DEFINITION.match(self.lines[index + 1]):
                term_start, term_end = self.starts[index], self.line_end(index)
                def_index = index + 1
                def_last = def_index
                while def_last + 1 <= last and not DEFINITION.match(self.lines[def_last + 1]) and (
                    def_last + 2 > last or not DEFINITION.match(self.lines[def_last + 2])
                ):
                    def_last += 1
                self._definition(term_start, term_end, def_index, def_last)
                index = def_last + 1
            else:
                index += 1

    def definition_after_term(self, first: int, last: int) -> None:
        term = self.last_block
        if term is None:
            return
        self._definition(term.start, term.end, first, last)

    def _definition(self, term_start: int, term_end: int, def_first: int, def_last: int) -> None:
        marker = re.match(r"[ \t]{0,2}[:~][ \t]+", self.lines[def_first])
        start = self.starts[def_first] + marker.end()
        end = self.line_end(def_last)
        self.doc.hide(self.starts[def_first], start)
        if not any(p.start == term_start for p in self.doc.prose):
            self.doc.add_prose(term_start, term_end, "definition-term", self.block_index + 1)
            self.scanner.scan(term_start, term_end, block=self.block_index + 1, condition=self.condition)
        self.doc.add_prose(start, end, "definition", self.block_index + 1)
        result = self.scanner.scan(start, end, block=self.block_index + 1, condition=self.condition)
        self.add_block(Block("definition", start, end, result.references, result))
        term_text = self.text[term_start:term_end].strip()
        self.doc.definitions.append(
            DefinitionItem(Text(term_text, term_start, term_end, self.source),
                           Text(self.text[start:end].strip(), start, end, self.source))
        )
