"""Glossary terms in a project: the glossary of its sources, and where its terms are used.

Two facts the GLS rules and ``mlsys-lint audit glossary`` share:

* `load_project_glossary` — the engine calls it once per project (when a GLS rule is
  selected) and attaches the result as ``project.glossary``.  Sources are the globs of
  ``glossary: sources:`` in the mlsys-lint configuration, resolved against the project
  root (the folder of ``_quarto.yml``); a glob that matches nothing there is tried
  against the configuration file's folder, so both spellings work.  Without that
  setting the sources are auto-detected (`mlsys_lint.glossary_files.autodetect_sources`: the
  quarto-glossary file, ``glossary.yml`` files, MLSysBook ``*_glossary.json``) plus the
  project's *glossary chapters*.  A glossary chapter is a rendered file whose name is
  ``glossary`` (``glossary.qmd``, ``99-glossary.qmd``, ``backmatter_glossary.md``) or
  whose first heading is "Glossary", or any ``.qmd``/``.md``/``.Rmd`` file named in
  ``glossary: sources:``.  Its entries are its Pandoc definition-list items (term →
  first definition) or, when it has none, its headings below the title, one per term
  (``## term {#anchor}`` followed by the definition; single-letter headings such as
  ``## A`` are dividers, not terms).
* `term_usage` — every glossary term found in the visible prose of every rendered file,
  in reading order (``unit.walk("prose")`` over ``doc.masked``, so code, math, labels,
  citations, URLs, link targets and attributes other than captions and alt text are
  never searched), with ``{{< glossary >}}`` shortcodes, knitr ``glossary("…")`` calls
  and links to glossary-chapter anchors.  Computed once per project and cached on it.
"""

from __future__ import annotations

import gc
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from mlsys_lint.glossary import Entry, Glossary, GlossaryError
from mlsys_lint.glossary_files import autodetect_sources, load_file
from mlsys_lint.term_matcher import TermMatch
from mlsys_lint.model import Source, Span

if TYPE_CHECKING:
    from mlsys_lint.config import Settings
    from mlsys_lint.document import Document
    from mlsys_lint.project import Project, Unit

_MANUSCRIPT = (".qmd", ".md", ".rmd")
_GLOB_CHARS = re.compile(r"[*?\[]")
_CHAPTER_STEM = re.compile(r"(?:^|[-_. ])glossary$", re.I)
_BAD_ID = re.compile(r"\s*\(#[^()\s]+\)\s*$")  # "## term (#anchor)": an id written with parentheses
_MARKUP = re.compile(r"[*_`$]+")
_DIVIDER = re.compile(r"^\W*[A-Za-z]\W*$|^[A-Za-z]\s*[-\u2013]\s*[A-Za-z]$")
_R_CALL = re.compile(r"`r[ \t]+glossary\(\s*([\"'])((?:(?!\1).)*)\1([^`]*)\)\s*`")
_R_DEF = re.compile(r"\bdef\s*=")


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
    quarto-glossary reads and its lower-cased keys (None when there is none).
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

    Raises `GlossaryError` (``path:line: message``) for a source that is missing, cannot
    be read or is malformed, and for a configured glob that matches no file.
    """
    root = Path(project.root)
    configured = settings.glossary_sources is not None
    paths: list[Path] = []
    if configured:
        folder = settings.folder
        for pattern in settings.glossary_sources or []:
            paths.extend(_resolve(pattern, root, folder))
    else:
        paths = [root / rel for rel in autodetect_sources(root) if not _in_subproject(root, rel)]
    seen: set[str] = set()
    entries: list[Entry] = []
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
        loaded = load_file(path)
        entries.extend(loaded)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):  # load_file has read it already
            text = ""
        files[key] = Source(key, text.replace("\r\n", "\n"))
    if not configured:
        for unit in project.units:
            if unit.path not in seen and _is_glossary_chapter(unit.document):
                chapter_files.append(unit.path)
                seen.add(unit.path)
    chapter_entries: list[Entry] = []
    spans: dict[tuple[str, int], Span] = {}
    anchors: dict[str, dict[str, Entry | None]] = {}
    bad_ids: dict[str, dict[str, int]] = {}
    for path in chapter_files:
        doc = project.documents.get(path) or _parse_file(path)
        misplaced: dict[str, int] = {}
        found, ids = _chapter_entries(doc, spans, misplaced)
        chapter_entries.extend(found)
        anchors[path] = ids
        if misplaced:
            bad_ids[path] = misplaced
    glossary = ProjectGlossary(entries + chapter_entries)
    glossary.files = files
    glossary.sources = [str(p) for p in paths]
    glossary.chapters = chapter_files
    glossary.anchors = anchors
    glossary.misplaced_ids = bad_ids
    glossary._spans = spans
    for path, source in files.items():
        chapter = _chapter_for(path, source.text, project)
        if chapter is not None:
            glossary.chapter_of[path] = chapter
    _quarto_glossary(project, glossary)
    return glossary


def _resolve(pattern: str, root: Path, folder: Path | None) -> list[Path]:
    bases = [root] + ([folder] if folder is not None and Path(folder).resolve() != root.resolve() else [])
    if os.path.isabs(pattern):
        bases = [Path("/")]
    for base in bases:
        if _GLOB_CHARS.search(pattern):
            rel = pattern.lstrip("/") if base == Path("/") else pattern
            found = sorted(p for p in base.glob(rel) if p.is_file() and "/." not in "/" + str(p.relative_to(base)))
            if found:
                return found
        else:
            path = base / pattern
            if path.is_file():
                return [path]
            if path.exists():
                raise GlossaryError("glossary source is not a file", str(path))
    if _GLOB_CHARS.search(pattern):
        raise GlossaryError("glossary source pattern matches no file (relative to the project root)", pattern)
    raise GlossaryError("glossary source not found", str(root / pattern))


def _in_subproject(root: Path, rel: str) -> bool:
    """Whether `rel` lies in a folder below `root` that is a Quarto project of its own."""
    folder = (root / rel).parent
    while folder != root and root in folder.parents:
        if (folder / "_quarto.yml").exists() or (folder / "_quarto.yaml").exists():
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


def _is_glossary_chapter(doc: "Document") -> bool:
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


def _quarto_glossary(project: "Project", glossary: ProjectGlossary) -> None:
    """Find the file quarto-glossary reads (``glossary: path:``, default ``glossary.yml``)."""
    config = project.config.get("glossary") if isinstance(project.config, dict) else None
    rel = config.get("path") if isinstance(config, dict) and isinstance(config.get("path"), str) else None
    path = Path(project.root) / (rel or "glossary.yml")
    if not path.is_file():
        return
    key = os.path.normpath(str(path))
    loaded = [e for e in glossary.entries if e.path == key]
    if key not in glossary.files:
        loaded = load_file(path)
    glossary.quarto_path = key
    glossary.quarto_keys = {e.term.lower() for e in loaded}


# --------------------------------------------------------------------------------------
# Where terms are used
# --------------------------------------------------------------------------------------

OrderKey = tuple


@dataclass(slots=True)
class Occurrence:
    """A glossary term found in visible prose (`kind` is the prose kind)."""

    key: OrderKey
    unit: "Unit"
    doc: "Document"
    kind: str
    match: TermMatch
    bold: bool = False
    in_glossary: bool = False

    @property
    def entry(self) -> Entry:
        return self.match.entry

    @property
    def start(self) -> int:
        return self.match.start

    @property
    def end(self) -> int:
        return self.match.end

    @property
    def span(self) -> Span:
        return self.doc.source.span(self.match.start, self.match.end)


@dataclass
class GlossaryRef:
    """A reference to a glossary entry by name: a ``{{< glossary X >}}`` shortcode
    (`form` "shortcode"), a knitr ``glossary("X")`` call ("r") or a link to an anchor of
    a glossary chapter ("link"; `name` is the anchor, `target` the chapter's path)."""

    key: OrderKey
    unit: "Unit"
    doc: "Document"
    form: str
    name: str
    start: int
    end: int
    entry: Entry | None = None
    own_definition: bool = False
    target: str | None = None
    in_glossary: bool = False
    table: bool = False
    text: str = ""
    anchor_exists: bool = False

    @property
    def span(self) -> Span:
        return self.doc.source.span(self.start, self.end)


@dataclass
class TermUsage:
    """Every use of the project's glossary, in reading order."""

    glossary: ProjectGlossary
    occurrences: list[Occurrence] = field(default_factory=list)
    refs: list[GlossaryRef] = field(default_factory=list)
    by_entry: dict[int, list[Occurrence]] = field(default_factory=dict)

    def uses(self, entry: Entry) -> list[Occurrence]:
        """The occurrences of `entry` in reading order (glossary chapters included)."""
        return self.by_entry.get(id(entry), [])


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


def term_usage(project: "Project") -> TermUsage:
    """The `TermUsage` of `project`, computed on first use and kept on the project."""
    cached = project.term_index
    glossary = project_glossary(project)
    if cached is not None and cached.glossary is glossary:
        return cached
    # Hundreds of thousands of small objects: the cyclic garbage collector would rescan the
    # whole model again and again (they hold no cycles worth collecting meanwhile).
    enabled = gc.isenabled()
    gc.disable()
    try:
        usage = _compute(project, glossary)
    finally:
        if enabled:
            gc.enable()
    project.term_index = usage
    return usage


def _doc_resolver(unit: "Unit"):
    cache: dict[tuple[int, ...], Any] = {(): unit.document}

    def resolve(prefix: tuple[int, ...]):
        found = cache.get(prefix)
        if found is None:
            parent = resolve(prefix[:-1])
            for include in parent.includes:
                if include.start == prefix[-1] and getattr(include, "resolved", None) is not None:
                    found = include.resolved
                    break
            cache[prefix] = found = found or parent
        return found

    return resolve


def _compute(project: "Project", glossary: ProjectGlossary) -> TermUsage:
    usage = TermUsage(glossary)
    chapters = set(glossary.chapters)
    matcher = glossary.matcher() if glossary else None
    occurrences = usage.occurrences
    refs = usage.refs
    for unit in project.all_units:
        resolve = _doc_resolver(unit)
        for key, prose in unit.walk("prose"):
            prefix = key[2][:-1]
            doc = resolve(prefix)
            in_glossary = doc.path in chapters or unit.path in chapters
            masked = doc.masked
            if matcher is not None:
                heading = prose.kind in ("heading", "definition-term")
                for m in matcher.find(masked, prose.start, prose.end, heading=heading):
                    bold = masked[m.start - 2 : m.start] == "**" and masked[m.end : m.end + 2] == "**"
                    occurrences.append(Occurrence((key[0], key[1], prefix + (m.start,)), unit, doc, prose.kind, m,
                                                  bold, in_glossary))
            text = doc.source.text
            if text.find("glossary(", prose.start, prose.end) != -1:
                for call in _R_CALL.finditer(text, prose.start, prose.end):
                    rest = call.group(3)
                    name = call.group(2)
                    refs.append(GlossaryRef((key[0], key[1], prefix + (call.start(),)), unit, doc, "r", name,
                                            call.start(), call.end(), glossary.lookup(name),
                                            own_definition=bool(_R_DEF.search(rest)), in_glossary=in_glossary,
                                            text=call.group()))
        for key, shortcode in unit.walk("shortcodes"):
            if shortcode.name != "glossary" or shortcode.in_code:
                continue
            doc = resolve(key[2][:-1])
            name = " ".join(shortcode.args[0].split()) if shortcode.args else ""
            table = not shortcode.args and "table" in shortcode.kwargs
            refs.append(GlossaryRef(key, unit, doc, "shortcode", name, shortcode.start, shortcode.end,
                                    glossary.lookup(name) if name else None,
                                    own_definition="def" in shortcode.kwargs,
                                    in_glossary=doc.path in chapters or unit.path in chapters, table=table,
                                    text=doc.source.text[shortcode.start : shortcode.end]))
        if glossary.anchors:
            for key, link in unit.walk("links"):
                doc = resolve(key[2][:-1])
                ref = _anchor_ref(key, unit, doc, link, glossary, chapters)
                if ref is not None:
                    refs.append(ref)
    occurrences.sort(key=lambda o: o.key)
    refs.sort(key=lambda r: r.key)
    for occurrence in occurrences:
        usage.by_entry.setdefault(id(occurrence.entry), []).append(occurrence)
    return usage


def _anchor_ref(key, unit, doc, link, glossary: ProjectGlossary, chapters: set[str]) -> GlossaryRef | None:
    start, end, destination = link
    target, _, anchor = destination.partition("#")
    if not anchor or "://" in target or target.startswith("mailto:"):
        return None
    if not target:
        path = doc.path if doc.path in glossary.anchors else None
    else:
        resolved = os.path.normpath(os.path.join(os.path.dirname(doc.path), target.split("?")[0]))
        stem = os.path.splitext(resolved)[0]
        path = next((p for p in glossary.anchors if os.path.splitext(p)[0] == stem), None)
    if path is None:
        return None
    ids = glossary.anchors[path]
    return GlossaryRef(key, unit, doc, "link", anchor, start, end, ids.get(anchor), target=path,
                       in_glossary=doc.path in chapters or unit.path in chapters,
                       anchor_exists=anchor in ids, text=doc.source.text[start:end])
