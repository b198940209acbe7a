"""CIT001-CIT003: citations against the bibliography in force, checked against Pandoc's citeproc."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from lintkit import book, found, lint

BIB = ("@article{williams2009,\n  title = {Roofline},\n}\n\n@book{hennessy2017,\n  title = {Architecture},\n}\n\n"
       "@comment{not an entry,}\n")
CONFIG = "project:\n  type: book\nbook:\n  chapters: [index.qmd]\nbibliography: references.bib\n"


def cit(root: Path, codes=("CIT001", "CIT002")) -> list[tuple[str, str, int, int]]:
    return found(lint(root, select=list(codes)), root)


TEXT = ("# T {#sec-t}\n\n"
        "Roofline [@williams2009], @hennessy2017 says, [-@williams2009; @missing2020].\n\n"
        "Mail jane@example.org, \\@escaped, see @sec-t and @fig-none, `@code2020` and $@math$.\n\n"
        "<!-- [@commented2020] -->\n\nAlso @unknown.\n")


def test_cit001_citations_resolve_against_the_bibliography(tmp_path):
    root = book(tmp_path, {"index.qmd": TEXT}, extra={"references.bib": BIB}, config=CONFIG)
    diagnostics = lint(root, select=["CIT001"])
    assert found(diagnostics, root) == [("CIT001", "index.qmd", 3, 64), ("CIT001", "index.qmd", 9, 6)]
    assert diagnostics[0].message == "citation `@missing2020` has no entry in references.bib"


def test_cit001_agrees_with_pandoc_citeproc(tmp_path):
    """Pandoc is the oracle: the keys citeproc warns about are the keys CIT001 reports."""
    pypandoc = pytest.importorskip("pypandoc", reason="pypandoc-binary is not installed")
    root = book(tmp_path, {"index.qmd": TEXT}, extra={"references.bib": BIB}, config=CONFIG)
    body = TEXT.replace("@fig-none", "")  # Quarto resolves crossrefs before citeproc sees them
    done = subprocess.run([pypandoc.get_pandoc_path(), "--citeproc", "--bibliography", str(root / "references.bib"),
                           "-f", "markdown", "-t", "plain"], input=body, capture_output=True, text=True, check=True)
    warned = set(re.findall(r"citation (\S+) not found", done.stderr))
    assert warned == {d.subject for d in lint(root, select=["CIT001"])} | {"sec-t"}


def test_cit001_no_bibliography_no_check_and_inline_references_count(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\nWrite to @someone.\n"})
    assert cit(root) == []
    page = "---\nreferences:\n  - id: knuth1984\n    title: Literate programming\n---\n\nAs @knuth1984 said.\n"
    config = "project:\n  type: website\nbibliography: references.bib\n"
    root = book(tmp_path, {"index.qmd": page}, extra={"references.bib": BIB}, config=config)
    assert cit(root) == []


def test_cit001_page_bibliography_merges_with_the_projects_and_json_yaml_sources(tmp_path):
    page = "---\nbibliography: [extra.json, more.yaml]\n---\n\n[@williams2009; @json2020; @yaml2021; @gone2022]\n"
    files = {"references.bib": BIB, "extra.json": '[{"id": "json2020", "title": "J"}]',
             "more.yaml": "- id: yaml2021\n  title: Y\n"}
    root = book(tmp_path, {"index.qmd": page}, extra=files, config=CONFIG)
    assert [d.subject for d in lint(root, select=["CIT001"])] == ["gone2022"]


def test_cit001_missing_bibliography_file_is_one_finding_at_its_key(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\n[@williams2009]\n"}, config=CONFIG.replace("references", "nowhere"))
    diagnostics = lint(root, select=["CIT001"])
    assert found(diagnostics, root) == [("CIT001", "_quarto.yml", 5, 15)]
    assert diagnostics[0].message == "bibliography `nowhere.bib` does not exist"


def test_cit001_unreadable_bibliography_is_a_finding_not_a_crash(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\n[@williams2009]\n"}, config=CONFIG)
    (root / "references.bib").write_bytes(b"@article{caf\xe9,\n}\n")
    assert [d.message for d in lint(root, select=["CIT001"])] == ["bibliography `references.bib` is not UTF-8 (byte 12)"]


def test_cit002_duplicate_key_in_one_file_or_across_files(tmp_path):
    config = CONFIG.replace("bibliography: references.bib", "bibliography: [references.bib, more.bib]")
    files = {"references.bib": BIB + "\n@misc{williams2009,\n}\n", "more.bib": "@misc{hennessy2017,\n}\n"}
    root = book(tmp_path, {"index.qmd": "# T\n\n[@williams2009]\n"}, extra=files, config=config)
    diagnostics = lint(root, select=["CIT002"])
    assert found(diagnostics, root) == [("CIT002", "more.bib", 1, 7), ("CIT002", "references.bib", 11, 7)]
    assert "(first at references.bib:1)" in diagnostics[1].message


def test_cit003_unused_entries_off_by_default_nocite_counts(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\n[@williams2009]\n"}, extra={"references.bib": BIB}, config=CONFIG)
    assert [d for d in lint(root) if d.code.startswith("CIT")] == []  # off by default
    assert found(lint(root, select=["CIT003"]), root) == [("CIT003", "references.bib", 5, 7)]
    page = "---\nnocite: |\n  @*\n---\n\n[@williams2009]\n"
    root = book(tmp_path, {"index.qmd": page}, extra={"references.bib": BIB}, config=CONFIG)
    assert lint(root, select=["CIT003"]) == []


def test_cit001_bibliography_named_by_code_is_not_checked(tmp_path):
    page = "---\nbibliography: \"`r 'generated.bib'`\"\n---\n\n[@anything2020]\n"
    assert cit(book(tmp_path, {"index.qmd": page})) == []
