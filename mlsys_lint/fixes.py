"""Applying fixes to files safely.

Fix positions are 1-based line/column pairs (end exclusive) in a file's *normalised*
text: the BOM removed, every line ending (``\\r\\n``, ``\\r``, ``\\n``) turned into
``\\n``, columns counting characters.  They are mapped back onto the raw text so that
every byte outside the fixed spans — line endings of any style, a UTF-8 BOM — is kept
exactly; newlines inside a replacement take the line ending of the line being fixed.

Fixes are applied in position order; a fix overlapping one already accepted (or a second,
different insertion at the same point) is skipped and counted.  An identical fix given
twice is applied once.

Writing is atomic (`mlsys_lint.files.write_atomic`): a temporary file in the same
directory, the original's permission bits copied onto it, then a rename.  Just before the
rename the file is read again and compared with what was read at the start; if it changed,
nothing is written.  The original is never opened for writing, so it can never be left
truncated.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from mlsys_lint.files import FileChanged, write_atomic
from mlsys_lint.model import Diagnostic, Fix, Source
from mlsys_lint.reading import normalise_newlines

BOM = b"\xef\xbb\xbf"
_NEWLINE = re.compile(r"\r\n|\r|\n")


class FixError(Exception):
    """Fixes could not be written (file changed, read-only, not UTF-8, I/O error…)."""


@dataclass
class FixOutcome:
    """What `apply_fixes` did to one file.

    `applied` counts fixes that took effect (a duplicate of an applied fix counts too);
    `skipped` those dropped because they overlap an earlier one; `invalid` those whose
    positions lie outside the file.  `old_text`/`new_text` are normalised texts (feed
    them to `render_diff` or re-lint `new_text`); `written` is True when the file was
    replaced.
    """

    path: Path
    applied: int = 0
    skipped: int = 0
    invalid: int = 0
    old_text: str = ""
    new_text: str = ""
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text


@dataclass
class TextFixResult:
    """The result of `fix_text`: the new raw text and the same counts as `FixOutcome`."""

    text: str
    applied: int = 0
    skipped: int = 0
    invalid: int = 0


class _LineMap:
    """Maps normalised (line, column) positions onto offsets in the raw text."""

    def __init__(self, raw: str) -> None:
        starts = [0]
        lengths: list[int] = []
        endings: list[str] = []
        for match in _NEWLINE.finditer(raw):
            lengths.append(match.start() - starts[-1])
            endings.append(match.group())
            starts.append(match.end())
        lengths.append(len(raw) - starts[-1])
        endings.append("")
        self.starts = starts
        self.lengths = lengths
        self.endings = endings

    def offset(self, line: int, column: int) -> int | None:
        if not 1 <= line <= len(self.starts) or not 1 <= column <= self.lengths[line - 1] + 1:
            return None
        return self.starts[line - 1] + column - 1

    def newline_for(self, line: int) -> str:
        """The line ending to use for newlines inserted on `line`."""
        ending = self.endings[line - 1]
        if ending:
            return ending
        if line >= 2:
            return self.endings[line - 2]
        return "\n"


def fix_text(raw: str, fixes: Iterable[Fix]) -> TextFixResult:
    """Apply `fixes` to `raw` (a file's decoded text without BOM, any line endings)."""
    lines = _LineMap(raw)
    items: list[tuple[int, int, int, str]] = []
    invalid = 0
    for index, fix in enumerate(fixes):
        start = lines.offset(fix.start_line, fix.start_column)
        end = lines.offset(fix.end_line, fix.end_column)
        if start is None or end is None or end < start:
            invalid += 1
            continue
        replacement = normalise_newlines(fix.replacement)
        if "\n" in replacement:
            replacement = replacement.replace("\n", lines.newline_for(fix.start_line))
        items.append((start, end, index, replacement))
    items.sort()

    accepted: list[tuple[int, int, str]] = []
    seen: set[tuple[int, int, str]] = set()
    applied = skipped = 0
    for start, end, _, replacement in items:
        key = (start, end, replacement)
        if key in seen:
            applied += 1
            continue
        if accepted:
            prev_start, prev_end, _ = accepted[-1]
            if start < prev_end or (start == end == prev_start == prev_end):
                skipped += 1
                continue
        accepted.append(key)
        seen.add(key)
        applied += 1

    pieces: list[str] = []
    cursor = 0
    for start, end, replacement in accepted:
        pieces.append(raw[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(raw[cursor:])
    return TextFixResult("".join(pieces), applied, skipped, invalid)


def fix_plan(diagnostics: Iterable[Diagnostic], sources: Mapping[str, Source],
             unsafe: bool = False) -> list[tuple[str, list[Fix], Source | None]]:
    """The fixes to write, per file: ``(absolute path, fixes, the Source they were computed from)``.

    Unsafe fixes are left out unless `unsafe`; the Source is None for a file not read in
    the run (it must not be fixed).
    """
    texts = {os.path.abspath(path): source for path, source in sources.items()}
    by_file: dict[str, list[Fix]] = {}
    for diagnostic in diagnostics:
        if diagnostic.fix is not None and (diagnostic.fix.safe or unsafe):
            by_file.setdefault(os.path.abspath(diagnostic.fix.path), []).append(diagnostic.fix)
    return [(path, fixes, texts.get(path)) for path, fixes in sorted(by_file.items())]


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _decode(data: bytes, shown: str) -> tuple[bool, str]:
    has_bom = data.startswith(BOM)
    try:
        return has_bom, data[len(BOM) if has_bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as error:
        raise FixError(f"{shown}: not valid UTF-8 (byte {error.start}); not fixing it") from None


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def apply_fixes(
    path: str | os.PathLike[str],
    fixes: Sequence[Fix],
    expected_text: str | None = None,
    *,
    dry_run: bool = False,
) -> FixOutcome:
    """Apply `fixes` to the file at `path`, atomically, keeping every other byte.

    `expected_text` is the text the findings were computed from (normalised or raw); if
    the file no longer holds it, `FixError` is raised and nothing is written.  With
    `dry_run` the new text is computed but the file is left alone (for ``--diff``).
    Raises `FixError` (one-line message) when the file cannot be read, decoded or
    written, is read-only, or changed while the fixes were being applied.
    """
    shown = os.fspath(path)
    target = Path(os.path.realpath(path))
    try:
        original = _read_bytes(target)
    except OSError as error:
        raise FixError(f"{shown}: cannot read: {_reason(error)}") from None
    has_bom, raw = _decode(original, shown)
    old_text = normalise_newlines(raw)
    if expected_text is not None and normalise_newlines(expected_text.lstrip("\ufeff")) != old_text:
        raise FixError(f"{shown}: changed since it was checked; not fixing it")

    outcome = FixOutcome(Path(path), old_text=old_text, new_text=old_text)
    if not fixes:
        return outcome
    result = fix_text(raw, fixes)
    outcome.applied, outcome.skipped, outcome.invalid = result.applied, result.skipped, result.invalid
    outcome.new_text = normalise_newlines(result.text)
    if result.text == raw or dry_run:
        return outcome

    try:
        status = os.stat(target)
    except OSError as error:
        raise FixError(f"{shown}: cannot stat: {_reason(error)}") from None
    if not stat.S_ISREG(status.st_mode):
        raise FixError(f"{shown}: not a regular file; not fixing it")
    if not (status.st_mode & 0o222) or not os.access(target, os.W_OK):
        raise FixError(f"{shown}: file is read-only; not fixing it")
    try:
        data = (BOM if has_bom else b"") + result.text.encode("utf-8")
    except UnicodeEncodeError:
        raise FixError(f"{shown}: a fix produced text that cannot be encoded as UTF-8") from None

    try:
        write_atomic(target, data, expected=original)
    except FileChanged:
        raise FixError(f"{shown}: changed while fixes were applied; not fixing it") from None
    except OSError as error:
        raise FixError(f"{shown}: cannot write the fixed text: {_reason(error)}") from None
    outcome.written = True
    return outcome


def render_diff(path: str | os.PathLike[str], old_text: str, new_text: str) -> str:
    """A unified diff (``a/path`` → ``b/path``) of two texts; empty when they are equal."""
    if old_text == new_text:
        return ""
    name = os.fspath(path).replace("\\", "/")
    lines = difflib.unified_diff(
        _split_lines(old_text),
        _split_lines(new_text),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _split_lines(text: str) -> list[str]:
    """Lines ending in ``\\n`` (kept); only ``\\n`` separates lines, as in the parser."""
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result
