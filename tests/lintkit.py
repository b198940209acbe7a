"""Test helpers: write a small project to a temporary folder and lint it in-process."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from mlsys_lint.config import Settings, settings_from_mapping
from mlsys_lint.engine import Engine
from mlsys_lint.registry import load_rules, select_rules
from mlsys_lint.model import Diagnostic

CORPORA = Path(os.environ.get("MLSYS_LINT_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora"))
"""The shared real-world corpora (``../shared/corpora`` beside the repository)."""

BOOK_CONFIG = """\
project:
  type: book
book:
  title: Test
  chapters:
{chapters}
"""


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path → text, dedented) below `root`; return `root`."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def book(root: Path, chapters: dict[str, str], extra: dict[str, str] | None = None, config: str | None = None) -> Path:
    """A book project with `chapters` (in order) listed in `_quarto.yml`."""
    listing = "\n".join(f"    - {name}" for name in chapters)
    files = {"_quarto.yml": config or BOOK_CONFIG.format(chapters=listing), **chapters, **(extra or {})}
    return write_files(root, files)


def lint(root: Path, select: list[str] | None = None, paths: list[Path] | None = None,
         config: dict | None = None) -> list[Diagnostic]:
    """Lint the project at `root` (or `paths`) and return the findings, in report order."""
    settings = settings_from_mapping(config or {}, "test") if config else Settings()
    if select is not None:
        settings.select = select
    engine = Engine(settings, select_rules(load_rules(), settings), base=root)
    result = engine.run(paths or [root])
    if paths is None and (root / "_quarto.yml").is_file():
        assert_files_alone_agree(root, settings, result.diagnostics, result.files)
    return result.diagnostics


def assert_files_alone_agree(root: Path, settings: Settings, diagnostics: list[Diagnostic], files: list[str]) -> None:
    """Every file of a Quarto project named alone (as pre-commit and the editor check it: in its
    project, only its findings reported) gets exactly its findings of the whole run: rules that skip the work
    for other files (`Project.targets`) must not change what they report."""
    for path in files:
        alone = Engine(settings, select_rules(load_rules(), settings), base=root).run([Path(path)]).diagnostics
        expected = [d for d in diagnostics if d.span.path == path]
        assert alone == expected, f"{path} checked alone: {found(alone)} != {found(expected)}"


def found(diagnostics: list[Diagnostic], root: Path | None = None) -> list[tuple[str, str, int, int]]:
    """``(code, file name relative to root, line, column)`` for each finding."""
    out = []
    for d in diagnostics:
        path = d.span.path
        if root is not None:
            path = str(Path(path).relative_to(root))
        out.append((d.code, path, d.span.line, d.span.column))
    return out
