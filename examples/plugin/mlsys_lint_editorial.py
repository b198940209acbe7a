"""ED001: editorial markers (TODO, FIXME, …) left in the text a reader will see.

An example of an mlsys-lint rule plugin: one rule, written against the same interface
as the built-in rules (`mlsys_lint.plugin.rule`), registered through the
``mlsys_lint.rules`` entry point in ``pyproject.toml``.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from mlsys_lint.model import Violation
from mlsys_lint.plugin import Option, rule
from mlsys_lint.project import Project

DOCS = "https://github.com/mlsys-lint/mlsys-lint/blob/main/examples/plugin/README.md#ed001-editorial-marker"


MARKERS = Option("markers", list, ["TODO", "FIXME", "TK"], "words that mark unfinished text (matched whole)")


@rule("ED001", "editorial-marker", "warning", tags=("editorial",), url=DOCS, options=[MARKERS])
def editorial_marker(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """An editorial marker (TODO, FIXME, TK) left in the text.

    ## What it does
    Finds the marker words as whole words in the visible text of every rendered file and
    of the files they include: paragraphs, lists, tables, headings, captions, alt text,
    footnotes.  Code, math, HTML comments, front matter and attributes are never searched,
    so a ``# TODO`` in a code cell or a ``<!-- TODO -->`` note to co-authors is fine.

    ## Why is this bad?
    A marker that reaches the rendered book tells readers the text is unfinished.

    ## Example
    ```markdown
    Quantization shrinks a model by TODO: add the numbers.
    ```

    ## Use instead
    ```markdown
    Quantization shrinks a model fourfold.

    <!-- TODO: add the per-layer numbers -->
    ```

    ## Options
    - `markers` (list, default `[TODO, FIXME, TK]`): the words that mark unfinished text.
    """
    words = [re.escape(word) for word in options["markers"] if word]
    if not words:
        return
    pattern = re.compile(rf"\b(?:{'|'.join(words)})\b")
    for unit in project.all_units:
        for doc in unit.documents:
            for match in pattern.finditer(doc.masked):  # visible text only: everything else is blanked
                yield Violation(doc.source.span(match.start(), match.end()),
                                f"`{match.group()}` left in the text", subject=match.group())


RULES = [editorial_marker]
