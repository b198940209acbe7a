"""CIT: citations resolve against the bibliography in force, and bibliographies hold each key once."""

from __future__ import annotations

import os
import re
from typing import Any, Iterator

from mlsys_lint.bibliography import BibEntry, BibFile, ProjectBibliography, inline_reference_ids
from mlsys_lint.model import Related, Violation
from mlsys_lint.plugin import rule
from mlsys_lint.project import Project, Unit
from mlsys_lint.xref import crossref_type

_TAGS = ("citations",)
_NEEDS = ("bibliography",)
_NOCITE_KEY = re.compile(r"@(\*|[\w][\w:.#$%&\-+?<>~/]*)")


def _bibliography(project: Project) -> ProjectBibliography:
    return project.bibliography or ProjectBibliography()


def _in_force(project: Project, unit: Unit) -> list[tuple[str, BibFile]]:
    bibliography = _bibliography(project)
    return [(naming.written, bibliography.file(naming.path)) for naming in bibliography.namings(project, unit)]


def _citations(project: Project, unit: Unit):
    types = project.crossref_types
    return [ref for ref in unit.elements("references") if crossref_type(ref.key, types) is None]


@rule("CIT001", "unresolved-citation", "error", tags=_TAGS, needs=_NEEDS)
def unresolved_citation(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A citation whose key is in no bibliography the document uses, or a bibliography file that does not exist.

    ## What it does
    Checks every `@key` and `[@key]` Pandoc reads as a citation (not an e-mail address,
    not `\\@`, not a key right after a letter or digit, not a cross-reference such as
    `@fig-x`, custom crossref types included, and nothing in code, math or comments)
    against the bibliography in force for its document: the `bibliography:` files of
    `_quarto.yml`, of its formats, and of the page's front matter (Quarto merges them),
    plus CSL entries written under `references:`. BibTeX/BibLaTeX, CSL JSON and CSL YAML
    files are read. A document without any bibliography is not checked (there `@name`
    prints as text). A `bibliography:` file that does not exist is reported at the key
    that names it.

    ## Why is this bad?
    Pandoc's citeproc prints `(key?)` in place of the citation and only warns; the
    reference list lacks the work.

    ## Example
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [index.qmd]
    bibliography: references.bib
    ```

    ```{.bibtex filename="references.bib"}
    @article{williams2009,
      title = {Roofline},
    }
    ```

    ```markdown
    The roofline model [@wiliams2009] bounds throughput.
    ```

    ## Use instead
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [index.qmd]
    bibliography: references.bib
    ```

    ```{.bibtex filename="references.bib"}
    @article{williams2009,
      title = {Roofline},
    }
    ```

    ```markdown
    The roofline model [@williams2009] bounds throughput.
    ```
    """
    reported: set[tuple[str, str]] = set()
    for unit in project.all_units:
        if not project.reports_any((unit,)):  # its findings all fall in its own files
            continue
        namings = _bibliography(project).namings(project, unit)
        if any(naming.computed for naming in namings):
            continue  # code names the file at render time: its entries are unknown
        files = _in_force(project, unit)
        broken = [(written, bib) for written, bib in files if bib.problem is not None]
        for naming, (written, bib) in zip(namings, files):
            if bib.problem is not None and naming.source is not None and (bib.path, naming.source.path) not in reported:
                reported.add((bib.path, naming.source.path))
                yield Violation(naming.source.span(naming.start, naming.start + len(written)),
                                f"bibliography `{written}` {bib.problem}", written)
        if not files or broken:
            continue
        keys = {entry.key for _, bib in files for entry in bib.entries} | inline_reference_ids(unit.document.front_matter)
        names = ", ".join(written for written, _ in files)
        for ref in _citations(project, unit):
            if ref.key not in keys:
                yield Violation(ref.span, f"citation `@{ref.key}` has no entry in {names}", ref.key)


@rule("CIT002", "duplicate-bibliography-key", "warning", tags=_TAGS, needs=_NEEDS)
def duplicate_bibliography_key(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A bibliography key written twice in the bibliography a document uses.

    ## What it does
    Reports each later entry whose key an earlier entry already has, in one file or
    across the files in force for a document (``bibliography: [a.bib, b.bib]``).

    ## Why is this bad?
    Citeproc takes one of the two entries; which one depends on the file order, and the
    other silently never appears.

    ## Example
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [index.qmd]
    bibliography: references.bib
    ```

    ```{.bibtex filename="references.bib"}
    @article{williams2009,
      title = {Roofline},
    }

    @inproceedings{williams2009,
      title = {Roofline, the conference version},
    }
    ```

    ```markdown
    The roofline model [@williams2009] bounds throughput.
    ```

    ## Use instead
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [index.qmd]
    bibliography: references.bib
    ```

    ```{.bibtex filename="references.bib"}
    @article{williams2009,
      title = {Roofline},
    }

    @inproceedings{williams2009conf,
      title = {Roofline, the conference version},
    }
    ```

    ```markdown
    The roofline model [@williams2009] bounds throughput.
    ```
    """
    reported: set[tuple[str, int]] = set()
    for unit in project.all_units:
        first: dict[str, BibEntry] = {}
        for _, bib in _in_force(project, unit):
            for entry in bib.entries:
                earlier = first.setdefault(entry.key, entry)
                if earlier is entry or (entry.path, entry.start) in reported or bib.source is None:
                    continue
                reported.add((entry.path, entry.start))
                where = _entry_site(project, earlier)
                yield Violation(bib.source.span(entry.start, entry.start + len(entry.key)),
                                f"bibliography key `{entry.key}` is written twice (first at {where}); citeproc uses one "
                                "of the entries", entry.key,
                                related=(Related(_entry_span(project, earlier), "the first entry"),))


def _entry_span(project: Project, entry: BibEntry):
    source = _bibliography(project).file(entry.path).source
    return source.span(entry.start, entry.start + len(entry.key))


def _entry_site(project: Project, entry: BibEntry) -> str:
    return f"{os.path.relpath(entry.path, project.root)}:{_entry_span(project, entry).line}"


@rule("CIT003", "unused-bibliography-entry", "info", tags=_TAGS, needs=_NEEDS, enabled=False)
def unused_bibliography_entry(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A bibliography entry that no document cites.

    ## What it does
    Off by default. Reports each entry of a bibliography file that no document using the
    file cites; `nocite:` keys count as citations and `nocite: "@*"` uses every entry.

    ## Why is this bad?
    A shared bibliography collects entries of deleted paragraphs; with `nocite: "@*"` they
    even show in the reference list.

    ## Example
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [index.qmd]
    bibliography: references.bib
    ```

    ```{.bibtex filename="references.bib"}
    @article{williams2009,
      title = {Roofline},
    }

    @article{old2001,
      title = {A paragraph that was cut},
    }
    ```

    ```markdown
    The roofline model [@williams2009] bounds throughput.
    ```

    ## Use instead
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters: [index.qmd]
    bibliography: references.bib
    ```

    ```{.bibtex filename="references.bib"}
    @article{williams2009,
      title = {Roofline},
    }
    ```

    ```markdown
    The roofline model [@williams2009] bounds throughput.
    ```
    """
    cited: dict[str, set[str]] = {}
    entries: dict[str, BibFile] = {}
    for unit in project.all_units:
        files = _in_force(project, unit)
        keys = {ref.key for ref in _citations(project, unit)}
        nocite = unit.document.front_matter.get("nocite")
        keys |= set(_NOCITE_KEY.findall(nocite if isinstance(nocite, str) else ""))
        for _, bib in files:
            entries[bib.path] = bib
            cited.setdefault(bib.path, set()).update(keys)
    for path, bib in entries.items():
        used = cited.get(path, set())
        if "*" in used or bib.source is None:
            continue
        for entry in bib.entries:
            if entry.key not in used:
                yield Violation(bib.source.span(entry.start, entry.start + len(entry.key)),
                                f"bibliography entry `{entry.key}` is never cited", entry.key)


RULES = [unresolved_citation, duplicate_bibliography_key, unused_bibliography_entry]
