"""The parsed model of one file: `Document` with its element lists, and the records only it holds.

The block scanner (blocks.py) and the inline scanner (inline.py) fill a `Document` in; rules
read it. Hidden ranges are kept so that `Document.masked` can blank everything that is not
visible prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlsys_lint.elements import (
    Callout,
    Condition,
    Float,
    FootnoteDef,
    FootnoteRef,
    Heading,
    Include,
    InlineNote,
    Label,
    Picture,
    Problem,
    Prose,
    RawTex,
    Reference,
    Shortcode,
    Suppression,
    Text,
)
from mlsys_lint.model import Source

_SUPPRESSION = re.compile(r"^\s*mlsys-lint:\s*(disable-next-line|disable-line|disable-file|disable|enable)\b\s*(.*?)\s*$", re.S)


def suppression_from_comment(body: str) -> tuple[str, tuple[str, ...]] | None:
    """Parse ``mlsys-lint: disable-next-line FIG001`` from a comment body."""
    match = _SUPPRESSION.match(body)
    if not match:
        return None
    codes = tuple(c for c in re.split(r"[\s,]+", match.group(2)) if c)
    return match.group(1), codes


def comment_suppression(doc: Document, start: int, end: int) -> Suppression | None:
    """The suppression a comment ``<!-- … -->`` spanning ``start:end`` declares, if any."""
    body = doc.source.text[start + 4 : end - 3]
    parsed = suppression_from_comment(body)
    if parsed is None:
        return None
    action, codes = parsed
    first = doc.source.line_of(start)
    last = doc.source.line_of(end - 1)
    return Suppression(action, codes, first, last, start, end, doc.source)


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


class Document:
    """The parsed model of one file.  Element lists are in source order."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.front_matter: dict[str, Any] = {}
        self.engine = "markdown"
        """How Quarto executes the file: ``knitr``, ``jupyter`` or ``markdown`` (cells.detect_engine)."""
        self.labels: list[Label] = []
        self.references: list[Reference] = []
        self.floats: list[Float] = []
        self.footnote_refs: list[FootnoteRef] = []
        self.footnote_defs: list[FootnoteDef] = []
        self.inline_notes: list[InlineNote] = []
        self.shortcodes: list[Shortcode] = []
        self.pictures: list[Picture] = []
        self.includes: list[Include] = []
        self.raw_tex: list[RawTex] = []
        self.headings: list[Heading] = []
        self.callouts: list[Callout] = []
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
