"""Projects: which files Quarto renders, in what order, with which labels shared.

A `Project` is built from the paths given on the command line: the `_quarto.yml`
around them (or `--quarto-config`), a book's chapters in order, a website's render
list, includes followed, and one `Unit` per rendered file with the elements of the
file and of everything it includes, in reading order.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Iterator, TypeVar

import yaml

from mlsys_lint import observed
from mlsys_lint.document import Document
from mlsys_lint.elements import CROSSREF_TYPES, FLOAT_TYPES, FootnoteDef, FootnoteRef, Suppression, base_format
from mlsys_lint.inputs import CONFIG_NAMES, TEXT_SUFFIXES, book_render_list, exists, is_file, project_input_files
from mlsys_lint.model import Source, Span

if TYPE_CHECKING:
    from mlsys_lint.bibliography import ProjectBibliography
    from mlsys_lint.cache import DocumentCache
    from mlsys_lint.file_listing import FileListing
    from mlsys_lint.term_usage import TermUsage
    from mlsys_lint.terms import ProjectGlossary
    from mlsys_lint.xref import Namespace

T = TypeVar("T")

MERGED_FORMATS = ("pdf", "latex", "epub", "docx", "odt", "typst")
"""Formats for which Quarto merges a book's chapters into one document (one Pandoc run)."""


class ProjectError(Exception):
    """A project that cannot be loaded (broken `_quarto.yml`, missing config file)."""


@dataclass
class ProjectIssue:
    """A problem found while reading the project, for the rules to report.

    `kind` names it neutrally: ``unreadable`` (a file that cannot be read as text),
    ``missing-chapter`` (listed in `_quarto.yml`, absent), ``missing-include``,
    ``include-cycle``, ``include-limit`` (nested too deep or expanded too often; not followed).
    """

    kind: str
    message: str
    span: Span
    subject: str = ""


@dataclass
class Unit:
    """One rendered file (chapter or page) and the documents it pulls in, in reading order."""

    path: str
    index: int
    document: Document
    appendix: bool = False
    part: str | None = None
    included: list[tuple[tuple[int, ...], Document]] = field(default_factory=list)
    chapter: bool = True
    """In a book, whether Quarto counts the file as a chapter (not a part page, a footer link, 404)."""

    def walk(self, attribute: str) -> Iterator[tuple[tuple[int, int, tuple[int, ...]], Any]]:
        """Yield ``(order_key, element)`` for one element list, includes spliced in.

        The key sorts elements in reading order across the whole project.
        """
        yield from _walk(self, self.document, attribute, (), set())

    def elements(self, attribute: str) -> list[Any]:
        return [element for _, element in self.walk(attribute)]

    @property
    def documents(self) -> list[Document]:
        return [self.document] + [doc for _, doc in self.included]


def _walk(unit: Unit, doc: Document, attribute: str, prefix: tuple[int, ...], active: set[str]):
    items = getattr(doc, attribute)
    includes = [inc for inc in doc.includes if not inc.in_code and inc.resolved is not None]
    if not includes or doc.path in active:
        for item in items:
            yield (unit.index, 0, prefix + (_start(item),)), item
        return
    active = active | {doc.path}
    position = 0
    for include in includes:
        while position < len(items) and _start(items[position]) < include.start:
            item = items[position]
            yield (unit.index, 0, prefix + (_start(item),)), item
            position += 1
        child = include.resolved
        if child is not None:
            yield from _walk(unit, child, attribute, prefix + (include.start,), active)
    for item in items[position:]:
        yield (unit.index, 0, prefix + (_start(item),)), item


def _start(item: Any) -> int:
    return item.start if hasattr(item, "start") else item[0]


@dataclass
class FootnoteScope:
    """The footnotes of one Pandoc run: its units with includes expanded, in reading order.

    `definitions` are those Pandoc takes as notes; `glued` are definition lines glued to
    the paragraph above, which Pandoc reads as paragraph text (their ``[^id]`` is a use).
    """

    units: list[Unit]
    refs: list[FootnoteRef]
    definitions: list[FootnoteDef]
    glued: list[FootnoteDef]

    def winners(self) -> dict[str, FootnoteDef]:
        """The definition Pandoc keeps for each id: the last one in reading order."""
        return {definition.id: definition for definition in self.definitions}

    def used(self) -> set[str]:
        """Ids Pandoc counts as used: every marker, in a note's text too, and glued definitions."""
        return {ref.id for ref in self.refs} | {definition.id for definition in self.glued}


def nested_note(ref: FootnoteRef) -> bool:
    """Whether `ref` stands in a footnote definition's text, where Pandoc does not resolve notes."""
    return ref.in_note not in (None, "^")


def footnote_scope(units: list[Unit]) -> FootnoteScope:
    """Gather the footnote markers and definitions of `units` (one Pandoc run) in reading order."""
    refs = [ref for unit in units for ref in unit.elements("footnote_refs")]
    definitions = [d for unit in units for d in unit.elements("footnote_defs")]
    return FootnoteScope(units, refs, [d for d in definitions if d.separated], [d for d in definitions if not d.separated])


@dataclass
class Project:
    """The whole manuscript as Quarto sees it, ready for rules."""

    root: Path
    kind: str
    config: dict[str, Any]
    config_path: Path | None
    units: list[Unit]
    documents: dict[str, Document]
    crossref_types: frozenset[str] = CROSSREF_TYPES
    float_types: frozenset[str] = FLOAT_TYPES
    formats: frozenset[str] = frozenset({"html"})
    """Base formats built (``pdf`` for ``titlepage-pdf``); `format_names` as configured."""
    format_names: tuple[str, ...] = ("html",)
    issues: list[ProjectIssue] = field(default_factory=list)
    targets: set[str] | None = None
    """The files whose findings are reported (and folders, ending in a separator); None: every file.
    Rules may skip the work whose findings would all fall outside them (`reported_documents`)."""
    config_source: Source | None = None
    loose_units: list[Unit] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    """Every file Quarto renders (notebooks too), in reading order; `units` are those read."""
    nested_projects: list[Path] = field(default_factory=list)
    """Folders with their own ``_quarto.yml`` that a loose run skipped."""
    data_sources: dict[str, Source] = field(default_factory=dict)
    """Files other than manuscripts that findings may point into (glossary files), by path."""
    glossary: "ProjectGlossary | None" = None
    """The `glossary` fact (`mlsys_lint.facts`): set when a selected rule needs it."""
    unused_suppressions: list[Suppression] = field(default_factory=list)
    """The `unused-suppressions` fact: set by the engine once the other rules have run."""
    file_listing: "FileListing | None" = None
    """The `file-listing` fact (`mlsys_lint.facts`): set when a selected rule needs it."""
    bibliography: "ProjectBibliography | None" = None
    """The `bibliography` fact (`mlsys_lint.facts`): set when a selected rule needs it."""
    _target_folders: tuple[set[str], tuple[str, ...]] | None = field(default=None, repr=False)
    """The folders among `targets` (``(targets, folders)``), for `is_target`."""
    footnote_index: list[FootnoteScope] | None = field(default=None, repr=False)
    """`footnote_scopes`, built on first use."""
    namespace_index: "list[Namespace] | None" = field(default=None, repr=False)
    """`mlsys_lint.xref.namespaces`, built on first use."""
    citation_keys: frozenset[str] | None = field(default=None, repr=False)
    """`mlsys_lint.xref.bibliography_keys`, read on first use."""
    term_index: "TermUsage | None" = field(default=None, repr=False)
    """`mlsys_lint.term_usage.term_usage`, computed on first use."""
    cache: "DocumentCache | None" = field(default=None, repr=False)
    """The run's cache (None with ``--no-cache``): facts computed from one file alone are kept there too."""
    memo: dict[Any, Any] | None = field(default=None, repr=False)
    """Facts of one file computed earlier in this process (a long-lived engine's), by key."""

    def remember(self, key: Hashable, inputs: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()`, or what it gave before in this process (a long-lived engine's `memo`)
        when computed from the very same objects `inputs` (a document, the glossary)."""
        if self.memo is None:
            return compute()
        kept = self.memo.get(key)
        if kept is not None and len(kept[0]) == len(inputs) and all(a is b for a, b in zip(kept[0], inputs)):
            return kept[1]
        value = compute()
        self.memo[key] = (inputs, value)
        return value

    def latest(self, key: Hashable) -> Any:
        """What a long-lived engine last kept under `key` (`keep_latest`), whatever it came from; None if nothing."""
        return self.memo.get(("latest", key)) if self.memo is not None else None

    def keep_latest(self, key: Hashable, value: Any) -> None:
        """Keep `value` under `key` for the next build of a long-lived engine (nothing otherwise)."""
        if self.memo is not None:
            self.memo[("latest", key)] = value

    def is_target(self, path: str) -> bool:
        """Whether findings in `path` are reported: every file, or only those (and folders) named."""
        targets = self.targets
        if targets is None or path in targets:
            return True
        if self._target_folders is None or self._target_folders[0] is not targets:
            self._target_folders = (targets, tuple(t for t in targets if t.endswith(os.sep)))
        folders = self._target_folders[1]
        return bool(folders) and path.startswith(folders)

    def reported_documents(self) -> Iterable[Document]:
        """The documents whose findings are reported (`is_target`): every one unless files were named."""
        if self.targets is None:
            return self.documents.values()
        return [doc for path, doc in self.documents.items() if self.is_target(path)]

    def reports_any(self, units: Iterable[Unit]) -> bool:
        """Whether findings in some file of `units` (their includes too) are reported."""
        return self.targets is None or any(self.is_target(doc.path) for unit in units for doc in unit.documents)

    @property
    def all_units(self) -> list[Unit]:
        """Rendered units plus files linted only because they were named explicitly."""
        return self.units + self.loose_units

    @property
    def is_book(self) -> bool:
        return self.kind == "book"

    def namespaces(self) -> list[list[Unit]]:
        """Units whose labels resolve each other: the whole book, or each page alone."""
        alone = [[unit] for unit in self.loose_units]
        if self.is_book:
            return ([self.units] if self.units else []) + alone
        return [[unit] for unit in self.units] + alone

    def builds_non_html(self) -> bool:
        return any(not fmt.startswith(("html", "revealjs", "dashboard")) for fmt in self.formats)

    def merged_formats(self) -> list[str]:
        """A book's formats that merge all chapters into one document (PDF, EPUB, DOCX, …)."""
        if not self.is_book:
            return []
        return sorted(fmt for fmt in self.formats if fmt.startswith(MERGED_FORMATS))

    def footnote_scopes(self) -> list[FootnoteScope]:
        """Footnote namespaces (Pandoc runs): each unit alone, as in an HTML book or a website.

        A book that builds only merged formats is one Pandoc run, so one scope.
        """
        if self.footnote_index is None:
            if self.is_book and self.units and len(self.merged_formats()) == len(self.formats):
                loose = [self.unit_footnote_scope(unit) for unit in self.loose_units]
                self.footnote_index = [footnote_scope(self.units)] + loose
            else:
                self.footnote_index = [self.unit_footnote_scope(unit) for unit in self.all_units]
        return self.footnote_index

    def unit_footnote_scope(self, unit: Unit) -> FootnoteScope:
        """`unit` rendered on its own (an HTML page): its footnote scope, kept by a long-lived engine."""
        return self.remember(("footnote-scope", unit.path, unit.index), (unit,), lambda: footnote_scope([unit]))

    def listing(self, show: Callable[[str], str] = str) -> list[str]:
        """The documents in reading order, one line each, with the namespace their labels live in.

        Included files follow the document that includes them; documents Quarto renders but
        the linter does not read (notebooks) and nested projects a loose run skipped are
        listed too, so that a user sees why a page is or is not checked.
        """
        namespace = {"book": "book (shared by all chapters)", "loose": "its own (loose document)"}.get(
            self.kind, "its own (page)")
        units = {unit.path: unit for unit in self.all_units}
        where = show(str(self.config_path)) if self.config_path is not None else f"{show(str(self.root))} (no _quarto.yml)"
        lines = [f"# {where}: {self.kind}, {len(self.rendered)} documents rendered, {len(self.units)} checked"]
        for path in self.rendered + [unit.path for unit in self.loose_units]:
            unit = units.get(path)
            if unit is None:
                lines.append(f"{show(path)}  not checked: not a Markdown document")
                continue
            lines.append(f"{show(path)}  namespace: {namespace if unit in self.units else 'its own (named file)'}")
            included = dict.fromkeys(doc.path for doc in unit.documents[1:])
            lines.extend(f"  {show(child)}  included in {show(path)}" for child in included)
        lines.extend(f"{show(str(folder))}/  not checked: a Quarto project of its own" for folder in self.nested_projects)
        return lines

    def file_order(self) -> dict[str, int]:
        """Position of every file in reading order (units, then what they include)."""
        order: dict[str, int] = {}
        for unit in self.all_units:
            for doc in unit.documents:
                order.setdefault(doc.path, len(order))
        if self.config_path is not None:
            order.setdefault(str(self.config_path), -1)
        return order


# -- finding and reading the configuration ------------------------------------------


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return number
    return 1


def load_config(path: Path, profiles: list[str]) -> tuple[dict[str, Any], Source]:
    """Read a Quarto config with its profile files and metadata-files merged in."""
    try:
        raw = observed.read_text(path)
    except FileNotFoundError:
        raise ProjectError(f"{path}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProjectError(f"{path}: cannot read configuration ({error.__class__.__name__}: {error})") from None
    source = Source(str(path), raw.replace("\r\n", "\n"))
    config = _parse_config(path, raw)
    base = path.parent
    names = list(profiles)
    if not names:
        default = (config.get("profile") or {}).get("default") if isinstance(config.get("profile"), dict) else None
        if isinstance(default, str):
            names = [default]
        elif isinstance(default, list):
            names = [str(n) for n in default]
        group = (config.get("profile") or {}).get("group") if isinstance(config.get("profile"), dict) else None
        if not names and isinstance(group, list):
            for entry in group:
                if isinstance(entry, list) and entry:
                    names.append(str(entry[0]))
    try:
        for name in names:
            for suffix in (".yml", ".yaml"):
                profile_path = base / f"_quarto-{name}{suffix}"
                if exists(profile_path):
                    config = _merge(config, _parse_config(profile_path, _read_config_text(profile_path)))
                    break
        for meta in _as_list(config.get("metadata-files")):
            meta_path = base / str(meta)
            if exists(meta_path):
                try:
                    text = observed.read_text(meta_path)
                except OSError:
                    continue
                except UnicodeDecodeError as error:
                    raise ProjectError(f"{meta_path}: not valid UTF-8 (byte {error.start})") from None
                config = _merge(_parse_config(meta_path, text), config)
    except RecursionError:
        raise ProjectError(f"{path}: configuration nested too deeply to merge with its profiles") from None
    return config, source


def _read_config_text(path: Path) -> str:
    try:
        return observed.read_text(path)
    except UnicodeDecodeError as error:
        raise ProjectError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise ProjectError(f"{path}: cannot read configuration ({error.strerror or error})") from None


def _parse_config(path: Path, raw: str) -> dict[str, Any]:
    from mlsys_lint.cells import load_yaml

    try:
        data = load_yaml(raw)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        reason = getattr(error, "problem", None) or "invalid YAML"
        raise ProjectError(f"{path}{where}: {reason}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a YAML mapping at the top level")
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# -- what gets rendered -----------------------------------------------------------------


@lru_cache(maxsize=256)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """A path glob of the linter's own settings (``exclude``, ``per-file-ignores``): ``*``
    stays within a folder, ``**`` crosses folders, and a folder matches everything below it."""
    pattern = pattern.lstrip("/").removeprefix("./")
    parts = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            continue
        parts.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        index += 1
    return re.compile("".join(parts) + "(?:/.*)?$")


@dataclass
class _Entry:
    path: str
    appendix: bool = False
    part: str | None = None
    line_hint: str = ""
    chapter: bool = True


def _rendered_entries(root: Path, config: dict[str, Any], kind: str) -> list[_Entry]:
    """The files Quarto renders in a project: a book's in reading order, others by path.

    A book without chapters (which Quarto refuses to render) is read as a plain project.
    """
    if kind == "book":
        items = book_render_list(root, config)
        if items:
            return [_Entry(item.path, item.appendix, item.part, item.path, item.chapter) for item in items]
    project = config.get("project") if isinstance(config.get("project"), dict) else {}
    render = [str(r) for r in _as_list(project.get("render")) if r is not None] if kind != "book" else []
    output_dir = project.get("output-dir") if isinstance(project.get("output-dir"), str) else None
    return [_Entry(rel) for rel in project_input_files(root, render, output_dir)]


def loose_documents(folder: Path) -> tuple[list[Path], list[Path]]:
    """The documents in a folder outside any Quarto project, and the nested projects skipped.

    The folder is walked as Quarto walks a project folder, but a folder holding its own
    ``_quarto.yml`` is a project of its own: it is neither walked nor loaded.
    """
    nested: list[str] = []
    files = [folder / rel for rel in project_input_files(folder, nested=nested)]
    return files, sorted(Path(path) for path in nested)


# -- building ---------------------------------------------------------------------------


def build_project(
    root: Path,
    *,
    load_document: Callable[[Path], Document | None],
    config_path: Path | None = None,
    profiles: list[str] | None = None,
    loose_files: list[Path] | None = None,
    targets: set[str] | None = None,
    prefetch: Callable[[list[Path]], None] | None = None,
) -> Project:
    """Assemble a project: read its config, pick and parse its files, follow includes.

    `loose_files` (files, or folders to take loose documents from) builds a project of
    documents outside any Quarto project, each its own namespace. `prefetch`, when given,
    receives every rendered file's path before any is loaded (the engine uses it to parse
    them in parallel).
    """
    config: dict[str, Any] = {}
    source = None
    if config_path is None and loose_files is None:
        for name in CONFIG_NAMES:
            if observed.exists(root / name):
                config_path = root / name
                break
    if config_path is not None:
        config, source = load_config(config_path, profiles or _env_profiles())
    project_section = config.get("project") if isinstance(config.get("project"), dict) else {}
    kind = str(project_section.get("type") or ("book" if isinstance(config.get("book"), dict) else "default"))
    nested: list[Path] = []
    if loose_files is not None:
        kind = "loose"
        entries = []
        for given in loose_files:
            found, skipped = loose_documents(given) if observed.isdir(given) else ([given], [])
            entries.extend(_Entry(str(path)) for path in found)
            nested.extend(skipped)
    else:
        entries = _rendered_entries(root, config, kind)
    project = Project(root=root, kind=kind, config=config, config_path=config_path, units=[], documents={},
                      targets=targets, config_source=source, nested_projects=nested)
    paths = [Path(os.path.normpath(entry.path if loose_files is not None else root / entry.path)) for entry in entries]
    if prefetch is not None:
        prefetch([path for path in paths if path.suffix.lower() in TEXT_SUFFIXES])
    seen: set[str] = set()
    for entry, path in zip(entries, paths):
        key = str(path)
        if key in seen:
            continue
        seen.add(key)
        if not exists(path) and loose_files is None:
            if not entry.line_hint and observed.islink(path):  # found by walking the folder, not listed
                project.issues.append(ProjectIssue("unreadable", f"cannot read file: it {_absent(path)}",
                                                   Span(str(path), 1, 1, 1, 1)))
            elif source is not None:
                project.issues.append(_missing_chapter(source, entry, path))
            continue
        project.rendered.append(key)
        if path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        doc = load_document(path)
        if doc is None:
            continue
        project.documents[doc.path] = doc
        unit = Unit(doc.path, len(project.units), doc, appendix=entry.appendix, part=entry.part,
                    chapter=entry.chapter)
        project.units.append(unit)
        _follow_includes(project, unit, doc, [doc.path], load_document, Path(doc.path).parent)
    project.crossref_types, project.float_types = _crossref_types(project)
    _formats(project)
    return project


def _env_profiles() -> list[str]:
    value = observed.environ("QUARTO_PROFILE")
    return [p.strip() for p in value.split(",") if p.strip()]


def _scalar_position(text: str, value: str) -> tuple[int, int] | None:
    """1-based (line, column) of the first YAML scalar equal to `value` in `text`."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):  # PyYAML's composer recurses once per nesting level
        return None
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.ScalarNode):
            if node.value == value:
                return node.start_mark.line + 1, node.start_mark.column + 1
        elif isinstance(node, yaml.SequenceNode):
            stack[:0] = node.value
        elif isinstance(node, yaml.MappingNode):
            stack[:0] = [child for pair in node.value for child in pair]
    return None


def _absent(path: Path | None) -> str:
    """Why a path that is not a file is missing: absent, a broken link, a link loop, a bad name."""
    if path is None:
        return "does not exist"
    failure = observed.stat_errno(path)
    if failure is None:
        return "is not a file"
    if failure == -1:
        return "is not a valid file name"
    if failure == errno.ELOOP:
        return "is a symbolic link that loops back on itself"
    if failure == errno.ENAMETOOLONG:
        return "has a name too long for the file system"
    return "is a broken symbolic link" if observed.islink(path) else "does not exist"


def _missing_chapter(source: Source, entry: _Entry, path: Path | None = None) -> ProjectIssue:
    needle = entry.line_hint or entry.path
    position = _scalar_position(source.text, needle)
    line, column = position if position else (_line_of(source.text, needle), 1)
    span = Span(source.path, line, column, line, column + len(needle))
    return ProjectIssue("missing-chapter", f"chapter `{entry.path}` listed in the configuration {_absent(path)}", span,
                        entry.path)


MAX_INCLUDE_DEPTH = 64
"""Deeper include chains are reported (`include-limit`) and not followed: no recursion limit is hit."""
MAX_INCLUDES_PER_UNIT = 5000
"""Includes expanded into one rendered file at most (a file including another twice, ten
levels deep, would otherwise expand 1,024 times per level)."""


def _follow_includes(project: Project, unit: Unit, doc: Document, stack: list[str],
                     load_document: Callable[[Path], Document | None], main_dir: Path) -> None:
    """Resolve `doc`'s includes.

    Quarto resolves a nested include relative to the main document (newer releases
    also relative to the including file), so either location counts.
    """
    for include in doc.includes:
        include.resolved = None
        target = include.target
        if target.startswith("/"):
            path = project.root / target.lstrip("/")
        else:
            path = main_dir / target
            if not is_file(path) and is_file(Path(doc.path).parent / target):
                path = Path(doc.path).parent / target
        path = Path(os.path.normpath(path))
        key = str(path)
        if not is_file(path):
            project.issues.append(ProjectIssue(
                "missing-include", f"included file `{target}` {_absent(path)}", include.span, target))
            continue
        if key in stack:
            chain = " → ".join(Path(p).name for p in stack[stack.index(key):] + [key])
            project.issues.append(ProjectIssue("include-cycle", f"include cycle: {chain}", include.span, target))
            continue
        if include.in_code:
            continue
        if len(stack) > MAX_INCLUDE_DEPTH or len(unit.included) >= MAX_INCLUDES_PER_UNIT:
            reason = (f"includes nested more than {MAX_INCLUDE_DEPTH} deep" if len(stack) > MAX_INCLUDE_DEPTH
                      else f"more than {MAX_INCLUDES_PER_UNIT} includes expanded into `{Path(unit.path).name}`")
            project.issues.append(ProjectIssue("include-limit", f"{reason}; `{target}` is not followed", include.span,
                                               target))
            continue
        child = project.documents.get(key)
        if child is None:
            child = load_document(path)
            if child is None:
                continue
            project.documents[key] = child
        include.resolved = child
        unit.included.append(((include.start,), child))
        _follow_includes(project, unit, child, stack + [key], load_document, main_dir)


def _crossref_types(project: Project) -> tuple[frozenset[str], frozenset[str]]:
    custom: set[str] = set()
    sources = [project.config] + [doc.front_matter for doc in project.documents.values()]
    for meta in sources:
        crossref = meta.get("crossref") if isinstance(meta, dict) else None
        if not isinstance(crossref, dict):
            continue
        for entry in _as_list(crossref.get("custom")):
            key = (entry.get("key") or entry.get("ref-type")) if isinstance(entry, dict) else None
            if key:  # Quarto 1.4+ names the prefix `key`; `ref-type` is the older spelling
                custom.add(str(key).lower())
    return CROSSREF_TYPES | custom, FLOAT_TYPES | custom


def _formats(project: Project) -> None:
    names = format_names(project.config, *(unit.document.front_matter for unit in project.units))
    project.format_names = tuple(names)
    project.formats = frozenset(base_format(name) for name in names)


def format_names(*metadata: Any) -> list[str]:
    """The output formats that `format:` keys name (``html``, ``titlepage-pdf`` …), sorted; html when none."""
    names: set[str] = set()
    for meta in metadata:
        value = meta.get("format") if isinstance(meta, dict) else None
        if isinstance(value, dict):
            names.update(str(key) for key in value)
        elif isinstance(value, list):
            names.update(str(item) for item in value if isinstance(item, (str, int)))
        elif isinstance(value, str):
            names.add(value)
    return sorted(names) or ["html"]
