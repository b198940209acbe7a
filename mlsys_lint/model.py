"""The model of a run: files' texts and positions in them, and what rules report.

Positions inside a file are character offsets into `Source.text` (the file's text
with a BOM removed and line endings normalised to ``\\n``).  `Source.span` turns
offsets into 1-based line/column `Span`s; columns count characters, not bytes.  The
elements of a parsed manuscript (labels, floats, footnotes, prose runs, …) are in
`mlsys_lint.elements`, imported when first needed: a run answered from the run cache,
``--version`` and ``--help`` never need them.  Their names are still found here.
"""

from __future__ import annotations

import bisect
import enum
from array import array
from itertools import accumulate
from dataclasses import dataclass
from typing import Any, Sequence


class Severity(enum.IntEnum):
    """How serious a finding is; ordered so that `>=` compares levels."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, name: str) -> "Severity":
        return cls[name.upper()]

    def __str__(self) -> str:
        return self.name.lower()


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 file``, ``2 files``, ``0 fixes``: a count with its noun in the right number."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"


@dataclass(frozen=True, order=True)
class Span:
    """A range in one file: 1-based lines and columns, end column exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


class Source:
    """The text of one file, with the index needed to turn offsets into positions."""

    __slots__ = ("path", "text", "has_bom", "newline", "_line_starts")

    def __init__(self, path: str, text: str, has_bom: bool = False, newline: str = "\n") -> None:
        self.path = path
        self.text = text
        self.has_bom = has_bom
        self.newline = newline

    def __getattr__(self, name: str) -> Any:
        """The line starts, counted when a position is first asked for: a pre-commit run reads
        the chapters it did not change from the cache without asking for any."""
        if name != "_line_starts":
            raise AttributeError(name)
        # Each line starts one past the end of the previous one (summed at C speed), kept as
        # machine integers: 8 bytes a line instead of a list slot and an int object (36).
        starts = array("q", accumulate(map((1).__add__, map(len, self.text.split("\n"))), initial=0))
        starts.pop()
        self._line_starts = starts
        return starts

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    @property
    def line_starts(self) -> Sequence[int]:
        """The offset of each line's first character (not to be changed)."""
        return self._line_starts

    def line_start(self, line: int) -> int:
        """Offset of the first character of 1-based `line`."""
        return self._line_starts[line - 1]

    def line_of(self, offset: int) -> int:
        """1-based line holding `offset`."""
        return bisect.bisect_right(self._line_starts, offset)

    def line_text(self, line: int) -> str:
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end == -1 else self.text[start:end]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of `offset`."""
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def span(self, start: int, end: int | None = None) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(start if end is None else max(end, start))
        return Span(self.path, line, column, end_line, end_column)


@dataclass
class Fix:
    """A replacement of one range of one file; `title` says what it does.

    `safe` is False for a fix that may change meaning and needs review (a glossary term
    replacement): `--fix` applies safe fixes only, `--unsafe-fixes` the others too.
    """

    title: str
    path: str
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    replacement: str
    safe: bool = True

    @property
    def applicability(self) -> str:
        """``safe`` or ``unsafe``, as the JSON output says."""
        return "safe" if self.safe else "unsafe"

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "applicability": self.applicability,
            "edits": [
                {
                    "line": self.start_line,
                    "column": self.start_column,
                    "end_line": self.end_line,
                    "end_column": self.end_column,
                    "content": self.replacement,
                }
            ],
        }


@dataclass(frozen=True)
class Related:
    """Another place a finding concerns, with a note on why (the reference a figure waits for)."""

    span: Span
    message: str


@dataclass(frozen=True)
class Violation:
    """What a rule yields: where, what, about which subject, and an optional fix.

    `severity`, when set, replaces the rule's default for this finding (an error for one
    case, info for a milder one); a severity set in the configuration still wins.
    `related` lists other places the finding concerns.
    """

    span: Span
    message: str
    subject: str = ""
    fix: Fix | None = None
    severity: Severity | None = None
    related: tuple[Related, ...] = ()


@dataclass
class Diagnostic:
    """A finding after the engine has stamped the rule's code, name and severity.

    What `mlsys_lint.lint` returns and every output format prints: `as_dict` is one entry
    of the JSON output's ``diagnostics``.
    """

    code: str
    name: str
    severity: Severity
    span: Span
    message: str
    subject: str = ""
    fix: Fix | None = None
    fingerprint: str = ""
    source_line: str = ""
    related: tuple[Related, ...] = ()

    @property
    def path(self) -> str:
        return self.span.path

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def end_line(self) -> int:
        return self.span.end_line

    @property
    def end_column(self) -> int:
        return self.span.end_column

    def as_dict(self) -> dict[str, Any]:
        """The finding as the JSON output writes it."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "subject": self.subject,
            "fix": self.fix.as_dict() if self.fix is not None else None,
            "fingerprint": self.fingerprint,
        }

    def sort_key(self, order: dict[str, int]) -> tuple:
        return (order.get(self.span.path, len(order)), self.span.path, self.span.line, self.span.column, self.code, self.message)


_ELEMENTS = frozenset({
    "CROSSREF_TYPES", "FLOAT_TYPES", "Condition", "PANDOC_FORMATS", "base_format", "format_is",
    "Label", "Reference", "Text", "Float", "FootnoteRef", "FootnoteDef", "InlineNote",
    "Picture", "Shortcode", "Include", "RawTex", "Heading", "Callout", "Prose", "Suppression",
    "Problem"
})


def __getattr__(name: str) -> Any:
    """The names that moved to `mlsys_lint.elements` (`from mlsys_lint.model import Label`
    in a plugin written before the move)."""
    if name in _ELEMENTS:
        from mlsys_lint import elements

        return getattr(elements, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
