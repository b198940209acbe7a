"""Baselines: record today's findings so that only new ones are reported.

A finding is identified by its *fingerprint*: a hash of the rule code, the file path, the
subject (label, footnote id, term…) and the hash of the source line it sits on with
whitespace collapsed (``line_hash``, computed once per line, so a line with thousands of
findings is hashed once).  Line numbers are deliberately left out, so moving text around
does not resurrect a grandfathered finding, and the fingerprint is not a per-file count,
so fixing one old finding while adding a new one in the same file still reports the new
one.  Entries are matched by the fingerprint recomputed from their fields, so files
written by earlier versions (which hashed the whole line into the fingerprint) match.

Identical findings on identical lines share a fingerprint; the baseline records how many
there were (``count``), so a third copy of a twice-baselined finding is reported.

Entries that no longer match anything are *stale*: the caller reports them so the file
is rewritten and the baseline only ever shrinks.

File format (sorted, one entry per fingerprint, diff-friendly)::

    {"version": 1, "entries": [{"code", "path", "subject", "line_hash",
                                "fingerprint", "count", "message"}, ...]}
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from typing import Any, Iterable

from mlsys_lint.files import relative, write_atomic
from mlsys_lint.model import Diagnostic

BASELINE_VERSION = 1

_ENTRY_FIELDS: tuple[tuple[str, type], ...] = (
    ("code", str),
    ("path", str),
    ("subject", str),
    ("line_hash", str),
    ("fingerprint", str),
    ("count", int),
    ("message", str),
)


class BaselineError(Exception):
    """A baseline file is missing, unreadable or malformed (one-line message)."""


def normalise_line(source_line: str) -> str:
    """The source line with runs of whitespace collapsed to one space, stripped."""
    return " ".join(source_line.split())


def _hash(*parts: str) -> str:
    data = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:16]


def _posix(path: str) -> str:
    return path.replace("\\", "/")


@lru_cache(maxsize=1024)
def line_hash(source_line: str) -> str:
    """Hash of the normalised source line alone (memoised: the findings of one line share it)."""
    return _hash(normalise_line(source_line))


def _fingerprint(code: str, path: str, subject: str, line_digest: str) -> str:
    return _hash("mlsys-lint/v2", code, _posix(path), subject, line_digest)


def fingerprint(diagnostic: Diagnostic, source_line: str, path: str | None = None) -> str:
    """A stable identity for `diagnostic`: code, path, subject and normalised line text.

    Never the line or column number, so the fingerprint survives text moving around.
    `path` overrides the diagnostic's own path (the CLI passes a path relative to the
    project root or to the baseline file, so the result does not depend on the folder
    the linter runs in).
    """
    return _fingerprint(diagnostic.code, diagnostic.span.path if path is None else path, diagnostic.subject,
                        line_hash(source_line))


def diagnostic_fingerprint(diagnostic: Diagnostic) -> str:
    """`diagnostic.fingerprint` when the engine set it, else computed from its source line."""
    return diagnostic.fingerprint or fingerprint(diagnostic, diagnostic.source_line)


def baseline_entries(diagnostics: Iterable[Diagnostic]) -> list[dict[str, Any]]:
    """The sorted entries a baseline of `diagnostics` holds (one per fingerprint)."""
    groups: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        groups.setdefault(diagnostic_fingerprint(diagnostic), []).append(diagnostic)
    entries = []
    for fp, members in groups.items():
        first = min(members, key=lambda d: (d.message, d.source_line))
        entries.append(
            {
                "code": first.code,
                "path": _posix(first.span.path),
                "subject": first.subject,
                "line_hash": line_hash(first.source_line),
                "fingerprint": fp,
                "count": len(members),
                "message": first.message,
            }
        )
    entries.sort(key=_entry_key)
    return entries


def _entry_key(entry: dict[str, Any]) -> tuple:
    return (entry["path"], entry["code"], entry["subject"], entry["fingerprint"])


def dumps_baseline(diagnostics: Iterable[Diagnostic]) -> str:
    """The text `write_baseline` writes: stable, sorted JSON ending in a newline."""
    return _dumps(baseline_entries(diagnostics))


def _dumps(entries: list[dict[str, Any]]) -> str:
    document = {"version": BASELINE_VERSION, "entries": entries}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_baseline(path: str | os.PathLike[str], diagnostics: Iterable[Diagnostic]) -> int:
    """Write a baseline of `diagnostics` to `path` atomically; returns the entry count.

    Raises `BaselineError` when the file cannot be written.
    """
    entries = baseline_entries(diagnostics)
    try:
        write_atomic(path, _dumps(entries).encode("utf-8"), durable=False)
    except OSError as error:
        raise BaselineError(f"cannot write baseline {path}: {error.strerror or error}") from None
    return len(entries)


def anchored_view(diagnostics: list[Diagnostic], baseline_file: str | os.PathLike[str]) -> list[Diagnostic]:
    """Copies of `diagnostics` as a baseline sees them: paths relative to the baseline's folder.

    Anchoring at the baseline file (not the current folder) keeps entries matching
    whether the linter runs from the book's folder, the repository root or a hook.
    """
    base = os.path.dirname(os.path.abspath(baseline_file))
    view = []
    for d in diagnostics:
        item = replace(d, span=replace(d.span, path=relative(os.path.abspath(d.span.path), base)))
        item.fingerprint = fingerprint(item, d.source_line)
        view.append(item)
    return view


class Baseline:
    """Loaded baseline entries, ready to filter a run's diagnostics."""

    def __init__(self, entries: Iterable[dict[str, Any]] = ()) -> None:
        merged: dict[str, dict[str, Any]] = {}
        for entry in entries:
            fp = entry["fingerprint"]
            if fp in merged:
                merged[fp] = {**merged[fp], "count": merged[fp]["count"] + entry["count"]}
            else:
                merged[fp] = dict(entry)
        self.entries: list[dict[str, Any]] = sorted(merged.values(), key=_entry_key)
        self._by_fingerprint = {entry["fingerprint"]: entry for entry in self.entries}

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, fp: object) -> bool:
        return fp in self._by_fingerprint

    def filter(
        self,
        diagnostics: Iterable[Diagnostic],
        *,
        paths: Iterable[str] | None = None,
        codes: Iterable[str] | None = None,
    ) -> tuple[list[Diagnostic], list[dict[str, Any]]]:
        """Split a run into findings not in the baseline, and stale baseline entries.

        Each entry absorbs up to ``count`` diagnostics with its fingerprint (in the
        order given); the rest are new.  An entry is stale when fewer diagnostics than
        its count matched it: the returned dict is the entry with ``"unused"`` set to how
        many of its count went unmatched (equal to ``count`` when nothing matches any
        more).  `paths` / `codes`, when given, limit staleness to entries for files that
        were checked and rules that ran, so a partial run (pre-commit on a few files,
        ``--select``) does not call the rest of the baseline stale.
        """
        remaining = Counter({fp: entry["count"] for fp, entry in self._by_fingerprint.items()})
        new: list[Diagnostic] = []
        for diagnostic in diagnostics:
            fp = diagnostic_fingerprint(diagnostic)
            if remaining[fp] > 0:
                remaining[fp] -= 1
            else:
                new.append(diagnostic)
        path_set = None if paths is None else {_posix(p) for p in paths}
        code_set = None if codes is None else set(codes)
        stale = []
        for entry in self.entries:
            unused = remaining[entry["fingerprint"]]
            if unused <= 0:
                continue
            if path_set is not None and entry["path"] not in path_set:
                continue
            if code_set is not None and entry["code"] not in code_set:
                continue
            stale.append({**entry, "unused": unused})
        return new, stale


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """Read a baseline file; raises `BaselineError` with a one-line message if it is bad."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise BaselineError(f"baseline file not found: {path}") from None
    except OSError as error:
        raise BaselineError(f"cannot read baseline {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"baseline {path} is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise BaselineError(
            f"baseline {path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    if not isinstance(document, dict):
        raise BaselineError(f"baseline {path}: expected a JSON object at the top level")
    version = document.get("version")
    if version != BASELINE_VERSION:
        raise BaselineError(f"baseline {path}: unsupported version {version!r} (expected {BASELINE_VERSION})")
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise BaselineError(f"baseline {path}: 'entries' must be a list")
    checked = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise BaselineError(f"baseline {path}: entry {index} is not an object")
        clean: dict[str, Any] = {}
        for name, kind in _ENTRY_FIELDS:
            value = entry.get(name, "" if name in ("subject", "message", "line_hash") else None)
            if kind is int:
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
            else:
                ok = isinstance(value, str)
            if not ok:
                raise BaselineError(f"baseline {path}: entry {index} has a missing or invalid '{name}'")
            clean[name] = value
        if not clean["fingerprint"]:
            raise BaselineError(f"baseline {path}: entry {index} has an empty 'fingerprint'")
        if clean["line_hash"]:  # recomputed, so entries written with the v1 formula match too
            clean["fingerprint"] = _fingerprint(clean["code"], clean["path"], clean["subject"], clean["line_hash"])
        checked.append(clean)
    return Baseline(checked)
