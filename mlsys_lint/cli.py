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
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Parse files in N processes.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but the findings.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", help="Colour output.")
@click.option("--stdin-filename", help="Name of the file read from standard input (with the path -).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def check(paths: tuple[str, ...], **options: Any) -> None:
    """Lint the project around PATHS (default: the current folder)."""
    sys.exit(_guard(lambda: _check(list(paths), options), options.get("debug", False)))


def _guard(action, debug: bool) -> int:
    from mlsys_lint.engine import InternalError

    try:
        return action()
    except (UsageFailure, ConfigError) as error:
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
    settings = _settings(paths, options)
    rules = select_rules(load_rules(), settings)
    engine = Engine(settings, rules, stdin=stdin, use_cache=not options.get("no_cache"))
    path_list = [Path(p) for p in paths]
    result = engine.run(path_list)
    fixed = 0
    if options.get("fix") or options.get("diff"):
        fixed, result = _apply_fixes(engine, result, path_list, diff_only=bool(options.get("diff")) and not options.get("fix"))
    diagnostics = _relative(result.diagnostics)
    _fingerprint(diagnostics, result.sources)
    stale: list[dict] = []
    if options.get("write_baseline"):
        from mlsys_lint.baseline import write_baseline

        count = write_baseline(options["write_baseline"], diagnostics)
        if not options.get("quiet"):
            click.echo(f"mlsys-lint: wrote {count} baseline entries for {len(diagnostics)} findings to "
                       f"{options['write_baseline']}", err=True)
        return EXIT_CLEAN
    if options.get("baseline"):
        from mlsys_lint.baseline import BaselineError, load_baseline

        try:
            baseline = load_baseline(options["baseline"])
        except BaselineError as error:
            raise UsageFailure(str(error)) from None
        targets = None
        if any(project.targets is not None for project in result.projects):
            targets = {_rel(path) for path in result.files}
        diagnostics, stale = baseline.filter(diagnostics, paths=targets, codes=set(rules))
    _report(result, diagnostics, settings, options, stale, fixed, time.perf_counter() - started)
    failing = [d for d in diagnostics if d.severity >= settings.fail_on]
    if options.get("fix") and options.get("exit_non_zero_on_fix") and fixed:
        return EXIT_FINDINGS
    if failing and not options.get("exit_zero"):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _apply_fixes(engine, result, paths: list[Path], diff_only: bool):
    from mlsys_lint.fixes import FixError, apply_fixes, render_diff

    by_file: dict[str, list] = {}
    for diagnostic in result.diagnostics:
        if diagnostic.fix is not None:
            by_file.setdefault(diagnostic.fix.path, []).append(diagnostic.fix)
    fixed = 0
    for path, fixes in sorted(by_file.items()):
        source = result.sources.get(path)
        try:
            outcome = apply_fixes(Path(path), fixes, source.text if source is not None else None, dry_run=diff_only)
        except FixError as error:
            click.echo(f"mlsys-lint: cannot fix {_rel(path)}: {error}", err=True)
            continue
        fixed += outcome.applied
        if diff_only and outcome.changed:
            click.echo(render_diff(_rel(path), outcome.old_text, outcome.new_text), nl=False)
    if fixed and not diff_only:
        result = engine.run(paths)
    return (0 if diff_only else fixed), result


def _rel(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith(".." + os.sep + "..") and os.path.isabs(path) else rel


def _relative(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    from dataclasses import replace

    out = []
    for d in diagnostics:
        rel = _rel(d.span.path)
        out.append(replace(d, span=replace(d.span, path=rel)) if rel != d.span.path else d)
    return out


def _fingerprint(diagnostics: list[Diagnostic], sources) -> None:
    from mlsys_lint.baseline import fingerprint

    by_rel = {_rel(path): source for path, source in sources.items()}
    for d in diagnostics:
        source = by_rel.get(d.span.path)
        line = source.line_text(d.span.line) if source is not None and d.span.line <= source.line_count else ""
        d.source_line = line
        d.fingerprint = fingerprint(d, line)


def _report(result, diagnostics, settings: Settings, options: dict[str, Any], stale, fixed: int, elapsed: float) -> None:
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
                    statistics=bool(options.get("statistics")), stale_baseline=stale, fixed=fixed, elapsed=elapsed)
    if options.get("statistics") and output_format in ("full", "concise", "grouped"):
        output_format = "grouped"
        report.diagnostics = diagnostics
    render = renderer(output_format)
    if options.get("output"):
        try:
            with open(options["output"], "w", encoding="utf-8", newline="\n") as handle:
                render(report, handle)
        except OSError as error:
            raise UsageFailure(f"cannot write {options['output']}: {error.strerror or error}") from None
        return
    render(report, stream)


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
                if rule.options:
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
