"""Property tests: for any text, and for Markdown built from Quarto's constructs, linting
never raises, is deterministic, and every reported position lies inside the file and
points at the text it names.

The generated documents mix what makes a Quarto manuscript hard to read: code fences of
mixed lengths and characters (some left open), nested divs (some left open), attribute
blocks with quotes, cross-references in every form, footnotes, inline notes, HTML
comments hiding fences, math, includes and executable cells with option lines.
Examples are derandomised so CI runs are reproducible; set ``HYPOTHESIS_PROFILE=explore``
for a longer, random search.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "fuzz"))

from invariants import check_diagnostic, check_document  # noqa: E402
from lintkit import book, lint  # noqa: E402
from mlsys_lint.config import Settings  # noqa: E402
from mlsys_lint.document import Document, parse  # noqa: E402
from mlsys_lint.engine import Engine  # noqa: E402
from mlsys_lint.registry import load_rules
from mlsys_lint.inline import InlineScanner, _BACKTICKS, _SHORTCODE  # noqa: E402
from mlsys_lint.model import Source  # noqa: E402
from mlsys_lint.project import Project, Unit  # noqa: E402
from mlsys_lint.reading import UnreadableFile, decode  # noqa: E402

settings.register_profile("ci", max_examples=120, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("explore", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

# -- generated Quarto Markdown ----------------------------------------------------------

TYPES = ["fig", "tbl", "lst", "eq", "sec", "thm", "nte", "Fig", "smith", "vid"]
ident = st.builds("{}-{}".format, st.sampled_from(TYPES), st.sampled_from(["a", "b", "x1", "long-name", "ä"]))
word = st.sampled_from(["text", "the", "Figure", "see", "model", "GPU", "back-prop", "e-mail", "a.b", "x_y", "ünï"])
_REF_FORMS = st.sampled_from(["@{}", "-@{}", "[@{}]", "[-@{}]", "[see @{}, p. 3]", "[@{}; @fig-b]", "@{} [left]",
                              "(@{})", "\\@{}", "x@{}", "`@{}`", "@{}.", "@{}'s"])
reference = st.builds(lambda form, key: form.format(key), _REF_FORMS, ident)
_CLASSES = st.lists(st.sampled_from([".callout-note", ".content-visible", ".x", ".unnumbered", "-"]), max_size=2)
_VALUES = st.lists(st.builds("{}={}".format,
                             st.sampled_from(["fig-cap", "fig-alt", "when-format", "width", "tbl-cap"]),
                             st.sampled_from(['"A caption with @fig-a"', "'single'", "html", '"esc \\" quote"', '"}"',
                                              '""'])), max_size=2)
attributes = st.builds(lambda i, c, v, sep: "{" + sep.join(([("#" + i)] if i else []) + c + v) + "}",
                       st.one_of(st.none(), ident), _CLASSES, _VALUES, st.sampled_from([" ", "\n", "  "]))
_PIECE = st.one_of(
    word, reference,
    st.sampled_from(["[^1]", "[^n]", "[^fn-a]", "[^a b]"]),
    st.builds("^[inline {}]".format, reference),
    st.sampled_from(["$x$", "$5 and $6", "$$a$$", "`code`", "``co`de``", "<!-- c -->", "<b>", "\\[x\\]",
                     "https://x.org/@fig-a", "<https://x.org>", "{{< meta x >}}", "{{{< meta x >}}}", "**bold**",
                     "\\ref{fig:x}", "[link](u.html){#fig-l}", "[span]{#sec-s .x}", "{#fig-loose}", "[", "]", "(",
                     "`", "$", "<!--", "{{<", "!["]),
    st.builds("![{}](p.png){}".format, reference, attributes),
)
inline = st.lists(_PIECE, min_size=1, max_size=6).map(" ".join)
_INFO = st.sampled_from(["", "python", "{r}", "{python}", "{mermaid}", "{=html}", "{{r}}", '{.sql #lst-q lst-cap="Q"}',
                         '{r fig-k, fig.cap="K @fig-a"}', "{ojs}"])
_OPTIONS = st.lists(st.sampled_from(["#| label: fig-c", '#| fig-cap: "Cap @tbl-a"', "#| fig-subcap: [a, b]",
                                     "#| fig-alt: !expr alt", "//| label: fig-o", "%%| label: fig-m",
                                     "#| fig-cap: Plot: bad", "#| lst-label: lst-c", "#| mlsys-lint: ignore CAP"]),
                    max_size=3)


@st.composite
def fence(draw, body) -> str:
    char = draw(st.sampled_from(["`", "~"]))
    length = draw(st.integers(3, 5))
    close_length = draw(st.sampled_from([length, length + 1, length - 1, 0]))
    closing = (draw(st.sampled_from([char, "`" if char == "~" else "~"])) * close_length) if close_length >= 3 else ""
    indent = draw(st.sampled_from(["", "", " ", "   "]))
    return "\n".join([indent + char * length + draw(_INFO), *draw(_OPTIONS), body, indent + closing])


_KINDS = ["para", "heading", "fence", "note", "math", "comment", "include", "table", "image", "list", "quote"]


@st.composite
def block(draw, depth: int = 0) -> str:
    kind = draw(st.sampled_from(_KINDS + (["div", "div"] if depth < 4 else [])))
    if kind == "para":
        return "\n".join(draw(st.lists(inline, min_size=1, max_size=3)))
    if kind == "heading":
        return draw(st.sampled_from(["#", "##", "###"])) + " " + draw(inline) + " " + draw(attributes)
    if kind == "fence":
        return draw(fence(draw(inline)))
    if kind == "note":
        ident_ = draw(st.sampled_from(["1", "n", "fn-a", "a"]))
        glue = draw(st.sampled_from(["", "Paragraph before.\n"]))
        return f"{glue}[^{ident_}]: {draw(inline)}\n\n    {draw(inline)}"
    if kind == "math":
        return "$$\n" + draw(st.sampled_from(["x = 1", "@fig-a", "\n"])) + "\n$$" + draw(
            st.sampled_from(["", " {#eq-x}", "\n{#eq-y}"]))
    if kind == "comment":
        return "<!--\n" + draw(fence("@fig-hidden")) + "\n" + draw(st.sampled_from(["-->", ""]))
    if kind == "include":
        return draw(st.sampled_from(["{{< include _part.qmd >}}", '{{< include "_a b.qmd" >}}', "{{{< include x >}}}"]))
    if kind == "table":
        return "| a | b |\n|---|---|\n| " + draw(inline) + " | [^t] |\n\n" + draw(
            st.sampled_from([": Caption {#tbl-t}", "Table: Other", ": no id", ""]))
    if kind == "image":
        return f"![{draw(inline)}](img.png){draw(attributes)}"
    if kind == "list":
        return "\n".join(draw(st.sampled_from(["- ", "1. ", "   - ", "(@ex) "])) + draw(inline)
                         for _ in range(draw(st.integers(1, 3))))
    if kind == "quote":
        return "> " + draw(inline) + "\n> [^q]: quoted"
    colons = ":" * draw(st.integers(3, 5))
    inner = "\n\n".join(draw(st.lists(block(depth + 1), min_size=0, max_size=3)))
    closing = draw(st.sampled_from([colons, ":::", "::::::", ""]))
    return f"{colons} {draw(attributes)}\n{inner}\n{closing}"


@st.composite
def document(draw) -> str:
    front = draw(st.sampled_from(["", "---\ntitle: T\n---\n\n", "---\ntitle: [bad\n---\n\n", "---\nunclosed: x\n\n"]))
    blocks = draw(st.lists(block(), min_size=1, max_size=8))
    separators = draw(st.lists(st.sampled_from(["\n\n", "\n", "\n\n\n"]), min_size=len(blocks), max_size=len(blocks)))
    text = front + "".join(b + s for b, s in zip(blocks, separators))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


# -- running --------------------------------------------------------------------------

_ENGINE = Engine(Settings(), dict(load_rules()))


def lint_text(text: str, path: str = "/virtual/chapter.qmd"):
    """Parse `text` and run every registered rule on it as a one-file project."""
    try:
        source = decode(text.encode("utf-8", "surrogatepass"), path)
    except UnreadableFile:
        return None, []
    doc = parse(source)
    project = Project(root=Path("/virtual"), kind="default", config={}, config_path=None, units=[],
                      documents={doc.path: doc})
    project.units.append(Unit(doc.path, 0, doc))
    project.options = {"settings": Settings()}
    return doc, _ENGINE.check(project)


def model(doc: Document) -> tuple:
    return (
        [(x.id, x.form, x.start, x.end, x.float_index) for x in doc.labels],
        [(x.key, x.start, x.end, x.in_caption_of, x.inside_float, x.context, x.suppress_prefix) for x in doc.references],
        [(x.type, x.form, x.label, x.start, x.end, x.parent, tuple(x.subfloats)) for x in doc.floats],
        [(x.id, x.start, x.in_note) for x in doc.footnote_refs],
        [(x.id, x.start, x.separated) for x in doc.footnote_defs],
        [(x.kind, x.start, x.end) for x in doc.problems],
        [(x.name, x.start) for x in doc.shortcodes], [(x.target, x.start) for x in doc.includes],
        [(x.kind, x.start, x.end) for x in doc.prose], doc.masked,
    )


def findings(diagnostics) -> list[tuple]:
    return [(d.code, d.span, d.message, d.subject) for d in diagnostics]


def check_run(text: str) -> None:
    doc, diagnostics = lint_text(text)
    if doc is None:
        return
    check_document(doc)
    sources = {doc.path: doc.source}
    for diagnostic in diagnostics:
        check_diagnostic(diagnostic, sources)
        check_points_at_subject(diagnostic, doc.source)
    again_doc, again = lint_text(text)
    assert model(again_doc) == model(doc), "parsing is not deterministic"
    assert findings(again) == findings(diagnostics), "linting is not deterministic"


# Where the span's text must contain the subject (the label, footnote id or term named).
_SUBJECT_IN_SPAN = {"XR001", "XR002", "XR003", "FN001", "FN002", "FN003", "FN004", "FN006"}


def check_points_at_subject(diagnostic, source: Source) -> None:
    span = diagnostic.span
    if diagnostic.code not in _SUBJECT_IN_SPAN or not diagnostic.subject or span.line != span.end_line:
        return
    shown = source.line_text(span.line)[span.column - 1:span.end_column - 1]
    subject = diagnostic.subject
    assert subject[1:] in shown and shown, (
        f"{diagnostic.code} about {subject!r} points at {shown!r} ({span.line}:{span.column})")


@given(document())
def test_generated_quarto_markdown(text: str) -> None:
    check_run(text)


@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    check_run(text)


_PUNCTUATION = "`~:{}[]()#@^$<>!-|*\\\"'=\n .\t"


@given(st.lists(st.sampled_from(list(_PUNCTUATION) + ["fig", "a", "\r", "```", ":::", "$$", "<!--", "-->", "{{<",
                                                     ">}}", "[^", "]:", "#|"]), max_size=200).map("".join))
def test_markdown_punctuation_soup(text: str) -> None:
    check_run(text)


@given(st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    try:
        source = decode(data, "/virtual/x.qmd")
    except UnreadableFile as reason:
        assert "\n" not in str(reason)
        return
    check_document(parse(source))


@given(document(), st.integers(0, 10_000), st.sampled_from(["```", "~~~~", "::: {#fig-z}", "<!--", "$$", "---"]))
def test_an_unclosed_block_anywhere(text: str, at: int, opener: str) -> None:
    lines = text.split("\n")
    at %= len(lines) + 1
    check_run("\n".join(lines[:at] + [opener] + lines[at:]))


def test_a_project_of_generated_chapters(tmp_path: Path) -> None:
    """Through the real project loader: chapters, an include, positions inside each file."""

    @given(st.lists(document(), min_size=2, max_size=3), document())
    @settings(max_examples=25)
    def run(chapters: list[str], part: str) -> None:
        for child in tmp_path.iterdir():
            if child.is_file():
                child.unlink()
        names = {f"c{i}.qmd": text for i, text in enumerate(chapters)}
        root = book(tmp_path, names, extra={"_part.qmd": part})
        for name, text in names.items():  # exact bytes (book() dedents)
            (root / name).write_bytes(text.encode("utf-8"))
        (root / "_part.qmd").write_bytes(part.encode("utf-8"))
        first = lint(root)
        second = lint(root)
        assert findings(first) == findings(second)
        sources = {str(root / n): decode((root / n).read_bytes(), str(root / n)) for n in [*names, "_part.qmd"]}
        for diagnostic in first:
            check_diagnostic(diagnostic, sources)

    run()


# -- the memoised scanner helpers agree with the plain loops they replace ------------------


def _matching_bracket_reference(text: str, pos: int, end: int) -> int:
    depth = 0
    i = pos
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "`":
            run = _BACKTICKS.match(text, i, end).group()
            close = text.find(run, i + len(run), end)
            i = (close + len(run)) if close != -1 else i + len(run)
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return i
        elif char == "\n" and text.startswith("\n", i + 1):
            return -1
        i += 1
    return -1


def _destination_reference(text: str, pos: int, end: int) -> int:
    depth = 0
    i = pos
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif char == "\n" and text.startswith("\n", i + 1):
            return -1
        i += 1
    return -1


def _math_close_reference(text: str, search: int, end: int) -> int:
    while True:
        close = text.find("$", search, end)
        if close == -1 or text[close - 1] != "\\":
            return close
        search = close + 1


_HELPER_TOKENS = st.sampled_from(list("[]()`\\\n$ a>}{<") + ["\n\n", "{{<", ">}}", "``"])


@given(st.lists(_HELPER_TOKENS, max_size=40).map("".join), st.data())
def test_memoised_scanner_helpers_match_the_plain_loops(text: str, data) -> None:
    scanner = InlineScanner(Document(Source("x.qmd", text)))
    positions = sorted(data.draw(st.lists(st.integers(0, max(0, len(text))), max_size=12)))
    for pos in positions:  # queries move forward, as the scanner's do, then jump back
        for end in (len(text), data.draw(st.integers(pos, len(text)))):
            if pos < len(text) and text[pos] == "[":
                assert scanner._matching_bracket(pos, end) == _matching_bracket_reference(text, pos, end)
            if pos < len(text) and text[pos] == "(":
                assert scanner._destination(pos, end) == _destination_reference(text, pos, end)
            if pos >= 1:
                assert scanner._math_close(pos, end) == _math_close_reference(text, pos, end)
            for needle in ("\n\n", ">}}"):
                assert scanner._find_within(needle, pos, end) == text.find(needle, pos, end)
            if text.startswith("{{<", pos):
                match = _SHORTCODE.match(text, pos, end)
                scanner_end = scanner._shortcode(pos, end, "prose")
                assert scanner_end == (match.end() if match else pos + 2)


def test_generated_documents_cover_the_constructs() -> None:
    """A guard that the generator really produces what this file claims to test."""
    seen = set()

    @given(document())
    @settings(max_examples=100)
    def collect(text: str) -> None:
        for name, pattern in {"open-fence": r"^\s*(`{3,}|~{3,})\S*\s*$", "div": r"^:{3,} \{", "cell": r"#\| label",
                              "note": r"\[\^\w+\]:", "math": r"\$\$", "comment": "<!--", "include": "include",
                              "crlf": "\r\n", "citation": r"\[@", "inline-note": r"\^\["}.items():
            if re.search(pattern, text, re.M):
                seen.add(name)

    collect()
    assert seen == {"open-fence", "div", "cell", "note", "math", "comment", "include", "crlf", "citation",
                    "inline-note"}


@pytest.mark.parametrize("text", [
    ":::\x1e\x1e\nx\n:::\n",                         # fuzz: `:::` then a character str.split() calls space
    "[" * 3000 + "a" + "](b)" * 3000,               # recursion through nested links
    "x " * 10 + "<x@" + "a." * 3000,                 # autolink backtracking
    "Text.\n\n```{=latex}",                          # fuzz: unclosed raw LaTeX fence on the last line
    "```{=latex }",
    "---\ntitle: T\n---\n\n```{r}\n#| la: {#fig-a+ \"pp",  # fuzz: YAML error at the end of the file
])
def test_regressions_found_by_fuzzing(text: str) -> None:
    check_run(text)


def _summary(text: str) -> tuple:
    doc = parse(Source("r.qmd", text))
    return (sorted(label.id for label in doc.labels), sorted(ref.key for ref in doc.references),
            sorted((p.kind, p.subject) for p in doc.problems))


@pytest.mark.parametrize("text, labels, references, problems", [
    # Pandoc 3 makes a Figure of a lone image in a list item or block quote (quarto-cli issue-5317)
    ("- ![c](p.png){#fig-a}\n\n> ![d](q.png){#fig-b}\n", ["fig-a", "fig-b"], [], []),
    ("1. text\n   ![c](p.png){#fig-c}\n", [], [], [("inline-image-label", "fig-c")]),
    # a bare URL is text to Pandoc: an `@key` in it (not after a word character) is a citation
    ("See https://x.org/@fig-u and http://a.b/x@fig-no.\n", [], ["fig-u"], []),
    # a `$` after a space ends the math attempt
    ("Costs $5 and see @fig-m for $x$.\n", [], ["fig-m"], []),
    # attributes right after an inline element in a heading are the element's
    ("# ![x](p.png){#fig-h}\n\n# [t](u){#sec-l}\n\n# [t]{#sec-s}\n\n# T (d){#sec-d}\n", ["sec-d", "sec-s"], [],
     [("inline-image-label", "fig-h")]),
    # a div fence glued to a paragraph, a stray `:::`, invalid attributes: text
    ("text\n::: {#thm-a}\nx\n:::\n\n:::\n## H {#sec-h}\n\n::: {#thm-b .x}\ny\n:::\n", ["thm-b"], [],
     [("detached-attributes", "sec-h"), ("detached-attributes", "thm-a")]),
    ("::: {#thm-c x\"}\ny\n:::\n", [], [], [("detached-attributes", "thm-c")]),
    ("| a |\n|---|\n| 1 |\n::: {#thm-t}\nx\n:::\n", ["thm-t"], [], []),  # a table is no paragraph
    # a heading or div fence right below a note's line is lazy text of the note
    ("x[^1]\n\n[^1]: note\n## H {#sec-n}\n", [], [], [("detached-attributes", "sec-n")]),
    # only a fence at the margin interrupts a paragraph
    ("![Cap](a.png){#fig-i}\n ```\nx\n ```\n", [], [], [("inline-image-label", "fig-i")]),
    # only the div's own `<type>-cap` is Markdown
    ("::: {#nte-c tbl-cap=\"See @tbl-x\"}\nNote.\n:::\n", ["nte-c"], [], []),
    # images inside an image, a heading or a table cell are never figures
    ("![a ![b](p.png){#fig-in} c](i.png){#fig-out}\n", ["fig-out"], [], [("inline-image-label", "fig-in")]),
    ("| a |\n|---|\n| ![t](t.png){#fig-cell} |\n", [], [], [("inline-image-label", "fig-cell")]),
])
def test_parser_regressions_found_by_the_pandoc_differential(text, labels, references, problems) -> None:
    assert _summary(text) == (labels, references, problems)
