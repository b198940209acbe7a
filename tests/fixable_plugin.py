"""A tiny third-party rule plugin with fixes, for end-to-end tests of --fix and --diff.

Rules read `doc.masked` (visible prose only), so words inside code are never reported
or fixed:

- TST001 misspelt-the: ``teh`` → ``the`` (fixable)
- TST002 glued-note: a ``NOTE:`` line directly under a paragraph line gets a blank line
  inserted before it (fixable; the inserted newline follows the file's line endings)
- TST003 todo-marker: ``TODO`` (not fixable: it remains after --fix)
- TST004 shouting-teh: ``teh`` → ``TEH`` (fixable, off by default; its fix overlaps TST001's)

In process, tests add `RULES` to the registry by monkeypatching
``mlsys_lint.registry.load_rules``; `install_entry_point` registers the module the way a
real plugin package is registered (an ``mlsys_lint.rules`` entry point), for runs in a
subprocess.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from mlsys_lint.model import Fix, Violation
from mlsys_lint.plugin import rule

_TEH = re.compile(r"\bteh\b")
_TODO = re.compile(r"\bTODO\b")
_NOTE = re.compile(r"(?m)^NOTE:")


def _documents(project):
    return [project.documents[path] for path in sorted(project.documents)]


def _replace(doc, start: int, end: int, replacement: str, title: str) -> Fix:
    span = doc.source.span(start, end)
    return Fix(title, doc.source.path, span.line, span.column, span.end_line, span.end_column, replacement)


@rule("TST001", "misspelt-the", "warning", fixable=True)
def misspelt_the(project, options: dict[str, Any]) -> Iterator[Violation]:
    """``teh`` written for ``the``.

    ## Fix safety
    Always safe.
    """
    for doc in _documents(project):
        for match in _TEH.finditer(doc.masked):
            yield Violation(doc.source.span(match.start(), match.end()), "`teh` should be `the`", "teh",
                            _replace(doc, match.start(), match.end(), "the", "Replace `teh` with `the`"))


@rule("TST002", "glued-note", "error", fixable=True)
def glued_note(project, options: dict[str, Any]) -> Iterator[Violation]:
    """A ``NOTE:`` line glued to the paragraph above."""
    for doc in _documents(project):
        text = doc.masked
        for match in _NOTE.finditer(text):
            start = match.start()
            if start < 2 or text[start - 2] == "\n":
                continue
            yield Violation(doc.source.span(start, match.end()), "`NOTE:` is glued to the paragraph above", "NOTE",
                            _replace(doc, start, start, "\n", "Insert a blank line"))


@rule("TST003", "todo-marker", "warning")
def todo_marker(project, options: dict[str, Any]) -> Iterator[Violation]:
    """A ``TODO`` left in the text."""
    for doc in _documents(project):
        for match in _TODO.finditer(doc.masked):
            yield Violation(doc.source.span(match.start(), match.end()), "`TODO` left in the text", "TODO")


@rule("TST004", "shouting-teh", "info", fixable=True, enabled=False)
def shouting_teh(project, options: dict[str, Any]) -> Iterator[Violation]:
    """``teh`` that should shout (its fix conflicts with TST001's)."""
    for doc in _documents(project):
        for match in _TEH.finditer(doc.masked):
            yield Violation(doc.source.span(match.start(), match.end()), "`teh` should be `TEH`", "teh",
                            _replace(doc, match.start(), match.end(), "TEH", "Shout"))


RULES = [misspelt_the, glued_note, todo_marker, shouting_teh]


def install_entry_point(folder: Path) -> Path:
    """Make `folder` a sys.path entry that registers this module as an mlsys-lint plugin.

    Writes a copy of this module and a ``.dist-info`` with an ``mlsys_lint.rules`` entry
    point, which `importlib.metadata` finds like any installed distribution.  Put `folder`
    on ``PYTHONPATH`` of the subprocess.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fixable_plugin.py").write_text(Path(__file__).read_text(encoding="utf-8"), encoding="utf-8")
    info = folder / "mlsys_lint_fixable_plugin-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mlsys-lint-fixable-plugin\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[mlsys_lint.rules]\nfixable = fixable_plugin:RULES\n", encoding="utf-8")
    return folder
