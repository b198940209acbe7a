"""``path:line:col: CODE message``, one finding per line (editors and grep read it)."""

from __future__ import annotations

from typing import TextIO

from mlsys_lint.report import Report


def render(report: Report, out: TextIO) -> None:
    for d in report.diagnostics:
        out.write(f"{d.span.path}:{d.span.line}:{d.span.column}: {d.code} {d.message}\n")
    for entry in report.stale_baseline:
        out.write(f"{entry.get('path')}: stale baseline entry {entry.get('code')} ({entry.get('subject', '')})\n")
