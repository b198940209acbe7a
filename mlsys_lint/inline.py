"""Inline Markdown scanning: references, footnote markers, images, links, code, math.

The scanner walks one visible text range (a paragraph, a heading, a caption) and
records what Pandoc would see there; everything it hides (code spans, math, link
targets, attribute blocks, citation keys, URLs) is added to the document's hidden
ranges so that words read from prose never come from those places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mlsys_lint.attributes import Attributes, find_attribute_end, parse_attributes
from mlsys_lint.document_model import Document
from mlsys_lint.elements import FootnoteRef, InlineNote, Picture, Problem, RawTex, Reference, Shortcode


_TRIGGER = re.compile(r"\\|`|\$|<|\{\{|!\[|\[|@|\^\[|https?://|\{[#.]")
_BACKTICKS = re.compile(r"`+")
_CITE_KEY = re.compile(r"[\w](?:[\w]|[:.#$%&\-+?<>~/](?=[\w]))*")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9\-]*(?:\s+[^<>]*?)?/?>", re.S)
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*|[^\s<>@]+@(?=[^\s<>@]+>)[^\s<>@]+\.[^\s<>@]+)>")
# (the lookahead rejects an address not closed by `>` in one pass instead of backtracking
# over every `.` of a long run: quadratic on a 200,000-character line)
_URL = re.compile(r"https?://[^\s<>\"'`)\]]*[^\s<>\"'`)\].,;:!?]")
_SHORTCODE = re.compile(r"\{\{<\s*([\w\-]+)(.*?)>\}\}", re.S)
_SHORTCODE_NAME = re.compile(r"\{\{<\s*([\w\-]+)")
_ESCAPED_SHORTCODE = re.compile(r"\{\{\{<.*?>\}\}\}", re.S)
# Scanning helpers that jump with C-level searches; their results are memoised (see
# `_matching_bracket`) so that a long line full of unmatched openers stays linear.
_BRACKET_STOP = re.compile(r"[\[\]\\`\n]")
_PAREN_STOP = re.compile(r"[()\\\n]")
_MATH_CLOSE = re.compile(r"(?<!\\)\$")
_MAX_NESTING = 16
"""Brackets nested deeper than this are scanned flat (no recursion): 5,000 nested links
cannot exhaust the stack, and no reference inside them is lost."""
_SHORTCODE_ARG = re.compile(r"""([\w\-]+)=("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\S+)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\S+)""")
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+)\*?((?:\[[^\]\n]*\])?(?:\{[^{}\n]*\})*)")
_TEX_NAME = re.compile(r"\\([A-Za-z]+)\*?")
_HTML_ATTRIBUTE = re.compile(r"""\s([A-Za-z][\w:\-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


@dataclass
class Image:
    """An inline image as scanned; whether it becomes a figure is decided by its block."""

    start: int
    end: int
    alt_start: int
    alt_end: int
    destination: str
    attrs: Attributes | None
    attr_start: int = -1
    attr_end: int = -1
    references: tuple[int, int] = (0, 0)
    picture: Picture | None = None


@dataclass
class ScanResult:
    """What one scan found that its block needs to decide on (images, equation labels)."""

    images: list[Image] = field(default_factory=list)
    references: tuple[int, int] = (0, 0)
    text_outside_images: bool = False


_SPACE_NEWLINE = re.compile(r"[ \t]*(?:\n[ \t]*)?")
_CITATION_IN = re.compile(r"(?<![\w\\])@[\w{]")


def _has_citation(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds an ``@key`` citation (not an e-mail, not ``\\@``)."""
    return _CITATION_IN.search(text, start, end) is not None


def parse_shortcode_args(body: str) -> tuple[list[str], dict[str, str]]:
    """Split a shortcode's argument text into positional and keyword arguments."""
    args: list[str] = []
    kwargs: dict[str, str] = {}
    for match in _SHORTCODE_ARG.finditer(body):
        if match.group(1):
            kwargs[match.group(1)] = _unquote(match.group(2))
        else:
            args.append(_unquote(match.group(3)))
    return args, kwargs


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].replace("\\" + value[0], value[0])
    return value


class InlineScanner:
    """Scans inline ranges of one document, appending to its element lists."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.text = doc.source.text
        self._brackets: dict[int, dict[int, int]] = {}
        self._parens: dict[int, dict[int, int]] = {}
        self._next_cache: dict[str, tuple[int, int]] = {}
        self._depth = 0

    def _next(self, needle: str, pos: int) -> int:
        """``text.find(needle, pos)``, memoised: queries move forward, so this stays linear."""
        cached = self._next_cache.get(needle)
        if cached is not None and cached[0] <= pos and (cached[1] == -1 or pos <= cached[1]):
            return cached[1]
        found = self.text.find(needle, pos)
        self._next_cache[needle] = (pos, found)
        return found

    def _find_within(self, needle: str, pos: int, end: int) -> int:
        """``text.find(needle, pos, end)`` through the memoised `_next`."""
        found = self._next(needle, pos)
        return found if found != -1 and found + len(needle) <= end else -1

    def scan(
        self,
        start: int,
        end: int,
        *,
        context: str = "prose",
        note: str | None = None,
        block: int = 0,
        condition=None,
        bracketed: bool = False,
    ) -> ScanResult:
        """Scan ``text[start:end]``; returns the images and the range of references added."""
        doc = self.doc
        text = self.text
        result = ScanResult()
        ref_first = len(doc.references)
        pos = start
        cond = condition if condition is not None else doc.default_condition
        self._depth += 1
        flat = self._depth > _MAX_NESTING
        while pos < end:
            match = _TRIGGER.search(text, pos, end)
            if not match:
                break
            pos = match.start()
            token = match.group()
            if flat and (token in ("![", "^[") or token == "[" and not text.startswith("[^", pos)):
                pos += len(token)  # too deeply nested: read the text inside, without recursing
            elif token == "\\":
                pos = self._escape(pos, end, cond)
            elif token == "`":
                pos = self._code_span(pos, end)
            elif token == "$":
                pos = self._math(pos, end, block, cond)
            elif token == "<":
                pos = self._angle(pos, end)
            elif token == "{{":
                pos = self._shortcode(pos, end, context)
            elif token == "![":
                pos = self._image(pos, end, result, context=context, note=note, block=block, condition=cond)
            elif token == "[":
                pos = self._bracket(pos, end, result, context=context, note=note, block=block, condition=cond)
            elif token == "@":
                pos = self._citation(pos, end, bracketed=bracketed, context=context, block=block, condition=cond)
            elif token == "^[":
                pos = self._inline_note(pos, end, block=block, condition=cond)
            elif token.startswith("http"):
                pos = self._url(pos, end)
            else:
                pos = self._stray_attributes(pos, end)
        self._depth -= 1
        result.references = (ref_first, len(doc.references))
        return result

    # -- hidden pieces -------------------------------------------------------------

    def _escape(self, pos: int, end: int, condition=None) -> int:
        text = self.text
        if pos + 1 < end and not text[pos + 1].isalpha():
            self.doc.hide(pos, pos + 2)
            return pos + 2
        match = _TEX_NAME.match(text, pos, end)
        if not match:
            return pos + 1
        command_end = self._tex_arguments(match.end(), end)
        arguments = text[match.end():command_end]
        self.doc.raw_tex.append(
            RawTex(match.group(1), arguments.strip("{}[]"), pos, command_end, self.doc.source,
                   condition if condition is not None else self.doc.default_condition)
        )
        self.doc.hide(pos, command_end)
        return command_end

    def _tex_arguments(self, pos: int, end: int) -> int:
        """End of a TeX command's ``[opt]{arg}{arg}`` (as `_TEX_COMMAND`, without rescanning).

        An argument ends at its closing bracket and may not hold a line break (or, for
        ``{…}``, another brace); the memoised searches keep a long line linear.
        """
        text = self.text
        if pos < end and text[pos] == "[":
            close = self._find_within("]", pos + 1, end)
            if close != -1 and self._find_within("\n", pos + 1, close) == -1:
                pos = close + 1
        while pos < end and text[pos] == "{":
            close = self._find_within("}", pos + 1, end)
            if close == -1 or self._find_within("\n", pos + 1, close) != -1 \
                    or self._find_within("{", pos + 1, close) != -1:
                break
            pos = close + 1
        return pos

    def _code_span(self, pos: int, end: int) -> int:
        text = self.text
        run = _BACKTICKS.match(text, pos, end)
        ticks = run.group()
        search = run.end()
        while True:
            close = text.find(ticks, search, end)
            if close == -1:
                return run.end()
            close_end = close + len(ticks)
            if text[close - 1] != "`" and (close_end >= end or text[close_end] != "`"):
                break
            search = _BACKTICKS.match(text, close, end).end()
        span_end = close_end
        if span_end < end and text[span_end] == "{":
            brace = find_attribute_end(text, span_end, end)
            if brace != -1:
                span_end = brace + 1
        self.doc.hide(pos, span_end)
        return span_end

    def _math(self, pos: int, end: int, block: int, condition) -> int:
        text = self.text
        if text.startswith("$$", pos):
            close = text.find("$$", pos + 2, end)
            if close == -1:
                return pos + 2
            close_end = close + 2
            self.doc.hide(pos, close_end)
            return self._equation_label(close_end, end, block, condition)
        if pos + 1 >= end or text[pos + 1].isspace():
            return pos + 1
        # As Pandoc: the next unescaped `$` closes, unless a space or tab stands before it (then
        # this `$` is text: `$5 and $x$` is "$5 and" and the math x) or a digit after it.
        close = self._math_close(pos + 1, end)
        if close == -1 or text[close - 1] in " \t":
            return pos + 1
        if close + 1 < end and text[close + 1].isdigit():
            return pos + 1
        if self._find_within("\n\n", pos, close) != -1:
            return pos + 1
        self.doc.hide(pos, close + 1)
        return close + 1

    def _math_close(self, search: int, end: int) -> int:
        """Offset of the first `$` at or after `search` not escaped by a backslash."""
        cached = self._next_cache.get("$math")
        if cached is not None and cached[0] <= search and (cached[1] == -1 or search <= cached[1]):
            close = cached[1]
        else:
            match = _MATH_CLOSE.search(self.text, search)
            close = match.start() if match else -1
            self._next_cache["$math"] = (search, close)
        return close if close != -1 and close < end else -1

    def _equation_label(self, pos: int, end: int, block: int, condition) -> int:
        text = self.text
        probe = pos
        while probe < end and text[probe] in " \t":
            probe += 1
        if probe < end and text[probe] == "{":
            close = find_attribute_end(text, probe, end)
            if close != -1:
                attrs = parse_attributes(text, probe + 1, close)
                self.doc.hide(probe, close + 1)
                if attrs.id:
                    self.doc.add_label(attrs.id, "equation", attrs.id_start, attrs.id_end, condition, block=block)
                return close + 1
        return pos

    def _angle(self, pos: int, end: int) -> int:
        text = self.text
        if text.startswith("<!--", pos):
            close = text.find("-->", pos + 4, end)
            if close == -1:
                self.doc.hide(pos, end)
                return end
            self.doc.comment(pos, close + 3)
            return close + 3
        match = _AUTOLINK.match(text, pos, end)
        if match:
            self.doc.hide(pos, match.end())
            return match.end()
        match = _HTML_TAG.match(text, pos, end)
        if match:
            self.doc.hide(pos, match.end())
            if text.startswith(("<img", "<IMG"), pos):
                self._html_image(match)
            return match.end()
        return pos + 1

    def _html_image(self, tag: re.Match) -> None:
        """A raw HTML ``<img>``: Pandoc passes it through as it is written."""
        attributes = {name.lower(): value for name, value in _HTML_ATTRIBUTE.findall(tag.group())}
        if tag.group()[4:5].isalnum() or "src" not in attributes:
            return
        self.doc.pictures.append(Picture(_unquote(attributes["src"]), tag.start(), tag.end(), self.doc.source,
                                         form="html", alt=_unquote(attributes["alt"]) if "alt" in attributes else None))

    def _url(self, pos: int, end: int) -> int:
        if pos > 0 and (self.text[pos - 1].isalnum()):
            return pos + 4
        match = _URL.match(self.text, pos, end)
        if not match:
            return pos + 4
        # Pandoc does not link bare URLs: an `@key` in one (not after a word character) is a citation.
        at = self.text.find("@", pos, match.end())
        while at != -1:
            before = self.text[at - 1]
            if not (before.isalnum() or before in "_\\") and _CITE_KEY.match(self.text, at + 1, end):
                self.doc.hide(pos, at)
                return at
            at = self.text.find("@", at + 1, match.end())
        self.doc.hide(pos, match.end())
        return match.end()

    def _shortcode(self, pos: int, end: int, context: str) -> int:
        text = self.text
        if pos > 0 and text[pos - 1] == "{":
            close = self._find_within(">}}}", pos + 3, end) if text.startswith("{{<", pos) else -1
            match = _ESCAPED_SHORTCODE.match(text, pos - 1, close + 4) if close != -1 else None
            if match:
                self.doc.hide(pos - 1, match.end())
                return match.end()
        name = _SHORTCODE_NAME.match(text, pos, end)
        close = self._find_within(">}}", name.end(), end) if name else -1
        match = _SHORTCODE.match(text, pos, close + 3) if close != -1 else None
        if not match:
            return pos + 2
        args, kwargs = parse_shortcode_args(match.group(2))
        self.doc.shortcodes.append(
            Shortcode(match.group(1), args, kwargs, pos, match.end(), self.doc.source, in_code=context == "code")
        )
        self.doc.hide(pos, match.end())
        return match.end()

    def _stray_attributes(self, pos: int, end: int) -> int:
        text = self.text
        close = find_attribute_end(text, pos, end)
        if close == -1:
            return pos + 1
        attrs = parse_attributes(text, pos + 1, close)
        if attrs.id and pos > 0 and text[pos - 1] in " \t\n":  # a line break is a space too
            self.doc.problems.append(
                Problem("detached-attributes", f"`{{#{attrs.id}}}` is separated from what it labels by a "
                        + ("line break" if text[pos - 1] == "\n" else "space"), pos, close + 1, attrs.id)
            )
        self.doc.hide(pos, close + 1)
        return close + 1

    # -- structures with visible text -----------------------------------------------

    def _matching_bracket(self, pos: int, end: int) -> int:
        """Index of the ``]`` matching the ``[`` at `pos`, skipping code and escapes (-1: none).

        Stops at a blank line.  One left-to-right pass from `pos` to `end` answers for
        every ``[`` it meets (the walk from any of them visits the same positions), so the
        answers are memoised per `end`: a line of 200,000 ``[`` costs one pass, not
        200,000.
        """
        table = self._brackets.setdefault(end, {})
        found = table.get(pos)
        if found is None:
            self._match_pass(pos, end, table, _BRACKET_STOP, "[", "]")
            found = table.get(pos, -1)
        return found

    def _destination(self, pos: int, end: int) -> int:
        """Index after the ``)`` closing a link destination opened at `pos` (-1: none)."""
        table = self._parens.setdefault(end, {})
        found = table.get(pos)
        if found is None:
            self._match_pass(pos, end, table, _PAREN_STOP, "(", ")")
            found = table.get(pos, -1)
        return found if found == -1 else found + 1

    def _match_pass(self, pos: int, end: int, table: dict[int, int], stops: re.Pattern, opener: str,
                    closer: str) -> None:
        """Pair every `opener` in ``text[pos:end]`` with its `closer` (-1 when unmatched).

        Escapes are skipped, and code spans when `stops` finds backticks; a blank line
        leaves everything open before it unmatched.
        """
        text = self.text
        search = stops.search
        stack: list[int] = []
        i = pos
        while True:
            match = search(text, i, end)
            if match is None:
                break
            i = match.start()
            char = text[i]
            if char == "\\":
                i += 2
                continue
            if char == "`":
                run = _BACKTICKS.match(text, i, end).group()
                close = text.find(run, i + len(run), end)
                i = (close + len(run)) if close != -1 else i + len(run)
                continue
            if char == opener:
                stack.append(i)
            elif char == closer:
                if stack:
                    table[stack.pop()] = i
            elif text.startswith("\n", i + 1):
                for open_at in stack:
                    table[open_at] = -1
                stack.clear()
            i += 1
        for open_at in stack:
            table[open_at] = -1

    def _image(self, pos: int, end: int, result: ScanResult, **ctx) -> int:
        text = self.text
        close = self._matching_bracket(pos + 1, end)
        if close == -1 or close + 1 >= end or text[close + 1] != "(":
            return pos + 1  # not an image: the `[` may still start a note, a link, a citation
        dest_end = self._destination(close + 1, end)
        if dest_end == -1:
            return pos + 1
        refs_before = len(self.doc.references)
        inner = self.scan(pos + 2, close, context="caption" if ctx["context"] == "prose" else ctx["context"],
                          note=ctx["note"], block=ctx["block"], condition=ctx["condition"])
        self.not_figures(inner.images, "sits inside another image's text")
        refs_after = len(self.doc.references)
        destination = text[close + 2 : dest_end - 1].strip()
        if not destination.startswith("{{<"):  # a shortcode (`{{< placeholder >}}`) is the path as a whole
            destination = destination.split(" ", 1)[0]
        self.doc.hide(close, dest_end)
        image = Image(pos, dest_end, pos + 2, close, destination, None, references=(refs_before, refs_after))
        if dest_end < end and text[dest_end] == "{":
            brace = find_attribute_end(text, dest_end, end)
            if brace != -1:
                image.attrs = parse_attributes(text, dest_end + 1, brace)
                image.attr_start, image.attr_end = dest_end, brace + 1
                image.end = brace + 1
                self._hide_attributes(dest_end, brace + 1, image.attrs, alt_keys=("fig-alt", "alt"))
        alt = image.attrs.get("fig-alt", image.attrs.get("alt")) if image.attrs else None
        image.picture = Picture(destination, pos, image.end, self.doc.source, description=text[pos + 2:close].strip(),
                                alt=alt, condition=ctx["condition"])
        self.doc.pictures.append(image.picture)
        result.images.append(image)
        return image.end

    def not_figures(self, images: list[Image], where: str) -> None:
        """Record each ``#fig-`` labelled image in `images` as one that is not a figure (it `where`)."""
        for image in images:
            if image.attrs and image.attrs.id and image.attrs.id.lower().startswith("fig-"):
                self.doc.problems.append(Problem(
                    "inline-image-label", f"image labelled `#{image.attrs.id}` {where}, so it is not a figure",
                    image.attrs.id_start - 1, image.attrs.id_end, image.attrs.id))

    def _hide_attributes(self, start: int, end: int, attrs: Attributes, alt_keys=(), caption_keys=()) -> None:
        """Hide an attribute block except the values of caption and alt keys."""
        pos = start
        for key in sorted(alt_keys + caption_keys, key=lambda k: attrs.value_spans.get(k, (end, end))):
            if key not in attrs.value_spans:
                continue
            vstart, vend = attrs.value_spans[key]
            self.doc.hide(pos, vstart)
            self.doc.add_prose(vstart, vend, "alt" if key in alt_keys else "caption")
            pos = vend
        self.doc.hide(pos, end)

    def _bracket(self, pos: int, end: int, result: ScanResult | None = None, **ctx) -> int:
        text = self.text
        if text.startswith("[^", pos):
            close = text.find("]", pos + 2, end)
            ident = text[pos + 2 : close] if close != -1 else ""
            if ident and not any(c.isspace() or c in "[^" for c in ident):
                self.doc.footnote_refs.append(
                    FootnoteRef(ident, pos, close + 1, self.doc.source, in_note=ctx["note"], context=ctx["context"])
                )
                self.doc.hide(pos, close + 1)
                return close + 1
            return pos + 1
        close = self._matching_bracket(pos, end)
        if close == -1:
            return pos + 1
        after = text[close + 1] if close + 1 < end else ""
        if after == "(":
            dest_end = self._destination(close + 1, end)
            if dest_end != -1:
                inner = self.scan(pos + 1, close, **ctx)
                if result is not None:
                    result.images.extend(inner.images)  # a linked image alone in its paragraph is a figure
                self.doc.links.append((pos, dest_end, text[close + 2 : dest_end - 1].strip()))
                self.doc.hide(close, dest_end)
                end_of_link = dest_end
                if dest_end < end and text[dest_end] == "{":
                    brace = find_attribute_end(text, dest_end, end)
                    if brace != -1:
                        self.doc.hide(dest_end, brace + 1)
                        end_of_link = brace + 1
                return end_of_link
        if after == "{":
            brace = find_attribute_end(text, close + 1, end)
            if brace != -1:
                attrs = parse_attributes(text, close + 2, brace)
                self.scan(pos + 1, close, **ctx)
                if attrs.id:
                    self.doc.add_label(attrs.id, "span", attrs.id_start, attrs.id_end, ctx["condition"], block=ctx["block"])
                self.doc.hide(close + 1, brace + 1)
                return brace + 1
        inner = text[pos + 1 : close]
        if "@" in inner and ("@" in inner.split(";")[0] or ";" in inner):
            first = len(self.doc.references)
            self.scan(pos + 1, close, bracketed=True, **ctx)
            self._mark_suffixes(first, close)
            return close + 1
        return pos + 1

    def _mark_suffixes(self, first: int, close: int) -> None:
        """In ``[see @fig-a, left]`` text after a key up to `;`/`]` is a dropped suffix."""
        text = self.text
        for ref in self.doc.references[first:]:
            stop = close
            semi = text.find(";", ref.end, close)
            if semi != -1:
                stop = semi
            if text[ref.end : stop].strip():
                ref.has_suffix = True

    def _citation(self, pos: int, end: int, *, bracketed: bool, context: str, block: int, condition) -> int:
        text = self.text
        start = pos
        suppress = False
        if pos > 0:
            before = text[pos - 1]
            if before == "-":
                if pos > 1 and (text[pos - 2].isalnum()):
                    return pos + 1
                suppress, start = True, pos - 1
            elif before.isalnum() or before in "_\\":
                return pos + 1
        match = _CITE_KEY.match(text, pos + 1, end)
        if not match:
            return pos + 1
        key = match.group()
        key_end = match.end()
        if text.startswith("(@", pos - 1) and self._line_starts_at(pos - 1):
            return key_end
        has_suffix = False
        if not bracketed:
            probe = _SPACE_NEWLINE.match(text, key_end, end).end()  # spaces, at most one line break
            if probe < end and text[probe] == "[" and not text.startswith("[^", probe) and not text.startswith("[@", probe):
                close = self._matching_bracket(probe, end)
                # `@fig-a [see @fig-b]` is a second citation, not a suffix (Pandoc)
                if close != -1 and (close + 1 >= end or text[close + 1] not in "({") and not _has_citation(text, probe, close):
                    has_suffix = True
        self.doc.references.append(
            Reference(key, start, key_end, self.doc.source, bracketed=bracketed, suppress_prefix=suppress,
                      has_suffix=has_suffix, context=context, condition=condition, block=block)
        )
        self.doc.hide(start, key_end)
        return key_end

    def _line_starts_at(self, pos: int) -> bool:
        text = self.text
        while pos > 0 and text[pos - 1] != "\n" and text[pos - 1].isspace():
            pos -= 1
        return pos == 0 or text[pos - 1] == "\n"

    def _inline_note(self, pos: int, end: int, *, block: int, condition) -> int:
        close = self._matching_bracket(pos + 1, end)
        if close == -1 or (close + 1 < end and self.text[close + 1] in "([{"):
            return pos + 1  # `^[text](url)` is a superscripted link, not a note (Pandoc)
        self.doc.inline_notes.append(InlineNote(pos, close + 1, self.doc.source))
        self.doc.hide(pos, pos + 2)
        self.doc.hide(close, close + 1)
        self.scan(pos + 2, close, context="footnote", note="^", block=block, condition=condition)
        return close + 1
