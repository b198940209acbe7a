"""The run cache: a check is answered from the cache only while nothing it read has changed.

Each test lints a copy of a book twice (or more) through the library API with ``reuse``
on, changes one thing the findings depend on in between, and compares with a run that
does not use the cache at all.  The first test holds the mechanism to its premise: every
file-system question a run asks goes through `mlsys_lint.observed`, so nothing a finding
depends on can change unseen.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from lintkit import CORPORA, write_files
from mlsys_lint import observed
from mlsys_lint.api import lint
from mlsys_lint.cache import code_fingerprint

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "book"


def _copy_example(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    shutil.copytree(EXAMPLE, root)
    return root


def _run(root: Path, cache: Path, *paths: str, reuse: bool = True, **options):
    """Lint `paths` (default: the project) from inside `root`; the result and the findings as text."""
    previous = os.getcwd()
    os.chdir(root)
    try:
        result = lint(list(paths), cache=True, cache_dir=cache, reuse=reuse, **options)
    finally:
        os.chdir(previous)
    text = [f"{d.path}:{d.line}:{d.column}: {d.code} {d.message} [{d.fingerprint}] {d.source_line!r}"
            + (f" fix={d.fix.as_dict()}" if d.fix else "") + "".join(f" related={r}" for r in d.related)
            for d in result.diagnostics]
    return result, text


def _fresh(root: Path, *paths: str, **options) -> list[str]:
    """The findings of a run that uses no cache at all."""
    previous = os.getcwd()
    os.chdir(root)
    try:
        result = lint(list(paths), cache=False, **options)
    finally:
        os.chdir(previous)
    return [f"{d.path}:{d.line}:{d.column}: {d.code} {d.message} [{d.fingerprint}] {d.source_line!r}"
            + (f" fix={d.fix.as_dict()}" if d.fix else "") + "".join(f" related={r}" for r in d.related)
            for d in result.diagnostics]


# -- the premise: every question is observed ------------------------------------------------


_KEYED = {"mlsys_lint.config", "mlsys_lint.registry", "mlsys_lint.plugin", ("mlsys_lint.api", "resolve_settings")}
"""What is read before a run, and enters the run cache's key instead: the settings, the rules."""


class _Guard:
    """Wraps the file-system calls of `os`, `io` and `builtins`; notes each call made outside
    `mlsys_lint.observed` on a path outside the allowed folders (the caches, the package)."""

    def __init__(self, allowed: list[str]) -> None:
        self.allowed = [os.path.realpath(folder) for folder in allowed]
        self.unobserved: list[tuple[str, str]] = []

    def wrap(self, name: str, function):
        def guarded(path=".", *args, **kwargs):
            if not isinstance(path, int) and not self._fine(path):
                self.unobserved.append((name, os.fspath(path), _caller()))
            return function(path, *args, **kwargs)
        return guarded

    def _fine(self, path) -> bool:
        frame = sys._getframe(2)
        while frame is not None:
            module = frame.f_globals.get("__name__")
            if module == "mlsys_lint.observed" or module in _KEYED or (module, frame.f_code.co_name) in _KEYED:
                return True
            frame = frame.f_back
        text = os.path.abspath(os.fspath(path))
        return any(text == folder or text.startswith(folder + os.sep) for folder in self.allowed)


def _caller() -> str:
    """The innermost function of mlsys-lint on the stack (where an unobserved call comes from)."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(("mlsys_lint", "rules")):
            return f"{module}.{frame.f_code.co_name}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


def _projects_to_guard(tmp_path: Path) -> list[Path]:
    example = _copy_example(tmp_path)
    (example / "images" / "loop.svg").symlink_to("loop.svg")
    (example / "_quarto-draft.yml").write_text("book:\n  chapters:\n    - index.qmd\n    - draft.qmd\n")
    (example / "draft.qmd").write_text("# Draft\n\n![A plot](images/Missing.PNG){#fig-x}\n")
    website = write_files(tmp_path / "site", {
        "_quarto.yml": "project:\n  type: website\n  render:\n    - '*.qmd'\n    - '!drafts/'\n"
                       "metadata-files: [_meta.yml]\nbibliography: refs/*.bib\n",
        "_meta.yml": "crossref:\n  fig-prefix: Fig.\n",
        "index.qmd": "# Home\n\nSee @fig-a.\n\n{{< include parts/_a.qmd >}}\n{{< include parts/_gone.qmd >}}\n",
        "parts/_a.qmd": "![A](a.svg){#fig-a}\n",
        "drafts/b.qmd": "# Draft\n",
        "nested/_quarto.yml": "project:\n  type: default\n",
        "nested/c.qmd": "# C\n",
        "script.py": "# %% [markdown]\n# A percent script\n",
        "glossary.yml": "GPU: Graphics processing unit\n",
    })
    loose = write_files(tmp_path / "loose", {"a.md": "# A[^1]\n", "sub/b.qmd": "# B\n"})
    projects = [example, website, loose]
    projects += [CORPORA / name for name in ("mlsysbook-sample", "r4ds", "quarto-glossary") if (CORPORA / name).is_dir()]
    return projects


def test_every_file_system_question_of_a_run_is_observed(tmp_path, monkeypatch):
    projects = _projects_to_guard(tmp_path)
    cache = tmp_path / "cache"
    code_fingerprint()  # the package's own files are read once, before
    guard = _Guard([str(cache), os.environ["XDG_CACHE_HOME"], str(Path(observed.__file__).parent),
                    str(Path(__file__).resolve().parents[1] / "rules"), sys.prefix, sys.base_prefix])
    monkeypatch.setenv("QUARTO_PROFILE", "draft")
    for module, name in ((os, "stat"), (os, "lstat"), (os, "scandir"), (os, "listdir"), (os, "open"),
                         (io, "open"), (builtins, "open")):
        monkeypatch.setattr(module, name, guard.wrap(name, getattr(module, name)))
    findings = 0
    for root in projects:
        result = lint([str(root)], cache=True, cache_dir=cache)
        findings += len(result.diagnostics)
    monkeypatch.undo()
    assert findings > 50
    assert "\n".join(sorted({f"{name} {where}" for name, _, where in guard.unobserved})) == ""


# -- reuse, and every kind of change that must end it --------------------------------------------


def test_a_second_run_is_reused_and_identical(tmp_path):
    root = _copy_example(tmp_path)
    first, before = _run(root, tmp_path / "cache")
    second, after = _run(root, tmp_path / "cache")
    assert not first.reused and second.reused
    assert after == before == _fresh(root)
    assert (second.files, second.rendered, second.checked, second.exit_code) == (
        first.files, first.rendered, first.checked, first.exit_code)
    assert second.sources["data.qmd"].text == (root / "data.qmd").read_text(encoding="utf-8")


@pytest.mark.parametrize("change", [
    "edit a chapter", "add a file a glob renders", "delete an image", "change an image name's case",
    "edit the glossary", "edit the bibliography", "edit an included file", "add a missing chapter",
    "switch the profile", "remove a link's target",
])
def test_a_change_the_findings_depend_on_is_seen(tmp_path, monkeypatch, change):
    root = _copy_example(tmp_path)
    (root / "_quarto-short.yml").write_text("book:\n  chapters:\n    - index.qmd\n    - introduction.qmd\n")
    (root / "images" / "linked.svg").symlink_to("roofline.svg")
    (root / "tools.qmd").write_text((root / "tools.qmd").read_text() + "\n![Linked](images/linked.svg)\n")
    _run(root, tmp_path / "cache")
    assert _run(root, tmp_path / "cache")[0].reused
    if change == "edit a chapter":
        (root / "data.qmd").write_text((root / "data.qmd").read_text() + "\nSee @fig-nowhere.\n")
    elif change == "add a file a glob renders":
        (root / "_quarto.yml").write_text((root / "_quarto.yml").read_text() + "\nproject:\n  render: ['*.qmd']\n")
        _run(root, tmp_path / "cache")
        (root / "extra.qmd").write_text("# Extra\n\nSee @fig-nowhere.\n")
    elif change == "delete an image":
        next(path for path in (root / "images").iterdir() if path.suffix == ".svg" and not path.is_symlink()
             and path.name != "roofline.svg").unlink()
    elif change == "change an image name's case":
        image = root / "images" / "roofline.svg"
        image.rename(image.with_name("Roofline.svg"))
    elif change == "edit the glossary":
        (root / "glossary.yml").write_text((root / "glossary.yml").read_text() + "\nwidget: A made-up word.\n")
    elif change == "edit the bibliography":
        (root / "references.bib").write_text("")
    elif change == "edit an included file":
        (root / "_shared" / "_note.qmd").write_text("See @fig-nowhere.\n")
    elif change == "add a missing chapter":
        (root / "deployment.qmd").write_text("# Deployment\n")
    elif change == "switch the profile":
        monkeypatch.setenv("QUARTO_PROFILE", "short")
    elif change == "remove a link's target":
        (root / "images" / "roofline.svg").unlink()
    result, text = _run(root, tmp_path / "cache")
    assert not result.reused
    assert text == _fresh(root)
    assert _run(root, tmp_path / "cache")[0].reused


def test_settings_paths_and_folder_are_part_of_the_key(tmp_path):
    root = _copy_example(tmp_path)
    cache = tmp_path / "cache"
    _run(root, cache)
    assert not _run(root, cache, select=["XR"])[0].reused
    assert _run(root, cache, select=["XR"])[0].reused
    (root / ".mlsys-lint.yml").write_text("ignore: [GLS]\n")
    result, text = _run(root, cache)
    assert not result.reused and text == _fresh(root) and not any(" GLS" in line for line in text)
    only, text = _run(root, cache, "data.qmd")
    assert not only.reused and text == _fresh(root, "data.qmd")
    assert {line.split(":")[0] for line in text} == {"data.qmd"}
    inside, shown = _run(root / "images", cache, "..")
    assert not inside.reused and all(line.startswith("../") for line in shown)


def test_fixes_and_editor_text_never_come_from_the_run_cache(tmp_path):
    root = _copy_example(tmp_path)
    cache = tmp_path / "cache"
    _run(root, cache)
    assert not _run(root, cache, reuse=False)[0].reused
    assert not _run(root, cache, "data.qmd", text=(root / "data.qmd").read_text())[0].reused
    fixed, _ = _run(root, cache, fix=True)
    assert not fixed.reused and fixed.fixed > 0 and fixed.projects


def test_a_damaged_or_foreign_entry_is_a_miss(tmp_path):
    root = _copy_example(tmp_path)
    cache = tmp_path / "cache"
    _, before = _run(root, cache)
    entries = [path for path in cache.rglob("*") if path.is_file() and path.stat().st_size > 0
               and b'"journal"' in path.read_bytes()]
    assert len(entries) == 1
    entry = entries[0]
    header, _, payload = entry.read_bytes().partition(b"\n")
    data = json.loads(payload)
    data["diagnostics"] = []
    entry.write_bytes(header + b"\n" + json.dumps(data).encode())  # the signature no longer matches
    result, text = _run(root, cache)
    assert not result.reused and text == before
    assert _run(root, cache)[0].reused


def test_a_signed_entry_of_another_shape_is_a_miss(tmp_path):
    from mlsys_lint.cache import DocumentCache
    from mlsys_lint.run_cache import FORMAT, RunCache

    store = RunCache(DocumentCache(tmp_path / "cache"), "key")
    for shape in ({"journal": [[["unlink", "/etc/passwd"], True]]}, {"journal": "x"},
                  {"journal": [], "lines": [], "diagnostics": [[1]]}, {"journal": [[["read", 1, 2], "x"]]}):
        store.cache.store_fact("", "key", "run", str(FORMAT), shape)
        assert store.load() is None


def test_runs_with_a_plugin_installed_are_not_kept(tmp_path, monkeypatch):
    """A plugin's rule may read files of its own, which the journal would not see."""
    from dataclasses import replace

    from mlsys_lint import registry as registry_module

    root = _copy_example(tmp_path)
    real = registry_module.load_registry(frozenset())
    rules = dict(real.rules)
    rules["XR001"] = replace(rules["XR001"], origin="someone-elses-rules")
    monkeypatch.setattr(registry_module, "load_registry", lambda skip=frozenset(): replace(real, rules=rules))
    _run(root, tmp_path / "cache")
    assert not _run(root, tmp_path / "cache")[0].reused
    monkeypatch.undo()
    _run(root, tmp_path / "cache")
    assert _run(root, tmp_path / "cache")[0].reused


@pytest.mark.parametrize("change", ["a new distribution", "an entry point added to one"])
def test_a_plugin_installed_after_a_run_ends_its_reuse(tmp_path, monkeypatch, change):
    """The journal holds what tells which plugins are installed (the distributions on
    `sys.path` and the entry points they declare): installing one is a change."""
    root = _copy_example(tmp_path)
    site = tmp_path / "site"
    (site / "other-1.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    _run(root, tmp_path / "cache")
    assert _run(root, tmp_path / "cache")[0].reused
    info = site / ("someone_elses_rules-1.0.dist-info" if change == "a new distribution" else "other-1.0.dist-info")
    info.mkdir(exist_ok=True)
    (info / "entry_points.txt").write_text("[mlsys_lint.rules]\nx = someone_elses_rules:RULES\n")
    assert not _run(root, tmp_path / "cache")[0].reused
