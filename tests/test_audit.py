"""`mlsys-lint audit figures`: the figure narrative report, its data, Markdown and HTML forms."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from lintkit import book, CORPORA
from mlsys_lint.audit import about_figures, figure_audit, render_html, render_markdown, sentence_at
from mlsys_lint.cli import main
from mlsys_lint.config import Settings
from mlsys_lint.document import parse
from mlsys_lint.model import Source

SAMPLE = CORPORA / "mlsysbook-sample"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

CHAPTERS = {
    "index.qmd": "# Intro\n\nAs @fig-one shows, things grow. Later @fig-two-b matters.\n\n"
                 "![Growth of things.](one.png){#fig-one fig-alt=\"A rising line.\"}\n\n"
                 "Also @fig-missing.\n",
    "two.qmd": "# Second\n\n::: {#fig-two layout-ncol=2}\n![A](a.png){#fig-two-a fig-alt=\"Bars.\"}\n\n"
               "![B](b.png){#fig-two-b fig-alt=\"Dots.\"}\n\n"
               "Two panels; compare @fig-two-a.\n:::\n\nThe panels in @fig-two differ. Then @fig-one again.\n\n"
               "![Lonely.](l.png){#fig-lonely fig-alt=\"A tree.\"}\n",
}


def run(args: list[str], cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)


def test_audit_lists_figures_in_book_order_with_references_and_findings(tmp_path):
    root = book(tmp_path, CHAPTERS)
    audit = figure_audit([root], Settings(), base=root)
    assert [(c.title, c.path, len(c.figures), c.references, c.problems) for c in audit.chapters] == [
        ("Intro", "index.qmd", 1, 3, 1), ("Second", "two.qmd", 2, 3, 1)]
    one, two, lonely = [f for c in audit.chapters for f in c.figures]
    assert (one.number, one.label, one.location, one.caption, one.alt) == (
        1, "fig-one", "index.qmd:5:32", "Growth of things.", "A rising line.")
    assert [(r.key, r.location, r.context, r.position, r.sentence) for r in one.references] == [
        ("@fig-one", "index.qmd:3:4", "prose", "before the figure", "As @fig-one shows, things grow."),
        ("@fig-one", "two.qmd:11:37", "prose", "after the figure", "Then @fig-one again.")]
    assert (two.label, two.subfigures, two.caption, two.alt) == ("fig-two", ["fig-two-a", "fig-two-b"],
                                                                 "Two panels; compare @fig-two-a.", "Bars.; Dots.")
    assert [(r.key, r.position, r.notes) for r in two.references] == [
        ("@fig-two-b", "before the figure", []),
        ("@fig-two-a", "inside the figure", ["in the figure's own caption or div: does not count"]),
        ("@fig-two", "after the figure", [])]
    assert [(f.code, f.location) for f in lonely.findings] == [("FIG002", "two.qmd:13:20")]
    assert [(r.key, r.location, [f.code for f in r.findings]) for r in audit.chapters[0].unresolved] == [
        ("@fig-missing", "index.qmd:7:6", ["XR001"])]
    assert audit.codes() == {"FIG002": 1, "XR001": 1}


def test_audit_notes_which_reference_is_late_and_which_are_captions_only(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\n![Roof.](r.png){#fig-roof fig-alt=\"Lines.\"}\n\n"
                                        "![Kernels; compare @fig-roof.](k.png){#fig-k fig-alt=\"Dots.\"}\n\n"
                                        "See @fig-k.\n"})
    audit = figure_audit([root], Settings(), base=root)
    roof, kernels = audit.chapters[0].figures
    assert [f.code for f in roof.findings] == ["FIG001", "FIG003"]
    assert roof.references[0].notes == ["FIG001: the first reference comes after the figure",
                                        "FIG003: only captions refer to the figure"]
    assert roof.references[0].context == "caption"
    assert [f.code for f in kernels.findings] == ["FIG001"]


def test_audit_respects_rule_options_from_the_configuration(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\n![Roof.](r.png){#fig-roof}\n\n@fig-roof shows it.\n"},
                extra={".mlsys-lint.yml": "rules:\n  FIG001: {allow-following-paragraphs: 1}\n"})
    assert "FIG001" not in run(["audit", "figures", str(root)], root).output
    (root / ".mlsys-lint.yml").unlink()
    assert "**FIG001** (warning)" in run(["audit", "figures", str(root)], root).output


def test_sentence_is_cut_at_sentence_boundaries():
    doc = parse(Source("t.qmd", "First one. As @fig-a shows, e.g. here! Last one.\n"))
    assert sentence_at(doc, doc.references[0].start) == "As @fig-a shows, e.g. here!"


def test_markdown_and_html_forms(tmp_path):
    root = book(tmp_path, CHAPTERS)
    audit = figure_audit([root], Settings(), base=root)
    markdown = render_markdown(audit)
    assert markdown.startswith("# Figure narrative audit\n\n3 figures, 6 references, 2 problems in 2 chapters.\n")
    assert "| 1 | Intro | `index.qmd` | 1 | 3 | 1 |" in markdown
    assert "### 3. `fig-lonely` (Figure 2.2) — FIG002" in markdown
    assert "  > As @fig-one shows, things grow." in markdown
    page = render_html(audit)
    assert '<table id="summary">' in page and '<article class="figure flagged warning" id="fig-lonely"' in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page must not load anything"
    assert page.count("<script") == 1 and "<script src" not in page  # only the page's own filter script


def test_cli_writes_markdown_and_html_and_takes_project_options(tmp_path):
    root = book(tmp_path / "b", CHAPTERS)
    os.rename(root / "_quarto.yml", root / "_book.yml")
    result = run(["audit", "figures", "--quarto-config", "_book.yml", "--format", "html", "-o", "out.html", "."],
                 root)
    assert result.exit_code == 0, result.output
    assert '<article class="figure' in (root / "out.html").read_text(encoding="utf-8")
    result = run(["audit", "figures", "--quarto-config", "_book.yml"], root)
    assert result.exit_code == 0 and "3 figures, 6 references" in result.output
    assert run(["audit", "figures", "--format", "pdf"], root).exit_code == 2


# -- on the MLSysBook sample ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_audit():
    if not SAMPLE.is_dir():
        pytest.skip("the MLSysBook sample corpus is not available")
    return figure_audit([SAMPLE], Settings(), base=SAMPLE)


def _definitions_and_references(root: Path) -> tuple[int, int]:
    """Figures and figure references counted from the text itself (independent of the linter)."""
    figures = references = 0
    for path in sorted(root.glob("contents/**/*.qmd")):
        text = path.read_text(encoding="utf-8")
        figures += len(re.findall(r"^::: ?\{#fig-|\]\([^)\n]*\)\{#fig-", text, re.M))
        references += len(re.findall(r"(?<![\w\\])-?@[Ff]ig-[\w-]*\w", text))
    return figures, references


def test_sample_counts_match_the_text_and_the_json_findings(sample_audit, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSYS_LINT_CACHE_DIR", str(tmp_path / "cache"))
    figures, references = _definitions_and_references(SAMPLE)
    assert (sample_audit.figures, sample_audit.references) == (figures, references) == (42, 53)
    result = run(["--format", "json", "--select", "XR,FIG,CAP", "--no-cache", "."], SAMPLE)
    diagnostics = json.loads(result.output)["diagnostics"]
    shown = {(f.code, f.location) for c in sample_audit.chapters for fig in c.figures for f in fig.findings}
    expected = {(d["code"], f"{d['path']}:{d['line']}:{d['column']}") for d in diagnostics
                if d["code"].startswith("FIG") or (d["code"].startswith("CAP") and d["subject"].startswith("fig-"))}
    assert shown == expected and len(expected) == 49  # 6 FIG001, and the caption and alt-text findings
    counts: dict[str, int] = {}
    for d in diagnostics:
        if d["code"].startswith("FIG") or d["subject"].startswith("fig"):
            counts[d["code"]] = counts.get(d["code"], 0) + 1
    assert sample_audit.codes() == counts
    assert sample_audit.problems == sum(counts.values())


def test_sample_markdown_summary_agrees_with_its_entries(sample_audit):
    markdown = render_markdown(sample_audit)
    assert markdown.count("\n### ") == sample_audit.figures
    assert len(re.findall(r"^- `@[Ff]ig-", markdown, re.M)) == sample_audit.references
    assert "42 figures, 53 references, 49 problems in 3 chapters." in markdown


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_sample_html_renders_in_a_headless_browser(sample_audit, tmp_path):
    page = tmp_path / "audit.html"
    page.write_text(render_html(sample_audit), encoding="utf-8")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    summary = re.search(r'<table id="summary">(.*?)</table>', dom, re.S)
    assert summary is not None
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", summary.group(1), re.S)
    assert len(rows) == 4  # a header row and one row per chapter
    assert re.search(r'<td class="n">20</td><td class="n">28</td><td class="n">24</td>', rows[2])
    entry = re.search(r'<article class="figure[^"]*" id="fig-ai-triangle".*?</article>', dom, re.S)
    assert entry is not None and "As illustrated in @fig-ai-triangle" in entry.group()
    assert 'id="totals">42 figures, 53 references, 49 problems in 3 chapters; numbered as the pdf' in dom


def test_about_figures_picks_figure_findings_only():
    from mlsys_lint.registry import load_rules
    from mlsys_lint.model import Diagnostic, Severity, Span

    project = type("P", (), {"crossref_types": frozenset({"fig", "sec"})})()

    def diag(code, subject):
        return Diagnostic(code, "n", Severity.WARNING, Span("a", 1, 1, 1, 1), "m", subject)

    rules = load_rules()
    assert [about_figures(diag(c, s), project, rules) for c, s in [
        ("FIG002", "fig-a"), ("XR001", "Fig-a"), ("XR001", "sec-a"), ("XR004", "Figure 3.2"), ("XR004", "fig:a"),
        ("XR003", "roofline")]] == [True, True, False, True, True, False]


def test_audit_of_one_chapter_lists_only_that_chapter_but_judges_it_against_the_book(tmp_path):
    root = book(tmp_path, CHAPTERS)
    output = run(["audit", "figures", "two.qmd"], root).output
    assert "2 figures, 3 references, 1 problem in 1 chapter." in output
    assert "## 1. Second" in output and "Intro" not in output
    assert "`@fig-two-b` at `index.qmd:3:39` (prose, before the figure)" in output


def test_a_figures_verdict_is_its_worst_finding(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\nSee @fig-a, @fig-b and @fig-c.\n\n![](a.png){#fig-a fig-alt=\"A.\"}\n\n"
                                        "![B.](b.png){#fig-b}\n\n![C.](c.png){#fig-c fig-alt=\"A dot.\"}\n"})
    audit = figure_audit([root], Settings(), base=root)
    assert [(f.label, f.verdict) for f in audit.chapters[0].figures] == [
        ("fig-a", "error"), ("fig-b", "warning"), ("fig-c", "ok")]  # CAP001 no caption, CAP002 no alt text
    page = render_html(audit)
    assert 'class="figure flagged error" id="fig-a"' in page and 'class="figure flagged warning" id="fig-b"' in page
    assert 'class="figure" id="fig-c"' in page


@pytest.mark.parametrize("kind", ["figures", "glossary"])
def test_audit_json_validates_against_its_schema(kind):
    import jsonschema

    book_folder = Path(__file__).parents[1] / "examples" / "book"
    result = run(["audit", kind, "--format", "json", str(book_folder)], Path.cwd())
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    schema_path = Path(__file__).parents[1] / "mlsys_lint" / "schemas" / f"audit-{kind}-v1.json"
    jsonschema.validate(document, json.loads(schema_path.read_text()))
    if kind == "figures":
        figures = [figure for chapter in document["chapters"] for figure in chapter["figures"]]
        assert len(figures) == document["summary"]["figures"] == 18
        chiplet = next(figure for figure in figures if figure["label"] == "fig-chiplet")
        assert chiplet["verdict"] == "error" and [f["code"] for f in chiplet["findings"]] == ["CAP001"]
    else:
        terms = [term["term"] for project in document["projects"] for term in project["terms"]]
        assert "backpropagation" in terms
