"""Reporters: each turns a finished `Report` into one output format.

A reporter is a function ``render(report: Report, out: TextIO) -> None`` registered in
`FORMATS`; it is imported only when its format is asked for, so start-up stays small.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TextIO

import orjson

from mlsys_lint.model import Diagnostic, Severity

if TYPE_CHECKING:
    from mlsys_lint.plugin import Rule

FORMATS: dict[str, str] = {
    "full": "mlsys_lint.report.full",
    "concise": "mlsys_lint.report.concise",
    "grouped": "mlsys_lint.report.grouped",
    "json": "mlsys_lint.report.json_format",
    "sarif": "mlsys_lint.report.sarif",
    "github": "mlsys_lint.report.github",
    "junit": "mlsys_lint.report.junit",
    "statistics": "mlsys_lint.report.statistics",
}


class SourceLines(Mapping[str, list[str]]):
    """The lines of each file of a mapping path → `Source`, split when a reporter first shows one."""

    def __init__(self, sources: Mapping[str, Any]) -> None:
        self._sources = sources
        self._lines: dict[str, list[str]] = {}

    def __getitem__(self, path: str) -> list[str]:
        if path not in self._lines:
            self._lines[path] = self._sources[path].text.split("\n")
        return self._lines[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


@dataclass
class Report:
    """Everything a reporter may print: findings in order, plus run facts.

    Paths in diagnostics are already relative to the current directory.
    `sources` maps a path to its lines for showing context; `files` lists every file
    checked, in order; `rules` the rules that ran, by code.
    """

    diagnostics: list[Diagnostic]
    rules: dict[str, "Rule"]
    files: list[str]
    tool_version: str
    fail_on: Severity = Severity.WARNING
    sources: Mapping[str, list[str]] = field(default_factory=dict)
    color: bool | None = None
    statistics: bool = False
    stale_baseline: list[dict] = field(default_factory=list)
    fixed: int = 0
    elapsed: float = 0.0
    rendered: int | None = None
    """Documents Quarto renders in the projects run (None: not counted)."""
    checked: int = 0
    """Of those, the documents checked (notebooks are not read; pre-commit checks a few)."""
    skipped_projects: list[str] = field(default_factory=list)
    """Quarto projects inside a folder linted as loose documents, not loaded."""


def coverage(report: Report) -> list[str]:
    """Summary lines saying what was read: documents checked of those Quarto renders, projects skipped."""
    lines = []
    if report.rendered is not None:
        lines.append(f"Checked {report.checked} of the {report.rendered} documents Quarto renders here.")
    if report.skipped_projects:
        shown = ", ".join(report.skipped_projects[:3]) + (", …" if len(report.skipped_projects) > 3 else "")
        count = len(report.skipped_projects)
        lines.append(f"Skipped {count} Quarto project{'s' if count != 1 else ''} inside this folder ({shown}): "
                     "run mlsys-lint in each.")
    return lines


def renderer(name: str) -> Callable[[Report, TextIO], None]:
    """The `render` function of format `name`."""
    return importlib.import_module(FORMATS[name]).render


def fixable_summary(diagnostics: list[Diagnostic]) -> str:
    """What `--fix` would fix, and what `--unsafe-fixes` adds (empty when nothing is fixable)."""
    safe = sum(1 for d in diagnostics if d.fix is not None and d.fix.safe)
    unsafe = sum(1 for d in diagnostics if d.fix is not None and not d.fix.safe)
    if safe and unsafe:
        return f"{safe} fixable with --fix ({unsafe} more with --unsafe-fixes)"
    if unsafe:
        return f"{unsafe} fixable with --fix --unsafe-fixes"
    return f"{safe} fixable with --fix" if safe else ""


def per_rule(report: Report) -> list[tuple[str, str, str, int, int, int]]:
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


def help_url(report: Report, code: str) -> str | None:
    """The documentation link of the rule behind `code`: its own `url`, or none (never guessed)."""
    rule = report.rules.get(code)
    return rule.url if rule is not None else None


def write_json(data: object, out: TextIO) -> None:
    """`data` as JSON indented by two spaces (as ``json.dump(indent=2, ensure_ascii=False)``
    writes it) and a newline.  Encoded by orjson, a long top-level list (the findings) in
    slices of `_JSON_SLICE` items, so that 100,000 findings never sit in memory as one string."""
    if not isinstance(data, dict) or not data:
        out.write(_json(data) + "\n")
        return
    out.write("{")
    for number, (key, value) in enumerate(data.items()):
        out.write(("," if number else "") + "\n  " + _json(key) + ": ")
        if isinstance(value, list) and len(value) > _JSON_SLICE:
            out.write("[")
            for first in range(0, len(value), _JSON_SLICE):
                items = _json(value[first : first + _JSON_SLICE])[1:-2]  # "\n  {…},\n  {…}" without "[", "\n]"
                out.write(("," if first else "") + items.replace("\n", "\n  "))
            out.write("\n  ]")
        else:
            out.write(_json(value).replace("\n", "\n  "))  # JSON strings hold no raw line break
    out.write("\n}\n")


_JSON_SLICE = 2000


def _json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
