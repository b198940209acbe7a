"""Rich terminal output: one block per finding with the source line and a caret, then a summary.

The blocks are written directly, with their few ANSI styles spelt out here: `rich` spends
about half a millisecond laying out each printed text, which made 100,000 findings take
50 s. The summary table and the closing lines still go through `rich`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlsys_lint.model import Diagnostic, Severity, plural
from mlsys_lint.report import Report, coverage, fixable_summary, help_url, per_rule

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}
_SGR = {"bold red": "1;31", "bold yellow": "1;33", "bold cyan": "1;36", "bold": "1", "dim": "2", "blue": "34",
        "green": "32"}
"""Select Graphic Rendition parameters of the styles the blocks use, as `rich` writes them."""

_HIDDEN = re.compile("[\a\b\v\f\r]")
"""Control characters a terminal would act on (bell, backspace, vertical tab, form feed, carriage
return): dropped from shown text, as `rich` drops them."""

EXCERPT_WIDTH = 100
"""Columns of source shown around a finding; a longer line (a paragraph on one line) is cut."""

_BATCH = 500
"""Findings written per call to the output stream."""


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


class _Painter:
    """Wraps text in ANSI styles and hyperlinks, or leaves it plain when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        if not self.color or not text:
            return text
        sgr = _SGR[style]
        return "\n".join(f"\x1b[{sgr}m{line}\x1b[0m" if line else line for line in text.split("\n"))

    def label(self, severity: str, code: str, style: str, url: str | None) -> str:
        """``severity[CODE]`` in `style`, the code a hyperlink to its help page when it has one."""
        if not self.color or url is None:
            return self(f"{severity}[{code}]", style)
        return f"{self(f'{severity}[', style)}\x1b]8;;{url}\x1b\\{self(code, style)}\x1b]8;;\x1b\\{self(']', style)}"


def _shown(text: str, column: int) -> str:
    """`text` as a terminal should get it when it starts at `column`: tabs expanded to stops of
    eight, control characters dropped."""
    text = _HIDDEN.sub("", text)
    return (" " * column + text).expandtabs(8)[column:] if "\t" in text else text


def _block(paint: _Painter, diagnostic: Diagnostic, lines: list[str] | None, url: str | None) -> str:
    """One finding's rows: heading, location, the source line with carets, and the fix's title."""
    style = _STYLE[diagnostic.severity]
    span = diagnostic.span
    gutter = " " * len(str(span.line))
    bar = paint("|", "blue")
    label = paint.label(str(diagnostic.severity), diagnostic.code, style, url)
    column = len(f"{diagnostic.severity}[{diagnostic.code}] {diagnostic.name}: ")
    rows = [f"{label} {paint(diagnostic.name, 'dim')}: {paint(_shown(diagnostic.message, column), 'bold')}",
            f"{gutter}{paint('-->', 'blue')} {_shown(span.path, len(gutter) + 4)}:{span.line}:{span.column}"]
    if lines is not None and 0 < span.line <= len(lines):
        shown, carets = _caret_line(diagnostic, lines[span.line - 1])
        rows += [f"{gutter} {bar}", f"{paint(f'{span.line} |', 'blue')} {_shown(shown, 0)}",
                 f"{gutter} {bar} {paint(carets, style)}"]
    if diagnostic.fix is not None:
        title = _shown(diagnostic.fix.title, len(gutter) + 8)
        rows.append(f"{gutter} {paint('=', 'blue')} {paint('fix:', 'green')} {title}")
    return "\n".join(rows) + "\n\n"


def _blocks(report: Report, paint: _Painter) -> Iterator[str]:
    urls: dict[str, str | None] = {}
    for diagnostic in report.diagnostics:
        code = diagnostic.code
        if code not in urls:
            urls[code] = help_url(report, code)
        yield _block(paint, diagnostic, report.sources.get(diagnostic.span.path), urls[code])


def render(report: Report, out: TextIO) -> None:
    console = Console(file=out, force_terminal=report.color, no_color=report.color is False, highlight=False,
                      soft_wrap=True, emoji=False)
    paint = _Painter(console.color_system is not None and not console.legacy_windows and not console.no_color)
    batch: list[str] = []
    for block in _blocks(report, paint):
        batch.append(block)
        if len(batch) == _BATCH:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))
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
