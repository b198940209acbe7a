"""Float numbers as the reader sees them: "3.2" for a figure in chapter 3, "A.1" in the first
appendix, "3.2 (b)" for a subfigure, "4" on a page that does not number by chapter.

This follows quarto-cli's crossref filter (``crossref/index.lua`` ``indexNextOrder`` and
``indexNextChapter``, ``crossref/sections.lua``, ``crossref/format.lua``
``formatNumberOption``) and its book project (``bookRenderItems``, ``chapterInfoForInput``,
``withChapterMetadata``):

* Only labelled floats are numbered, each type on its own counter; a subfloat takes its
  parent's number and a letter, `` (a)``, `` (b)``, … (``subref-labels: alpha a``; a space
  between, as ``resolveRefs`` in crossref/refs.lua writes a reference to one).
* Numbering by chapter (``crossref: chapters``, on in books) prefixes the chapter's number and
  restarts the counters at every numbered level-1 heading; an unnumbered one
  (``{.unnumbered}``) neither counts nor restarts.
* An HTML book renders each chapter alone: its number is its place among the numbered
  chapters of ``book: chapters`` (``references`` included), restarting at 1 for
  ``appendices``, which are lettered; its title heading is not in the body, and an
  unnumbered chapter's floats count 1, 2, … on their own.
* A PDF (any format that is one document) numbers the whole book in one pass over the
  numbered chapters' level-1 headings (a part page's heading becomes ``\\part``; every
  heading of an unnumbered chapter is unnumbered: ``quarto-pre/book-numbering.lua``); an
  unnumbered chapter's floats continue the previous chapter's count, and chapters from
  the first appendix on are lettered.
* Content the format does not show is not numbered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsys_lint.elements import format_is
from mlsys_lint.xref import FloatEntry, namespaces

if TYPE_CHECKING:
    from mlsys_lint.project import Project, Unit

_TITLE_ATTRIBUTES = ("{.unnumbered", "{-", " .unnumbered", " -}")


def numbers_by_chapter(project: "Project", front_matter: dict[str, Any]) -> bool:
    """Whether floats are numbered "3.1": ``crossref: chapters``, which quarto-cli's book project
    turns on (``bookProjectType.formatExtras``, src/project/types/book/book.ts) and a page's
    or the project's metadata may set."""
    for meta in (front_matter, project.config):
        crossref = meta.get("crossref") if isinstance(meta, dict) else None
        if isinstance(crossref, dict) and "chapters" in crossref:
            return crossref["chapters"] is True
    return project.is_book


def float_numbers(project: "Project", fmt: str = "html") -> dict[str, str]:
    """Label → number (without the "Figure" word) of every labelled float that output format
    `fmt` shows."""
    numbers: dict[str, str] = {}
    one_document = project.is_book and not format_is(fmt, "html")
    state = _Counters()
    chapter_numbers = _chapter_numbers(project) if project.is_book else {}
    for space in namespaces(project):
        entries = [entry for entry in space.floats if entry.definition is not None]
        by_unit: dict[int, list[FloatEntry]] = {}
        for entry in entries:
            by_unit.setdefault(id(entry.unit), []).append(entry)
        for unit in space.units:
            by_chapter = numbers_by_chapter(project, unit.document.front_matter)
            if not one_document:
                state = _Counters()
                number = chapter_numbers.get(unit.path)
                if number is not None:
                    state.chapter = chr(64 + number) if unit.appendix else str(number)
            counted = not project.is_book or one_document and unit.chapter and _numbered(unit)
            _number_unit(unit, by_unit.get(id(unit), []), fmt, state, numbers, by_chapter,
                         headings=_chapter_headings(unit, one_document) if counted else [])
    return numbers


class _Counters:
    """Where the numbering stands: the chapter prefix, each type's next number."""

    def __init__(self) -> None:
        self.chapter = ""
        self.next: dict[str, int] = {}
        self.chapters = 0
        self.first_appendix: int | None = None


def _chapter_headings(unit: "Unit", one_document: bool) -> list[tuple[Any, tuple[str, ...]]]:
    """The level-1 headings of `unit` (order key, classes) that the crossref filter counts: in a
    book built as one document, a chapter whose title is in its front matter gets it as its
    first heading.  (Headings of part pages become ``\\part``, and every heading of an
    unnumbered chapter is made unnumbered: quarto-pre/book-numbering.lua; the caller leaves
    those units out.)"""
    headings = [(key, heading.classes) for key, heading in unit.walk("headings") if heading.level == 1]
    title = unit.document.front_matter.get("title") if isinstance(unit.document.front_matter, dict) else None
    if one_document and isinstance(title, str):
        headings.insert(0, ((unit.index, -1, ()), ()))
    return headings


def _number_unit(unit: "Unit", entries: list[FloatEntry], fmt: str, state: _Counters, numbers: dict[str, str],
                 by_chapter: bool, headings: list[tuple[Any, tuple[str, ...]]]) -> None:
    events = sorted([(key, 0, classes) for key, classes in headings] + [(entry.order, 1, entry) for entry in entries],
                    key=lambda event: (event[0], event[1]))
    subfloats: dict[str, int] = {}
    for _, kind, item in events:
        if kind == 0:
            if "unnumbered" in item:
                continue
            state.chapters += 1
            state.next = {}
            if unit.appendix and state.first_appendix is None:
                state.first_appendix = state.chapters
            first = state.first_appendix
            state.chapter = chr(64 + state.chapters - first + 1) if first is not None else str(state.chapters)
            continue
        figure = item.float
        if not figure.condition.visible(fmt, ""):
            continue
        if figure.parent is not None:
            parent = _parent_label(unit, item, figure.parent)
            if parent is not None and parent in numbers:
                subfloats[parent] = subfloats.get(parent, 0) + 1
                numbers[item.label] = f"{numbers[parent]} ({chr(96 + subfloats[parent])})"
            continue
        order = state.next.get(figure.type, 1)
        state.next[figure.type] = order + 1
        numbers[item.label] = f"{state.chapter}.{order}" if by_chapter and state.chapter else str(order)


def _parent_label(unit: "Unit", entry: FloatEntry, index: int) -> str | None:
    """The label of float `index` of the document that holds `entry`'s float."""
    for doc in unit.documents:
        if doc.path == entry.float.source.path and 0 <= index < len(doc.floats):
            return doc.floats[index].label
    return None


def _chapter_numbers(project: "Project") -> dict[str, int]:
    """Each numbered chapter's number in an HTML book (``bookRenderItems``): counted over
    ``chapters`` (and ``references``), again from 1 over ``appendices``."""
    numbers: dict[str, int] = {}
    counted = {False: 0, True: 0}
    for unit in project.units:
        if not unit.chapter or not _numbered(unit):
            continue
        counted[unit.appendix] += 1
        numbers[unit.path] = counted[unit.appendix]
    return numbers


def _numbered(unit: "Unit") -> bool:
    """quarto-cli ``isNumberedChapter``: the front matter's title, else the first heading,
    without the ``unnumbered`` class."""
    doc = unit.document
    title = doc.front_matter.get("title") if isinstance(doc.front_matter, dict) else None
    if isinstance(title, str):
        return not any(mark in title for mark in _TITLE_ATTRIBUTES)
    first = doc.headings[0] if doc.headings else None
    return first is None or "unnumbered" not in first.classes
