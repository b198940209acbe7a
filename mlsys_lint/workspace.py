"""A book kept in memory for an editor: what the language server and ``--watch`` ask of the linter.

`Workspace` holds one Quarto project as the command line reads it (same configuration,
rules and model), with an editor's unsaved buffers standing for their files.  `refresh`
rebuilds the project (documents whose text did not change are reused, not parsed again),
runs the rules and says which files' findings changed, so that an edit in one chapter
republishes the chapters it breaks or mends.  The queries answer in the model's terms
(files and character offsets): what stands at an offset, where a label is defined and
referred to, what a glossary term means, which labels and footnote ids can be completed,
and the edits that rename a label across the book.  The parse cache the command line
writes is read, never written: a book checked before opens with its documents and per-file
facts taken from there, and an edit does not leave a version of its chapter on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlsys_lint import collector, observed
from mlsys_lint.config import Settings
from mlsys_lint.engine import Engine
from mlsys_lint.model import Diagnostic, Fix, Span
from mlsys_lint.project import Project
from mlsys_lint.registry import load_registry, select_rules, skipped_plugins
from mlsys_lint.suppressions import plan_suppressions
from mlsys_lint.xref import Definition, Namespace, crossref_type, namespaces

LABEL = re.compile(r"[A-Za-z]+-[A-Za-z0-9_:.-]*[A-Za-z0-9_]\Z")
"""A label Quarto accepts: a type prefix, a dash, a name (``fig-roofline``)."""
_NOTE_OPEN = re.compile(r"\[\^([^\]\s]*)\Z")
_AT = re.compile(r"(?<![\w@])-?@([\w:.#$%&\-+?<>~/]*)\Z")


@dataclass
class Target:
    """What stands at an offset: a label's definition or a reference to it (`kind` ``label``),
    a footnote marker or definition (``footnote``), or a glossary term (``term``)."""

    kind: str
    name: str
    span: Span


@dataclass
class Edit:
    """Replace `span` (one line) with `text`."""

    span: Span
    text: str


class RenameRefused(Exception):
    """A rename that would break the book (an invalid label, or one that is taken)."""


class Workspace:
    """One project, its open buffers and its current findings."""

    def __init__(self, root: Path, settings: Settings | None = None) -> None:
        from mlsys_lint.api import resolve_settings

        self.root = root.absolute()
        self.settings = settings or resolve_settings([self.root], None)
        self.rules = select_rules(load_registry(skipped_plugins(self.settings)).rules, self.settings)
        self.engine = Engine(self.settings, self.rules, base=self.root, jobs=1, use_cache=True)
        self.engine.cache_read_only = True  # documents and facts the command line kept: a fast first check
        self.engine.known = {}
        self.engine.kept_facts = {}
        self.engine.memo = {}
        self.project: Project | None = None
        self.findings: dict[str, list[Diagnostic]] = {}
        self.files: dict[str, Any] = {}
        """Files read, with their bytes, while their times are unchanged (`observed.remembering`)."""

    def set_text(self, path: str, text: str | None) -> None:
        """An editor's buffer for `path` (None: the buffer closed, the file on disk counts again)."""
        if text is None:
            self.engine.overlays.pop(path, None)
        else:
            self.engine.overlays[path] = text

    def refresh(self, focus: set[str] | None = None) -> set[str]:
        """Read the project again and run the rules; the paths whose findings changed.

        With `focus` (the files just edited), only their findings are brought up to date, and
        sooner: rules skip the work for other files (`Project.targets`); `refresh_rest` then
        checks the rest of the project just read.  The garbage collector is paused meanwhile
        (`mlsys_lint.collector`): the caller collects when it has answered."""
        engine = self.engine
        engine.read_ahead.clear()
        engine.parsed.clear()
        engine.caches.clear()  # this refresh's cache only (each holds the digests of the texts it hashed)
        with collector.paused(), observed.remembering(self.files):
            projects = engine.projects([self.root])
            self.project = projects[0] if projects else None
            if self.project is not None:
                self.project.targets = focus
            found = self._check()
        if focus is None:
            return self._replace(found, set(found) | set(self.findings))
        return self._replace({path: found[path] for path in focus if path in found}, focus)

    def refresh_rest(self) -> set[str]:
        """After `refresh` with a focus: the whole project as read then; the paths whose findings changed."""
        if self.project is None or self.project.targets is None:
            return set()
        self.project.targets = None
        with collector.paused(), observed.remembering(self.files):
            found = self._check()
        return self._replace(found, set(found) | set(self.findings))

    def _check(self) -> dict[str, list[Diagnostic]]:
        found: dict[str, list[Diagnostic]] = {}
        if self.project is not None:
            for diagnostic in self.engine.check(self.project):
                found.setdefault(diagnostic.span.path, []).append(diagnostic)
        return found

    def _replace(self, found: dict[str, list[Diagnostic]], paths: set[str]) -> set[str]:
        """Take `found` as the findings of `paths`; those whose findings changed."""
        changed = {path for path in paths if found.get(path) != self.findings.get(path)}
        for path in paths:
            if path in found:
                self.findings[path] = found[path]
            else:
                self.findings.pop(path, None)
        return changed

    # -- queries ------------------------------------------------------------------------

    def document(self, path: str):
        return self.project.documents.get(path) if self.project is not None else None

    def namespace(self, path: str) -> Namespace | None:
        """The namespace whose units hold `path` (an included file: where it is included)."""
        if self.project is None:
            return None
        for space in namespaces(self.project):
            if any(doc.path == path for unit in space.units for doc in unit.documents):
                return space
        return None

    def target_at(self, path: str, offset: int) -> Target | None:
        """The label, footnote or glossary term at `offset` of `path`."""
        doc = self.document(path)
        if doc is None:
            return None
        for label in doc.labels:
            if label.start <= offset <= label.end:
                return Target("label", label.id, label.span)
        for ref in doc.references:
            if ref.start <= offset <= ref.end and self.project is not None and crossref_type(
                    ref.lookup_key, self.project.crossref_types):
                return Target("label", ref.lookup_key, ref.span)
        for note in doc.footnote_refs:
            if note.start <= offset <= note.end:
                return Target("footnote", note.id, note.span)
        for definition in doc.footnote_defs:
            marker_end = definition.start + len(definition.id) + 3
            if definition.start <= offset <= marker_end:
                return Target("footnote", definition.id, doc.source.span(definition.start, marker_end))
        for shortcode in doc.shortcodes:
            if shortcode.name == "glossary" and shortcode.args and shortcode.start <= offset <= shortcode.end:
                return Target("term", " ".join(shortcode.args[0].split()), doc.source.span(shortcode.start,
                                                                                            shortcode.end))
        term = self._term_at(path, offset)
        return term

    def _term_at(self, path: str, offset: int) -> Target | None:
        if self.project is None or self.project.glossary is None or not self.project.glossary:
            return None
        from mlsys_lint.term_usage import term_usage

        for occurrence in term_usage(self.project).occurrences:
            if occurrence.doc.path == path and occurrence.start <= offset <= occurrence.end:
                return Target("term", occurrence.entry.term,
                              occurrence.doc.source.span(occurrence.start, occurrence.end))
        return None

    def definitions(self, target: Target, path: str) -> list[Span]:
        """Where `target` is defined (a label in another chapter too)."""
        if target.kind == "label":
            space = self.namespace(path)
            return [definition.span for definition in space.lookup(target.name)] if space is not None else []
        if target.kind == "footnote":
            return [d.span for d in self._footnote_definitions(path) if d.id == target.name]
        entry = self._entry(target.name)
        if entry is None or self.project is None or self.project.glossary is None:
            return []
        return [self.project.glossary.span_of(entry, index) for index in range(len(entry.sources))]

    def references(self, target: Target, path: str, include_definition: bool = True) -> list[Span]:
        """Every place that refers to `target`, in every chapter of its namespace."""
        if target.kind == "label":
            space = self.namespace(path)
            if space is None:
                return []
            spans = [ref.span for ref in space.references_to(target.name)]
            return ([d.span for d in space.lookup(target.name)] if include_definition else []) + spans
        if target.kind == "footnote":
            doc_paths = {doc.path for unit in self._units_of(path) for doc in unit.documents}
            spans = [note.span for doc_path in sorted(doc_paths) for note in self.project.documents[doc_path].footnote_refs
                     if note.id == target.name]
            return ([d.span for d in self._footnote_definitions(path) if d.id == target.name]
                    if include_definition else []) + spans
        from mlsys_lint.term_usage import term_usage

        entry = self._entry(target.name)
        return [o.doc.source.span(o.start, o.end) for o in term_usage(self.project).uses(entry)] if entry else []

    def hover(self, target: Target, path: str) -> str | None:
        """Markdown describing what `target` names: a float's kind, caption and place; a term's definition."""
        if target.kind == "label":
            space = self.namespace(path)
            found = space.lookup(target.name) if space is not None else []
            if not found:
                return f"`{target.name}`: no such label in the book"
            return "\n\n".join(_describe_definition(definition, self.root) for definition in found)
        if target.kind == "footnote":
            texts = [d.body.value.strip() for d in self._footnote_definitions(path) if d.id == target.name]
            return f"**[^{target.name}]**: {texts[-1]}" if texts else f"`[^{target.name}]`: no definition"
        entry = self._entry(target.name)
        if entry is None:
            return None
        return f"**{entry.term}** (glossary): {entry.definition or '(no definition)'}"

    def labels(self, path: str) -> list[Definition]:
        """Every label defined in the namespace of `path`, in reading order."""
        space = self.namespace(path)
        if space is None:
            return []
        return sorted((d for found in space.definitions.values() for d in found[:1]), key=lambda d: d.order)

    def completion_context(self, path: str, text_before: str) -> tuple[str, str] | None:
        """``("label", prefix)`` after ``@``, ``("footnote", prefix)`` after ``[^``, else None."""
        note = _NOTE_OPEN.search(text_before)
        if note:
            return "footnote", note.group(1)
        at = _AT.search(text_before)
        if at:
            return "label", at.group(1)
        return None

    def footnote_ids(self, path: str) -> list[tuple[str, str]]:
        """Footnote ids defined where `path` is read, with their text."""
        return [(d.id, d.body.value.strip()) for d in self._footnote_definitions(path)]

    def rename(self, path: str, offset: int, new: str) -> list[Edit]:
        """The edits that rename the label at `offset`: its definition and every reference."""
        target = self.target_at(path, offset)
        if target is None or target.kind != "label":
            raise RenameRefused("there is no label here to rename")
        space = self.namespace(path)
        old = target.name
        if not LABEL.match(new):
            raise RenameRefused(f"`{new}` is not a valid label (a type prefix, a dash and a name: `fig-roofline`)")
        if new.split("-", 1)[0] != old.split("-", 1)[0]:
            raise RenameRefused(f"`{new}` changes the label's type; keep the prefix `{old.split('-', 1)[0]}-`")
        if new != old and space is not None and space.lookup(new):
            raise RenameRefused(f"`{new}` is already a label in the book")
        edits = []
        for definition in space.lookup(old) if space is not None else []:
            edits.append(Edit(definition.span, new))
        for ref in space.references_to(old) if space is not None else []:
            reference = ref.reference
            source = reference.source
            edits.append(Edit(source.span(reference.end - len(reference.key), reference.end), new))
        return edits

    def fixes(self, diagnostic: Diagnostic) -> list[Fix]:
        """The fixes to offer for a finding: its own, and a suppression comment where one is safe."""
        offered = [diagnostic.fix] if diagnostic.fix is not None else []
        if self.project is not None:
            plan = plan_suppressions([diagnostic], self.project.documents)
            offered += [fix for fixes in plan.fixes.values() for fix in fixes]
        return offered

    # -- helpers --------------------------------------------------------------------------

    def _units_of(self, path: str):
        if self.project is None:
            return []
        return [unit for unit in self.project.all_units if any(doc.path == path for doc in unit.documents)]

    def _footnote_definitions(self, path: str):
        if self.project is None:
            return []
        units = self._units_of(path)
        for scope in self.project.footnote_scopes():
            if any(unit in scope.units for unit in units):
                return scope.definitions
        return []

    def _entry(self, name: str):
        if self.project is None or self.project.glossary is None:
            return None
        return self.project.glossary.lookup(name)


_KINDS = {"fig": "Figure", "tbl": "Table", "lst": "Listing", "sec": "Section", "eq": "Equation"}


def _describe_definition(definition: Definition, root: Path) -> str:
    kind = _KINDS.get(definition.type, definition.type.capitalize() if definition.type else "Element")
    place = f"{Path(definition.path).relative_to(root) if Path(definition.path).is_relative_to(root) else definition.path}"
    caption = definition.float.caption.value if definition.float is not None and definition.float.caption else None
    text = f"**{kind}** `{definition.id}` — {place}:{definition.span.line}"
    return text + (f"\n\n{caption}" if caption else "")
