"""Which engine Quarto runs a document with (`cells.detect_engine`, after quarto-cli's
``markdownExecutionEngine``): front matter first, then an ``{r}`` cell (knitr), then any
other executable cell (Jupyter)."""

from __future__ import annotations

import random
import re

import pytest

from mlsys_lint.cells import detect_engine


@pytest.mark.parametrize("text, engine", [
    ("```{r}\nplot(x)\n```\n", "knitr"),
    ("```{python}\nx = 1\n```\n\n```{r, echo=FALSE}\nx\n```\n", "knitr"),  # an R cell anywhere wins
    ("```{R label}\nx\n```\n", "knitr"),
    ("> ```{r}\n> x\n> ```\n", "knitr"),  # in a block quote
    ("````{python}\nx = 1\n````\n", "jupyter"),
    ("~~~{julia}\nx = 1\n~~~\n", "jupyter"),
    ("```{rust}\nfn main() {}\n```\n", "jupyter"),
    ("```{ojs}\nx = 1\n```\n\n```{mermaid}\ngraph TD\n```\n", "markdown"),  # handled by Quarto itself
    ("Inline ```{r}``` is not a cell.\n", "markdown"),
    ("```{.r}\nnot executed\n```\n", "markdown"),
    ("```~{r}\nmixed fence\n```\n", "markdown"),
])
def test_the_engine_quarto_runs(text: str, engine: str) -> None:
    assert detect_engine({}, text) == engine


def test_the_front_matter_wins() -> None:
    assert detect_engine({"engine": "jupyter"}, "```{r}\nx\n```\n") == "jupyter"
    assert detect_engine({"knitr": True}, "```{python}\nx\n```\n") == "knitr"


_R_CELL = re.compile(r"^[ \t>]*(?:`{3,}|~{3,})[ \t]*\{[ \t]*[rR][ \t,}]", re.M)
_CELL = re.compile(r"^[ \t>]*(?:`{3,}|~{3,})[ \t]*\{[ \t]*([A-Za-z][\w+\-]*)", re.M)


def _by_line_patterns(text: str) -> str:
    """The same rule written as line-anchored patterns (simple, and slow on long chapters)."""
    if _R_CELL.search(text):
        return "knitr"
    if any(m.group(1).lower() not in {"ojs", "mermaid", "dot", "graphviz", "include"} for m in _CELL.finditer(text)):
        return "jupyter"
    return "markdown"


def test_the_fast_scan_agrees_with_line_anchored_patterns() -> None:
    rng = random.Random(20261204)
    pieces = ["```", "````", "~~~", "~", "`", "{r}", "{R}", "{r, echo}", "{r label}", "{rust}", "{python}",
              "{ojs}", "{r.x}", "{r\n", " ", "\t", "> ", "\n", "x", "{", "}", "{mermaid}", "{=html}", "{.r}", "{ r}"]
    for _ in range(50_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        assert detect_engine({}, text) == _by_line_patterns(text), repr(text)
