"""A rule's documentation as tested input: the files its ``## Example`` and ``## Use instead`` show.

Each of the two sections is a complete input: one fenced block (the file ``index.qmd``),
or several, each naming its file with Quarto's ``filename="…"`` attribute
(```` ```{.yaml filename="_quarto.yml"} ````; ``glossary.yml``, a second chapter); a block
without a name is ``index.qmd``.  Prose around the blocks is free.  `check_examples`
writes each section into a folder of its own, lints it with every rule, and returns what
is wrong: the Example must produce the rule's code and the Use instead must not.  Rule
authors (plugins included) call it from a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mlsys_lint.plugin import Rule

EXAMPLE, USE_INSTEAD = "Example", "Use instead"
DEFAULT_FILE = "index.qmd"
_HEADING = re.compile(r"^## +(.+?)\s*$", re.M)
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
_FILENAME = re.compile(r"""\bfilename\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+?))(?=[\s}]|$)""")


class DocExampleError(ValueError):
    """A section whose blocks do not make one input (two files of one name, a name outside the folder)."""


@dataclass
class DocExample:
    """The files one section of a rule's documentation shows, by relative path."""

    section: str
    files: dict[str, str]


def sections(doc: str) -> dict[str, str]:
    """The ``## Heading`` sections of a rule's doc, heading → body (a ``##`` line inside a
    fenced example is the example's text)."""
    fenced: set[int] = set()
    fence = None
    for line in re.finditer(r"^.*$", doc, re.M):
        opening = _FENCE.match(line.group())
        if opening is not None and (fence is None or opening.group("fence").startswith(fence)
                                    and not opening.group("info").strip()):
            fence = opening.group("fence") if fence is None else None
        elif fence is not None:
            fenced.add(line.start())
    found = [match for match in _HEADING.finditer(doc) if match.start() not in fenced]
    return {match.group(1): doc[match.end():found[i + 1].start() if i + 1 < len(found) else len(doc)]
            for i, match in enumerate(found)}


def section_files(text: str, section: str = "") -> dict[str, str]:
    """The files the fenced blocks of `text` show (an unnamed block is ``index.qmd``)."""
    files: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        index += 1
        if opening is None:
            continue
        fence, indent = opening.group("fence"), len(opening.group("indent"))
        body: list[str] = []
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            index += 1
            if closing and closing.group("fence")[0] == fence[0] and len(closing.group("fence")) >= len(fence) \
                    and not closing.group("info").strip():
                break
            body.append(lines[index - 1][indent:] if lines[index - 1][:indent].isspace() else lines[index - 1])
        name = _filename(opening.group("info"))
        if name in files:
            raise DocExampleError(f"{section}: two blocks are the file `{name}`; name each with filename=\"…\"")
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise DocExampleError(f"{section}: `{name}` is not a path inside the project")
        files[name] = "\n".join(body) + "\n"
    return files


def _filename(info: str) -> str:
    match = _FILENAME.search(info)
    return next(group for group in match.groups() if group is not None) if match else DEFAULT_FILE


def doc_examples(rule: Rule) -> list[DocExample]:
    """The Example and Use instead of `rule`, each with the files it shows (sections without blocks left out)."""
    found = sections(rule.doc)
    examples = []
    for section in (EXAMPLE, USE_INSTEAD):
        files = section_files(found.get(section, ""), f"{rule.code} {section}")
        if files:
            examples.append(DocExample(section, files))
    return examples


def check_examples(rule: Rule, folder: Path, registry: dict[str, Rule] | None = None) -> list[str]:
    """What is wrong with the examples of `rule`, each linted in a folder below `folder`.

    Every rule of `registry` (default: every installed rule) runs, with `rule` among them,
    as with ``--select ALL`` (and the example's own ``.mlsys-lint.yml``, if it shows one).  Empty when the Example produces the rule's code and the Use
    instead does not; a rule documented without both is reported too.
    """
    from mlsys_lint.config import load_settings
    from mlsys_lint.engine import Engine
    from mlsys_lint.registry import load_rules, select_rules

    rules = {**(registry if registry is not None else load_rules()), rule.code: rule}
    problems = []
    examples = {example.section: example for example in doc_examples(rule)}
    for section in (EXAMPLE, USE_INSTEAD):
        example = examples.get(section)
        if example is None:
            problems.append(f"{rule.code}: the doc has no `## {section}` with a fenced block")
            continue
        root = folder / f"{rule.code}-{section.replace(' ', '-').lower()}"
        for name, text in example.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        settings = load_settings(root)  # an example may show its `.mlsys-lint.yml`
        settings.select = ["ALL"]
        diagnostics = Engine(settings, select_rules(rules, settings), base=root).run([root]).diagnostics
        fired = [d for d in diagnostics if d.code == rule.code]
        if section == EXAMPLE and not fired:
            others = ", ".join(sorted({d.code for d in diagnostics})) or "nothing"
            problems.append(f"{rule.code}: its Example does not produce {rule.code} (found: {others})")
        if section == USE_INSTEAD and fired:
            problems.append(f"{rule.code}: its Use instead still produces {rule.code}: "
                            + "; ".join(f"{Path(d.span.path).name}:{d.span.line}: {d.message}" for d in fired))
    return problems


def rule_page(rule: Rule) -> str:
    """The rule's page as `mlsys-lint rule CODE` prints it and `docs/rules/CODE.md` holds it."""
    status = "on by default" if rule.enabled else "off by default"
    lines = [f"# {rule.code} {rule.name}", "",
             f"Default severity: {rule.severity}; {status}; {'fixable' if rule.fixable else 'not fixable'}; "
             f"from {rule.origin}{'; tags: ' + ', '.join(rule.tags) if rule.tags else ''}.", "", rule.doc]
    if rule.options and "## Options" not in rule.doc:
        lines += ["", "## Options"] + [f"- `{option.name}` ({option.type.__name__}, default {option.default!r}): "
                                       f"{option.description}" for option in rule.options]
    return "\n".join(lines) + "\n"


def write_rule_pages(folder: Path, rules: dict[str, Rule]) -> list[Path]:
    """Write `docs/rules/CODE.md` for each built-in rule and an index; remove pages of rules that
    no longer exist. Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    built_in = {code: rule for code, rule in sorted(rules.items()) if rule.built_in}
    written = []
    for code, rule in built_in.items():
        path = folder / f"{code}.md"
        path.write_text(rule_page(rule), encoding="utf-8")
        written.append(path)
    for stale in folder.glob("*.md"):
        if stale.stem not in built_in and stale.name != "README.md":
            stale.unlink()
    index = ["# Rules", "", "Generated from each rule's docstring by `python -m mlsys_lint.docs`; do not edit.", "",
             "| code | name | severity | default |", "|---|---|---|---|"]
    index += [f"| [{code}]({code}.md) | {rule.name} | {rule.severity} | {'on' if rule.enabled else 'off'} |"
              for code, rule in built_in.items()]
    (folder / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return written + [folder / "README.md"]


if __name__ == "__main__":
    import sys

    from mlsys_lint.registry import load_rules

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "rules"
    print(f"wrote {len(write_rule_pages(target, load_rules()))} files to {target}")
