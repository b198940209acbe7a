"""The rule engine: planning projects, running the selected rules, suppression, ordering.

Data flows one way: paths → `Project`s → rules → `Violation`s → `Diagnostic`s
(code, severity, suppression, per-file ignores, targets) → reporters.  Nothing here
knows what any particular rule checks: rules declare the facts they need
(`mlsys_lint.facts`) and the engine provides those when a selected rule needs them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mlsys_lint import collector, observed
from mlsys_lint.cache import DocumentCache, decode_document, encode_document
from mlsys_lint.config import ConfigError, Settings
from mlsys_lint.document import Document, parse
from mlsys_lint.elements import Suppression
from mlsys_lint.facts import FACTS
from mlsys_lint.files import relative
from mlsys_lint.model import Diagnostic, Source, Span
from mlsys_lint.planning import Plan, cache_folder, plan_projects
from mlsys_lint.plugin import Rule
from mlsys_lint.project import (
    Project,
    ProjectIssue,
    Unit,
    build_project,
    glob_to_regex,
)
from mlsys_lint.reading import UnreadableFile, decode, read_bytes
from mlsys_lint.registry import matches, rule_options

PARALLEL_BYTES = 32 * 1024 * 1024
"""Below this much uncached text a cold run parses in one process (a pool costs more)."""
_LATE_FACTS = frozenset(name for name, fact in FACTS.items() if fact.provide is None)


class InternalError(Exception):
    """A bug: a rule or the engine failed; reported in one line with exit code 2."""


# -- running ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    """The outcome of a run, before formatting."""

    diagnostics: list[Diagnostic]
    files: list[str]
    projects: list[Project]
    rules: dict[str, Rule]
    sources: dict[str, Source]
    rendered: int = 0
    """Documents Quarto renders in these projects (or loose documents found)."""
    checked: int = 0
    """Of those, the documents read and reported on."""
    nested_projects: list[Path] = field(default_factory=list)
    """Quarto projects inside a folder linted as loose documents, not loaded."""


@dataclass
class KeptFact:
    """A fact's value, what of the project it was gathered from, and the files it read."""

    value: Any
    inputs: Any
    journal: list[list[Any]]
    sources: dict[str, Source]


class Engine:
    """Runs selected rules over the projects that a list of paths names."""

    def __init__(self, settings: Settings, rules: dict[str, Rule], base: Path | None = None,
                 stdin: tuple[str, str] | None = None, use_cache: bool = False, jobs: int | None = None,
                 cache_dir: Path | None = None, progress: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.progress = progress or (lambda _phase: None)
        """Told what the run is doing ("parsing 12/38 documents", "checking XR001 …"), for a terminal."""
        self._documents = (0, 0)
        """Documents parsed so far, and how many the project renders (for `progress`)."""
        self.rules = rules
        self.base = base or Path.cwd()
        self.stdin = stdin
        self.use_cache = use_cache
        self.cache_read_only = False
        """With `use_cache`, read the cache but never write it (a long-lived engine's edits)."""
        self.cache_dir = cache_dir
        self.jobs = jobs
        self.read_ahead: dict[str, bytes] = {}
        """Bytes `prefetch` read, so `load_document` need not read them again."""
        self.parsed: dict[str, Document] = {}
        """Documents `prefetch` got ready (from the cache or the pool; both already cached)."""
        self.cache: DocumentCache | None = None
        self.caches: list[DocumentCache] = []
        """The parse cache of each project built so far (for ``--verbose``)."""
        self.options = {code: rule_options(rule, settings) for code, rule in rules.items()}
        self.overlays: dict[str, str] = {}
        """Texts that stand for files (an editor's unsaved buffers), by absolute path."""
        self.known: dict[str, tuple[bytes, Document]] | None = None
        """Documents this process parsed before, reused while their bytes are the same (a
        long-lived engine, such as the language server's, sets it to a dict)."""
        self.kept_facts: dict[str, KeptFact] | None = None
        """Facts gathered before, by name, kept while what they read is unchanged (a long-lived
        engine sets it to a dict; see `Fact.inputs`)."""
        self.memo: dict[Any, Any] | None = None
        """Facts of one file computed in this process, given to each project built (`Project.memo`)."""
        self.dropped_fixes: set[str] = set()
        """Codes of rules that offered a fix without being declared fixable (the fixes were dropped)."""

    def prefetch(self, paths: list[Path]) -> None:
        """Read every file once, take what the cache has, and parse the rest in worker
        processes when that pays off (a large cold run)."""
        todo: list[tuple[str, bytes]] = []
        total = 0
        self._documents = (0, len(paths))
        for path in paths:
            key = str(path)
            if key in self.overlays:  # an editor's buffer stands for the file
                continue
            try:
                data = read_bytes(path)
            except UnreadableFile:
                continue
            if self._kept(key, data) is not None:
                self.read_ahead[key] = data  # `load_document` finds the kept document by its bytes
                continue
            if self.cache is not None:
                cached = self.cache.load(key, data)
                if cached is not None:
                    self.parsed[key] = self._keep(key, data, cached)
                    continue
            self.read_ahead[key] = data
            todo.append((key, data))
            total += len(data)
        jobs = self.jobs or (min(os.cpu_count() or 1, 4) if total >= PARALLEL_BYTES else 1)
        if jobs < 2 or len(todo) < 2:
            return
        from concurrent.futures import ProcessPoolExecutor

        chunk = max(1, len(todo) // (jobs * 4))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for (path, data), payload in zip(todo, pool.map(_parse_data, todo, chunksize=chunk)):
                if payload is None:
                    continue
                document = decode_document(payload, path, data)
                if self.cache is not None:
                    self.cache.store_encoded(path, data, payload, document.source.text)
                self.parsed[path] = self._keep(path, data, document)
                del self.read_ahead[path]  # parsed: its bytes are no longer needed

    def _kept(self, key: str, data: bytes) -> Document | None:
        """The document a long-lived engine made from these very bytes before (`known`)."""
        seen = self.known.get(key) if self.known is not None else None
        return seen[1] if seen is not None and seen[0] == data else None

    def _keep(self, key: str, data: bytes, document: Document) -> Document:
        if self.known is not None:
            self.known[key] = (data, document)
        return document

    def load_document(self, path: Path, unreadable: list[ProjectIssue]) -> Document | None:
        """Read and parse one file (or take it from the cache); unreadable → an `unreadable` issue."""
        key = str(path)
        done, expected = self._documents
        self._documents = (done + 1, max(expected, done + 1))
        self.progress(f"parsing {done + 1}/{self._documents[1]} documents")
        try:
            if self.stdin is not None and os.path.abspath(self.stdin[0]) == key:
                return parse(decode(self.stdin[1].encode("utf-8"), key))
            prefetched = self.parsed.pop(key, None)
            if prefetched is not None and key not in self.overlays:
                return prefetched
            data = self.read_ahead.pop(key, None)
            asked = data is not None  # prefetch has already looked in the cache
            if key in self.overlays:
                data, asked = self.overlays[key].encode("utf-8", "surrogatepass"), True
            elif data is None:
                data = read_bytes(path)
            seen = self._kept(key, data)
            if seen is not None:
                return seen
            if self.cache is not None and not asked:
                cached = self.cache.load(key, data)
                if cached is not None:
                    return self._keep(key, data, cached)
            document = self._keep(key, data, parse(decode(data, key)))
        except UnreadableFile as reason:
            unreadable.append(ProjectIssue("unreadable", f"cannot read file: {reason}", Span(key, 1, 1, 1, 1)))
            return None
        if self.cache is not None:
            self.cache.store(key, data, document)
        return document

    def cache_folder(self, root: Path) -> Path:
        """Where the parse cache of the project at `root` lives (`planning.cache_folder`)."""
        return cache_folder(root, self.settings, self.cache_dir)

    def build(self, plan: Plan) -> Project:
        unreadable: list[ProjectIssue] = []
        self.cache = DocumentCache(self.cache_folder(plan.root), self.cache_read_only) if self.use_cache else None
        if self.cache is not None:
            self.caches.append(self.cache)
        project = build_project(
            plan.root,
            load_document=lambda p: self.load_document(p, unreadable),
            config_path=plan.config,
            profiles=self.settings.profile,
            loose_files=plan.loose,
            targets=plan.targets,
            prefetch=self.prefetch,
        )
        missing = [p for p in plan.explicit if str(p) not in project.documents
                   and p.suffix.lower() in (".qmd", ".md", ".rmd")]
        if missing:
            extra = build_project(plan.root, load_document=lambda p: self.load_document(p, unreadable),
                                  loose_files=missing, targets={str(p) for p in missing})
            for unit in extra.units:
                unit.index = len(project.units) + unit.index
            project.loose_units = extra.units
            project.documents.update(extra.documents)
            project.issues.extend(extra.issues)
        project.issues.extend(unreadable)
        project.cache = self.cache
        project.memo = self.memo
        if self.memo is not None:
            project.units = [_kept_unit(project, unit) for unit in project.units]
            project.loose_units = [_kept_unit(project, unit) for unit in project.loose_units]
        self.provide_facts(project)
        return project

    def provide_facts(self, project: Project) -> None:
        """Gather every fact a selected rule needs (`mlsys_lint.facts`), once per project; with
        `kept_facts`, take one gathered before while its inputs are unchanged."""
        needed = {name for rule in self.rules.values() for name in rule.needs}
        for name in sorted(needed):
            fact = FACTS[name]
            if fact.provide is None:
                continue
            self.progress(f"reading the {name}")
            if self.kept_facts is None or fact.inputs is None:
                fact.provide(project, self.settings)
                continue
            held = self.kept_facts.get(name)
            if held is not None and fact.inputs(project, held.value) == held.inputs and observed.unchanged(held.journal):
                setattr(project, fact.attribute, held.value)
                project.data_sources.update(held.sources)
                continue
            before = set(project.data_sources)
            with observed.recording() as journal:
                fact.provide(project, self.settings)
            value = getattr(project, fact.attribute)
            self.kept_facts[name] = KeptFact(value, fact.inputs(project, value), observed.as_data(journal),
                                             {path: source for path, source in project.data_sources.items()
                                              if path not in before})

    def projects(self, paths: list[Path]) -> list[Project]:
        """The projects `paths` name, built (files read and parsed), without running rules."""
        virtual = os.path.abspath(self.stdin[0]) if self.stdin is not None else None
        return [self.build(plan) for plan in plan_projects(paths, self.settings, self.base, virtual)]

    def run(self, paths: list[Path]) -> RunResult:
        """Build the projects `paths` name and check them, with the garbage collector paused
        (`mlsys_lint.collector`: at ten times the MLSysBook it spent 2.1 s of 24 s rescanning
        a heap that only grows; the pause costs 1–4 MB)."""
        with collector.paused():
            return self._run(paths)

    def _run(self, paths: list[Path]) -> RunResult:
        projects = self.projects(paths)
        diagnostics: list[Diagnostic] = []
        files: list[str] = []
        sources: dict[str, Source] = {}
        for project in projects:
            found = self.check(project)
            diagnostics.extend(found)
            order = project.file_order()
            for path in sorted(project.documents, key=lambda p: order.get(p, 0)):
                if project.is_target(path):
                    files.append(path)
            for doc in project.documents.values():
                sources[doc.path] = doc.source
            for path, source in project.data_sources.items():
                sources.setdefault(path, source)
            if project.config_source is not None:
                sources[project.config_source.path] = project.config_source
        for cache in self.caches:
            cache.sweep()
        return RunResult(diagnostics, files, projects, self.rules, sources,
                         rendered=sum(len(project.rendered) for project in projects),
                         checked=sum(1 for project in projects for unit in project.all_units
                                     if project.is_target(unit.path)),
                         nested_projects=[path for project in projects for path in project.nested_projects])

    def check(self, project: Project) -> list[Diagnostic]:
        """Run every selected rule on one project; suppress, filter and order the findings.

        Rules that need a fact the engine computes from the others' findings (unused
        suppressions) run last, on the findings left after suppression.
        """
        first = {code: rule for code, rule in self.rules.items() if not _LATE_FACTS & set(rule.needs)}
        kept, unused = self.suppress(project, self._findings(project, first))
        if len(first) < len(self.rules):
            project.unused_suppressions = [s for s in unused if project.is_target(s.source.path)]
            late = {code: rule for code, rule in self.rules.items() if code not in first}
            kept += self._findings(project, late)
        order = project.file_order()
        kept.sort(key=lambda d: d.sort_key(order))
        return _dedupe(kept)

    def _findings(self, project: Project, rules: dict[str, Rule]) -> list[Diagnostic]:
        """Run `rules`; keep the findings in target files that no per-file ignore drops."""
        found: list[Diagnostic] = []
        for code, rule in rules.items():
            self.progress(f"checking {code} {rule.name}")
            try:
                violations = list(rule.check(project, self.options[code]))
            except (ConfigError, InternalError):
                raise
            except Exception as error:
                raise InternalError(f"rule {code} ({rule.name}) failed on {project.root}: "
                                    f"{error.__class__.__name__}: {error}") from error
            configured = self.settings.severity.get(code)
            for violation in violations:
                severity = configured or violation.severity or rule.severity
                fix = violation.fix
                if fix is not None and not rule.fixable:
                    self.dropped_fixes.add(code)
                    fix = None
                found.append(Diagnostic(code, rule.name, severity, violation.span, violation.message,
                                        violation.subject, fix, related=violation.related))
        return [d for d in found if project.is_target(d.span.path) and not self._file_ignored(project, d)]

    def _file_ignored(self, project: Project, diagnostic: Diagnostic) -> bool:
        settings = self.settings
        if not settings.per_file_ignores and not settings.exclude:
            return False
        rel = relative(diagnostic.span.path, project.root)
        if any(glob_to_regex(glob).match(rel) for glob in settings.exclude):
            return True
        for glob, selectors in settings.per_file_ignores.items():
            if glob_to_regex(glob).match(rel) and any(matches(s, self.rules[diagnostic.code]) if diagnostic.code in
                                                  self.rules else s == diagnostic.code for s in selectors):
                return True
        return False

    def suppress(self, project: Project, diagnostics: list[Diagnostic]) -> tuple[list[Diagnostic], list[Suppression]]:
        """Drop findings silenced by inline comments; return the suppressions that did nothing."""
        by_path: dict[str, list[Suppression]] = {}
        for doc in project.documents.values():
            if doc.suppressions:
                by_path[doc.path] = _effective_suppressions(doc)
        used: set[int] = set()
        kept = []
        for diagnostic in diagnostics:
            hit = None
            for suppression in by_path.get(diagnostic.span.path, ()):
                if (suppression.first_line <= diagnostic.span.line <= suppression.last_line
                        and self._codes_match(suppression.codes, diagnostic.code)):
                    hit = suppression
                    break
            if hit is None:
                kept.append(diagnostic)
            else:
                used.add(id(hit))
        unused = []
        for suppressions in by_path.values():
            for suppression in suppressions:
                if id(suppression) in used or suppression.action == "enable":
                    continue
                if suppression.codes and not any(self._codes_match((c,), code) for c in suppression.codes
                                                 for code in self.rules):
                    continue
                unused.append(suppression)
        return kept, unused

    def _codes_match(self, codes: tuple[str, ...], code: str) -> bool:
        if not codes:
            return True
        rule = self.rules.get(code)
        return any(code.startswith(c.upper()) or (rule is not None and c == rule.name) for c in codes)


def _kept_unit(project: Project, unit: Unit) -> Unit:
    """The unit object of the last build when it stands at the same place with the very same
    documents, so that what a long-lived engine keeps per unit (`Project.remember`) stays
    valid and points at the project's own units."""
    key = ("unit", unit.path, unit.index, unit.appendix, unit.part, unit.chapter,
           tuple(prefix for prefix, _ in unit.included))
    return project.remember(key, tuple(unit.documents), lambda: unit)


def _parse_data(item: tuple[str, bytes]) -> bytes | None:
    """Worker: parse one file's bytes into an encoded document (None when undecodable, the
    parent then reports why, or when the document cannot be encoded, the parent then parses)."""
    path, data = item
    try:
        return encode_document(parse(decode(data, path)))
    except UnreadableFile:
        return None


def _effective_suppressions(doc: Document) -> list[Suppression]:
    """Turn comment directives into line ranges (``disable``…``enable`` pairs become regions)."""
    source = doc.source
    result: list[Suppression] = []
    open_regions: list[Suppression] = []
    for item in sorted(doc.suppressions, key=lambda s: s.start):
        if item.action == "disable-next-line":
            line = item.last_line + 1
            while line <= source.line_count and not source.line_text(line).strip():
                line += 1
            result.append(Suppression(item.action, item.codes, line, line, item.start, item.end, source))
        elif item.action == "disable-line":
            result.append(item)
        elif item.action == "disable-file":
            result.append(Suppression(item.action, item.codes, 1, source.line_count, item.start, item.end, source))
        elif item.action == "disable":
            open_regions.append(item)
        elif item.action == "enable":
            for region in reversed(open_regions):
                if not item.codes or set(item.codes) & set(region.codes) or not region.codes:
                    open_regions.remove(region)
                    result.append(Suppression("disable", region.codes, region.first_line, item.last_line,
                                              region.start, region.end, source))
                    break
        else:
            result.append(item)
    for region in open_regions:
        result.append(Suppression("disable", region.codes, region.first_line, source.line_count, region.start,
                                  region.end, source))
    return result


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen = set()
    unique = []
    for diagnostic in diagnostics:
        key = (diagnostic.code, diagnostic.span, diagnostic.message)
        if key in seen:
            continue
        seen.add(key)
        unique.append(diagnostic)
    return unique
