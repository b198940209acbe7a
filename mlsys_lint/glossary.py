"""The glossary data model: entries as written in their sources, merged into terms.

Loaders (`mlsys_lint.glossary_files`, glossary chapters in `mlsys_lint.terms`) produce one
`Entry` per term *as written in a source* (`Glossary.entries`); `Glossary.terms` merges
entries that name the same term (see `normalize_term`) into one, which is what `lookup`
returns and what `mlsys_lint.term_matcher.TermMatcher` matches.  `Glossary.conflicts`
lists terms defined more than once.

Case conventions (what the term's spelling in the source tells us):

* MLSysBook JSON stores every term lower-cased ("alexnet", "imagenet", "flops"), and
  quarto-glossary looks keys up lower-cased, so for those sources a lower-case term says
  nothing about how it is written in prose: `Entry.preserves_case` is False, the term is
  matched case-insensitively and never reported for its case.  A quarto-glossary key
  containing a capital ("SESOI") does preserve its case.
* In a case-preserving source: a term marked ``case-sensitive`` (TensorFlow) must be
  written exactly (only a sentence-initial capital of a lower-case first letter is
  accepted); an acronym (all capitals such as GPU, or an entry with ``expansion`` or
  ``acronym: true``) is matched only in its exact case, with plural "GPUs" and possessive
  "GPU's"; any other all-lower-case term is a *concept term* ("memory wall"): a capital
  anywhere but at the start of a sentence ("the Memory Wall") is reported as ``case``,
  except in headings.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Iterator, NamedTuple

if TYPE_CHECKING:
    from mlsys_lint.term_matcher import TermMatcher

# --------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------


class GlossaryError(Exception):
    """A glossary source that cannot be read; the message names the file and line."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.detail = message
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(where + message)


class Location(NamedTuple):
    """Where a term is written: a file and a 1-based line."""

    path: str
    line: int


@dataclass(frozen=True)
class Definition:
    """One definition of a term as written in one source (1-based `line`)."""

    text: str
    path: str = ""
    line: int = 0


@dataclass(eq=False)
class Entry:
    """A glossary term.

    `term` is the canonical form.  `aliases` are accepted alternatives; `variants` are
    forms to be replaced by `term` (declared "forbidden" forms); `expansion` is the long
    form of an acronym; `sources` are the places the term is written (several after
    merging).  `preserves_case` is False for sources that store terms lower-cased
    (MLSysBook JSON), so that their spelling is not taken as a statement about case.
    `acronym` forces (True/False) or leaves to the spelling (None) whether the term is an
    acronym.  Entries compare by identity, so they can be put in sets and dict keys.

    A term written ``long form (ACRONYM)`` ("keyword spotting (kws)", "graphics
    processing unit (GPU)") is the long form plus its acronym: `term` becomes the long
    form, `short` the acronym (also an alias) and `written` keeps the source's spelling.
    ``ACRONYM (long form)`` ("elt (extract, load, transform)") is read the same way; any
    other parenthesis ("attention (mechanism)") only qualifies the term and is dropped.
    """

    term: str
    definitions: list[Definition] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    expansion: str | None = None
    case_sensitive: bool = False
    see_also: list[str] = field(default_factory=list)
    sources: list[Location] = field(default_factory=list)
    preserves_case: bool = True
    acronym: bool | None = None
    more_expansions: list[str] = field(default_factory=list)
    short: str | None = None
    written: str = ""

    def __post_init__(self) -> None:
        long_form, short = split_parenthetical(self.term)
        if long_form != self.term:
            self.written = self.written or self.term
            self.term = long_form
            if short:
                self.short = short
                self.aliases = unique_terms([short, *self.aliases])

    @classmethod
    def as_parsed(cls, **fields) -> "Entry":
        """An entry from fields that `__post_init__` has already read (a parsed entry kept
        in the run's cache): every field, taken as it is."""
        entry = object.__new__(cls)
        for name, value in fields.items():
            setattr(entry, name, value)
        return entry

    @classmethod
    def make(
        cls,
        term: str,
        definition: str | None = None,
        path: str = "",
        line: int = 0,
        *,
        definition_line: int | None = None,
        **options,
    ) -> "Entry":
        """Build an entry from one source, e.g. a definition-list item of a glossary
        chapter: ``Entry.make("Quadrat", "A square frame…", "glossary.qmd", 12,
        definition_line=13)``.  Other keyword arguments are `Entry` fields."""
        definitions = options.pop("definitions", None) or []
        if definition is not None:
            definitions = [Definition(definition, path, definition_line or line), *definitions]
        sources = options.pop("sources", None) or [Location(path, line)]
        return cls(term=term, definitions=definitions, sources=sources, **options)

    @property
    def path(self) -> str:
        """The file the term is (first) written in."""
        return self.sources[0].path if self.sources else ""

    @property
    def line(self) -> int:
        """The 1-based line the term is (first) written on."""
        return self.sources[0].line if self.sources else 0

    @property
    def definition(self) -> str:
        """The first non-empty definition, or ""."""
        for d in self.definitions:
            if d.text.strip():
                return d.text
        return ""

    @property
    def expansions(self) -> list[str]:
        """Every long form of an acronym: `expansion`, then the others of a homonym
        (``expansion: [multiply-accumulate, media access control]`` for MAC)."""
        return ([self.expansion] if self.expansion else []) + list(self.more_expansions)

    @property
    def key(self) -> str:
        """`normalize_term` of the canonical term."""
        return normalize_term(self.term)

    @property
    def is_acronym(self) -> bool:
        """Whether the term is matched only in its exact case (GPU, GPUs, GPU's)."""
        if self.acronym is not None:
            return self.acronym
        if not self.preserves_case or self.case_sensitive:
            return False
        return self.expansion is not None or looks_like_acronym(self.term)

    def __repr__(self) -> str:
        where = f" at {self.path}:{self.line}" if self.sources else ""
        return f"Entry({self.term!r}{where})"


@dataclass
class Conflict:
    """A term written as an entry more than once across the glossary sources.

    `differ` is True when at least two of the non-empty definitions still differ after
    `normalize_definition`.
    """

    key: str
    entries: list[Entry]
    differ: bool

    @property
    def term(self) -> str:
        return self.entries[0].term

    @property
    def definitions(self) -> list[Definition]:
        return [d for e in self.entries for d in e.definitions]


_WS_UNDERSCORE = re.compile(r"[\s_]+")


@lru_cache(maxsize=1 << 16)
def normalize_term(name: str) -> str:
    """The key under which a term is looked up.

    NFC, lower-cased, curly apostrophes made straight, underscores and runs of whitespace
    collapsed to one space, trimmed.  Hyphens are kept: "p-value" and "p value" are
    different keys, because quarto-glossary looks up the lower-cased key exactly and
    would silently show an empty definition for the other spelling (use
    `Glossary.suggest` for a "did you mean").  Underscores count as spaces, as in
    MLSysBook's glossary aggregation.
    """
    name = unicodedata.normalize("NFC", name).lower().replace("\u2019", "'")
    return _WS_UNDERSCORE.sub(" ", name).strip()


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_MARKS = re.compile(r"[*_`~]+")


@lru_cache(maxsize=1 << 14)
def normalize_definition(text: str) -> str:
    """A definition with Markdown markup (emphasis, code ticks, links' targets, HTML
    tags), curly quotes and whitespace differences removed — for comparing definitions
    (memoised: the glossary, GLS002 and the audit compare the same texts)."""
    text = unicodedata.normalize("NFC", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _MARKS.sub("", text)
    text = text.translate(_QUOTES)
    return " ".join(text.split())


_PARENTHETICAL = re.compile(r"^(?P<head>[^()]+?)\s*\((?P<inner>[^()]+)\)$")
_SHORT_FORM = re.compile(r"^[^\W_][\w&-]{1,11}$")


def split_parenthetical(term: str) -> tuple[str, str | None]:
    """``(long form, acronym or None)`` of a term written with a parenthesis.

    "keyword spotting (kws)" → ("keyword spotting", "kws"); "elt (extract, load,
    transform)" → ("extract, load, transform", "elt"); "attention (mechanism)" →
    ("attention", None); a term without a final parenthesis is returned unchanged.
    """
    m = _PARENTHETICAL.match(term)
    if m is None:
        return term, None
    head, inner = m.group("head").strip(), m.group("inner").strip()
    if _abbreviates(inner, head):
        return head, inner
    if _abbreviates(head, inner):
        return inner, head
    return head, None


def _abbreviates(short: str, long_form: str) -> bool:
    """Whether `short` is an acronym of `long_form`: one short token whose letters are
    capitals (GPU), or appear in order in the long form starting with its first letter
    (kws: keyword spotting; tinyml: tiny machine learning)."""
    if not _SHORT_FORM.match(short):
        return False
    if looks_like_acronym(short.replace("-", "")):
        return True
    if " " not in long_form and "-" not in long_form:
        return False
    letters = [c for c in short.lower() if c.isalpha()]
    text = long_form.lower()
    if not letters or not text.startswith(letters[0]):
        return False
    position = 0
    for letter in letters:
        position = text.find(letter, position) + 1
        if position == 0:
            return False
    return True


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def term_skeleton(key: str) -> str:
    """A term key without spaces and hyphens ("back-prop agation" → "backpropagation")."""
    return key.replace(" ", "").replace("-", "")


class Glossary:
    """All the entries of a manuscript's glossary sources.

    `entries` are the entries as loaded (one per source occurrence, in source order);
    `terms` has one merged `Entry` per `normalize_term` key (definitions, aliases,
    variants, see-also and sources of all its occurrences), in first-seen order.
    """

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self.entries: list[Entry] = list(entries)
        groups: dict[str, list[Entry]] = {}
        for entry in self.entries:
            if entry.term.strip():
                groups.setdefault(entry.key, []).append(entry)
        self._groups = groups
        self.terms: list[Entry] = [_merge(group) for group in groups.values()]
        self._by_key: dict[str, Entry] = {e.key: e for e in self.terms}
        self._by_alias: dict[str, Entry] = {}
        self._loose: dict[str, Entry] = {}
        for entry in self.terms:
            for alias in (*entry.aliases, entry.written):
                if alias:
                    self._by_alias.setdefault(normalize_term(alias), entry)
        for entry in self.terms:
            for form in (entry.term, *entry.aliases, *entry.variants):
                self._loose.setdefault(_loose_key(form), entry)
        self._matcher: TermMatcher | None = None
        self._fingerprint: str | None = None
        self._conflicts: list[Conflict] | None = None

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def lookup(self, name: str) -> Entry | None:
        """The (merged) entry whose term — failing that, one of whose aliases or the term
        as its source writes it ("keyword spotting (kws)") — has the same
        `normalize_term` key as `name`, else None."""
        key = normalize_term(name)
        return self._by_key.get(key) or self._by_alias.get(key)

    def suggest(self, name: str) -> Entry | None:
        """A looser lookup for "did you mean": also ignores hyphens, spaces, a plural
        ending and declared variants ("Back-propagations" → backpropagation)."""
        found = self.lookup(name)
        if found is not None:
            return found
        key = _loose_key(name)
        found = self._loose.get(key)
        if found is None:
            for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
                if key.endswith(suffix) and (found := self._loose.get(key[: -len(suffix)] + repl)):
                    break
        return found

    def conflicts(self) -> list[Conflict]:
        """Terms written as an entry more than once (in one source or across sources),
        in first-seen order, each saying whether the definitions differ (found once, then kept)."""
        if self._conflicts is None:
            self._conflicts = []
            for key, group in self._groups.items():
                if len(group) < 2:
                    continue
                texts = {normalize_definition(d.text) for e in group for d in e.definitions}
                texts.discard("")
                self._conflicts.append(Conflict(key, list(group), len(texts) > 1))
        return self._conflicts

    def fingerprint(self) -> str:
        """A hash of everything the matcher reads (each term's forms, case and acronym
        settings, in order): equal fingerprints find the same matches in the same text."""
        if self._fingerprint is None:
            forms = [(e.term, e.aliases, e.variants, e.expansions, e.case_sensitive, e.preserves_case,
                      e.acronym, e.short, e.written) for e in self.terms]
            self._fingerprint = hashlib.sha256(repr(forms).encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self._fingerprint

    def matcher(self) -> "TermMatcher":
        """The `TermMatcher` for this glossary (built once, then reused)."""
        if self._matcher is None:
            from mlsys_lint.term_matcher import TermMatcher

            self._matcher = TermMatcher(self)
        return self._matcher


def _loose_key(name: str) -> str:
    return term_skeleton(normalize_term(name).replace("\u2010", "-").replace("\u2011", "-"))


def unique_terms(items: Iterable[str]) -> list[str]:
    """`items` without those whose `normalize_term` key is empty or came earlier."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = normalize_term(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _merge(group: list[Entry]) -> Entry:
    if len(group) == 1:
        return group[0]
    # The canonical spelling comes from the first source that says something about case.
    head = next((e for e in group if e.preserves_case), group[0])
    return Entry(
        term=head.term,
        definitions=[d for e in group for d in e.definitions],
        aliases=unique_terms(a for e in group for a in e.aliases),
        variants=unique_terms(v for e in group for v in e.variants),
        expansion=next((e.expansion for e in group if e.expansion), None),
        more_expansions=unique_terms(x for e in group for x in e.expansions)[1:],
        case_sensitive=any(e.case_sensitive for e in group),
        see_also=unique_terms(s for e in group for s in e.see_also),
        sources=[s for e in group for s in e.sources],
        preserves_case=any(e.preserves_case for e in group),
        acronym=next((e.acronym for e in group if e.acronym is not None), None),
        short=next((e.short for e in group if e.short), None),
        written=next((e.written for e in group if e.written), ""),
    )


def looks_like_acronym(term: str) -> bool:
    """GPU, TPU, FP16, R&D: one token, no lower-case letter, at least two capitals."""
    if len(term) < 2 or not term[0].isalpha() or not term.isupper():
        return False
    if not all(c.isalnum() or c == "&" for c in term):
        return False
    return sum(1 for c in term if c.isupper()) >= 2
