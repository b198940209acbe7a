"""Rule docs that cannot lie: every built-in rule's Example produces its code, its Use instead does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsys_lint.docs import DocExampleError, check_examples, doc_examples, section_files
from mlsys_lint.registry import load_rules

BUILT_IN = {code: rule for code, rule in load_rules().items() if rule.built_in}
WITHOUT_EXAMPLES = {"MSL001"}
"""A file that cannot be read as text cannot be shown as a fenced block."""


@pytest.mark.parametrize("code", sorted(BUILT_IN))
def test_doc_examples_of_every_built_in_rule(code: str, tmp_path: Path) -> None:
    rule = BUILT_IN[code]
    if code in WITHOUT_EXAMPLES:
        assert doc_examples(rule) == []
        return
    assert check_examples(rule, tmp_path) == []


def test_every_rule_family_is_covered() -> None:
    assert {"CAP", "FIG", "FN", "GLS", "LST", "MSL", "TBL", "XR"} <= {rule.family for rule in BUILT_IN.values()}


def test_blocks_name_their_files_and_an_unnamed_block_is_the_chapter() -> None:
    text = (
        'Some prose.\n\n```{.yaml filename="_quarto.yml"}\nproject:\n  type: book\n```\n\n'
        "````markdown\n```{r}\nx <- 1\n```\n````\n\n"
        "```{.markdown filename='b/two.qmd'}\n# Two\n```\n"
    )
    assert section_files(text) == {
        "_quarto.yml": "project:\n  type: book\n",
        "index.qmd": "```{r}\nx <- 1\n```\n",
        "b/two.qmd": "# Two\n",
    }


@pytest.mark.parametrize("text", [
    "```markdown\na\n```\n\n```markdown\nb\n```\n",
    '```{.yaml filename="../outside.yml"}\na: 1\n```\n',
])
def test_ambiguous_or_escaping_blocks_are_refused(text: str) -> None:
    with pytest.raises(DocExampleError):
        section_files(text, "XYZ001 Example")


def test_a_doc_that_lies_is_reported(tmp_path: Path) -> None:
    from dataclasses import replace

    rule = BUILT_IN["FIG002"]
    referenced = "{#fig-roofline}\n\nSee @fig-roofline.\n```\nand no"
    lying = replace(rule, doc=rule.doc.replace("{#fig-roofline}\n```\nand no", referenced))
    assert lying.doc != rule.doc
    assert check_examples(lying, tmp_path) == ["FIG002: its Example does not produce FIG002 (found: CAP002, FIG001, IMG001)"]


def test_generated_rule_pages_are_current() -> None:
    """`docs/rules/CODE.md` is what `mlsys-lint rule CODE` prints; regenerate with `python -m mlsys_lint.docs`."""
    from mlsys_lint.docs import rule_page

    folder = Path(__file__).parents[1] / "docs" / "rules"
    pages = {path.stem for path in folder.glob("*.md")} - {"README"}
    assert pages == set(BUILT_IN), "run `python -m mlsys_lint.docs`"
    stale = [code for code, rule in BUILT_IN.items() if (folder / f"{code}.md").read_text(encoding="utf-8") != rule_page(rule)]
    assert stale == [], "run `python -m mlsys_lint.docs`"


def test_rule_command_prints_the_page(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mlsys_lint.cli import main
    from mlsys_lint.docs import rule_page

    output = CliRunner().invoke(main, ["rule", "XR001"]).output
    assert output.startswith(rule_page(BUILT_IN["XR001"]))
    assert "Documentation: file://" in output and output.rstrip().endswith("docs/rules/XR001.md")
