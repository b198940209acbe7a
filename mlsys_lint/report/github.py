"""GitHub Actions workflow-command annotations, one line per finding.

``::error file=PATH,line=L,col=C,endLine=EL,endColumn=EC,title=CODE name::message``,
with ``warning`` and ``notice`` for the other severities.  Values are escaped as the
Actions toolkit does: ``%``, CR and LF everywhere, and ``:`` and ``,`` in properties.
Column properties are left out of multi-line spans, which GitHub does not accept.
"""

from __future__ import annotations

from typing import TextIO

from mlsys_lint.model import Diagnostic, Severity
from mlsys_lint.report import Report

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(diagnostic: Diagnostic) -> str:
    span = diagnostic.span
    properties: list[tuple[str, str]] = [("file", span.path.replace("\\", "/")), ("line", str(span.line))]
    if span.end_line == span.line:
        properties.append(("col", str(span.column)))
        properties.append(("endLine", str(span.end_line)))
        properties.append(("endColumn", str(max(span.end_column, span.column))))
    else:
        properties.append(("endLine", str(span.end_line)))
    title = f"{diagnostic.code} {diagnostic.name}".strip()
    properties.append(("title", title))
    command = COMMANDS.get(diagnostic.severity, "warning")
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{command} {rendered}::{escape_data(diagnostic.message)}"


def render(report: Report, out: TextIO) -> None:
    for diagnostic in report.diagnostics:
        out.write(annotation(diagnostic) + "\n")
    if report.stale_baseline:
        count = len(report.stale_baseline)
        noun = "entry" if count == 1 else "entries"
        message = f"{count} baseline {noun} no longer match any finding; rewrite the baseline with --write-baseline"
        out.write(f"::notice title={escape_property('mlsys-lint baseline')}::{escape_data(message)}\n")
