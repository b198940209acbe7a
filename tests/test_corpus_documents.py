"""Differential test: the documents the linter reads in each shared corpus are the ones Quarto renders.

The expected lists (tests/data/corpus-documents/<corpus>.txt) were written down once from
quarto-cli's ``projectInputFiles``, ``projectHiddenIgnoreGlob`` and ``bookRenderItems``
and each project's ``_quarto.yml``, independently of mlsys_lint/inputs.py. Each section
is one project (a folder holding a ``_quarto.yml``), or ``loose .`` for a corpus folder
that is no project, whose run must not walk into the projects nested in it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lintkit import CORPORA
from mlsys_lint.document import parse
from mlsys_lint.inputs import TEXT_SUFFIXES
from mlsys_lint.model import Source
from mlsys_lint.project import build_project

EXPECTED = Path(__file__).parent / "data" / "corpus-documents"


def sections(corpus: str) -> dict[tuple[str, str], list[str]]:
    """``(kind, folder)`` → documents, from a fixture file."""
    found: dict[tuple[str, str], list[str]] = {}
    current: list[str] = []
    for line in (EXPECTED / f"{corpus}.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        if line.startswith("["):
            kind, folder = line[1:-1].split(" ", 1)
            current = found.setdefault((kind, folder), [])
        else:
            current.append(line)
    return found


def corpus_names() -> list[str]:
    if not CORPORA.is_dir():
        return []
    return sorted(path.stem for path in EXPECTED.glob("*.txt") if (CORPORA / path.stem).is_dir())


def _empty(path: Path):
    return parse(Source(str(path), ""))


@pytest.mark.skipif(not corpus_names(), reason=f"no shared corpora at {CORPORA}")
@pytest.mark.parametrize("corpus", corpus_names())
def test_documents_read_are_documents_quarto_renders(corpus: str) -> None:
    base = CORPORA / corpus
    expected_sections = sections(corpus)
    actual: dict[tuple[str, str], list[str]] = {}
    for kind, folder in expected_sections:
        root = base / folder
        if kind == "loose":
            project = build_project(root, load_document=_empty, loose_files=[root])
            rendered = sorted(project.rendered)
        else:
            project = build_project(root, load_document=_empty)
            rendered = project.rendered if project.is_book else sorted(project.rendered)
        actual[(kind, folder)] = [os.path.relpath(path, base) for path in rendered]
        checked = [os.path.relpath(unit.path, base) for unit in project.units]
        assert checked == [path for path in actual[(kind, folder)] if path.lower().endswith(TEXT_SUFFIXES)]
    assert actual == expected_sections


@pytest.mark.skipif(not corpus_names(), reason=f"no shared corpora at {CORPORA}")
@pytest.mark.parametrize("corpus", corpus_names())
def test_no_run_walks_more_than_its_own_tree(corpus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run on the corpus folder lists no folder of a project nested in it (loose) and
    nothing outside the project (a project)."""
    base = CORPORA / corpus
    walked: list[str] = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: walked.append(str(path)) or scandir(path))
    loose = not (base / "_quarto.yml").exists()
    project = build_project(base, load_document=_empty, loose_files=[base] if loose else None)
    assert all(path == str(base) or path.startswith(f"{base}{os.sep}") for path in walked)
    for nested in project.nested_projects:
        assert not [path for path in walked if path == str(nested) or path.startswith(f"{nested}{os.sep}")]
