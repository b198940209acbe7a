"""The engine stays open: it names no rule, and rules share facts through declared fields."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mlsys_lint.registry import load_rules

PACKAGE = Path(__file__).resolve().parents[1] / "mlsys_lint"
RULES = Path(__file__).resolve().parents[1] / "rules"


def _documentation(tree: ast.AST) -> set[int]:
    """Ids of the string constants that are documentation: bare string statements (docstrings)."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documentation = _documentation(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documentation]


def test_the_engine_names_no_rule_code_or_family() -> None:
    families = sorted({rule.family for rule in load_rules().values() if rule.built_in})
    assert families  # the built-in rules are registered
    code = re.compile(rf"\b(?:{'|'.join(families)})\d{{3}}\b")
    family = re.compile(rf"^(?:{'|'.join(families)})$")
    offending = [f"{path.relative_to(PACKAGE.parent)}:{line}: {text!r}"
                 for path in sorted(PACKAGE.rglob("*.py")) for line, text in _string_literals(path)
                 if code.search(text) or family.match(text.strip())]
    assert offending == []


def test_facts_live_in_declared_fields_not_in_the_instance_dict() -> None:
    offending = [f"{path.name}:{number}" for folder in (PACKAGE, RULES) for path in sorted(folder.rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "__dict__" in line]
    assert offending == []
