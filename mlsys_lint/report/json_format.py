"""The versioned JSON output (schema: ``mlsys_lint/schemas/output-v1.json``)."""

from __future__ import annotations

from collections import Counter
from typing import Any, TextIO

from mlsys_lint.report import Report, write_json

VERSION = 1


def build(report: Report) -> dict[str, Any]:
    """The JSON document as a Python mapping."""
    by_severity = Counter(str(d.severity) for d in report.diagnostics)
    return {
        "version": VERSION,
        "tool": {"name": "mlsys-lint", "version": report.tool_version},
        "summary": {
            "files": len(report.files),
            "diagnostics": len(report.diagnostics),
            "errors": by_severity.get("error", 0),
            "warnings": by_severity.get("warning", 0),
            "info": by_severity.get("info", 0),
            "fixable": sum(1 for d in report.diagnostics if d.fix is not None),
            "fixed": report.fixed,
            "by_rule": dict(sorted(Counter(d.code for d in report.diagnostics).items())),
            "stale_baseline_entries": len(report.stale_baseline),
            **({"documents": {"rendered": report.rendered, "checked": report.checked}}
               if report.rendered is not None else {}),
        },
        "diagnostics": [] if report.statistics else [d.as_dict() for d in report.diagnostics],
        "stale_baseline": report.stale_baseline,
    }


def render(report: Report, out: TextIO) -> None:
    write_json(build(report), out)
