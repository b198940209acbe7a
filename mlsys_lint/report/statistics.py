"""`--statistics` in the text formats: one row per rule (findings, files, fixable), then the summary."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from mlsys_lint.report import Report
from mlsys_lint.report.grouped import summary


def rows(report: Report) -> list[tuple[str, str, str, int, int, int]]:
    """``(code, name, severity, findings, files, fixable)`` per rule, most findings first."""
    counts = Counter(d.code for d in report.diagnostics)
    files: dict[str, set[str]] = {}
    fixable: Counter = Counter()
    names: dict[str, tuple[str, str]] = {}
    for d in report.diagnostics:
        files.setdefault(d.code, set()).add(d.span.path)
        fixable[d.code] += d.fix is not None
        names.setdefault(d.code, (d.name, str(d.severity)))
    return [(code, *names[code], counts[code], len(files[code]), fixable[code])
            for code in sorted(counts, key=lambda c: (-counts[c], c))]


def render(report: Report, out: TextIO) -> None:
    table = rows(report)
    if table:
        width = max(len(str(count)) for *_, count, _, _ in table)
        name_width = max(len(name) for _, name, *_ in table)
        for code, name, severity, count, files, fixable in table:
            fix = f"  {fixable} fixable" if fixable else ""
            out.write(f"{count:>{width}}  {code:<7} {name:<{name_width}}  {severity:<7}  in {files} "
                      f"file{'s' if files != 1 else ''}{fix}\n")
        out.write("\n")
    for line in summary(report):
        out.write(line + "\n")
