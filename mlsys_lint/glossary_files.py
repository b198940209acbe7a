"""Glossary data files: quarto-glossary YAML, MLSysBook JSON, the product's own YAML.

quarto-glossary ``glossary.yml`` (flat mapping term → definition), MLSysBook
``*_glossary.json`` (``{"metadata": …, "terms": [{"term", "definition", "aliases",
"see_also", "chapter_source"}]}``, the merged volume glossary has the same shape) and the
product's own YAML (``terms: [{term, definition, aliases, variants | forbidden,
case-sensitive, expansion, acronym, see-also}]``).  `load_file` detects the format from
the content.  Every entry records its file and 1-based line; every problem raises
`GlossaryError` whose message starts with ``path:line:``.  `autodetect_sources` finds the
files in their conventional places.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable

from mlsys_lint import observed
from mlsys_lint.inputs import walk
from mlsys_lint.glossary import Definition, Entry, Glossary, GlossaryError, Location

def load_file(path: str | Path) -> list[Entry]:
    """Read one glossary source, detecting its format from the content."""
    return parse_glossary(read_glossary_text(path), str(path))


def read_glossary_text(path: str | Path) -> str:
    """The text of a glossary source (UTF-8, a BOM dropped); `GlossaryError` when unreadable."""
    name = str(path)
    try:
        raw = observed.read_bytes(path)
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
    return text


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


# ---- kept between runs --------------------------------------------------------------

ENTRIES_FORMAT = "1"
"""The shape of `entries_as_data`; change it when that shape or what a parser makes changes."""


def entries_as_data(entries: list[Entry]) -> list[list]:
    """`entries` as plain data, for the run's cache (`entries_from_data` reads it back)."""
    return [[e.term, [[d.text, d.path, d.line] for d in e.definitions], e.aliases, e.variants, e.expansion,
             e.case_sensitive, e.see_also, [[s.path, s.line] for s in e.sources], e.preserves_case, e.acronym,
             e.more_expansions, e.short, e.written] for e in entries]


def entries_from_data(data: Any) -> list[Entry] | None:
    """The entries `entries_as_data` described, exactly as the parser made them, or None when
    `data` is not of that shape."""
    if not isinstance(data, list) or not all(_entry_row(row) for row in data):
        return None
    entries = []
    for (term, definitions, aliases, variants, expansion, case_sensitive, see_also, sources, preserves_case,
         acronym, more_expansions, short, written) in data:
        entries.append(Entry.as_parsed(
            term=term, definitions=[Definition(*d) for d in definitions], aliases=aliases, variants=variants,
            expansion=expansion, case_sensitive=case_sensitive, see_also=see_also,
            sources=[Location(*s) for s in sources], preserves_case=preserves_case, acronym=acronym,
            more_expansions=more_expansions, short=short, written=written))
    return entries


def _entry_row(row: Any) -> bool:
    def texts(value: Any) -> bool:
        return type(value) is list and all(type(item) is str for item in value)

    def places(value: Any, width: int) -> bool:
        return type(value) is list and all(
            type(item) is list and len(item) == width and all(type(part) is str for part in item[:-1])
            and type(item[-1]) is int for item in value)

    return (type(row) is list and len(row) == 13 and type(row[0]) is str and places(row[1], 3)
            and texts(row[2]) and texts(row[3]) and type(row[4]) in (str, type(None)) and type(row[5]) is bool
            and texts(row[6]) and places(row[7], 2) and type(row[8]) is bool and type(row[9]) in (bool, type(None))
            and texts(row[10]) and type(row[11]) in (str, type(None)) and type(row[12]) is str)


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
        preserves_case=preserves_case or term != term.lower(),
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
            matches = [p for p in observed.glob(root, pattern) if observed.isfile(p)]
            if not matches:
                raise GlossaryError("glossary source pattern matches no file", pattern)
        else:
            path = root / pattern
            if not observed.isfile(path):
                raise GlossaryError(
                    "glossary source not found" if not observed.exists(path) else "glossary source is not a file",
                    str(path),
                )
            matches = [path]
        for path in matches:
            resolved = observed.realpath(path)
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
    3. MLSysBook ``*_glossary.json`` chapter glossaries, then merged volume glossaries
       (``…/backmatter/glossary/*_glossary.json`` or one whose metadata has no
       ``chapter``, see `is_volume_glossary`), which the project loader sets aside as
       generated when there are chapter glossaries.

    Hidden folders, ``node_modules``, ``_book``, ``_site``, ``_freeze`` and
    ``_extensions`` are skipped.
    """
    root = Path(root)
    found: list[str] = []
    configured = _configured_glossary_path(root)
    if configured and observed.isfile(root / configured):
        found.append(Path(os.path.normpath(configured)).as_posix())
    else:
        for name in ("glossary.yml", "glossary.yaml"):
            if observed.isfile(root / name):
                found.append(name)
                break
    yml: list[str] = []
    chapter_json: list[str] = []
    volume_json: list[str] = []
    named = [entry.path for entry in walk(str(root), [], prune=_skipped_folder) if not entry.is_dir
             and entry.path.endswith(("/glossary.yml", "/glossary.yaml", "_glossary.json"))]
    for path in sorted(named, key=lambda path: (Path(path).parent.parts, path)):  # os.walk's order
        folder, name = os.path.split(path)
        if not observed.isfile(path):  # a link to a folder, or a broken one
            continue
        rel = Path(path).relative_to(root).as_posix()
        if not name.endswith("_glossary.json"):
            if folder != str(root):
                yml.append(rel)
        else:
            (volume_json if is_volume_glossary(Path(path), rel) else chapter_json).append(rel)
    for rel in yml + chapter_json + volume_json:
        if rel not in found:
            found.append(rel)
    return found


def _skipped_folder(path: str) -> bool:
    name = os.path.basename(path)
    return name.startswith(".") or name in _SKIP_DIRS


def _configured_glossary_path(root: Path) -> str | None:
    for name in ("_quarto.yml", "_quarto.yaml"):
        config = root / name
        if observed.isfile(config):
            try:
                import yaml

                data = yaml.safe_load(observed.read_text(config))
            except Exception:  # the project loader reports a broken _quarto.yml
                return None
            glossary = data.get("glossary") if isinstance(data, dict) else None
            if isinstance(glossary, dict) and isinstance(glossary.get("path"), str):
                return glossary["path"]
            return None
    return None


def is_volume_glossary(path: Path, rel: str) -> bool:
    """Whether an MLSysBook ``*_glossary.json`` merges the chapter glossaries of a volume
    (it lies in ``backmatter/glossary/`` or its metadata names no chapter)."""
    if "/backmatter/glossary/" in "/" + rel:
        return True
    try:
        head = observed.read_text(path)[:2000]
    except (OSError, UnicodeDecodeError):
        return False
    m = re.search(r'"metadata"\s*:\s*\{([^{}]*)\}', head)
    return bool(m) and '"chapter"' not in m.group(1)
