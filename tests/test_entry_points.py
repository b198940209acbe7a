"""Plugin discovery without `importlib.metadata`: the same entry points, in the same order, or
`importlib.metadata` itself when the environment is not plain."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from mlsys_lint import entry_points as module
from mlsys_lint.entry_points import EntryPoint, entry_points

GROUP = "mlsys_lint.rules"


def _dist(folder: Path, stem: str, name: str | None, entry_points_txt: str | None, metadata: str = "METADATA") -> None:
    info = folder / stem
    info.mkdir(parents=True)
    if name is not None:
        (info / metadata).write_text(f"Metadata-Version: 2.1\nSummary: x\n  continued\nName: {name}\nVersion: 1.0\n\n"
                                     "Name: not-this-one\n", encoding="utf-8")
    if entry_points_txt is not None:
        (info / "entry_points.txt").write_text(entry_points_txt, encoding="utf-8")


@pytest.mark.parametrize("group", [GROUP, "console_scripts", "pytest11"])
def test_the_installed_environment_gives_what_importlib_metadata_gives(group: str) -> None:
    try:
        listed = module._listed(group)
    except module._Unusual:
        pytest.skip("this environment is not plain (a zip on the path, another finder): importlib.metadata answers")
    assert listed == module._asked(group)
    assert entry_points(group) == listed


def test_a_plain_path_gives_what_importlib_metadata_gives(tmp_path: Path, monkeypatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist(first, "editorial-1.0.dist-info", "editorial",
          "# a comment\nstray = line.before:sections\n[console_scripts]\ned = editorial.cli:main\n\n"
          f"[{GROUP}]\n  markers =  editorial.rules : RULES \nstyle=editorial.style:RULES.all\n")
    _dist(second, "editorial-2.0.dist-info", "editorial", f"[{GROUP}]\nshadowed = editorial2:RULES\n")
    _dist(first, "Foo_Bar-1.0.dist-info", "Foo_Bar", f"[{GROUP}]\nfoo = foo_bar:RULES\n")
    _dist(second, "foo.bar-3.0.dist-info", "foo.bar", f"[{GROUP}]\nlater = foo_bar3:RULES\n")
    _dist(second, "legacy.egg-info", "Legacy-Pkg", f"[{GROUP}]\nold = legacy:RULES\n", metadata="PKG-INFO")
    _dist(second, "no_points-1.0.dist-info", "no-points", None)
    _dist(second, "other_group-1.0.dist-info", "other-group", "[pytest11]\nplug = other:plugin\n")
    (second / "not_metadata").mkdir()
    (second / "module.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "missing"), str(second)])
    listed = module._listed(GROUP)
    assert listed == module._asked(GROUP)  # the same order too (a folder's listing order)
    assert sorted((e.distribution, e.name, e.value) for e in listed) == [
        ("Foo_Bar", "foo", "foo_bar:RULES"), ("Legacy-Pkg", "old", "legacy:RULES"),
        ("editorial", "markers", "editorial.rules : RULES"), ("editorial", "style", "editorial.style:RULES.all")]


def test_a_zip_on_the_path_is_left_to_importlib_metadata(tmp_path: Path, monkeypatch) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped-1.0.dist-info/METADATA", "Name: zipped\n\n")
        zipped.writestr("zipped-1.0.dist-info/entry_points.txt", f"[{GROUP}]\nz = zipped:RULES\n")
    monkeypatch.setattr(sys, "path", [str(archive)])
    with pytest.raises(module._Unusual):
        module._listed(GROUP)
    assert entry_points(GROUP) == [EntryPoint("z", "zipped:RULES", "zipped")]


def test_another_finder_of_distributions_is_left_to_importlib_metadata(tmp_path: Path, monkeypatch) -> None:
    class Finder:
        @staticmethod
        def find_spec(*args):
            return None

        @staticmethod
        def find_distributions(context=None):
            return iter(())

    _dist(tmp_path, "plain-1.0.dist-info", "plain", f"[{GROUP}]\np = plain:RULES\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    with pytest.raises(module._Unusual):
        module._listed(GROUP)
    assert entry_points(GROUP) == [EntryPoint("p", "plain:RULES", "plain")]


@pytest.mark.parametrize("stem, text", [
    ("Shouting-1.0.DIST-INFO", f"[{GROUP}]\ns = shouting:RULES\n"),  # the name then comes from METADATA
    ("nameless-1.0.dist-info", f"[{GROUP}]\nn = nameless:RULES\n"),  # no Name header
])
def test_unusual_metadata_is_left_to_importlib_metadata(tmp_path: Path, monkeypatch, stem: str, text: str) -> None:
    _dist(tmp_path, stem, None if stem.startswith("nameless") else "Shouting", text)
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    with pytest.raises(module._Unusual):
        module._listed(GROUP)


def test_an_entry_point_loads_the_attribute_its_value_names() -> None:
    assert EntryPoint("x", "os.path:join", "d").load() is __import__("os").path.join
    assert EntryPoint("x", "os : path.join [extra]", "d").load() is __import__("os").path.join
    assert EntryPoint("x", "os.path", "d").load() is __import__("os").path
    with pytest.raises(ValueError):
        EntryPoint("x", "not a value!", "d").load()


def test_finding_plugins_imports_no_metadata_parser() -> None:
    import subprocess

    code = ("import sys; before = set(sys.modules); from mlsys_lint.registry import load_registry; load_registry(); "
            "print(sorted(m for m in ('importlib.metadata', 'email', 'zipfile') if m in set(sys.modules) - before))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
