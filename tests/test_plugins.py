"""Rule plugins installed as real distributions: origin, failures that stay alone, help links, fixes.

Each fixture pip-installs tiny distributions into a folder of its own and runs
``python -m mlsys_lint`` with that folder on ``PYTHONPATH``, as a user's environment would
hold them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lintkit import book, write_files
from mlsys_lint.plugin import doc_url

REPO = Path(__file__).resolve().parents[1]
BROKEN = "mlsys-lint-broken"

BROKEN_MODULE = '''
raise RuntimeError("the plugin's data file is missing")
'''

NO_URL_MODULE = '''
from mlsys_lint.model import Fix, Violation
from mlsys_lint.plugin import rule


@rule("NOURL001", "shouting", "warning")
def shouting(project, options):
    """SHOUTING in the text.

    ## What it does
    Finds the word SHOUTING and offers a fix, although the rule is not declared fixable.
    """
    for unit in project.all_units:
        for doc in unit.documents:
            start = doc.masked.find("SHOUTING")
            if start != -1:
                span = doc.source.span(start, start + 8)
                fix = Fix("Lower the voice", span.path, span.line, span.column, span.end_line, span.end_column,
                          "shouting")
                yield Violation(span, "SHOUTING in the text", fix=fix)


RULES = [shouting]
'''


def duplicate_module(name: str) -> str:
    return f'''
from mlsys_lint.plugin import rule


@rule("DUP001", "{name}", "warning")
def check(project, options):
    """A rule whose code another plugin uses too."""
    return iter(())


RULES = [check]
'''


def distribution(folder: Path, name: str, module: str, source: str) -> Path:
    """A one-module distribution `name` registering `module:RULES` in the mlsys_lint.rules group."""
    return write_files(folder / name, {
        "pyproject.toml": textwrap.dedent(f"""\
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"
            [project]
            name = "{name}"
            version = "1.0"
            [project.entry-points."mlsys_lint.rules"]
            rules = "{module}:RULES"
            [tool.setuptools]
            py-modules = ["{module}"]
            """),
        f"{module}.py": source,
    })


def install(target: Path, *packages: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    *map(str, packages)], check=True, capture_output=True)
    return target


def spawn(args: list[str], cwd: Path, site: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "MLSYS_LINT_SKIP_PLUGINS"}
    environment.update(PYTHONPATH=str(site), NO_COLOR="1", **env)
    return subprocess.run([sys.executable, "-m", "mlsys_lint", *args], cwd=cwd, capture_output=True, text=True,
                          env=environment, timeout=120)


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("broken")
    return install(folder / "site", distribution(folder, BROKEN, "mlsys_lint_broken", BROKEN_MODULE))


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """The example plugin of examples/plugin and a rule without a help link that offers fixes."""
    folder = tmp_path_factory.mktemp("plugins")
    return install(folder / "site", REPO / "examples" / "plugin",
                   distribution(folder, "mlsys-lint-nourl", "mlsys_lint_nourl", NO_URL_MODULE))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return book(tmp_path / "book", {"index.qmd": "# I\n\nSHOUTING and a TODO here.\n\nSee @fig-missing.\n"})


BROKEN_LINE = (f"plugin `{BROKEN}` (entry point `rules = mlsys_lint_broken:RULES`): "
               "RuntimeError: the plugin's data file is missing")


def test_check_stops_with_one_line_naming_the_broken_plugin(broken_site: Path, project: Path) -> None:
    proc = spawn(["check"], project, broken_site)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (f"mlsys-lint: error: {BROKEN_LINE}; uninstall it, or skip it with "
                           f"`skip-plugins: [{BROKEN}]` or MLSYS_LINT_SKIP_PLUGINS={BROKEN}\n")


@pytest.mark.parametrize("args", [["--version"], ["rules"], ["rule", "XR001"], ["init"]])
def test_other_commands_work_and_name_the_broken_plugin(broken_site: Path, project: Path, args: list[str]) -> None:
    proc = spawn(args, project, broken_site)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"mlsys-lint: warning: {BROKEN_LINE}; its rules are not available\n"
    assert proc.stdout


def test_a_named_plugin_is_skipped_by_environment_or_configuration(broken_site: Path, project: Path) -> None:
    by_environment = spawn(["check", "--format", "concise"], project, broken_site, MLSYS_LINT_SKIP_PLUGINS=BROKEN)
    assert (by_environment.returncode, by_environment.stderr) == (1, "")
    assert "XR001" in by_environment.stdout
    (project / ".mlsys-lint.yml").write_text("skip-plugins: [mlsys_lint_broken]\n", encoding="utf-8")  # pip's spelling
    by_configuration = spawn(["check", "--format", "concise"], project, broken_site)
    assert (by_configuration.returncode, by_configuration.stderr) == (1, "")
    assert spawn(["rules"], project, broken_site).stderr == ""


def test_one_code_in_two_distributions_names_both(tmp_path: Path, project: Path) -> None:
    site = install(tmp_path / "site", distribution(tmp_path, "mlsys-lint-dup-a", "dup_a", duplicate_module("first")),
                   distribution(tmp_path, "mlsys-lint-dup-b", "dup_b", duplicate_module("second")))
    proc = spawn(["check"], project, site)
    assert proc.returncode == 2
    assert proc.stderr.startswith("mlsys-lint: error: plugin `mlsys-lint-dup-b` (entry point `rules = dup_b:RULES`): "
                                  "rule code DUP001 is already registered by `mlsys-lint-dup-a`;")
    assert proc.stderr.count("\n") == 1


def test_a_plugin_rule_runs_like_a_built_in_one(plugin_site: Path, tmp_path: Path) -> None:
    root = book(tmp_path / "book", {"index.qmd": "# I\n\nTODO write this.\n\n```\nTODO in code\n```\n"})
    proc = subprocess.run([sys.executable, "-m", "mlsys_lint", "--select", "ED", "--format", "concise"], cwd=root,
                          capture_output=True, text=True,
                          env={"PYTHONPATH": str(plugin_site), "NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    assert proc.stdout.splitlines() == ["index.qmd:3:1: ED001 `TODO` left in the text"], proc.stderr
    assert proc.returncode == 1


def test_rules_shows_each_rule_origin(plugin_site: Path, project: Path) -> None:
    listing = spawn(["rules"], project, plugin_site).stdout
    assert re.search(r"^ED001 +editorial-marker +warning +on +mlsys-lint-editorial +An editorial marker", listing, re.M)
    assert re.search(r"^NOURL001 +shouting +warning +on +mlsys-lint-nourl ", listing, re.M)
    assert re.search(r"^XR001 +unresolved-reference +error +on +built-in ", listing, re.M)
    page = spawn(["rule", "ED001"], project, plugin_site).stdout
    assert "from mlsys-lint-editorial; tags: editorial." in page and "Documentation: https://" in page


def test_help_links_are_the_plugins_own_or_absent(plugin_site: Path, project: Path) -> None:
    proc = spawn(["check", "--format", "sarif"], project, plugin_site)
    rules = {rule["id"]: rule for rule in json.loads(proc.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["XR001"]["helpUri"] == doc_url("XR001")
    assert rules["ED001"]["helpUri"].endswith("examples/plugin/README.md#ed001-editorial-marker")
    assert "helpUri" not in rules["NOURL001"]
    full = spawn(["check", "--format", "full", "--color", "always"], project, plugin_site).stdout
    assert "docs/rules/XR001.md" in full and "#ed001-editorial-marker" in full
    assert "docs/rules/NOURL001.md" not in full and "docs/rules/ED001.md" not in full


def test_fixes_of_a_rule_not_declared_fixable_are_dropped_and_said_once(plugin_site: Path, project: Path) -> None:
    before = (project / "index.qmd").read_text(encoding="utf-8")
    proc = spawn(["check", "--fix", "--select", "NOURL001", "--format", "concise"], project, plugin_site)
    assert (project / "index.qmd").read_text(encoding="utf-8") == before
    assert proc.stderr == ("mlsys-lint: rule NOURL001 (mlsys-lint-nourl) offered fixes but is not declared "
                           "fixable; its fixes were dropped\n")
    data = json.loads(spawn(["check", "--select", "NOURL001", "--format", "json"], project, plugin_site).stdout)
    assert [d["fix"] for d in data["diagnostics"]] == [None]


def test_init_keeps_installed_plugins_on(plugin_site: Path, project: Path) -> None:
    assert spawn(["init"], project, plugin_site).returncode == 0
    config = (project / ".mlsys-lint.yml").read_text(encoding="utf-8")
    assert "\nselect:" not in config
    assert "#   ED001: {markers: [\"TODO\", \"FIXME\", \"TK\"]}" in config
    proc = spawn(["check", "--format", "concise"], project, plugin_site)
    assert {line.split(" ")[1] for line in proc.stdout.splitlines()} >= {"ED001", "NOURL001", "XR001"}


def test_select_by_tag(plugin_site: Path, project: Path) -> None:
    proc = spawn(["check", "--select", "tag:editorial", "--format", "concise"], project, plugin_site)
    assert proc.stdout.splitlines() == ["index.qmd:3:16: ED001 `TODO` left in the text"]
    unknown = spawn(["check", "--select", "tag:nope"], project, plugin_site)
    assert unknown.returncode == 2 and unknown.stderr == "mlsys-lint: error: select: unknown tag `tag:nope`\n"
