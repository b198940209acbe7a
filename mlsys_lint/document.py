"""One file → one `Document`: the block structure Quarto and Pandoc would see.

`parse` makes a single pass over the lines of a file.  It knows what hides text
(front matter, fenced and indented code, raw blocks, HTML comments, math) and what
does not (executable-cell options, captions given as attributes), builds figures,
tables and listings the way Quarto does, and hands every visible inline range to the
`InlineScanner`.  Every rule reads the resulting model; none re-scans raw text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlsys_lint.attributes import Attributes, find_attribute_end, parse_attributes, parse_chunk_header
from mlsys_lint.inline import InlineScanner, ScanResult, comment_suppression
from mlsys_lint.model import (
    CROSSREF_TYPES,
    Condition,
    Float,
    FootnoteDef,
    FootnoteRef,
    Heading,
    Include,
    InlineNote,
    Label,
    Problem,
    Prose,
    RawTex,
    Reference,
    Shortcode,
    Source,
    Suppression,
    Text,
)
from mlsys_lint import cells

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
_DIV_FENCE = re.compile(r"^ {0,3}(?P<colons>:{3,})[ \t]*(?P<rest>.*?)[ \t]*$")
_DIV_FENCE_NESTED = re.compile(r"^[ \t]*(?P<colons>:{3,})[ \t]*(?P<rest>.*?)[ \t]*$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_FOOTNOTE_DEF = re.compile(r"^(?P<indent> {0,3})\[\^(?P<id>[^\]\[\s^]+)\]:")
_NOTE_START = re.compile(r"^ {0,3}\[\^[^\]\[\s^]+\]")
_COMMENTS_ONLY = re.compile(r"\s*(?:<!--.*?-->\s*)+", re.S)
_LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d+[.)]|#\.|[a-zA-Z][.)]|\(@[\w\-]*\))(?:[ \t]+|$)")
_HRULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_INCLUDE = re.compile(r"^[ \t]*\{\{<\s*include\s+(\S+?|\"[^\"]*\"|'[^']*')\s*>\}\}[ \t]*$")
_INCLUDE_ANYWHERE = re.compile(r"(\{?)\{\{<\s*include\s+(\S+?|\"[^\"]*\"|'[^']*')\s*>\}\}")
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-{1,}:?[ \t]*(\|[ \t]*:?-{1,}:?[ \t]*)*\|?[ \t]*$")
_GRID_BORDER = re.compile(r"^[ \t]*\+[-=:+]+\+[ \t]*$")
_SIMPLE_TABLE_RULE = re.compile(r"^[ \t]*-{2,}(?:[ \t]+-{2,})+[ \t]*$")
_TABLE_CAPTION = re.compile(r"^[ \t]{0,3}(?:Table)?:[ \t]", re.I)
_CAPTION_ATTRS = re.compile(r"\{(#[^{}]*|[^{}]*#[^{}]*)\}[ \t]*$")
_RAW_TEX_BEGIN = re.compile(r"^[ \t]*\\begin\{([A-Za-z*]+)\}")
_RAW_TABULAR = re.compile(r"\\begin\{(?:tabular|longtable)")
_RAW_TABLE_LABEL = re.compile(r"\\label\{(tbl-[^{}\s]+)\}|\{#(tbl-[^{}\s]+)\}")
_RAW_TEX_LAYOUT_LINE = re.compile(  # a line of page-layout commands alone is a raw TeX block (a heading may follow)
    r"^[ \t]*(?:\\(?:needspace|vspace\*?|addvspace|medskip|bigskip|smallskip|clearpage|cleardoublepage|newpage"
    r"|pagebreak|nopagebreak|FloatBarrier|enlargethispage\*?)(?:\{[^{}\n]*\})?[ \t]*)+$")
_RAW_HTML_BLOCK = re.compile(r"^[ \t]*<(script|style|pre|textarea)\b", re.I)
_DEFINITION = re.compile(r"^[ \t]{0,2}[:~][ \t]+\S")
_BACKTICK_RUNS = re.compile(r"`+")
_CLOSING_DIV = re.compile(r"^[ \t]*:{3,}[ \t]*$")
_OPEN_BRACKET = re.compile(r"\[")
_COND_CLASSES = ("content-visible", "content-hidden")
_COND_KEYS = ("when-format", "unless-format", "when-profile", "unless-profile")


@dataclass
class Cell:
    """A fenced code block; executable cells carry their parsed options."""

    language: str
    start: int
    end: int
    first_line: int
    last_line: int
    executable: bool
    options: dict[str, Any] = field(default_factory=dict)
    label: str | None = None


@dataclass
class DefinitionItem:
    """One term of a Pandoc definition list with its first definition."""

    term: Text
    definition: Text


@dataclass
class _Block:
    kind: str
    start: int
    end: int
    references: tuple[int, int] = (0, 0)
    scan: ScanResult | None = None


@dataclass
class _Frame:
    """An open fenced div."""

    attrs: Attributes
    start: int
    fence_end: int
    line: int
    condition: Condition
    children: list[_Block] = field(default_factory=list)
    refs_first: int = 0
    floats_first: int = 0
    float_type: str | None = None
    block: int = 0


class Document:
    """The parsed model of one file.  Element lists are in source order."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.front_matter: dict[str, Any] = {}
        self.labels: list[Label] = []
        self.references: list[Reference] = []
        self.floats: list[Float] = []
        self.footnote_refs: list[FootnoteRef] = []
        self.footnote_defs: list[FootnoteDef] = []
        self.inline_notes: list[InlineNote] = []
        self.shortcodes: list[Shortcode] = []
        self.includes: list[Include] = []
        self.raw_tex: list[RawTex] = []
        self.headings: list[Heading] = []
        self.prose: list[Prose] = []
        self.suppressions: list[Suppression] = []
        self.problems: list[Problem] = []
        self.cells: list[Cell] = []
        self.links: list[tuple[int, int, str]] = []
        self.definitions: list[DefinitionItem] = []
        self.other_ids: list[Label] = []
        self.block_starts: list[int] = []
        self.default_condition = Condition()
        self._hidden: list[tuple[int, int]] = []
        self._masked: str | None = None

    # -- recording (used by the parser and the inline scanner) ----------------------

    def hide(self, start: int, end: int) -> None:
        if end > start:
            self._hidden.append((start, end))

    def add_prose(self, start: int, end: int, kind: str, block: int = 0) -> None:
        if end > start:
            self.prose.append(Prose(start, end, kind, block))

    def comment(self, start: int, end: int) -> None:
        self.hide(start, end)
        suppression = comment_suppression(self, start, end)
        if suppression is not None:
            self.suppressions.append(suppression)

    def add_label(self, ident: str, form: str, start: int, end: int, condition: Condition | None = None,
                  float_index: int | None = None, block: int = 0) -> Label | None:
        """Record a label when `ident` has a ``type-`` prefix (any letters: custom types too).

        Other identifiers (``{#roofline}``, ``{#fig_x}``) go to `other_ids` with type ``""``.
        """
        match = re.match(r"([A-Za-z]+)-", ident)
        if not match:
            self.other_ids.append(Label(ident, "", form, start, end, self.source,
                                        condition or self.default_condition, float_index))
            return None
        label = Label(ident, match.group(1).lower(), form, start, end, self.source,
                      condition or self.default_condition, float_index)
        self.labels.append(label)
        return label

    # -- reading ----------------------------------------------------------------------

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def masked(self) -> str:
        """The text with everything but visible prose blanked (newlines kept, same length)."""
        if self._masked is None:
            self._masked = _mask(self.source.text, self.prose, self._hidden)
        return self._masked



def _mask(text: str, prose: list[Prose], hidden: list[tuple[int, int]]) -> str:
    visible = sorted((p.start, p.end) for p in prose)
    pieces: list[str] = []
    blank = _blank
    cursor = 0
    hidden_sorted = sorted(hidden)
    for start, end in _merge(visible):
        if start < cursor:
            start = cursor
        if start >= end:
            continue
        pieces.append(blank(text[cursor:start]))
        pieces.append(text[start:end])
        cursor = end
    pieces.append(blank(text[cursor:]))
    out = "".join(pieces)
    if not hidden_sorted:
        return out
    parts: list[str] = []
    cursor = 0
    for start, end in _merge(hidden_sorted):
        if start < cursor:
            start = cursor
        if start >= end:
            continue
        parts.append(out[cursor:start])
        parts.append(blank(out[start:end]))
        cursor = end
    parts.append(out[cursor:])
    return "".join(parts)


def _blank(segment: str) -> str:
    """`segment` with every character but a newline turned into a space."""
    if "\n" not in segment:
        return " " * len(segment)
    return "\n".join(" " * len(part) for part in segment.split("\n"))


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def parse(source: Source) -> Document:
    """Parse one file's text into its `Document`."""
    return _Parser(source).run()


def _condition_clauses(attrs: Attributes) -> tuple[tuple[bool, str, tuple[str, ...]], ...]:
    clauses = []
    for cls in attrs.classes:
        if cls in _COND_CLASSES:
            for key in _COND_KEYS:
                if key in attrs.values:
                    values = tuple(v.strip() for v in re.split(r"[\s,]+", attrs.values[key]) if v.strip())
                    clauses.append((cls == "content-visible", key, values))
    return tuple(clauses)


class _Parser:
    """The single pass over a file's lines."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.doc = Document(source)
        self.lines = self.text.split("\n")
        self.starts: list[int] = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1
        self.scanner = InlineScanner(self.doc)
        self.frames: list[_Frame] = []
        self.para_first: int | None = None
        self.para_kind = "para"
        self.para_last = -1
        self.prev_blank = True
        self.last_block: _Block | None = None
        self.block_index = 0
        self.list_indent: int | None = None
        self.pending_table_caption: _Block | None = None

    # -- helpers ----------------------------------------------------------------

    def line_end(self, index: int) -> int:
        return self.starts[index] + len(self.lines[index])

    @property
    def condition(self) -> Condition:
        return self.frames[-1].condition if self.frames else self.doc.default_condition

    def add_block(self, block: _Block) -> None:
        self.block_index += 1
        self.doc.block_starts.append(block.start)
        if self.frames:
            self.frames[-1].children.append(block)
        self.last_block = block

    # -- main loop --------------------------------------------------------------

    def run(self) -> Document:
        lines = self.lines
        count = len(lines)
        index = self.front_matter()
        while index < count:
            line = lines[index]
            stripped = line.strip()
            if not stripped:
                self.end_paragraph()
                self.prev_blank = True
                index += 1
                continue
            index = self.block(index, line, stripped)
        self.end_paragraph()
        for frame in reversed(self.frames):
            self.doc.problems.append(
                Problem("unclosed-div", f"div opened with `{self.text[frame.start:frame.fence_end].strip()}` is never closed",
                        frame.start, frame.fence_end, frame.attrs.id or "")
            )
        return self.doc

    def block(self, index: int, line: str, stripped: str) -> int:
        """Handle the line at `index` (not blank); return the next line to read."""
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent]:
            indent = len(line[:indent].expandtabs(4))  # a tab advances to the next multiple of 4 (Pandoc)
        in_list = self.list_indent is not None and indent >= self.list_indent
        if self.list_indent is not None and self.prev_blank and indent < self.list_indent and not _LIST_ITEM.match(line):
            self.list_indent = None
            in_list = False

        if indent >= 4 and self.prev_blank and not in_list and self.para_first is None:
            return self.indented_code(index)

        fence = _FENCE.match(line) if stripped[0] in "`~" else None
        if fence and indent and self.para_first is not None and not in_list \
                and cells.classify(fence.group("info")).kind != "executable":
            fence = None  # Pandoc: only a fence at the margin interrupts a paragraph
        if fence and (indent <= 3 or in_list) and not (fence.group("fence")[0] == "`" and "`" in fence.group("info")):
            self.end_paragraph()
            return self.fenced(index, fence)

        if stripped.startswith(":::") and (indent <= 3 or in_list):
            div = _DIV_FENCE_NESTED.match(line)
            closing = div is not None and (not div.group("rest") or set(div.group("rest")) == {":"})
            # Pandoc: a fence opening a div right below a paragraph line (not a table) is more of its
            # text; a closing fence closes the open div even there; one with none open is text.
            if div and (closing and self.frames or not closing and (
                    self.para_first is None or _is_table(self.lines[self.para_first:index]))):
                self.end_paragraph()
                return self.div_fence(index, div)
            if div:
                if self.para_first is None:
                    self.start_paragraph(index, "list" if in_list else "para")
                return self.paragraph_line(index, line)

        if stripped.startswith("{{<") and _INCLUDE.match(line):
            self.end_paragraph()
            self.include(index)
            self.prev_blank = False
            return index + 1

        if stripped[0] == "#" and self.para_first is None:
            atx = _ATX.match(line)
            if atx:
                self.heading(index, atx)
                self.prev_blank = False
                return index + 1

        if stripped.startswith("[^"):
            note = _FOOTNOTE_DEF.match(line)
            if note is None and in_list:
                note = _FOOTNOTE_DEF.match(line[self.list_indent:])
            if note:
                container = "list" if in_list and self.list_indent else None
                return self.footnote_definition(index, note, container)

        if stripped[0] == ">":
            note = _FOOTNOTE_DEF.match(line.lstrip(" >"))
            if note:
                return self.quoted_footnote_definition(index, note.group("id"))

        if stripped[0] == "\\" and self.para_first is None:
            raw = _RAW_TEX_BEGIN.match(line)
            if raw:
                return self.raw_tex_block(index, raw.group(1))
            if _RAW_TEX_LAYOUT_LINE.match(line):
                self.add_block(_Block("raw", self.starts[index], self.line_end(index)))
                self.prev_blank = False
                return index + 1

        if stripped[0] == "<" and self.para_first is None:
            raw_html = _RAW_HTML_BLOCK.match(line)
            if raw_html:
                return self.raw_html_block(index, raw_html.group(1))

        if self.para_first is not None and self.para_last == index - 1:
            setext = _SETEXT.match(line)
            if setext and self.para_first == index - 1 and self.para_kind == "para":
                self.setext_heading(index, setext.group(1)[0])
                return index + 1
        if _HRULE.match(line) and self.para_first is None:
            self.add_block(_Block("hr", self.starts[index], self.line_end(index)))
            self.prev_blank = False
            return index + 1

        item = _LIST_ITEM.match(line)
        if item and (self.para_first is None or self.para_kind == "list"):
            self.end_paragraph()
            marker = item.group("marker")
            if marker.startswith("(@") and len(marker) > 3:
                self.doc.problems.append(
                    Problem("example-list-label", f"a line starting with `{marker}` is an example-list item, not a reference",
                            self.starts[index] + item.start("marker"), self.starts[index] + item.end("marker"), marker[2:-1])
                )
            self.list_indent = item.end() if item.end() > item.start("marker") + len(marker) else item.end("marker") + 1
            self.doc.hide(self.starts[index] + item.start("marker"), self.starts[index] + item.end("marker"))
            content_at = item.end()
            while True:
                nested = _LIST_ITEM.match(" " * content_at + line[content_at:])
                if not nested or nested.end() <= content_at:
                    break
                content_at = nested.end()
            padded = " " * content_at + line[content_at:]
            if line[content_at:].startswith(("```", "~~~")):
                fence = _FENCE.match(padded)
                if fence and not (fence.group("fence")[0] == "`" and "`" in fence.group("info")):
                    return self.fenced(index, fence)
            if line[content_at:].startswith(":::"):
                div = _DIV_FENCE_NESTED.match(padded)
                if div:
                    return self.div_fence(index, div)
            self.start_paragraph(index, "list")
            return self.paragraph_line(index, line)

        if self.para_first is None:
            kind = "list" if in_list else "para"
            if stripped[0] == ">":
                kind = "blockquote"
            self.start_paragraph(index, kind)
        return self.paragraph_line(index, line)

    # -- front matter ---------------------------------------------------------------

    def front_matter(self) -> int:
        lines = self.lines
        if not lines or lines[0].rstrip() != "---":
            return 0
        for index in range(1, len(lines)):
            if lines[index].rstrip() in ("---", "..."):
                body = "\n".join(lines[1:index])
                self.doc.front_matter = cells.load_yaml_mapping(
                    body, self.doc, self.starts[1] if len(lines) > 1 else 0, "front matter")
                self.doc.default_condition = Condition()
                return index + 1
        self.doc.problems.append(
            Problem("unclosed-front-matter", "front matter opened with `---` is never closed", 0, 3)
        )
        return len(lines)

    # -- paragraphs ---------------------------------------------------------------

    def start_paragraph(self, index: int, kind: str) -> None:
        self.para_first = index
        self.para_kind = kind

    def paragraph_line(self, index: int, line: str) -> int:
        """Add a line to the open paragraph; multi-line comments and math are consumed whole."""
        self.para_last = index
        self.prev_blank = False
        comment_at = _open_comment(line)
        if comment_at is not None:
            close = self.text.find("-->", self.starts[index] + comment_at + 4)
            if close == -1:
                start = self.starts[index] + comment_at
                self.doc.problems.append(Problem("unclosed-comment", "HTML comment `<!--` is never closed",
                                                 start, start + 4))
                self.doc.hide(start, len(self.text))
                self.para_last = len(self.lines) - 1
                return len(self.lines)
            close_line = self.source.line_of(close) - 1
            if close_line > index:
                self.para_last = close_line
                return close_line + 1
        if line.count("$$") % 2 == 1:
            for probe in range(index + 1, len(self.lines)):
                if not self.lines[probe].strip():
                    break
                if "$$" in self.lines[probe]:
                    self.para_last = probe
                    return probe + 1
        return index + 1

    def end_paragraph(self) -> None:
        first = self.para_first
        if first is None:
            return
        self.para_first = None
        last = self.para_last
        start, end = self.starts[first], self.line_end(last)
        kind = self.para_kind
        lines = self.lines[first : last + 1]
        if kind in ("para", "list") and _is_table(lines):
            self.table(first, last)
            return
        if kind == "para" and _TABLE_CAPTION.match(lines[0]) and self.pending_caption_target(first):
            self.table_caption(first, last, self.last_block)
            return
        if kind == "para" and _TABLE_CAPTION.match(lines[0]):
            self.detached_table_caption(first, last)
        if kind == "para" and len(lines) > 1 and _DEFINITION.match(lines[1]) and not _DEFINITION.match(lines[0]):
            self.definition_list(first, last)
            return
        if kind == "para" and _DEFINITION.match(lines[0]) and self.last_block is not None and self.last_block.kind == "para":
            self.definition_after_term(first, last)
            return
        if kind == "blockquote":
            for offset, text_line in enumerate(lines):
                marks = len(text_line) - len(text_line.lstrip(" >"))
                self.doc.hide(self.starts[first + offset], self.starts[first + offset] + marks)
        self.doc.add_prose(start, end, "list" if kind == "list" else "paragraph", self.block_index + 1)
        result = self.scanner.scan(start, end, block=self.block_index + 1, condition=self.condition)
        block = _Block(kind, start, end, result.references, result)
        lone = _lone_image(self.text, start, end, result, in_container=kind in ("list", "blockquote"))
        if lone is not None and kind in ("para", "list", "blockquote"):  # Pandoc: a figure in a list item too
            block.kind = "figure"
            self.add_block(block)
            self.image_figure(lone, block)
        else:
            self.add_block(block)
            for image in result.images:
                if image.attrs and image.attrs.id and image.attrs.id.lower().startswith("fig-"):
                    self.doc.problems.append(Problem(
                        "inline-image-label",
                        f"image labelled `#{image.attrs.id}` shares its paragraph with other text, so it is not a figure",
                        image.attrs.id_start - 1, image.attrs.id_end, image.attrs.id))

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
        return _is_table(following)

    def detached_table_caption(self, first: int, last: int) -> None:
        """Record a ``: Caption {#tbl-x}`` (or ``Table: …``) paragraph that no table takes."""
        line = self.lines[first]
        match = _CAPTION_ATTRS.search(self.text, self.starts[first], self.line_end(last))
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
            if offset > 0 and _TABLE_CAPTION.match(line) and not line.lstrip().startswith("|"):
                caption_from = first + offset
                break
        rest = None
        if "|" in lines[0] and _TABLE_SEPARATOR.match(lines[1]) and not _GRID_BORDER.match(lines[0]):
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
        for image in result.images:  # an image in a table cell is never a figure
            if image.attrs and image.attrs.id and image.attrs.id.lower().startswith("fig-"):
                self.doc.problems.append(Problem(
                    "inline-image-label", f"image labelled `#{image.attrs.id}` sits in a table cell, so it is not a "
                    "figure", image.attrs.id_start - 1, image.attrs.id_end, image.attrs.id))
        block = _Block("table", start, end, result.references, result)
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

    def table_caption(self, first: int, last: int, target: _Block | None) -> None:
        """A ``: Caption {#tbl-x}`` paragraph: attach it to the table above, or hold it."""
        line = self.lines[first]
        marker = _TABLE_CAPTION.match(line)
        start = self.starts[first] + marker.end()
        end = self.line_end(last)
        self.doc.hide(self.starts[first], start)
        block = _Block("caption", start, end)
        text = self.text
        attrs = None
        attr_match = _CAPTION_ATTRS.search(text, start, end)
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
            if not _DEFINITION.match(line) and index + 1 <= last and _DEFINITION.match(self.lines[index + 1]):
                term_start, term_end = self.starts[index], self.line_end(index)
                def_index = index + 1
                def_last = def_index
                while def_last + 1 <= last and not _DEFINITION.match(self.lines[def_last + 1]) and (
                    def_last + 2 > last or not _DEFINITION.match(self.lines[def_last + 2])
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
        self.add_block(_Block("definition", start, end, result.references, result))
        term_text = self.text[term_start:term_end].strip()
        self.doc.definitions.append(
            DefinitionItem(Text(term_text, term_start, term_end, self.source),
                           Text(self.text[start:end].strip(), start, end, self.source))
        )

    # -- headings ----------------------------------------------------------------

    def heading(self, index: int, atx: re.Match) -> None:
        line_start = self.starts[index]
        level = len(atx.group(1))
        content = atx.group(2) or ""
        cstart = line_start + (atx.start(2) if atx.group(2) is not None else atx.end(1))
        cend = cstart + len(content)
        closing = re.search(r"[ \t]+#+[ \t]*$", content)
        if closing and not content.rstrip().endswith("}"):
            cend = cstart + closing.start()
        self._heading(level, cstart, cend, line_start, self.line_end(index))

    def setext_heading(self, index: int, char: str) -> None:
        first = self.para_first
        self.para_first = None
        cstart, cend = self.starts[first], self.line_end(first)
        self._heading(1 if char == "=" else 2, cstart, cend, cstart, self.line_end(index))
        self.prev_blank = False

    def _inline_attribute_target(self, start: int, brace: int) -> bool:
        """Whether an image, link, span or code span ends right at `brace`: Pandoc gives it the
        ``{…}`` (``# ![x](p.png){#fig-a}`` labels the image, not the heading)."""
        text = self.text
        before = text[brace - 1] if brace > start else ""
        if before == "`":  # pair backtick runs as Pandoc does: each with the next run of its length
            runs = [(m.start(), m.end()) for m in _BACKTICK_RUNS.finditer(text, start, brace)]
            following: dict[int, int] = {}
            partner = [None] * len(runs)
            for index in range(len(runs) - 1, -1, -1):
                length = runs[index][1] - runs[index][0]
                partner[index] = following.get(length)
                following[length] = index
            index = 0
            while index < len(runs):
                if partner[index] is None:
                    index += 1
                    continue
                if runs[partner[index]][1] == brace:
                    return True
                index = partner[index] + 1
            return False
        if before not in (")", "]"):
            return False
        for bracket in _OPEN_BRACKET.finditer(text, start, brace):
            close = self.scanner._matching_bracket(bracket.start(), brace)
            if close == -1:
                continue
            if before == "]" and close == brace - 1:
                return True
            if before == ")" and text.startswith("(", close + 1) and self.scanner._destination(close + 1, brace) == brace:
                return True
        return False

    def _heading(self, level: int, cstart: int, cend: int, start: int, end: int) -> None:
        text = self.text
        attrs = Attributes()
        text_end = cend
        stripped_end = cend
        while stripped_end > cstart and text[stripped_end - 1] in " \t":
            stripped_end -= 1
        if stripped_end > cstart and text[stripped_end - 1] == "}":
            brace = text.rfind("{", cstart, stripped_end)
            if brace != -1 and find_attribute_end(text, brace, stripped_end) != stripped_end - 1:
                brace = text.find("{", cstart, stripped_end)  # a quoted value may hold braces: try each `{`
                while brace != -1 and find_attribute_end(text, brace, stripped_end) != stripped_end - 1:
                    brace = text.find("{", brace + 1, stripped_end)
            if (brace != -1 and find_attribute_end(text, brace, stripped_end) == stripped_end - 1
                    and not self._inline_attribute_target(cstart, brace)):
                attrs = parse_attributes(text, brace + 1, stripped_end - 1)
                text_end = brace
                self.doc.hide(brace, stripped_end)
        self.doc.add_prose(cstart, text_end, "heading", self.block_index + 1)
        result = self.scanner.scan(cstart, text_end, context="heading", block=self.block_index + 1,
                                   condition=self.condition)
        for image in result.images:  # an image in a heading is never a figure
            if image.attrs and image.attrs.id and image.attrs.id.lower().startswith("fig-"):
                self.doc.problems.append(Problem(
                    "inline-image-label", f"image labelled `#{image.attrs.id}` sits in a heading, so it is not a "
                    "figure", image.attrs.id_start - 1, image.attrs.id_end, image.attrs.id))
        block = _Block("heading", start, end, result.references, result)
        self.add_block(block)
        heading_text = Text(text[cstart:text_end].strip(), cstart, text_end, self.source)
        self.doc.headings.append(Heading(level, heading_text, attrs.id, tuple(attrs.classes), start, end,
                                         self.block_index))
        if attrs.id:
            self.doc.add_label(attrs.id, "heading", attrs.id_start, attrs.id_end, self.condition,
                               block=self.block_index)

    # -- code -----------------------------------------------------------------

    def indented_code(self, index: int) -> int:
        self.end_paragraph()
        start = self.starts[index]
        last = index
        probe = index
        while probe < len(self.lines):
            line = self.lines[probe]
            if line.strip():
                if len(line) - len(line.lstrip(" \t")) < 4 and not line.startswith("\t"):
                    break
                last = probe
            probe += 1
        self.add_block(_Block("code", start, self.line_end(last)))
        self.prev_blank = False
        return last + 1

    def fenced(self, index: int, fence: re.Match) -> int:
        marker = fence.group("fence")
        info = fence.group("info")
        char, length = marker[0], len(marker)
        close = None
        if index + 1 < len(self.lines):  # the first line of the same character, at least as long, alone
            closing = _closing_fence(char, length).search(self.text, self.starts[index + 1])
            if closing is not None:
                close = self.source.line_of(closing.start()) - 1
        start = self.starts[index]
        if close is None:
            self.doc.problems.append(Problem(
                "unclosed-fence", f"code fence `{marker}` is never closed (Pandoc shows it as text; a cell runs to the end "
                "of the file)",
                start + fence.start("fence"), start + fence.end("fence")))
            last = len(self.lines) - 1
        else:
            last = close
        end = self.line_end(last)
        body_first = index + 1
        body_last = (close - 1) if close is not None else last
        shortcodes = "shortcodes=false" not in info.replace(" ", "")
        if shortcodes:
            self.code_includes(body_first, body_last)
        info_start = start + fence.start("info")
        cell = cells.classify(info)
        block_kind = "code"
        if cell.kind == "executable":
            block_kind = "cell"
            self.executable_cell(index, body_first, body_last, last, cell.language, info_start, info)
        elif cell.kind == "attributes":
            self.attributed_code(index, info_start, info, last)
        else:
            self.doc.cells.append(Cell(cell.language, start, end, index + 1, last + 1, False))
            if cell.kind == "raw" and cell.language in ("latex", "tex"):
                self.raw_latex_table(body_first, body_last)
        self.add_block(_Block(block_kind, start, end))
        self.prev_blank = False
        return last + 1

    def code_includes(self, first: int, last: int) -> None:
        for probe in range(first, last + 1):
            line = self.lines[probe]
            if "{{<" in line:
                for match in _INCLUDE_ANYWHERE.finditer(line):
                    if match.group(1):
                        continue
                    start = self.starts[probe] + match.start()
                    self.doc.includes.append(Include(_unquote(match.group(2)), start, self.starts[probe] + match.end(),
                                                     self.source, in_code=True, condition=self.condition))

    def attributed_code(self, index: int, info_start: int, info: str, last: int) -> None:
        """A ```` ```{#lst-x .sql lst-cap="…"} ```` block: a listing when it has a caption."""
        brace = info.find("{")
        close = find_attribute_end(self.text, info_start + brace, info_start + len(info))
        if close == -1:
            return
        attrs = parse_attributes(self.text, info_start + brace + 1, close)
        start, end = self.starts[index], self.line_end(last)
        self.doc.cells.append(Cell((attrs.classes or [""])[0], start, end, index + 1, last + 1, False))
        if not attrs.id:
            return
        kind = attrs.id.split("-", 1)[0].lower() if "-" in attrs.id else ""
        if kind != "lst":
            if kind in CROSSREF_TYPES:
                self.doc.add_label(attrs.id, "code", attrs.id_start, attrs.id_end, self.condition,
                                   block=self.block_index + 1)
            return
        listing = Float("lst", "code", attrs.id, start, end, self.source, classes=tuple(attrs.classes),
                        attributes=dict(attrs.values), condition=self.condition, block=self.block_index + 1)
        listing.index = len(self.doc.floats)
        self.doc.floats.append(listing)
        if "lst-cap" in attrs.values:
            vstart, vend = attrs.value_spans["lst-cap"]
            listing.caption = Text(attrs.values["lst-cap"], vstart, vend, self.source)
            self.doc.add_prose(vstart, vend, "caption", self.block_index + 1)
            result = self.scanner.scan(vstart, vend, context="caption", block=self.block_index + 1,
                                       condition=self.condition)
            for ref in self.doc.references[result.references[0] : result.references[1]]:
                ref.in_caption_of = attrs.id
            self.doc.add_label(attrs.id, "code", attrs.id_start, attrs.id_end, self.condition, listing.index,
                               block=self.block_index + 1)

    def executable_cell(self, index: int, body_first: int, body_last: int, last: int, language: str,
                        info_start: int, info: str) -> None:
        start, end = self.starts[index], self.line_end(last)
        parsed = cells.read_options(self, body_first, body_last, language)
        header = None
        if "," in info or " " in info.strip("{} "):
            brace = info.find("{")
            header = parse_chunk_header(self.text, info_start + brace + 1, info_start + len(info.rstrip()) - 1)
        cell = Cell(language, start, end, index + 1, last + 1, True, parsed.options)
        self.doc.cells.append(cell)
        cells.build_cell_floats(self, cell, parsed, header)

    def raw_tex_block(self, index: int, env: str) -> int:
        self.end_paragraph()
        closing = "\\end{" + env + "}"
        last = index
        for probe in range(index, len(self.lines)):
            if closing in self.lines[probe]:
                last = probe
                break
        else:
            last = index
        self.raw_latex_table(index, last)
        self.add_block(_Block("raw", self.starts[index], self.line_end(last)))
        self.prev_blank = False
        return last + 1

    def raw_latex_table(self, first: int, last: int) -> None:
        """Raw LaTeX with a tabular, ``\\caption`` and ``\\label{tbl-x}`` (or ``{#tbl-x}``): a table in LaTeX."""
        if first > last:  # an empty raw block (an unclosed fence on the last line)
            return
        start, end = self.starts[first], self.line_end(last)
        if self.text.find("\\caption", start, end) == -1 or not _RAW_TABULAR.search(self.text, start, end):
            return
        match = next((m for m in _RAW_TABLE_LABEL.finditer(self.text, start, end) if not _in_tex_comment(self.text, m.start())),
                     None)
        if match:
            group = 1 if match.group(1) else 2
            self.doc.add_label(match.group(group), "raw-latex", match.start(group), match.end(group),
                               self.condition.nest(((True, "when-format", ("latex",)),)), block=self.block_index + 1)

    def raw_html_block(self, index: int, tag: str) -> int:
        closing = "</" + tag.lower()
        last = index
        for probe in range(index, len(self.lines)):
            if closing in self.lines[probe].lower():
                last = probe
                break
        self.add_block(_Block("raw", self.starts[index], self.line_end(last)))
        self.prev_blank = False
        return last + 1

    # -- includes -----------------------------------------------------------------

    def include(self, index: int) -> None:
        match = _INCLUDE.match(self.lines[index])
        start = self.starts[index] + self.lines[index].index("{{<")
        self.doc.includes.append(Include(_unquote(match.group(1)), start, self.line_end(index), self.source,
                                         condition=self.condition))
        self.add_block(_Block("include", start, self.line_end(index)))

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
            takes_any = (empty_line and last == index and not _NOTE_START.match(line)
                         and (probe == index + 1 or (probe == index + 2 and blank_seen)))
            if blank_seen and not nested and not takes_any:
                break
            fence = _FENCE.match(line) if line.lstrip()[:1] in ("`", "~") else None
            # (A heading or a div opening right below the note's line is lazy text of it, as in
            # Pandoc; a fence closing an open div ends the note.)
            if not nested and not blank_seen and not takes_any and (
                    _NOTE_START.match(line) or fence or self.frames and _CLOSING_DIV.match(line)):
                break
            if in_list_item and not blank_seen and _LIST_ITEM.match(line):
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
        self.add_block(_Block("footnote", marker_start, self.line_end(last)))
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
            if not following.lstrip().startswith(">") or not content.strip() or _NOTE_START.match(content):
                break
            last += 1
            self.doc.hide(self.starts[last], self.starts[last] + len(following) - len(content))
        marker_start = self.starts[index] + self.lines[index].index("[^")
        self.doc.hide(self.starts[index], marker_start)
        definition = self._footnote(index, marker_start, ident, "blockquote", separated=not glued, last=last)
        self.doc.footnote_defs.append(definition)
        self.add_block(_Block("footnote", marker_start, self.line_end(last)))
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
        if self.para_kind in ("para", "list") and _is_table(lines):
            return False
        return not _COMMENTS_ONLY.fullmatch("\n".join(lines))

    def _list_item_follows(self, last: int) -> bool:
        """Whether the first non-blank line after line `last` starts a list item (indented ≤ 3)."""
        for line in self.lines[last + 1 :]:
            if line.strip():
                item = _LIST_ITEM.match(line)
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
            fence = _FENCE.match(line) if line.strip()[:1] in ("`", "~") else None
            if probe > first and fence:
                self._scan_note(segment_start, self.starts[probe], ident)
                probe = min(self._fence_end(probe, fence.group("fence")), last) + 1
                segment_start = self.starts[probe] if probe < len(self.starts) else len(self.text)
                continue
            if probe > first and _indent(line) >= base + 8 and not self.lines[probe - 1].strip():
                self._scan_note(segment_start, self.starts[probe], ident)
                while probe < last and (not self.lines[probe + 1].strip() or _indent(self.lines[probe + 1]) >= base + 8):
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

    # -- divs ------------------------------------------------------------------

    def div_fence(self, index: int, div: re.Match) -> int:
        rest = div.group("rest")
        start = self.starts[index]
        if not rest or set(rest) == {":"}:
            if not self.frames:  # a closing fence with no div open is text to Pandoc
                self.start_paragraph(index, "para")
                return self.paragraph_line(index, self.lines[index])
            self.close_div(self.line_end(index))
            self.prev_blank = False
            return index + 1
        last = index
        attrs = Attributes()
        if rest.startswith("{"):
            brace = start + div.start("rest")
            close = find_attribute_end(self.text, brace, len(self.text))
            if close != -1:
                attrs = parse_attributes(self.text, brace + 1, close)
                last = self.source.line_of(close) - 1
            if close == -1 or not attrs.valid:  # Pandoc: no div without valid attributes, only text
                self.start_paragraph(index, "para")
                return self.paragraph_line(index, self.lines[index])
        else:
            attrs.classes.append(re.split(r"[ \t]", rest, maxsplit=1)[0])
        frame = _Frame(attrs, start, self.line_end(last), index + 1, self.condition.nest(_condition_clauses(attrs)),
                       refs_first=len(self.doc.references), floats_first=len(self.doc.floats))
        self.add_block(_Block("div", start, self.line_end(last)))
        frame.block = self.block_index  # the div's own block: a float counts from where it opens
        self.frames.append(frame)
        self._div_attribute_text(frame)
        self.prev_blank = True
        return last + 1

    def _div_attribute_text(self, frame: _Frame) -> None:
        attrs = frame.attrs
        if not attrs.id:
            return
        prefix = attrs.id.split("-", 1)[0].lower() if "-" in attrs.id else ""
        if prefix and prefix not in CROSSREF_TYPES - {"fig", "tbl", "lst"}:
            frame.float_type = prefix
        keys = [k for k in attrs.value_spans if k.endswith("-cap") or k.endswith("-alt") or k == "alt"]
        for key in keys:
            vstart, vend = attrs.value_spans[key]
            self.doc.add_prose(vstart, vend, "alt" if key.endswith("alt") else "caption", self.block_index)
            if key == f"{prefix}-cap":  # Quarto reads only the div's own type's caption as Markdown
                result = self.scanner.scan(vstart, vend, context="caption", block=self.block_index,
                                           condition=frame.condition)
                for ref in self.doc.references[result.references[0] : result.references[1]]:
                    ref.in_caption_of = attrs.id

    def close_div(self, end: int) -> None:
        frame = self.frames.pop()
        block_index = self.block_index
        attrs = frame.attrs
        if attrs.id and frame.float_type is None:
            self.doc.add_label(attrs.id, "div", attrs.id_start, attrs.id_end, frame.condition, block=block_index)
        if frame.float_type is not None:
            self.float_div(frame, end)
        if attrs.id:
            for ref in self.doc.references[frame.refs_first :]:
                if ref.inside_float is None:
                    ref.inside_float = attrs.id
        if self.frames:
            self.last_block = self.frames[-1].children[-1] if self.frames[-1].children else None
        else:
            self.last_block = _Block("div", frame.start, end)

    def float_div(self, frame: _Frame, end: int) -> None:
        attrs = frame.attrs
        kind = frame.float_type
        children = [c for c in frame.children if c.kind not in ("caption",)]
        float_ = Float(kind, "div", attrs.id, frame.start, end, self.source, classes=tuple(attrs.classes),
                       attributes=dict(attrs.values), condition=frame.condition, block=frame.block)
        cap_key = f"{kind}-cap"
        if cap_key in attrs.values:
            vstart, vend = attrs.value_spans[cap_key]
            attribute_caption = Text(attrs.values[cap_key], vstart, vend, self.source)
        else:
            attribute_caption = None
        last = children[-1] if children else None
        if last is not None and len(children) > 1 and last.kind == "para":
            float_.caption = Text(self.text[last.start : last.end].strip(), last.start, last.end, self.source)
            float_.caption_attribute = attribute_caption
            for ref in self.doc.references[last.references[0] : last.references[1]]:
                ref.in_caption_of = attrs.id
                if ref.context == "prose":
                    ref.context = "caption"
            for prose in reversed(self.doc.prose):  # the paragraph was read as prose before the div closed
                if prose.start == last.start and prose.kind == "paragraph":
                    prose.kind = "caption"
                    break
        elif attribute_caption is not None:
            float_.caption = attribute_caption
        else:  # Quarto's last resort: the caption of a table inside the div
            float_.caption = next((f.caption for f in self.doc.floats[frame.floats_first :]
                                   if f.type == "tbl" and f.form in ("table", "cell") and f.caption is not None
                                   and f.caption.value), None)
        for key in (f"{kind}-alt", "alt"):
            if key in attrs.values:
                vstart, vend = attrs.value_spans[key]
                float_.alt = Text(attrs.values[key], vstart, vend, self.source)
                break
        float_.index = len(self.doc.floats)
        self.doc.floats.append(float_)
        for child in self.doc.floats[frame.floats_first : float_.index]:
            if child.parent is None:
                child.parent = float_.index
                float_.subfloats.append(child.index)
        caption_paragraph = last is not None and len(children) > 1 and last.kind == "para"
        content = children[:-1] if caption_paragraph else children
        images = [c for c in content if c.kind == "figure"]
        if len(content) == 1 and images and float_.alt is None:
            image_float = self._float_at(images[0].start)
            if image_float is not None and image_float.label is None and image_float.alt is not None:
                float_.alt = image_float.alt
            elif image_float is not None and image_float.label is None and image_float.caption and image_float.caption.value:
                float_.alt = image_float.caption  # inside a div the image's bracket text is its alt, not a caption
        if float_.alt is None:
            for child in float_.subfloats:
                if self.doc.floats[child].label is None and self.doc.floats[child].alt is not None and len(content) == 1:
                    float_.alt = self.doc.floats[child].alt
        float_.images = [f.alt or f.caption for f in (self._float_at(i.start) for i in images) if f is not None
                         and (f.alt or f.caption) is not None]
        self.doc.add_label(attrs.id, "div", attrs.id_start, attrs.id_end, frame.condition, float_.index,
                           block=self.block_index)

    def _float_at(self, start: int) -> Float | None:
        for candidate in reversed(self.doc.floats):
            if candidate.start == start:
                return candidate
        return None

    # -- image figures --------------------------------------------------------------

    def image_figure(self, image, block: _Block) -> None:
        attrs = image.attrs or Attributes()
        label = attrs.id if attrs.id and "-" in attrs.id else None
        kind = label.split("-", 1)[0].lower() if label else "fig"
        if kind in CROSSREF_TYPES - {"fig", "tbl", "lst"}:
            kind = "fig"
        caption_text = self.text[image.alt_start : image.alt_end]
        figure = Float(kind, "image", label, image.start, image.end, self.source,
                       caption=Text(caption_text.strip(), image.alt_start, image.alt_end, self.source),
                       classes=tuple(attrs.classes), attributes=dict(attrs.values), condition=self.condition,
                       block=self.block_index)
        for key in ("fig-alt", "alt"):
            if key in attrs.values:
                vstart, vend = attrs.value_spans[key]
                figure.alt = Text(attrs.values[key], vstart, vend, self.source)
                break
        figure.index = len(self.doc.floats)
        self.doc.floats.append(figure)
        for ref in self.doc.references[image.references[0] : image.references[1]]:
            ref.in_caption_of = label
        if label:
            self.doc.add_label(label, "image", attrs.id_start, attrs.id_end, self.condition, figure.index,
                               block=self.block_index)
        elif attrs.id:
            self.doc.add_label(attrs.id, "image", attrs.id_start, attrs.id_end, self.condition, figure.index)


_CLOSING_FENCES: dict[tuple[str, int], re.Pattern] = {}


def _closing_fence(char: str, length: int) -> re.Pattern:
    """A line holding only `char` repeated `length` times or more (and spaces)."""
    pattern = _CLOSING_FENCES.get((char, length))
    if pattern is None:
        pattern = re.compile(r"^[^\S\n]*" + re.escape(char * length) + re.escape(char) + r"*[^\S\n]*$", re.M)
        _CLOSING_FENCES[(char, length)] = pattern
    return pattern


def _open_comment(line: str) -> int | None:
    """Column of a ``<!--`` on `line` that is not closed on it (code spans skipped)."""
    at = line.find("<!--")
    if at == -1:
        return None
    while at != -1:
        if line.count("`", 0, at) % 2 == 0:
            close = line.find("-->", at + 4)
            if close == -1:
                return at
            at = line.find("<!--", close + 3)
        else:
            at = line.find("<!--", at + 4)
    return None


def _is_table(lines: list[str]) -> bool:
    if len(lines) < 2:
        return False
    first = lines[0].lstrip()
    if first.startswith("+") and _GRID_BORDER.match(lines[0]):
        return True
    if "|" in lines[0] and _TABLE_SEPARATOR.match(lines[1]) and "|" in lines[1] + lines[0]:
        return "-" in lines[1]
    if _SIMPLE_TABLE_RULE.match(lines[1]) or (_SIMPLE_TABLE_RULE.match(lines[0]) and len(lines) > 2):
        return True
    return False


_CONTAINER_MARKS = re.compile(r"(?m)^[ \t]*(?:>[ \t]?)*[ \t]*(?:(?:[-*+]|\d+[.)]|#\.|[a-zA-Z][.)]|\(@[\w\-]*\))(?=[ \t]|$))?")


def _lone_image(text: str, start: int, end: int, result: ScanResult, in_container: bool = False):
    """The image that is the only content of its paragraph (possibly inside a link).

    `in_container`: the paragraph is a list item or block quote, whose markers do not count.
    """
    if len(result.images) != 1:
        return None
    image = result.images[0]
    before = text[start : image.start]
    before = (_CONTAINER_MARKS.sub("", before) if in_container else before).strip()
    after = text[image.end : end].strip()
    if not before and not after:
        return image
    if before == "[" and after.startswith("](") and after.endswith(")"):
        return image
    return None


def _in_tex_comment(text: str, offset: int) -> bool:
    """Whether `offset` stands after an unescaped ``%`` on its line (a LaTeX comment)."""
    line = text[text.rfind("\n", 0, offset) + 1 : offset]
    return re.search(r"(?<!\\)%", line) is not None


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _indent(line: str) -> int:
    """Columns of leading spaces (a tab counts as four)."""
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))
