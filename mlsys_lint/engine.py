"""The rule engine: registry, selection, running rules, suppression, ordering.

Data flows one way: paths → `Project`s → rules → `Violation`s → `Diagnostic`s
(code, severity, suppression, per-file ignores, targets) → reporters.  Nothing here
knows what any particular rule checks: rules declare the facts they need
(`mlsys_lint.facts`) and the engine provides those when a selected rule needs them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from mlsys_lint.config import ConfigError, Settings
from mlsys_lint.document import Document, parse
from mlsys_lint.facts import FACTS
from mlsys_lint.files import relative
from mlsys_lint.model import Diagnostic, Source, Span, Suppression
from mlsys_lint.plugin import BUILT_IN, Rule, doc_url
from mlsys_lint.project import (
    Project,
    ProjectIssue,
    build_project,
    find_project_root,
    glob_to_regex,
)
from mlsys_lint.cache import CACHE_DIR_NAME, DocumentCache, decode_document, encode_document
from mlsys_lint.reading import UnreadableFile, decode, read_bytes

ENTRY_POINT_GROUP = "mlsys_lint.rules"
DISTRIBUTION = "mlsys-lint"
"""The distribution whose rules are built in."""
SKIP_PLUGINS_ENV = "MLSYS_LINT_SKIP_PLUGINS"
"""Comma-separated distribution names whose rules are not loaded (like the `skip-plugins` key)."""
TAG_PREFIX = "tag:"
PARALLEL_BYTES = 32 * 1024 * 1024
"""Below this much uncached text a cold run parses in one process (a pool costs more)."""
_LATE_FACTS = frozenset(name for name, fact in FACTS.items() if fact.provide is None)


class InternalError(Exception):
    """A bug: a rule or the engine failed; reported in one line with exit code 2."""


class PluginError(Exception):
    """An installed rule plugin that cannot be used; `check` stops (exit 2) rather than run without it."""


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin entry point that failed to load, or whose rules cannot be registered."""

    distribution: str
    entry_point: str
    error: str

    def __str__(self) -> str:
        return f"plugin `{self.distribution}` (entry point `{self.entry_point}`): {self.error}"


@dataclass
class Registry:
    """Every loaded rule by code, and the plugins that could not be loaded."""

    rules: dict[str, Rule]
    broken: list[BrokenPlugin] = field(default_factory=list)

    def check_usable(self) -> None:
        """Raise `PluginError` naming the first broken plugin (a gate must not run without it)."""
        if self.broken:
            first = self.broken[0]
            more = f" (and {len(self.broken) - 1} more)" if len(self.broken) > 1 else ""
            raise PluginError(f"{first}{more}; uninstall it, or skip it with `skip-plugins: "
                              f"[{first.distribution}]` or {SKIP_PLUGINS_ENV}={first.distribution}")


def normalise_distribution(name: str) -> str:
    """A distribution name compared as pip compares them (``My_Plugin`` = ``my-plugin``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def skipped_plugins(settings: Settings | None = None) -> frozenset[str]:
    """Distributions to skip: the `skip-plugins` setting plus the environment variable."""
    names = [name for name in os.environ.get(SKIP_PLUGINS_ENV, "").split(",") if name.strip()]
    names += settings.skip_plugins if settings is not None else []
    return frozenset(normalise_distribution(name.strip()) for name in names)


@lru_cache(maxsize=8)
def load_registry(skip: frozenset[str] = frozenset()) -> Registry:
    """Load every rule of the ``mlsys_lint.rules`` entry-point group, built-in ones first.

    A plugin that fails to import, exports something that is not a rule, needs a fact that
    does not exist, or reuses a code already registered is recorded as broken (its other
    rules still load); distributions named in `skip` are never imported.
    """
    from importlib.metadata import entry_points

    def distribution(entry) -> str:
        dist = getattr(entry, "dist", None)
        return dist.name if dist is not None else "unknown distribution"

    def order(entry) -> tuple:
        name = normalise_distribution(distribution(entry))
        return (name != DISTRIBUTION, name, entry.name)

    registry = Registry({})
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=order):
        dist = distribution(entry)
        if normalise_distribution(dist) in skip:
            continue
        where = f"{entry.name} = {entry.value}"
        try:
            loaded = entry.load()
        except BaseException as error:  # a broken plugin must not take the linter down
            if isinstance(error, KeyboardInterrupt):
                raise
            reason = (str(error).strip().splitlines() or [""])[0]
            registry.broken.append(BrokenPlugin(dist, where, f"{error.__class__.__name__}: {reason}".rstrip(": ")))
            continue
        origin = BUILT_IN if normalise_distribution(dist) == DISTRIBUTION else dist
        for item in loaded if isinstance(loaded, (list, tuple)) else [loaded]:
            problem = _registration_problem(item, registry.rules)
            if problem:
                registry.broken.append(BrokenPlugin(dist, where, problem))
                continue
            url = item.url or (doc_url(item.code) if origin == BUILT_IN else None)
            registry.rules[item.code] = replace(item, origin=origin, url=url)
    registry.rules = dict(sorted(registry.rules.items()))
    return registry


def _registration_problem(item: Any, rules: dict[str, Rule]) -> str:
    if not isinstance(item, Rule):
        return f"exported {item!r}, which is not a rule made with `mlsys_lint.plugin.rule`"
    if item.code in rules:
        return f"rule code {item.code} is already registered by `{rules[item.code].origin}`"
    unknown = sorted(set(item.needs) - set(FACTS))
    if unknown:
        return (f"rule {item.code} needs {', '.join(f'`{name}`' for name in unknown)}, which mlsys-lint does "
                f"not provide (known: {', '.join(sorted(FACTS))})")
    return ""


def load_rules() -> dict[str, Rule]:
    """Every rule that loaded (plugins named in the environment's skip list left out), by code."""
    return load_registry(skipped_plugins()).rules


def matches(selector: str, rule: Rule) -> bool:
    """Whether a selector picks `rule`: ``ALL``, a code or code prefix, a rule name, or ``tag:NAME``."""
    if selector.startswith(TAG_PREFIX):
        return selector[len(TAG_PREFIX):] in rule.tags
    return selector == "ALL" or rule.code.startswith(selector.upper()) or selector == rule.name


def _check_selectors(selectors: Iterable[str], registry: dict[str, Rule], where: str) -> None:
    for selector in selectors:
        if not any(matches(selector, rule) for rule in registry.values()):
            kind = "tag" if selector.startswith(TAG_PREFIX) else "rule code or name"
            raise ConfigError(f"{where}: unknown {kind} `{selector}`")


def select_rules(registry: dict[str, Rule], settings: Settings) -> dict[str, Rule]:
    """The rules to run: defaults (or `select`), plus `extend-select`, minus `ignore`."""
    _check_selectors(settings.select, registry, "select")
    _check_selectors(settings.extend_select, registry, "extend-select")
    _check_selectors(settings.ignore, registry, "ignore")
    for glob, codes in settings.per_file_ignores.items():
        _check_selectors(codes, registry, f"per-file-ignores `{glob}`")
    for code in list(settings.severity) + list(settings.rules):
        if code not in registry:
            raise ConfigError(f"unknown rule code `{code}` in configuration")
    chosen = {}
    for code, rule in registry.items():
        if settings.select:
            picked = any(matches(s, rule) for s in settings.select)
        else:
            picked = rule.enabled
        picked = picked or any(matches(s, rule) for s in settings.extend_select)
        if picked and not any(matches(s, rule) for s in settings.ignore):
            chosen[code] = rule
    return chosen


def rule_options(rule: Rule, settings: Settings) -> dict[str, Any]:
    """A rule's options: its defaults overridden by the configuration, type-checked."""
    options = rule.default_options()
    known = {option.name: option for option in rule.options}
    for key, value in settings.rules.get(rule.code, {}).items():
        if key not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"rules.{rule.code}: unknown option `{key}` (options: {names})")
        expected = known[key].type
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"rules.{rule.code}.{key}: expected {expected.__name__}, got {value!r}")
        options[key] = value
    return options


# -- planning: which projects, which files ----------------------------------------------


@dataclass
class Plan:
    """One project to build, and which of its files to report on (None: all)."""

    root: Path
    config: Path | None = None
    loose: list[Path] | None = None
    targets: set[str] | None = None
    explicit: list[Path] = field(default_factory=list)


def plan_projects(paths: list[Path], settings: Settings, base: Path, virtual: str | None = None) -> list[Plan]:
    """Group the given paths into projects, as Quarto would see them."""
    plans: dict[tuple[str, str], Plan] = {}
    config_file = Path(settings.quarto_config) if settings.quarto_config else None
    if config_file is not None and not config_file.is_absolute():
        anchor = settings.folder or base
        config_file = anchor / config_file
    if config_file is not None and not config_file.exists():
        raise ConfigError(f"{config_file}: Quarto configuration file not found")

    def plan_for(root: Path, config: Path | None = None) -> Plan:
        key = (str(root), str(config))
        if key not in plans:
            plans[key] = Plan(root, config)
        return plans[key]

    for raw in paths or [base]:
        path = Path(os.path.abspath(raw))
        if not path.exists():
            if str(path) != virtual:
                raise ConfigError(f"{raw}: no such file or directory")
            plan = plan_for(path.parent)
            plan.loose = (plan.loose or []) + [path]
            plan.targets = (plan.targets or set()) | {str(path)}
            continue
        if config_file is not None:
            root = find_project_root(config_file.parent) or config_file.parent
            plan = plan_for(root, config_file)
        else:
            root = find_project_root(path)
            if root is None:
                if path.is_dir():  # its loose documents; projects nested in it are not loaded
                    plan = plan_for(path)
                    plan.loose = (plan.loose or []) + [path]
                    continue
                plan = plan_for(path.parent)
                plan.loose = (plan.loose or []) + [path]
                plan.targets = (plan.targets or set()) | {str(path)}
                continue
            plan = plan_for(root)
        if path.is_file():
            plan.targets = (plan.targets or set()) | {str(path)}
            plan.explicit.append(path)
        elif path != plan.root:
            plan.targets = (plan.targets or set()) | {f"{path}{os.sep}"}
    return list(plans.values())


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
        self.dropped_fixes: set[str] = set()
        """Codes of rules that offered a fix without being declared fixable (the fixes were dropped)."""

    def prefetch(self, paths: list[Path]) -> None:
        """Read every file once, take what the cache has, and parse the rest in worker
        processes when that pays off (a large cold run)."""
        todo: list[tuple[str, bytes]] = []
        total = 0
        self._documents = (0, len(paths))
        for path in paths:
            try:
                data = read_bytes(path)
            except UnreadableFile:
                continue
            if self.cache is not None:
                cached = self.cache.load(str(path), data)
                if cached is not None:
                    self.parsed[str(path)] = cached
                    continue
            self.read_ahead[str(path)] = data
            todo.append((str(path), data))
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
                if self.cache is not None:
                    self.cache.store_encoded(path, data, payload)
                self.parsed[path] = decode_document(payload, path, data)

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
            if prefetched is not None:
                return prefetched
            data = self.read_ahead.pop(key, None)
            asked = data is not None  # prefetch has already looked in the cache
            if data is None:
                data = read_bytes(path)
            if self.cache is not None and not asked:
                cached = self.cache.load(key, data)
                if cached is not None:
                    return cached
            document = parse(decode(data, key))
        except UnreadableFile as reason:
            unreadable.append(ProjectIssue("unreadable", f"cannot read file: {reason}", Span(key, 1, 1, 1, 1)))
            return None
        if self.cache is not None:
            self.cache.store(key, data, document)
        return document

    def cache_folder(self, root: Path) -> Path:
        """Where the parse cache lives: ``--cache-dir``, ``MLSYS_LINT_CACHE_DIR``, the
        ``cache-dir`` setting, or ``.mlsys-lint-cache`` at the project root."""
        if self.cache_dir is not None:
            return self.cache_dir.absolute()
        if os.environ.get("MLSYS_LINT_CACHE_DIR"):
            return Path(os.environ["MLSYS_LINT_CACHE_DIR"]).absolute()
        if self.settings.cache_dir:
            return (self.settings.folder or root) / self.settings.cache_dir
        return root / CACHE_DIR_NAME

    def build(self, plan: Plan) -> Project:
        unreadable: list[ProjectIssue] = []
        self.cache = DocumentCache(self.cache_folder(plan.root)) if self.use_cache else None
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
        self.provide_facts(project)
        return project

    def provide_facts(self, project: Project) -> None:
        """Gather every fact a selected rule needs (`mlsys_lint.facts`), once per project."""
        needed = {name for rule in self.rules.values() for name in rule.needs}
        for name in sorted(needed):
            provide = FACTS[name].provide
            if provide is not None:
                self.progress(f"reading the {name}")
                provide(project, self.settings)

    def projects(self, paths: list[Path]) -> list[Project]:
        """The projects `paths` name, built (files read and parsed), without running rules."""
        virtual = os.path.abspath(self.stdin[0]) if self.stdin is not None else None
        return [self.build(plan) for plan in plan_projects(paths, self.settings, self.base, virtual)]

    def run(self, paths: list[Path]) -> RunResult:
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
