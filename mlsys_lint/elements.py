"""The elements of a parsed manuscript: labels, cross-references, floats and their
captions, footnotes, shortcodes, includes, headings, callouts, prose runs, suppression
comments and the problems the parser met, and the conditions (``.content-visible``) they
sit in.  Offsets are into their file's `mlsys_lint.model.Source` text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlsys_lint.model import Source, Span

if TYPE_CHECKING:
    from mlsys_lint.document_model import Document

CROSSREF_TYPES: frozenset[str] = frozenset(
    "fig tbl lst eq sec thm lem cor prp cnj def exm exr alg prf rem sol nte tip wrn imp cau".split()
)
"""Quarto's built-in cross-reference prefixes (custom types come from `crossref: custom:`)."""

FLOAT_TYPES: frozenset[str] = frozenset({"fig", "tbl", "lst"})


@dataclass(frozen=True)
class Condition:
    """Conditional content (`.content-visible`/`.content-hidden`) an element sits in.

    Each clause is ``(visible, attribute, values)``, e.g. ``(True, "when-format", ("html",))``;
    nested conditions add clauses.
    """

    clauses: tuple[tuple[bool, str, tuple[str, ...]], ...] = ()

    def visible(self, fmt: str, profile: str) -> bool:
        """Whether the content shows when rendering output format `fmt` (as configured,
        ``titlepage-pdf`` too) with `profile` active (Quarto's ``propertiesMatch``)."""
        for visible, attribute, values in self.clauses:
            if attribute.endswith("format"):
                matched = any(format_is(fmt, value) for value in values)
            else:
                matched = profile in values
            shown = matched if attribute.startswith("when") else not matched
            if shown != visible:
                return False
        return True

    def exclusive_with(self, other: "Condition") -> bool:
        """True when no format/profile shows both pieces of content."""
        if not self.clauses or not other.clauses:
            return False
        formats = {"html", "pdf", "beamer", "epub", "docx", "typst", "revealjs", "gfm", "dashboard", "other"}
        profiles = {"", "other"}
        for cond in (self, other):
            for _, attribute, values in cond.clauses:
                if attribute.endswith("format"):
                    formats.update(value for value in values if value in PANDOC_FORMATS)
                else:
                    profiles.update(values)
        return not any(
            self.visible(f, p) and other.visible(f, p) for f in formats for p in profiles
        )

    def nest(self, clauses: tuple[tuple[bool, str, tuple[str, ...]], ...]) -> "Condition":
        return Condition(self.clauses + clauses)


PANDOC_FORMATS = frozenset("""
    asciidoc asciidoctor beamer biblatex bibtex chunkedhtml commonmark commonmark_x context csljson docbook
    docbook4 docbook5 docx dokuwiki dzslides epub epub2 epub3 fb2 gfm haddock html html4 html5 icml ipynb jats
    jats_archiving jats_articleauthoring jats_publishing jira json latex man markdown markdown_github
    markdown_mmd markdown_phpextra markdown_strict markua mediawiki ms muse native odt opendocument opml org
    pdf plain pptx revealjs rst rtf s5 slideous slidy tei texinfo textile typst xwiki zimwiki md
    dashboard email""".split())
"""Quarto's built-in output formats (``format-aliases.yml`` ``pandoc-all`` plus dashboard, email)."""
_WRITER = {"pdf": "latex", "dashboard": "html", "email": "html", "md": "markdown"}
_LATEX = ("latex", "beamer", "pdf")
_EPUB = ("epub", "epub2", "epub3")
_HTML = ("html", "html4", "html5", *_EPUB, "s5", "dzslides", "slidy", "slideous", "revealjs")
_MARKDOWN = ("markdown", "markdown_github", "markdown_mmd", "markdown_phpextra", "markdown_strict", "gfm",
             "commonmark", "commonmark_x", "markua")


def base_format(name: str) -> str:
    """Quarto's ``parseFormatString(name).baseFormat``: ``titlepage-pdf`` → ``pdf``,
    ``html+smart`` → ``html``, ``acm-2023-pdf`` → ``pdf``, ``gfm-raw_html`` → ``gfm``."""
    first = re.split(r"[+-]", name, maxsplit=1)[0]
    if first in PANDOC_FORMATS or name.endswith(".lua"):
        return first
    last = ("hugo-md" if name == "hugo" else name).rsplit("-", 1)[-1]
    first = re.split(r"[+-]", last, maxsplit=1)[0]
    return first if first in PANDOC_FORMATS else last


def format_is(output: str, wanted: str) -> bool:
    """Whether rendering to output format `output` (any configured name) counts as format
    `wanted` in ``when-format``/``unless-format``: Quarto's ``quarto.format.is_format``.

    The Pandoc writer must be `wanted`, or `wanted` an alias: ``latex``/``pdf`` (LaTeX,
    beamer), ``html`` (HTML, EPUB, HTML slides), ``html:js`` (not EPUB), ``epub*``,
    ``markdown`` (its flavours), ``odt``/``opendocument``, ``asciidoc``; ``dashboard``,
    ``email`` and ``gfm`` name the base format, ``hugo-md`` the whole name.
    """
    base = base_format(output)
    writer = _WRITER.get(base, base)
    if writer == wanted:
        return True
    aliases = {"latex": _LATEX, "pdf": _LATEX, "odt": ("odt", "opendocument"), "opendocument": ("odt", "opendocument"),
               "html": _HTML, "markdown": _MARKDOWN, "asciidoc": ("asciidoc", "asciidoctor"),
               "asciidoctor": ("asciidoc", "asciidoctor"), "ipynb": ("ipynb",)}
    if wanted in aliases:
        return writer in aliases[wanted]
    if "epub" in wanted:
        return writer in _EPUB
    if wanted == "html:js":
        return writer in _HTML and writer not in _EPUB
    if wanted in ("dashboard", "email", "gfm"):
        return base == wanted
    if wanted in ("hugo-md", "hugo"):
        return output in ("hugo-md", "hugo")
    return False


@dataclass
class Label:
    """A cross-reference target definition, e.g. ``{#fig-x}`` or ``#| label: fig-x``.

    `form` says how it was written: image, div, cell, knitr, subcap, heading, equation,
    table-caption, code, embed, raw-latex, span, output (printed by a cell's code).
    """

    id: str
    type: str
    form: str
    start: int
    end: int
    source: Source
    condition: Condition = field(default_factory=Condition)
    float_index: int | None = None

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class Reference:
    """An ``@key`` citation whose key might be a cross-reference.

    `in_caption_of` is the label of the float whose caption (or div) holds the reference;
    `key` is the key as written (the first character is case-folded at resolution).
    """

    key: str
    start: int
    end: int
    source: Source
    bracketed: bool = False
    suppress_prefix: bool = False
    has_suffix: bool = False
    in_caption_of: str | None = None
    inside_float: str | None = None
    context: str = "prose"
    condition: Condition = field(default_factory=Condition)
    block: int = 0

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)

    @property
    def lookup_key(self) -> str:
        """The key Quarto looks up: only the first character is lower-cased."""
        return self.key[:1].lower() + self.key[1:]


@dataclass
class Text:
    """A piece of Markdown text (a caption, alt text) with where it stands.

    `computed` is True when the value is an R expression knitr evaluates at render time
    (``#| fig-cap: !expr …``, ``fig.cap=caption_var``): present, but its text is unknown.
    """

    value: str
    start: int
    end: int
    source: Source
    computed: bool = False

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class Float:
    """A figure, table or listing (or custom float) as Quarto would build it.

    `form` is image, div, cell, knitr, diagram, embed, table, code, raw-latex.
    `caption` is None when there is none; `caption_attribute` is a ``fig-cap=`` that a
    caption paragraph overrides.  `alt` is None when none is given;
    ``Text("")`` is an explicitly empty alt.  `subfloats` are indexes into the document's
    float list; `parent` is the index of the enclosing float.
    """

    type: str
    form: str
    label: str | None
    start: int
    end: int
    source: Source
    caption: Text | None = None
    caption_attribute: Text | None = None
    alt: Text | None = None
    classes: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    parent: int | None = None
    subfloats: list[int] = field(default_factory=list)
    images: list[Text] = field(default_factory=list)
    condition: Condition = field(default_factory=Condition)
    block: int = 0
    index: int = 0
    cell_language: str | None = None

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class FootnoteRef:
    """A ``[^id]`` footnote marker."""

    id: str
    start: int
    end: int
    source: Source
    in_note: str | None = None
    context: str = "prose"

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class FootnoteDef:
    """A ``[^id]: text`` footnote definition.

    `separated` is False when the line directly follows a paragraph line (Pandoc then
    prints the marker literally, and its text is scanned as paragraph prose);
    `container` is "list" or "blockquote" when nested.
    """

    id: str
    start: int
    end: int
    body: Text
    source: Source
    separated: bool = True
    container: str | None = None

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class InlineNote:
    """A ``^[text]`` inline footnote."""

    start: int
    end: int
    source: Source


@dataclass
class Picture:
    """An image the document shows: Markdown ``![description](path){…}`` or raw HTML ``<img src>``.

    `description` is the bracket text (empty for HTML); `alt` the value of an ``alt=`` or
    ``fig-alt=`` attribute (Quarto turns ``fig-alt`` into ``alt``), None when there is none;
    `figure` is set when the image becomes a figure of its own (a lone image with a caption
    or a figure label), whose alt text CAP002 checks.
    """

    path: str
    start: int
    end: int
    source: Source
    form: str = "markdown"
    description: str = ""
    alt: str | None = None
    figure: bool = False
    condition: Condition = field(default_factory=Condition)

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class Shortcode:
    """A ``{{< name args >}}`` shortcode (include, embed, glossary, …)."""

    name: str
    args: list[str]
    kwargs: dict[str, str]
    start: int
    end: int
    source: Source
    in_code: bool = False

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class Include:
    """An ``{{< include path >}}`` with the file it names.

    `resolved` is the included `Document`, set when the project follows the include
    (None when the target is missing, in a cycle, in code, or not followed); it is not
    part of the parsed document, so the cache does not store it.
    """

    target: str
    start: int
    end: int
    source: Source
    in_code: bool = False
    condition: Condition = field(default_factory=Condition)
    resolved: "Document | None" = field(default=None, compare=False, repr=False, metadata={"derived": True})

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class RawTex:
    """An inline raw TeX command such as ``\\ref{fig:x}`` or ``\\index{term}``."""

    command: str
    argument: str
    start: int
    end: int
    source: Source
    condition: Condition = field(default_factory=Condition)


@dataclass
class Heading:
    """An ATX or setext heading with its text range and attributes."""

    level: int
    text: Text
    id: str | None
    classes: tuple[str, ...]
    start: int
    end: int
    block: int = 0


@dataclass
class Callout:
    """A callout: a div with a ``callout`` or ``callout-*`` class.

    `title` is what Quarto takes as its title (quarto-cli customnodes/callout.lua): the
    ``title`` attribute when it is not empty, else a heading that is the callout's first
    block (``resolveHeadingCaption``), else None; `title_from` says which (``attribute``,
    ``heading`` or "").
    """

    kind: str
    start: int
    end: int
    source: Source
    title: Text | None = None
    title_from: str = ""
    condition: Condition = field(default_factory=Condition)

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class Prose:
    """A run of visible Markdown text rules may read words from.

    `kind` is paragraph, heading, caption, alt, table, list, footnote, definition-term,
    definition.  Hidden parts inside it (code, math, link targets, …) are blanked in
    `Document.masked`.
    """

    start: int
    end: int
    kind: str
    block: int = 0


@dataclass
class Suppression:
    """An inline ``mlsys-lint:`` comment: which codes, over which lines."""

    action: str
    codes: tuple[str, ...]
    first_line: int
    last_line: int
    start: int
    end: int
    source: Source

    @property
    def span(self) -> Span:
        return self.source.span(self.start, self.end)


@dataclass
class Problem:
    """A structural fact found while parsing that some rule may report.

    `kind` names it neutrally (unclosed-fence, yaml-error, detached-attributes,
    inline-image-label, example-list-label, …); rules map kinds to codes.
    """

    kind: str
    message: str
    start: int
    end: int
    subject: str = ""
