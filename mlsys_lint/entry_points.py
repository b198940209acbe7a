"""The entry points of one group, found as `importlib.metadata.entry_points` finds them, without
importing it when the environment is plain.

Importing `importlib.metadata` (its e-mail parser, `zipfile`, `csv`, …) costs a run 30–50 ms,
as much as parsing a chapter; every run that loads rules looks for plugins.  In the common
environment (the standard path finder only, folders on `sys.path`) the lookup is a listing of
each folder and a read of a few small files, done here by the rules of `importlib.metadata`
(`MetadataPathFinder`, `Lookup`, `PathDistribution`, `Sectioned`: Python 3.11's
``importlib/metadata/__init__.py``): distributions in `sys.path` order, each name (normalised)
taken once, entry points read from ``entry_points.txt``, the distribution's name from its
``METADATA`` (or ``PKG-INFO``).  Anything else on the way (a zip file on the path, another
finder that finds distributions, an unusual folder name or file) hands the whole lookup to
`importlib.metadata`.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from functools import reduce
from importlib import import_module
from typing import Any

_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
"""`importlib.metadata.EntryPoint.pattern`: ``module:attribute [extras]``."""


class _Unusual(Exception):
    """Something the short lookup does not read as `importlib.metadata` would: ask it instead."""


@dataclass(frozen=True)
class EntryPoint:
    """One entry point: its name, its value (``module:attribute``) and its distribution's name."""

    name: str
    value: str
    distribution: str

    def load(self) -> Any:
        """Import the module and return the attribute the value names (as `EntryPoint.load`)."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"malformed entry point value {self.value!r}")
        module = import_module(match.group("module"))
        return reduce(getattr, filter(None, (match.group("attr") or "").split(".")), module)


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of `group` of every installed distribution, in `importlib.metadata`'s order."""
    try:
        return _listed(group)
    except _Unusual:
        return _asked(group)


def _asked(group: str) -> list[EntryPoint]:
    from importlib.metadata import entry_points as metadata_entry_points

    return [EntryPoint(entry.name, entry.value, entry.dist.name if entry.dist is not None else "unknown distribution")
            for entry in metadata_entry_points(group=group)]


def _listed(group: str) -> list[EntryPoint]:
    from importlib.machinery import PathFinder

    if any(getattr(finder, "find_distributions", None) is not None and finder is not PathFinder
           for finder in sys.meta_path):
        raise _Unusual
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for folder in sys.path:
        for path in _metadata_folders(folder):
            name = normalise_distribution(_name_from_stem(os.path.basename(path)))
            if name in seen:
                continue
            seen.add(name)
            pairs = _group_pairs(_read(path, "entry_points.txt"), group)
            if pairs:
                distribution = _distribution_name(path)
                found += [EntryPoint(entry, value, distribution) for entry, value in pairs]
    return found


def _metadata_folders(folder: str) -> list[str]:
    """The ``*.dist-info`` and ``*.egg-info`` entries of a folder on the path, grouped by name as
    `Lookup` groups them (first appearance in the listing)."""
    root = folder or "."
    try:
        children = os.listdir(root)
    except (OSError, ValueError):
        if os.path.exists(root):  # a file on the path: a zip archive `importlib.metadata` opens
            raise _Unusual from None
        return []
    if os.path.basename(root).lower().endswith(".egg"):
        raise _Unusual
    groups: dict[str, list[str]] = {}
    for child in children:
        low = child.lower()
        if low.endswith((".dist-info", ".egg-info")):
            groups.setdefault(normalise_distribution(low.rpartition(".")[0].partition("-")[0]), []).append(
                os.path.join(folder, child))
    return [path for paths in groups.values() for path in paths]


def _name_from_stem(stem: str) -> str:
    filename, extension = os.path.splitext(stem)
    if extension not in (".dist-info", ".egg-info"):  # "Foo.DIST-INFO": the name is in its metadata
        raise _Unusual
    return filename.partition("-")[0]


def normalise_distribution(name: str) -> str:
    """A distribution name compared as pip compares them (``My_Plugin`` = ``my-plugin``; PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _read(path: str, name: str) -> str | None:
    try:
        with open(os.path.join(path, name), encoding="utf-8") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return None
    except (OSError, UnicodeDecodeError):
        raise _Unusual from None


def _group_pairs(text: str | None, group: str) -> list[tuple[str, str]]:
    """``(name, value)`` of the lines of section `group` (`Sectioned.section_pairs`)."""
    pairs = []
    section = None
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is None:
            continue
        if "=" not in line:
            raise _Unusual
        if section == group:
            name, value = line.split("=", 1)
            pairs.append((name.strip(), value.strip()))
    return pairs


def _distribution_name(path: str) -> str:
    """The ``Name`` header of the distribution's metadata file."""
    text = _read(path, "METADATA") or _read(path, "PKG-INFO")
    for line in (text or "").splitlines():
        if not line.strip():
            break
        key, colon, value = line.partition(":")
        if colon and key.strip().lower() == "name" and not line[:1].isspace():
            return value.strip()
    raise _Unusual
