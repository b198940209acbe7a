"""The library API: `lint` runs the linter as the command line does and returns a `Result`.

The command line, the pre-commit hook (the command line on the staged files) and the
audit reports all go through `lint`; only option parsing and output stay in `cli.py`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from mlsys_lint.config import ConfigError, Settings, load_settings, settings_from_mapping
from mlsys_lint.files import relative
from mlsys_lint.model import Diagnostic, Severity, Source, Span, plural

if TYPE_CHECKING:
    from mlsys_lint.cache import DocumentCache
    from mlsys_lint.engine import Engine, RunResult
    from mlsys_lint.run_cache import Outcome
    from mlsys_lint.plugin import Rule
    from mlsys_lint.project import Project

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
MAX_FIX_PASSES = 10
"""`fix` lints again after writing and repeats while fixes apply, at most this many times."""


@dataclass
class Result:
    """What one `lint` call found.

    `diagnostics` are in report order (book order, line, column, code) with paths relative
    to the current folder and fingerprints set: ``d.as_dict()`` is the JSON output's entry.
    `exit_code` is 0 (nothing at or above the fail level), 1 (findings) or 2 (a fix could
    not be written; see `errors`).  `files` lists the files checked, `sources` their text
    (by the same relative paths), `projects` the model they were read into (absolute paths).
    `fixed` counts fixes written; `notices` are one-line remarks for the user (fixes left
    over, fixes dropped); `stale_baseline` the baseline entries nothing matched; `caches`
    the parse cache of each project read (hits and misses).  `rendered` counts the
    documents Quarto renders in these projects, `checked` those read and reported on;
    `nested_projects` are Quarto projects inside a folder linted as loose documents.
    """

    diagnostics: list[Diagnostic]
    exit_code: int
    files: list[str] = field(default_factory=list)
    rules: dict[str, "Rule"] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    projects: list["Project"] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    fixed: int = 0
    notices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stale_baseline: list[dict[str, Any]] = field(default_factory=list)
    caches: list["DocumentCache"] = field(default_factory=list)
    rendered: int = 0
    checked: int = 0
    nested_projects: list[str] = field(default_factory=list)
    reused: bool = False
    """Whether the findings came from the run cache (nothing the last such run read had changed)."""

    def located(self) -> list[Diagnostic]:
        """The diagnostics with absolute paths, as the spans of the model in `projects` have them."""
        return [replace(d, span=replace(d.span, path=os.path.abspath(d.span.path))) for d in self.diagnostics]


def lint(
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    config: str | os.PathLike[str] | Mapping[str, Any] | Settings | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    extend_select: Iterable[str] | None = None,
    fail_on: str | Severity | None = None,
    quarto_config: str | os.PathLike[str] | None = None,
    profile: Iterable[str] | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    baseline: str | os.PathLike[str] | None = None,
    text: str | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
    reuse: bool = False,
) -> Result:
    """Lint the projects around `paths` (default: the current folder) and return the findings.

    `config` is a configuration file, a mapping with the keys of ``.mlsys-lint.yml``, or
    `Settings`; without it the file is found from the first path upward.  `select`,
    `ignore`, `extend_select`, `fail_on`, `quarto_config` and `profile` override it as the
    command-line options do.  `fix` writes the safe fixes (and the unsafe ones with
    `unsafe_fixes`) and lints again until nothing changes.  `baseline` names a baseline file
    whose findings are left out.  `text` is the content of the single path in `paths`, read
    instead of the file (an editor's buffer, standard input).  `cache` off skips the parse
    cache; `cache_dir` moves it (as ``--cache-dir``); `jobs` parses in that many processes.
    `progress`, when given, is called with what the run is doing ("parsing 12/38 documents").
    `reuse` says the caller needs the findings only (no `projects`, no `caches`): a check
    (with the cache on, without fixes or `text`) is then answered from the run cache when
    nothing the same check read last time has changed (`mlsys_lint.run_cache`).

    Raises `ConfigError` (bad configuration, paths, selection or glossary source),
    `ProjectError` (a `_quarto.yml` that cannot be read), `PluginError` (an installed rule
    plugin that cannot be loaded), `BaselineError` and `InternalError` (a bug).
    """
    from mlsys_lint.run_cache import SourceFiles, locate

    path_list = [Path(p) for p in paths]
    if text is not None and len(path_list) != 1:
        raise ConfigError("`text` needs exactly one path: the file it stands for")
    if text is not None and fix:
        raise ConfigError("cannot write fixes to text that is not a file")
    settings = resolve_settings(path_list, config, select=select, ignore=ignore, extend_select=extend_select,
                                fail_on=fail_on, quarto_config=quarto_config, profile=profile, remember=cache)
    known = None
    if baseline is not None:
        from mlsys_lint.baseline import load_baseline

        known = load_baseline(baseline)
    folder = Path(cache_dir) if cache_dir is not None else None
    store = locate(path_list, settings, Path.cwd(), folder) if reuse and cache and not fix and text is None else None
    outcome = store.load() if store is not None else None
    if outcome is not None:
        rules: Mapping[str, "Rule"] = SelectedRules(settings)
        run, engine, fixed, errors, failed = None, None, 0, [], set()
    else:
        run, engine, rules, journal = _check(path_list, settings, text, cache, folder, jobs, progress)
        fixed, errors, failed = 0, [], set()
        if fix:
            run, fixed, errors, failed = _fix_passes(engine, run, path_list, unsafe_fixes)
        outcome = _outcome(run, settings, engine)
        if store is not None and journal is not None and not fix:
            store.store(journal, outcome)
    diagnostics = outcome.diagnostics
    notices = (_leftover_fixes(diagnostics, unsafe_fixes, failed) if fix else []) + outcome.notices
    stale: list[dict[str, Any]] = []
    if known is not None:
        diagnostics, stale = _filter_baseline(known, baseline, diagnostics, outcome, set(rules))
    failing = any(d.severity >= settings.fail_on for d in diagnostics)
    exit_code = EXIT_ERROR if errors else EXIT_FINDINGS if failing else EXIT_CLEAN
    sources = ({relative(p, max_up=1): s for p, s in run.sources.items()} if run is not None
               else SourceFiles(sorted({d.span.path for d in diagnostics})))
    return Result(diagnostics, exit_code, files=outcome.files, rules=rules, sources=sources,
                  projects=run.projects if run is not None else [], settings=settings, fixed=fixed,
                  notices=notices, errors=errors, stale_baseline=stale,
                  caches=engine.caches if engine is not None else [], rendered=outcome.rendered,
                  checked=outcome.checked, nested_projects=outcome.nested_projects, reused=run is None)


class SelectedRules(Mapping[str, "Rule"]):
    """The rules `settings` select, worked out when first looked into: a check answered from
    the run cache loads no rule unless its report names rules (SARIF, JUnit, help links)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._rules: dict[str, "Rule"] | None = None

    def _chosen(self) -> dict[str, "Rule"]:
        if self._rules is None:
            from mlsys_lint.registry import load_registry, select_rules, skipped_plugins

            self._rules = select_rules(load_registry(skipped_plugins(self._settings)).rules, self._settings)
        return self._rules

    def __getitem__(self, code: str) -> "Rule":
        return self._chosen()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._chosen())

    def __len__(self) -> int:
        return len(self._chosen())


def _check(paths: list[Path], settings: Settings, text: str | None, cache: bool, cache_dir: Path | None,
           jobs: int | None, progress: Callable[[str], None] | None):
    """Load the rules and run them; also what the run read (`mlsys_lint.observed`), or None
    when a plugin is installed (its rules may read files the journal does not see)."""
    from mlsys_lint import observed
    from mlsys_lint.engine import Engine
    from mlsys_lint.registry import load_registry, select_rules, skipped_plugins

    registry = load_registry(skipped_plugins(settings))
    registry.check_usable()
    rules = select_rules(registry.rules, settings)
    stdin = (str(paths[0]), text) if text is not None else None
    engine = Engine(settings, rules, stdin=stdin, use_cache=cache, jobs=jobs, cache_dir=cache_dir, progress=progress)
    with observed.recording() as journal:
        run = engine.run(paths)
    return run, engine, rules, journal if all(rule.built_in for rule in registry.rules.values()) else None


def _outcome(run: "RunResult", settings: Settings, engine: "Engine") -> "Outcome":
    """What the report needs of a run: prepared findings and the counts around them."""
    from mlsys_lint.run_cache import Outcome

    return Outcome(_prepare(run, settings), [relative(f, max_up=1) for f in run.files], run.rendered, run.checked,
                   [relative(path, max_up=1) for path in run.nested_projects], _dropped_fixes(engine),
                   any(project.targets is not None for project in run.projects))


def read_projects(
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    config: str | os.PathLike[str] | Mapping[str, Any] | Settings | None = None,
    quarto_config: str | os.PathLike[str] | None = None,
    profile: Iterable[str] | None = None,
    text: str | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> list["Project"]:
    """The projects around `paths`, read and parsed as `lint` reads them, without running a rule."""
    from mlsys_lint.engine import Engine

    path_list = [Path(p) for p in paths]
    settings = resolve_settings(path_list, config, quarto_config=quarto_config, profile=profile)
    stdin = (str(path_list[0]), text) if text is not None and path_list else None
    engine = Engine(settings, {}, stdin=stdin, use_cache=cache,
                    cache_dir=Path(cache_dir) if cache_dir is not None else None)
    return engine.projects(path_list)


def resolve_settings(paths: list[Path], config: str | os.PathLike[str] | Mapping[str, Any] | Settings | None = None,
                     *, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
                     extend_select: Iterable[str] | None = None, fail_on: str | Severity | None = None,
                     quarto_config: str | os.PathLike[str] | None = None,
                     profile: Iterable[str] | None = None, remember: bool = False) -> Settings:
    """The settings a run over `paths` uses: `config` (or the file found upward), then the
    overrides; with `remember`, a YAML file read before is answered from the user's cache
    folder (`mlsys_lint.config.read_config_file`)."""
    if isinstance(config, Settings):
        settings = replace(config)
    elif isinstance(config, Mapping):
        settings = settings_from_mapping(dict(config), "configuration")
    else:
        start = paths[0] if paths and paths[0].exists() else Path.cwd()
        settings = load_settings(start.absolute(), Path(config) if config is not None else None, remember)
    if select:
        settings.select = _listed(select)
    if ignore:
        settings.ignore = settings.ignore + _listed(ignore)
    if extend_select:
        settings.extend_select = settings.extend_select + _listed(extend_select)
    if fail_on:
        try:
            settings.fail_on = fail_on if isinstance(fail_on, Severity) else Severity.parse(str(fail_on))
        except KeyError:
            raise ConfigError(f"fail_on: expected error, warning or info, got {fail_on!r}") from None
    if quarto_config:
        settings.quarto_config = str(Path(quarto_config).absolute())
    if profile:
        settings.profile = _listed(profile)
    return settings


def _listed(values: str | Iterable[str]) -> list[str]:
    """One string or several, as a list (``select="XR"`` means ``["XR"]``)."""
    return [values] if isinstance(values, str) else list(values)


# -- fixes ------------------------------------------------------------------------------------


def _fix_passes(engine: "Engine", run: "RunResult", paths: list[Path], unsafe: bool):
    """Write the fixes, lint again, and repeat while fixes apply.

    Returns the last run, how many fixes were written, the errors, and the files that
    could not be fixed.

    A file is fixed only if it still holds the text the findings were computed from, so an
    edit made meanwhile is never overwritten; a file that cannot be fixed is left out of
    the later passes.
    """
    from mlsys_lint.fixes import FixError, apply_fixes, fix_plan

    fixed = 0
    errors: list[str] = []
    failed: set[str] = set()
    for _ in range(MAX_FIX_PASSES):
        applied = 0
        for path, fixes, source in fix_plan(run.diagnostics, run.sources, unsafe):
            if path in failed:
                continue
            shown = relative(path, max_up=1)
            try:
                if source is None:
                    raise FixError(f"{shown}: it was not read in this run; not fixing it")
                outcome = apply_fixes(shown, fixes, source.text)
            except FixError as error:
                errors.append(f"cannot fix {error}")
                failed.add(path)
                continue
            if outcome.written:
                applied += outcome.applied
        if not applied:
            break
        fixed += applied
        run = engine.run(paths)
    return run, fixed, errors, failed


def _leftover_fixes(diagnostics: list[Diagnostic], unsafe: bool, failed: set[str]) -> list[str]:
    """What fixing left undone: unsafe fixes not enabled, and fixes that did not apply
    (those in files that could not be written are reported as errors already)."""
    hidden = sum(1 for d in diagnostics if d.fix is not None and not d.fix.safe and not unsafe)
    left = sum(1 for d in diagnostics if d.fix is not None and (d.fix.safe or unsafe)
               and os.path.abspath(d.fix.path) not in failed)
    notices = []
    if hidden:
        notices.append(f"{plural(hidden, 'unsafe fix', 'unsafe fixes')} not applied; review "
                       f"{'it' if hidden == 1 else 'them'} with --diff --unsafe-fixes and apply with "
                       "--fix --unsafe-fixes")
    if left:
        notices.append(f"{plural(left, 'fix', 'fixes')} could not be applied (conflicting edits, or the text "
                       f"still changed after {MAX_FIX_PASSES} passes)")
    return notices


def _dropped_fixes(engine: "Engine") -> list[str]:
    notices = []
    for code in sorted(engine.dropped_fixes):
        rule = engine.rules[code]
        notices.append(f"rule {code} ({rule.origin or 'unknown origin'}) offered fixes but is not declared "
                       "fixable; its fixes were dropped")
    return notices


# -- paths, fingerprints, baseline ------------------------------------------------------------


def _prepare(run: "RunResult", settings: Settings) -> list[Diagnostic]:
    """The findings with display paths (relative to the current folder), source lines and fingerprints.

    Fingerprints take the path relative to the Quarto project root (for files outside
    any project: the folder of the mlsys-lint configuration, else the current folder),
    so they are the same whichever folder the linter is started from.
    """
    from mlsys_lint.baseline import fingerprint

    roots = sorted({os.path.abspath(project.root) for project in run.projects if project.config_path is not None},
                   key=len, reverse=True)
    fallback = os.path.abspath(settings.folder) if settings.folder is not None else os.getcwd()
    sources = {os.path.abspath(path): source for path, source in run.sources.items()}
    paths: dict[str, tuple[str, str, str]] = {}
    lines: dict[tuple[str, int], str] = {}  # one string per line, shared by its findings (a 2 MB line, 100,000 findings)
    out = []
    for d in run.diagnostics:
        if d.span.path not in paths:
            absolute = os.path.abspath(d.span.path)
            anchor = next((root for root in roots
                           if absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep)), fallback)
            paths[d.span.path] = (absolute, relative(d.span.path, max_up=1), relative(absolute, anchor))
        absolute, shown, anchored = paths[d.span.path]
        key = (absolute, d.span.line)
        if key not in lines:
            source = sources.get(absolute)
            lines[key] = source.line_text(d.span.line) if source is not None and 1 <= d.span.line <= source.line_count else ""
        item = replace(d, span=Span(shown, d.span.line, d.span.column, d.span.end_line, d.span.end_column))
        item.source_line = lines[key]
        item.fingerprint = fingerprint(item, item.source_line, path=anchored)
        out.append(item)
    return out


def _filter_baseline(known, baseline_file, diagnostics: list[Diagnostic], outcome: "Outcome", codes: set[str]):
    """The findings not in the baseline, and its stale entries (paths shown relative to the current folder)."""
    from mlsys_lint.baseline import anchored_view

    base = os.path.dirname(os.path.abspath(baseline_file))
    view = anchored_view(diagnostics, baseline_file)
    targets = None
    if outcome.targeted:
        targets = {relative(os.path.abspath(path), base) for path in outcome.files}
    new, stale = known.filter(view, paths=targets, codes=codes)
    kept = {id(item) for item in new}
    diagnostics = [d for d, item in zip(diagnostics, view) if id(item) in kept]
    for entry in stale:
        entry["path"] = relative(os.path.normpath(os.path.join(base, entry["path"])), max_up=1)
    return diagnostics, stale
