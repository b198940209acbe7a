"""A book with a machine-made glossary: term forms, the book's own spelling, a generated
glossary page, and term fixes that never damage the prose (issue 12's acceptance book).

tests/data/glossary-book: two chapter glossaries in MLSysBook's lower-case JSON with
``x (abc)`` terms, a back-matter glossary page rendered from them, headings, a table, a
caption, alt text, a link and a footnote using terms, a dominant hyphenated variant
(co-design), a proper noun containing a variant (Datacenter Dynamics), a house spelling
(AllReduce) and code and math that must stay as they are.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lintkit import found, lint
from mlsys_lint.audit_glossary import glossary_audit, render_html, render_markdown
from mlsys_lint.config import Settings, load_settings
from mlsys_lint.fixes import apply_fixes
from mlsys_lint.terms import project_glossary

BOOK = Path(__file__).parent / "data" / "glossary-book"
HARDWARE = "contents/hardware/hardware.qmd"
SERVING = "contents/serving/serving.qmd"
PAGE = "contents/backmatter/glossary/glossary.qmd"
HW_JSON = "contents/hardware/hardware_glossary.json"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

EXPECTED = [
    ("GLS006", "index.qmd", 3, 62),
    ("GLS006", "index.qmd", 4, 19),
    ("GLS006", "index.qmd", 4, 49),
    ("GLS001", HARDWARE, 3, 4),     # heading: found, never fixed
    ("GLS001", HARDWARE, 3, 34),
    ("GLS001", HARDWARE, 5, 21),    # "high bandwidth memory (HBM2)": the long form only
    ("GLS005", HARDWARE, 6, 24),
    ("GLS001", HARDWARE, 9, 77),    # "all reduce"; "AllReduce" is the book's house spelling
    ("GLS005", HARDWARE, 12, 22),
    ("GLS001", HARDWARE, 12, 36),   # "Datacenter Dynamics" (13:1) is a name: not reported
    ("GLS001", HARDWARE, 13, 38),   # link text
    ("GLS001", HARDWARE, 16, 3),    # table header row
    ("GLS001", HARDWARE, 18, 7),
    ("GLS001", HARDWARE, 18, 20),
    ("GLS001", HARDWARE, 20, 17),   # table caption
    ("GLS001", HARDWARE, 22, 5),    # figure caption (the image's text)
    ("GLS001", HARDWARE, 22, 71),   # alt text
    ("GLS001", HARDWARE, 26, 13),   # footnote
    ("GLS001", SERVING, 3, 63),
    ("GLS001", SERVING, 4, 25),
    ("GLS007", HW_JSON, 16, 16),    # co design: the book writes co-design
    ("GLS002", HW_JSON, 30, 16),    # data center, once, at its first definition
]
FIXED = {(HARDWARE, 5, 21), (HARDWARE, 9, 77), (HARDWARE, 12, 36), (HARDWARE, 18, 7), (HARDWARE, 18, 20),
         (HARDWARE, 26, 13), (SERVING, 3, 63), (SERVING, 4, 25)}


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    shutil.copytree(BOOK, root)
    return root


def test_findings(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    assert found(lint(root, ["GLS"]), root) == EXPECTED


def test_messages_name_the_long_form_and_the_books_case(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    by_place = {(d.span.line, d.span.column): d for d in lint(root, ["GLS"]) if d.span.path.endswith("hardware.qmd")}
    assert by_place[(5, 21)].message == ("`high bandwidth memory` is a variant spelling of the glossary term "
                                         "`high-bandwidth memory`; write `high-bandwidth memory`")
    assert by_place[(12, 22)].message == ("acronym `HDFS` is never expanded; write "
                                          "\"Hadoop Distributed File System (HDFS)\" at its first use")
    [spelling] = [d for d in lint(root, ["GLS007"])]
    assert spelling.message == ("the glossary writes `co design`; the text writes `co-design` 4 times and never "
                                "`co design`: write the glossary entry as the book does")
    assert spelling.subject == "co design"


def test_fixes_are_unsafe_and_only_in_running_prose_and_table_cells(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    diagnostics = lint(root, ["GLS"])
    fixable = {(str(Path(d.span.path).relative_to(root)), d.span.line, d.span.column)
               for d in diagnostics if d.fix is not None}
    assert fixable == FIXED
    assert all(not d.fix.safe for d in diagnostics if d.fix is not None)
    assert {d.code for d in diagnostics if d.fix is not None} == {"GLS001"}


def _apply_all(root: Path) -> dict[str, tuple[str, str]]:
    """Apply every fix, unsafe ones included, until nothing changes; path → (before, after)."""
    texts: dict[str, tuple[str, str]] = {}
    for _ in range(3):
        by_file: dict[str, list] = {}
        for d in lint(root, ["GLS"]):
            if d.fix is not None:
                by_file.setdefault(d.fix.path, []).append(d.fix)
        if not by_file:
            break
        for path, fixes in by_file.items():
            outcome = apply_fixes(path, fixes)
            before = texts.get(path, (outcome.old_text, ""))[0]
            texts[path] = (before, outcome.new_text)
    return texts


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.split("\n"), after.split("\n")
    assert len(old) == len(new)  # no fix here joins or splits lines
    return [(a, b) for a, b in zip(old, new) if a != b]


def test_fixing_everything_leaves_headings_names_pages_and_structure_alone(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    originals = {p: p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file() and p.suffix != ".png"}
    texts = _apply_all(root)
    assert set(texts) == {str(root / HARDWARE), str(root / SERVING)}
    assert (root / PAGE).read_text(encoding="utf-8") == originals[root / PAGE]  # the generated page
    assert all(p.read_text(encoding="utf-8") == text for p, text in originals.items()
               if str(p) not in texts)
    book_text = "\n".join(originals.values()).lower()
    for path, (before, after) in texts.items():
        for old, new in _changed_lines(before, after):
            assert not old.lstrip().startswith("#")  # no heading changed
            assert old.count("(") == new.count("(") and old.count("|") == new.count("|")  # no parenthetical, same cells
            assert all(link in new for link in re.findall(r"!?\[[^\]]*\]\([^)]*\)", old))  # links and images kept
            assert "AllReduce" not in old or "AllReduce" in new
            for word in set(re.findall(r"[\w-]+", new)) - set(re.findall(r"[\w-]+", old)):
                assert word.lower() in book_text  # no spelling new to the book or its glossary
    hardware = (root / HARDWARE).read_text(encoding="utf-8")
    assert "## High bandwidth memory and the datacenter {#sec-hbm}" in hardware
    assert "high-bandwidth memory (HBM2)" in hardware
    assert "Datacenter Dynamics" in hardware and "[datacenter design](https://example.org/design)" in hardware
    assert "| datacenter | memory |" in hardware and "| one data center | high-bandwidth memory |" in hardware
    assert ": Machines in a datacenter. {#tbl-machines}" in hardware
    assert "![A datacenter hall.](hall.png)" in hardware
    assert "`datacenter`" in (root / SERVING).read_text(encoding="utf-8")
    left = {(d.code, d.span.line) for d in lint(root, ["GLS001"]) if d.fix is not None}
    assert left == set()


def test_cli_fix_with_unsafe_fixes_matches_and_plain_fix_changes_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mlsys_lint.cli import main

    reviewed = _copy(tmp_path / "a")
    _apply_all(reviewed)
    root = _copy(tmp_path / "b")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    plain = CliRunner().invoke(main, ["check", "--no-cache", "--select", "GLS", "--fix", str(root)])
    assert plain.exit_code == 1
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before  # term fixes are all unsafe
    unsafe = CliRunner().invoke(main, ["check", "--no-cache", "--select", "GLS", "--fix", "--unsafe-fixes", str(root)])
    assert unsafe.exit_code == 1, unsafe.output  # headings, captions, GLS002/5/6/7 are left to the author
    for path in (HARDWARE, SERVING, PAGE):
        assert (root / path).read_text(encoding="utf-8") == (reviewed / path).read_text(encoding="utf-8")


def test_the_generated_page_is_neither_a_source_nor_a_use(tmp_path: Path) -> None:
    from mlsys_lint.engine import Engine
    from mlsys_lint.registry import load_rules, select_rules

    root = _copy(tmp_path)
    settings = Settings(select=["GLS"])
    result = Engine(settings, select_rules(load_rules(), settings), base=root).run([root])
    glossary = project_glossary(result.projects[0])
    assert list(glossary.generated) == [str(root / PAGE)]
    assert glossary.generated[str(root / PAGE)] == "rendered from the glossary sources (8 of its 8 entries)"
    assert glossary.chapters == []
    assert not any(d.span.path.endswith("glossary.qmd") for d in result.diagnostics)


def test_results_do_not_depend_on_discovered_or_listed_sources(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    discovered = found(lint(root, ["GLS"]), root)
    # What `init` lists: every chapter glossary (a merged volume glossary too) and the page.
    volume = root / "contents/backmatter/glossary/vol1_glossary.json"
    volume.write_text((root / HW_JSON).read_text(encoding="utf-8").replace('"chapter": "hardware", ', ""),
                      encoding="utf-8")
    listed = {"glossary": {"sources": ["contents/**/*_glossary.json", PAGE]}}
    assert found(lint(root, ["GLS"], config=listed), root) == discovered
    assert found(lint(root, ["GLS"]), root) == discovered


def test_configured_generated_globs_override_detection(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    none = found(lint(root, ["GLS002"], config={"glossary": {"generated": []}}), root)
    assert len(none) == 8  # the page is a source now: each of its 8 terms is defined twice
    named = {"glossary": {"generated": ["contents/backmatter/**"]}}
    assert found(lint(root, ["GLS"], config=named), root) == EXPECTED


def test_audit_marks_the_generated_page_and_the_unused_spelling(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    [report] = glossary_audit([root], load_settings(root), base=root)
    assert [t.term for t in report.terms] == sorted((t.term for t in report.terms), key=str.casefold)
    assert report.generated == [f"{PAGE}: rendered from the glossary sources (8 of its 8 entries)"]
    rows = {t.term: t for t in report.terms}
    assert rows["co design"].spelling == "the text writes `co-design` 4 times, the glossary `co design`"
    assert rows["data center"].spelling is None
    markdown = render_markdown([report])
    assert markdown.count(PAGE) == 1
    assert "- Spelling unused: the text writes `co-design` 4 times, the glossary `co design`" in markdown


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_audit_page_fits_a_1300_pixel_window(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    [report] = glossary_audit([root], load_settings(root), base=root)
    long = "a very long definition that goes on " * 40 + "https://example.org/" + "x" * 300
    report.terms[0].definitions[0].text = long
    report.terms[0].defined_in = ["contents/" + "deeply/" * 30 + "nested_glossary.json:1"]
    page = render_html([report])
    assert page.count("<script") == 1  # the page's own filter script
    # The test adds a script that writes the page's width into the DOM it dumps.
    # (its page policy would block that script: the probe page goes without it)
    probe = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page).replace(
        "</body>", "<script>document.body.dataset.width = document.documentElement.scrollWidth;</script></body>")
    path = tmp_path / "audit.html"
    path.write_text(probe, encoding="utf-8")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--window-size=1300,900", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    width = re.search(r'data-width="(\d+)"', dom)
    assert width is not None and int(width.group(1)) <= 1300
    assert 'class="tag plain">generated</span>' in dom and 'class="tag warning">spelling unused</span>' in dom
    terms = re.findall(r'<td><a href="#t1-\d+">([^<]+)</a>', dom)
    assert terms == sorted(terms, key=str.casefold)


def test_generated_setting_is_validated() -> None:
    from mlsys_lint.config import ConfigError, settings_from_mapping

    assert settings_from_mapping({"glossary": {"generated": "a/*.qmd"}}, "x").glossary_generated == ["a/*.qmd"]
    assert settings_from_mapping({"glossary": {"sources": []}}, "x").glossary_generated is None
    with pytest.raises(ConfigError, match=r"`glossary`\.generated: expected a list of strings"):
        settings_from_mapping({"glossary": {"generated": [1]}}, "x")
    with pytest.raises(ConfigError, match="unknown key `glossary.pages`"):
        settings_from_mapping({"glossary": {"pages": []}}, "x")
