"""GLS001 --fix: only the variant spans in running prose and table cells change; headings and
captions keep their findings but are never rewritten."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lintkit import write_files
from mlsys_lint.cli import main

TERMS = """\
terms:
  - term: backpropagation
    aliases: [backprop]
    variants: [back-propagation, back propagation]
  - term: TensorFlow
    case-sensitive: true
  - term: memory wall
  - term: mini-batch
"""

CHAPTER = """\
---
title: "Back-propagation in practice"
---

# Training with back-propagation {#sec-back-propagation}

Back-propagation computes gradients. We use back
propagation on every mini batch, and backprop is an alias.

The Tensorflow API and the Memory Wall's cost; two minibatches.

```python
back_propagation = "back-propagation"  # code is never touched
```

Inline `back-propagation`, $back-propagation$, [link](https://x.org/back-propagation) and @sec-back-propagation.

| Step | Method |
|------|--------|
| 1    | back-propagation |

: Steps of back-propagation. {#tbl-steps}

See @tbl-steps.[^n]

[^n]: A note on back-propagation's cost.
"""

# (variant as written, replacement) in order of appearance in the prose; replacement None:
# reported, never fixed.  "the Memory Wall's" is fine: `memory wall` is not case-sensitive.
EXPECTED = [
    ("back-propagation", None),                # heading: reported, not rewritten
    ("Back-propagation", "Backpropagation"),   # sentence-initial capital kept
    ("back\npropagation", "backpropagation"),  # across a line break
    ("mini batch", "mini-batch"),
    ("Tensorflow", "TensorFlow"),
    ("minibatches", "mini-batches"),
    ("back-propagation", "backpropagation"),   # table cell
    ("back-propagation", None),                # table caption: reported, not rewritten
    ("back-propagation's", "backpropagation's"),  # footnote, possessive kept
]
FIXED = [(written, replacement) for written, replacement in EXPECTED if replacement is not None]


def _spans(text: str) -> list[tuple[int, int, str]]:
    """Where each EXPECTED variant stands in CHAPTER (searched in order, skipping code)."""
    spans = []
    position = 0
    protected = [(m.start(), m.end()) for m in re.finditer(r"```.*?```|`[^`\n]*`|\$[^$\n]*\$|\(https?://[^)]*\)|"
                                                            r"\{#[^}]*\}|@sec-[\w-]+|^title:[^\n]*$", text, re.S | re.M)]
    for written, replacement in FIXED:
        while True:
            start = text.index(written, position)
            if not any(a <= start < b for a, b in protected):
                break
            position = start + 1
        spans.append((start, start + len(written), replacement))
        position = start + len(written)
    return spans


def _expected(text: str) -> str:
    out = []
    cursor = 0
    for start, end, replacement in _spans(text):
        out.append(text[cursor:start])
        out.append(replacement)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _book(tmp_path: Path, chapter: bytes) -> Path:
    write_files(tmp_path, {
        "_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [index.qmd, ch.qmd]\n",
        "index.qmd": "# Preface\n\nNothing to fix here.\n",
        ".mlsys-lint.yml": "glossary:\n  sources: [style/terms.yml]\n",
        "style/terms.yml": TERMS,
    })
    (tmp_path / "ch.qmd").write_bytes(chapter)
    return tmp_path / "ch.qmd"


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["check", "--no-cache", "--select", "GLS001", "--format", "concise", *args, str(root)])


def test_findings_before_fixing(tmp_path: Path) -> None:
    _book(tmp_path, CHAPTER.encode())
    result = _run(tmp_path)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "GLS001" in line]
    assert len(lines) == len(EXPECTED), result.output
    positions = [Path(line.split(": GLS001")[0]).name for line in lines]
    assert positions == ["ch.qmd:5:17", "ch.qmd:7:1", "ch.qmd:7:45", "ch.qmd:8:22", "ch.qmd:10:5",
                         "ch.qmd:10:52", "ch.qmd:20:10", "ch.qmd:22:12", "ch.qmd:26:17"]


@pytest.mark.parametrize("newline, bom", [("\n", b""), ("\r\n", b""), ("\n", b"\xef\xbb\xbf")])
def test_fix_rewrites_only_the_variant_spans(tmp_path: Path, newline: str, bom: bytes) -> None:
    original = bom + CHAPTER.replace("\n", newline).encode("utf-8")
    path = _book(tmp_path, original)
    result = _run(tmp_path, "--fix", "--unsafe-fixes")  # term replacements are unsafe fixes
    assert result.exit_code == 1, result.output  # the heading and the caption are left to the author
    fixed = path.read_bytes()
    expected = bom + _expected(CHAPTER).replace("\n", newline).encode("utf-8")
    assert fixed == expected
    # Byte for byte outside the spans: every piece between two variants is unchanged.
    cursor = 0
    pieces = []
    for start, end, _ in _spans(CHAPTER):
        pieces.append(CHAPTER[cursor:start])
        cursor = end
    pieces.append(CHAPTER[cursor:])
    position = 0
    decoded = fixed[len(bom):].decode("utf-8").replace(newline, "\n")
    for piece, (_, _, replacement) in zip(pieces, _spans(CHAPTER) + [(0, 0, "")]):
        assert decoded.startswith(piece, position)
        position += len(piece)
        assert decoded.startswith(replacement, position)
        position += len(replacement)
    assert position == len(decoded)
    # The other chapter is untouched; linting again finds only the heading and the caption.
    assert (tmp_path / "index.qmd").read_text() == "# Preface\n\nNothing to fix here.\n"
    again = _run(tmp_path)
    left = [Path(line.split(": GLS001")[0]).name for line in again.output.splitlines() if "GLS001" in line]
    assert left == ["ch.qmd:5:17", "ch.qmd:21:12"]  # "back\\npropagation" became one line


def test_diff_shows_the_same_changes_without_writing(tmp_path: Path) -> None:
    path = _book(tmp_path, CHAPTER.encode())
    result = _run(tmp_path, "--diff", "--unsafe-fixes")
    assert result.exit_code == 1
    assert path.read_text() == CHAPTER
    assert "+Backpropagation computes gradients. We use backpropagation on every mini-batch, and backprop is an alias." \
        in result.output


def test_term_replacements_are_unsafe_fixes_left_to_review(tmp_path: Path) -> None:
    path = _book(tmp_path, CHAPTER.encode())
    result = _run(tmp_path, "--fix")
    assert result.exit_code == 1 and path.read_text() == CHAPTER
    assert "mlsys-lint: 7 unsafe fixes not applied; review them with --diff --unsafe-fixes" in result.output
    diff = _run(tmp_path, "--diff")
    assert diff.exit_code == 0 and "mlsys-lint: 7 unsafe fixes not shown (add --unsafe-fixes)" in diff.output
