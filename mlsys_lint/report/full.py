"""Rich terminal output: one block per finding with the source line and a caret, then a summary."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlsys_lint.model import Diagnostic, Severity, plural
from mlsys_lint.report import Report, coverage, fixable_summary, help_url, per_rule

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}


EXCERPT_WIDTH = 100
"""Columns of source shown around a finding; a longer line (a paragraph on one line) is cut."""


def _caret_line(diagnostic: Diagnostic, line_text: str, width: int = EXCERPT_WIDTH) -> tuple[str, str]:
    """The shown source (tabs expanded; a window of about `width` columns around the span of a
    longer line, cut ends marked ``…``) and the caret string under the span's characters."""
    column = diagnostic.span.column - 1
    end = diagnostic.span.end_column - 1 if diagnostic.span.end_line == diagnostic.span.line else len(line_text)
    end = max(end, column + 1)
    left, right = 0, len(line_text)
    if right > width:
        left = max(0, min(column - (width - min(end - column, width)) // 2, right - width))
        right = min(right, left + width)
    before = "…" if left > 0 else ""
    after = "…" if right < len(line_text) else ""
    prefix = before + line_text[left:column].expandtabs(4)
    marked = line_text[column:min(end, right)].expandtabs(4)
    shown = before + line_text[left:right].expandtabs(4) + after
    return shown, " " * len(prefix) + "^" * max(1, len(marked))


def _block(console: Console, diagnostic: Diagnostic, lines: list[str] | None, url: str | None) -> None:
    style = _STYLE[diagnostic.severity]
    code = f"[link={url}]{diagnostic.code}[/link]" if url else diagnostic.code
    span = diagnostic.span
    gutter = len(str(span.line))
    rows = [f"[{style}]{diagnostic.severity}[{code}][/{style}] [dim]{diagnostic.name}[/dim]: "
            f"[bold]{escape(diagnostic.message)}[/bold]",
            f"{' ' * gutter}[blue]-->[/blue] {escape(span.path)}:{span.line}:{span.column}"]
    if lines is not None and 0 < span.line <= len(lines):
        shown, carets = _caret_line(diagnostic, lines[span.line - 1])
        rows += [f"{' ' * gutter} [blue]|[/blue]", f"[blue]{span.line} |[/blue] {escape(shown)}",
                 f"{' ' * gutter} [blue]|[/blue] [{style}]{carets}[/{style}]"]
    if diagnostic.fix is not None:
        rows.append(f"{' ' * gutter} [blue]=[/blue] [green]fix:[/green] {escape(diagnostic.fix.title)}")
    console.print("\n".join(rows) + "\n")  # one print per finding: rich's per-call cost dominates long lists


def render(report: Report, out: TextIO) -> None:
    console = Console(file=out, force_terminal=report.color, no_color=report.color is False, highlight=False,
                      soft_wrap=True, emoji=False)
    for diagnostic in report.diagnostics:
        _block(console, diagnostic, report.sources.get(diagnostic.span.path), help_url(report, diagnostic.code))
    for entry in report.stale_baseline:
        console.print(f"[yellow]stale baseline entry[/yellow]: {escape(str(entry.get('code')))} in "
                      f"{escape(str(entry.get('path')))} ({escape(str(entry.get('subject', '')))}) no longer matches; "
                      "rewrite the baseline to shrink it")
    _summary(console, report)


def _summary(console: Console, report: Report) -> None:
    diagnostics = report.diagnostics
    if not diagnostics:
        console.print(f"[bold green]All checks passed[/bold green] ({plural(len(report.files), 'file')}).")
        for line in coverage(report):
            console.print(escape(line))
        return
    table = Table(title=None, show_edge=False, pad_edge=False, box=None, header_style="bold")
    table.add_column("code")
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("findings", justify="right")
    table.add_column("files", justify="right")
    table.add_column("fixable", justify="right")
    for code, name, severity, count, files, fixable in sorted(per_rule(report)):
        style = _STYLE[Severity.parse(severity)]
        table.add_row(code, name, f"[{style}]{severity}[/]", str(count), str(files), str(fixable) if fixable else "")
    console.print(table)
    severities = Counter(d.severity for d in diagnostics)
    parts = [f"{severities[s]} {s}{'s' if severities[s] != 1 and s is not Severity.INFO else ''}"
             for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if severities[s]]
    fixable = fixable_summary(diagnostics)
    tail = f"; {fixable}" if fixable else ""
    console.print(f"\nFound {plural(len(diagnostics), 'finding')} ({', '.join(parts)}) in "
                  f"{plural(len({d.span.path for d in diagnostics}), 'file')} "
                  f"({plural(len(report.files), 'manuscript file')} checked){tail}.")
    for line in coverage(report):
        console.print(escape(line))
    if report.fixed:
        console.print(f"Fixed {plural(report.fixed, 'finding')}.")
