"""Invariants every parsed document and every finding must satisfy.

Shared by the fuzz harness (tests/fuzz/fuzz.py) and the property tests
(tests/test_properties.py): positions lie inside the file and point at the text they
name, the masked text keeps the shape of the source, and nothing is out of order.
"""

from __future__ import annotations

from mlsys_lint.document import Document
from mlsys_lint.model import Diagnostic, Source

_RANGED = ("labels", "references", "floats", "footnote_refs", "footnote_defs", "inline_notes", "shortcodes",
           "includes", "raw_tex", "headings", "prose", "suppressions", "problems", "cells")


class InvariantError(AssertionError):
    """A parsed document or a finding that breaks one of the invariants."""


def _fail(message: str) -> None:
    raise InvariantError(message)


def check_document(doc: Document) -> None:
    """Raise `InvariantError` when `doc` breaks a structural invariant."""
    text = doc.source.text
    size = len(text)
    for attribute in _RANGED:
        for item in getattr(doc, attribute):
            start, end = item.start, item.end
            if not (0 <= start <= end <= size):
                _fail(f"{attribute}: range {start}:{end} outside the text (length {size}): {item!r:.200}")
    for start, end, _ in doc.links:
        if not (0 <= start <= end <= size):
            _fail(f"links: range {start}:{end} outside the text (length {size})")
    for offset in doc.block_starts:
        if not (0 <= offset <= size):
            _fail(f"block_starts: offset {offset} outside the text (length {size})")
    for label in doc.labels:
        if text[label.start:label.end] != label.id and not _quoted_value(text, label):
            _fail(f"label {label.id!r} points at {text[label.start:label.end]!r} ({label.form})")
        if label.type != label.id.split("-", 1)[0].lower():
            _fail(f"label {label.id!r} has type {label.type!r}")
        if label.float_index is not None and not (0 <= label.float_index < len(doc.floats)):
            _fail(f"label {label.id!r} names float {label.float_index} of {len(doc.floats)}")
    for ref in doc.references:
        written = text[ref.start:ref.end]
        expected = ("-@" if ref.suppress_prefix else "@") + ref.key
        if written != expected:
            _fail(f"reference {ref.key!r} points at {written!r}")
    for note in doc.footnote_refs:
        if text[note.start:note.end] != f"[^{note.id}]":
            _fail(f"footnote reference {note.id!r} points at {text[note.start:note.end]!r}")
    for note in doc.footnote_defs:
        if text[note.start:note.end] != f"[^{note.id}]:":
            _fail(f"footnote definition {note.id!r} points at {text[note.start:note.end]!r}")
        body = note.body
        if not (0 <= body.start <= body.end <= size):
            _fail(f"footnote {note.id!r} body range {body.start}:{body.end} outside the text")
    for shortcode in doc.shortcodes:
        written = text[shortcode.start:shortcode.end]
        if not (written.startswith("{{<") and written.endswith(">}}")):
            _fail(f"shortcode {shortcode.name!r} points at {written!r:.80}")
    for include in doc.includes:
        if not text.startswith("{{<", include.start):
            _fail(f"include {include.target!r} does not start at `{{{{<`")
    for index, item in enumerate(doc.floats):
        if item.index != index:
            _fail(f"float {index} has index {item.index}")
        if item.parent is not None and not (0 <= item.parent < len(doc.floats)):
            _fail(f"float {index} has parent {item.parent}")
        for sub in item.subfloats:
            if not (0 <= sub < len(doc.floats)):
                _fail(f"float {index} has subfloat {sub}")
        for piece in (item.caption, item.caption_attribute, item.alt, *item.images):
            if piece is not None and not (0 <= piece.start <= piece.end <= size):
                _fail(f"float {index}: text range {piece.start}:{piece.end} outside the text")
    for heading in doc.headings:
        if not (0 <= heading.text.start <= heading.text.end <= size):
            _fail(f"heading text range {heading.text.start}:{heading.text.end} outside the text")
    for item in doc.definitions:
        for piece in (item.term, item.definition):
            if not (0 <= piece.start <= piece.end <= size):
                _fail(f"definition range {piece.start}:{piece.end} outside the text")
    lines = doc.source.line_count
    for suppression in doc.suppressions:
        if not (1 <= suppression.first_line <= suppression.last_line <= lines):
            _fail(f"suppression lines {suppression.first_line}-{suppression.last_line} outside 1-{lines}")
    masked = doc.masked
    if len(masked) != size:
        _fail(f"masked text has length {len(masked)}, source {size}")
    for index, (a, b) in enumerate(zip(masked, text)):
        if a != b and (a != " " or b == "\n"):
            _fail(f"masked text differs at {index}: {a!r} for {b!r}")


def _quoted_value(text: str, label) -> bool:
    """An id given as a quoted/escaped value (``id="fig-\\"x"``, YAML) may differ from its span."""
    written = text[label.start:label.end]
    return label.form in ("cell", "knitr", "subcap") or "\\" in written or (
        written.replace("\\", "") == label.id.replace("\\", ""))


def check_diagnostic(diagnostic: Diagnostic, sources: dict[str, Source]) -> None:
    """A finding's span lies inside its file (1-based lines, columns up to the line end + 1)."""
    span = diagnostic.span
    source = sources.get(span.path)
    if source is None:
        return
    lines = source.line_count
    if not (1 <= span.line <= span.end_line <= lines):
        _fail(f"{diagnostic.code}: lines {span.line}-{span.end_line} outside 1-{lines}")
    if span.line == span.end_line and span.end_column < span.column:
        _fail(f"{diagnostic.code}: end column {span.end_column} before column {span.column}")
    first = source.line_text(span.line)
    if not (1 <= span.column <= len(first) + 1):
        _fail(f"{diagnostic.code}: column {span.column} outside line {span.line} (length {len(first)})")
    last = source.line_text(span.end_line)
    if not (1 <= span.end_column <= len(last) + 1):
        _fail(f"{diagnostic.code}: end column {span.end_column} outside line {span.end_line} (length {len(last)})")
