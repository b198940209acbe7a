"""Pandoc attribute blocks (``{#id .class key="value"}``) and knitr chunk headers.

Values keep their offsets so that captions and alt text given as attributes can be
pointed at and scanned for references like any other Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_IDENTIFIER = re.compile(r"[A-Za-z][\w\-:.]*")
_KEY = re.compile(r"[A-Za-z_][\w\-.:]*")
_WS = re.compile(r"\s*")


@dataclass
class Attributes:
    """A parsed attribute block; offsets are absolute, into the document text."""

    id: str | None = None
    id_start: int = -1
    id_end: int = -1
    classes: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    value_spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    valid: bool = True

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)


def _unescape(value: str, quote: str) -> str:
    return value.replace("\\" + quote, quote).replace("\\\\", "\\")


def parse_attributes(text: str, start: int, end: int) -> Attributes:
    """Parse the inside of ``{…}`` found at ``text[start:end]`` (braces excluded)."""
    attrs = Attributes()
    pos = start
    while pos < end:
        pos = _WS.match(text, pos, end).end()
        if pos >= end:
            break
        char = text[pos]
        if char == "#":
            match = _IDENTIFIER.match(text, pos + 1, end)
            if match:
                attrs.id, attrs.id_start, attrs.id_end = match.group(), match.start(), match.end()
                pos = match.end()
                if pos < end and not text[pos].isspace():
                    attrs.valid = False
                    pos = _skip_word(text, pos, end)
                continue
            attrs.valid = False
            pos = _skip_word(text, pos + 1, end)
            continue
        if char == ".":
            match = _KEY.match(text, pos + 1, end)
            if match:
                attrs.classes.append(match.group())
                pos = match.end()
                continue
            pos = _skip_word(text, pos + 1, end)
            continue
        if char == "-" and (pos + 1 >= end or text[pos + 1].isspace()):
            attrs.classes.append("unnumbered")
            pos += 1
            continue
        match = _KEY.match(text, pos, end)
        if match and match.end() < end and text[match.end()] == "=":
            key = match.group()
            vpos = match.end() + 1
            if vpos < end and text[vpos] in "\"'":
                quote = text[vpos]
                close = _closing_quote(text, vpos + 1, end, quote)
                raw = text[vpos + 1 : close]
                attrs.values[key] = _unescape(raw, quote)
                attrs.value_spans[key] = (vpos + 1, close)
                pos = close + 1
            else:
                vend = _skip_word(text, vpos, end)
                attrs.values[key] = text[vpos:vend]
                attrs.value_spans[key] = (vpos, vend)
                pos = vend
            if key == "id" and attrs.id is None:
                attrs.id = attrs.values[key]
                attrs.id_start, attrs.id_end = attrs.value_spans[key]
            continue
        if match:
            attrs.classes.append(match.group())
            pos = match.end()
            continue
        attrs.valid = False
        pos = _skip_word(text, pos + 1, end)
    return attrs


def _skip_word(text: str, pos: int, end: int) -> int:
    while pos < end and not text[pos].isspace():
        pos += 1
    return pos


def _closing_quote(text: str, pos: int, end: int, quote: str) -> int:
    while pos < end:
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char == quote:
            return pos
        pos += 1
    return end


def find_attribute_end(text: str, start: int, limit: int) -> int:
    """Index of the ``}`` closing the block opened at ``text[start] == "{"``, or -1.

    Quotes are honoured, so a ``}`` inside a quoted value does not close the block.
    """
    pos = start + 1
    search = _ATTRIBUTE_STOP.search
    while True:
        stop = search(text, pos, limit)  # jump to the next brace or quote
        if stop is None:
            return -1
        pos = stop.start()
        char = text[pos]
        if char == "}":
            return pos
        if char == "{":
            return -1
        if text[pos - 1] == "=":  # a quoted value: skip to its closing quote (backslash escapes)
            rest = _QUOTED_REST[char].match(text, pos + 1, limit)
            if rest is None:
                return -1
            pos = rest.end()
        else:
            pos += 1


_ATTRIBUTE_STOP = re.compile(r"[{}\"']")
_QUOTED_REST = {quote: re.compile(r"[^%s\\]*(?:\\.[^%s\\]*)*%s" % (quote, quote, quote), re.S) for quote in "\"'"}


_KNITR_ARG = re.compile(
    r"""\s*(?:(?P<key>[A-Za-z_][\w.\-]*)\s*=\s*)?(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^,]*?)\s*(?:,|$)"""
)


@dataclass
class ChunkHeader:
    """The ``{r label, fig.cap="…"}`` part of a knitr-style code chunk opening."""

    language: str
    label: str | None = None
    label_span: tuple[int, int] = (-1, -1)
    options: dict[str, str] = field(default_factory=dict)
    option_spans: dict[str, tuple[int, int]] = field(default_factory=dict)


def parse_chunk_header(text: str, start: int, end: int) -> ChunkHeader:
    """Parse a chunk header body such as ``r fig-x, fig.cap="A caption"``."""
    lang = re.match(r"\s*([A-Za-z][\w.+\-]*)", text[start:end])
    header = ChunkHeader(language=lang.group(1).lower() if lang else "")
    pos = start + (lang.end() if lang else 0)
    if pos < end and text[pos] == ",":
        pos += 1
    first = True
    while pos < end:
        match = _KNITR_ARG.match(text, pos, end)
        if not match or match.end() == pos:
            break
        value = match.group("value")
        vstart, vend = match.span("value")
        if value[:1] in "\"'" and len(value) >= 2:
            vstart, vend = vstart + 1, vend - 1
            value = _unescape(value[1:-1], value[0])
        key = match.group("key")
        if key is None and first and value:
            header.label, header.label_span = value, (vstart, vend)
        elif key:
            key = key.replace(".", "-")
            if key == "label":
                header.label, header.label_span = value, (vstart, vend)
            else:
                header.options[key] = value
                header.option_spans[key] = (vstart, vend)
        first = False
        pos = match.end()
    return header
