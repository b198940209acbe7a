"""JUnit XML output: one test suite per file, one test case per rule per file.

A test case is named by the rule code, with the file's path as class name.  It fails
(``<failure>``) when the rule found anything in that file — the failure text lists every
finding as ``line:col: message`` — and passes otherwise.  Files are in check order, rules
sorted by code; no timings are written, so the same findings give the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from mlsys_lint.model import Diagnostic
from mlsys_lint.report import Report

_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """`text` with characters XML 1.0 cannot hold replaced by U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def _posix(path: str) -> str:
    return path.replace("\\", "/")


def build(report: Report) -> ET.Element:
    by_file: dict[str, list[Diagnostic]] = {}
    for path in report.files:
        by_file.setdefault(_posix(path), [])
    for diagnostic in report.diagnostics:
        by_file.setdefault(_posix(diagnostic.span.path), []).append(diagnostic)

    root = ET.Element("testsuites", {"name": "mlsys-lint"})
    total_tests = total_failures = 0
    for path, diagnostics in by_file.items():
        by_code: dict[str, list[Diagnostic]] = {code: [] for code in report.rules}
        for diagnostic in diagnostics:
            by_code.setdefault(diagnostic.code, []).append(diagnostic)
        suite = ET.SubElement(root, "testsuite", {"name": _clean(path)})
        failures = 0
        for code in sorted(by_code):
            found = sorted(by_code[code], key=lambda d: (d.span.line, d.span.column, d.span.end_line, d.span.end_column, d.message))
            case = ET.SubElement(suite, "testcase", {"name": code, "classname": _clean(path)})
            if found:
                failures += 1
                rule = report.rules.get(code)
                name = rule.name if rule is not None else found[0].name
                count = len(found)
                noun = "finding" if count == 1 else "findings"
                failure = ET.SubElement(
                    case,
                    "failure",
                    {"message": _clean(f"{count} {noun} of {code} ({name})" if name else f"{count} {noun} of {code}"), "type": code},
                )
                failure.text = _clean(
                    "\n".join(f"{d.span.line}:{d.span.column}: {d.severity}: {' '.join(d.message.splitlines())}" for d in found)
                )
        suite.set("tests", str(len(by_code)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total_tests += len(by_code)
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    return root


def render(report: Report, out: TextIO) -> None:
    root = build(report)
    ET.indent(root, space="  ")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
