"""Command line: click commands → settings → engine → reporter → exit code.

Exit codes: 0 no finding at or above the fail level, 1 findings, 2 usage,
configuration or I/O error, or an internal error (one line; ``--debug`` for the
traceback).  ``--exit-zero`` turns 1 into 0, never 2 into 0.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from mlsys_lint import __version__
from mlsys_lint.config import ConfigError, Settings, load_settings
from mlsys_lint.model import Diagnostic, Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageFailure(Exception):
    """A problem with how the linter was called or configured (exit 2)."""


def _codes(values: tuple[str, ...]) -> list[str]:
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


class DefaultGroup(click.Group):
    """A group that runs `check` when the first word is not a command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlsys-lint")
def main() -> None:
    """Lint Quarto manuscripts: cross-references, figures, captions, footnotes, glossary terms."""


def _project_options(function):
    function = click.option("--quarto-config", type=click.Path(dir_okay=False), help="Quarto config file to use instead of _quarto.yml.")(function)
    function = click.option("--profile", multiple=True, help="Quarto profile(s) to activate (as quarto --profile).")(function)
    function = click.option("--config", "config_file", type=click.Path(dir_okay=False), help="mlsys-lint configuration file.")(function)
    return function


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Rules to run (codes, prefixes or names; comma-separated).")
@click.option("--ignore", multiple=True, help="Rules to skip.")
@click.option("--extend-select", multiple=True, help="Rules to add to the selection.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), help="Lowest severity that fails (default warning).")
@click.option("--format", "output_format", type=click.Choice(["full", "concise", "grouped", "json", "sarif", "github", "junit"]),
              help="Output format (default: full on a terminal, concise otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--statistics", is_flag=True, help="Show counts per rule instead of each finding.")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option("--diff", is_flag=True, help="Show the fixes as a diff without writing.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when --fix changed a file.")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Report only findings not in this baseline.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), help="Record current findings as the baseline.")
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
def check(paths: tuple[str, ...], **options: Any) -> None:
    """Lint the project around PATHS (default: the current folder)."""
    sys.exit(_guard(lambda: _check(list(paths), options), options.get("debug", False)))


def _guard(action, debug: bool) -> int:
    from mlsys_lint.engine import InternalError
    from mlsys_lint.project import ProjectError

    try:
        return action()
    except (UsageFailure, ConfigError, ProjectError) as error:  # a broken _quarto.yml is not a bug
        click.echo(f"mlsys-lint: error: {error}", err=True)
        return EXIT_ERROR
    except InternalError as error:
        if debug:
            raise
        click.echo(f"mlsys-lint: internal error: {error} (rerun with --debug for details)", err=True)
        return EXIT_ERROR
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("mlsys-lint: interrupted", err=True)
        return EXIT_ERROR
    except Exception as error:  # never a bare traceback for users
        if debug:
            raise
        click.echo(f"mlsys-lint: internal error: {error.__class__.__name__}: {error} "
                   "(rerun with --debug for details)", err=True)
        return EXIT_ERROR


def _settings(paths: list[str], options: dict[str, Any]) -> Settings:
    start = Path(paths[0]) if paths and paths[0] != "-" else Path.cwd()
    start = start if start.exists() else Path.cwd()
    explicit = Path(options["config_file"]) if options.get("config_file") else None
    settings = load_settings(start.absolute(), explicit)
    if options.get("select"):
        settings.select = _codes(options["select"])
    if options.get("ignore"):
        settings.ignore = settings.ignore + _codes(options["ignore"])
    if options.get("extend_select"):
        settings.extend_select = settings.extend_select + _codes(options["extend_select"])
    if options.get("fail_on"):
        settings.fail_on = Severity.parse(options["fail_on"])
    if options.get("quarto_config"):
        settings.quarto_config = str(Path(options["quarto_config"]).absolute())
    if options.get("profile"):
        settings.profile = _codes(options["profile"])
    return settings


def _run_with_progress(engine, paths: list[Path], quiet: bool):
    """Run the engine; on an interactive terminal, show a spinner on standard error."""
    if quiet or not sys.stderr.isatty() or os.environ.get("CI"):
        return engine.run(paths)
    from rich.console import Console

    with Console(stderr=True).status("mlsys-lint: reading the manuscript…", spinner="dots"):
        return engine.run(paths)


def _check(paths: list[str], options: dict[str, Any]) -> int:
    from mlsys_lint.engine import Engine, load_rules, select_rules

    started = time.perf_counter()
    stdin = None
    if paths == ["-"]:
        name = options.get("stdin_filename") or "stdin.qmd"
        stdin = (name, sys.stdin.read())
        paths = [name]
    elif "-" in paths:
        raise UsageFailure("`-` (standard input) cannot be combined with other paths")
    diff_only = bool(options.get("diff"))
    fixing = bool(options.get("fix")) and not diff_only
    if fixing and stdin is not None:
        raise UsageFailure("--fix cannot write to standard input; use --diff to see the fixes")
    settings = _settings(paths, options)
    # Read the baseline before anything else, so that a bad file stops the run before --fix writes.
    baseline = None
    if options.get("baseline") and not options.get("write_baseline") and not diff_only:
        baseline = _load_baseline(options["baseline"])
    rules = select_rules(load_rules(), settings)
    engine = Engine(settings, rules, stdin=stdin, use_cache=not options.get("no_cache"),
                    jobs=options.get("jobs"), cache_dir=Path(options["cache_dir"]) if options.get("cache_dir") else None)
    path_list = [Path(p) for p in paths]
    if options.get("list_files"):
        for project in engine.projects(path_list):
            click.echo("\n".join(project.listing(_rel)))
        return EXIT_CLEAN
    result = _run_with_progress(engine, path_list, bool(options.get("quiet")))
    if options.get("verbose"):
        _report_cache(engine)
    if diff_only:
        return _show_diff(result, stdin, options)
    fixed, fix_failed = 0, False
    if fixing:
        fixed, fix_failed, result = _apply_fixes(engine, result, path_list, bool(options.get("quiet")))
    diagnostics = _prepare(result, settings)
    stale: list[dict] = []
    if options.get("write_baseline"):
        from mlsys_lint.baseline import BaselineError, write_baseline

        _, view = _baseline_view(diagnostics, options["write_baseline"])
        try:
            count = write_baseline(options["write_baseline"], view)
        except BaselineError as error:
            raise UsageFailure(str(error)) from None
        if not options.get("quiet"):
            click.echo(f"mlsys-lint: wrote {_plural(count, 'baseline entry', 'baseline entries')} for "
                       f"{_plural(len(diagnostics), 'finding')} to {options['write_baseline']}", err=True)
        return EXIT_ERROR if fix_failed else EXIT_CLEAN
    if baseline is not None:
        diagnostics, stale = _filter_baseline(baseline, options["baseline"], diagnostics, result, rules)
    output_format = _report(result, diagnostics, settings, options, stale, fixed, time.perf_counter() - started)
    if fixed and not options.get("quiet") and (output_format not in ("full", "grouped") or options.get("output")):
        click.echo(f"mlsys-lint: fixed {_plural(fixed, 'finding')}", err=True)
    if fix_failed:
        return EXIT_ERROR
    if fixing and options.get("exit_non_zero_on_fix") and fixed:
        return EXIT_FINDINGS
    failing = [d for d in diagnostics if d.severity >= settings.fail_on]
    if failing and not options.get("exit_zero"):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _report_cache(engine) -> None:
    """One line per parse cache on standard error (``--verbose``)."""
    if not engine.caches:
        click.echo("mlsys-lint: parse cache off", err=True)
    for cache in engine.caches:
        state = "" if cache.usable else " (not usable: no key, or the folder is a symbolic link)"
        click.echo(f"mlsys-lint: parse cache {_rel(str(cache.root))}{state}: {cache.hits} hits, "
                   f"{cache.misses} misses, {cache.rejected} entries rejected", err=True)


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


# -- fixes ------------------------------------------------------------------------------------


def _fix_plan(result) -> list[tuple[str, list, Any]]:
    """``(absolute path, fixes, Source the findings were computed from or None)`` per file."""
    sources = {os.path.abspath(path): source for path, source in result.sources.items()}
    by_file: dict[str, list] = {}
    for diagnostic in result.diagnostics:
        if diagnostic.fix is not None:
            by_file.setdefault(os.path.abspath(diagnostic.fix.path), []).append(diagnostic.fix)
    return [(path, fixes, sources.get(path)) for path, fixes in sorted(by_file.items())]


def _fix_error(message: str) -> None:
    click.echo(f"mlsys-lint: error: cannot fix {message}", err=True)


def _apply_fixes(engine, result, paths: list[Path], quiet: bool):
    """Write the fixes of `result`, then lint again; returns (fixes applied, any failure, new result).

    A file is fixed only if it still holds the text the findings were computed from
    (`apply_fixes` compares), so an edit made meanwhile is never overwritten.
    """
    from mlsys_lint.fixes import FixError, apply_fixes

    applied = skipped = 0
    failed = False
    for path, fixes, source in _fix_plan(result):
        shown = _rel(path)
        if source is None:
            _fix_error(f"{shown}: it was not read in this run; not fixing it")
            failed = True
            continue
        try:
            outcome = apply_fixes(shown, fixes, source.text)
        except FixError as error:
            _fix_error(str(error))
            failed = True
            continue
        if outcome.written:
            applied += outcome.applied
        skipped += outcome.skipped
    if skipped and not quiet:
        they, it = ("it overlaps", "it") if skipped == 1 else ("they overlap", "them")
        click.echo(f"mlsys-lint: {_plural(skipped, 'fix', 'fixes')} skipped because {they} another fix; "
                   f"run --fix again to apply {it}", err=True)
    if applied:
        result = engine.run(paths)
    return applied, failed, result


def _show_diff(result, stdin, options: dict[str, Any]) -> int:
    """``--diff``: print what --fix would change as a unified diff, write nothing.

    Only the diff goes to standard output (or ``-o``), so it can be piped to
    ``git apply``; a summary goes to standard error.  Exit 1 when there is something
    to fix, 0 when not, 2 when a file cannot be fixed.
    """
    from mlsys_lint.fixes import FixError, apply_fixes, fix_text, render_diff
    from mlsys_lint.reading import normalise_newlines

    chunks: list[str] = []
    count = 0
    failed = False
    stdin_path = os.path.abspath(stdin[0]) if stdin is not None else None
    for path, fixes, source in _fix_plan(result):
        shown = _rel(path)
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
    text = "".join(chunks)
    if options.get("output"):
        try:
            with open(options["output"], "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as error:
            raise UsageFailure(f"cannot write {options['output']}: {error.strerror or error}") from None
    else:
        click.echo(text, nl=False)
    if not options.get("quiet"):
        if chunks:
            click.echo(f"mlsys-lint: --fix would fix {_plural(count, 'finding')} in {_plural(len(chunks), 'file')}",
                       err=True)
        else:
            click.echo("mlsys-lint: nothing to fix", err=True)
    if failed:
        return EXIT_ERROR
    return EXIT_FINDINGS if chunks and not options.get("exit_zero") else EXIT_CLEAN


# -- paths, fingerprints, baseline ------------------------------------------------------------


def _rel(path: str) -> str:
    """`path` as shown: relative to the current folder (absolute when far outside it)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith(".." + os.sep + "..") and os.path.isabs(path) else rel


def _anchored(path: str, anchor: str) -> str:
    """Absolute `path` relative to folder `anchor`, with forward slashes."""
    try:
        rel = os.path.relpath(path, anchor)
    except ValueError:  # another drive
        rel = path
    return rel.replace(os.sep, "/")


def _anchor_for(path: str, roots: list[str], fallback: str) -> str:
    for root in roots:
        if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
            return root
    return fallback


def _prepare(result, settings: Settings) -> list[Diagnostic]:
    """The findings with display paths (relative to the current folder), source lines and fingerprints.

    Fingerprints take the path relative to the Quarto project root (for files outside
    any project: the folder of the mlsys-lint configuration, else the current folder),
    so they are the same whichever folder the linter is started from.
    """
    from dataclasses import replace

    from mlsys_lint.baseline import fingerprint

    roots = sorted({os.path.abspath(project.root) for project in result.projects if project.config_path is not None},
                   key=len, reverse=True)
    fallback = os.path.abspath(settings.folder) if settings.folder is not None else os.getcwd()
    sources = {os.path.abspath(path): source for path, source in result.sources.items()}
    out = []
    for d in result.diagnostics:
        absolute = os.path.abspath(d.span.path)
        source = sources.get(absolute)
        line = source.line_text(d.span.line) if source is not None and 1 <= d.span.line <= source.line_count else ""
        item = replace(d, span=replace(d.span, path=_rel(d.span.path)))
        item.source_line = line
        item.fingerprint = fingerprint(item, line, path=_anchored(absolute, _anchor_for(absolute, roots, fallback)))
        out.append(item)
    return out


def _load_baseline(name: str):
    from mlsys_lint.baseline import BaselineError, load_baseline

    try:
        return load_baseline(name)
    except BaselineError as error:
        raise UsageFailure(str(error)) from None


def _baseline_view(diagnostics: list[Diagnostic], baseline_file: str) -> tuple[str, list[Diagnostic]]:
    """Copies of `diagnostics` as a baseline sees them: paths relative to the baseline's folder.

    Anchoring at the baseline file (not the current folder) keeps entries matching
    whether the linter runs from the book's folder, the repository root or a hook.
    """
    from dataclasses import replace

    from mlsys_lint.baseline import fingerprint

    base = os.path.dirname(os.path.abspath(baseline_file))
    view = []
    for d in diagnostics:
        item = replace(d, span=replace(d.span, path=_anchored(os.path.abspath(d.span.path), base)))
        item.fingerprint = fingerprint(item, d.source_line)
        view.append(item)
    return base, view


def _filter_baseline(baseline, baseline_file: str, diagnostics: list[Diagnostic], result, rules):
    """The findings not in `baseline`, and its stale entries (paths shown relative to the current folder)."""
    base, view = _baseline_view(diagnostics, baseline_file)
    targets = None
    if any(project.targets is not None for project in result.projects):
        targets = {_anchored(os.path.abspath(path), base) for path in result.files}
    new, stale = baseline.filter(view, paths=targets, codes=set(rules))
    kept = {id(item) for item in new}
    diagnostics = [d for d, item in zip(diagnostics, view) if id(item) in kept]
    for entry in stale:
        entry["path"] = _rel(os.path.normpath(os.path.join(base, entry["path"])))
    return diagnostics, stale


def _report(result, diagnostics, settings: Settings, options: dict[str, Any], stale, fixed: int,
            elapsed: float) -> str:
    """Render the report; returns the format used."""
    from mlsys_lint.report import Report, renderer

    output_format = options.get("output_format")
    stream = sys.stdout
    if output_format is None:
        output_format = "full" if stream.isatty() and not options.get("output") else "concise"
    color: bool | None = None
    if options.get("color") == "always":
        color = True
    elif options.get("color") == "never" or os.environ.get("NO_COLOR") or options.get("output"):
        color = False
    sources = {_rel(path): source.text.split("\n") for path, source in result.sources.items()}
    report = Report(diagnostics=diagnostics, rules=result.rules, files=[_rel(f) for f in result.files],
                    tool_version=__version__, fail_on=settings.fail_on, sources=sources, color=color,
                    statistics=bool(options.get("statistics")), stale_baseline=stale, fixed=fixed, elapsed=elapsed,
                    rendered=result.rendered, checked=result.checked,
                    skipped_projects=[_rel(str(path)) + "/" for path in result.nested_projects])
    if options.get("statistics") and output_format in ("full", "concise"):
        output_format = "grouped"
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


@main.command("rules")
@click.option("--all", "show_all", is_flag=True, help="Also list rules that are off by default.")
def list_rules(show_all: bool) -> None:
    """List the rules with their codes, default severity and status."""
    from mlsys_lint.engine import load_rules

    def run() -> int:
        for code, rule in load_rules().items():
            status = "on " if rule.enabled else "off"
            fix = " (fix)" if rule.fixable else ""
            click.echo(f"{code:8} {rule.name:38} {str(rule.severity):8} {status} {rule.summary}{fix}")
        return EXIT_CLEAN

    sys.exit(_guard(run, False))


@main.command("rule")
@click.argument("code")
def explain_rule(code: str) -> None:
    """Explain one rule (by code or name)."""
    from mlsys_lint.engine import load_rules

    def run() -> int:
        for rule in load_rules().values():
            if rule.code == code.upper() or rule.name == code:
                status = "on by default" if rule.enabled else "off by default"
                click.echo(f"# {rule.code} {rule.name}\n")
                click.echo(f"Default severity: {rule.severity}; {status}; "
                           f"{'fixable' if rule.fixable else 'not fixable'}.\n")
                click.echo(rule.doc)
                if rule.options and "## Options" not in rule.doc:
                    click.echo("\n## Options")
                    for option in rule.options:
                        click.echo(f"- `{option.name}` ({option.type.__name__}, default {option.default!r}): "
                                   f"{option.description}")
                return EXIT_CLEAN
        raise UsageFailure(f"unknown rule `{code}` (see `mlsys-lint rules`)")

    sys.exit(_guard(run, False))


_STARTER = """\
# mlsys-lint configuration (see `mlsys-lint rules` and `mlsys-lint rule CODE`)
{quarto}select: [XR, FIG, CAP, FN, GLS, MSL]
ignore: []
fail-on: warning
per-file-ignores: {{}}
rules:
  FIG001: {{allow-following-paragraphs: 0}}
  CAP004: {{max-alt-length: 250}}
{glossary}"""


@main.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Overwrite an existing .mlsys-lint.yml.")
def init(path: str | None, force: bool) -> None:
    """Write a starter .mlsys-lint.yml for the project found here."""
    from mlsys_lint.project import find_project_root

    def run() -> int:
        start = Path(path or ".").absolute()
        root = find_project_root(start) or start
        target = root / ".mlsys-lint.yml"
        if target.exists() and not force:
            raise UsageFailure(f"{target} exists (use --force to overwrite)")
        sources = sorted({str(p.relative_to(root)) for p in root.glob("**/*_glossary.json")
                          if "node_modules" not in p.parts} | ({"glossary.yml"} if (root / "glossary.yml").exists() else set()))
        glossary = ""
        if sources:
            glossary = "glossary:\n  sources:\n" + "".join(f"    - {s}\n" for s in sources)
        quarto = "" if any((root / n).exists() for n in ("_quarto.yml", "_quarto.yaml")) else "# quarto-config: _quarto.yml\n"
        target.write_text(_STARTER.format(quarto=quarto, glossary=glossary), encoding="utf-8")
        click.echo(f"wrote {target}")
        return EXIT_CLEAN

    sys.exit(_guard(run, False))


@main.group()
def audit() -> None:
    """Reports that help an editor read the manuscript as a whole."""


def _audit_options(function):
    """The options every audit report takes (format, output file, project options, --debug)."""
    function = click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")(function)
    function = _project_options(function)
    function = click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                            help="Write the report to a file.")(function)
    function = click.option("--format", "output_format", type=click.Choice(["md", "html"]), default="md",
                            show_default=True, help="Markdown review sheet, or one self-contained HTML page.")(function)
    return click.argument("path", required=False, type=click.Path(exists=True))(function)


def _run_audit(module: str, builder: str, path: str | None, output_format: str, output: str | None,
               options: dict[str, Any]) -> None:
    """Build an audit report with `module.builder(paths, settings)`, render it, print or write it."""

    def run() -> int:
        import importlib

        audit_module = importlib.import_module(module)
        paths = [path] if path else []
        report = getattr(audit_module, builder)([Path(p) for p in paths], _settings(paths, options))
        text = audit_module.render_html(report) if output_format == "html" else audit_module.render_markdown(report)
        if output:
            try:
                with open(output, "w", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            except OSError as error:
                raise UsageFailure(f"cannot write {output}: {error.strerror or error}") from None
        else:
            click.echo(text, nl=False)
        return EXIT_CLEAN

    sys.exit(_guard(run, options.get("debug", False)))


@audit.command("figures")
@_audit_options
def audit_figures(path: str | None, output_format: str, output: str | None, **options: Any) -> None:
    """Every figure in book order with its caption, alt text and references, flagged by the XR/FIG rules."""
    _run_audit("mlsys_lint.audit", "figure_audit", path, output_format, output, options)


@audit.command("glossary")
@_audit_options
def audit_glossary(path: str | None, output_format: str, output: str | None, **options: Any) -> None:
    """Every glossary term with its definitions, sources, first use, uses per chapter, variants and conflicts."""
    _run_audit("mlsys_lint.audit_glossary", "glossary_audit", path, output_format, output, options)
