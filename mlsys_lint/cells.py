"""Executable cells: which fences are cells, their ``#|`` options, and the floats they make.

Quarto reads option lines (a language's comment token, then ``|``) as YAML from the
contiguous block at the top of a cell; knitr also takes options from the chunk header
(```` ```{r fig-x, fig.cap="…"} ````).  Captions and alt text given there are Markdown,
so references inside them are real.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol

import yaml

from mlsys_lint.attributes import ChunkHeader
from mlsys_lint.document_model import Cell, Document
from mlsys_lint.elements import Condition, Float, Problem, Suppression, Text
from mlsys_lint.inline import InlineScanner

_COMMENT_TOKENS = {
    "//": "ojs js javascript dot cpp c++ java go scala rust csharp c# kotlin swift typescript ts groovy "
          "d php objc objective-c",
    "%%": "mermaid",
    "%": "matlab tikz octave",
    "--": "sql lua haskell ada",
    "!": "fortran",
    "*": "stata",
    ";": "clojure scheme lisp",
    "'": "vb vba",
}
_TOKEN_FOR = {lang: token for token, langs in _COMMENT_TOKENS.items() for lang in langs.split()}
_BLOCK_COMMENT = {"c": ("/*", "*/"), "css": ("/*", "*/")}
_DIAGRAMS = {"mermaid", "dot", "graphviz"}
_SIMPLE_OPTION = re.compile(r"^([A-Za-z_][\w.\-]*):(?:[ \t]+(.*?))?[ \t]*$")
_IGNORE_OPTION = re.compile(r"^\s*mlsys-lint:\s*ignore\b(.*)$")
_KNITR_DOTTED = {"fig.cap": "fig-cap", "fig.alt": "fig-alt", "fig.subcap": "fig-subcap", "fig.scap": "fig-scap",
                 "tbl.cap": "tbl-cap", "fig.lp": "fig-lp"}


class CellReader(Protocol):
    """What the cell functions read of the block scanner (blocks.py), which calls them."""

    text: str
    lines: list[str]
    starts: list[int]
    doc: Document
    scanner: InlineScanner
    block_index: int

    @property
    def condition(self) -> Condition: ...


def option_prefix(language: str) -> str:
    """How an option line starts in a cell of `language`: ``#|``, ``%%|``, ``//|``, ``/*|`` …"""
    if language in _BLOCK_COMMENT:
        return _BLOCK_COMMENT[language][0] + "|"
    return _TOKEN_FOR.get(language, "#") + "|"


@dataclass
class FenceInfo:
    """What a fence's info string says: executable cell, attributed code, raw or plain."""

    kind: str
    language: str = ""


def classify(info: str) -> FenceInfo:
    """Classify a fence info string such as ``{r}``, ``{{python}}``, ``{=html}``, ``python``."""
    info = info.strip()
    if info.startswith("{{"):
        return FenceInfo("escaped", info.strip("{} ").split(" ")[0].split(",")[0].lower())
    if info.startswith("{"):
        inner = info[1:].lstrip()
        if inner.startswith("="):
            return FenceInfo("raw", inner[1:].rstrip("}").strip())
        if inner.startswith((".", "#")) or "=" in inner.split(",")[0].split(" ")[0]:
            return FenceInfo("attributes")
        match = re.match(r"([A-Za-z][\w+\-]*)", inner)
        if match:
            return FenceInfo("executable", match.group(1).lower())
        return FenceInfo("attributes")
    return FenceInfo("plain", info.split(" ")[0].lower())


_HANDLED_LANGUAGES = {"ojs", "mermaid", "dot", "graphviz", "include"}
_CELL_OPENINGS = tuple(re.compile(fence + r"[`~]*[ \t]*\{[ \t]*([A-Za-z][\w+\-]*)(.?)") for fence in ("```", "~~~"))
"""Fences opening an executable cell, ```` ```{python} ````, wherever they stand (each pattern
starts with a literal: a fast search); `_cell_languages` keeps those at the start of a line."""


def detect_engine(front_matter: dict[str, Any], text: str) -> str:
    """The engine Quarto runs a document with: ``knitr``, ``jupyter`` or ``markdown``.

    As quarto-cli's ``markdownExecutionEngine`` (src/execute/engine.ts): an ``engine:`` or
    an engine's own key (``jupyter:``, ``knitr:``) in the front matter wins; else knitr
    claims a document with an ``{r}`` cell; else any executable cell other than the
    handler languages (ojs, mermaid, dot) makes it Jupyter.
    """
    declared = front_matter.get("engine")
    execute = front_matter.get("execute")
    if declared is None and isinstance(execute, dict):
        declared = execute.get("engine")
    if isinstance(declared, str) and declared.lower() in ("knitr", "jupyter", "markdown"):
        return declared.lower()
    for engine in ("knitr", "jupyter"):
        if front_matter.get(engine):
            return engine
    languages = _cell_languages(text)
    if "r" in languages:
        return "knitr"
    if languages - _HANDLED_LANGUAGES:
        return "jupyter"
    return "markdown"


def _cell_languages(text: str) -> set[str]:
    """The languages of the executable cells of `text` (lower case; ``r`` only when followed by a
    space, a comma or ``}``, as knitr's ``{r}``, ``{r label}``, ``{r, echo=FALSE}``)."""
    found: set[str] = set()
    for match in (match for pattern in _CELL_OPENINGS for match in pattern.finditer(text)):
        start = match.start()
        fence = text[start]
        if start and text[start - 1] == fence:
            continue  # inside a longer run of the same character: its first character was tried
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip(" \t>"):
            continue
        if text[start:match.start(1)].rstrip(" \t{").strip(fence):
            continue  # a fence of mixed characters
        language = match.group(1).lower()
        if language == "r" and match.group(2) not in (" ", "\t", ",", "}"):
            language = "r?"
        found.add(language)
    return found


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when available: 5x faster
    """Safe YAML that accepts knitr's ``!expr`` (and any other tag) as a plain value."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return Expression(node.value)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


class Expression(str):
    """An option value computed at render time (``!expr``): present, but not known here."""


_Loader.add_multi_constructor("!", _any_tag)
_Loader.add_multi_constructor("tag:", _any_tag)
for _resolver_key in list(_Loader.yaml_implicit_resolvers):
    _Loader.yaml_implicit_resolvers[_resolver_key] = [
        (tag, regexp) for tag, regexp in _Loader.yaml_implicit_resolvers[_resolver_key]
        if tag not in ("tag:yaml.org,2002:timestamp",)
    ]


def load_yaml(text: str) -> Any:
    """Load YAML with the tolerant loader used for front matter and cell options."""
    return yaml.load(text, Loader=_Loader)


def load_yaml_mapping(body: str, doc: Document, offset: int, what: str,
                      line_starts: list[int] | None = None) -> dict[str, Any]:
    """Load a YAML mapping; a syntax error becomes a ``yaml-error`` problem at its line.

    `line_starts` gives the file offset of each body line when the lines are not contiguous
    in the file (cell options, whose ``#|`` prefixes are not part of the YAML).
    """
    try:
        value = load_yaml(body) if body.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        position = offset
        if mark is not None and line_starts is not None and mark.line < len(line_starts):
            position = line_starts[mark.line] + mark.column
        elif mark is not None:
            lines = body.split("\n")
            position = offset + sum(len(line) + 1 for line in lines[: mark.line]) + mark.column
        reason = getattr(error, "problem", None) or str(error).split("\n")[0]
        size = len(doc.source.text)
        position = min(position, size)  # a mark past the last option line (an error at the end of the file)
        doc.problems.append(Problem("yaml-error", f"{what} is not valid YAML: {reason}", position,
                                    min(position + 1, size)))
        return {}
    if not isinstance(value, dict):
        size = len(doc.source.text)
        doc.problems.append(Problem("yaml-error", f"{what} is not a YAML mapping", min(offset, size),
                                    min(offset + 1, size)))
        return {}
    return value


@dataclass
class OptionLine:
    """One option line: where its YAML content starts in the file."""

    index: int
    content_start: int
    content: str


@dataclass
class ParsedOptions:
    """A cell's options with the lines they came from (for positions)."""

    options: dict[str, Any] = field(default_factory=dict)
    lines: list[OptionLine] = field(default_factory=list)


@lru_cache(maxsize=None)
def _option_line_pattern(token: str) -> re.Pattern[str]:
    """An option line of a language whose comment token is `token` (``#|``, ``//|``, …)."""
    return re.compile(r"^[ \t]*" + re.escape(token) + r"[ \t]*\|[ \t]?")


def read_options(parser: CellReader, first: int, last: int, language: str) -> ParsedOptions:
    """Read the contiguous option block at the top of a cell body (lines `first`..`last`)."""
    pattern = _option_line_pattern(_TOKEN_FOR.get(language, "#"))
    block = _BLOCK_COMMENT.get(language)
    parsed = ParsedOptions()
    index = first
    while index <= last:
        line = parser.lines[index]
        match = pattern.match(line)
        if match is None and block and line.lstrip().startswith(block[0] + "|"):
            match = re.match(r"^[ \t]*" + re.escape(block[0]) + r"\|[ \t]?", line)
        if match is None:
            break
        content = line[match.end():]
        if block and content.rstrip().endswith(block[1]):
            content = content.rstrip()[: -len(block[1])]
        parsed.lines.append(OptionLine(index, parser.starts[index] + match.end(), content))
        index += 1
    if not parsed.lines:
        return parsed
    if parser.doc.engine == "knitr" and not YAML_OPTIONS.match(parsed.lines[0].content):
        parsed.options = csv_options("\n".join(line.content for line in parsed.lines))
        return parsed
    parsed.options = _parse_option_lines(parser, parsed.lines)
    return parsed


YAML_OPTIONS = re.compile(r"^[^ :]+:($|\s)")
"""xfun::divide_chunk (R/knitr.R, called by knitr's partition_chunk): option lines whose first
line looks like ``key:`` are YAML; any others are knitr's "CSV" form (``fig.width = 10,``)."""
_CSV_PART = re.compile(r"""\s*(?:([A-Za-z_.][\w.\-]*)\s*=(?!=)\s*)?(.*)""", re.S)


_CSV_ITEM = re.compile(r"""(?:^|,)[ \t]*(?:([A-Za-z_.][\w.\-]*)[ \t]*=(?!=)[ \t]*)?("[^"\n]*"|'[^'\n]*'|[^,\n]*?)[ \t]*(?=,|$)""")
"""One ``key = value`` (or, first on the first line, a bare label) of a CSV-form option line."""


_CSV_LABEL = re.compile(r"[\w.\-:]+")


def csv_options(text: str) -> dict[str, Any]:
    """knitr's comma-separated options (xfun::csv_options): ``label, fig.cap = "A", echo = FALSE``.

    Values split at commas outside quotes and brackets; a first part without ``=`` is the
    chunk label. Quoted values are strings, ``TRUE``/``FALSE`` booleans, anything else an
    R expression (present, not evaluated).
    """
    options: dict[str, Any] = {}
    for position, part in enumerate(_split_arguments(text)):
        match = _CSV_PART.match(part)
        key, value = match.group(1), match.group(2).strip()
        if key is None:
            label = value.strip("\"'")
            if position == 0 and _CSV_LABEL.fullmatch(label):  # anything else is no option knitr accepts
                options["label"] = label
            continue
        options[key] = _r_value(value)
    return options


def _split_arguments(text: str) -> list[str]:
    """`text` split at the commas of an R argument list (not in strings, brackets or parentheses)."""
    parts, depth, quote, current = [], 0, None, []
    index = 0
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                current.append(text[index:index + 2])
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth <= 0:
            parts.append("".join(current))
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _r_value(value: str) -> Any:
    """knitr's R-syntax option value (``include = FALSE``, ``fig.cap = "A"``)."""
    if value in ("TRUE", "T"):
        return True
    if value in ("FALSE", "F"):
        return False
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return re.sub(r"\s*\n\s*", " ", value[1:-1])
    return Expression(value)


def _parse_option_lines(parser: CellReader, lines: list[OptionLine]) -> dict[str, Any]:
    """Fast path for ``key: scalar`` lines; full YAML for anything else."""
    options: dict[str, Any] = {}
    for line in lines:
        match = _SIMPLE_OPTION.match(line.content)
        value = match.group(2) if match else None
        if match is None or (value and (value[0] in "|>[{&*!\"'-@`%" or ": " in value or " #" in value)):
            body = "\n".join(option.content for option in lines)
            return load_yaml_mapping(body, parser.doc, lines[0].content_start, "cell options",
                                     [option.content_start for option in lines])
        options[match.group(1)] = _scalar(value)
    return options


def _scalar(value: str | None) -> Any:
    if value is None or value == "" or value in ("~", "null"):
        return None
    lowered = value.lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    return value


def _normalise(options: dict[str, Any]) -> dict[str, Any]:
    return {_KNITR_DOTTED.get(str(key), str(key)): value for key, value in options.items()}


def _value_span(parser: CellReader, parsed: ParsedOptions, key: str) -> tuple[int, int] | None:
    """Offsets of the value of option `key` (a block scalar spans its lines)."""
    keys = {key} | {dotted for dotted, dashed in _KNITR_DOTTED.items() if dashed == key}
    if parsed.lines and parser.doc.engine == "knitr" and not YAML_OPTIONS.match(parsed.lines[0].content):
        return _csv_value_span(parsed, keys)
    for position, line in enumerate(parsed.lines):
        match = _SIMPLE_OPTION.match(line.content) or re.match(r"^([A-Za-z_][\w.\-]*):[ \t]*(.*?)[ \t]*$", line.content)
        if not match or match.group(1) not in keys:
            continue
        value = match.group(2) or ""
        if value and value[0] not in "|>":
            start = line.content_start + match.start(2)
            end = line.content_start + match.end(2)
            if value[0] in "\"'" and value[-1] == value[0] and len(value) > 1:
                start, end = start + 1, end - 1
            return start, end
        following = parsed.lines[position + 1 :]
        body = [option for option in following if option.content.startswith((" ", "\t")) or not option.content.strip()]
        taken = []
        for option in following:
            if option in body:
                taken.append(option)
            else:
                break
        taken = [option for option in taken if option.content.strip()]
        if not taken:
            return line.content_start + match.start(2), line.content_start + match.end(2)
        first, last = taken[0], taken[-1]
        start = first.content_start + len(first.content) - len(first.content.lstrip())
        return start, last.content_start + len(last.content.rstrip())
    return None


def _csv_value_span(parsed: ParsedOptions, keys: set[str]) -> tuple[int, int] | None:
    """Offsets of a value written in knitr's CSV form (``label = "fig-a", fig.cap = "A"``); a
    bare first item is the label (xfun::csv_options)."""
    for position, line in enumerate(parsed.lines):
        for item in _CSV_ITEM.finditer(line.content):
            name = item.group(1) or ("label" if position == 0 and item.start() == 0 else None)
            value = item.group(2)
            if name not in keys or not value:
                continue
            start, end = line.content_start + item.start(2), line.content_start + item.end(2)
            if value[0] in "\"'" and value[-1] == value[0] and len(value) > 1:
                start, end = start + 1, end - 1
            return start, end
    return None


def _item_spans(parser: CellReader, span: tuple[int, int] | None, count: int) -> list[tuple[int, int] | None]:
    """Best-effort spans of list items (``[a, b]`` or ``- a`` lines) inside a value span."""
    if span is None:
        return [None] * count
    text = parser.text[span[0] : span[1]]
    found: list[tuple[int, int]] = []
    for match in re.finditer(r"(?:^|\n)[^\n]*?-[ \t]+(\"[^\"\n]*\"|'[^'\n]*'|[^\n]+)", text):
        item_start = span[0] + match.start(1)
        item_end = span[0] + match.end(1)
        value = match.group(1)
        if value[:1] in "\"'":
            item_start, item_end = item_start + 1, item_end - 1
        found.append((item_start, item_end))
    if len(found) != count and text.lstrip().startswith("["):
        found = []
        for match in re.finditer(r"(\"[^\"]*\"|'[^']*'|[^,\[\]\"']+)", text):
            if not match.group().strip():
                continue
            item_start, item_end = span[0] + match.start(), span[0] + match.end()
            while item_start < item_end and parser.text[item_start] == " ":
                item_start += 1
            if parser.text[item_start] in "\"'":
                item_start, item_end = item_start + 1, item_end - 1
            found.append((item_start, item_end))
    if len(found) != count:
        return [span] * count
    return list(found)


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    return None


def build_cell_floats(parser: CellReader, cell: Cell, parsed: ParsedOptions, header: ChunkHeader | None) -> None:
    """Create the labels, figures, tables and listings an executable cell defines."""
    doc = parser.doc
    options = _normalise(parsed.options)
    spans: dict[str, tuple[int, int] | None] = {}
    if header is not None:
        for key, value in header.options.items():
            options.setdefault(key, _header_value(parser.text, value, header.option_spans[key]))
            spans.setdefault(key, header.option_spans[key])
        if header.label and "label" not in options:
            options["label"] = header.label
            spans["label"] = header.label_span
    for key in ("label", "fig-cap", "fig-alt", "fig-subcap", "tbl-cap", "tbl-subcap", "lst-label", "lst-cap"):
        if key in options and key not in spans:
            spans[key] = _value_span(parser, parsed, key)
    cell.options = options
    for line in parsed.lines:
        ignore = _IGNORE_OPTION.match(line.content)
        if ignore is None:
            continue
        codes = tuple(c for c in re.split(r"[\s,\[\]]+", ignore.group(1)) if c)
        doc.suppressions.append(Suppression("cell", codes, cell.first_line, cell.last_line, cell.start,
                                            cell.start + 3, doc.source))
    label = options.get("label")
    label = str(label) if label is not None and not isinstance(label, (list, dict)) else None
    cell.label = label
    if label and _reuses_chunk(parser, cell, parsed, label):
        return
    kind = label.split("-", 1)[0].lower() if label and "-" in label else None
    if kind not in (None, "fig", "tbl"):
        kind = "other"  # `{r my-plot, fig.cap="…"}`: a chunk name, still a figure (unlabelled)
    if not shows_output(options, doc.engine):
        kind = "none"  # no output, so no figure or table: the label defines nothing to refer to
    form = "diagram" if cell.language in _DIAGRAMS else "cell"
    block = parser.block_index + 1
    condition = parser.condition

    def text_of(key: str, value: Any, span: tuple[int, int] | None) -> Text | None:
        if value is None or value is False:
            return None
        if span is None:
            span = (cell.start, cell.start)
        return Text(str(value) if not isinstance(value, bool) else "", span[0], span[1], doc.source,
                    computed=isinstance(value, Expression))

    def scan_caption(span: tuple[int, int] | None, owner: str | None, kind_of_text: str = "caption",
                     inside: str | None = None) -> None:
        if span is None or span[1] <= span[0]:
            return
        for start, end in _line_ranges(parser, span, parsed):
            doc.add_prose(start, end, kind_of_text, block)
            if kind_of_text == "caption":
                result = parser.scanner.scan(start, end, context="caption", block=block, condition=condition)
                for ref in doc.references[result.references[0] : result.references[1]]:
                    ref.in_caption_of = owner
                    ref.inside_float = inside or owner

    def scan_items(span: tuple[int, int] | None, values: list[Any], owners: list[str | None],
                   kind_of_text: str = "caption") -> None:
        """Scan a YAML list's items one by one: a ref in an item belongs to that item's float."""
        item_spans = _item_spans(parser, span, len(values))
        if not values or len(set(item_spans)) < len(item_spans):  # items not located: the whole value
            scan_caption(span, label, kind_of_text)
            return
        for item_span, value, owner in zip(item_spans, values, owners):
            if not isinstance(value, Expression):
                scan_caption(item_span, owner, kind_of_text, inside=label)

    def add_float(type_: str, label_: str | None, caption: Text | None, alt: Text | None, parent: int | None,
                  label_span: tuple[int, int] | None, label_form: str = "cell") -> Float:
        item = Float(type_, form, label_, cell.start, cell.end, doc.source, caption=caption, alt=alt,
                     attributes={k: str(v) for k, v in options.items() if isinstance(v, (str, int, float))},
                     condition=condition, block=block, cell_language=cell.language)
        item.index = len(doc.floats)
        item.parent = parent
        doc.floats.append(item)
        if parent is not None:
            doc.floats[parent].subfloats.append(item.index)
        if label_ is not None and label_span is not None:
            doc.add_label(label_, label_form, label_span[0], label_span[1], condition, item.index, block=block)
        return item

    for type_ in ("fig", "tbl"):
        cap_key, subcap_key, alt_key = f"{type_}-cap", f"{type_}-subcap", f"{type_}-alt"
        is_float = kind == type_ or (cap_key in options and kind in (None, "other"))
        if not is_float:
            continue
        caption_value = options.get(cap_key)
        alt_value = options.get(alt_key) if type_ == "fig" else None
        captions = _as_list(caption_value)
        alts = _as_list(alt_value)
        if captions is not None:
            scan_items(spans.get(cap_key), captions, [f"{label}-{number}" if len(captions) > 1 and label else label
                                                      for number in range(1, len(captions) + 1)])
        elif not isinstance(caption_value, Expression):  # `!expr …` is R code, not Markdown
            scan_caption(spans.get(cap_key), label)
        if alts is not None:
            scan_items(spans.get(alt_key), alts, [label] * len(alts), "alt")
        elif alt_value is not None and not isinstance(alt_value, Expression):
            scan_caption(spans.get(alt_key), label, "alt")
        subcaps = _as_list(options.get(subcap_key))
        if captions is not None and len(captions) > 1 and label:
            cap_spans = _item_spans(parser, spans.get(cap_key), len(captions))
            alt_spans = _item_spans(parser, spans.get(alt_key), len(alts)) if alts else []
            for number, caption in enumerate(captions, 1):
                alt = None
                if alts and number <= len(alts):
                    alt = text_of(alt_key, alts[number - 1], alt_spans[number - 1])
                elif alt_value is not None and alts is None:
                    alt = text_of(alt_key, alt_value, spans.get(alt_key))
                add_float(type_, f"{label}-{number}", text_of(cap_key, caption, cap_spans[number - 1]), alt, None,
                          spans.get("label"), "subcap")
            continue
        if captions is not None:
            caption_value = captions[0] if captions else None
        parent_alt = None if alts is not None and subcaps else text_of(alt_key, alt_value if alts is None else
                                                                      (alts[0] if alts else None), spans.get(alt_key))
        parent = add_float(type_, label if kind == type_ else None, text_of(cap_key, caption_value, spans.get(cap_key)),
                           parent_alt, None, spans.get("label"))
        if type_ == "tbl" and parent.caption is None:
            parent.caption = _caption_in_code(parser, cell)
        if subcaps:
            sub_spans = _item_spans(parser, spans.get(subcap_key), len(subcaps))
            alt_spans = _item_spans(parser, spans.get(alt_key), len(alts)) if alts else []
            scan_items(spans.get(subcap_key), subcaps, [f"{label}-{number}" if label else None
                                                        for number in range(1, len(subcaps) + 1)])
            for number, subcap in enumerate(subcaps, 1):
                alt = text_of(alt_key, alts[number - 1], alt_spans[number - 1]) if alts and number <= len(alts) else (
                    parent.alt)
                add_float(type_, f"{label}-{number}" if label else None,
                          text_of(subcap_key, subcap, sub_spans[number - 1]), alt, parent.index,
                          spans.get("label"), "subcap")
        elif options.get(subcap_key) is True and label:
            parent.attributes["subcap"] = "true"
    if kind not in ("fig", "tbl", "none") and label and spans.get("label"):
        chunk_name = doc.engine == "knitr" and not any(key in options for key in ("fig-cap", "tbl-cap"))
        doc.add_label(label, "chunk-name" if chunk_name else "cell", spans["label"][0], spans["label"][1],
                      condition, block=block)
    listing = options.get("lst-label")
    if listing is not None:
        listing = str(listing)
        caption = text_of("lst-cap", options.get("lst-cap"), spans.get("lst-cap"))
        scan_caption(spans.get("lst-cap"), listing)
        item = Float("lst", "cell", listing, cell.start, cell.end, doc.source, caption=caption,
                     condition=condition, block=block, cell_language=cell.language)
        item.index = len(doc.floats)
        doc.floats.append(item)
        if caption is not None and spans.get("lst-label"):
            doc.add_label(listing, "cell", spans["lst-label"][0], spans["lst-label"][1], condition, item.index,
                          block=block)
    if cell.language not in _DIAGRAMS and kind != "none":
        _output_labels(parser, cell, parsed, condition, block)


def shows_output(options: dict[str, Any], engine: str) -> bool:
    """Whether a cell's output reaches the document (so its figures and tables exist).

    ``include: false`` and ``eval: false`` drop it in both engines (Jupyter: ``includeCell``
    in src/core/jupyter/tags.ts; an unevaluated cell has no outputs); ``output: false`` too
    (Jupyter ``includeOutput``; knitr: Quarto's ``opts_hooks[["output"]]`` in
    src/resources/rmd/hooks.R sets ``results = "hide"`` and ``fig.show = "hide"``);
    ``fig-show: hide`` (``fig.show``) is knitr's alone.
    """
    if any(options.get(key) is False for key in ("include", "eval", "output")):
        return False
    return not (engine == "knitr" and options.get("fig-show", options.get("fig.show")) == "hide")


_CODE_CAPTION = re.compile(r"\bcaption\s*=|\b(?:tab_caption|set_caption)\s*\(")
_CODE_BLOCK_COMMENTS = {"julia": ("#=", "=#"), **{language: ("/*", "*/") for language in (
    "c", "cpp", "c++", "css", "java", "js", "javascript", "ojs", "go", "rust", "scala", "kotlin", "swift",
    "typescript", "ts", "csharp", "c#", "php", "dot", "groovy")}}


def code_lines(parser: CellReader, cell: Cell, skip: set[int] = frozenset()) -> Iterator[tuple[int, str]]:
    """``(line index, text)`` of a cell body's lines with the language's comments blanked.

    Nothing in a comment is code: it prints nothing into the document, so it defines no
    label and sets no caption. Quotes are respected (``"#"`` is no comment); block
    comments (``#= … =#``, ``/* … */``) may span lines. Lines in `skip` are left out.
    """
    token = _TOKEN_FOR.get(cell.language, "#")
    block = _CODE_BLOCK_COMMENTS.get(cell.language)
    in_block = False
    for index in range(cell.first_line, min(cell.last_line - 1, len(parser.lines))):
        line = parser.lines[index]
        kept, in_block = _uncommented(line, token, block, in_block)
        if index not in skip:
            yield index, kept


def _uncommented(line: str, token: str, block: tuple[str, str] | None, in_block: bool) -> tuple[str, bool]:
    """`line` with comments blanked, and whether a block comment is still open after it."""
    out = list(line)
    quote = None
    i = 0
    while i < len(line):
        if in_block:
            close = line.find(block[1], i)
            stop = len(line) if close == -1 else close + len(block[1])
            out[i:stop] = " " * (stop - i)
            i, in_block = stop, close == -1
            continue
        char = line[i]
        if quote is not None:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif block is not None and line.startswith(block[0], i):
            in_block = True
            continue
        elif line.startswith(token, i):
            out[i:] = " " * (len(line) - i)
            break
        i += 1
    return "".join(out), in_block


def _caption_in_code(parser: CellReader, cell: Cell) -> Text | None:
    """A table caption the cell's code sets (``kable(caption = …)``, gt ``tab_caption()``, pandas
    ``set_caption()``): Quarto takes it from the table the code prints."""
    if _CODE_CAPTION.search(parser.text, cell.start, cell.end) is None:
        return None
    for index, code in code_lines(parser, cell):
        match = _CODE_CAPTION.search(code)
        if match is not None:
            start = parser.starts[index] + match.start()
            return Text(match.group(), start, start + len(match.group()), parser.doc.source, computed=True)
    return None


def _header_value(text: str, value: str, span: tuple[int, int]) -> Any:
    """A chunk-header option value: quoted is a string, anything else an R expression."""
    return value if span[0] > 0 and text[span[0] - 1] in "\"'" else _r_value(value)


_OUTPUT_LABEL = re.compile(r"\{#([A-Za-z]+-[\w\-:.]*)[^{}\n]*\}")


def _output_labels(parser: CellReader, cell: Cell, parsed: ParsedOptions, condition, block: int) -> None:
    """Labels the code prints into its Markdown output (``kable(caption = "Cars {#tbl-cars}")``);
    never from the option lines or a comment."""
    if parser.text.find("{#", cell.start, cell.end) == -1:
        return
    for index, code in code_lines(parser, cell, skip={line.index for line in parsed.lines}):
        if "{#" not in code:
            continue
        for match in _OUTPUT_LABEL.finditer(code):
            start = parser.starts[index] + match.start(1)
            parser.doc.add_label(match.group(1), "output", start, start + len(match.group(1)), condition, block=block)


def _reuses_chunk(parser: CellReader, cell: Cell, parsed: ParsedOptions, label: str) -> bool:
    """knitr's chunk reuse: an empty chunk labelled like an earlier one repeats its code, defines nothing."""
    if not any(existing.id == label for existing in parser.doc.labels):
        return False
    option_lines = {line.index for line in parsed.lines}
    return all(i in option_lines or not parser.lines[i].strip() for i in range(cell.first_line, cell.last_line - 1))


def _line_ranges(parser: CellReader, span: tuple[int, int], parsed: ParsedOptions) -> list[tuple[int, int]]:
    """Split a value span that crosses option lines into per-line content ranges."""
    ranges = []
    start, end = span
    if not parsed.lines or start < parser.starts[parsed.lines[0].index]:
        return [span]
    for line in parsed.lines:
        line_start = line.content_start
        line_end = line.content_start + len(line.content)
        lo, hi = max(start, line_start), min(end, line_end)
        if lo < hi:
            ranges.append((lo, hi))
    return ranges or [span]
