"""The sarif, github, junit and grouped reporters."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from mlsys_lint import plugin
from mlsys_lint.baseline import fingerprint
from mlsys_lint.model import Diagnostic, Fix, Severity, Span
from mlsys_lint.plugin import doc_url
from mlsys_lint.report import Report, renderer

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@plugin.rule("FIG001", "figure-referenced-before-definition", "warning", fixable=False, tags=("figures",),
             url=doc_url("FIG001"))
def fig001(project, options):
    """Figure is referenced before it is defined.

    ## What it does
    Checks that every figure is defined after its first reference.

    ## Why is this bad?
    Readers meet a reference to something they cannot see yet.
    """
    return []


@plugin.rule("GLS001", "glossary-variant", "error", fixable=True)
def gls001(project, options):
    """Term is written in a non-canonical form.

    ## What it does
    Reports variants of glossary terms.
    """
    return []


@plugin.rule("CAP004", "alt-text-too-long", "info")
def cap004(project, options):
    """Alt text is too long."""
    return []


RULES = {rule.code: rule for rule in (fig001, gls001, cap004)}


def diag(code, severity, path, line, column, end_line, end_column, message, subject="", fix=None, source_line=""):
    rule = RULES.get(code)
    name = rule.name if rule else "parse-problem"
    d = Diagnostic(code, name, severity, Span(path, line, column, end_line, end_column), message, subject, fix, "", source_line)
    d.fingerprint = fingerprint(d, source_line)
    return d


def make_report(**extra) -> Report:
    fix = Fix("Use the canonical term", "contents/ch 1.qmd", 3, 5, 3, 13, "backpropagation")
    diagnostics = [
        diag("FIG001", Severity.WARNING, "contents/ch 1.qmd", 1, 10, 1, 22, "See @fig-roofline, before: it is defined", "fig-roofline", source_line="See @fig-roofline."),
        diag("GLS001", Severity.ERROR, "contents/ch 1.qmd", 3, 5, 3, 13, "Use 'backpropagation' instead of 'backprop'", "backpropagation", fix, "the backprop step"),
        diag("FIG001", Severity.WARNING, "contents/ch 1.qmd", 7, 1, 7, 14, "100% wrong\nsecond line", "fig-x", source_line="@fig-x here"),
        diag("CAP004", Severity.INFO, "contents/ch2.qmd", 4, 1, 6, 3, "Alt text is 300 characters long", "fig-y", source_line="![..](y.png)"),
        diag("MSL001", Severity.ERROR, "contents/ch2.qmd", 9, 1, 9, 4, "Unclosed fenced div", source_line=":::"),
    ]
    defaults = dict(
        diagnostics=diagnostics,
        rules=dict(RULES),
        files=["index.qmd", "contents/ch 1.qmd", "contents/ch2.qmd"],
        tool_version="0.1.0",
    )
    defaults.update(extra)
    return Report(**defaults)


def render(name: str, report: Report) -> str:
    out = io.StringIO()
    renderer(name)(report, out)
    return out.getvalue()


@pytest.mark.parametrize("name", ["sarif", "github", "junit", "grouped"])
def test_deterministic(name):
    assert render(name, make_report()) == render(name, make_report())
    assert render(name, make_report()).endswith("\n")


@pytest.mark.parametrize("name", ["sarif", "github", "junit", "grouped"])
def test_empty_report(name):
    text = render(name, make_report(diagnostics=[]))
    if name == "github":
        assert text == ""
    else:
        assert text


# --- SARIF -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("diagnostics", ["all", "none"])
def test_sarif_validates_against_schema(sarif_validator, diagnostics):
    report = make_report() if diagnostics == "all" else make_report(diagnostics=[])
    log = json.loads(render("sarif", report))
    errors = sorted(sarif_validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_content():
    report = make_report()
    log = json.loads(render("sarif", report))
    assert log["version"] == "2.1.0"
    assert log["$schema"].startswith("https://")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mlsys-lint"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(ids) == ["CAP004", "FIG001", "GLS001", "MSL001"]
    fig = driver["rules"][ids.index("FIG001")]
    assert fig["name"] == "figure-referenced-before-definition"
    assert fig["shortDescription"]["text"] == "Figure is referenced before it is defined."
    assert fig["fullDescription"]["markdown"] == fig001.doc
    assert fig["help"]["markdown"] == fig001.doc
    assert fig["helpUri"] == doc_url("FIG001")
    assert fig["defaultConfiguration"]["level"] == "warning"
    assert fig["properties"]["tags"] == ["figures"]
    assert driver["rules"][ids.index("CAP004")]["defaultConfiguration"]["level"] == "note"
    assert "helpUri" not in driver["rules"][ids.index("CAP004")]  # a rule without a `url` has no help link
    assert driver["rules"][ids.index("GLS001")]["defaultConfiguration"]["level"] == "error"

    results = run["results"]
    assert len(results) == len(report.diagnostics)
    for result, d in zip(results, report.diagnostics):
        assert result["ruleId"] == d.code
        assert ids[result["ruleIndex"]] == d.code
        assert result["message"]["text"] == d.message
        assert result["partialFingerprints"] == {"mlsysLint/v1": d.fingerprint}
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert location["region"] == {
            "startLine": d.span.line,
            "startColumn": d.span.column,
            "endLine": d.span.end_line,
            "endColumn": d.span.end_column,
        }
    assert [r["level"] for r in results] == ["warning", "error", "warning", "note", "error"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "contents/ch%201.qmd"
    assert "fixes" not in results[0]
    (fix,) = results[1]["fixes"]
    assert fix["description"]["text"] == "Use the canonical term"
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "contents/ch%201.qmd", "uriBaseId": "%SRCROOT%"}
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 13},
            "insertedContent": {"text": "backpropagation"},
        }
    ]


def test_sarif_windows_paths_and_missing_fingerprint(sarif_validator):
    d = Diagnostic("FIG001", "x", Severity.WARNING, Span("contents\\ch1.qmd", 2, 1, 2, 5), "m", "fig-a", source_line="line")
    log = json.loads(render("sarif", make_report(diagnostics=[d])))
    assert not list(sarif_validator.iter_errors(log))
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "contents/ch1.qmd"
    assert result["partialFingerprints"]["mlsysLint/v1"] == fingerprint(d, "line")


# --- GitHub ----------------------------------------------------------------------


def test_github_annotations():
    lines = render("github", make_report()).splitlines()
    assert lines[0] == (
        "::warning file=contents/ch 1.qmd,line=1,col=10,endLine=1,endColumn=22,"
        "title=FIG001 figure-referenced-before-definition::See @fig-roofline, before: it is defined"
    )
    assert lines[1].startswith("::error file=contents/ch 1.qmd,line=3,col=5,endLine=3,endColumn=13,title=GLS001 glossary-variant::")
    assert lines[2].endswith("::100%25 wrong%0Asecond line")
    # multi-line span: no column properties
    assert lines[3] == "::notice file=contents/ch2.qmd,line=4,endLine=6,title=CAP004 alt-text-too-long::Alt text is 300 characters long"
    assert lines[4].startswith("::error file=contents/ch2.qmd,line=9,col=1,")
    assert len(lines) == 5


def test_github_property_escaping():
    d = Diagnostic("FIG001", "a,b:c", Severity.WARNING, Span("we,ird:dir/f%1.qmd", 1, 1, 1, 2), "msg\r\nx: y, z")
    (line,) = render("github", make_report(diagnostics=[d])).splitlines()
    assert line == "::warning file=we%2Cird%3Adir/f%251.qmd,line=1,col=1,endLine=1,endColumn=2,title=FIG001 a%2Cb%3Ac::msg%0D%0Ax: y, z"


def test_github_stale_baseline_notice():
    text = render("github", make_report(diagnostics=[], stale_baseline=[{"code": "FIG001"}]))
    assert text.startswith("::notice title=mlsys-lint baseline::1 baseline entry no longer match")


# --- JUnit -----------------------------------------------------------------------


def test_junit_structure():
    text = render("junit", make_report())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.split("\n", 1)[1])
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["index.qmd", "contents/ch 1.qmd", "contents/ch2.qmd"]
    index, ch1, ch2 = suites
    assert [c.get("name") for c in index] == ["CAP004", "FIG001", "GLS001"]
    assert all(c.find("failure") is None for c in index)
    assert index.get("tests") == "3" and index.get("failures") == "0"

    cases = {c.get("name"): c for c in ch1}
    assert list(cases) == ["CAP004", "FIG001", "GLS001"]
    assert all(c.get("classname") == "contents/ch 1.qmd" for c in ch1)
    assert cases["CAP004"].find("failure") is None
    failure = cases["FIG001"].find("failure")
    assert failure.get("type") == "FIG001"
    assert failure.get("message").startswith("2 findings of FIG001")
    assert failure.text.splitlines() == [
        "1:10: warning: See @fig-roofline, before: it is defined",
        "7:1: warning: 100% wrong second line",
    ]
    assert ch1.get("failures") == "2"

    # a code that is not a registered rule still gets its test case where it fired
    assert [c.get("name") for c in ch2] == ["CAP004", "FIG001", "GLS001", "MSL001"]
    assert ch2.get("failures") == "2"
    assert root.get("tests") == "10" and root.get("failures") == "4"


def test_junit_control_characters_are_cleaned():
    d = Diagnostic("FIG001", "x", Severity.WARNING, Span("a.qmd", 1, 1, 1, 2), "bad \x00\x07 char")
    text = render("junit", make_report(diagnostics=[d]))
    ET.fromstring(text.split("\n", 1)[1])


# --- grouped ---------------------------------------------------------------------


def test_grouped_output():
    assert render("grouped", make_report()) == (
        "contents/ch 1.qmd:\n"
        "  1:10 FIG001 See @fig-roofline, before: it is defined\n"
        "  3:5 GLS001 Use 'backpropagation' instead of 'backprop'\n"
        "  7:1 FIG001 100% wrong second line\n"
        "\n"
        "contents/ch2.qmd:\n"
        "  4:1 CAP004 Alt text is 300 characters long\n"
        "  9:1 MSL001 Unclosed fenced div\n"
        "\n"
        "Found 5 findings (2 errors, 2 warnings, 1 info) in 2 files.\n"
        "1 fixable with --fix.\n"
    )


def test_grouped_summary_counts_unsafe_fixes_apart():
    unsafe = Fix("Use the canonical term", "contents/ch2.qmd", 4, 1, 4, 4, "alt", safe=False)
    extra = diag("CAP004", Severity.INFO, "contents/ch2.qmd", 4, 1, 4, 4, "Alt", fix=unsafe)
    text = render("grouped", make_report(diagnostics=make_report().diagnostics + [extra]))
    assert text.endswith("1 fixable with --fix (1 more with --unsafe-fixes).\n")
    assert render("grouped", make_report(diagnostics=[extra])).endswith("1 fixable with --fix --unsafe-fixes.\n")


def test_grouped_clean_and_extras():
    text = render("grouped", make_report(diagnostics=[], fixed=3, stale_baseline=[{}, {}]))
    assert text == (
        "All checks passed.\n"
        "Fixed 3 findings.\n"
        "2 stale baseline entries: rewrite the baseline with --write-baseline.\n"
    )
    assert "\x1b[" not in render("grouped", make_report(color=True))


def test_statistics_rows():
    text = render("statistics", make_report(statistics=True))
    rows = text.splitlines()
    assert rows[0].split() == ["2", "FIG001", "figure-referenced-before-definition", "warning", "in", "1", "file"]
    assert rows[1].split()[:3] == ["1", "CAP004", "alt-text-too-long"]
    assert "1 fixable" in next(row for row in rows if "GLS001" in row)
    assert "@fig" not in text


def test_full_format_shows_a_window_of_a_long_line_with_the_caret_under_the_span():
    line = ("word " * 300) + "@fig-missing" + (" tail" * 300)  # 3,012 characters
    column = line.index("@fig-missing") + 1
    finding = diag("FIG001", Severity.WARNING, "ch.qmd", 1, column, 1, column + 12, "does not resolve", "fig-missing",
                   source_line=line)
    report = make_report(diagnostics=[finding], sources={"ch.qmd": [line]}, color=False)
    rows = render("full", report).splitlines()
    at = next(index for index, row in enumerate(rows) if row.startswith("1 | "))
    source, carets = rows[at][len("1 | "):], rows[at + 1][len("1 | "):]
    assert source.startswith("…") and source.endswith("…") and len(source) <= 102
    start = carets.index("^")
    assert carets.count("^") == 12 and source[start:start + 12] == "@fig-missing"


def test_full_format_keeps_a_short_line_whole():
    finding = diag("FIG001", Severity.WARNING, "ch.qmd", 1, 5, 1, 17, "m", "fig-x", source_line="See @fig-missing.")
    report = make_report(diagnostics=[finding], sources={"ch.qmd": ["See @fig-missing."]}, color=False)
    assert "1 | See @fig-missing.\n" in render("full", report)


def _rich_block(console, diagnostic, lines, url):
    """The full format's block as it was printed with `rich` markup, one `print` per finding (the
    oracle the direct writer must match)."""
    from rich.markup import escape

    from mlsys_lint.report.full import _STYLE, _caret_line

    style = _STYLE[diagnostic.severity]
    code = f"[link={url}]{diagnostic.code}[/link]" if url else diagnostic.code
    span = diagnostic.span
    gutter = len(str(span.line))
    rows = [f"[{style}]{diagnostic.severity}[{code}][/{style}] [dim]{diagnostic.name}[/dim]: "
            f"[bold]{escape(diagnostic.message)}[/bold]",
            f"{' ' * gutter}[blue]-->[/blue] {escape(span.path)}:{span.line}:{span.column}"]
    if lines is not None and 0 < span.line <= len(lines):
        shown, carets = _caret_line(diagnostic, lines[span.line - 1])
        rows += [f"{' ' * gutter} [blue]|[/blue]", f"[blue]{span.line} |[/blue] {escape(shown)}",
                 f"{' ' * gutter} [blue]|[/blue] [{style}]{carets}[/{style}]"]
    if diagnostic.fix is not None:
        rows.append(f"{' ' * gutter} [blue]=[/blue] [green]fix:[/green] {escape(diagnostic.fix.title)}")
    console.print("\n".join(rows) + "\n")


@pytest.mark.parametrize("color", [False, True])
def test_full_format_blocks_are_those_rich_printed(color, monkeypatch):
    from rich.console import Console

    monkeypatch.delenv("NO_COLOR", raising=False)

    from mlsys_lint.report import help_url

    fix = Fix("Use\t'x' [bold]", "a b.qmd", 2, 1, 2, 4, "x")
    odd = [
        diag("GLS001", Severity.ERROR, "a b.qmd", 2, 1, 2, 4, "tab\there [red]not markup[/red]\nsecond\tline", "x", fix),
        diag("FIG001", Severity.WARNING, "a b.qmd", 3, 2, 5, 1, "form\x0cfeed and bell\x07, then\r return", "fig-x"),
        diag("MSL001", Severity.ERROR, "a b.qmd", 40, 1, 40, 2, "past the end of the file"),
        diag("CAP004", Severity.INFO, "sub/c.qmd", 1, 1, 1, 2, "", "fig-y"),
        diag("XR999", Severity.WARNING, "a b.qmd", 4, 3, 4, 9, "no help page, so no link\n\nafter a blank line"),
    ]
    sources = {"a b.qmd": ["---", "backprop\tand\x0c [x]", "  ![cap](x.png)", "a\tb\t@fig-z here", "", ""],
               "sub/c.qmd": ["é" * 150 + "@fig-y" + "\t" * 3]}
    report = make_report(diagnostics=make_report().diagnostics + odd, sources=sources, color=color)
    expected = io.StringIO()
    console = Console(file=expected, force_terminal=color, no_color=not color, highlight=False, soft_wrap=True,
                      emoji=False)
    for finding in report.diagnostics:
        _rich_block(console, finding, sources.get(finding.span.path), help_url(report, finding.code))
    shown = render("full", report)
    assert _joined_styles(shown).startswith(_joined_styles(expected.getvalue()))
    assert ("\x1b[" in shown) is color


def _joined_styles(text):
    """`text` with a style closed and at once reopened written as one run (rich cuts runs at tabs),
    and hyperlinks without rich's random ids."""
    text = re.sub(r"\x1b\]8;id=\d+;", "\x1b]8;;", text)
    while True:
        joined = re.sub(r"\x1b\[([\d;]+)m([^\x1b]*)\x1b\[0m\x1b\[\1m", lambda m: f"\x1b[{m[1]}m{m[2]}", text)
        if joined == text:
            return text
        text = joined


def test_full_format_writes_findings_without_a_rich_print_each(monkeypatch):
    from rich.console import Console

    prints = []
    original = Console.print
    monkeypatch.setattr(Console, "print", lambda self, *args, **kwargs: prints.append(1) or original(self, *args, **kwargs))
    many = [diag("FIG001", Severity.WARNING, "ch.qmd", 1, n + 1, 1, n + 2, "m", f"fig-{n}") for n in range(1200)]
    text = render("full", make_report(diagnostics=many, sources={"ch.qmd": ["x" * 1300]}, color=False))
    assert text.count("warning[FIG001]") == 1200
    assert len(prints) < 5
