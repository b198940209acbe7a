"""The bundled example books: one shows every rule's problem (see its EXPECTED.md), one is clean."""

from __future__ import annotations

from pathlib import Path

from lintkit import found, lint
from mlsys_lint.config import load_settings

EXAMPLES = Path(__file__).parents[1] / "examples"

EXPECTED = {
    ("MSL004", "_quarto.yml", 18),
    ("GLS001", "_shared/_note.qmd", 5),
    ("GLS006", "introduction.qmd", 18),
    ("GLS005", "introduction.qmd", 19),
    ("XR004", "introduction.qmd", 25),
    ("XR004", "introduction.qmd", 26),
    ("XR001", "introduction.qmd", 32),
    ("MSL005", "introduction.qmd", 46),
    ("LST001", "data.qmd", 39),
    ("TBL002", "data.qmd", 66),
    ("CAP008", "data.qmd", 66),
    ("LST002", "data.qmd", 68),
    ("FN007", "data.qmd", 73),
    ("CAP002", "training.qmd", 67),
    ("FIG001", "training.qmd", 85),
    ("GLS001", "training.qmd", 88),
    ("FN005", "training.qmd", 104),
    ("MSL003", "training.qmd", 116),
    ("MSL006", "training.qmd", 124),
    ("MSL001", "legacy-notes.qmd", 1),
    ("CAP007", "hardware.qmd", 32),
    ("CAP001", "hardware.qmd", 41),
    ("FIG002", "hardware.qmd", 43),
    ("FIG003", "hardware.qmd", 62),
    ("CAP005", "hardware.qmd", 75),
    ("CAP009", "hardware.qmd", 105),
    ("IMG002", "hardware.qmd", 107),
    ("IMG001", "hardware.qmd", 107),
    ("XR002", "efficiency.qmd", 8),
    ("XR003", "efficiency.qmd", 15),
    ("TBL001", "efficiency.qmd", 24),
    ("CAP003", "efficiency.qmd", 40),
    ("GLS003", "efficiency.qmd", 45),
    ("CAP004", "efficiency.qmd", 48),
    ("CAP006", "efficiency.qmd", 52),
    ("XR003", "efficiency.qmd", 59),
    ("XR003", "efficiency.qmd", 61),
    ("CAP004", "efficiency.qmd", 68),
    ("XR001", "efficiency.qmd", 81),
    ("FN008", "efficiency.qmd", 84),
    ("CIT001", "efficiency.qmd", 86),
    ("CIT003", "references.bib", 7),
    ("CIT003", "references.bib", 13),
    ("CIT002", "references.bib", 19),
    ("XR002", "tools.qmd", 36),
    ("FN001", "tools.qmd", 39),
    ("FN003", "tools.qmd", 45),
    ("FN004", "tools.qmd", 47),
    ("FN002", "tools.qmd", 49),
    ("FN006", "tools.qmd", 52),
    ("MSL002", "tools.qmd", 64),
    ("GLS002", "glossary.yml", 1),
    ("GLS004", "glossary.yml", 15),
    ("GLS007", "glossary.yml", 18),
}


def _lint(root: Path):
    settings = load_settings(root)
    config = {"select": settings.select, "ignore": settings.ignore, "rules": settings.rules,
              "extend-select": settings.extend_select}
    if settings.glossary_sources is not None:
        config["glossary"] = {"sources": settings.glossary_sources}
    return lint(root, config={k: v for k, v in config.items() if v})


def test_example_book_shows_every_problem_exactly() -> None:
    root = EXAMPLES / "book"
    actual = {(code, path, line) for code, path, line, _ in found(_lint(root), root)}
    assert actual == EXPECTED


def test_example_book_covers_every_rule() -> None:
    from mlsys_lint.registry import load_rules

    builtin = {code for code, rule in load_rules().items() if rule.check.__module__.startswith("mlsys_lint_rules")}
    assert builtin - {code for code, _, _ in EXPECTED} == set()


def test_clean_book_is_clean() -> None:
    root = EXAMPLES / "clean-book"
    assert found(_lint(root), root) == []


def test_mlsysbook_house_settings_turn_the_house_rules_on() -> None:
    from mlsys_lint.config import load_settings

    house = load_settings(EXAMPLES, EXAMPLES / "mlsysbook-house.mlsys-lint.yml")
    assert house.extend_select == ["FN008", "CAP008", "CIT003"]
    assert house.rules["XR003"] == {"forbid-underscore": True}
    root = EXAMPLES / "book"
    codes = {d.code for d in lint(root, config={"extend-select": house.extend_select, "rules": house.rules})}
    assert {"FN008", "CAP008", "CIT003"} <= codes
