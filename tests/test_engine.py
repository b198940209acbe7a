"""The engine: selection, options, suppression comments, per-file ignores, severities, plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

from lintkit import book, found, lint, write_files
from mlsys_lint.config import ConfigError, Settings, load_settings, settings_from_mapping
from mlsys_lint.registry import load_rules, rule_options, select_rules
from mlsys_lint.model import Severity

FENCE = "```\n"


def test_selection_by_code_prefix_and_name() -> None:
    registry = load_rules()
    assert set(select_rules(registry, Settings(select=["MSL00"]))) >= {"MSL001", "MSL002"}
    assert list(select_rules(registry, Settings(select=["unclosed-block"]))) == ["MSL002"]
    chosen = select_rules(registry, Settings(select=["MSL"], ignore=["MSL002"]))
    assert "MSL002" not in chosen and "MSL001" in chosen
    with pytest.raises(ConfigError, match="NOPE"):
        select_rules(registry, Settings(ignore=["NOPE"]))
    with pytest.raises(ConfigError, match="XX999"):
        select_rules(registry, Settings(severity={"XX999": Severity.ERROR}))


def test_rule_options_are_validated() -> None:
    rule = load_rules()["MSL002"]
    with pytest.raises(ConfigError, match="unknown option `bogus`"):
        rule_options(rule, Settings(rules={"MSL002": {"bogus": 1}}))


SUPPRESSED = """\
# Chapter

<!-- mlsys-lint: disable-next-line MSL002 -->

```
never closed
"""


def test_disable_next_line_skips_blank_lines(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": SUPPRESSED})
    assert lint(root, select=["MSL"]) == []


def test_disable_region_and_file(tmp_path: Path) -> None:
    root = book(tmp_path, {
        "index.qmd": "# I\n",
        "a.qmd": "<!-- mlsys-lint: disable MSL002 -->\n\n```\nx\n",
        "b.qmd": "<!-- mlsys-lint: disable-file unclosed-block -->\n\n```\n",
        "c.qmd": "<!-- mlsys-lint: disable MSL002 -->\n\nText.\n\n<!-- mlsys-lint: enable MSL002 -->\n\n```\n",
    })
    assert found(lint(root, select=["MSL002"]), root) == [("MSL002", "c.qmd", 7, 1)]


def test_unused_suppression_is_reported(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\n<!-- mlsys-lint: disable-next-line MSL002 -->\nFine text.\n"})
    diags = lint(root, select=["MSL"])
    assert found(diags, root) == [("MSL005", "index.qmd", 3, 1)]
    assert diags[0].severity is Severity.INFO


def test_cell_ignore_option(tmp_path: Path) -> None:
    text = "# I\n\n```{python}\n#| mlsys-lint: ignore MSL006\n#| fig-cap: Plot: weight\nx = 1\n```\n"
    root = book(tmp_path, {"index.qmd": text})
    assert lint(root, select=["MSL"]) == []


def test_per_file_ignores_and_severity_override(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n", "front/a.qmd": FENCE, "b.qmd": FENCE},
                config="project:\n  type: book\nbook:\n  chapters: [index.qmd, front/a.qmd, b.qmd]\n")
    config = {"per-file-ignores": {"front/**": ["MSL002"]}, "severity": {"MSL002": "info"}}
    diags = lint(root, select=["MSL"], config=config)
    assert found(diags, root) == [("MSL002", "b.qmd", 1, 1)]
    assert diags[0].severity is Severity.INFO


def test_config_files_are_found_upward(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": '[tool.mlsys-lint]\nselect = ["MSL"]\nfail-on = "error"\n',
                           "book/index.qmd": "# I\n"})
    settings = load_settings(tmp_path / "book")
    assert settings.select == ["MSL"] and settings.fail_on is Severity.ERROR
    write_files(tmp_path, {"book/mlsys-lint.toml": 'ignore = ["MSL005"]\n'})
    assert load_settings(tmp_path / "book").ignore == ["MSL005"]
    write_files(tmp_path, {"book/.mlsys-lint.yml": "ignore: [MSL001]\n"})
    assert load_settings(tmp_path / "book").ignore == ["MSL001"]


@pytest.mark.parametrize("mapping, message", [
    ({"select": "XR"}, None),
    ({"select": 3}, "expected a list of strings"),
    ({"fail-on": "fatal"}, "expected error, warning or info"),
    ({"glossary": {"source": []}}, "unknown key `glossary.source`"),
    ({"rules": {"MSL002": 3}}, "expected a mapping of code to a mapping"),
    ({"colour": True}, "unknown key `colour`"),
])
def test_config_validation(mapping: dict, message: str | None) -> None:
    if message is None:
        assert settings_from_mapping(mapping, "cfg").select == ["XR"]
    else:
        with pytest.raises(ConfigError, match=message):
            settings_from_mapping(mapping, "cfg")


def test_the_garbage_collector_is_paused_while_a_check_builds_its_model(tmp_path: Path, monkeypatch) -> None:
    import gc

    from mlsys_lint.api import lint
    from mlsys_lint.engine import Engine

    seen: list[bool] = []
    original = Engine._run

    def run(self, paths):
        seen.append(gc.isenabled())
        return original(self, paths)

    monkeypatch.setattr(Engine, "_run", run)
    (tmp_path / "a.qmd").write_text("# A\n\nSee @fig-x.\n", encoding="utf-8")
    was_enabled = gc.isenabled()  # an in-process language server test may have turned it off
    gc.enable()
    try:
        assert lint([tmp_path / "a.qmd"], cache=False).exit_code == 1
        assert seen == [False] and gc.isenabled()
    finally:
        if not was_enabled:
            gc.disable()
