"""Which files exist, with the exact case of their names, for rules that check the files a
manuscript names (images).

Each folder is listed once per run and the listing kept, so checking a thousand images
costs one ``os.scandir`` per folder, not a stat per image, and a name that differs from
the file only in case is told apart from a missing file on every operating system (a
case-insensitive macOS or Windows disk finds ``Figure.PNG`` for ``figure.png``; Linux,
where books are built in CI, does not).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mlsys_lint import observed


@dataclass(frozen=True)
class Lookup:
    """The outcome of looking a path up: ``found``, ``case`` (found only ignoring case; `actual`
    is the path as it is on disk) or ``missing``."""

    state: str
    actual: str | None = None


class FileListing:
    """Folder listings read on first use, by absolute folder path."""

    def __init__(self) -> None:
        self._folders: dict[str, dict[str, list[str]] | None] = {}
        self._lookups: dict[tuple[str, str], Lookup] = {}

    def _entries(self, folder: str) -> dict[str, list[str]] | None:
        """The names in `folder` grouped by their case-folded form; None if it cannot be listed."""
        if folder not in self._folders:
            try:
                names: dict[str, list[str]] = {}
                for entry in observed.scandir(folder):
                    names.setdefault(entry.name.casefold(), []).append(entry.name)
            except (OSError, ValueError):
                names = None
            self._folders[folder] = names
        return self._folders[folder]

    def lookup(self, path: str, anchor: str) -> Lookup:
        """Look up `path` (absolute, normalised) component by component below `anchor`, a folder
        whose own spelling is taken as it is (the project root); paths outside it are checked
        with the operating system alone."""
        key = (path, anchor)
        if key not in self._lookups:
            self._lookups[key] = self._lookup(path, anchor)
        return self._lookups[key]

    def _lookup(self, path: str, anchor: str) -> Lookup:
        anchor = anchor.rstrip(os.sep) or os.sep
        if not (path == anchor or path.startswith(anchor.rstrip(os.sep) + os.sep)):
            return Lookup("found") if observed.exists(path) else Lookup("missing")
        current, actual, case = anchor, [], False
        for part in path[len(anchor):].split(os.sep):
            if not part:
                continue
            names = self._entries(current)
            if names is None:
                return Lookup("missing")
            spellings = names.get(part.casefold(), [])
            if part in spellings:
                chosen = part
            elif spellings:
                chosen, case = spellings[0], True
            else:
                return Lookup("missing")
            actual.append(chosen)
            current = os.path.join(current, chosen)
        return Lookup("case", os.path.join(anchor, *actual)) if case else Lookup("found")
