"""Command line: click options → `mlsys_lint.lint` → reporter → exit code.

Exit codes: 0 no finding at or above the fail level, 1 findings, 2 usage,
configuration or I/O error, or an internal error (one line; ``--debug`` for the
traceback).  ``--exit-zero`` turns 1 into 0, never 2 into 0.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from mlsys_lint import __version__
from mlsys_lint.config import ConfigError
from mlsys_lint.files import relative
from mlsys_lint.model import plural

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

_kept_until_exit: list[Any] | None = None
"""Set by `run`, when the process ends as its command returns: what each check made, kept
so that none of it is freed object by object before the end."""


class UsageFailure(Exception):
    """A problem with how the linter was called or configured (exit 2)."""


def _codes(values: tuple[str, ...] | None) -> list[str]:
    return [code.strip() for value in values or () for code in value.split(",") if code.strip()]


class DefaultGroup(click.Group):
    """A group that runs `check` when the first word is not a command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"mlsys-lint, version {__version__}")
    _plugins_for_information(built_in=False)
    ctx.exit()


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and exit.")
def main() -> None:
    """Lint Quarto manuscripts: cross-references, figures, captions, footnotes, glossary terms."""


def run() -> None:
    """The ``mlsys-lint`` command and ``python -m mlsys_lint``: `main`, then the process ends
    at once (`os._exit`, as mypy does), without freeing what the run made object by object.

    A run's model of a book is hundreds of thousands of objects (chapters, prose runs,
    term occurrences); tearing them down one at a time took 22-29 ms of a pre-commit run on
    the MLSysBook-sized benchmark book (3-4%), for a process about to end.  Standard output
    and error are flushed first; every file a run writes is closed before its command
    returns.  A program that calls `main` itself (click's test runner, a script) exits as usual."""
    global _kept_until_exit
    _kept_until_exit = []
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # started with the descriptor closed: the output has nowhere to go
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    try:
        main()
        status = EXIT_CLEAN
    except SystemExit as stop:
        status = _exit_status(stop.code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone away (a closed pipe), a stream closed
            pass
    os._exit(status)


def _exit_status(code: Any) -> int:
    """The process status `sys.exit(code)` gives (None: 0; a message: printed, then 1)."""
    if code is None:
        return EXIT_CLEAN
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except (OSError, ValueError):
        pass
    return 1


def _project_options(function):
    function = click.option("--quarto-config", type=click.Path(dir_okay=False), help="Quarto config file to use instead of _quarto.yml.")(function)
    function = click.option("--profile", multiple=True, help="Quarto profile(s) to activate (as quarto --profile).")(function)
    function = click.option("--config", "config_file", type=click.Path(dir_okay=False), help="mlsys-lint configuration file.")(function)
    return function


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Rules to run (codes, prefixes, names or tag:NAME; comma-separated).")
@click.option("--ignore", multiple=True, help="Rules to skip.")
@click.option("--extend-select", multiple=True, help="Rules to add to the selection.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), help="Lowest severity that fails (default warning).")
@click.option("--format", "output_format", type=click.Choice(["full", "concise", "grouped", "json", "sarif", "github", "junit"]),
              help="Output format (default: full on a terminal, concise otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--statistics", is_flag=True, help="Show counts per rule instead of each finding (text formats and json).")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place (repeats until nothing changes).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, include fixes that may change meaning.")
@click.option("--diff", is_flag=True, help="Show the fixes as a diff without writing.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when --fix changed a file.")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Report only findings not in this baseline.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), help="Record current findings as the baseline.")
@click.option("--add-suppressions", is_flag=True,
              help="Write a suppression comment for each current finding (where a comment cannot change the text).")
@_project_options
@click.option("--no-cache", is_flag=True, help="Do not read or write the per-file parse cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Folder of the parse cache (default: .mlsys-lint-cache at the project root).")
@click.option("-v", "--verbose", is_flag=True, help="Say how the run went: files, cache hits and misses.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Parse files in N processes.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but the findings.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", help="Colour output.")
@click.option("--stdin-filename", help="Name of the file read from standard input (with the path -).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.option("--list-files", is_flag=True, help="List the documents in reading order with their namespace, and exit.")
@click.option("--watch", is_flag=True, help="Check again on every change and print only the findings that changed.")
def check(paths: tuple[str, ...], **options: Any) -> None:
    """Lint the project around PATHS (default: the current folder)."""
    action = _watch if options.get("watch") else _check
    sys.exit(_guard(lambda: action(list(paths), options), options.get("debug", False)))


def _watch(paths: list[str], options: dict[str, Any]) -> int:
    """``--watch``: run, then rerun on every change (`mlsys_lint.watch`) until Ctrl-C."""
    if "-" in paths or any(options.get(name) for name in ("fix", "diff", "write_baseline", "add_suppressions",
                                                          "list_files", "output")):
        raise UsageFailure("--watch only checks and prints; it takes no fix, diff, baseline, output file or stdin")
    try:
        from mlsys_lint.watch import watch
    except ImportError:
        raise UsageFailure("--watch needs watchfiles: pip install 'mlsys-lint[lsp]'") from None
    from mlsys_lint.api import lint

    roots: list[Path] = []

    def run():
        result = lint(paths, config=options.get("config_file"), select=_codes(options.get("select")),
                      ignore=_codes(options.get("ignore")), extend_select=_codes(options.get("extend_select")),
                      quarto_config=options.get("quarto_config"), profile=_codes(options.get("profile")),
                      baseline=options.get("baseline"), cache=not options.get("no_cache"),
                      cache_dir=options.get("cache_dir"))
        roots[:] = [project.root for project in result.projects] or [Path(p) for p in paths or ["."]]
        return result.diagnostics

    try:
        watch(roots, run, click.echo, lambda text: click.echo(f"mlsys-lint: {text}", err=True))
    except KeyboardInterrupt:
        return EXIT_CLEAN
    return EXIT_CLEAN


_USER_ERRORS = (("mlsys_lint.project", "ProjectError"), ("mlsys_lint.registry", "PluginError"),
                ("mlsys_lint.baseline", "BaselineError"))
"""Errors that are the user's to fix (one line, exit 2), by module: a module that was never
imported raised none of them, and a run answered from the cache imports few."""


def _raised(error: BaseException, module: str, name: str) -> bool:
    kind = getattr(sys.modules.get(module), name, None)
    return kind is not None and isinstance(error, kind)


def _guard(action, debug: bool) -> int:
    try:
        return action()
    except (UsageFailure, ConfigError) as error:
        click.echo(f"mlsys-lint: error: {error}", err=True)
        return EXIT_ERROR
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("mlsys-lint: interrupted", err=True)
        return EXIT_ERROR
    except Exception as error:  # never a bare traceback for users
        if any(_raised(error, module, name) for module, name in _USER_ERRORS):
            click.echo(f"mlsys-lint: error: {error}", err=True)
            return EXIT_ERROR
        if debug:
            raise
        if _raised(error, "mlsys_lint.engine", "InternalError"):
            click.echo(f"mlsys-lint: internal error: {error} (rerun with --debug for details)", err=True)
        else:
            click.echo(f"mlsys-lint: internal error: {error.__class__.__name__}: {error} "
                       "(rerun with --debug for details)", err=True)
        return EXIT_ERROR


PROGRESS_AFTER = 0.5
"""Seconds before a run on a terminal starts showing what it is doing."""


def _with_progress(action, quiet: bool):
    """Run `action(progress)`; on an interactive terminal, once the run has taken half a second,
    show its phase and count on standard error ("parsing 12/38 documents", "checking XR001 …")."""
    if quiet or not sys.stderr.isatty() or os.environ.get("CI"):
        return action(None)
    started = time.perf_counter()
    status = None

    def progress(phase: str) -> None:
        nonlocal status
        if status is None:
            if time.perf_counter() - started < PROGRESS_AFTER:
                return
            from rich.console import Console

            status = Console(stderr=True).status("", spinner="dots")
            status.start()
        status.update(f"mlsys-lint: {phase}…")

    try:
        return action(progress)
    finally:
        if status is not None:
            status.stop()


def _check(paths: list[str], options: dict[str, Any]) -> int:
    from mlsys_lint.api import lint

    if _kept_until_exit is not None:  # the process ends with this check (`run`): nothing to collect for
        gc.disable()
    started = time.perf_counter()
    text = None
    if paths == ["-"]:
        text = sys.stdin.read()
        paths = [options.get("stdin_filename") or "stdin.qmd"]
    elif "-" in paths:
        raise UsageFailure("`-` (standard input) cannot be combined with other paths")
    diff_only = bool(options.get("diff"))
    fixing = bool(options.get("fix")) and not diff_only
    if fixing and text is not None:
        raise UsageFailure("--fix cannot write to standard input; use --diff to see the fixes")
    quiet = bool(options.get("quiet"))
    if options.get("list_files"):
        return _list_files(paths, text, options)
    baseline = options.get("baseline") if not options.get("write_baseline") and not diff_only else None
    result = _with_progress(lambda progress: lint(
        paths, config=options.get("config_file"), select=_codes(options.get("select")),
        ignore=_codes(options.get("ignore")), extend_select=_codes(options.get("extend_select")),
        fail_on=options.get("fail_on"), quarto_config=options.get("quarto_config"),
        profile=_codes(options.get("profile")), fix=fixing, unsafe_fixes=bool(options.get("unsafe_fixes")),
        baseline=baseline, text=text, cache=not options.get("no_cache"), cache_dir=options.get("cache_dir"),
        jobs=options.get("jobs"), progress=progress,
        reuse=not (diff_only or options.get("add_suppressions"))), quiet)
    if _kept_until_exit is not None:
        _kept_until_exit.append(result)
    if options.get("verbose"):
        _report_cache(result)
    if diff_only:
        return _show_diff(result, (paths[0], text) if text is not None else None, options)
    for error in result.errors:
        click.echo(f"mlsys-lint: error: {error}", err=True)
    if not quiet:
        for notice in result.notices:
            click.echo(f"mlsys-lint: {notice}", err=True)
    if options.get("write_baseline"):
        return EXIT_ERROR if _write_baseline(result, options["write_baseline"], quiet) else EXIT_CLEAN
    if options.get("add_suppressions"):
        return _add_suppressions(result, quiet)
    output_format = _report(result, options, time.perf_counter() - started)
    if result.fixed and not quiet and (output_format not in ("full", "grouped") or options.get("output")):
        click.echo(f"mlsys-lint: fixed {plural(result.fixed, 'finding')}", err=True)
    if result.errors:
        return EXIT_ERROR
    if fixing and options.get("exit_non_zero_on_fix") and result.fixed:
        return EXIT_FINDINGS
    if result.exit_code == EXIT_FINDINGS and not options.get("exit_zero"):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _add_suppressions(result, quiet: bool) -> int:
    """``--add-suppressions``: comment each current finding away; say what was left for a baseline."""
    from mlsys_lint.fixes import FixError, apply_fixes
    from mlsys_lint.suppressions import plan_suppressions

    documents = {relative(path, max_up=1): doc for project in result.projects for path, doc in project.documents.items()}
    plan = plan_suppressions(result.diagnostics, documents)
    failed, comments, files = False, 0, 0
    for path, fixes in sorted(plan.fixes.items()):
        try:
            apply_fixes(path, fixes, documents[path].source.text)
        except FixError as error:
            click.echo(f"mlsys-lint: error: {error}", err=True)
            failed = True
            continue
        comments, files = comments + len(fixes), files + 1
    if not quiet:
        click.echo(f"mlsys-lint: added {plural(comments, 'suppression comment')} in {plural(files, 'file')}", err=True)
        if plan.left:
            click.echo(f"mlsys-lint: {plural(len(plan.left), 'finding')} left where a comment could change the "
                       "text (tables, captions, code, data files): record them with --write-baseline", err=True)
    return EXIT_ERROR if failed else EXIT_CLEAN


def _report_cache(result) -> None:
    """One line per parse cache on standard error (``--verbose``)."""
    if result.reused:
        click.echo("mlsys-lint: findings reused from the run cache (nothing they depend on changed)", err=True)
    elif not result.caches:
        click.echo("mlsys-lint: parse cache off", err=True)
    for cache in result.caches:
        state = "" if cache.usable else " (not usable: no key, or the folder is a symbolic link)"
        click.echo(f"mlsys-lint: parse cache {relative(cache.root, max_up=1)}{state}: {cache.hits} hits, "
                   f"{cache.misses} misses, {cache.rejected} entries rejected", err=True)


def _list_files(paths: list[str], text: str | None, options: dict[str, Any]) -> int:
    """``--list-files``: the documents of each project in reading order with their namespace."""
    from mlsys_lint.api import read_projects

    for project in read_projects(paths, config=options.get("config_file"), quarto_config=options.get("quarto_config"),
                                 profile=_codes(options.get("profile")), text=text,
                                 cache=not options.get("no_cache"), cache_dir=options.get("cache_dir")):
        click.echo("\n".join(project.listing(lambda path: relative(path, max_up=1))))
    return EXIT_CLEAN


def _write_baseline(result, path: str, quiet: bool) -> bool:
    """Write the findings of `result` as the baseline at `path`; whether a fix failed meanwhile."""
    from mlsys_lint.baseline import anchored_view, write_baseline

    count = write_baseline(path, anchored_view(result.diagnostics, path))
    if not quiet:
        click.echo(f"mlsys-lint: wrote {plural(count, 'baseline entry', 'baseline entries')} for "
                   f"{plural(len(result.diagnostics), 'finding')} to {path}", err=True)
    return bool(result.errors)


def _show_diff(result, stdin: tuple[str, str] | None, options: dict[str, Any]) -> int:
    """``--diff``: print what --fix would change as a unified diff, write nothing.

    Only the diff goes to standard output (or ``-o``), so it can be piped to
    ``git apply``; a summary goes to standard error.  Exit 1 when there is something
    to fix, 0 when not, 2 when a file cannot be fixed.
    """
    from mlsys_lint.fixes import FixError, apply_fixes, fix_plan, fix_text, render_diff
    from mlsys_lint.reading import normalise_newlines

    unsafe = bool(options.get("unsafe_fixes"))
    chunks: list[str] = []
    count = 0
    failed = False
    stdin_path = os.path.abspath(stdin[0]) if stdin is not None else None
    for path, fixes, source in fix_plan(result.diagnostics, result.sources, unsafe):
        shown = relative(path, max_up=1)
        if path == stdin_path:
            raw = stdin[1].lstrip("\ufeff")
            fixed = fix_text(raw, fixes)
            old, new, applied = normalise_newlines(raw), normalise_newlines(fixed.text), fixed.applied
        elif source is None:
            _fix_error(f"{shown}: it was not read in this run; not fixing it")
            failed = True
            continue
        else:
            try:
                outcome = apply_fixes(shown, fixes, source.text, dry_run=True)
            except FixError as error:
                _fix_error(str(error))
                failed = True
                continue
            old, new, applied = outcome.old_text, outcome.new_text, outcome.applied
        if old != new:
            chunks.append(render_diff(shown, old, new))
            count += applied
    _write_text("".join(chunks), options.get("output"))
    if not options.get("quiet"):
        if chunks:
            click.echo(f"mlsys-lint: --fix would fix {plural(count, 'finding')} in {plural(len(chunks), 'file')}",
                       err=True)
        else:
            click.echo("mlsys-lint: nothing to fix", err=True)
        hidden = sum(1 for d in result.diagnostics if d.fix is not None and not d.fix.safe and not unsafe)
        if hidden:
            click.echo(f"mlsys-lint: {plural(hidden, 'unsafe fix', 'unsafe fixes')} not shown "
                       "(add --unsafe-fixes)", err=True)
    if failed:
        return EXIT_ERROR
    return EXIT_FINDINGS if chunks and not options.get("exit_zero") else EXIT_CLEAN


def _fix_error(message: str) -> None:
    click.echo(f"mlsys-lint: error: cannot fix {message}", err=True)


def _write_text(text: str, output: str | None) -> None:
    """Print `text`, or write it to the file `output`."""
    if not output:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageFailure(f"cannot write {output}: {error.strerror or error}") from None


def _report(result, options: dict[str, Any], elapsed: float) -> str:
    """Render the report; returns the format used."""
    from mlsys_lint.report import Report, SourceLines, renderer

    output_format = options.get("output_format")
    stream = sys.stdout
    if output_format is None:
        output_format = "full" if stream.isatty() and not options.get("output") else "concise"
    color: bool | None = None
    if options.get("color") == "always":
        color = True
    elif options.get("color") == "never" or os.environ.get("NO_COLOR") or options.get("output"):
        color = False
    sources = SourceLines(result.sources)
    report = Report(diagnostics=result.diagnostics, rules=result.rules, files=result.files,
                    tool_version=__version__, fail_on=result.settings.fail_on, sources=sources, color=color,
                    statistics=bool(options.get("statistics")), stale_baseline=result.stale_baseline,
                    fixed=result.fixed, elapsed=elapsed, rendered=result.rendered, checked=result.checked,
                    skipped_projects=[path + "/" for path in result.nested_projects])
    if options.get("statistics") and output_format in ("full", "concise", "grouped"):
        output_format = "statistics"
    elif options.get("statistics") and output_format != "json":
        raise UsageFailure(f"--statistics gives counts per rule in the full, concise, grouped or json format, "
                           f"not {output_format}")
    render = renderer(output_format)
    if options.get("output"):
        try:
            with open(options["output"], "w", encoding="utf-8", newline="\n") as handle:
                render(report, handle)
        except OSError as error:
            raise UsageFailure(f"cannot write {options['output']}: {error.strerror or error}") from None
        return output_format
    render(report, stream)
    return output_format


def _plugins_for_information(built_in: bool = True):
    """The rule registry for commands that only inform (`rules`, `rule`, `init`, `--version`).

    A plugin that failed to load is named in one line on standard error; the command goes on.
    Plugins are skipped as for `check`: the environment variable and the configuration
    found from the current folder (ignored when it cannot be read).  Without `built_in`
    only third-party plugins are loaded (``--version`` names the broken ones and no more).
    """
    from mlsys_lint.config import load_settings
    from mlsys_lint.registry import DISTRIBUTION, load_registry, skipped_plugins

    try:
        settings = load_settings(Path.cwd())
    except ConfigError:
        settings = None
    skip = skipped_plugins(settings)
    registry = load_registry(skip if built_in else skip | {DISTRIBUTION})
    for broken in registry.broken:
        click.echo(f"mlsys-lint: warning: {broken}; its rules are not available", err=True)
    return registry


@main.command("rules")
@click.option("--all", "show_all", is_flag=True, help="Also list rules that are off by default.")
def list_rules(show_all: bool) -> None:
    """List the rules: code, name, default severity, status, origin (built-in or the plugin's distribution)."""

    def run() -> int:
        rules = [rule for rule in _plugins_for_information().rules.values() if show_all or rule.enabled]
        width = max((len(rule.origin) for rule in rules), default=0)
        for rule in rules:
            status = "on " if rule.enabled else "off"
            fix = " (fix)" if rule.fixable else ""
            click.echo(f"{rule.code:8} {rule.name:38} {str(rule.severity):8} {status} {rule.origin:{width}} "
                       f"{rule.summary}{fix}")
        return EXIT_CLEAN

    sys.exit(_guard(run, False))


@main.command("rule")
@click.argument("code")
def explain_rule(code: str) -> None:
    """Explain one rule (by code or name)."""

    def run() -> int:
        for rule in _plugins_for_information().rules.values():
            if rule.code == code.upper() or rule.name == code:
                from mlsys_lint.docs import rule_page

                click.echo(rule_page(rule), nl=False)
                if rule.url:
                    click.echo(f"\nDocumentation: {rule.url}")
                return EXIT_CLEAN
        raise UsageFailure(f"unknown rule `{code}` (see `mlsys-lint rules --all`)")

    sys.exit(_guard(run, False))


@main.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Overwrite an existing .mlsys-lint.yml.")
@click.option("--quarto-config", type=click.Path(dir_okay=False, exists=True),
              help="The Quarto configuration to lint with, when the book has several.")
@click.option("-y", "--yes", "assume", is_flag=True,
              help="Ask nothing: take _quarto.yml (or the first configuration found) and write no baseline.")
@click.option("--write-baseline", "baseline", is_flag=True,
              help="Also record today's findings in .mlsys-lint-baseline.json next to the configuration.")
def init(path: str | None, force: bool, quarto_config: str | None, assume: bool, baseline: bool) -> None:
    """Write a .mlsys-lint.yml that fits the book found here, and print the hook and CI snippets."""
    from mlsys_lint.inputs import find_project_root

    def run() -> int:
        from mlsys_lint.api import lint, read_projects, resolve_settings
        from mlsys_lint.habits import Habits, book_habits, quarto_configs
        from mlsys_lint.starter import quarto_lines, snippets, starter_config

        start = Path(path or ".").absolute()
        root = find_project_root(start) or start
        target = root / ".mlsys-lint.yml"
        if target.exists() and not force:
            raise UsageFailure(f"{target} exists (use --force to overwrite)")
        interactive = sys.stdin.isatty() and not assume
        configs = quarto_configs(root)
        chosen = Path(quarto_config).absolute() if quarto_config else _choose_config(configs, root, interactive)
        settings = resolve_settings([root], {}, quarto_config=chosen)
        registry = _plugins_for_information()
        projects = [project for project in read_projects([root], config=settings, quarto_config=chosen, cache=False)
                    if os.path.abspath(project.root) == str(root)]
        habits = book_habits(projects[0], settings, registry.rules.values()) if projects else Habits()
        target.write_text(starter_config(registry, quarto_lines(configs, chosen, root), habits), encoding="utf-8")
        click.echo(f"wrote {target}")
        if baseline or (interactive and click.confirm("Record today's findings as a baseline?", default=False)):
            result = lint([root], config=str(target), cache=False)
            if _write_baseline(result, str(root / ".mlsys-lint-baseline.json"), False):
                return EXIT_ERROR
        click.echo(snippets(root, (root / ".mlsys-lint-baseline.json").exists()))
        return EXIT_CLEAN

    sys.exit(_guard(run, False))


def _choose_config(configs: list[Path], root: Path, interactive: bool) -> Path | None:
    """The configuration to lint with: the only one, the user's pick, or `_quarto.yml`/the first."""
    if len(configs) < 2 or not interactive:
        return configs[0] if configs else None
    for number, config in enumerate(configs, 1):
        click.echo(f"  {number}. {relative(config, root)}")
    picked = click.prompt("This book has several Quarto configurations; lint with", type=click.IntRange(1, len(configs)),
                          default=1)
    return configs[picked - 1]


@main.command()
def server() -> None:
    """Run the language server (LSP over stdio) for editors: diagnostics, navigation, rename, fixes."""
    try:
        from mlsys_lint.lsp import serve
    except ImportError:
        click.echo("mlsys-lint: error: the language server needs pygls: pip install 'mlsys-lint[lsp]'", err=True)
        sys.exit(EXIT_ERROR)
    serve()


@main.group()
def audit() -> None:
    """Reports that help an editor read the manuscript as a whole."""


def _audit_options(function):
    """The options every audit report takes (format, output file, project options, --debug)."""
    function = click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")(function)
    function = _project_options(function)
    function = click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                            help="Write the report to a file.")(function)
    function = click.option("--format", "output_format", type=click.Choice(["md", "html", "json"]), default="md",
                            show_default=True,
                            help="Markdown review sheet, one self-contained HTML page, or versioned JSON.")(function)
    return click.argument("path", required=False, type=click.Path(exists=True))(function)


def _run_audit(module: str, builder: str, path: str | None, output_format: str, output: str | None,
               options: dict[str, Any], **extra: Any) -> None:
    """Build an audit report with `module.builder(paths, settings, **extra)`, render it, print or write it."""

    def run() -> int:
        import importlib

        from mlsys_lint.api import resolve_settings

        audit_module = importlib.import_module(module)
        paths = [Path(path)] if path else []
        settings = resolve_settings(paths, options.get("config_file"), quarto_config=options.get("quarto_config"),
                                    profile=_codes(options.get("profile")))
        report = getattr(audit_module, builder)(paths, settings, **extra)
        render = {"html": audit_module.render_html, "json": audit_module.render_json}.get(output_format,
                                                                                        audit_module.render_markdown)
        text = render(report)
        _write_text(text, output)
        return EXIT_CLEAN

    sys.exit(_guard(run, options.get("debug", False)))


@audit.command("figures")
@_audit_options
@click.option("--to", "numbered_as", metavar="FORMAT",
              help="Number figures as this output format does (default: html if the project builds it).")
def audit_figures(path: str | None, output_format: str, output: str | None, numbered_as: str | None,
                  **options: Any) -> None:
    """Every figure in book order: its number, image, caption, alt text and references, with all its findings."""
    _run_audit("mlsys_lint.audit", "figure_audit", path, output_format, output, options, numbered_as=numbered_as)


@audit.command("glossary")
@_audit_options
def audit_glossary(path: str | None, output_format: str, output: str | None, **options: Any) -> None:
    """Every glossary term with its definitions, sources, first use, uses per chapter, variants and conflicts."""
    _run_audit("mlsys_lint.audit_glossary", "glossary_audit", path, output_format, output, options)
