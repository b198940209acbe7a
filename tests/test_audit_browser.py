"""Both audit pages in a real headless browser (Playwright driving the system Chromium).

Every figure card is there with its number; the filters hide and show cards and count them;
no console error; no request leaves the page except for local image files; and nothing from
the manuscript runs as a script.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lintkit import book
from mlsys_lint.api import resolve_settings
from mlsys_lint.audit import figure_audit, render_html
from mlsys_lint.audit_glossary import glossary_audit, render_html as render_glossary_html
from mlsys_lint.config import Settings

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "book"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def open_page(browser, path: Path):
    """The page at `path`, with every console error and every request it made."""
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def write_report(text: str, folder: Path) -> Path:
    path = folder / "audit.html"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def example_copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("example") / "book"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".mlsys-lint-cache"))
    return root


def test_figure_audit_cards_numbers_filters_and_no_network(browser, example_copy: Path, monkeypatch) -> None:
    monkeypatch.chdir(example_copy)
    audit = figure_audit([example_copy], Settings(), base=example_copy)
    page, errors, requests = open_page(browser, write_report(render_html(audit), example_copy))
    cards = page.locator("article.figure")
    assert cards.count() == audit.figures == 18
    assert page.locator("#fig-scaling .shown-as").inner_text() == "Figure 3.6"
    assert page.locator("#fig-stack .shown-as").inner_text() == "Figure 1.1"
    flagged = sum(1 for chapter in audit.chapters for figure in chapter.figures if figure.problems)
    assert 0 < flagged < audit.figures
    assert page.locator("#shown").inner_text() == f"{audit.figures} of {audit.figures} figures shown"

    page.check("#flagged")
    assert page.locator("article.figure:visible").count() == flagged
    assert page.locator("article.figure:not(.flagged):visible").count() == 0
    page.select_option("#rule", "CAP002")
    assert [page.locator("article.figure:visible").nth(0).get_attribute("id")] == ["fig-lr-schedule"]
    page.uncheck("#flagged")
    page.select_option("#rule", "")
    page.fill("#search", "roofline")
    assert page.locator("article.figure:visible").count() == 1
    assert page.locator("#shown").inner_text() == f"1 of {audit.figures} figures shown"
    page.fill("#search", "")
    number, chapter = next((n, c) for n, c in enumerate(audit.chapters, 1)
                           if any(f.label == "fig-systolic" for f in c.figures))
    page.select_option("#chapter", str(number))
    visible = page.locator("article.figure:visible")
    assert visible.count() == len(chapter.figures) > 3 and visible.nth(0).get_attribute("id") == "fig-systolic"

    page.select_option("#chapter", "")
    thumbnails = page.locator("article.figure .thumb img")
    assert thumbnails.count() > 5 and thumbnails.nth(0).get_attribute("loading") == "lazy"
    thumbnails.last.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert any(url.startswith("file:") and url.endswith((".svg", ".png")) for url in requests)
    stack = next(f for c in audit.chapters for f in c.figures if f.label == "fig-stack")
    editor = page.locator("#fig-stack a.editor").get_attribute("href")
    assert editor == f"vscode://file{Path(stack.path).as_posix()}:{stack.line}:{stack.column}"
    assert page.locator("#fig-stack a.source").get_attribute("href") == "introduction.qmd"
    assert errors == []
    assert requests and all(url.startswith(("file:", "data:", "about:")) for url in requests), requests
    page.close()


def test_nothing_from_the_manuscript_runs(browser, tmp_path: Path, monkeypatch) -> None:
    hostile = ("Evil <script>window.pwned = 1</script> *emphasis* `code` $a<b$ [@smith2020] "
               "<img src=x onerror=\"window.pwned = 2\"> [click](javascript:window.pwned=3)")
    root = book(tmp_path / "b", {"index.qmd": f"# Intro\n\nSee @fig-evil.\n\n![{hostile}](e.png){{#fig-evil}}\n"})
    monkeypatch.chdir(root)
    page, errors, requests = open_page(browser, write_report(render_html(figure_audit([root], Settings(), base=root)),
                                                             root))
    caption = page.locator("#fig-evil p").filter(has_text="Caption:")
    assert caption.locator("em").inner_text() == "emphasis"
    assert caption.locator("code.math").inner_text() == "$a<b$"
    assert "[@smith2020]" in caption.inner_text() and "<script>" in caption.inner_text()
    assert page.evaluate("window.pwned") is None
    assert page.locator('meta[http-equiv="Content-Security-Policy"]').count() == 1  # a second line of defence
    assert page.locator("script").count() == 1
    assert page.locator("a[href^='javascript:']").count() == 0
    assert errors == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests)
    page.close()


def test_glossary_audit_filters(browser, example_copy: Path, monkeypatch) -> None:
    monkeypatch.chdir(example_copy)
    reports = glossary_audit([example_copy], resolve_settings([example_copy], None), base=example_copy)
    page, errors, requests = open_page(browser, write_report(render_glossary_html(reports), example_copy))
    terms = page.locator("article.term")
    total = sum(len(report.terms) for report in reports)
    assert terms.count() == total > 5
    flagged = sum(1 for report in reports for term in report.terms if term.findings)
    page.check("#flagged")
    assert page.locator("article.term:visible").count() == flagged
    page.uncheck("#flagged")
    page.select_option("#rule", "GLS002")
    assert page.locator("article.term:visible h3").first.inner_text().startswith("quantization")
    page.select_option("#rule", "")
    page.fill("#search", "systolic")
    assert page.locator("article.term:visible").count() >= 1
    assert page.locator("#shown").inner_text().endswith(f"of {total} terms shown")
    assert errors == [] and all(url.startswith(("file:", "about:")) for url in requests)
    page.close()


def test_the_browser_is_the_systems_chromium() -> None:
    assert os.access(CHROMIUM, os.X_OK)
