"""Bibliographies: the files `bibliography:` names, their entry keys with lines, and which
files are in force for each rendered document.

Keys are read with a scanner of each format's entry syntax (BibTeX/BibLaTeX ``@type{key,``,
CSL JSON ``"id": "key"``, CSL YAML ``id: key``), not a full parser: the rules need keys and
where they stand, and a scan reads MLSysBook's bibliography of thousands of entries in
milliseconds. Each file is read once per run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys_lint import observed
from mlsys_lint.model import Source

if TYPE_CHECKING:
    from mlsys_lint.project import Project, Unit

_BIB_ENTRY = re.compile(r"^[ \t]*@([A-Za-z]+)[ \t]*[{(][ \t]*([^,\s{}()]+)[ \t]*,", re.M)
_NOT_ENTRIES = {"comment", "preamble", "string"}
_YAML_ID = re.compile(r"^[ \t-]*id:[ \t]*['\"]?([^'\"\s]+)", re.M)
_JSON_ID = re.compile(r"\"id\"[ \t]*:[ \t]*\"([^\"]+)\"")


@dataclass(frozen=True)
class BibEntry:
    """One entry key and where it is written (1-based line, column of the key)."""

    key: str
    path: str
    start: int


@dataclass
class BibFile:
    """A bibliography file: its entries in file order, or why it could not be read."""

    path: str
    source: Source | None = None
    entries: list[BibEntry] = field(default_factory=list)
    problem: str | None = None


def read_bib_file(path: str) -> BibFile:
    """Read the entry keys of one bibliography file (BibTeX/BibLaTeX, CSL JSON or CSL YAML)."""
    try:
        data = observed.read_bytes(path)
    except FileNotFoundError:
        return BibFile(path, problem="does not exist")
    except OSError as error:
        return BibFile(path, problem=f"cannot be read ({error.strerror or error})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return BibFile(path, problem=f"is not UTF-8 (byte {error.start})")
    source = Source(path, text)
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        entries = [BibEntry(m.group(1), path, m.start(1)) for m in _JSON_ID.finditer(text)]
    elif suffix in (".yml", ".yaml"):
        entries = [BibEntry(m.group(1), path, m.start(1)) for m in _YAML_ID.finditer(text)]
    else:
        entries = [BibEntry(m.group(2), path, m.start(2)) for m in _BIB_ENTRY.finditer(text)
                   if m.group(1).lower() not in _NOT_ENTRIES]
    return BibFile(path, source, entries)


_COMPUTED = re.compile(r"`r |\{\{<|!expr|\$\{")
"""A `bibliography:` value written by code at render time (knitr inline R, a shortcode)."""


@dataclass
class Naming:
    """A `bibliography:` value: the file it names and where the key is written; `computed` when
    code writes the name at render time (its entries cannot be known)."""

    path: str
    written: str
    source: Source | None
    start: int
    computed: bool = False


class ProjectBibliography:
    """The bibliography files of a project, read once, and the ones in force per unit."""

    def __init__(self) -> None:
        self.files: dict[str, BibFile] = {}
        self._namings: dict[str, list[Naming]] = {}

    def file(self, path: str) -> BibFile:
        if path not in self.files:
            self.files[path] = read_bib_file(path)
        return self.files[path]

    def namings(self, project: "Project", unit: "Unit") -> list[Naming]:
        """The files `bibliography:` names for `unit`: the project's (and its formats'), then the
        page's own front matter (Quarto merges the lists)."""
        if unit.path not in self._namings:
            self._namings[unit.path] = self._find_namings(project, unit)
        return self._namings[unit.path]

    def _find_namings(self, project: "Project", unit: "Unit") -> list[Naming]:
        found: list[Naming] = []
        config_folder = str(project.config_path.parent if project.config_path else project.root)
        metas: list[tuple[Any, str, Source | None]] = [(project.config, config_folder, project.config_source)]
        formats = project.config.get("format") if isinstance(project.config, dict) else None
        if isinstance(formats, dict):
            metas += [(options, config_folder, project.config_source) for options in formats.values()
                      if isinstance(options, dict)]
        document = unit.document
        metas.append((document.front_matter, os.path.dirname(os.path.abspath(document.source.path)), document.source))
        for meta, folder, source in metas:
            value = meta.get("bibliography") if isinstance(meta, dict) else None
            for name in value if isinstance(value, list) else [value] if value else []:
                path = os.path.normpath(os.path.join(folder, str(name)))
                if all(naming.path != path for naming in found):
                    found.append(Naming(path, str(name), source, _key_offset(source, str(name)),
                                        computed=_COMPUTED.search(str(name)) is not None))
        return found


def _key_offset(source: Source | None, name: str) -> int:
    """Where the `bibliography:` value naming `name` is written (0 when it cannot be found)."""
    if source is None:
        return 0
    key = source.text.find("bibliography")
    if key == -1:
        return 0
    at = source.text.find(name, key)
    return at if at != -1 else key


def inline_reference_ids(front_matter: dict[str, Any]) -> set[str]:
    """Ids of the CSL entries a page's front matter writes itself (``references:``)."""
    entries = front_matter.get("references")
    return {str(entry["id"]) for entry in entries if isinstance(entry, dict) and "id" in entry} \
        if isinstance(entries, list) else set()
