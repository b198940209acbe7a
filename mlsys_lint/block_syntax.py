"""What the block scanner recognises line by line: patterns, open blocks and divs, helpers.

The lowest layer of the block scanner (blocks.py and its parts blocks_tables.py,
blocks_notes.py, blocks_divs.py): no state, no recording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mlsys_lint.attributes import Attributes
from mlsys_lint.elements import Callout, Condition, Text
from mlsys_lint.inline import ScanResult
from mlsys_lint.model import Source

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
DIV_FENCE_NESTED = re.compile(r"^[ \t]*(?P<colons>:{3,})[ \t]*(?P<rest>.*?)[ \t]*$")
ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
FOOTNOTE_DEF = re.compile(r"^(?P<indent> {0,3})\[\^(?P<id>[^\]\[\s^]+)\]:")
NOTE_START = re.compile(r"^ {0,3}\[\^[^\]\[\s^]+\]")
COMMENTS_ONLY = re.compile(r"\s*(?:<!--.*?-->\s*)+", re.S)
LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d+[.)]|#\.|[a-zA-Z][.)]|\(@[\w\-]*\))(?:[ \t]+|$)")
HRULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
INCLUDE = re.compile(r"^[ \t]*\{\{<\s*include\s+(\S+?|\"[^\"]*\"|'[^']*')\s*>\}\}[ \t]*$")
INCLUDE_ANYWHERE = re.compile(r"(\{?)\{\{<\s*include\s+(\S+?|\"[^\"]*\"|'[^']*')\s*>\}\}")
TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-{1,}:?[ \t]*(\|[ \t]*:?-{1,}:?[ \t]*)*\|?[ \t]*$")
GRID_BORDER = re.compile(r"^[ \t]*\+[-=:+]+\+[ \t]*$")
_SIMPLE_TABLE_RULE = re.compile(r"^[ \t]*-{2,}(?:[ \t]+-{2,})+[ \t]*$")
TABLE_CAPTION = re.compile(r"^[ \t]{0,3}(?:Table)?:[ \t]", re.I)
CAPTION_ATTRS = re.compile(r"\{(#[^{}]*|[^{}]*#[^{}]*)\}[ \t]*$")
RAW_TEX_BEGIN = re.compile(r"^[ \t]*\\begin\{([A-Za-z*]+)\}")
RAW_TABULAR = re.compile(r"\\begin\{(?:tabular|longtable)")
RAW_TABLE_LABEL = re.compile(r"\\label\{(tbl-[^{}\s]+)\}|\{#(tbl-[^{}\s]+)\}")
RAW_TEX_LAYOUT_LINE = re.compile(  # a line of page-layout commands alone is a raw TeX block (a heading may follow)
    r"^[ \t]*(?:\\(?:needspace|vspace\*?|addvspace|medskip|bigskip|smallskip|clearpage|cleardoublepage|newpage"
    r"|pagebreak|nopagebreak|FloatBarrier|enlargethispage\*?)(?:\{[^{}\n]*\})?[ \t]*)+$")
RAW_HTML_BLOCK = re.compile(r"^[ \t]*<(script|style|pre|textarea)\b", re.I)
DEFINITION = re.compile(r"^[ \t]{0,2}[:~][ \t]+\S")
BACKTICK_RUNS = re.compile(r"`+")
CLOSING_DIV = re.compile(r"^[ \t]*:{3,}[ \t]*$")
OPEN_BRACKET = re.compile(r"\[")
_COND_CLASSES = ("content-visible", "content-hidden")
_COND_KEYS = ("when-format", "unless-format", "when-profile", "unless-profile")


@dataclass
class Block:
    kind: str
    start: int
    end: int
    references: tuple[int, int] = (0, 0)
    scan: ScanResult | None = None


@dataclass
class Frame:
    """An open fenced div."""

    attrs: Attributes
    start: int
    fence_end: int
    line: int
    condition: Condition
    children: list[Block] = field(default_factory=list)
    refs_first: int = 0
    floats_first: int = 0
    float_type: str | None = None
    block: int = 0
    callout: Callout | None = None


def attribute_text(attrs: Attributes, keys: tuple[str, ...], source: Source) -> Text | None:
    """The value of the first of `keys` in `attrs`, with where it stands (None if none is given)."""
    for key in keys:
        if key in attrs.values:
            start, end = attrs.value_spans[key]
            return Text(attrs.values[key], start, end, source)
    return None


def condition_clauses(attrs: Attributes) -> tuple[tuple[bool, str, tuple[str, ...]], ...]:
    clauses = []
    for cls in attrs.classes:
        if cls in _COND_CLASSES:
            for key in _COND_KEYS:
                if key in attrs.values:
                    values = tuple(v.strip() for v in re.split(r"[\s,]+", attrs.values[key]) if v.strip())
                    clauses.append((cls == "content-visible", key, values))
    return tuple(clauses)


_CLOSING_FENCES: dict[tuple[str, int], re.Pattern] = {}


def closing_fence(char: str, length: int) -> re.Pattern:
    """A line holding only `char` repeated `length` times or more (and spaces)."""
    pattern = _CLOSING_FENCES.get((char, length))
    if pattern is None:
        pattern = re.compile(r"^[^\S\n]*" + re.escape(char * length) + re.escape(char) + r"*[^\S\n]*$", re.M)
        _CLOSING_FENCES[(char, length)] = pattern
    return pattern


def open_comment_at(line: str) -> int | None:
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


def is_table(lines: list[str]) -> bool:
    if len(lines) < 2:
        return False
    first = lines[0].lstrip()
    if first.startswith("+") and GRID_BORDER.match(lines[0]):
        return True
    if "|" in lines[0] and TABLE_SEPARATOR.match(lines[1]) and "|" in lines[1] + lines[0]:
        return "-" in lines[1]
    if _SIMPLE_TABLE_RULE.match(lines[1]) or (_SIMPLE_TABLE_RULE.match(lines[0]) and len(lines) > 2):
        return True
    return False


_CONTAINER_MARKS = re.compile(r"(?m)^[ \t]*(?:>[ \t]?)*[ \t]*(?:(?:[-*+]|\d+[.)]|#\.|[a-zA-Z][.)]|\(@[\w\-]*\))(?=[ \t]|$))?")


def lone_image(text: str, start: int, end: int, result: ScanResult, in_container: bool = False):
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


def in_tex_comment(text: str, offset: int) -> bool:
    """Whether `offset` stands after an unescaped ``%`` on its line (a LaTeX comment)."""
    line = text[text.rfind("\n", 0, offset) + 1 : offset]
    return re.search(r"(?<!\\)%", line) is not None


def unquote_value(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def indent_width(line: str) -> int:
    """Columns of leading spaces (a tab counts as four)."""
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))
