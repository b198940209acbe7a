"""What a book habitually does, for `mlsys-lint init`: the configuration that fits it.

Each rule with an `advise` hook looks at the parsed project and says what it saw and how
it should be set (an option, or off); the glossary sources and the engines of the
documents are read here. Every choice comes with the comment that explains it; the
configuration is plain YAML text that the user reads and owns.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from mlsys_lint.config import Settings
    from mlsys_lint.plugin import Rule
    from mlsys_lint.project import Project


@dataclass
class Habits:
    """The choices `init` writes: rules to leave off, rule options, glossary sources, and one
    comment line per thing it looked at."""

    ignore: list[str] = field(default_factory=list)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    glossary_sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def book_habits(project: "Project", settings: "Settings", rules: Iterable["Rule"]) -> Habits:
    """Ask every rule that can advise, then describe the glossary sources and the engines."""
    habits = Habits()
    for rule in rules:
        advice = rule.advise(project) if rule.advise is not None else None
        if advice is None:
            continue
        habits.notes.append(f"{rule.code} {rule.name}: {advice.note}.")
        if advice.ignore:
            habits.ignore.append(rule.code)
        if advice.options:
            habits.options[rule.code] = dict(advice.options)
    habits.glossary_sources, note = _glossary(project, settings)
    habits.notes.append(note)
    engines = Counter(unit.document.engine for unit in project.units)
    listed = ", ".join(f"{engine} {count}" for engine, count in sorted(engines.items())) or "none"
    habits.notes.append(f"Engines (documents): {listed}; knitr's and Jupyter's cell options are read as each engine "
                        "reads them, nothing to configure.")
    return habits


def _glossary(project: "Project", settings: "Settings") -> tuple[list[str], str]:
    from mlsys_lint.glossary import GlossaryError
    from mlsys_lint.glossary_files import autodetect_sources
    from mlsys_lint.terms import load_project_glossary

    sources = autodetect_sources(project.root)
    try:
        glossary = load_project_glossary(project, settings)
    except GlossaryError as error:
        return sources, f"Glossary: a source cannot be read ({error}); `mlsys-lint check` reports it."
    chapters = [Path(os.path.relpath(path, project.root)).as_posix() for path in glossary.chapters]
    if not sources and not chapters:
        return [], ("Glossary: no glossary source found, so no term is checked; list the files that define your "
                    "terms under `glossary: sources:`.")
    return sources, f"Glossary: {len(glossary)} terms from {', '.join(sources + chapters)}."


def source_patterns(sources: list[str]) -> list[str]:
    """Glossary sources as configuration entries: three or more chapter glossaries
    (``*_glossary.json``) as one glob, not one line per chapter."""
    chapter_glossaries = [source for source in sources if source.endswith("_glossary.json")]
    if len(chapter_glossaries) < 3:
        return sources
    return [source for source in sources if source not in chapter_glossaries] + ["**/*_glossary.json"]


def quarto_configs(root: Path) -> list[Path]:
    """The Quarto configurations a book may be linted with: `_quarto.yml` first, then the
    `_quarto*.yml` files of its direct subfolders (MLSysBook keeps one per output in
    `config/` and links `_quarto.yml` to the one in use). Root `_quarto-NAME.yml` files are
    profiles of `_quarto.yml`, not alternatives, and are not listed."""
    found = [root / name for name in ("_quarto.yml", "_quarto.yaml") if (root / name).is_file()]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        found += sorted(p for p in folder.glob("_quarto*.y*ml") if p.is_file())
    unique: dict[str, Path] = {}
    for config in found:  # `_quarto.yml` may be a link to one of the others
        unique.setdefault(os.path.realpath(config), config)
    return list(unique.values())
