"""Start-up cost: what `mlsys-lint --version` and a clean pre-commit run import.

Read with ``python -X importtime`` in a real subprocess: a module that is imported at
all shows up, however it was reached.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPORTERS = {"mlsys_lint.report.full", "mlsys_lint.report.grouped", "mlsys_lint.report.json_format",
             "mlsys_lint.report.sarif", "mlsys_lint.report.github", "mlsys_lint.report.junit",
             "mlsys_lint.report.statistics"}


def imported(args: list[str], cwd: Path) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "mlsys_lint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, "python -X importtime printed nothing"
    return names


def heavy(names: set[str], prefix: str) -> set[str]:
    return {name for name in names if name == prefix or name.startswith(prefix + ".")}


def test_version_imports_no_rule_engine_reporter_rich_or_yaml(tmp_path: Path) -> None:
    names = imported(["--version"], tmp_path)
    for package in ("yaml", "rich", "mlsys_lint.report", "mlsys_lint.engine", "mlsys_lint.document",
                    "mlsys_lint.elements", "mlsys_lint_rules", "mlsys_lint.api"):
        assert not heavy(names, package), package


def test_a_clean_pre_commit_run_imports_only_the_reporter_it_prints_with(tmp_path: Path) -> None:
    (tmp_path / "chapter.qmd").write_text("---\ntitle: Chapter\n---\n\nNothing to report.\n", encoding="utf-8")
    names = imported(["--format", "concise", "--no-cache", "chapter.qmd"], tmp_path)
    assert "mlsys_lint.engine" in names  # the run did happen
    assert not heavy(names, "rich")
    assert not names & REPORTERS


def test_a_check_answered_from_the_run_cache_loads_no_parser_rule_or_metadata(tmp_path: Path) -> None:
    """An unchanged book is answered from the run cache: no parser, no rule module, no
    `importlib.metadata` (plugins are known to be absent from the journal), and no YAML or
    TOML parser for its unchanged `.mlsys-lint.yml` (read back from the user's cache folder)."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  chapters: [index.qmd]\n", encoding="utf-8")
    (book / ".mlsys-lint.yml").write_text("extend-select: [FIG]\n", encoding="utf-8")
    (book / "index.qmd").write_text("# Index\n\nSee @fig-missing.\n", encoding="utf-8")
    first = imported(["--format", "concise", "."], book)
    assert "mlsys_lint.engine" in first
    names = imported(["--format", "concise", "."], book)
    for package in ("mlsys_lint.engine", "mlsys_lint.document", "mlsys_lint.project", "mlsys_lint_rules",
                    "mlsys_lint.serialize", "mlsys_lint.elements", "importlib.metadata", "rich", "yaml", "tomllib"):
        assert not heavy(names, package), package
    assert not names & REPORTERS


def test_the_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    import mlsys_lint

    assert mlsys_lint.__version__ == version("mlsys-lint")
