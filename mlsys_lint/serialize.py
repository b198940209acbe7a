"""A parsed `Document` as plain data (lists, strings, numbers), and back, validated.

The parse cache and the parse pool carry documents in this form, never as pickles: a
repository's files are data, and nothing read from them may construct arbitrary objects.
`document_to_data` writes each list of elements by column, one list per dataclass field
(the file's `Source` is left out and given back on load); `document_from_data` checks
every value against the field's type hint and raises `InvalidData` on anything of another
shape, so a damaged or foreign entry is a cache miss, never a crash.

A field that the project sets after parsing (not the parser) is declared with
``field(metadata={"derived": True})``: it is not stored and takes its default on load.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import threading
import types
import typing
from functools import lru_cache
from itertools import islice, repeat
from operator import attrgetter
from typing import Any

from mlsys_lint import document as document_module
from mlsys_lint import elements as elements_module
from mlsys_lint import model as model_module
from mlsys_lint.cells import Expression
from mlsys_lint.document import Document
from mlsys_lint.elements import Condition
from mlsys_lint.model import Source

FORMAT = 2
"""The shape of the data; bump it when the encoding (not the model) changes."""

_TAG = "\x00"
"""Key of a tagged value in the generic encoding (YAML values: front matter, cell options)."""


class InvalidData(Exception):
    """Data that is not a document of the current model."""


class Unsupported(Exception):
    """A document holding a value this encoding cannot carry (it is then not cached)."""


# -- generic values (YAML: front matter and cell options) ---------------------------------


def _encode_any(value: Any) -> Any:
    kind = type(value)
    if value is None or kind in (bool, int, str) or (kind is float and math.isfinite(value)):
        return value
    if kind is float:  # JSON has no NaN or infinity
        return {_TAG: "float", "v": repr(value)}
    if kind is list:
        return [_encode_any(item) for item in value]
    if kind is dict:
        if all(type(key) is str and key != _TAG for key in value):
            return {key: _encode_any(item) for key, item in value.items()}
        return {_TAG: "map", "v": [[_encode_any(k), _encode_any(v)] for k, v in value.items()]}
    if kind is Expression:
        return {_TAG: "expr", "v": str(value)}
    if kind is tuple:
        return {_TAG: "tuple", "v": [_encode_any(item) for item in value]}
    if kind is bytes:
        return {_TAG: "bytes", "v": base64.b64encode(value).decode("ascii")}
    if kind in (set, frozenset):
        return {_TAG: "set", "v": [_encode_any(item) for item in value]}
    raise Unsupported(f"cannot store a {kind.__name__} value")


def _decode_any(data: Any) -> Any:
    kind = type(data)
    if data is None or kind in (bool, int, float, str):
        return data
    if kind is list:
        return [_decode_any(item) for item in data]
    if kind is not dict:
        raise InvalidData(f"unexpected {kind.__name__}")
    if _TAG not in data:
        return {key: _decode_any(item) for key, item in data.items()}
    tag, payload = data.get(_TAG), data.get("v")
    if len(data) != 2:
        raise InvalidData("malformed tagged value")
    if tag == "expr" and type(payload) is str:
        return Expression(payload)
    if tag == "float" and payload in ("nan", "inf", "-inf"):
        return float(payload)
    if tag == "bytes" and type(payload) is str:
        try:
            return base64.b64decode(payload.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            raise InvalidData("malformed bytes") from None
    if type(payload) is not list:
        raise InvalidData("malformed tagged value")
    if tag == "tuple":
        return tuple(_decode_any(item) for item in payload)
    try:
        if tag == "set":
            return {_decode_any(item) for item in payload}
        if tag == "map" and all(type(pair) is list and len(pair) == 2 for pair in payload):
            return {_decode_any(k): _decode_any(v) for k, v in payload}
    except TypeError:  # an unhashable key or member
        raise InvalidData("malformed tagged value") from None
    raise InvalidData(f"unknown tag {tag!r}")


# -- codecs built from type hints ----------------------------------------------------------
#
# Every codec turns a *list* of values of one type into one piece of data and back, so
# that a list of dataclasses is stored by column (one list per field) and each column of
# scalars is checked and rebuilt at C speed: `encode(values)` and `decode(data, count)`.

_SCALARS = (str, int, bool, float)
_NONE = type(None)


def _accepted_types(hint: Any) -> frozenset[type] | None:
    """The exact types a scalar or optional-scalar field may hold (None: not a scalar)."""
    if hint in _SCALARS:
        return frozenset({hint, int} if hint is float else {hint})
    if _optional(hint) is not None:
        inner = _accepted_types(_optional(hint))
        return inner | {_NONE} if inner is not None else None
    return None


def _optional(hint: Any) -> Any:
    """X for ``X | None``, else None."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 2 and _NONE in args:
        return args[0] if args[1] is _NONE else args[1]
    return None


def _column(data: Any, count: int) -> list[Any]:
    if type(data) is not list or len(data) != count:
        raise InvalidData("malformed column")
    return data


def _counts(data: Any) -> list[int]:
    """A list of non-negative ints (lengths, positions)."""
    if type(data) is not list or not set(map(type, data)) <= {int} or (data and min(data) < 0):
        raise InvalidData("malformed counts")
    return data


class _Scalars:
    def __init__(self, accepted: frozenset[type]) -> None:
        self.accepted = accepted

    def encode(self, values: list[Any]) -> list[Any]:
        if not set(map(type, values)) <= self.accepted:
            raise Unsupported("a value of an unexpected type")
        return list(values)

    def decode(self, data: Any, count: int) -> list[Any]:
        if not set(map(type, _column(data, count))) <= self.accepted:
            raise InvalidData("malformed column")
        return data


class _Optional:
    """Positions of the values that are not None, then those values."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def encode(self, values: list[Any]) -> list[Any]:
        present = [i for i, value in enumerate(values) if value is not None]
        return [present, self.inner.encode([values[i] for i in present])]

    def decode(self, data: Any, count: int) -> list[Any]:
        present, inner = _column(data, 2)
        present = _counts(present)
        if len(set(present)) != len(present) or (present and max(present) >= count):
            raise InvalidData("malformed optional column")
        result: list[Any] = [None] * count
        for position, value in zip(present, self.inner.decode(inner, len(present))):
            result[position] = value
        return result


class _Sequences:
    """The length of each list, then all their items in one column."""

    def __init__(self, inner: Any, rebuild: type) -> None:
        self.inner = inner
        self.rebuild = rebuild

    def encode(self, values: list[Any]) -> list[Any]:
        return [list(map(len, values)), self.inner.encode([item for value in values for item in value])]

    def decode(self, data: Any, count: int) -> list[Any]:
        lengths, inner = _column(data, 2)
        lengths = _column(_counts(lengths), count)
        items = iter(self.inner.decode(inner, sum(lengths)))
        return [self.rebuild(islice(items, length)) for length in lengths]


class _Tuples:
    """Fixed-size tuples, one column per position."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts

    def encode(self, values: list[Any]) -> list[Any]:
        if not all(type(value) is tuple and len(value) == len(self.parts) for value in values):
            raise Unsupported("a malformed tuple")
        return [part.encode([value[i] for value in values]) for i, part in enumerate(self.parts)]

    def decode(self, data: Any, count: int) -> list[Any]:
        columns = [part.decode(column, count) for part, column in zip(self.parts, _column(data, len(self.parts)))]
        return list(zip(*columns)) if count else []


class _Mappings:
    """Mappings with string keys, each stored as an object."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def encode(self, values: list[Any]) -> list[Any]:
        if not all(set(map(type, value)) <= {str} for value in values):
            raise Unsupported("a mapping with keys that are not strings")
        return [dict(zip(value, self.inner.encode(list(value.values())))) for value in values]

    def decode(self, data: Any, count: int) -> list[Any]:
        result = []
        for mapping in _column(data, count):
            if type(mapping) is not dict:
                raise InvalidData("malformed mapping")
            result.append(dict(zip(mapping, self.inner.decode(list(mapping.values()), len(mapping)))))
        return result


class _Anything:
    """YAML values (front matter, cell options), tagged where JSON cannot say them;
    `kind` is the type every value must have (a YAML mapping's keys need not be strings)."""

    def __init__(self, kind: type = object) -> None:
        self.kind = kind

    def encode(self, values: list[Any]) -> list[Any]:
        if not all(isinstance(value, self.kind) for value in values):
            raise Unsupported(f"expected {self.kind.__name__} values")
        return [_encode_any(value) for value in values]

    def decode(self, data: Any, count: int) -> list[Any]:
        values = [_decode_any(item) for item in _column(data, count)]
        if not all(isinstance(value, self.kind) for value in values):
            raise InvalidData(f"expected {self.kind.__name__} values")
        return values


class _Instances:
    """Dataclass instances, one column per stored field (their `Source` is not stored)."""

    def __init__(self, cls: type, fields: list[tuple[str, Any]]) -> None:
        self.cls = cls
        self.fields = fields
        """``(name, codec)``, codec None for a `Source` field."""
        self.stored = [(name, codec) for name, codec in fields if codec is not None]
        immutable = cls.__dataclass_params__.frozen and len(self.stored) == len(fields)
        self.memo: dict[tuple, Any] | None = {} if immutable else None
        """Frozen instances that hold no `Source` are shared between equal values."""

    def encode(self, values: list[Any]) -> list[Any]:
        if not values:
            return []
        if set(map(type, values)) != {self.cls}:
            raise Unsupported(f"expected {self.cls.__name__} values")
        for name, codec in self.fields:
            if codec is None and set(map(id, map(attrgetter(name), values))) != {id(_CURRENT.source)}:
                raise Unsupported(f"{self.cls.__name__} refers to another file's text")
        return [codec.encode(list(map(attrgetter(name), values))) for name, codec in self.stored]

    def decode(self, data: Any, count: int) -> list[Any]:
        if count == 0 and data == []:
            return []
        columns = iter([codec.decode(column, count)
                        for (_, codec), column in zip(self.stored, _column(data, len(self.stored)))])
        arguments = [repeat(_CURRENT.source) if codec is None else next(columns) for _, codec in self.fields]
        if self.memo is None:
            return list(map(self.cls, *arguments))
        return [self._shared(values) for values in zip(*arguments)]

    def _shared(self, values: tuple) -> Any:
        assert self.memo is not None
        try:
            instance = self.memo.get(values)
        except TypeError:  # unhashable values
            return self.cls(*values)
        if instance is None:
            instance = self.memo[values] = self.cls(*values)
        return instance


class _Codecs:
    """The codec of each type hint of the model, built once."""

    def __init__(self) -> None:
        self.instances: dict[type, _Instances] = {}
        self.namespace = {**vars(model_module), **vars(elements_module), **vars(document_module)}

    def for_hint(self, hint: Any) -> Any:
        accepted = _accepted_types(hint)
        if accepted is not None:
            return _Scalars(accepted)
        if hint is Any:
            return _Anything()
        if _optional(hint) is not None:
            return _Optional(self.for_hint(_optional(hint)))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin is list:
            return _Sequences(self.for_hint(args[0]), list)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return _Sequences(self.for_hint(args[0]), tuple)
        if origin is tuple:
            return _Tuples([self.for_hint(arg) for arg in args])
        if origin is dict and args[1] is Any:
            return _Anything(dict)
        if origin is dict and args[0] is str:
            return _Mappings(self.for_hint(args[1]))
        if dataclasses.is_dataclass(hint):
            return self.for_class(hint)
        raise TypeError(f"the cache cannot store fields of type {hint}")

    def for_class(self, cls: type) -> _Instances:
        if cls not in self.instances:
            hints = typing.get_type_hints(cls, globalns=self.namespace)
            fields: list[tuple[str, Any]] = []
            derived = False
            for item in dataclasses.fields(cls):
                if item.metadata.get("derived"):
                    derived = True
                elif derived:
                    raise TypeError(f"{cls.__name__}.{item.name}: derived fields must come last")
                else:
                    hint = hints[item.name]
                    fields.append((item.name, None if hint is Source else self.for_hint(hint)))
            self.instances[cls] = _Instances(cls, fields)
        return self.instances[cls]


class _Current(threading.local):
    """The `Source` of the document being encoded or decoded (elements point at it)."""

    source: Source | None = None


_CURRENT = _Current()


# -- documents --------------------------------------------------------------------------------

_DOCUMENT_FIELDS: dict[str, Any] = {
    "front_matter": dict[str, Any],
    "engine": str,
    "labels": list[elements_module.Label],
    "references": list[elements_module.Reference],
    "floats": list[elements_module.Float],
    "footnote_refs": list[elements_module.FootnoteRef],
    "footnote_defs": list[elements_module.FootnoteDef],
    "inline_notes": list[elements_module.InlineNote],
    "shortcodes": list[elements_module.Shortcode],
    "pictures": list[elements_module.Picture],
    "includes": list[elements_module.Include],
    "raw_tex": list[elements_module.RawTex],
    "headings": list[elements_module.Heading],
    "callouts": list[elements_module.Callout],
    "prose": list[elements_module.Prose],
    "suppressions": list[elements_module.Suppression],
    "problems": list[elements_module.Problem],
    "cells": list[document_module.Cell],
    "links": list[tuple[int, int, str]],
    "definitions": list[document_module.DefinitionItem],
    "other_ids": list[elements_module.Label],
    "block_starts": list[int],
    "default_condition": Condition,
    "_hidden": list[tuple[int, int]],
}
"""Every attribute of a `Document` with its type.  The masked text is not stored (it is as
long as the file): a document read back makes it from its hidden ranges when a rule asks,
and the facts most runs need of it (term matches, word case, numbers typed by hand) are
cached by themselves."""

_NOT_STORED = {"source", "_masked"}


_DEFAULT = None
"""How an attribute that holds its initial value is stored (most documents have no
labels, no notes, no front matter, …): a new `Document` already holds that value."""


@lru_cache(maxsize=1)
def _document_codecs() -> dict[str, tuple[Any, Any]]:
    """``name → (codec, initial value)`` for every stored attribute of a `Document`."""
    codecs = _Codecs()
    initial = vars(Document(Source("", "")))
    return {name: (codecs.for_hint(hint), initial[name]) for name, hint in _DOCUMENT_FIELDS.items()}


def document_to_data(document: Document) -> dict[str, Any]:
    """`document` as plain data (raises `Unsupported` for a value it cannot carry)."""
    codecs = _document_codecs()
    unknown = set(vars(document)) - set(codecs) - _NOT_STORED
    if unknown:
        raise Unsupported(f"unknown document attributes: {', '.join(sorted(unknown))}")
    _CURRENT.source = document.source
    try:
        data = {}
        for name, (codec, initial) in codecs.items():
            value = getattr(document, name)
            data[name] = _DEFAULT if value == initial else codec.encode([value])
        return {"format": FORMAT, **data}
    finally:
        _CURRENT.source = None


def document_from_data(data: Any, source: Source) -> Document:
    """Rebuild the `Document` of `source` from `document_to_data`'s output, validating it."""
    codecs = _document_codecs()
    if type(data) is not dict or data.get("format") != FORMAT or len(data) != len(codecs) + 1:
        raise InvalidData("not a document of this format")
    document = Document(source)
    _CURRENT.source = source
    try:
        for name, (codec, _) in codecs.items():
            if name not in data:
                raise InvalidData(f"missing {name}")
            if data[name] is not _DEFAULT:
                setattr(document, name, codec.decode(data[name], 1)[0])
    except (TypeError, ValueError, RecursionError) as error:  # a dataclass refusing its arguments
        raise InvalidData(str(error)) from None
    finally:
        _CURRENT.source = None
    size = len(source.text)
    if not all(0 <= start <= end <= size for start, end in document._hidden):
        raise InvalidData("hidden range outside the text")
    return document
