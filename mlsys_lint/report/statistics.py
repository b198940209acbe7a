"""`--statistics` in the text formats: one row per rule (findings, files, fixable), then the summary."""

from __future__ import annotations

from typing import TextIO

from mlsys_lint.report import Report, per_rule
from mlsys_lint.report.grouped import summary


def render(report: Report, out: TextIO) -> None:
    table = per_rule(report)
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
