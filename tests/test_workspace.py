"""The editor's workspace keeps gathered facts across edits only while what they read is unchanged.

Each test refreshes a `Workspace` after one change and compares its findings with those of
a workspace built afresh, and says whether the glossary was gathered again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lintkit import book
from mlsys_lint.workspace import Workspace

CHAPTERS = {
    "intro.qmd": "# Intro\n\nA GPU runs the kernels. The gpu is busy. See @fig-a.\n\n"
                 "![A caption](a.png){#fig-a fig-alt=\"A plot\"}\n",
    "later.qmd": "# Later\n\nA TPU[^1] differs from a GPU.\n\n[^1]: A tensor processing unit.\n",
    "glossary.qmd": "# Glossary\n\nTPU\n:   Tensor processing unit.\n",
}
GLOSSARY = "GPU: Graphics processing unit.\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return book(tmp_path / "book", dict(CHAPTERS), extra={"glossary.yml": GLOSSARY, "a.png": ""})


def _findings(workspace: Workspace) -> list[tuple[str, int, int, str, str]]:
    return sorted((Path(d.span.path).name, d.span.line, d.span.column, d.code, d.message)
                  for found in workspace.findings.values() for d in found)


def _fresh_workspace(root: Path, buffers: dict[str, str] | None = None) -> Workspace:
    workspace = Workspace(root)
    for path, text in (buffers or {}).items():
        workspace.set_text(path, text)
    workspace.refresh()
    return workspace


def _fresh(root: Path, buffers: dict[str, str] | None = None):
    return _findings(_fresh_workspace(root, buffers))


def _example_book(tmp_path: Path) -> Path:
    """A copy of the example book to edit."""
    root = tmp_path / "book"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "book", root)
    return root


def test_an_edit_that_cannot_change_the_glossary_keeps_it(root: Path) -> None:
    workspace = Workspace(root)
    workspace.refresh()
    glossary = workspace.project.glossary
    assert glossary is not None and glossary.lookup("GPU") is not None
    edited = str(root / "later.qmd")
    text = CHAPTERS["later.qmd"].replace("differs from a GPU", "differs from a gpu, and @fig-b")
    workspace.set_text(edited, text)
    workspace.refresh()
    assert workspace.project.glossary is glossary
    assert _findings(workspace) == _fresh(root, {edited: text})


@pytest.mark.parametrize("change", ["glossary file", "glossary chapter", "configuration", "new chapter"])
def test_a_change_the_glossary_reads_gathers_it_again(root: Path, change: str) -> None:
    workspace = Workspace(root)
    workspace.refresh()
    glossary = workspace.project.glossary
    buffers = {}
    if change == "glossary file":
        (root / "glossary.yml").write_text(GLOSSARY + "kernel: A function run on a device.\n")
    elif change == "glossary chapter":
        buffers[str(root / "glossary.qmd")] = CHAPTERS["glossary.qmd"] + "\nKernels\n:   Functions.\n"
    elif change == "configuration":
        config = (root / "_quarto.yml").read_text()
        (root / "_quarto.yml").write_text(config.replace("    - glossary.qmd\n", ""))
    elif change == "new chapter":
        config = (root / "_quarto.yml").read_text()
        (root / "terms.qmd").write_text("# Glossary of terms\n\nNPU\n:   Neural processing unit.\n")
        (root / "_quarto.yml").write_text(config + "    - terms.qmd\n")
    for path, text in buffers.items():
        workspace.set_text(path, text)
    workspace.refresh()
    assert workspace.project.glossary is not glossary
    assert _findings(workspace) == _fresh(root, buffers)


def _edits(rng, root: Path, buffers: dict[str, str]):
    """One random edit: to an open buffer (as typing does) or to a file on disk."""
    chapters = sorted(str(path) for path in root.glob("*.qmd") if not path.read_bytes().startswith(b"\xff\xfe"))
    path = rng.choice(chapters)  # the example book's UTF-16 file stays as it is (MSL001)
    text = buffers.get(path) or Path(path).read_text(encoding="utf-8")
    lines = text.split("\n")
    kind = rng.choice(["drop-line", "break-ref", "add-term", "lower", "footnote", "glossary", "close", "duplicate"])
    if kind == "drop-line" and len(lines) > 3:
        del lines[rng.randrange(len(lines))]
    elif kind == "break-ref":
        lines.insert(rng.randrange(len(lines)), "See @fig-nowhere and @tbl-gone.")
    elif kind == "add-term":
        lines.insert(rng.randrange(len(lines)), "A GPU, a gpu and a Tensor Processing Unit (TPU).")
    elif kind == "lower":
        index = rng.randrange(len(lines))
        lines[index] = lines[index].lower()
    elif kind == "footnote":
        lines.insert(rng.randrange(len(lines)), "A claim.[^zz]")
    elif kind == "duplicate":
        index = rng.randrange(len(lines))
        lines.insert(index, lines[index])
    elif kind == "glossary":
        glossary = root / "glossary.yml"
        glossary.write_text(glossary.read_text(encoding="utf-8") + f"\nword{rng.randrange(1000)}: A word.\n",
                            encoding="utf-8")
        return
    if kind == "close":
        buffers.pop(path, None)
        return
    buffers[path] = "\n".join(lines)


def test_a_long_lived_workspace_agrees_with_a_fresh_one_after_every_edit(tmp_path: Path) -> None:
    """Whatever the workspace keeps between edits (parsed documents, the glossary, per-file
    results), its findings after each edit are those of a workspace built afresh."""
    import random

    root = _example_book(tmp_path)
    rng = random.Random(20261204)
    workspace = Workspace(root)
    workspace.refresh()
    buffers: dict[str, str] = {}
    seen = {tuple(_findings(workspace))}
    for _ in range(12):
        _edits(rng, root, buffers)
        for path in sorted(str(p) for p in root.glob("*.qmd")):
            workspace.set_text(path, buffers.get(path))
        workspace.refresh()
        assert _findings(workspace) == _fresh(root, buffers)
        seen.add(tuple(_findings(workspace)))
    assert len(seen) > 6, "the edits changed the findings"


def test_a_focused_refresh_brings_the_edited_file_up_to_date_first(tmp_path: Path) -> None:
    """`refresh(focus)` updates the edited chapter's findings alone (rules skip the others);
    `refresh_rest` then brings the chapter it broke up to date, without reading the book again."""
    root = book(tmp_path / "book", {"a.qmd": "# A\n\nSee @sec-b.\n", "b.qmd": "# B {#sec-b}\n\nText.\n"})
    a, b = str(root / "a.qmd"), str(root / "b.qmd")
    workspace = Workspace(root)
    workspace.refresh()
    assert a not in workspace.findings
    workspace.set_text(b, "# B\n\nText.\n\n![](gone.png)\n")  # the label goes; an image without alt text comes
    assert workspace.refresh({b}) == {b}
    assert a not in workspace.findings and {d.code for d in workspace.findings[b]} >= {"CAP009"}
    project = workspace.project
    assert workspace.refresh_rest() == {a} and workspace.project is project
    assert [d.code for d in workspace.findings[a]] == ["XR001"]
    assert workspace.refresh_rest() == set()  # nothing left to bring up to date
    assert _findings(workspace) == _fresh(root, {b: "# B\n\nText.\n\n![](gone.png)\n"})


def test_edits_checked_first_on_their_own_agree_with_a_fresh_workspace(tmp_path: Path) -> None:
    """As the language server checks an edit: the edited buffers first (`refresh(focus)`),
    whose findings must already be final, then the rest (`refresh_rest`)."""
    import random

    root = _example_book(tmp_path)
    rng = random.Random(20261205)
    workspace = Workspace(root)
    workspace.refresh()
    buffers: dict[str, str] = {}
    for _ in range(12):
        before = dict(buffers)
        _edits(rng, root, buffers)
        edited = {path for path in set(before) | set(buffers) if before.get(path) != buffers.get(path)}
        for path in sorted(str(p) for p in root.glob("*.qmd")):
            workspace.set_text(path, buffers.get(path))
        workspace.refresh(edited or None)  # an edit on disk (the glossary) checks the whole book
        fresh = _fresh_workspace(root, buffers)
        for path in edited:
            assert workspace.findings.get(path) == fresh.findings.get(path), path
        workspace.refresh_rest()
        assert _findings(workspace) == _findings(fresh)


ORDERED = {
    "a.qmd": "# A {#sec-a}\n\nAs @fig-b shows, a GPU helps.\n",
    "b.qmd": "# B {#sec-b}\n\n![B](a.png){#fig-b fig-alt=\"A plot\"}\n\nA **GPU** is a processor. See @sec-a.\n",
    "c.qmd": "# C {#sec-c}\n\nThe GPU again, and @fig-b.\n\n![C](a.png){#fig-c fig-alt=\"C\"}\n\nFigure 3.1 is @fig-c.\n",
}


def _config(chapters: list[str], appendices: list[str] = ()) -> str:
    listing = "".join(f"    - {name}\n" for name in chapters)
    extra = "  appendices:\n" + "".join(f"    - {name}\n" for name in appendices) if appendices else ""
    return f"project:\n  type: book\nbook:\n  title: Test\n  chapters:\n{listing}{extra}"


def test_a_change_of_the_books_structure_is_seen_by_a_long_lived_workspace(tmp_path: Path) -> None:
    """What the workspace keeps per chapter (the chapter's place, its includes, the index of
    its labels and terms) is renewed when the book's order, its appendices or an include
    changes, and only then: the findings after each change are a fresh workspace's."""
    root = book(tmp_path / "book", dict(ORDERED), extra={"a.png": "", "glossary.yml": GLOSSARY})
    workspace = Workspace(root)
    workspace.refresh()
    seen = {tuple(_findings(workspace))}
    first = {unit.path: unit for unit in workspace.project.units}
    changes = [
        lambda: (root / "_quarto.yml").write_text(_config(["b.qmd", "a.qmd", "c.qmd"])),
        lambda: (root / "_quarto.yml").write_text(_config(["b.qmd", "a.qmd"], ["c.qmd"])),
        lambda: (root / "part.qmd").write_text("![Part](a.png){#fig-part fig-alt=\"P\"}\n\nA GPU, @fig-b.\n"),
        lambda: (root / "a.qmd").write_text(ORDERED["a.qmd"] + "\n{{< include part.qmd >}}\n\nSee @fig-part.\n"),
        lambda: (root / "part.qmd").write_text("Nothing labelled here, @fig-part.\n"),
        lambda: (root / "_quarto.yml").write_text(_config(["a.qmd", "b.qmd", "c.qmd"])),
    ]
    for change in changes:
        change()
        workspace.refresh()
        assert _findings(workspace) == _fresh(root)
        seen.add(tuple(_findings(workspace)))
    assert len(seen) >= 4, "the changes changed the findings"
    kept = {unit.path: unit for unit in workspace.project.units}
    assert kept[str(root / "b.qmd")] is first[str(root / "b.qmd")]  # same place, same text: the same unit
    assert kept[str(root / "a.qmd")] is not first[str(root / "a.qmd")]


def _folder_contents(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_the_workspace_reads_the_cache_the_command_line_wrote_and_never_writes_it(tmp_path: Path, monkeypatch) -> None:
    """A book checked before opens from the parse cache (documents and per-file facts); an
    edit leaves no entry behind; the findings are those of a workspace that reads no cache."""
    from mlsys_lint import cache as cache_module
    from mlsys_lint.api import lint

    root = _example_book(tmp_path)
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLSYS_LINT_CACHE_DIR", str(folder))
    monkeypatch.setenv(cache_module.KEY_ENVIRONMENT, "a key for this test")
    cache_module.secret_key.cache_clear()
    try:
        lint([root], reuse=False)
        written = _folder_contents(folder)
        assert written
        workspace = Workspace(root)
        workspace.refresh()
        assert sum(cache.hits for cache in workspace.engine.caches) > 0
        chapter = str(root / "introduction.qmd")
        workspace.set_text(chapter, Path(chapter).read_text(encoding="utf-8") + "\nA new line with @fig-nowhere.\n")
        workspace.refresh()
        assert _folder_contents(folder) == written
        fresh = Workspace(root)
        fresh.engine.use_cache = False
        fresh.set_text(chapter, workspace.engine.overlays[chapter])
        fresh.refresh()
        assert _findings(workspace) == _findings(fresh)
        assert any("fig-nowhere" in message for *_, message in _findings(workspace))
    finally:
        cache_module.secret_key.cache_clear()


def test_an_unchanged_file_is_not_read_again_and_a_changed_one_always_is(tmp_path: Path, monkeypatch) -> None:
    """Between edits the workspace takes a settled file's bytes from memory while its size,
    inode and times are unchanged (`observed.remembering`); a rewrite is seen even when it
    keeps the size and puts the modification time back (the change time still moves)."""
    import os

    from mlsys_lint import observed

    monkeypatch.setattr(observed, "SETTLED_NS", 0)  # no need to wait for the files to settle
    root = book(tmp_path / "book", {"a.qmd": "# A\n\nSee @sec-b.\n", "b.qmd": "# B {#sec-b}\n\nText.\n"})
    workspace = Workspace(root)
    workspace.refresh()
    reads: list[str] = []
    real = Path.read_bytes

    def counting(path: Path) -> bytes:
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", counting)
    workspace.refresh()
    assert not {"a.qmd", "b.qmd", "_quarto.yml"} & set(reads)
    b = root / "b.qmd"
    before = b.stat()
    b.write_text("# B {#sec-c}\n\nText.\n", encoding="utf-8")  # same size: the label is gone
    os.utime(b, ns=(before.st_atime_ns, before.st_mtime_ns))
    workspace.refresh()
    assert "b.qmd" in reads and [d.code for d in workspace.findings[str(root / "a.qmd")]] == ["XR001"]
