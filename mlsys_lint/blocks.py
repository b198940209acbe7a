"""The block scanner: one pass over a file's lines, recognising the blocks Pandoc and Quarto see.

It knows what hides text (front matter, fenced and indented code, raw blocks, HTML
comments, math) and what does not (executable-cell options, captions given as
attributes), and hands every visible inline range to the `InlineScanner`. Tables,
footnote definitions and divs are handled by the parts it mixes in (blocks_tables.py,
blocks_notes.py, blocks_divs.py); executable cells by cells.py.
"""

from __future__ import annotations

import re

from mlsys_lint import cells
from mlsys_lint.attributes import Attributes, find_attribute_end, parse_attributes, parse_chunk_header
from mlsys_lint.block_syntax import (
    ATX,
    BACKTICK_RUNS,
    Block,
    DEFINITION,
    DIV_FENCE_NESTED,
    FENCE,
    FOOTNOTE_DEF,
    Frame,
    HRULE,
    INCLUDE,
    INCLUDE_ANYWHERE,
    LIST_ITEM,
    OPEN_BRACKET,
    RAW_HTML_BLOCK,
    RAW_TABLE_LABEL,
    RAW_TABULAR,
    RAW_TEX_BEGIN,
    RAW_TEX_LAYOUT_LINE,
    SETEXT,
    TABLE_CAPTION,
    closing_fence,
    in_tex_comment,
    is_table,
    lone_image,
    open_comment_at,
    unquote_value,
)
from mlsys_lint.blocks_divs import DivBlocks
from mlsys_lint.blocks_notes import NoteBlocks
from mlsys_lint.blocks_tables import TableBlocks
from mlsys_lint.document_model import Cell, Document
from mlsys_lint.elements import CROSSREF_TYPES, Condition, Float, Heading, Include, Problem, Text
from mlsys_lint.inline import InlineScanner
from mlsys_lint.model import Source


class BlockScanner(TableBlocks, NoteBlocks, DivBlocks):
    """The single pass over a file's lines (tables, notes and divs are in the mixed-in parts)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.doc = Document(source)
        self.lines = self.text.split("\n")
        self.starts = source.line_starts
        self.scanner = InlineScanner(self.doc)
        self.frames: list[Frame] = []
        self.para_first: int | None = None
        self.para_kind = "para"
        self.para_last = -1
        self.prev_blank = True
        self.last_block: Block | None = None
        self.block_index = 0
        self.list_indent: int | None = None
        self.pending_table_caption: Block | None = None

    # -- helpers ----------------------------------------------------------------

    def line_end(self, index: int) -> int:
        return self.starts[index] + len(self.lines[index])

    @property
    def condition(self) -> Condition:
        return self.frames[-1].condition if self.frames else self.doc.default_condition

    def add_block(self, block: Block) -> None:
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
        self.doc.engine = cells.detect_engine(self.doc.front_matter, self.text)
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
        if self.list_indent is not None and self.prev_blank and indent < self.list_indent and not LIST_ITEM.match(line):
            self.list_indent = None
            in_list = False

        if indent >= 4 and self.prev_blank and not in_list and self.para_first is None:
            return self.indented_code(index)

        fence = FENCE.match(line) if stripped[0] in "`~" else None
        if fence and indent and self.para_first is not None and not in_list \
                and cells.classify(fence.group("info")).kind != "executable":
            fence = None  # Pandoc: only a fence at the margin interrupts a paragraph
        if fence and (indent <= 3 or in_list) and not (fence.group("fence")[0] == "`" and "`" in fence.group("info")):
            self.end_paragraph()
            return self.fenced(index, fence)

        if stripped.startswith(":::") and (indent <= 3 or in_list):
            div = DIV_FENCE_NESTED.match(line)
            closing = div is not None and (not div.group("rest") or set(div.group("rest")) == {":"})
            # Pandoc: a fence opening a div right below a paragraph line (not a table) is more of its
            # text; a closing fence closes the open div even there; one with none open is text.
            if div and (closing and self.frames or not closing and (
                    self.para_first is None or is_table(self.lines[self.para_first:index]))):
                self.end_paragraph()
                return self.div_fence(index, div)
            if div:
                if self.para_first is None:
                    self.start_paragraph(index, "list" if in_list else "para")
                return self.paragraph_line(index, line)

        if stripped.startswith("{{<") and INCLUDE.match(line):
            self.end_paragraph()
            self.include(index)
            self.prev_blank = False
            return index + 1

        if stripped[0] == "#" and self.para_first is None:
            atx = ATX.match(line)
            if atx:
                self.heading(index, atx)
                self.prev_blank = False
                return index + 1

        if stripped.startswith("[^"):
            note = FOOTNOTE_DEF.match(line)
            if note is None and in_list:
                note = FOOTNOTE_DEF.match(line[self.list_indent:])
            if note:
                container = "list" if in_list and self.list_indent else None
                return self.footnote_definition(index, note, container)

        if stripped[0] == ">":
            note = FOOTNOTE_DEF.match(line.lstrip(" >"))
            if note:
                return self.quoted_footnote_definition(index, note.group("id"))

        if stripped[0] == "\\" and self.para_first is None:
            raw = RAW_TEX_BEGIN.match(line)
            if raw:
                return self.raw_tex_block(index, raw.group(1))
            if RAW_TEX_LAYOUT_LINE.match(line):
                self.add_block(Block("raw", self.starts[index], self.line_end(index)))
                self.prev_blank = False
                return index + 1

        if stripped[0] == "<" and self.para_first is None:
            raw_html = RAW_HTML_BLOCK.match(line)
            if raw_html:
                return self.raw_html_block(index, raw_html.group(1))

        if self.para_first is not None and self.para_last == index - 1:
            setext = SETEXT.match(line)
            if setext and self.para_first == index - 1 and self.para_kind == "para":
                self.setext_heading(index, setext.group(1)[0])
                return index + 1
        if HRULE.match(line) and self.para_first is None:
            self.add_block(Block("hr", self.starts[index], self.line_end(index)))
            self.prev_blank = False
            return index + 1

        item = LIST_ITEM.match(line)
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
                nested = LIST_ITEM.match(" " * content_at + line[content_at:])
                if not nested or nested.end() <= content_at:
                    break
                content_at = nested.end()
            padded = " " * content_at + line[content_at:]
            if line[content_at:].startswith(("```", "~~~")):
                fence = FENCE.match(padded)
                if fence and not (fence.group("fence")[0] == "`" and "`" in fence.group("info")):
                    return self.fenced(index, fence)
            if line[content_at:].startswith(":::"):
                div = DIV_FENCE_NESTED.match(padded)
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
        comment_at = open_comment_at(line)
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
        if kind in ("para", "list") and is_table(lines):
            self.table(first, last)
            return
        if kind == "para" and TABLE_CAPTION.match(lines[0]) and self.pending_caption_target(first):
            self.table_caption(first, last, self.last_block)
            return
        if kind == "para" and TABLE_CAPTION.match(lines[0]):
            self.detached_table_caption(first, last)
        if kind == "para" and len(lines) > 1 and DEFINITION.match(lines[1]) and not DEFINITION.match(lines[0]):
            self.definition_list(first, last)
            return
        if kind == "para" and DEFINITION.match(lines[0]) and self.last_block is not None and self.last_block.kind == "para":
            self.definition_after_term(first, last)
            return
        if kind == "blockquote":
            for offset, text_line in enumerate(lines):
                marks = len(text_line) - len(text_line.lstrip(" >"))
                self.doc.hide(self.starts[first + offset], self.starts[first + offset] + marks)
        self.doc.add_prose(start, end, "list" if kind == "list" else "paragraph", self.block_index + 1)
        result = self.scanner.scan(start, end, block=self.block_index + 1, condition=self.condition)
        block = Block(kind, start, end, result.references, result)
        lone = lone_image(self.text, start, end, result, in_container=kind in ("list", "blockquote"))
        if lone is not None and kind in ("para", "list", "blockquote"):  # Pandoc: a figure in a list item too
            block.kind = "figure"
            self.add_block(block)
            self.image_figure(lone, block)
        else:
            self.add_block(block)
            self.scanner.not_figures(result.images, "shares its paragraph with other text")

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
            runs = [(m.start(), m.end()) for m in BACKTICK_RUNS.finditer(text, start, brace)]
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
        for bracket in OPEN_BRACKET.finditer(text, start, brace):
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
        self.scanner.not_figures(result.images, "sits in a heading")
        block = Block("heading", start, end, result.references, result)
        callout = self.frames[-1].callout if self.frames and not self.frames[-1].children else None
        self.add_block(block)
        heading_text = Text(text[cstart:text_end].strip(), cstart, text_end, self.source)
        if callout is not None and callout.title is None:  # resolveHeadingCaption: the first block's heading
            callout.title, callout.title_from = heading_text, "heading"
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
        self.add_block(Block("code", start, self.line_end(last)))
        self.prev_blank = False
        return last + 1

    def fenced(self, index: int, fence: re.Match) -> int:
        marker = fence.group("fence")
        info = fence.group("info")
        char, length = marker[0], len(marker)
        close = None
        if index + 1 < len(self.lines):  # the first line of the same character, at least as long, alone
            closing = closing_fence(char, length).search(self.text, self.starts[index + 1])
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
        self.add_block(Block(block_kind, start, end))
        self.prev_blank = False
        return last + 1

    def code_includes(self, first: int, last: int) -> None:
        for probe in range(first, last + 1):
            line = self.lines[probe]
            if "{{<" in line:
                for match in INCLUDE_ANYWHERE.finditer(line):
                    if match.group(1):
                        continue
                    start = self.starts[probe] + match.start()
                    self.doc.includes.append(Include(unquote_value(match.group(2)), start, self.starts[probe] + match.end(),
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
        self.add_block(Block("raw", self.starts[index], self.line_end(last)))
        self.prev_blank = False
        return last + 1

    def raw_latex_table(self, first: int, last: int) -> None:
        """Raw LaTeX with a tabular, ``\\caption`` and ``\\label{tbl-x}`` (or ``{#tbl-x}``): a table in LaTeX."""
        if first > last:  # an empty raw block (an unclosed fence on the last line)
            return
        start, end = self.starts[first], self.line_end(last)
        if self.text.find("\\caption", start, end) == -1 or not RAW_TABULAR.search(self.text, start, end):
            return
        match = next((m for m in RAW_TABLE_LABEL.finditer(self.text, start, end) if not in_tex_comment(self.text, m.start())),
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
        self.add_block(Block("raw", self.starts[index], self.line_end(last)))
        self.prev_blank = False
        return last + 1

    # -- includes -----------------------------------------------------------------

    def include(self, index: int) -> None:
        match = INCLUDE.match(self.lines[index])
        start = self.starts[index] + self.lines[index].index("{{<")
        self.doc.includes.append(Include(unquote_value(match.group(1)), start, self.line_end(index), self.source,
                                         condition=self.condition))
        self.add_block(Block("include", start, self.line_end(index)))
