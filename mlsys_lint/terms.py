"""The glossary of a project: its sources, glossary chapters and generated pages.

`load_project_glossary` — the engine calls it once per project (when a GLS rule is
selected) and attaches the result as ``project.glossary``; rules read it with
`project_glossary`.  Sources are the globs of ``glossary: sources:`` in the mlsys-lint
configuration, resolved against the project root (the folder of ``_quarto.yml``); a glob
that matches nothing there is tried against the configuration file's folder, so both
spellings work.  Without that setting the sources are auto-detected
(`mlsys_lint.glossary_files.autodetect_sources`: the quarto-glossary file,
``glossary.yml`` files, MLSysBook ``*_glossary.json``) plus the project's *glossary
chapters*.  A glossary chapter is a rendered file whose name is ``glossary``
(``glossary.qmd``, ``99-glossary.qmd``, ``backmatter_glossary.md``) or whose first
heading is "Glossary", or any ``.qmd``/``.md``/``.Rmd`` file named in ``glossary:
sources:``.  Its entries are its Pandoc definition-list items (term → first definition)
or, when it has none, its headings below the title, one per term (``## term {#anchor}``
followed by the definition; single-letter headings such as ``## A`` are dividers, not
terms).  A glossary page generated from the data sources is neither a source nor a use
(`ProjectGlossary.generated`).  Where terms are used is `mlsys_lint.term_usage`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from mlsys_lint import observed
from mlsys_lint.file_facts import cached
from mlsys_lint.glossary import Entry, Glossary, GlossaryError, normalize_definition
from mlsys_lint.glossary_files import (
    ENTRIES_FORMAT,
    autodetect_sources,
    entries_as_data,
    entries_from_data,
    is_volume_glossary,
    load_file,
    parse_glossary,
    read_glossary_text,
)
from mlsys_lint.model import Source, Span
from mlsys_lint.project import glob_to_regex

if TYPE_CHECKING:
    from mlsys_lint.config import Settings
    from mlsys_lint.document import Document
    from mlsys_lint.project import Project

_MANUSCRIPT = (".qmd", ".md", ".rmd")
_GLOB_CHARS = re.compile(r"[*?\[]")
_CHAPTER_STEM = re.compile(r"(?:^|[-_. ])glossary$", re.I)
_BAD_ID = re.compile(r"\s*\(#[^()\s]+\)\s*$")  # "## term (#anchor)": an id written with parentheses
_MARKUP = re.compile(r"[*_`$]+")
_DIVIDER = re.compile(r"^\W*[A-Za-z]\W*$|^[A-Za-z]\s*[-\u2013]\s*[A-Za-z]$")


# --------------------------------------------------------------------------------------
# The project's glossary
# --------------------------------------------------------------------------------------


class ProjectGlossary(Glossary):
    """A `Glossary` with what the rules need to know about where it comes from.

    `files`: glossary data files (YAML/JSON) by path, to show and point into;
    `chapter_of`: chapter glossary file → path of the chapter it belongs to (MLSysBook's
    ``hardware_glossary.json`` → ``hardware.qmd``); `chapters`: paths of glossary chapters;
    `anchors`: glossary chapter path → every id in it → the entry whose heading carries
    it (None for ids of other things); `misplaced_ids`: glossary chapter path → ids
    written ``(#id)`` after a heading, which Pandoc does not read → line; `quarto_path`/`quarto_keys`: the file
    quarto-glossary reads and its lower-cased keys (None when there is none);
    `generated`: path → why, for glossary files and pages generated from the sources
    (neither sources nor uses).
    """

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        super().__init__(entries)
        self.files: dict[str, Source] = {}
        self.chapter_of: dict[str, str] = {}
        self.chapters: list[str] = []
        self.anchors: dict[str, dict[str, Entry | None]] = {}
        self.misplaced_ids: dict[str, dict[str, int]] = {}
        self.quarto_path: str | None = None
        self.quarto_keys: set[str] | None = None
        self.sources: list[str] = []
        self.generated: dict[str, str] = {}
        self._spans: dict[tuple[str, int], Span] = {}

    def span_of(self, entry: Entry, index: int = 0) -> Span:
        """Where `entry` (its `index`-th source) is written: the term on its line."""
        path, line = entry.sources[index] if entry.sources else ("", 1)
        found = self._spans.get((path, line))
        if found is not None:
            return found
        source = self.files.get(path)
        if source is None or not 1 <= line <= source.line_count:
            return Span(path, max(line, 1), 1, max(line, 1), 1)
        text = source.line_text(line)
        lowered = text.lower()
        term = entry.term.lower()
        quoted = lowered.find(json.dumps(term)[1:-1], lowered.find('"term"') + 1 if '"term"' in lowered else 0)
        column = quoted if quoted >= 0 else lowered.find(term)
        if column < 0:
            column = len(text) - len(text.lstrip())
            end = len(text.rstrip())
        else:
            end = column + len(term)
        return Span(path, line, column + 1, line, max(end, column) + 1)


def load_project_glossary(project: "Project", settings: "Settings") -> ProjectGlossary:
    """The glossary of `project` from its configured or auto-detected sources.

    Generated glossaries are set aside (`ProjectGlossary.generated`): with
    ``glossary: generated:`` globs in the configuration, the files they match; otherwise
    a merged MLSysBook volume glossary next to chapter glossaries, and a glossary page
    rendered from the data sources (`_rendered_from`).  Either way the result does not
    depend on whether the sources were auto-detected or listed.

    Raises `GlossaryError` (``path:line: message``) for a source that is missing, cannot
    be read or is malformed, and for a configured glob that matches no file.
    """
    root = Path(project.root)
    configured = settings.glossary_sources is not None
    if configured:
        paths = [p for pattern in settings.glossary_sources or [] for p in _resolve(pattern, root, settings.folder)]
    else:
        paths = [root / rel for rel in autodetect_sources(root) if not _in_subproject(root, rel)]
    seen: set[str] = set()
    data: dict[str, list[Entry]] = {}
    files: dict[str, Source] = {}
    chapter_files: list[str] = []
    for path in paths:
        key = os.path.normpath(str(path))
        if key in seen:
            continue
        seen.add(key)
        if path.suffix.lower() in _MANUSCRIPT:
            chapter_files.append(key)
            continue
        text = read_glossary_text(path)
        data[key] = _parsed(project, text, key)
        files[key] = Source(key, text.replace("\r\n", "\n").replace("\r", "\n"))
    # Glossary chapters among the rendered files: sources when nothing is configured,
    # and in any case candidates for a page generated from the data files.
    detected = [unit.path for unit in project.units if unit.path not in seen and is_glossary_chapter(unit.document)]
    if not configured:
        chapter_files += detected
        detected = []
    generated = _generated_files(root, settings.glossary_generated, list(data) + chapter_files + detected)
    reference = Glossary(e for path, loaded in data.items() if path not in generated for e in loaded)
    chapter_entries: list[Entry] = []
    spans: dict[tuple[str, int], Span] = {}
    anchors: dict[str, dict[str, Entry | None]] = {}
    bad_ids: dict[str, dict[str, int]] = {}
    chapters = []
    for path in chapter_files + detected:
        doc = project.documents.get(path) or _parse_file(path)
        misplaced: dict[str, int] = {}
        found, ids = _chapter_entries(doc, spans, misplaced)
        if settings.glossary_generated is None and path not in generated:
            rendered = _rendered_from(found, reference)
            if rendered:
                generated[path] = rendered
        anchors[path] = ids
        if misplaced:
            bad_ids[path] = misplaced
        if path in chapter_files and path not in generated:
            chapters.append(path)
            chapter_entries.extend(found)
    glossary = ProjectGlossary([e for path, loaded in data.items() if path not in generated for e in loaded]
                               + chapter_entries)
    glossary.files = files
    glossary.sources = [str(p) for p in paths]
    glossary.chapters = chapters
    glossary.generated = generated
    glossary.anchors = anchors
    glossary.misplaced_ids = bad_ids
    glossary._spans = spans
    for path, source in files.items():
        chapter = _chapter_for(path, source.text, project)
        if chapter is not None:
            glossary.chapter_of[path] = chapter
    _quarto_glossary(project, glossary, data)
    return glossary


def _parsed(project: "Project", text: str, path: str) -> list[Entry]:
    """`parse_glossary`, or the entries it gave for this very text in an earlier run (kept in
    the run's cache, checked on load like any data read back)."""

    def parse() -> tuple[list[list], list[Entry]]:
        entries = parse_glossary(text, path)
        return entries_as_data(entries), entries

    return cached(project.cache, path, text, _ENTRIES_FACT, ENTRIES_FORMAT, parse, entries_from_data)[1]


_ENTRIES_FACT = "glossary-entries"


def _generated_files(root: Path, globs: list[str] | None, paths: list[str]) -> dict[str, str]:
    """Glossary files known to be generated before looking at pages: those matching the
    configured ``glossary: generated:`` globs, else merged MLSysBook volume glossaries
    when chapter glossaries are present too (path → why)."""
    if globs is not None:
        patterns = [glob_to_regex(glob) for glob in globs]
        return {path: "configured as generated (glossary: generated:)" for path in paths
                if any(pattern.match(_relative(path, root)) for pattern in patterns)}
    json_files = [p for p in paths if p.endswith("_glossary.json")]
    volumes = [p for p in json_files if is_volume_glossary(Path(p), _relative(p, root))]
    if len(volumes) == len(json_files):
        return {}
    return {path: "merged from the chapter glossaries" for path in volumes}


def _relative(path: str, root: Path) -> str:
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return path


_RENDERED_SHARE = 0.8


def _rendered_from(entries: list[Entry], reference: Glossary) -> str | None:
    """Why a glossary page is rendered from the data sources, or None: at least 80% of
    its entries are terms of the data sources with one of their definitions (a generator
    may add a line such as "*Chapter: @sec-x*" after it)."""
    if not entries or not reference:
        return None
    matched = 0
    for entry in entries:
        source = reference.lookup(entry.written or entry.term) or reference.lookup(entry.term)
        text = normalize_definition(entry.definition)
        if source is not None and any(
            (known := normalize_definition(d.text)) and text.startswith(known) for d in source.definitions
        ):
            matched += 1
    if matched < _RENDERED_SHARE * len(entries):
        return None
    return f"rendered from the glossary sources ({matched} of its {len(entries)} entries)"


def _resolve(pattern: str, root: Path, folder: Path | None) -> list[Path]:
    bases = [root] + ([folder] if folder is not None and observed.realpath(folder) != observed.realpath(root) else [])
    if os.path.isabs(pattern):
        bases = [Path("/")]
    for base in bases:
        if _GLOB_CHARS.search(pattern):
            rel = pattern.lstrip("/") if base == Path("/") else pattern
            found = [p for p in observed.glob(base, rel) if observed.isfile(p) and "/." not in "/" + str(p.relative_to(base))]
            if found:
                return found
        else:
            path = base / pattern
            if observed.isfile(path):
                return [path]
            if observed.exists(path):
                raise GlossaryError("glossary source is not a file", str(path))
    if _GLOB_CHARS.search(pattern):
        raise GlossaryError("glossary source pattern matches no file (relative to the project root)", pattern)
    raise GlossaryError("glossary source not found", str(root / pattern))


def _in_subproject(root: Path, rel: str) -> bool:
    """Whether `rel` lies in a folder below `root` that is a Quarto project of its own."""
    folder = (root / rel).parent
    while folder != root and root in folder.parents:
        if observed.exists(folder / "_quarto.yml") or observed.exists(folder / "_quarto.yaml"):
            return True
        folder = folder.parent
    return False


def _parse_file(path: str) -> "Document":
    from mlsys_lint.document import parse
    from mlsys_lint.reading import UnreadableFile, read_source

    try:
        return parse(read_source(Path(path)))
    except FileNotFoundError:
        raise GlossaryError("glossary source not found", path) from None
    except (UnreadableFile, OSError) as error:
        raise GlossaryError(f"cannot read glossary source: {error}", path) from None


def is_glossary_chapter(doc: "Document") -> bool:
    """Whether `doc` is a glossary page (named ``glossary``, or titled "Glossary")."""
    if _CHAPTER_STEM.search(Path(doc.path).stem):
        return True
    if doc.headings:
        first = doc.headings[0]
        return first.level == 1 and _clean(first.text.value).lower() in ("glossary", "glossary of terms")
    title = doc.front_matter.get("title") if isinstance(doc.front_matter, dict) else None
    return isinstance(title, str) and title.strip().lower() == "glossary"


def _clean(text: str) -> str:
    """A term as written in a heading or a definition-list term, without Markdown markup."""
    text = _BAD_ID.sub("", text)
    text = _MARKUP.sub("", text)
    text = re.sub(r"\\(.)", r"\1", text)
    return " ".join(text.split()).strip(" :")


def _says_case(term: str) -> bool:
    """Whether a glossary chapter's spelling of a term says how to write it: a capital
    in a word that is not an acronym, other than the first letter, which a definition
    list or heading capitalises anyway ("Bayes' theorem", "PyTorch").  "Quadrat",
    "Line transect" and "integrated development environment (IDE)" say nothing."""
    words = re.findall(r"[^\W_]+", term)
    if words:
        words[0] = words[0][:1].lower() + words[0][1:]
    return any(not (len(w) > 1 and w.isupper()) and w != w.lower() for w in words)


def _chapter_entries(doc: "Document", spans: dict[tuple[str, int], Span],
                     misplaced: dict[str, int]) -> tuple[list[Entry], dict[str, Entry | None]]:
    """Entries of a glossary chapter: its definition-list items, else one per heading.

    `misplaced` receives ids written ``(#id)`` after a heading (not an id for Pandoc)."""
    source = doc.source
    entries: list[Entry] = []
    ids: dict[str, Entry | None] = {}
    for label in [*doc.labels, *doc.other_ids]:
        ids.setdefault(label.id, None)

    def add(term_text: str, start: int, end: int, definition: str, definition_start: int) -> Entry | None:
        term = _clean(term_text)
        if not term or not any(c.isalnum() for c in term):
            return None
        line = source.line_of(start)
        entry = Entry.make(
            term, definition.strip(), doc.path, line, definition_line=source.line_of(definition_start),
            preserves_case=_says_case(term),
        )
        entries.append(entry)
        spans[(doc.path, line)] = source.span(start, end)
        return entry

    for item in doc.definitions:
        add(item.term.value, item.term.start, item.term.end, item.definition.value, item.definition.start)
    headings = doc.headings
    if not doc.definitions and headings:
        top = min(h.level for h in headings)
        for number, heading in enumerate(headings):
            entry = None
            body = _clean(heading.text.value)
            below_title = heading.level > top or (top > 1 and sum(h.level == top for h in headings) > 1)
            if below_title and not _DIVIDER.match(body) and body.lower() != "glossary":
                end = headings[number + 1].start if number + 1 < len(headings) else len(source.text)
                definition = source.text[heading.end:end]
                entry = add(heading.text.value, heading.text.start, heading.text.end, definition, heading.end + 1)
            if heading.id:
                ids[heading.id] = entry
            bad = _BAD_ID.search(heading.text.value)
            if bad and not heading.id:
                misplaced[bad.group().strip()[2:-1]] = source.line_of(heading.start)
    return entries, ids


def _chapter_for(path: str, text: str, project: "Project") -> str | None:
    """The chapter an MLSysBook ``<chapter>_glossary.json`` belongs to, or None."""
    name = Path(path).name
    if not name.endswith("_glossary.json"):
        return None
    stems = [name[: -len("_glossary.json")]]
    m = re.search(r'"metadata"\s*:\s*\{[^{}]*?"chapter"\s*:\s*"([^"]+)"', text[:4000])
    if m:
        stems.append(m.group(1))
    folder = os.path.dirname(path)
    best = None
    for unit in project.units:
        stem = Path(unit.path).stem
        if stem in stems:
            if os.path.dirname(unit.path) == folder:
                return unit.path
            best = best or unit.path
    return best


def _quarto_glossary(project: "Project", glossary: ProjectGlossary, data: dict[str, list[Entry]]) -> None:
    """Find the file quarto-glossary reads (``glossary: path:``, default ``glossary.yml``)
    and the keys it looks up (lower-cased, as written: "keyword spotting (kws)")."""
    config = project.config.get("glossary") if isinstance(project.config, dict) else None
    rel = config.get("path") if isinstance(config, dict) and isinstance(config.get("path"), str) else None
    path = Path(project.root) / (rel or "glossary.yml")
    if not observed.isfile(path):
        return
    key = os.path.normpath(str(path))
    loaded = data[key] if key in data else load_file(path)
    glossary.quarto_path = key
    glossary.quarto_keys = {(e.written or e.term).lower() for e in loaded}


_EMPTY = ProjectGlossary()


def project_glossary(project: "Project") -> ProjectGlossary:
    glossary = project.glossary
    if isinstance(glossary, ProjectGlossary):
        return glossary
    if isinstance(glossary, Glossary):
        wrapped = ProjectGlossary(glossary.entries)
        project.glossary = wrapped
        return wrapped
    return _EMPTY
