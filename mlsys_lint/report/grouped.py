"""Plain-text output grouped by file, without colour::

    contents/ch1.qmd:
      12:5 FIG001 Figure @fig-x is referenced before it is defined
      40:1 CAP004 Alt text is longer than 250 characters

    Found 2 findings (2 warnings) in 1 file.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from mlsys_lint.model import Diagnostic, Severity, plural
from mlsys_lint.report import Report, coverage, fixable_summary


def _posix(path: str) -> str:
    return path.replace("\\", "/")


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def summary(report: Report) -> list[str]:
    lines: list[str] = []
    diagnostics = report.diagnostics
    if diagnostics:
        counts = Counter(d.severity for d in diagnostics)
        parts = [
            plural(counts[severity], str(severity), "info" if severity is Severity.INFO else None)
            for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO)
            if counts[severity]
        ]
        files = len({_posix(d.span.path) for d in diagnostics})
        lines.append(f"Found {plural(len(diagnostics), 'finding')} ({', '.join(parts)}) in {plural(files, 'file')}.")
        fixable = fixable_summary(diagnostics)
        if fixable:
            lines.append(f"{fixable}.")
    else:
        lines.append("All checks passed.")
    lines.extend(coverage(report))
    if report.fixed:
        lines.append(f"Fixed {plural(report.fixed, 'finding')}.")
    if report.stale_baseline:
        lines.append(
            f"{plural(len(report.stale_baseline), 'stale baseline entry', 'stale baseline entries')}: "
            "rewrite the baseline with --write-baseline."
        )
    return lines


def render(report: Report, out: TextIO) -> None:
    groups: dict[str, list[Diagnostic]] = {}
    order = {_posix(path): index for index, path in enumerate(report.files)}
    for diagnostic in report.diagnostics:
        groups.setdefault(_posix(diagnostic.span.path), []).append(diagnostic)
    paths = sorted(groups, key=lambda p: (order.get(p, len(order)), p))
    for path in paths:
        out.write(f"{path}:\n")
        found = sorted(groups[path], key=lambda d: (d.span.line, d.span.column, d.code, d.message))
        for d in found:
            out.write(f"  {d.span.line}:{d.span.column} {d.code} {_one_line(d.message)}\n")
        out.write("\n")
    for line in summary(report):
        out.write(line + "\n")
