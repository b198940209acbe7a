"""What `mlsys-lint init` writes and prints: the starter configuration that fits a book, and
the pre-commit and GitHub Actions lines for it."""

from __future__ import annotations

from pathlib import Path

from mlsys_lint.files import relative

_STARTER = """\
# mlsys-lint configuration (see `mlsys-lint rules` and `mlsys-lint rule CODE`)
{habits}{quarto}# select: [ALL]       # default: every rule that is on by default, installed plugins included
ignore: {ignore}
fail-on: warning
per-file-ignores: {{}}
rules:{rules}
{options}{glossary}"""


def starter_config(registry, quarto: str, habits) -> str:
    """The starter configuration: choices that fit the book's `habits` (each explained in a
    comment), every other rule option listed with its default."""
    import json

    from mlsys_lint.habits import source_patterns

    lines = [f"#   {rule.code}: {{" + ", ".join(f"{o.name}: {json.dumps(o.default)}" for o in rule.options) + "}\n"
             for rule in registry.rules.values() if rule.options and rule.code not in habits.options]
    options = ""
    if lines:
        options = ("# Other rule options and their defaults; to change one, add its line under `rules:`,\n"
                   "# uncommented:\n" + "".join(lines))
    rules = "".join(f"\n  {code}: {json.dumps(values)}" for code, values in habits.options.items()) or " {}"
    glossary = ""
    if habits.glossary_sources:
        glossary = "glossary:\n  sources:\n" + "".join(f"    - {json.dumps(s) if '*' in s else s}\n"
                                                        for s in source_patterns(habits.glossary_sources))
    noted = "".join(f"# - {note}\n" for note in habits.notes)
    return _STARTER.format(habits=f"# What `mlsys-lint init` found in this book, and chose:\n{noted}" if noted else "",
                           quarto=quarto, ignore=json.dumps(habits.ignore), rules=rules, options=options,
                           glossary=glossary)


def quarto_lines(configs: list[Path], chosen: Path | None, root: Path) -> str:
    """The `quarto-config` lines of the starter configuration, with the alternatives named."""
    if chosen is None:
        return "# quarto-config: _quarto.yml\n"
    others = [relative(config, root) for config in configs if config != chosen]
    lines = "" if chosen.parent == root and chosen.name.startswith("_quarto.") else \
        f"quarto-config: {relative(chosen, root)}\n"
    if others:
        lines += (f"# Other configurations of this book: {', '.join(others)}; lint one with "
                  f"`mlsys-lint --quarto-config {others[0]}`.\n")
    return lines


def snippets(root: Path, has_baseline: bool) -> str:
    """The pre-commit and GitHub Actions lines for this book, paths from the repository root."""
    repository = next((folder for folder in (root, *root.parents) if (folder / ".git").exists()), root)
    where = relative(root, repository)
    book = "" if where in (".", "") else where
    baseline = f"{book}/.mlsys-lint-baseline.json" if book else ".mlsys-lint-baseline.json"
    args = f"\n        args: [--baseline, {baseline}]" if has_baseline else ""
    with_ = {"paths": book or "."} | ({"baseline": baseline} if has_baseline else {})
    inputs = ", ".join(f"{key}: {value}" for key, value in with_.items())
    return ("\nAdd to .pre-commit-config.yaml (ORG/REV: where you host mlsys-lint, see the README's Install):\n"
            "  - repo: https://github.com/ORG/mlsys-lint\n    rev: REV\n    hooks:\n      - id: mlsys-lint"
            f"{args}\n\nand a GitHub Actions step:\n      - uses: ORG/mlsys-lint@REV\n        with: {{{inputs}}}")
