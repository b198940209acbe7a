"""The library API: `mlsys_lint.lint` returns what the command line prints; fixes in passes, safe and unsafe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import mlsys_lint
from lintkit import book
from mlsys_lint import registry as registry_module
from mlsys_lint.api import MAX_FIX_PASSES
from mlsys_lint.cli import main
from mlsys_lint.config import ConfigError
from mlsys_lint.model import Fix, Severity, Violation
from mlsys_lint.plugin import rule

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "mlsys_lint" / "schemas" / "output-v1.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("example", ["book", "clean-book"])
def test_diagnostics_equal_the_json_output(example: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    path = f"examples/{example}"
    cli = CliRunner().invoke(main, ["check", path, "--format", "json", "--no-cache"])
    result = mlsys_lint.lint([path], cache=False)
    assert [d.as_dict() for d in result.diagnostics] == json.loads(cli.stdout)["diagnostics"]
    assert result.exit_code == cli.exit_code == (1 if example == "book" else 0)
    assert len(result.files) == json.loads(cli.stdout)["summary"]["files"]


def test_arguments_as_the_command_line_options(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\nSee @fig-missing.\n\n```\nnever closed\n"})
    found = mlsys_lint.lint([root], select=["XR", "MSL"], cache=False)
    assert [(d.code, d.line, d.column, d.severity) for d in found.diagnostics] == [
        ("XR001", 3, 5, Severity.ERROR), ("MSL002", 5, 1, Severity.ERROR)]
    assert [d.code for d in mlsys_lint.lint([root], select=["XR", "MSL"], ignore=["MSL002"]).diagnostics] == ["XR001"]
    assert mlsys_lint.lint([root], config={"select": ["MSL"], "fail-on": "error"}, fail_on="info").exit_code == 1
    assert [d.code for d in mlsys_lint.lint([root], select="XR").diagnostics] == ["XR001"]
    tagged = mlsys_lint.lint([root], select=["tag:manuscript"], cache=False)
    assert [d.code for d in tagged.diagnostics] == ["MSL002"]
    buffer = mlsys_lint.lint([root / "index.qmd"], text="# I\n\nSee @fig-other.\n", select=["XR001"])
    assert [(d.path.rsplit("/", 1)[-1], d.subject) for d in buffer.diagnostics] == [("index.qmd", "fig-other")]
    with pytest.raises(ConfigError, match="unknown tag `tag:nope`"):
        mlsys_lint.lint([root], select=["tag:nope"])
    with pytest.raises(ConfigError, match="fail_on: expected error, warning or info"):
        mlsys_lint.lint([root], fail_on="fatal")


# -- fixes ------------------------------------------------------------------------------


def _replacements(project, pattern: str, replacement: str, safe: bool = True):
    for unit in project.all_units:
        for doc in unit.documents:
            for match in re.finditer(pattern, doc.masked):
                span = doc.source.span(match.start(), match.end())
                fix = Fix(f"Write {replacement!r}", span.path, span.line, span.column, span.end_line,
                          span.end_column, replacement, safe=safe)
                yield Violation(span, f"{match.group()!r} here", match.group(), fix)


@rule("TPA001", "double-dash", "warning", fixable=True)
def double_dash(project, options):
    """Two dashes where one will do (each fix removes one, so longer runs need passes)."""
    return _replacements(project, "--", "-")


@rule("TPA002", "ping-pong", "warning", fixable=True)
def ping_pong(project, options):
    """A fix that never settles: ping becomes pong, and pong ping."""
    yield from _replacements(project, r"\bping\b", "pong")
    yield from _replacements(project, r"\bpong\b", "ping")


@rule("TPA003", "colour", "warning", fixable=True)
def colour(project, options):
    """`color` spelled the American way (an unsafe fix: it may be a quotation)."""
    return _replacements(project, r"\bcolor\b", "colour", safe=False)


@pytest.fixture
def fixers(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = {**registry_module.load_rules(), **{r.code: r for r in (double_dash, ping_pong, colour)}}
    monkeypatch.setattr(registry_module, "load_registry", lambda skip=frozenset(): registry_module.Registry(rules))


def test_fix_repeats_until_nothing_changes(fixers, tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\nOne-----dash.\n"})
    result = mlsys_lint.lint([root], select=["TPA001"], fix=True, cache=False)
    assert (root / "index.qmd").read_text(encoding="utf-8") == "# I\n\nOne-dash.\n"
    assert (result.fixed, result.diagnostics, result.notices, result.exit_code) == (4, [], [], 0)


def test_fix_stops_after_a_few_passes_and_says_what_is_left(fixers, tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\nping\n"})
    result = mlsys_lint.lint([root], select=["TPA002"], fix=True, cache=False)
    assert result.fixed == MAX_FIX_PASSES
    assert result.notices == [f"1 fix could not be applied (conflicting edits, or the text still changed after "
                               f"{MAX_FIX_PASSES} passes)"]
    assert result.exit_code == 1


def test_unsafe_fixes_only_when_asked(fixers, tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\nThe--color.\n"})
    safe = mlsys_lint.lint([root], select=["TPA001", "TPA003"], fix=True, cache=False)
    assert (root / "index.qmd").read_text(encoding="utf-8") == "# I\n\nThe-color.\n"
    assert [(d.code, d.fix.applicability) for d in safe.diagnostics] == [("TPA003", "unsafe")]
    assert safe.notices == ["1 unsafe fix not applied; review it with --diff --unsafe-fixes and apply with "
                            "--fix --unsafe-fixes"]
    unsafe = mlsys_lint.lint([root], select=["TPA003"], fix=True, unsafe_fixes=True, cache=False)
    assert (root / "index.qmd").read_text(encoding="utf-8") == "# I\n\nThe-colour.\n"
    assert (unsafe.fixed, unsafe.diagnostics, unsafe.notices) == (1, [], [])


def test_fix_with_select_applies_only_that_rules_fixes(fixers, tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\nThe--color.\n"})
    mlsys_lint.lint([root], select=["TPA003"], fix=True, unsafe_fixes=True, cache=False)
    assert (root / "index.qmd").read_text(encoding="utf-8") == "# I\n\nThe--colour.\n"


def test_json_says_whether_a_fix_is_safe(fixers, tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\nThe--color.\n"})
    output = CliRunner().invoke(main, ["check", str(root), "--select", "TPA", "--format", "json", "--no-cache"])
    data = json.loads(output.stdout)
    jsonschema.validate(data, SCHEMA)
    assert [(d["code"], d["fix"]["applicability"]) for d in data["diagnostics"]] == [
        ("TPA001", "safe"), ("TPA003", "unsafe")]
    diff = CliRunner().invoke(main, ["check", str(root), "--select", "TPA", "--diff", "--no-cache"])
    assert "+The-color." in diff.stdout and "colour" not in diff.stdout
    assert "mlsys-lint: 1 unsafe fix not shown (add --unsafe-fixes)" in diff.stderr


def test_progress_reports_phases_with_counts(tmp_path) -> None:
    from lintkit import book

    from mlsys_lint import lint

    root = book(tmp_path, {"index.qmd": "# A\n", "b.qmd": "# B\n\nSee @fig-x.\n"})
    phases: list[str] = []
    lint([root], cache=False, select=["XR001", "GLS003"], progress=phases.append)
    assert phases[:2] == ["parsing 1/2 documents", "parsing 2/2 documents"]
    assert "reading the glossary" in phases and "checking XR001 unresolved-reference" in phases


def test_the_elements_of_a_manuscript_are_still_found_in_the_model_module() -> None:
    """Plugins written before the elements moved to `mlsys_lint.elements` import them from
    `mlsys_lint.model`; a name the model never had is still an AttributeError."""
    import mlsys_lint.elements as elements
    import mlsys_lint.model as model

    from mlsys_lint.model import CROSSREF_TYPES, Label, Prose, format_is

    assert (Label, Prose, format_is, CROSSREF_TYPES) == (elements.Label, elements.Prose, elements.format_is,
                                                         elements.CROSSREF_TYPES)
    imported = {"annotations", "re", "dataclass", "field", "TYPE_CHECKING", "Source", "Span"}
    assert model._ELEMENTS == {name for name in vars(elements) if not name.startswith("_")} - imported
    assert all(getattr(model, name) is getattr(elements, name) for name in model._ELEMENTS)
    with pytest.raises(AttributeError):
        model.Nothing  # noqa: B018
