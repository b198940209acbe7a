"""Build the fuzzers' seed corpus from the shared books (read at run time, never committed).

    python tests/fuzz/build_corpus.py OUT [--corpora DIR] [--limit N] [--max-bytes B]

writes ``OUT/parser/`` (manuscript files, long ones cut into pieces at blank lines, plus
hand-written snippets of every construct) and ``OUT/config/`` (every ``_quarto*.yml``
and ``.mlsys-lint.yml`` found).  ``--limit`` keeps a deterministic sample (every corpus
represented) for short runs.  The corpora folder defaults to ``$MLSYS_LINT_CORPORA`` or
``/work/shared/corpora``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

DEFAULT_CORPORA = os.environ.get("MLSYS_LINT_CORPORA", "/work/shared/corpora")
MANUSCRIPTS = (".qmd", ".md", ".rmd")

SNIPPETS = [
    "---\ntitle: x\n---\n\n# A {#sec-a}\n\nSee @fig-a and [-@tbl-b; @Sec-a].[^n]\n\n[^n]: A note.\n",
    "![Cap @fig-b](a.png){#fig-a fig-alt=\"Alt\"}\n\n::: {#fig-b}\n![](x.png)\n\nCaption.\n:::\n",
    "````\n```\n:::: {#fig-x}\n```\n````\n\n:::: {.content-visible when-format=\"html\"}\n::: {#tbl-t}\n| a |\n|---|\n\n: cap\n:::\n::::\n",
    "```{r fig-k, fig.cap=\"K @fig-a\"}\n#| fig-alt: !expr alt\nplot(1)\n```\n\n```{python}\n#| label: fig-p\n#| fig-subcap: [a, b]\n```\n",
    "$$\nx\n$$ {#eq-x}\n\n<!-- @fig-hidden\n-->\n\n{{< include _a.qmd >}}\n\n{{< glossary \"term one\" >}}\n",
    "Term\n:   Definition with ^[inline @fig-z].\n\n> [^q]: quoted note\n\n(@ex) example item\n",
    "| a | b |\n|---|---|\n| 1 | [^t] |\n\n: Table {#tbl-x}\n\n```{#lst-a .sql lst-cap=\"Q\"}\nselect 1;\n```\n",
]

CONFIG_SNIPPETS = [
    "project:\n  type: book\nbook:\n  chapters:\n    - index.qmd\n    - part: p.qmd\n      chapters: [a.qmd]\n  appendices: [b.qmd]\n",
    "project:\n  type: website\n  render: ['*.qmd', '!x.qmd']\ncrossref:\n  custom:\n    - kind: float\n      ref-type: vid\n",
    "format:\n  html: default\n  pdf: {toc: true}\nmetadata-files: [m.yml]\nprofile:\n  default: pdf\n",
    "select: [XR, FIG]\nignore: [CAP004]\nper-file-ignores: {'a/**': [FIG002]}\nseverity: {FIG003: warning}\n",
]


def _pieces(text: str, max_bytes: int) -> list[str]:
    """`text` itself, or consecutive pieces of it cut at blank lines, each under `max_bytes`."""
    if len(text.encode("utf-8")) <= max_bytes:
        return [text]
    pieces, current = [], []
    size = 0
    for block in text.split("\n\n"):
        length = len(block.encode("utf-8")) + 2
        if current and size + length > max_bytes:
            pieces.append("\n\n".join(current))
            current, size = [], 0
        current.append(block[: max_bytes])
        size += length
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def _write(folder: Path, data: bytes) -> None:
    name = hashlib.sha1(data).hexdigest()
    (folder / name).write_bytes(data)


def build(out: Path, corpora: Path, limit: int | None = None, max_bytes: int = 4096) -> dict[str, int]:
    parser_dir, config_dir = out / "parser", out / "config"
    parser_dir.mkdir(parents=True, exist_ok=True)
    config_dir.mkdir(parents=True, exist_ok=True)
    for snippet in SNIPPETS:
        _write(parser_dir, snippet.encode())
    for snippet in CONFIG_SNIPPETS:
        _write(config_dir, snippet.encode())
    counts = {"parser": len(SNIPPETS), "config": len(CONFIG_SNIPPETS)}
    if not corpora.is_dir():
        return counts
    for corpus in sorted(p for p in corpora.iterdir() if p.is_dir()):
        manuscripts, configs = [], []
        for folder, dirs, files in os.walk(corpus):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder) / name
                lower = name.lower()
                if lower.endswith(MANUSCRIPTS):
                    manuscripts.append(path)
                elif lower.startswith("_quarto") and lower.endswith((".yml", ".yaml")) or lower == ".mlsys-lint.yml":
                    configs.append(path)
        if limit is not None:
            step = max(1, len(manuscripts) // max(1, limit))
            manuscripts = manuscripts[::step][:limit]
            configs = configs[: max(1, limit // 2)]
        for path in manuscripts:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            pieces = _pieces(text, max_bytes)
            if limit is not None:
                pieces = pieces[:2]
            for piece in pieces:
                _write(parser_dir, piece.encode("utf-8"))
                counts["parser"] += 1
        for path in configs:
            try:
                _write(config_dir, path.read_bytes()[: max_bytes * 4])
                counts["config"] += 1
            except OSError:
                continue
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--corpora", type=Path, default=Path(DEFAULT_CORPORA))
    parser.add_argument("--limit", type=int, default=None, help="files per corpus (deterministic sample)")
    parser.add_argument("--max-bytes", type=int, default=4096, help="cut longer files into pieces")
    args = parser.parse_args(argv)
    counts = build(args.out, args.corpora, args.limit, args.max_bytes)
    print(f"seeds: {counts['parser']} parser, {counts['config']} config in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
