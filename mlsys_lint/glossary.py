"""Glossary sources and term matching.

Three parts:

* **Data model** — `Definition`, `Entry`, `Glossary`.  Loaders produce one `Entry` per
  term *as written in a source* (`Glossary.entries`); `Glossary.terms` merges entries that
  name the same term (see `normalize_term`) into one, which is what `lookup` returns and
  what `TermMatcher` matches.  `Glossary.conflicts` lists terms defined more than once.
* **Loaders** — quarto-glossary ``glossary.yml`` (flat mapping term → definition),
  MLSysBook ``*_glossary.json`` (``{"metadata": …, "terms": [{"term", "definition",
  "aliases", "see_also", "chapter_source"}]}``, the merged volume glossary has the same
  shape) and the product's own YAML (``terms: [{term, definition, aliases, variants |
  forbidden, case-sensitive, expansion, acronym, see-also}]``).  `load_file` detects the
  format from the content.  Every entry records its file and 1-based line; every problem
  raises `GlossaryError` whose message starts with ``path:line:``.
* **Matching** — `TermMatcher` compiles every form of every term into one trie-shaped
  regular expression and finds terms in (masked) prose in a single pass.

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

import bisect
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

__all__ = [
    "Conflict",
    "Definition",
    "Entry",
    "Glossary",
    "GlossaryError",
    "Location",
    "TermMatch",
    "TermMatcher",
    "autodetect_sources",
    "load_file",
    "load_sources",
    "normalize_definition",
    "normalize_term",
    "parse_glossary",
]


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
        return self.expansion is not None or _looks_like_acronym(self.term)

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


def normalize_definition(text: str) -> str:
    """A definition with Markdown markup (emphasis, code ticks, links' targets, HTML
    tags), curly quotes and whitespace differences removed — for comparing definitions."""
    text = unicodedata.normalize("NFC", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _MARKS.sub("", text)
    text = text.translate(_QUOTES)
    return " ".join(text.split())


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _skeleton(key: str) -> str:
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
            for alias in entry.aliases:
                self._by_alias.setdefault(normalize_term(alias), entry)
        for entry in self.terms:
            for form in (entry.term, *entry.aliases, *entry.variants):
                self._loose.setdefault(_loose_key(form), entry)
        self._matcher: TermMatcher | None = None

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def lookup(self, name: str) -> Entry | None:
        """The (merged) entry whose term — failing that, one of whose aliases — has the
        same `normalize_term` key as `name`, else None."""
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
        in first-seen order, each saying whether the definitions differ."""
        result = []
        for key, group in self._groups.items():
            if len(group) < 2:
                continue
            texts = {normalize_definition(d.text) for e in group for d in e.definitions}
            texts.discard("")
            result.append(Conflict(key, list(group), len(texts) > 1))
        return result

    def matcher(self) -> "TermMatcher":
        """The `TermMatcher` for this glossary (built once, then reused)."""
        if self._matcher is None:
            self._matcher = TermMatcher(self)
        return self._matcher


def _loose_key(name: str) -> str:
    return _skeleton(normalize_term(name).replace("\u2010", "-").replace("\u2011", "-"))


def _unique(items: Iterable[str]) -> list[str]:
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
        aliases=_unique(a for e in group for a in e.aliases),
        variants=_unique(v for e in group for v in e.variants),
        expansion=next((e.expansion for e in group if e.expansion), None),
        more_expansions=_unique(x for e in group for x in e.expansions)[1:],
        case_sensitive=any(e.case_sensitive for e in group),
        see_also=_unique(s for e in group for s in e.see_also),
        sources=[s for e in group for s in e.sources],
        preserves_case=any(e.preserves_case for e in group),
        acronym=next((e.acronym for e in group if e.acronym is not None), None),
    )


def _looks_like_acronym(term: str) -> bool:
    """GPU, TPU, FP16, R&D: one token, no lower-case letter, at least two capitals."""
    if len(term) < 2 or not term[0].isalpha() or not term.isupper():
        return False
    if not all(c.isalnum() or c == "&" for c in term):
        return False
    return sum(1 for c in term if c.isupper()) >= 2


# --------------------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------------------


def load_file(path: str | Path) -> list[Entry]:
    """Read one glossary source, detecting its format from the content."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise GlossaryError("glossary source not found", name) from None
    except IsADirectoryError:
        raise GlossaryError("glossary source is a directory, not a file", name) from None
    except OSError as exc:
        raise GlossaryError(f"cannot read glossary source: {exc.strerror or exc}", name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise GlossaryError("not valid UTF-8 text", name, line) from None
    return parse_glossary(text, name)


def parse_glossary(text: str, path: str = "<glossary>") -> list[Entry]:
    """Parse the text of a glossary source; `path` is used in entries and errors.

    JSON (a ``.json`` name or text starting with ``{``/``[``) must be an object with a
    ``terms`` list (MLSysBook chapter or volume glossary, or the product's format written
    as JSON).  YAML with a top-level ``terms`` list is the product's format; any other
    YAML mapping is a quarto-glossary ``glossary.yml``.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if path.lower().endswith(".json"):
        return _parse_json(text, path)
    if text.lstrip()[:1] in ("{", "["):  # JSON, unless it is YAML in flow style
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            return _parse_json(text, path)
    return _parse_yaml(text, path)


# ---- JSON ----------------------------------------------------------------------------

_PRODUCT_ONLY_KEYS = {"variants", "forbidden", "case-sensitive", "case_sensitive", "expansion", "acronym"}


def _parse_json(text: str, path: str) -> list[Entry]:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise GlossaryError(f"invalid JSON: {exc.msg} (column {exc.colno})", path, exc.lineno) from None
    lines = _LineIndex(text)
    data = _JsonPositions(text).parse()
    if not isinstance(data, _JObject) or not isinstance(data.get("terms"), list):
        where = data.positions.get("terms", (0, 0))[1] if isinstance(data, _JObject) else 0
        raise GlossaryError(
            'expected an object with a "terms" list (an MLSysBook *_glossary.json)',
            path,
            lines.line(where),
        )
    items = data["terms"]
    product = any(isinstance(i, dict) and _PRODUCT_ONLY_KEYS & set(i) for i in items)
    entries = []
    for item in items:
        if not isinstance(item, _JObject):
            raise GlossaryError(
                'expected each item of "terms" to be an object with a "term"',
                path,
                lines.line(_JsonPositions.offset_of(items, item)),
            )
        line_of = {k: lines.line(v) for k, (_, v) in item.positions.items()}
        key_line_of = {k: lines.line(o) for k, (o, _) in item.positions.items()}
        entries.append(
            _entry_from_fields(
                dict(item),
                path,
                item_line=lines.line(item.offset),
                line_of=line_of,
                key_line_of=key_line_of,
                strict=product,
                preserves_case=product,
            )
        )
    return entries


class _JObject(dict):
    """A JSON object that remembers where it starts and where its keys and values are."""

    offset: int = 0
    positions: dict  # key -> (offset of key, offset of value)


class _JArray(list):
    offset: int = 0
    offsets: list


class _JsonPositions:
    """A small JSON reader (for text `json.loads` already accepted) that keeps offsets."""

    _WS = re.compile(r"[ \t\n\r]*")
    _NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")

    def __init__(self, text: str) -> None:
        self.text = text

    @staticmethod
    def offset_of(array: list, item: object) -> int:
        if isinstance(array, _JArray):
            for value, offset in zip(array, array.offsets):
                if value is item:
                    return offset
        return 0

    def parse(self):
        value, _ = self._value(self._WS.match(self.text, 0).end())
        return value

    def _value(self, i: int):
        text = self.text
        ch = text[i]
        if ch == "{":
            obj = _JObject()
            obj.offset, obj.positions = i, {}
            i = self._WS.match(text, i + 1).end()
            if text[i] == "}":
                return obj, i + 1
            while True:
                key_at = i
                key, i = json.decoder.scanstring(text, i + 1)
                i = self._WS.match(text, i).end() + 1  # ':'
                i = self._WS.match(text, i).end()
                value_at = i
                value, i = self._value(i)
                obj[key] = value
                obj.positions.setdefault(key, (key_at, value_at))
                i = self._WS.match(text, i).end()
                if text[i] == "}":
                    return obj, i + 1
                i = self._WS.match(text, i + 1).end()  # after ','
        if ch == "[":
            arr = _JArray()
            arr.offset, arr.offsets = i, []
            i = self._WS.match(text, i + 1).end()
            if text[i] == "]":
                return arr, i + 1
            while True:
                arr.offsets.append(i)
                value, i = self._value(i)
                arr.append(value)
                i = self._WS.match(text, i).end()
                if text[i] == "]":
                    return arr, i + 1
                i = self._WS.match(text, i + 1).end()
        if ch == '"':
            return json.decoder.scanstring(text, i + 1)
        for literal, value in (("true", True), ("false", False), ("null", None)):
            if text.startswith(literal, i):
                return value, i + len(literal)
        m = self._NUMBER.match(text, i)
        number = m.group()
        return (float(number) if any(c in number for c in ".eE") else int(number)), m.end()


class _LineIndex:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


# ---- YAML ----------------------------------------------------------------------------


def _parse_yaml(text: str, path: str) -> list[Entry]:
    import yaml

    try:
        try:  # libyaml when present (several times faster on a large glossary) …
            root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:  # … and the pure-Python loader's messages for a broken file
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise GlossaryError(f"invalid YAML: {message}", path, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise GlossaryError(f"invalid YAML: {exc}", path) from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise GlossaryError(
            "expected a mapping of term to definition (quarto-glossary) or a 'terms:' list",
            path,
            root.start_mark.line + 1,
        )
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "terms" and not isinstance(value, yaml.ScalarNode):
            return _parse_product_yaml(root, path)
    return _parse_quarto_glossary(root, path)


def _parse_quarto_glossary(root, path: str) -> list[Entry]:
    import yaml

    entries = []
    for key, value in root.value:
        line = key.start_mark.line + 1
        if not isinstance(key, yaml.ScalarNode) or not key.value.strip():
            raise GlossaryError("expected a mapping of term to definition: a term must be a text", path, line)
        if not isinstance(value, yaml.ScalarNode):
            raise GlossaryError(
                f"expected a mapping of term to definition: the definition of {key.value!r} "
                f"is a {'list' if isinstance(value, yaml.SequenceNode) else 'mapping'}, not a text",
                path,
                line,
            )
        term = key.value.strip()
        definition = "" if value.tag.endswith(":null") else value.value.strip()
        entries.append(
            Entry.make(
                term,
                definition,
                path,
                line,
                definition_line=value.start_mark.line + 1,
                # quarto-glossary lower-cases keys, so only a key with a capital says
                # anything about case (SESOI, SE).
                preserves_case=term != term.lower(),
            )
        )
    return entries


def _parse_product_yaml(root, path: str) -> list[Entry]:
    import yaml

    terms_node = None
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "terms":
            terms_node = value
        elif not (isinstance(key, yaml.ScalarNode) and key.value in ("version", "metadata")):
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            raise GlossaryError(f"unknown key {name!r} (expected 'terms')", path, key.start_mark.line + 1)
    if not isinstance(terms_node, yaml.SequenceNode):
        raise GlossaryError("'terms' must be a list of entries", path, terms_node.start_mark.line + 1)
    constructor = yaml.constructor.SafeConstructor()
    entries = []
    for item in terms_node.value:
        item_line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise GlossaryError("expected each item of 'terms' to be a mapping with a 'term'", path, item_line)
        fields: dict = {}
        line_of: dict[str, int] = {}
        key_line_of: dict[str, int] = {}
        for key, value in item.value:
            if not isinstance(key, yaml.ScalarNode):
                raise GlossaryError("expected a text key", path, key.start_mark.line + 1)
            if isinstance(value, yaml.ScalarNode) and key.value in ("term", "definition", "expansion"):
                fields[key.value] = None if value.tag.endswith(":null") else value.value
            else:
                try:
                    fields[key.value] = constructor.construct_object(value, deep=True)
                except yaml.YAMLError as exc:
                    raise GlossaryError(f"invalid value for {key.value!r}: {exc}", path, value.start_mark.line + 1) from None
            line_of[key.value] = value.start_mark.line + 1
            key_line_of[key.value] = key.start_mark.line + 1
        entries.append(
            _entry_from_fields(
                fields, path, item_line=item_line, line_of=line_of, key_line_of=key_line_of,
                strict=True, preserves_case=True,
            )
        )
    return entries


# ---- shared field validation ---------------------------------------------------------

_FIELD_ALIASES = {
    "case_sensitive": "case-sensitive",
    "see-also": "see_also",
    "forbidden": "variants",
}
_KNOWN_FIELDS = {
    "term", "definition", "aliases", "variants", "expansion", "case-sensitive", "see_also",
    "acronym", "chapter_source", "appears_in",
}
_PAREN_TERM = re.compile(r"^(?P<head>[^()]+?)\s*\((?P<inner>[^()]+)\)$")


def _entry_from_fields(
    fields: dict,
    path: str,
    *,
    item_line: int,
    line_of: dict[str, int],
    key_line_of: dict[str, int],
    strict: bool,
    preserves_case: bool,
) -> Entry:
    def fail(message: str, key: str | None = None) -> GlossaryError:
        return GlossaryError(message, path, line_of.get(key, item_line) if key else item_line)

    values: dict = {}
    for key, value in fields.items():
        name = _FIELD_ALIASES.get(key, key)
        if name not in _KNOWN_FIELDS:
            if strict:
                raise GlossaryError(
                    f"unknown key {key!r} in a glossary entry (expected term, definition, aliases, "
                    "variants/forbidden, case-sensitive, expansion, acronym, see-also)",
                    path,
                    key_line_of.get(key, item_line),
                )
            continue
        if name == "variants" and "variants" in values:
            values[name] = values[name] + _text_list(value, key, fail)
            continue
        values[name] = (key, value)
        if name == "variants":
            values[name] = _text_list(value, key, fail)

    if "term" not in values:
        raise fail("a glossary entry has no 'term'")
    key, term = values["term"]
    if not isinstance(term, str) or not term.strip():
        raise fail("'term' must be a non-empty text", key)
    term = " ".join(term.split())
    definition = ""
    definition_line = line_of.get("term", item_line)
    if "definition" in values:
        key, definition = values["definition"]
        definition = "" if definition is None else definition
        if not isinstance(definition, str):
            raise fail("'definition' must be a text", key)
        definition_line = line_of.get(key, item_line)
    aliases = _text_list(values["aliases"][1], values["aliases"][0], fail) if "aliases" in values else []
    see_also = _text_list(values["see_also"][1], values["see_also"][0], fail) if "see_also" in values else []
    variants = values.get("variants", [])
    expansion = None
    more_expansions: list[str] = []
    if "expansion" in values:
        key, expansion = values["expansion"]
        if isinstance(expansion, list):  # a homonym: several long forms
            expansions = _text_list(expansion, key, fail)
            expansion, more_expansions = (expansions[0], expansions[1:]) if expansions else (None, [])
        elif expansion is not None and not isinstance(expansion, str):
            raise fail("'expansion' must be a text or a list of texts", key)
        else:
            expansion = " ".join(expansion.split()) or None if expansion else None
    case_sensitive = False
    if "case-sensitive" in values:
        key, case_sensitive = values["case-sensitive"]
        if not isinstance(case_sensitive, bool):
            raise fail(f"{key!r} must be true or false", key)
    acronym = None
    if "acronym" in values:
        key, acronym = values["acronym"]
        if not isinstance(acronym, bool):
            raise fail(f"{key!r} must be true or false", key)

    if not preserves_case:
        # MLSysBook writes "keyword spotting (kws)", "elt (extract, load, transform)":
        # both halves are names of the term.
        m = _PAREN_TERM.match(term)
        if m:
            aliases = _unique([*aliases, m.group("head"), m.group("inner")])
    return Entry(
        term=term,
        definitions=[Definition(definition.strip(), path, definition_line)],
        aliases=aliases,
        variants=variants,
        expansion=expansion,
        more_expansions=more_expansions,
        case_sensitive=case_sensitive,
        see_also=see_also,
        sources=[Location(path, line_of.get("term", item_line))],
        preserves_case=preserves_case,
        acronym=acronym,
    )


def _text_list(value, key: str, fail) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{key!r} must be a list of texts", key)
    return [" ".join(v.split()) for v in value if v.strip()]


# ---- sources -------------------------------------------------------------------------

_GLOB_CHARS = re.compile(r"[*?\[]")


def load_sources(root: str | Path, patterns: Iterable[str]) -> Glossary:
    """Load every file matched by `patterns` (globs relative to `root`, ``**`` allowed),
    each file once, in pattern order and sorted within a pattern.  A pattern matching no
    file raises `GlossaryError` naming it.  Entry paths are ``root / relative path``."""
    root = Path(root)
    seen: set[Path] = set()
    entries: list[Entry] = []
    for pattern in patterns:
        if _GLOB_CHARS.search(pattern):
            matches = sorted(p for p in root.glob(pattern) if p.is_file())
            if not matches:
                raise GlossaryError("glossary source pattern matches no file", pattern)
        else:
            path = root / pattern
            if not path.is_file():
                raise GlossaryError(
                    "glossary source not found" if not path.exists() else "glossary source is not a file",
                    str(path),
                )
            matches = [path]
        for path in matches:
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            entries.extend(load_file(path))
    return Glossary(entries)


_SKIP_DIRS = {"node_modules", "_book", "_site", "_freeze", "_extensions", "site_libs", "renv", "venv", "__pycache__"}


def autodetect_sources(root: str | Path) -> list[str]:
    """Glossary files in their conventional places, as paths relative to `root`
    (POSIX separators), in a stable order:

    1. the quarto-glossary file: ``glossary: path:`` of ``_quarto.yml`` when it exists,
       else ``glossary.yml``/``glossary.yaml`` at the root;
    2. other ``glossary.yml`` files below the root (e.g. booktem's ``include/``);
    3. MLSysBook ``*_glossary.json`` chapter glossaries.  A merged volume glossary
       (``…/backmatter/glossary/*_glossary.json`` or one whose metadata has no
       ``chapter``) duplicates the chapter files, so it is used only when there are no
       chapter glossaries.

    Hidden folders, ``node_modules``, ``_book``, ``_site``, ``_freeze`` and
    ``_extensions`` are skipped.
    """
    root = Path(root)
    found: list[str] = []
    configured = _configured_glossary_path(root)
    if configured and (root / configured).is_file():
        found.append(Path(os.path.normpath(configured)).as_posix())
    else:
        for name in ("glossary.yml", "glossary.yaml"):
            if (root / name).is_file():
                found.append(name)
                break
    yml: list[str] = []
    chapter_json: list[str] = []
    volume_json: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
        rel_dir = Path(dirpath).relative_to(root)
        for name in sorted(filenames):
            rel = (rel_dir / name).as_posix()
            if name in ("glossary.yml", "glossary.yaml") and rel_dir != Path("."):
                yml.append(rel)
            elif name.endswith("_glossary.json"):
                (volume_json if _is_volume_glossary(Path(dirpath) / name, rel) else chapter_json).append(rel)
    for rel in yml + (chapter_json or volume_json):
        if rel not in found:
            found.append(rel)
    return found


def _configured_glossary_path(root: Path) -> str | None:
    for name in ("_quarto.yml", "_quarto.yaml"):
        config = root / name
        if config.is_file():
            try:
                import yaml

                data = yaml.safe_load(config.read_text(encoding="utf-8-sig"))
            except Exception:  # the project loader reports a broken _quarto.yml
                return None
            glossary = data.get("glossary") if isinstance(data, dict) else None
            if isinstance(glossary, dict) and isinstance(glossary.get("path"), str):
                return glossary["path"]
            return None
    return None


def _is_volume_glossary(path: Path, rel: str) -> bool:
    if "/backmatter/glossary/" in "/" + rel:
        return True
    try:
        head = path.read_text(encoding="utf-8-sig")[:2000]
    except (OSError, UnicodeDecodeError):
        return False
    m = re.search(r'"metadata"\s*:\s*\{([^{}]*)\}', head)
    return bool(m) and '"chapter"' not in m.group(1)


# --------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A glossary term found in text.

    `start`/`end` are offsets in the text given to `TermMatcher.find` (`end` includes a
    plural or possessive ending); `text` is ``text[start:end]``.  `kind`:

    * ``canonical`` — the term as declared (or its plural/possessive, or the singular of
      a plural multi-word term);
    * ``alias`` — a declared alias (accepted; `replacement` is the canonical form);
    * ``variant`` — a declared variant/forbidden form, or (`auto` True) a hyphen, space
      or joined spelling of a multi-word or hyphenated form ("back propagation",
      "back-propagation", "backpropagation");
    * ``case`` — the right word in the wrong case: any other casing of a case-sensitive
      name ("Tensorflow"), or capitals in a lower-case concept term mid-sentence
      ("the Memory Wall");
    * ``expansion`` — the `expansion` of an acronym entry ("graphics processing unit").

    `form` is the declared form that matched; `replacement` is what the text should say
    (the canonical form, or for ``case`` the form in its declared case) with the plural
    or possessive ending kept and a sentence-initial capital preserved; it equals `text`
    for ``canonical`` and ``expansion``.
    """

    entry: Entry
    start: int
    end: int
    text: str
    kind: str
    form: str
    replacement: str
    auto: bool = False

    @property
    def needs_fix(self) -> bool:
        return self.replacement != self.text


# Priorities among forms with the same spelling (lower wins).
_ROLE_PRIORITY = {"canonical": 0, "alias": 1, "variant": 2, "expansion": 3, "singular": 4}
_ROLE_KIND = {"canonical": "canonical", "singular": "canonical", "alias": "alias", "expansion": "expansion"}

# The matcher scans a folded copy of the text: lower-cased, with tab/no-break spaces made
# spaces, Unicode hyphens made "-" and the curly apostrophe made "'" — all one character
# for one character, so offsets are unchanged and the pattern needs no IGNORECASE.
_FOLD = str.maketrans({"\t": " ", "\u00a0": " ", "\u202f": " ", "\u2010": "-", "\u2011": "-", "\u2019": "'"})
_HYPHEN_CHARS = "-\u2010\u2011"
# In the folded copy every whitespace run that is neither one space nor a single line
# break with indentation (a blank line, or several spaces where the parser blanked code,
# math or a footnote marker) is overwritten with \x01, so these can stay simple:
_SEP = "[ \n]+"  # a space or a line break inside a paragraph
_GAP = "(?:-|[ \n]*)"  # a gap between two words of a form: hyphen, space, line break or nothing
_BAD_RUN = re.compile(r"(?<![ \n]) {2,}(?![ \n])| *\n *\n[ \n]*")
_GAP_MARK = "\x00"
_GAP_RE = re.compile(r"(?<=[^\W_])[ \-](?=[^\W_])")
# Not inside a word or an identifier: no letter/digit, "x_", "@", "#", "/", "." before.
# A hyphen before is let through and judged in Python (only "multi-GPU"-like compounds).
_LEFT = r"(?<![^\W_])(?<!\w_)(?<![@#/.])"
_SUFFIX = r"(?P<suf>'s|e?s)?"
_RIGHT = r"(?![^\W_]|_\w|[@#/.']\w)"
_NO_HYPHEN_AFTER = r"(?!e?s?-\w)"
_OPENERS = "\"'“‘([*_"
_CLOSERS = "\"'”’)]*_"
_ENDERS = ".!?:|…"
_MARKER = re.compile(
    r"[ \t]*(?:>[ \t]*)*(?:(?:[-*+|]|\d{1,9}[.)]|#\.|\(?[A-Za-z0-9]{1,3}\)|[A-Za-z][.]|#{1,6}|[:~])[ \t]+)?"
)
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]")
_CONSONANT_Y = re.compile(r"[^aeiou\W]y$")
_WS_RUN = re.compile(r"\s+")
_CASE_FOLD_WS = _FOLD  # the same one-for-one replacements, applied without lower-casing


def _norm(text: str) -> str:
    """Key of a form: lower case, single spaces, plain hyphens and apostrophes."""
    return _WS_RUN.sub(" ", text.lower().translate(_FOLD)).strip()


_FOLD_PAIRS = tuple((chr(k), v) for k, v in _FOLD.items())
_WS_RUNS = re.compile(r"[ \n]{2,}")


def _fold(text: str) -> str:
    folded = text.lower()
    if len(folded) != len(text):  # "İ" and a few others lower-case to two characters
        folded = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    for char, replacement in _FOLD_PAIRS:  # str.replace is much faster than translate
        if char in folded:
            folded = folded.replace(char, replacement)
    return _WS_RUNS.sub(_blank_run, folded)


def _blank_run(m: re.Match[str]) -> str:
    """`_BAD_RUN`'s rule on a maximal run of spaces and line breaks: blank a run of
    spaces, or a run holding a blank line; keep one line break with its indentation."""
    run = m.group()
    lines = run.count("\n")
    if lines == 1:
        return run
    return "\x01" * len(run)


class _Form:
    __slots__ = ("entry", "form", "role", "priority", "order", "exact", "mode", "compound")

    def __init__(self, entry: Entry, form: str, role: str, order: int) -> None:
        self.entry = entry
        self.form = form
        self.role = role
        self.priority = _ROLE_PRIORITY[role]
        self.order = order
        # exact: matched only in this very case (acronyms); mode: how case is judged.
        self.exact = role != "expansion" and (
            (form == entry.term and entry.is_acronym)
            or (entry.preserves_case and not entry.case_sensitive and entry.acronym is not False and _looks_like_acronym(form))
        )
        if self.exact:
            self.mode = "exact"
        elif entry.case_sensitive and role != "expansion":
            self.mode = "sensitive"
        elif entry.preserves_case and form == form.lower() and role != "expansion":
            self.mode = "concept"
        else:
            self.mode = "none"
        # May stand in a hyphenated compound ("GPU-based", "multi-GPU", "PyTorch-based").
        self.compound = self.exact or entry.case_sensitive


class TermMatcher:
    """Finds glossary terms in (masked) prose.

    Built once per glossary: every form of every term (canonical, aliases, declared
    variants, acronym expansions, the singular of a plural multi-word term, ``-ies``
    plurals) goes into one trie, whose gaps between words match a space, a line break, a
    hyphen or nothing — so hyphen/space/joined variants need no extra forms.  The trie
    becomes one regular expression, scanned once over a lower-cased copy of the text.
    It is compiled with the standard `re` module: the pattern is generated from escaped
    literals (no user pattern, nothing that can backtrack catastrophically), and `re` is
    several times faster than `regex` on such large alternations.

    Word boundaries: a match never starts or ends inside a word or an identifier — a
    letter, digit, ``_``, ``@``, ``#``, ``/``, ``.``, ``'`` or hyphen joined to it
    continues the word ("fig-memory-wall", "@sec-memory-wall", "memory_wall"; "memory"
    is not found in "memory-bound" or "non-memory").  Exception: acronyms and
    case-sensitive names may stand in a hyphenated compound ("GPU-based", "multi-GPU",
    "PyTorch-style").  ``_emphasis_`` underscores are not identifiers.  Overlapping
    candidates: the longest wins ("memory wall" over "memory").  Plurals (s, es,
    y → ies) and possessives ('s, ’s) count as the term.
    """

    def __init__(self, glossary: Glossary | Iterable[Entry]) -> None:
        terms = glossary.terms if isinstance(glossary, Glossary) else Glossary(glossary).terms
        self._exact: dict[str, list[_Form]] = {}
        self._skeleton: dict[str, list[_Form]] = {}
        order = 0
        for entry in terms:
            forms = [(entry.term, "canonical")]
            forms += [(a, "alias") for a in entry.aliases]
            forms += [(v, "variant") for v in entry.variants]
            forms += [(x, "expansion") for x in entry.expansions]
            singular = _singular(entry.term)
            if singular and not entry.is_acronym:
                forms.append((singular, "singular"))
            for text, role in forms:
                text = " ".join(text.split())
                key = _norm(text)
                if not any(c.isalnum() for c in key):
                    continue
                form = _Form(entry, text, role, order)
                order += 1
                self._exact.setdefault(key, []).append(form)
                if not form.exact and _GAP_RE.search(key):
                    self._skeleton.setdefault(_skeleton(key), []).append(form)
        for table in (self._exact, self._skeleton):
            for forms in table.values():
                forms.sort(key=lambda f: (f.priority, f.order))
        self._pattern = self._compile()

    @property
    def pattern(self) -> str:
        """The generated regular expression (for debugging)."""
        return self._pattern.pattern if self._pattern else ""

    # ---- building ----

    def _compile(self) -> re.Pattern[str] | None:
        leaves: dict[str, bool] = {}  # gap key -> whether some form may stand in a compound
        for key, forms in self._exact.items():
            compound = any(f.compound for f in forms)
            gkeys = [_GAP_RE.sub(_GAP_MARK, key)]
            if _CONSONANT_Y.search(key):
                gkeys.append(gkeys[0][:-1] + "ies")
            for gkey in gkeys:
                leaves[gkey] = leaves.get(gkey, False) or compound
        if not leaves:
            return None
        trie: dict = {}
        for gkey, compound in leaves.items():
            node = trie
            for ch in gkey:
                node = node.setdefault(ch, {})
            node[""] = compound
        return re.compile(_LEFT + "(?:" + _trie_regex(trie) + ")" + _SUFFIX + _RIGHT)

    # ---- matching ----

    def find(
        self,
        text: str,
        start: int = 0,
        end: int | None = None,
        *,
        sentence_start: Callable[[int], bool] | None = None,
        heading: bool = False,
    ) -> Iterator[TermMatch]:
        """Yield the terms in ``text[start:end]`` from left to right, without overlaps.

        `text` is masked prose (hidden regions already blanked); offsets are into it and
        nothing after `end` is looked at.  `sentence_start(offset)` says whether a term
        starting at `offset` starts a sentence (a capital is then fine); by default it is
        guessed from the text before it: `start`, a blank line, ``.``/``!``/``?``/``:``
        (closing quotes, brackets and emphasis allowed in between), a list, block-quote,
        heading or table-cell marker.  With `heading` True, on an ATX ``#`` heading line
        or inside a ``**bold**`` span (a term's first definition, a label) capitalised
        concept terms are not reported; case-sensitive names still are.
        """
        pattern = self._pattern
        if pattern is None:
            return
        if end is None or end > len(text):
            end = len(text)
        base = max(0, start - 2)  # two characters of context for the look-behinds
        folded = _fold(text[base:end])
        pos = start - base
        search = pattern.search
        resolve = self._resolve
        while True:
            m = search(folded, pos)
            if m is None:
                return
            found = resolve(text, folded, base, m, start, end, sentence_start, heading)
            if found is None:
                pos = m.start() + 1
            else:
                pos = found.end - base
                yield found

    def _resolve(self, text, folded, base, m, lo, hi, sentence_start, heading) -> TermMatch | None:
        fp, fe = m.span()
        n = fe - m.start("suf") if m.start("suf") >= 0 else 0
        key = folded[fp : fe - n]
        if "\n" in key or "  " in key:
            key = _WS_RUN.sub(" ", key)
        p, e = fp + base, fe + base
        core = text[p : e - n]
        suffix = text[e - n : e]
        ies = auto = False
        form = self._pick(self._exact.get(key), core, suffix)
        if form is None:
            if key.endswith("ies"):
                form = self._pick(self._exact.get(key[:-3] + "y"), core, suffix, True)
                ies = form is not None
            if form is None:
                skel = _skeleton(key)
                form = self._pick(self._skeleton.get(skel), core, suffix)
                if form is None and skel.endswith("ies"):
                    form = self._pick(self._skeleton.get(skel[:-3] + "y"), core, suffix, True)
                    ies = form is not None
                if form is None:
                    return None
                auto = True
        if not form.compound:  # hyphen joined to the term: part of a longer word
            if p > 0 and text[p - 1] in _HYPHEN_CHARS:
                return None
            if e + 1 < hi and text[e] in _HYPHEN_CHARS and (text[e + 1].isalnum() or text[e + 1] == "_"):
                return None
        elif p > 0 and text[p - 1] in _HYPHEN_CHARS and not (p > 1 and text[p - 2].isalnum()):
            return None
        mode = form.mode
        role = form.role
        if not auto and role != "variant" and (mode == "none" or mode == "exact" or (mode == "concept" and core == core.lower())):
            if role != "alias":  # the common case: nothing to say
                return TermMatch(form.entry, p, e, text[p:e], _ROLE_KIND[role], form.form, text[p:e])
        return self._judge(text, p, e, core, suffix, form, ies, auto, lo, sentence_start, heading)

    def _judge(self, text, p, e, core, suffix, form, ies, auto, lo, sentence_start, heading) -> TermMatch:
        entry = form.entry
        state: list[bool] = []

        def at_sentence_start() -> bool:
            if not state:
                state.append(sentence_start(p) if sentence_start else _sentence_start(text, p, lo))
            return state[0]

        titled = heading or _on_heading_line(text, p) or _in_bold(text, p)
        initial_capital = core[:1].isupper()
        if auto or form.role == "variant":
            # An expansion or a singular spelt with a different gap keeps being itself.
            kind = "variant"
            target = form.form if form.role in ("expansion", "singular") else entry.term
            capital = initial_capital and not entry.case_sensitive and (titled or at_sentence_start())
            if not entry.preserves_case:
                # The source's spelling says nothing about case: keep the writer's letters.
                target = _transfer_case(core[:-3] + "y" if ies else core, target)
        else:
            kind = _ROLE_KIND[form.role]
            target = entry.term if kind == "alias" else form.form
            capital = initial_capital and not entry.case_sensitive and (titled or at_sentence_start())
            # What is written against the declared form (an -ies plural without its
            # ending against the form without its final y).
            written = _WS_RUN.sub(" ", core[:-3] if ies else core).translate(_CASE_FOLD_WS)
            expected = form.form[:-1] if ies else form.form
            if form.mode == "sensitive" and written != expected:
                if not (written == expected[:1].upper() + expected[1:] and at_sentence_start()):
                    kind, target, capital = "case", form.form, initial_capital and at_sentence_start()
            elif form.mode == "concept" and written != written.lower() and not titled:
                if not (at_sentence_start() and written[1:] == written[1:].lower()):
                    kind, target, capital = "case", form.form, initial_capital and at_sentence_start()
            if kind in ("canonical", "expansion"):
                return TermMatch(entry, p, e, text[p:e], kind, form.form, text[p:e])
        return TermMatch(entry, p, e, text[p:e], kind, form.form, _adapt(target, ies, suffix, capital), auto)

    @staticmethod
    def _pick(forms: list[_Form] | None, core: str, suffix: str, ies: bool = False) -> _Form | None:
        if not forms:
            return None
        for form in forms:
            if form.exact and (ies or core != form.form or suffix not in ("", "s", "'s", "\u2019s")):
                continue
            return form
        return None


def _adapt(target: str, ies: bool, suffix: str, capital: bool) -> str:
    if ies:
        target = target[:-1] + "ies" if _CONSONANT_Y.search(target.lower()) else target + "s"
    if capital and target[:1].islower():
        target = target[0].upper() + target[1:]
    if suffix.isalpha() and not target.isupper():
        suffix = suffix.lower()
    return target + suffix


def _transfer_case(written: str, target: str) -> str:
    """`target` with the letter case of `written` when both spell the same letters
    ("Image-Net", "imagenet" → "ImageNet"); else `target` unchanged."""
    letters = [c for c in written if c.isalnum()]
    if [c.lower() for c in letters] != [c.lower() for c in target if c.isalnum()]:
        return target
    it = iter(letters)
    return "".join(next(it) if c.isalnum() else c for c in target)


def _singular(term: str) -> str | None:
    """"ml systems" → "ml system": the singular of a plural multi-word term."""
    words = term.split(" ")
    last = words[-1]
    if len(words) < 2 or len(last) < 4 or not last.endswith("s") or last.isupper():
        return None
    if last.endswith(("ss", "us", "is", "ics", "'s", "\u2019s")):
        return None
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith(("ches", "shes", "xes", "sses")):
        last = last[:-2]
    else:
        last = last[:-1]
    return " ".join(words[:-1] + [last])


def _trie_regex(node: dict, below_a_leaf: bool = False) -> str:
    """The regular expression of a trie: literal children first, then a word gap, then
    the end of a form.  A form that may not stand in a hyphenated compound and that
    extends a shorter form ("memory wall" after "memory") refuses a following hyphen, so
    that "memory wall-bound" falls back to "memory"; elsewhere Python rejects it."""
    escape = _ESCAPE
    alternatives = []
    here = below_a_leaf or "" in node
    for ch in sorted(node):
        if ch == "" or ch == _GAP_MARK:
            continue
        run = [_SEP if ch == " " else escape[ch]]
        child = node[ch]
        while len(child) == 1 and "" not in child:  # a chain of single children
            (nxt, grandchild), = child.items()
            if nxt == _GAP_MARK:
                break
            run.append(_SEP if nxt == " " else escape[nxt])
            child = grandchild
        alternatives.append("".join(run) + _trie_regex(child, here))
    if _GAP_MARK in node:
        alternatives.append(_GAP + _trie_regex(node[_GAP_MARK], here))
    if "" in node:
        leaf = _NO_HYPHEN_AFTER if below_a_leaf and not node[""] else ""
        if not alternatives:
            return leaf
        body = "|".join(alternatives)
        return "(?:" + body + "|" + leaf + ")" if leaf else "(?:" + body + ")?"
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


class _EscapeTable(dict):
    def __missing__(self, ch: str) -> str:
        value = self[ch] = re.escape(ch)
        return value


_ESCAPE = _EscapeTable()


def _on_heading_line(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    return _HEADING.match(text, line_start) is not None


def _in_bold(text: str, pos: int) -> bool:
    """Inside a ``**…**`` span of its line (MLSysBook's "**Memory Wall**: …" definitions)."""
    line_start = text.rfind("\n", 0, pos) + 1
    return text.count("**", line_start, pos) % 2 == 1


def _sentence_start(text: str, pos: int, lo: int) -> bool:
    """Whether a word at `pos` starts a sentence (see `TermMatcher.find`)."""
    i = pos
    while i > lo and text[i - 1] in _OPENERS:
        i -= 1
    if i <= lo:
        return True
    line_start = max(text.rfind("\n", lo, i) + 1, lo)
    prefix = text[line_start:i]
    if not prefix.strip(" \t"):
        if line_start <= lo:
            return True
        j = line_start - 2  # before the '\n'
        while j >= lo and text[j] in " \t\r":
            j -= 1
        if j < lo or text[j] == "\n":
            return True  # a blank line: a new paragraph
        return _ends_sentence(text, j, lo)
    if _MARKER.fullmatch(prefix):
        return True
    j = i - 1
    if text[j] not in " \t\u00a0":
        return False
    while j >= line_start and text[j] in " \t\u00a0":
        j -= 1
    return j < line_start or _ends_sentence(text, j, lo)


def _ends_sentence(text: str, j: int, lo: int) -> bool:
    while j >= lo and text[j] in _CLOSERS:
        j -= 1
    return j >= lo and text[j] in _ENDERS
