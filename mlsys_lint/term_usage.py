"""Where a project's glossary terms are used: every occurrence in reading order.

`term_usage` — every glossary term found in the visible prose of every rendered file, in
reading order, with ``{{< glossary >}}`` shortcodes, knitr ``glossary("…")`` calls and
links to glossary-chapter anchors; computed once per project and cached on it.  Each
document is scanned once, over its masked text (so code, math, labels, citations, URLs,
link targets and attributes other than captions and alt text are never searched), and
each match is placed in the innermost prose run holding it; an included file's matches
count where the include stands.  Generated glossary pages are skipped: they neither use
nor define terms.  `TermUsage.spelling` tells how the book writes each term, and
`TermUsage.is_known` whether a spelling appears in the book or the glossary at all.
"""

from __future__ import annotations

import hashlib
import operator
import os
import re
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Iterable

from mlsys_lint import collector
from mlsys_lint.file_facts import per_file
from mlsys_lint.glossary import Entry, normalize_term
from mlsys_lint.term_matcher import Scan, TermMatch, TermMatcher
from mlsys_lint.terms import ProjectGlossary, project_glossary

if TYPE_CHECKING:
    from mlsys_lint.document import Document
    from mlsys_lint.elements import Prose
    from mlsys_lint.model import Span
    from mlsys_lint.project import Project, Unit

_R_CALL = re.compile(r"`r[ \t]+glossary\(\s*([\"'])((?:(?!\1).)*)\1([^`]*)\)\s*`")
_R_DEF = re.compile(r"\bdef\s*=")

OrderKey = tuple


@dataclass(slots=True)
class Occurrence:
    """A glossary term found in visible prose (`kind` is the prose kind)."""

    unit: "Unit"
    doc: "Document"
    prefix: tuple[int, ...]
    """Where `doc` stands in the unit: the offsets of the includes leading to it (``()`` for
    the unit's own file), shared by the occurrences of one document."""
    kind: str
    match: TermMatch
    bold: bool = False
    in_glossary: bool = False
    entry: Entry = field(init=False)
    """The glossary entry matched (`match.entry`, kept at hand: rules ask for it constantly)."""

    def __post_init__(self) -> None:
        self.entry = self.match.entry

    @property
    def key(self) -> OrderKey:
        """The occurrence's place in reading order across the project (`Unit.walk`'s key),
        made when asked: a book holds hundreds of thousands of occurrences."""
        return (self.unit.index, 0, self.prefix + (self.match.start,))

    @property
    def start(self) -> int:
        return self.match.start

    @property
    def end(self) -> int:
        return self.match.end

    @property
    def span(self) -> Span:
        return self.doc.source.span(self.match.start, self.match.end)


@dataclass
class GlossaryRef:
    """A reference to a glossary entry by name: a ``{{< glossary X >}}`` shortcode
    (`form` "shortcode"), a knitr ``glossary("X")`` call ("r") or a link to an anchor of
    a glossary chapter ("link"; `name` is the anchor, `target` the chapter's path)."""

    key: OrderKey
    unit: "Unit"
    doc: "Document"
    form: str
    name: str
    start: int
    end: int
    entry: Entry | None = None
    own_definition: bool = False
    target: str | None = None
    in_glossary: bool = False
    table: bool = False
    text: str = ""
    anchor_exists: bool = False

    @property
    def span(self) -> Span:
        return self.doc.source.span(self.start, self.end)


@dataclass
class Spelling:
    """How the manuscript writes one glossary term outside glossary pages.

    `counts`: uses per spelling (case-folded, without plural endings), the glossary's
    own spelling (`glossary`) counting every use of the term as declared, in any case;
    `shown`: for each spelling the way it is written most often; `declared`: the
    spellings that are declared variants (forbidden forms), which never win.  Aliases
    and acronym expansions are other names, not spellings, and are not counted.
    """

    entry: Entry
    glossary: str
    counts: dict[str, int] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    declared: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def dominant(self) -> tuple[str, int] | None:
        """The text's spelling (as shown, with its number of uses) when the glossary's is
        rare or absent and one other spelling makes up at least 80% of at least three
        uses — the book's own spelling wins; else None."""
        others = [(n, key) for key, n in self.counts.items() if key != self.glossary and key not in self.declared]
        if not others:
            return None
        count, key = max(others)
        if count < DOMINANT_MIN_USES or count < DOMINANT_SHARE * self.total:
            return None
        return self.shown[key], count


DOMINANT_SHARE = 0.8
DOMINANT_MIN_USES = 3


@dataclass
class TermUsage:
    """Every use of the project's glossary, in reading order."""

    glossary: ProjectGlossary
    occurrences: list[Occurrence] = field(default_factory=list)
    refs: list[GlossaryRef] = field(default_factory=list)
    by_entry: dict[int, list[Occurrence]] = field(default_factory=dict)
    written_as_variant: set[int] = field(default_factory=set)
    """Entries (by `id`) some occurrence writes as a variant."""
    bold: list[Occurrence] = field(default_factory=list)
    """The occurrences in ``**bold**`` (a term's first definition), in reading order."""
    unit_spans: list[tuple["Unit", int, int]] = field(default_factory=list)
    """Each unit with the slice of `occurrences` in it."""
    _spellings: dict[int, Spelling] = field(default_factory=dict)
    _known: set[str] | None = None

    def uses(self, entry: Entry) -> list[Occurrence]:
        """The occurrences of `entry` in reading order (glossary chapters included)."""
        return self.by_entry.get(id(entry), [])

    def reported(self, project: "Project") -> Iterable[Occurrence]:
        """The occurrences in files whose findings are reported (`Project.is_target`), in reading order."""
        if project.targets is None:
            return self.occurrences
        return [occurrence for unit, start, end in self.unit_spans if project.reports_any((unit,))
                for occurrence in self.occurrences[start:end] if project.is_target(occurrence.doc.path)]

    def spelling(self, entry: Entry) -> Spelling:
        """How the manuscript writes `entry` (see `Spelling`), counted on first use."""
        found = self._spellings.get(id(entry))
        if found is None:
            found = self._spellings[id(entry)] = _spelling(entry, self.uses(entry))
        return found

    def dominant_spelling(self, entry: Entry) -> tuple[str, int] | None:
        """`Spelling.dominant` of `entry`; None at once for a term never written as a variant."""
        if id(entry) not in self.written_as_variant:
            return None
        return self.spelling(entry).dominant()

    def is_known(self, spelling: str) -> bool:
        """Whether the book (outside glossary pages) or the glossary writes `spelling`
        (whitespace runs as one space; a first capital counts as lower case)."""
        if self._known is None:
            known = {_lower_first(o.match.stem) for o in self.occurrences if not o.in_glossary}
            for entry in self.glossary.terms:
                for form in (entry.term, entry.written, entry.short or "", *entry.aliases, *entry.expansions):
                    known.add(_lower_first(" ".join(form.split())))
            self._known = known
        return _lower_first(spelling) in self._known


def book_word_case(project: "Project", words: set[str]) -> dict[str, str]:
    """How the book's prose writes each of `words` (lower case) in the middle of a
    sentence (after a letter, a comma, a semicolon or a closing parenthesis and a space)
    most often, for those it writes with a capital there ("hadoop" → "Hadoop");
    generated glossary pages aside."""
    tallies: dict[str, dict[str, int]] = {}
    generated = project_glossary(project).generated
    chosen = sorted(words)
    fingerprint = hashlib.sha256("\0".join(chosen).encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def tally_of(doc: "Document") -> tuple[dict, dict]:
        found = _word_case(doc, chosen)
        return found, found

    for doc in project.documents.values():
        if doc.path in generated:
            continue
        for word, counts in per_file(project, doc, _WORD_CASE_FACT, fingerprint, tally_of, _valid_tally,
                                      lambda data: data).items():
            total = tallies.setdefault(word, {})
            for written, count in counts.items():
                total[written] = total.get(written, 0) + count
    cased = {}
    for word, counts in tallies.items():
        best = max(counts, key=lambda w: (counts[w], w == word))
        if best != word:
            cased[word] = best
    return cased


def _word_case(doc: "Document", words: list[str]) -> dict[str, dict[str, int]]:
    """How often `doc` writes each of `words` in each spelling in the middle of a sentence."""
    tallies: dict[str, dict[str, int]] = {}
    text = doc.masked
    lowered = text.lower()
    if len(lowered) != len(text):  # "İ" lower-cases to two characters: offsets would drift
        return tallies
    for word in words:
        pos = lowered.find(word)
        while pos != -1:
            end = pos + len(word)
            if (pos > 1 and text[pos - 1] == " " and (text[pos - 2].isalpha() or text[pos - 2] in ",;)")
                    and not (end < len(text) and (text[end].isalnum() or text[end] == "_"))):
                counts = tallies.setdefault(word, {})
                counts[text[pos:end]] = counts.get(text[pos:end], 0) + 1
            pos = lowered.find(word, end)
    return tallies


def _valid_tally(data: Any) -> bool:
    return isinstance(data, dict) and all(
        isinstance(counts, dict) and all(type(written) is str and type(count) is int for written, count in counts.items())
        for counts in data.values())


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _spelling(entry: Entry, uses: list[Occurrence]) -> Spelling:
    glossary = normalize_term(entry.term)
    spelling = Spelling(entry, glossary)
    tallies: dict[str, dict[str, int]] = {}
    for occurrence in uses:
        m = occurrence.match
        if occurrence.in_glossary or m.kind not in ("canonical", "variant", "case"):
            continue
        key = glossary if m.kind != "variant" else normalize_term(m.stem)
        if m.kind == "variant" and not m.auto:
            spelling.declared.add(key)
        spelling.counts[key] = spelling.counts.get(key, 0) + 1
        written = tallies.setdefault(key, {})
        written[m.stem] = written.get(m.stem, 0) + 1
    for key, written in tallies.items():
        spelling.shown[key] = max(written, key=lambda w: (written[w], w == w.lower()))
    return spelling


def term_usage(project: "Project") -> TermUsage:
    """The `TermUsage` of `project`, computed on first use and kept on the project."""
    cached = project.term_index
    glossary = project_glossary(project)
    if cached is not None and cached.glossary is glossary:
        return cached
    with collector.paused():  # hundreds of thousands of small objects
        usage = _compute(project, glossary)
    project.term_index = usage
    return usage


def _doc_resolver(unit: "Unit"):
    cache: dict[tuple[int, ...], Any] = {(): unit.document}

    def resolve(prefix: tuple[int, ...]):
        found = cache.get(prefix)
        if found is None:
            parent = resolve(prefix[:-1])
            for include in parent.includes:
                if include.start == prefix[-1] and getattr(include, "resolved", None) is not None:
                    found = include.resolved
                    break
            cache[prefix] = found = found or parent
        return found

    return resolve


@dataclass
class _UnitTerms:
    """The terms and glossary references of one unit, in reading order, with the occurrences by entry."""

    occurrences: list[Occurrence]
    refs: list[GlossaryRef]
    by_entry: dict[int, list[Occurrence]] = field(default_factory=dict)
    variants: set[int] = field(default_factory=set)
    bold: list[Occurrence] = field(default_factory=list)

    def __post_init__(self) -> None:
        for occurrence in self.occurrences:
            key = id(occurrence.entry)
            self.by_entry.setdefault(key, []).append(occurrence)
            if occurrence.match.kind == "variant":
                self.variants.add(key)
            if occurrence.bold:
                self.bold.append(occurrence)


def _compute(project: "Project", glossary: ProjectGlossary) -> TermUsage:
    usage = TermUsage(glossary)
    by_entry = usage.by_entry
    for unit in project.all_units:  # in reading order
        if unit.path in glossary.generated:
            continue
        part = project.remember(("term-usage", unit.path, unit.index), (glossary, unit),
                                partial(_unit_usage, project, glossary, unit))
        usage.unit_spans.append((unit, len(usage.occurrences), len(usage.occurrences) + len(part.occurrences)))
        usage.occurrences.extend(part.occurrences)
        usage.refs.extend(part.refs)
        usage.written_as_variant |= part.variants
        usage.bold.extend(part.bold)
        for key, found in part.by_entry.items():
            known = by_entry.get(key)
            if known is None:
                by_entry[key] = found.copy()  # the unit's own list is kept for the next build
            else:
                known.extend(found)
    return usage


def _unit_usage(project: "Project", glossary: ProjectGlossary, unit: "Unit") -> _UnitTerms:
    """The terms and glossary references of one rendered file (its includes where they
    stand), each in reading order."""
    chapters = set(glossary.chapters)
    generated = glossary.generated
    matcher = glossary.matcher() if glossary else None
    occurrences: list[Occurrence] = []
    refs: list[GlossaryRef] = []
    resolve = _doc_resolver(unit)
    placed: set[tuple[int, ...]] = set()
    done: set[tuple[int, ...]] = set()  # documents placed that call no knitr glossary()
    for key, prose in unit.walk("prose"):
        prefix = key[2][:-1]
        if prefix in done:
            continue
        doc = resolve(prefix)
        if doc.path in generated:
            done.add(prefix)
            continue
        in_glossary = doc.path in chapters or unit.path in chapters
        if matcher is not None and prefix not in placed:
            placed.add(prefix)
            for where, m, bold in _cached_scan(project, glossary, doc):
                occurrences.append(Occurrence(unit, doc, prefix, where.kind, m, bold, in_glossary))
        text = doc.source.text
        if "glossary(" not in text:
            done.add(prefix)
            continue
        if text.find("glossary(", prose.start, prose.end) != -1:
            for call in _R_CALL.finditer(text, prose.start, prose.end):
                rest = call.group(3)
                name = call.group(2)
                refs.append(GlossaryRef((key[0], key[1], prefix + (call.start(),)), unit, doc, "r", name,
                                        call.start(), call.end(), glossary.lookup(name),
                                        own_definition=bool(_R_DEF.search(rest)), in_glossary=in_glossary,
                                        text=call.group()))
    for key, shortcode in unit.walk("shortcodes"):
        if shortcode.name != "glossary" or shortcode.in_code:
            continue
        doc = resolve(key[2][:-1])
        if doc.path in generated:
            continue
        name = " ".join(shortcode.args[0].split()) if shortcode.args else ""
        table = not shortcode.args and "table" in shortcode.kwargs
        refs.append(GlossaryRef(key, unit, doc, "shortcode", name, shortcode.start, shortcode.end,
                                glossary.lookup(name) if name else None,
                                own_definition="def" in shortcode.kwargs,
                                in_glossary=doc.path in chapters or unit.path in chapters, table=table,
                                text=doc.source.text[shortcode.start : shortcode.end]))
    if glossary.anchors:
        for key, link in unit.walk("links"):
            doc = resolve(key[2][:-1])
            ref = _anchor_ref(key, unit, doc, link, glossary, chapters)
            if ref is not None and doc.path not in generated:
                refs.append(ref)
    occurrences.sort(key=lambda o: o.key)
    refs.sort(key=lambda r: r.key)
    return _UnitTerms(occurrences, refs)


_TITLED = frozenset({"heading", "definition-term"})


def prose_spans(doc: "Document") -> list[tuple[int, int, bool]]:
    """The prose runs of `doc` as `TermMatcher.scan` takes them: ``(start, end, titled)``."""
    return [(p.start, p.end, p.kind in _TITLED) for p in doc.prose]


def _scan(project: "Project", matcher: TermMatcher, doc: "Document") -> list[tuple[Prose, TermMatch, bool]]:
    """Every term in the prose of `doc`, in one pass over its masked text, each with the
    innermost prose run holding it and whether it is set in bold (``**term**``).  A
    long-lived engine searches again only the prose an edit touched since it last scanned
    this file (`TermMatcher.rescan`)."""
    spans = prose_spans(doc)
    key = ("term-scan", doc.path)
    before = project.latest(key)
    if before is not None and before[0] is matcher:
        latest = matcher.rescan(doc.masked, spans, before[1])
    else:
        latest = Scan(doc.masked, spans, matcher.scan(doc.masked, spans))
    project.keep_latest(key, (matcher, latest))
    prose, masked = doc.prose, doc.masked
    return [(prose[index], m, masked[m.start - 2 : m.start] == "**" and masked[m.end : m.end + 2] == "**")
            for index, m in latest.found]


_TERMS_FACT = "terms"
_WORD_CASE_FACT = "word-case"
# A file's matches are kept by column, each string once in "strings" and named by its
# index there (a match's text, form, replacement, stem and target are mostly the same
# word): a third of the size of one row per match, checked and read back column by column.
_NUMBER_COLUMNS = ("prose", "entry", "start", "end")
_STRING_COLUMNS = ("text", "kind", "form", "replacement", "stem", "target")
_FLAG_COLUMNS = ("auto", "named", "bold")
_COLUMNS = frozenset(("strings", *_NUMBER_COLUMNS, *_STRING_COLUMNS, *_FLAG_COLUMNS))


def _cached_scan(project: "Project", glossary: ProjectGlossary,
                 doc: "Document") -> list[tuple[Prose, TermMatch, bool]]:
    """`_scan`, unless this file was scanned with this glossary before.  The matches of one
    file depend on its text and the glossary alone."""

    def scan(doc: "Document") -> tuple[dict[str, list] | None, list[tuple[Prose, TermMatch, bool]]]:
        found = _scan(project, glossary.matcher(), doc)
        return _columns(found, doc, glossary), found

    return per_file(project, doc, _TERMS_FACT, glossary.fingerprint(), scan,
                     lambda data: _valid(data, doc, glossary), lambda data: _matches(data, doc, glossary))


def _columns(found: list[tuple[Prose, TermMatch, bool]], doc: "Document",
             glossary: ProjectGlossary) -> dict[str, list] | None:
    """`found` as plain data, by column (glossary entries and prose runs by index, strings
    by their index in ``strings``); None if an entry is not the glossary's."""
    index = {id(entry): number for number, entry in enumerate(glossary.terms)}
    prose = {id(p): number for number, p in enumerate(doc.prose)}
    if not all(id(m.entry) in index for _, m, _ in found):
        return None
    strings: dict[str, int] = {}
    matches = [m for _, m, _ in found]
    data = {"prose": [prose[id(p)] for p, _, _ in found], "entry": [index[id(m.entry)] for m in matches],
            "start": [m.start for m in matches], "end": [m.end for m in matches],
            **{name: [strings.setdefault(getattr(m, name), len(strings)) for m in matches]
               for name in _STRING_COLUMNS},
            "auto": [m.auto for m in matches], "named": [m.named for m in matches],
            "bold": [bold for _, _, bold in found]}
    return {"strings": list(strings), **data}


def _valid(data: Any, doc: "Document", glossary: ProjectGlossary) -> bool:
    """Whether `data` (read from the cache) is what `_columns` makes, for this document and glossary."""
    if type(data) is not dict or data.keys() != _COLUMNS or not all(type(c) is list for c in data.values()):
        return False
    count = len(data["start"])
    if any(len(data[name]) != count for name in _COLUMNS if name != "strings"):
        return False
    strings = data["strings"]
    limits = {"prose": len(doc.prose), "entry": len(glossary.terms), "start": len(doc.source.text) + 1,
              "end": len(doc.source.text) + 1, **dict.fromkeys(_STRING_COLUMNS, len(strings))}
    return (_all_of(str, strings) and all(_all_of(bool, data[name]) for name in _FLAG_COLUMNS)
            and all(_all_of(int, data[name]) and (not count or 0 <= min(data[name]) and max(data[name]) < limit)
                    for name, limit in limits.items())
            and all(map(operator.le, data["start"], data["end"])))


def _all_of(kind: type, values: list) -> bool:
    """Whether every value in `values` is exactly of `kind` (not a subclass: ``True`` is no int here)."""
    return set(map(type, values)) <= {kind}


def _matches(data: dict[str, list], doc: "Document", glossary: ProjectGlossary) -> list[tuple[Prose, TermMatch, bool]]:
    string = data["strings"].__getitem__
    text, kind, form, replacement, stem, target = (map(string, data[name]) for name in _STRING_COLUMNS)
    matches = map(TermMatch, map(glossary.terms.__getitem__, data["entry"]), data["start"], data["end"], text, kind,
                  form, replacement, data["auto"], data["named"], stem, target)
    return list(zip(map(doc.prose.__getitem__, data["prose"]), matches, data["bold"]))


def _anchor_ref(key, unit, doc, link, glossary: ProjectGlossary, chapters: set[str]) -> GlossaryRef | None:
    start, end, destination = link
    target, _, anchor = destination.partition("#")
    if not anchor or "://" in target or target.startswith("mailto:"):
        return None
    if not target:
        path = doc.path if doc.path in glossary.anchors else None
    else:
        resolved = os.path.normpath(os.path.join(os.path.dirname(doc.path), target.split("?")[0]))
        stem = os.path.splitext(resolved)[0]
        path = next((p for p in glossary.anchors if os.path.splitext(p)[0] == stem), None)
    if path is None:
        return None
    ids = glossary.anchors[path]
    return GlossaryRef(key, unit, doc, "link", anchor, start, end, ids.get(anchor), target=path,
                       in_glossary=doc.path in chapters or unit.path in chapters,
                       anchor_exists=anchor in ids, text=doc.source.text[start:end])
