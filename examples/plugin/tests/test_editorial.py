"""The example plugin's tests: its documentation holds, and mlsys-lint runs it once installed."""

from __future__ import annotations

from pathlib import Path

from mlsys_lint import lint
from mlsys_lint.docs import check_examples
from mlsys_lint.registry import load_rules
from mlsys_lint_editorial import editorial_marker

CHAPTER = """\
# Quantization {#sec-quantization}

Quantization shrinks a model. TODO: measure it.

```python
# TODO in code is not reported
```

<!-- FIXME: a note to co-authors, not reported -->

| bits | size |
|------|------|
| 8    | TK   |
"""


def test_the_documentation_examples_hold(tmp_path: Path) -> None:
    assert check_examples(editorial_marker, tmp_path) == []


def test_installed_through_its_entry_point() -> None:
    rule = load_rules()["ED001"]
    assert rule.origin == "mlsys-lint-editorial"
    assert rule.url is not None and rule.url.endswith("#ed001-editorial-marker")


def test_markers_in_visible_text_only(tmp_path: Path) -> None:
    (tmp_path / "index.qmd").write_text(CHAPTER, encoding="utf-8")
    result = lint([tmp_path], select=["tag:editorial"], cache=False)
    assert [(d.code, d.line, d.column, d.subject) for d in result.diagnostics] == [
        ("ED001", 3, 31, "TODO"),
        ("ED001", 13, 10, "TK"),
    ]
    assert result.exit_code == 1


def test_markers_option(tmp_path: Path) -> None:
    (tmp_path / "index.qmd").write_text("Draft XXX here; TODO stays.\n", encoding="utf-8")
    result = lint([tmp_path], config={"rules": {"ED001": {"markers": ["XXX"]}}}, select=["ED001"], cache=False)
    assert [(d.line, d.column, d.message) for d in result.diagnostics] == [(1, 7, "`XXX` left in the text")]
