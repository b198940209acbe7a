"""Footnote definitions: part of the block scanner (blocks.py)."""

from __future__ import annotations

import re

from mlsys_lint.block_syntax import (
    Block,
    CLOSING_DIV,
    COMMENTS_ONLY,
    FENCE,
    LIST_ITEM,
    NOTE_START,
    indent_width,
    is_table,
)
from mlsys_lint.elements import FootnoteDef, Problem, Text


class NoteBlocks:
    """Mixed into `BlockScanner`, which holds the state: ``[^id]: text`` definitions with their
    continuation blocks, in lists and block quotes, glued or separated."""

    # -- footnotes ---------------------------------------------------------------

    def footnote_definition(self, index: int, note: re.Match, container: str | None) -> int:
        glued = self._glued_to_paragraph(index)
        in_list_item = glued and self.para_first is not None and self.para_kind == "list"
        self.end_paragraph()
        after_list = self.last_block is not None and self.last_block.kind == "list" and container is None
        line_start = self.starts[index]
        marker_start = line_start + self.lines[index].index("[^")
        base = marker_start - line_start if container == "list" else 0
        empty_line = not self.text[marker_start + len(note.group("id")) + 4 : self.line_end(index)].strip()
        last = index
        probe = index + 1
        blank_seen = False
        while probe < len(self.lines):
            line = self.lines[probe]
            if not line.strip():
                blank_seen = True
                probe += 1
                continue
            indent = len(line) - len(line.lstrip(" \t"))
            nested = indent >= base + 4 or (not base and line.startswith("\t"))
            # Pandoc: after a bare `[^id]:` the next line (or, past one blank line, the next
            # paragraph) is the note's first line, whatever it is.
            takes_any = (empty_line and last == index and not NOTE_START.match(line)
                         and (probe == index + 1 or (probe == index + 2 and blank_seen)))
            if blank_seen and not nested and not takes_any:
                break
            fence = FENCE.match(line) if line.lstrip()[:1] in ("`", "~") else None
            # (A heading or a div opening right below the note's line is lazy text of it, as in
            # Pandoc; a fence closing an open div ends the note.)
            if not nested and not blank_seen and not takes_any and (
                    NOTE_START.match(line) or fence or self.frames and CLOSING_DIV.match(line)):
                break
            if in_list_item and not blank_seen and LIST_ITEM.match(line):
                break  # glued to a list item, the marker is lazy text of that item; the next item follows
            if fence and (nested or takes_any):
                probe = self._fence_end(probe, fence.group("fence"))
            last = probe
            blank_seen = False
            probe += 1
        definition = self._footnote(index, marker_start, note.group("id"), container, separated=not glued, last=last,
                                    base=base)
        self.doc.footnote_defs.append(definition)
        if after_list and not glued and self._list_item_follows(last):
            self.doc.problems.append(Problem(
                "footnote-splits-list", f"footnote definition `[^{definition.id}]:` between two list items splits "
                "the list in two", marker_start, definition.end, definition.id))
        self.add_block(Block("footnote", marker_start, self.line_end(last)))
        self.prev_blank = False
        return last + 1

    def quoted_footnote_definition(self, index: int, ident: str) -> int:
        """A ``> [^id]: text`` definition inside a block quote (lazy ``>`` lines continue it)."""
        glued = self._glued_to_paragraph(index)
        self.end_paragraph()
        last = index
        while last + 1 < len(self.lines):
            following = self.lines[last + 1]
            content = following.lstrip(" >")
            if not following.lstrip().startswith(">") or not content.strip() or NOTE_START.match(content):
                break
            last += 1
            self.doc.hide(self.starts[last], self.starts[last] + len(following) - len(content))
        marker_start = self.starts[index] + self.lines[index].index("[^")
        self.doc.hide(self.starts[index], marker_start)
        definition = self._footnote(index, marker_start, ident, "blockquote", separated=not glued, last=last)
        self.doc.footnote_defs.append(definition)
        self.add_block(Block("footnote", marker_start, self.line_end(last)))
        self.prev_blank = False
        return last + 1

    def _glued_to_paragraph(self, index: int) -> bool:
        """Whether line `index` continues the paragraph above (no blank line between them).

        A table or an HTML comment standing alone above is not a paragraph; nor is an empty
        ``>`` line of a block quote.
        """
        if self.para_first is None or self.para_last != index - 1 or self.prev_blank:
            return False
        lines = self.lines[self.para_first : index]
        if not lines[-1].lstrip(" >").strip():
            return False
        if self.para_kind in ("para", "list") and is_table(lines):
            return False
        return not COMMENTS_ONLY.fullmatch("\n".join(lines))

    def _list_item_follows(self, last: int) -> bool:
        """Whether the first non-blank line after line `last` starts a list item (indented ≤ 3)."""
        for line in self.lines[last + 1 :]:
            if line.strip():
                item = LIST_ITEM.match(line)
                return item is not None and len(item.group("indent")) <= 3
        return False

    def _fence_end(self, index: int, marker: str) -> int:
        """The line closing the fence `marker` opened at `index` (the last line if none)."""
        for probe in range(index + 1, len(self.lines)):
            stripped = self.lines[probe].strip()
            if stripped and set(stripped) == {marker[0]} and len(stripped) >= len(marker):
                return probe
        return len(self.lines) - 1

    def _footnote(self, index: int, marker_start: int, ident: str, container: str | None, *, separated: bool,
                  last: int | None = None, base: int = 0) -> FootnoteDef:
        marker_end = marker_start + len(ident) + 4
        body_start = marker_end
        last = index if last is None else last
        body_end = self.line_end(last)
        self.doc.hide(marker_start, marker_end)
        # A definition glued to a paragraph is paragraph text to Pandoc, so its text is prose.
        self._footnote_body(index, last, body_start, ident if separated else None, base)
        body = Text(self.text[body_start:body_end].strip(), body_start, body_end, self.source)
        return FootnoteDef(ident, marker_start, marker_end, body, self.source, separated=separated, container=container)

    def _footnote_body(self, first: int, last: int, body_start: int, ident: str | None, base: int = 0) -> None:
        """Scan a note's paragraphs (indented continuation blocks; fenced and indented code inside is hidden)."""
        segment_start = body_start
        probe = first
        while probe <= last:
            line = self.lines[probe]
            fence = FENCE.match(line) if line.strip()[:1] in ("`", "~") else None
            if probe > first and fence:
                self._scan_note(segment_start, self.starts[probe], ident)
                probe = min(self._fence_end(probe, fence.group("fence")), last) + 1
                segment_start = self.starts[probe] if probe < len(self.starts) else len(self.text)
                continue
            if probe > first and indent_width(line) >= base + 8 and not self.lines[probe - 1].strip():
                self._scan_note(segment_start, self.starts[probe], ident)
                while probe < last and (not self.lines[probe + 1].strip() or indent_width(self.lines[probe + 1]) >= base + 8):
                    probe += 1
                segment_start = self.line_end(probe)
            probe += 1
        self._scan_note(segment_start, self.line_end(last), ident)

    def _scan_note(self, start: int, end: int, ident: str | None) -> None:
        """Scan part of a note's text; `ident` None: text Pandoc reads as an ordinary paragraph."""
        if end <= start:
            return
        self.doc.add_prose(start, end, "footnote" if ident else "paragraph", self.block_index + 1)
        self.scanner.scan(start, end, context="footnote" if ident else "prose", note=ident, block=self.block_index + 1,
                          condition=self.condition)
