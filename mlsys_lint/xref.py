"""The cross-reference index: what each namespace defines and what refers to it, in reading order.

Quarto resolves ``@fig-x`` within a namespace: a whole book (chapters in `_quarto.yml`
order), or one page of a website, or one loose file.  `namespaces(project)` builds, once
per project, for each namespace:

- `definitions`: crossref labels (any built-in or custom type) by id, from every form
  the parser knows, from ``{{< embed … #fig-x >}}`` shortcodes, with included files
  counted where they are included;
- `references`: the ``@key`` citations whose prefix is a crossref type, in reading order
  (a reference inside a footnote stands where the footnote's marker stands), each with
  the labels of the floats it sits in (its own caption or div, and their parents);
- `floats`: every float in reading order, with its label's definition and the labels of
  its subfloats.

Rules ask the index; none recomputes reading order or resolution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from mlsys_lint.elements import Condition, Float, Label, Reference, Shortcode
from mlsys_lint.files import relative
from mlsys_lint.model import Span

from mlsys_lint.project import format_names

if TYPE_CHECKING:
    from mlsys_lint.document import Document
    from mlsys_lint.project import Project, Unit

_TYPE_PREFIX = re.compile(r"([A-Za-z]+)-")
_GENERATED = re.compile(r"(.+)-\d+$")

Order = tuple


def crossref_type(key: str, types: Iterable[str]) -> str | None:
    """The crossref type of a key or label (``Fig-x`` → ``fig``), or None for a citation key."""
    match = _TYPE_PREFIX.match(key)
    if match and match.group(1).lower() in types:
        return match.group(1).lower()
    return None


@dataclass
class Definition:
    """One place that defines a label, with where it stands in reading order."""

    id: str
    type: str
    form: str
    written: Label | Shortcode
    """The label or the embedding shortcode that defines it."""
    condition: Condition
    order: Order
    unit: "Unit"
    float: Float | None = None

    @property
    def span(self) -> Span:
        """Where it is written (found when asked: most definitions are never shown)."""
        return self.written.span

    @property
    def path(self) -> str:
        return self.written.source.path


@dataclass
class CrossRef:
    """A reference to a crossref type, with its reading position and enclosing floats."""

    reference: Reference
    type: str
    order: Order
    unit: "Unit"
    within: frozenset[str] = frozenset()
    offset: int = 0
    """Where it is read in its own file: its start, or its footnote's marker."""

    @property
    def key(self) -> str:
        return self.reference.lookup_key

    @property
    def span(self) -> Span:
        return self.reference.span

    @property
    def in_caption(self) -> bool:
        """Whether it stands in a float's caption (any float's)."""
        return self.reference.in_caption_of is not None or self.reference.context == "caption"


@dataclass
class FloatEntry:
    """A float in reading order with its label's definition and its subfloats' labels."""

    float: Float
    unit: "Unit"
    order: Order
    definition: Definition | None
    labels: frozenset[str] = frozenset()

    @property
    def label(self) -> str | None:
        return self.float.label if self.definition is not None else None


@dataclass
class Namespace:
    """Units whose labels resolve each other, with everything defined and referenced in them."""

    units: list["Unit"]
    kind: str
    definitions: dict[str, list[Definition]] = field(default_factory=dict)
    references: list[CrossRef] = field(default_factory=list)
    floats: list[FloatEntry] = field(default_factory=list)
    other_ids: dict[str, list[Label]] = field(default_factory=dict)
    citations: list[Reference] = field(default_factory=list)
    linked: set[str] = field(default_factory=set)
    """Ids that a Markdown link points at (``[text](#fig-x)``, ``[text](ch2.qmd#fig-x)``)."""
    generated: dict[str, Definition] = field(default_factory=dict)
    _by_target: dict[str, list[CrossRef]] | None = None
    _by_prefix: dict[str, tuple[str, ...]] | None = None
    _by_lower: dict[str, str] | None = None

    def labels_with_prefix(self, prefix: str) -> tuple[str, ...]:
        """Defined labels whose type prefix is `prefix` (lower-cased), for suggestions."""
        if self._by_prefix is None:
            grouped: dict[str, list[str]] = {}
            for ident in self.definitions:
                grouped.setdefault(ident.split("-", 1)[0].lower(), []).append(ident)
            self._by_prefix = {name: tuple(idents) for name, idents in grouped.items()}
        return self._by_prefix.get(prefix, ())

    def label_ignoring_case(self, key: str) -> str | None:
        """The defined label equal to `key` but for letter case."""
        if self._by_lower is None:
            self._by_lower = {}
            for ident in self.definitions:
                self._by_lower.setdefault(ident.lower(), ident)
        return self._by_lower.get(key.lower())

    def lookup(self, key: str) -> list[Definition]:
        """Definitions a lookup key resolves to (cell figures also define ``label-N``)."""
        found = self.definitions.get(key)
        if found:
            return found
        match = _GENERATED.match(key)
        if match and match.group(1) in self.generated:
            return [self.generated[match.group(1)]]
        return []

    def references_to(self, label: str) -> list[CrossRef]:
        """References (in reading order) that resolve to `label`."""
        if self._by_target is None:
            self._by_target = {}
            for ref in self.references:
                for definition in self.lookup(ref.key)[:1]:
                    self._by_target.setdefault(definition.id, []).append(ref)
        return self._by_target.get(label, [])

    def outside_references(self, entry: FloatEntry) -> list[CrossRef]:
        """References to a float or its subfloats, except those inside the float itself."""
        refs = [ref for label in sorted(entry.labels) for ref in self.references_to(label)
                if not ref.within & entry.labels]
        return sorted(refs, key=lambda ref: ref.order)

    def self_references(self, entry: FloatEntry) -> list[CrossRef]:
        """References to a float from inside its own caption or div."""
        refs = [ref for label in sorted(entry.labels) for ref in self.references_to(label)
                if ref.within & entry.labels]
        return sorted(refs, key=lambda ref: ref.order)

    def describe(self) -> str:
        return {"book": "the book", "page": "this page", "file": "this file"}[self.kind]


def namespaces(project: "Project") -> list[Namespace]:
    """The project's namespaces with their indexes, built once per project."""
    if project.namespace_index is None:
        project.namespace_index = [_build(project, units) for units in project.namespaces()]
    return project.namespace_index


def namespace_of(project: "Project", path: str) -> Namespace | None:
    """The (first) namespace that holds the unit whose main file is `path`."""
    for space in namespaces(project):
        if any(unit.path == path for unit in space.units):
            return space
    return None


def _build(project: "Project", units: list["Unit"]) -> Namespace:
    rendered = bool(units) and any(unit is units[0] for unit in project.units)
    kind = ("book" if project.is_book else "page") if rendered else "file"
    space = Namespace(units, kind)
    types = project.crossref_types
    for unit in units:
        part = project.remember(("crossref-index", unit.path, unit.index, types), (unit,),
                                partial(_unit_index, project, unit, types))
        for definition in part.definitions:
            space.definitions.setdefault(definition.id, []).append(definition)
        for ident, definition in part.generated:
            space.generated.setdefault(ident, definition)
        for label in part.other_ids:
            space.other_ids.setdefault(label.id, []).append(label)
        space.references.extend(part.references)
        space.citations.extend(part.citations)
        space.floats.extend(part.floats)
        space.linked.update(part.linked)
    for defs in space.definitions.values():
        defs.sort(key=lambda d: d.order)
    space.references.sort(key=lambda r: r.order)
    space.floats.sort(key=lambda f: f.order)
    return space


@dataclass
class _UnitIndex:
    """What one unit adds to its namespace, in its reading order (kept by a long-lived engine
    while the unit is the same object, `Project.remember`)."""

    definitions: list[Definition] = field(default_factory=list)
    generated: list[tuple[str, Definition]] = field(default_factory=list)
    other_ids: list[Label] = field(default_factory=list)
    references: list[CrossRef] = field(default_factory=list)
    citations: list[Reference] = field(default_factory=list)
    floats: list[FloatEntry] = field(default_factory=list)
    linked: set[str] = field(default_factory=set)


def _unit_index(project: "Project", unit: "Unit", types: frozenset[str]) -> _UnitIndex:
    part = _UnitIndex()
    by_float: dict[tuple[str, int], Definition] = {}
    for order, label in unit.walk("labels"):
        if label.type not in types:
            part.other_ids.append(label)
            continue
        doc = project.documents.get(label.source.path)
        float_ = doc.floats[label.float_index] if doc is not None and label.float_index is not None else None
        definition = Definition(label.id, label.type, label.form, label, label.condition, order, unit, float_)
        part.definitions.append(definition)
        if float_ is not None:
            by_float.setdefault((label.source.path, label.float_index), definition)
            if float_.form == "cell" and label.form == "cell":
                part.generated.append((label.id, definition))
    for order, label in unit.walk("other_ids"):
        part.other_ids.append(label)
    for order, shortcode in unit.walk("shortcodes"):
        ident = _embedded_label(shortcode)
        kind = crossref_type(ident, types) if ident else None
        if kind is not None:
            part.definitions.append(Definition(ident, kind, "embed", shortcode, Condition(), order, unit))
    for doc in unit.documents:
        part.linked.update(destination.split("#", 1)[1] for _, _, destination in doc.links if "#" in destination)
    notes = {doc.path: _note_markers(doc) for doc in unit.documents}
    owners = {doc.path: _float_owners(doc) for doc in unit.documents}
    for order, ref in unit.walk("references"):
        kind = crossref_type(ref.key, types)
        if kind is None:
            part.citations.append(ref)
            continue
        path = ref.source.path
        offset = ref.start
        if ref.context == "footnote":
            offset = _marker_of(ref, notes.get(path, ()))
            order = (order[0], order[1], order[2][:-1] + (offset, ref.start))
        within = _within(ref, owners.get(path, {}))
        part.references.append(CrossRef(ref, kind, order, unit, within, offset))
    subtrees: dict[str, list[frozenset[str]]] = {}
    for order, float_ in unit.walk("floats"):
        definition = by_float.get((float_.source.path, float_.index))
        doc = project.documents.get(float_.source.path)
        if doc is not None and doc.path not in subtrees:
            subtrees[doc.path] = _subtree_labels(doc)
        labels = subtrees[doc.path][float_.index] if doc is not None else frozenset()
        part.floats.append(FloatEntry(float_, unit, order, definition, labels))
    return part


def _embedded_label(shortcode) -> str | None:
    if shortcode.name != "embed" or shortcode.in_code or not shortcode.args:
        return None
    target = shortcode.args[0]
    return target.split("#", 1)[1] if "#" in target else None


def _note_markers(doc: "Document") -> list[tuple[int, int, int]]:
    """``(definition start, definition end, first marker start)`` for each footnote."""
    first_marker: dict[str, int] = {}
    for marker in doc.footnote_refs:
        first_marker.setdefault(marker.id, marker.start)
    return [(note.start, note.body.end, first_marker[note.id]) for note in doc.footnote_defs
            if note.id in first_marker]


def _marker_of(ref: Reference, notes) -> int:
    """A footnote's reference is read where the note's marker stands."""
    for start, end, marker in notes:
        if start <= ref.start < end:
            return marker
    return ref.start


def _float_owners(doc: "Document") -> dict[str, str | None]:
    """Each float label in `doc` → the label of its parent float (None at the top)."""
    owners: dict[str, str | None] = {}
    for float_ in doc.floats:
        if float_.label:
            parent = doc.floats[float_.parent].label if float_.parent is not None else None
            owners.setdefault(float_.label, parent)
    return owners


def _within(ref: Reference, owners: dict[str, str | None]) -> frozenset[str]:
    out: set[str] = set()
    for label in (ref.in_caption_of, ref.inside_float):
        while label and label not in out:
            out.add(label)
            label = owners.get(label)
    return frozenset(out)


def _subtree_labels(doc: "Document") -> list[frozenset[str]]:
    """For each float of `doc`, its label and its subfloats' labels (iterative: divs nest deeply)."""
    result: list[frozenset[str] | None] = [None] * len(doc.floats)
    for root in range(len(doc.floats)):
        pending = [(root, False)]
        while pending:
            index, children_done = pending.pop()
            if result[index] is not None:
                continue
            float_ = doc.floats[index]
            if children_done:
                labels = {float_.label} if float_.label else set()
                for child in float_.subfloats:
                    labels |= result[child] or frozenset()
                result[index] = frozenset(labels)
            else:
                pending.append((index, True))
                pending.extend((child, False) for child in float_.subfloats if result[child] is None)
    return [labels or frozenset() for labels in result]


def top_level(entry: FloatEntry) -> bool:
    """A labelled float that is not a subfloat of another."""
    return entry.definition is not None and entry.float.parent is None


def output_formats(project: "Project", unit: "Unit") -> tuple[str, ...]:
    """The formats a unit is rendered to, as configured: the book's, or the project's plus the page's own."""
    if project.is_book:
        return project.format_names
    return tuple(format_names(project.config, unit.document.front_matter))


def site(where: Definition | CrossRef | Span, root: Path, here: str | None = None) -> str:
    """Where something stands, for a message: ``line 12`` in the same file, else ``ch2.qmd:12``."""
    span = where if isinstance(where, Span) else where.span
    if here is not None and span.path == here:
        return f"line {span.line}"
    return f"{relative(span.path, root, max_up=0)}:{span.line}"


def bibliography_keys(project: "Project") -> frozenset[str]:
    """Citation keys of the bibliographies named for any rendered document (`_quarto.yml`, its
    formats, front matter), each file read once: the `bibliography` fact's files when the
    citation rules run, else read here."""
    if project.citation_keys is not None:
        return project.citation_keys
    from mlsys_lint.bibliography import ProjectBibliography

    bibliography = project.bibliography or ProjectBibliography()
    project.citation_keys = frozenset(entry.key for unit in project.all_units
                                      for naming in bibliography.namings(project, unit)
                                      for entry in bibliography.file(naming.path).entries)
    return project.citation_keys
