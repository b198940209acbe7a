"""A whole run's findings, reused while nothing the run read has changed.

A plain check (no fixes, no editor buffer) records every question it asks of the file
system (`mlsys_lint.observed`) and stores its findings, ready to print, with that journal,
under a key of everything else that decides them: the tool's code, the settings, the paths
given and the current folder.  The next run with the same key asks the journal's
questions again; when every answer is the same (no file edited, added, removed or renamed
where the run looked) it prints the stored findings without loading the parser, the rules
or the book.  Only runs without plugins are kept (a plugin's rule may read files of its
own, unobserved); the journal also tells a later run that none has been installed since.
Entries are signed with the parse cache's key and checked for shape on load: a planted or
damaged entry is a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from mlsys_lint import observed
from mlsys_lint.cache import DocumentCache, code_fingerprint
from mlsys_lint.planning import cache_folder, plan_projects
from mlsys_lint.model import Diagnostic, Fix, Related, Severity, Source, Span
from mlsys_lint.reading import UnreadableFile, read_source

if TYPE_CHECKING:
    from mlsys_lint.config import Settings

FORMAT = 1
"""The shape of a stored run; bump it when it changes."""
MAX_ENTRY_BYTES = 512 * 1024 * 1024
_FACT = "run"


@dataclass
class Outcome:
    """What a run leaves for the report: its findings (display paths, source lines and
    fingerprints set) and the counts around them."""

    diagnostics: list[Diagnostic]
    files: list[str]
    rendered: int = 0
    checked: int = 0
    nested_projects: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    targeted: bool = False
    """Whether the run reported on some files of a project only (the baseline's stale entries
    are then counted among those files alone)."""


def locate(paths: list[Path], settings: "Settings", base: Path, cache_dir: Path | None = None) -> "RunCache | None":
    """Where a check of `paths` is kept whole: in the cache of its first project."""
    plans = plan_projects(paths, settings, base)
    if not plans:
        return None
    return RunCache(DocumentCache(cache_folder(plans[0].root, settings, cache_dir)), run_key(settings, paths, base))


def run_key(settings: "Settings", paths: list[Path], base: Path) -> str:
    """A hash of everything besides the files that decides a run's findings and how they are
    shown.  The rules are the tool's own (its code is hashed); that no plugin is installed
    is part of the journal (`_installed_plugins`)."""
    described = {
        "format": FORMAT,
        "code": code_fingerprint(),
        "settings": dataclasses.asdict(settings),
        "paths": [os.path.abspath(path) for path in paths],
        "base": str(base),
        "cwd": os.getcwd(),
    }
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


class RunCache:
    """The stored run of one key, in the parse cache's folder."""

    def __init__(self, cache: DocumentCache, key: str) -> None:
        self.cache = cache
        self.key = key

    def load(self) -> Outcome | None:
        """The stored outcome when its journal still holds; None otherwise."""
        # Made before the run lists the folder holding it: its appearance is no change to see next time.
        self.cache.prepare()
        data = self.cache.load_fact("", self.key, _FACT, str(FORMAT), limit=MAX_ENTRY_BYTES)
        if data is None:
            return None
        try:
            journal = data["journal"]
            if not isinstance(journal, list):
                raise _Invalid
            if not observed.unchanged(journal):
                return None
            return _outcome_from_data(data)
        except (_Invalid, KeyError, TypeError, ValueError, IndexError):
            self.cache.reject()
            return None

    def store(self, journal: dict[tuple[str, ...], Any], outcome: Outcome) -> None:
        """Keep `outcome` of a run without plugins with the questions whose answers it depends
        on, and those that tell that no plugin has been installed since."""
        with observed.recording() as installed:
            _installed_plugins()
        self.cache.store_fact("", self.key, _FACT, str(FORMAT), {"journal": observed.as_data({**journal, **installed}),
                                                                 **_outcome_to_data(outcome)})


def _installed_plugins() -> None:
    """Ask what tells which rule plugins are installed, as `importlib.metadata` finds them:
    the folders on `sys.path` and the entry points each distribution there declares."""
    for folder in sys.path:
        try:
            entries = observed.scandir(folder or ".")
        except (OSError, ValueError):
            continue
        for entry in entries:
            if entry.name.endswith((".dist-info", ".egg-info")):
                try:
                    observed.read_bytes(os.path.join(entry.path, "entry_points.txt"))
                except (OSError, ValueError):
                    continue


class SourceFiles(Mapping[str, Source]):
    """The text of the files a stored run reported on, read when a report asks for one."""

    def __init__(self, paths: list[str]) -> None:
        self._paths = {path: os.path.abspath(path) for path in paths}
        """Each path as a report shows it (relative to the current folder), and where it is."""
        self._read: dict[str, Source | None] = {}

    def __getitem__(self, path: str) -> Source:
        if path not in self._read:
            if path not in self._paths:
                raise KeyError(path)
            try:
                self._read[path] = read_source(Path(self._paths[path]))
            except UnreadableFile:
                self._read[path] = None
        source = self._read[path]
        if source is None:
            raise KeyError(path)
        return source

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


# -- plain data ------------------------------------------------------------------------------


class _Invalid(Exception):
    """Stored data of another shape."""


def _outcome_to_data(outcome: Outcome) -> dict[str, Any]:
    lines: dict[str, int] = {}
    rows = []
    for d in outcome.diagnostics:
        fix = d.fix
        rows.append([d.code, d.name, int(d.severity), *_span(d.span), d.message, d.subject,
                     None if fix is None else [fix.title, fix.path, fix.start_line, fix.start_column, fix.end_line,
                                               fix.end_column, fix.replacement, fix.safe],
                     d.fingerprint, lines.setdefault(d.source_line, len(lines)),
                     [[*_span(r.span), r.message] for r in d.related]])
    return {"lines": list(lines), "diagnostics": rows, "files": outcome.files, "rendered": outcome.rendered,
            "checked": outcome.checked, "nested_projects": outcome.nested_projects, "notices": outcome.notices,
            "targeted": outcome.targeted}


def _span(span: Span) -> list[Any]:
    return [span.path, span.line, span.column, span.end_line, span.end_column]


def _outcome_from_data(data: dict[str, Any]) -> Outcome:
    lines = _strings(data["lines"])
    diagnostics = []
    for row in _list(data["diagnostics"]):
        (code, name, severity, path, line, column, end_line, end_column, message, subject, fix, fingerprint,
         line_index, related) = _list(row, 14)
        diagnostics.append(Diagnostic(
            _str(code), _str(name), Severity(_int(severity)), _span_from(path, line, column, end_line, end_column),
            _str(message), _str(subject), None if fix is None else _fix_from(_list(fix, 8)), _str(fingerprint),
            lines[_int(line_index)],
            tuple(Related(_span_from(*item[:5]), _str(item[5])) for item in (_list(r, 6) for r in _list(related)))))
    targeted = data["targeted"]
    if not isinstance(targeted, bool):
        raise _Invalid
    return Outcome(diagnostics, _strings(data["files"]), _int(data["rendered"]), _int(data["checked"]),
                   _strings(data["nested_projects"]), _strings(data["notices"]), targeted)


def _fix_from(items: list[Any]) -> Fix:
    title, path, start_line, start_column, end_line, end_column, replacement, safe = items
    if not isinstance(safe, bool):
        raise _Invalid
    return Fix(_str(title), _str(path), _int(start_line), _int(start_column), _int(end_line), _int(end_column),
               _str(replacement), safe)


def _span_from(path: Any, line: Any, column: Any, end_line: Any, end_column: Any) -> Span:
    return Span(_str(path), _int(line), _int(column), _int(end_line), _int(end_column))


def _list(value: Any, length: int | None = None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise _Invalid
    return value


def _strings(value: Any) -> list[str]:
    return [_str(item) for item in _list(value)]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise _Invalid
    return value
