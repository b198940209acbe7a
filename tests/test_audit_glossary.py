"""`mlsys-lint audit glossary`: every term with definitions, sources, uses, variants, conflicts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lintkit import write_files
from mlsys_lint.audit_glossary import glossary_audit, render_html, render_markdown
from mlsys_lint.cli import main
from mlsys_lint.config import load_settings

FILES = {
    "_quarto.yml": "project:\n  type: book\nbook:\n  title: Tiny\n  chapters: [intro.qmd, hw/hardware.qmd]\n",
    ".mlsys-lint.yml": "glossary:\n  sources: [glossary.yml, style/terms.yml, \"hw/*_glossary.json\"]\n",
    "glossary.yml": "quantization: Fewer bits.\nroofline model: A bound.\nunused term: Never used.\n",
    "style/terms.yml": (
        "terms:\n"
        "  - term: quantization\n"
        "    definition: Discrete levels.\n"
        "  - term: backpropagation\n"
        "    aliases: [backprop]\n"
        "    variants: [back-propagation]\n"
        "  - term: TPU\n"
        "    expansion: tensor processing unit\n"
    ),
    "hw/hardware_glossary.json": json.dumps({"metadata": {"chapter": "hardware"}, "terms": [
        {"term": "systolic array", "definition": "A grid of cells."}]}, indent=2),
    "intro.qmd": (
        "# Intro\n"
        "\n"
        "We use {{< glossary quantization >}} and back-propagation, then backprop.\n"
        "A systolic array sits in a TPU.\n"
    ),
    "hw/hardware.qmd": (
        "# Hardware\n"
        "\n"
        "The tensor processing unit (TPU) has a systolic array. Back-propagation and the\n"
        "{{< glossary \"roofline model\" >}}. Quantization again.\n"
    ),
}


def _report(tmp_path: Path):
    root = write_files(tmp_path, FILES)
    [report] = glossary_audit([root], load_settings(root), base=root)
    return report


def test_terms_definitions_sources_and_uses(tmp_path: Path) -> None:
    report = _report(tmp_path)
    assert report.title == "Tiny"
    assert report.sources == ["glossary.yml", "style/terms.yml", "hw/hardware_glossary.json"]
    rows = {row.term: row for row in report.terms}
    assert list(rows) == ["backpropagation", "quantization", "roofline model", "systolic array", "TPU", "unused term"]
    q = rows["quantization"]
    assert [(d.text, d.location) for d in q.definitions] == [("Fewer bits.", "glossary.yml:1"),
                                                              ("Discrete levels.", "style/terms.yml:3")]
    assert q.defined_in == ["glossary.yml:1", "style/terms.yml:2"]
    assert q.conflict == "defined 2 times, with different definitions"
    assert q.first_use == "intro.qmd:3"  # the shortcode
    assert q.uses == {"intro.qmd": 1, "hw/hardware.qmd": 1}
    assert any(f.startswith("GLS002 glossary.yml:1:") for f in q.findings)
    b = rows["backpropagation"]
    assert b.first_use == "intro.qmd:3"
    assert b.uses == {"intro.qmd": 2, "hw/hardware.qmd": 1}
    assert b.variants == {"back-propagation": 1, "Back-propagation": 1}
    assert b.aliases == ["backprop"]
    assert [f.split(":")[0] for f in b.findings] == ["GLS001 intro.qmd", "GLS001 hw/hardware.qmd"]
    s = rows["systolic array"]
    assert s.chapter == "hw/hardware.qmd"
    assert s.first_use == "intro.qmd:4"
    assert any(f.startswith("GLS006 intro.qmd:4:") for f in s.findings)
    t = rows["TPU"]
    assert t.expansions == ["tensor processing unit"]
    assert any(f.startswith("GLS005 intro.qmd:4:") for f in t.findings)
    u = rows["unused term"]
    assert u.first_use is None and u.total == 0
    assert any(f.startswith("GLS004 glossary.yml:3:") for f in u.findings)
    assert report.codes == {"GLS001": 2, "GLS002": 1, "GLS004": 1, "GLS005": 1, "GLS006": 1}


def test_markdown_and_html(tmp_path: Path) -> None:
    report = _report(tmp_path)
    markdown = render_markdown([report])
    assert markdown.startswith("# Glossary audit\n\n## Tiny\n")
    assert ("| quantization | glossary.yml:1, style/terms.yml:2 | intro.qmd:3 | 2 | — | "
            "defined 2 times, with different definitions |") in markdown
    assert "| backpropagation | style/terms.yml:4 | intro.qmd:3 | 3 | back-propagation ×1, Back-propagation ×1 | — |" \
        in markdown
    assert "- Uses per chapter: intro.qmd 2, hw/hardware.qmd 1" in markdown
    page = render_html([report])
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<script") == 1 and "<script src" not in page and "://" not in page.split("<main>")[0]
    assert '<h3>systolic array<span class="tag">GLS006</span></h3>' in page


def test_cli_command(tmp_path: Path) -> None:
    root = write_files(tmp_path, FILES)
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "glossary", str(root)])
    assert result.exit_code == 0, result.output
    assert "## Tiny" in result.output and "### systolic array" in result.output
    out = tmp_path / "audit.html"
    result = runner.invoke(main, ["audit", "glossary", "--format", "html", "-o", str(out), str(root)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_cli_broken_source_is_exit_2(tmp_path: Path) -> None:
    root = write_files(tmp_path, {**FILES, "glossary.yml": "alpha: [\n"})
    result = CliRunner().invoke(main, ["audit", "glossary", str(root)])
    assert result.exit_code == 2
    assert "glossary.yml:2: invalid YAML" in result.output


def test_no_glossary(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [a.qmd]\n",
                                  "a.qmd": "Text.\n"})
    assert glossary_audit([root], load_settings(root), base=root) == []
    assert "No glossary found" in render_markdown([])
