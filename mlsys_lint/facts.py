"""Facts a rule may need beyond the parsed model, provided only when a selected rule needs them.

A rule names them in ``rule(..., needs=(...))``.  The parsed model (documents, units in
render order, includes, cell options and outputs, `_quarto.yml`) is always there; the facts
here cost something to gather, so the engine gathers a fact only when a rule that needs it
runs, for built-in and third-party rules alike.  A fact without a provider is the engine's
own and is computed after the other rules have run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from mlsys_lint.config import ConfigError

if TYPE_CHECKING:
    from mlsys_lint.config import Settings
    from mlsys_lint.project import Project


@dataclass(frozen=True)
class Fact:
    """A named fact: where it lands on the model, and the function that gathers it.

    `inputs`, when given, says what of the built project a value of the fact was gathered
    from besides files (which it reads through `mlsys_lint.observed`): an engine that lives
    across edits (the language server's) keeps the fact, project attribute `attribute`,
    while these and every file read for it are unchanged.
    """

    name: str
    description: str
    provide: Callable[["Project", "Settings"], None] | None = None
    inputs: Callable[["Project", Any], Any] | None = None
    attribute: str = ""


def _provide_glossary(project: "Project", settings: "Settings") -> None:
    from mlsys_lint.glossary import GlossaryError
    from mlsys_lint.terms import load_project_glossary

    try:
        glossary = load_project_glossary(project, settings)
    except GlossaryError as error:  # a broken glossary source is the user's configuration
        raise ConfigError(str(error)) from None
    project.glossary = glossary
    project.data_sources.update(glossary.files)


def _glossary_inputs(project: "Project", glossary: Any) -> Any:
    """The configuration, the chapters in order and which are glossary pages, and the text
    of the pages `glossary` read entries from."""
    from mlsys_lint.terms import is_glossary_chapter

    texts = {path: project.documents[path].source.text if path in project.documents else None
             for path in glossary.anchors}
    return project.config, [(unit.path, is_glossary_chapter(unit.document)) for unit in project.units], texts


def _provide_file_listing(project: "Project", settings: "Settings") -> None:
    from mlsys_lint.file_listing import FileListing

    project.file_listing = FileListing()


def _provide_bibliography(project: "Project", settings: "Settings") -> None:
    from mlsys_lint.bibliography import ProjectBibliography

    bibliography = ProjectBibliography()
    for unit in project.all_units:
        for naming in bibliography.namings(project, unit):
            source = bibliography.file(naming.path).source
            if source is not None:
                project.data_sources[naming.path] = source
    project.bibliography = bibliography


FACTS: dict[str, Fact] = {
    fact.name: fact
    for fact in (
        Fact("glossary", "`project.glossary`: the glossary of the configured or detected sources "
                         "(read it with `mlsys_lint.terms.project_glossary`)", _provide_glossary,
             inputs=_glossary_inputs, attribute="glossary"),
        Fact("bibliography", "`project.bibliography`: the bibliography files named for each document, read once "
                             "(`mlsys_lint.bibliography.ProjectBibliography`)", _provide_bibliography),
        Fact("file-listing", "`project.file_listing`: which files exist, with the case of their names, each "
                             "folder listed once (`mlsys_lint.file_listing.FileListing.lookup`)", _provide_file_listing),
        Fact("unused-suppressions", "`project.unused_suppressions`: suppression comments that silenced no "
                                    "finding of the other selected rules (rules needing it run after them)"),
    )
}
"""Every fact a rule may need, by name."""
