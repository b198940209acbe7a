"""SARIF 2.1.0 output (GitHub code scanning and other SARIF consumers).

One run; ``tool.driver.rules`` lists every rule that ran (sorted by code) plus any other
code that produced a finding; results point at their rule by id and index.  Locations
are relative URIs against ``%SRCROOT%``; columns count Unicode code points
(``columnKind``), end columns are exclusive as SARIF wants.  Output is deterministic:
no timestamps, no absolute paths.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from mlsys_lint.baseline import diagnostic_fingerprint
from mlsys_lint.model import Diagnostic, Fix, Severity
from mlsys_lint.report import Report, write_json

if TYPE_CHECKING:
    from mlsys_lint.plugin import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/mlsys-lint/mlsys-lint"
FINGERPRINT_KEY = "mlsysLint/v1"
SRCROOT = "%SRCROOT%"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _level(severity: Severity) -> str:
    return LEVELS.get(severity, "warning")


def artifact_uri(path: str) -> tuple[str, bool]:
    """A URI reference for `path` and whether it is relative to ``%SRCROOT%``."""
    posix = path.replace("\\", "/")
    if os.path.isabs(path) or posix.startswith("/"):
        drive_path = posix if posix.startswith("/") else "/" + posix
        return "file://" + quote(drive_path, safe="/:"), False
    while posix.startswith("./"):
        posix = posix[2:]
    return quote(posix, safe="/"), True


def _location(path: str) -> dict[str, Any]:
    uri, relative = artifact_uri(path)
    location: dict[str, Any] = {"uri": uri}
    if relative:
        location["uriBaseId"] = SRCROOT
    return location


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    line = max(line, 1)
    column = max(column, 1)
    end_line = max(end_line, line)
    end_column = max(end_column, 1)
    if end_line == line:
        end_column = max(end_column, column)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _rule_descriptor(code: str, rule: "Rule | None", example: Diagnostic | None) -> dict[str, Any]:
    if rule is not None:
        name, summary, doc, severity = rule.name, rule.summary, rule.doc, rule.severity
        tags = list(rule.tags)
    else:
        name = example.name if example is not None and example.name else code
        summary = name
        doc = ""
        severity = example.severity if example is not None else Severity.WARNING
        tags = []
    descriptor: dict[str, Any] = {
        "id": code,
        "name": name,
        "shortDescription": {"text": summary or name},
    }
    if doc:
        descriptor["fullDescription"] = {"text": doc, "markdown": doc}
        descriptor["help"] = {"text": doc, "markdown": doc}
    if rule is not None and rule.url:
        descriptor["helpUri"] = rule.url
    descriptor["defaultConfiguration"] = {"level": _level(severity)}
    properties: dict[str, Any] = {}
    if tags:
        properties["tags"] = tags
    if rule is not None and rule.fixable:
        properties["fixable"] = True
    if properties:
        descriptor["properties"] = properties
    return descriptor


def _fix(fix: Fix) -> dict[str, Any]:
    return {
        "description": {"text": fix.title},
        "artifactChanges": [
            {
                "artifactLocation": _location(fix.path),
                "replacements": [
                    {
                        "deletedRegion": _region(fix.start_line, fix.start_column, fix.end_line, fix.end_column),
                        "insertedContent": {"text": fix.replacement},
                    }
                ],
            }
        ],
    }


def _result(diagnostic: Diagnostic, rule_index: int) -> dict[str, Any]:
    span = diagnostic.span
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _level(diagnostic.severity),
        "message": {"text": diagnostic.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _location(span.path),
                    "region": _region(span.line, span.column, span.end_line, span.end_column),
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: diagnostic_fingerprint(diagnostic)},
    }
    if diagnostic.subject:
        result["properties"] = {"subject": diagnostic.subject}
    if diagnostic.fix is not None:
        result["fixes"] = [_fix(diagnostic.fix)]
    return result


def build(report: Report) -> dict[str, Any]:
    """The SARIF log for `report`, as a JSON-ready dict."""
    examples: dict[str, Diagnostic] = {}
    for diagnostic in report.diagnostics:
        examples.setdefault(diagnostic.code, diagnostic)
    codes = sorted(set(report.rules) | set(examples))
    index = {code: i for i, code in enumerate(codes)}
    rules = [_rule_descriptor(code, report.rules.get(code), examples.get(code)) for code in codes]
    driver: dict[str, Any] = {
        "name": "mlsys-lint",
        "version": report.tool_version,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, index[d.code]) for d in report.diagnostics],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, out: TextIO) -> None:
    write_json(build(report), out)
