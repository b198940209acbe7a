"""GLS001–GLS006: glossary terms in prose, glossary entries, shortcodes and anchors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lintkit import book, found, lint, write_files
from mlsys_lint.cli import main
from mlsys_lint.model import Severity

TERMS = """\
terms:
  - term: backpropagation
    definition: How gradients flow backward through a network.
    aliases: [backprop]
    variants: [back-propagation, back propagation]
  - term: TensorFlow
    definition: A machine learning framework.
    case-sensitive: true
  - term: memory wall
    definition: The gap between compute speed and memory bandwidth.
  - term: mini-batch
    definition: A slice of the training data.
  - term: black box
    definition: A system seen only from the outside.
  - term: GPU
    expansion: graphics processing unit
    definition: A processor with thousands of simple cores.
"""


def gls(tmp_path: Path, chapters: dict[str, str], select: list[str], terms: str | None = TERMS,
        extra: dict[str, str] | None = None, options: dict | None = None, sources: list[str] | None = None,
        config: str | None = None):
    """A book with the glossary `terms` in style/terms.yml; ``(code, file, line, column)`` of the findings."""
    files = dict(extra or {})
    if terms is not None:
        files["style/terms.yml"] = terms
    book(tmp_path, chapters, files, config=config)
    settings: dict = {"glossary": {"sources": sources if sources is not None else ["style/terms.yml"]}}
    if options:
        settings["rules"] = options
    return found(lint(tmp_path, select, config=settings), tmp_path)


def diagnostics(tmp_path: Path, chapters: dict[str, str], select: list[str], **kwargs):
    files = dict(kwargs.pop("extra", None) or {})
    files["style/terms.yml"] = kwargs.pop("terms", TERMS)
    book(tmp_path, chapters, files)
    settings: dict = {"glossary": {"sources": kwargs.pop("sources", ["style/terms.yml"])}}
    if "options" in kwargs:
        settings["rules"] = kwargs.pop("options")
    return lint(tmp_path, select, config=settings)


# ----------------------------------------------------------------------------------------
# GLS001 non-canonical-term
# ----------------------------------------------------------------------------------------


def test_gls001_declared_variants_across_a_line_break_and_in_wrong_case(tmp_path: Path) -> None:
    text = ("# Training\n\nWe compute gradients with back-propagation, then back\npropagation again.\n\n"
            "The Back-Propagation step and backprop are here.\n")
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"]) == [
        ("GLS001", "a.qmd", 3, 27),
        ("GLS001", "a.qmd", 3, 50),
        ("GLS001", "a.qmd", 6, 5),
    ]


def test_gls001_message_fix_and_subject(tmp_path: Path) -> None:
    text = "Back-propagation works. We use back-propagation's result.\n"
    first, second = diagnostics(tmp_path, {"a.qmd": text}, ["GLS001"])
    assert first.subject == "backpropagation"
    assert first.message == ("`Back-propagation` is a declared variant of the glossary term `backpropagation`; "
                             "write `Backpropagation`")
    assert (first.fix.start_line, first.fix.start_column, first.fix.end_line, first.fix.end_column) == (1, 1, 1, 17)
    assert first.fix.replacement == "Backpropagation"  # the sentence-initial capital is kept
    assert (second.span.column, second.span.end_column) == (32, 50)
    assert second.fix.replacement == "backpropagation's"  # the possessive is kept


def test_gls001_alias_and_canonical_forms_are_fine(tmp_path: Path) -> None:
    text = "Backpropagation and backprop and backpropagations are fine. TensorFlow too.\n"
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"]) == []


def test_gls001_automatic_hyphen_space_joined_variants(tmp_path: Path) -> None:
    text = "A mini batch, a minibatch and a mini-batch; two mini batches.\n"
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"]) == [
        ("GLS001", "a.qmd", 1, 3),
        ("GLS001", "a.qmd", 1, 17),
        ("GLS001", "a.qmd", 1, 49),
    ]


def test_gls001_plural_variant_fix_keeps_the_plural(tmp_path: Path) -> None:
    [d] = diagnostics(tmp_path, {"a.qmd": "Two mini batches.\n"}, ["GLS001"])
    assert d.fix.replacement == "mini-batches"


def test_gls001_case_sensitive_name(tmp_path: Path) -> None:
    text = "We used Tensorflow.\n\nTensorflow is popular. TENSORFLOW shouts. TensorFlow is right.\n"
    result = diagnostics(tmp_path, {"a.qmd": text}, ["GLS001"])
    assert [(d.span.line, d.span.column, d.fix.replacement) for d in result] == [
        (1, 9, "TensorFlow"),
        (3, 1, "TensorFlow"),  # wrong even at the start of a sentence
        (3, 24, "TensorFlow"),
    ]
    assert "case-sensitive" in result[0].message


CONCEPT = TERMS.replace("  - term: memory wall\n", "  - term: memory wall\n    case-sensitive: true\n")


def test_gls001_concept_term_capitalised_mid_sentence(tmp_path: Path) -> None:
    # The MLSysBook tooling notes, item 15; the book's concept terms are declared case-sensitive.
    text = (
        "# Beyond the Memory Wall {#sec-memory-wall}\n"                                   # 1 heading: fine
        "\n"
        "Processors hit the Memory Wall every year.\n"                                      # 3: flagged, col 20
        "\n"
        "Memory wall limits us. Memory walls are real.\n"                                   # 5: sentence starts
        "\n"
        "The **Memory Wall**\\index{Memory Wall} is the gap [@memory-wall-1995].\n"         # 7: bold definition
        "\n"
        "See @sec-memory-wall and [the page](https://example.org/Memory-Wall).\n"           # 9: slug, URL
        "\n"
        "![A plot.](wall.svg){#fig-wall fig-alt=\"Memory wall grows; the Memory Wall again.\"}\n"  # 11
        "\n"
        "Read @fig-wall.\n"
    )
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"], terms=CONCEPT) == [
        ("GLS001", "a.qmd", 3, 20),
        ("GLS001", "a.qmd", 11, 64),  # in fig-alt, not its first word
    ]


def test_gls001_lower_case_term_not_declared_case_sensitive_says_nothing_about_case(tmp_path: Path) -> None:
    text = "Processors hit the Memory Wall every year.\n"
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"]) == []


def test_gls001_concept_fix_is_lower_case(tmp_path: Path) -> None:
    [d] = diagnostics(tmp_path, {"a.qmd": "We hit the Memory Walls.\n"}, ["GLS001"], terms=CONCEPT)
    assert d.fix.replacement == "memory walls"
    assert d.message == "`Memory Walls` is written `memory walls` (the glossary term `memory wall` is case-sensitive)"


def test_gls001_never_in_code_math_labels_citations_urls_link_targets_or_attributes(tmp_path: Path) -> None:
    text = (
        "Inline `back-propagation` code, $back-propagation$ math, [@back-propagation2020] citation,\n"
        "a [link](https://x.org/back-propagation) target, <https://back-propagation.org>, and\n"
        "https://example.com/back-propagation bare.\n"
        "\n"
        "## Heading {#sec-back-propagation}\n"
        "\n"
        "::: {#fig-x width=\"back-propagation\"}\n"
        "![](x.png)\n"
        "\n"
        "A caption.\n"
        ":::\n"
        "\n"
        "```python\n"
        "back_propagation = 'back-propagation'\n"
        "```\n"
        "\n"
        "<!-- back-propagation in a comment -->\n"
        "\n"
        "See @fig-x.\n"
    )
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"]) == []


def test_gls001_in_captions_lists_tables_and_footnotes(tmp_path: Path) -> None:
    text = (
        "- a list item on back-propagation\n"
        "\n"
        "| Step | How |\n"
        "|------|-----|\n"
        "| one  | back-propagation |\n"
        "\n"
        ": Steps of back-propagation. {#tbl-steps}\n"
        "\n"
        "Text.[^n]\n"
        "\n"
        "[^n]: A note on back-propagation.\n"
        "\n"
        "See @tbl-steps.\n"
    )
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"]) == [
        ("GLS001", "a.qmd", 1, 18),
        ("GLS001", "a.qmd", 5, 10),
        ("GLS001", "a.qmd", 7, 12),
        ("GLS001", "a.qmd", 11, 17),
    ]


def test_gls001_no_fix_that_would_break_a_grid_or_simple_table(tmp_path: Path) -> None:
    text = (
        "+------+------------------+\n"
        "| Step | How              |\n"
        "+======+==================+\n"
        "| one  | back-propagation |\n"
        "+------+------------------+\n"
        "\n"
        "Step   How\n"
        "-----  ----------------\n"
        "one    back-propagation\n"
        "two    Tensorflow\n"
        "\n"
        "| Pipe | back-propagation |\n"
        "|------|------------------|\n"
        "| x    | back-propagation |\n"
    )
    result = diagnostics(tmp_path, {"a.qmd": text}, ["GLS001"])
    assert [(d.span.line, d.span.column, d.fix is not None) for d in result] == [
        (4, 10, False),  # grid table: the column would shift
        (9, 8, False),   # simple table
        (10, 8, True),   # the same length: no shift
        (12, 10, False),  # a pipe table's header row: found, never fixed
        (14, 10, True),  # a pipe table's body cell
    ]
    assert all(d.fix.safe is False for d in result if d.fix is not None)  # term replacements need review


def test_gls001_hyphenated_compound_modifier_is_not_reported_by_default(tmp_path: Path) -> None:
    text = "We treat black-box components with care. It is a black-box.\n"
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"]) == [("GLS001", "a.qmd", 1, 50)]


def test_gls001_hyphenated_modifier_option(tmp_path: Path) -> None:
    text = "We treat black-box components with care. It is a black-box.\n"
    options = {"GLS001": {"flag-hyphenated-modifiers": True}}
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"], options=options) == [
        ("GLS001", "a.qmd", 1, 10),
        ("GLS001", "a.qmd", 1, 50),
    ]


def test_gls001_in_an_included_file_points_at_the_included_file(tmp_path: Path) -> None:
    chapters = {"index.qmd": "# Hi\n\n{{< include _part.qmd >}}\n"}
    extra = {"_part.qmd": "Some back propagation here.\n"}
    assert gls(tmp_path, chapters, ["GLS001"], extra=extra) == [("GLS001", "_part.qmd", 1, 6)]


def test_gls001_lowercase_sources_say_nothing_about_case(tmp_path: Path) -> None:
    glossary = json.dumps({"metadata": {"chapter": "a"},
                           "terms": [{"term": "memory wall", "definition": "d"},
                                     {"term": "imagenet", "definition": "i"}]}, indent=2)
    text = "We hit the Memory Wall on ImageNet and IMAGENET. A memory-wall is a variant.\n"
    assert gls(tmp_path, {"a.qmd": text}, ["GLS001"], terms=None, extra={"a_glossary.json": glossary},
               sources=["a_glossary.json"]) == [("GLS001", "a.qmd", 1, 52)]


# ----------------------------------------------------------------------------------------
# GLS002 conflicting-glossary-entries
# ----------------------------------------------------------------------------------------


def test_gls002_one_finding_per_term_at_its_first_definition(tmp_path: Path) -> None:
    extra = {"glossary.yml": "quantization: Fewer bits.\nalpha: A threshold.\n"}
    terms = ("terms:\n  - term: Alpha\n    definition: A  *threshold*.\n  - term: quantization\n"
             "    definition: Discrete levels.\n  - term: quantization (q)\n    definition: Levels.\n")
    result = diagnostics(tmp_path, {"a.qmd": "Alpha and quantization.\n"}, ["GLS002"], terms=terms, extra=extra,
                         sources=["glossary.yml", "style/terms.yml"])
    assert [(d.code, Path(d.span.path).name, d.span.line, d.span.column, d.severity) for d in result] == [
        ("GLS002", "glossary.yml", 1, 1, Severity.ERROR),
        ("GLS002", "glossary.yml", 2, 1, Severity.INFO),  # same text after markup and spaces are ignored
    ]
    assert result[0].message == ("glossary term `quantization` is defined 3 times with different definitions; "
                                 "also at style/terms.yml:4, style/terms.yml:6")
    assert result[1].message == ("glossary term `alpha` is defined 2 times with the same definition; "
                                 "also at style/terms.yml:2; keep one")
    assert [d.subject for d in result] == ["quantization", "alpha"]


def test_gls002_duplicates_within_one_json_file(tmp_path: Path) -> None:
    glossary = json.dumps({"terms": [{"term": "ml lifecycle", "definition": "One."},
                                     {"term": "other", "definition": "x"},
                                     {"term": "ML Lifecycle", "definition": "Two."}]}, indent=2)
    result = gls(tmp_path, {"a.qmd": "Text.\n"}, ["GLS002"], terms=None, extra={"ch_glossary.json": glossary},
                 sources=["ch_glossary.json"])
    assert result == [("GLS002", "ch_glossary.json", 4, 16)]


def test_gls002_single_definitions_are_fine(tmp_path: Path) -> None:
    assert gls(tmp_path, {"a.qmd": "Text.\n"}, ["GLS002"]) == []


def test_gls002_severity_override_wins(tmp_path: Path) -> None:
    extra = {"glossary.yml": "alpha: A threshold.\n"}
    terms = "terms:\n  - term: alpha\n    definition: A threshold.\n"
    book(tmp_path, {"a.qmd": "Text.\n"}, {"glossary.yml": extra["glossary.yml"], "style/terms.yml": terms})
    config = {"glossary": {"sources": ["glossary.yml", "style/terms.yml"]}, "severity": {"GLS002": "warning"}}
    [d] = lint(tmp_path, ["GLS002"], config=config)
    assert d.severity == Severity.WARNING


# ----------------------------------------------------------------------------------------
# GLS003 unknown-glossary-term
# ----------------------------------------------------------------------------------------

QUARTO_GLOSSARY = "alpha: A threshold.\neffect size: How big.\nSESOI: Smallest effect size of interest.\n"


def test_gls003_shortcodes(tmp_path: Path) -> None:
    text = (
        "Known: {{< glossary alpha >}}, {{< glossary Alpha >}}, {{< glossary \"Effect Size\" >}},\n"
        "{{< glossary sesoi display=\"SESOIs\" >}}, {{< glossary quarto def=\"A system.\" >}},\n"
        "{{< glossary table=true >}}.\n"
        "\n"
        "Unknown: {{< glossary beta >}} and {{< glossary \"effect sizes\" >}}.\n"
        "\n"
        "Shown as code: `{{< glossary gamma >}}` and {{{< glossary delta >}}}.\n"
        "\n"
        "```markdown\n"
        "{{< glossary epsilon >}}\n"
        "```\n"
    )
    result = diagnostics(tmp_path, {"a.qmd": text}, ["GLS003"], extra={"glossary.yml": QUARTO_GLOSSARY},
                         sources=["glossary.yml"])
    assert [(d.span.line, d.span.column, d.span.end_column) for d in result] == [(5, 10, 31), (5, 36, 67)]
    assert result[0].message == "glossary term `beta` is not in glossary.yml"
    assert result[1].message == "glossary term `effect sizes` is not in glossary.yml (did you mean `effect size`?)"
    assert result[0].severity == Severity.ERROR


def test_gls003_term_in_another_source_but_not_in_the_extension_file(tmp_path: Path) -> None:
    text = "See {{< glossary backpropagation >}}.\n"
    result = diagnostics(tmp_path, {"a.qmd": text}, ["GLS003"], extra={"glossary.yml": QUARTO_GLOSSARY},
                         sources=["glossary.yml", "style/terms.yml"])
    assert [(d.span.line, d.span.column) for d in result] == [(1, 5)]
    assert "defined in style/terms.yml but not in glossary.yml" in result[0].message


def test_gls003_without_an_extension_file_any_source_resolves(tmp_path: Path) -> None:
    text = "See {{< glossary BACKPROPAGATION >}} and {{< glossary nothing >}}.\n"
    assert gls(tmp_path, {"a.qmd": text}, ["GLS003"]) == [("GLS003", "a.qmd", 1, 42)]


def test_gls003_extension_path_from_quarto_yml(tmp_path: Path) -> None:
    config = "project:\n  type: book\nbook:\n  chapters: [a.qmd]\nglossary:\n  path: include/terms.yml\n"
    extra = {"include/terms.yml": "alpha: A threshold.\n"}
    text = "{{< glossary alpha >}} and {{< glossary beta >}}.\n"
    book(tmp_path, {"a.qmd": text}, extra, config=config)
    result = found(lint(tmp_path, ["GLS003"]), tmp_path)  # auto-detected sources
    assert result == [("GLS003", "a.qmd", 1, 28)]


def test_gls003_non_html_formats(tmp_path: Path) -> None:
    pdf_only = "project:\n  type: book\nbook:\n  chapters: [a.qmd]\nformat:\n  pdf: default\n"
    text = "Text.\n\nSee {{< glossary alpha >}} and {{< glossary alpha >}}.\n"
    book(tmp_path, {"a.qmd": text}, {"glossary.yml": QUARTO_GLOSSARY}, config=pdf_only)
    [d] = lint(tmp_path, ["GLS003"])
    assert (d.span.line, d.span.column, d.severity) == (3, 5, Severity.WARNING)
    assert d.message == ("the project builds pdf, where quarto-glossary's shortcode prints nothing: "
                         "2 glossary shortcodes will vanish from the text")


def test_gls003_html_and_pdf_only_with_the_option(tmp_path: Path) -> None:
    both = "project:\n  type: book\nbook:\n  chapters: [a.qmd]\nformat:\n  html: default\n  pdf: default\n"
    book(tmp_path, {"a.qmd": "See {{< glossary alpha >}}.\n"}, {"glossary.yml": QUARTO_GLOSSARY}, config=both)
    assert lint(tmp_path, ["GLS003"]) == []
    config = {"rules": {"GLS003": {"warn-any-non-html": True}}}
    assert found(lint(tmp_path, ["GLS003"], config=config), tmp_path) == [("GLS003", "a.qmd", 1, 5)]


def test_gls003_links_to_glossary_chapter_anchors(tmp_path: Path) -> None:
    glossary = (
        "# Glossary {.unnumbered}\n"
        "\n"
        "## deviation score {#deviation-score}\n"
        "\n"
        "A score minus the mean.\n"
        "\n"
        "## integrated development environment (IDE) {#ide}\n"
        "\n"
        "Software to write programs. See [:deviation scores](#deviation-scores).\n"
        "\n"
        "## ratio scale (#ratio-scale)\n"
        "\n"
        "A scale with a true zero.\n"
    )
    text = (
        "A [:deviation score](glossary.qmd#deviation-score) is fine, [:IDE](glossary.html#IDE) is not,\n"
        "nor [:ratio](glossary.qmd#ratio-scale), nor [x](glossary.qmd#missing). [Top](glossary.qmd) is a page.\n"
    )
    chapters = {"a.qmd": text, "glossary.qmd": glossary}
    book(tmp_path, chapters)
    result = lint(tmp_path, ["GLS003"])
    assert found(result, tmp_path) == [
        ("GLS003", "a.qmd", 1, 61),
        ("GLS003", "a.qmd", 2, 5),
        ("GLS003", "a.qmd", 2, 45),
        ("GLS003", "glossary.qmd", 9, 33),
    ]
    assert result[0].message.endswith("(the id is `#ide`: ids are case-sensitive)")
    assert "writes `(#ratio-scale)` in parentheses" in result[1].message
    assert result[3].message.endswith("(did you mean `#deviation-score`?)")


def test_gls003_knitr_glossary_calls(tmp_path: Path) -> None:
    text = (
        "Items: `r glossary(\"alpha\")`, `r glossary(\"Alpha\", \"$\\\\alpha$\")`, "
        "`r glossary(\"beta\", def = \"Second letter\")` and `r glossary(\"gamma\")`.\n"
        "\n"
        "```\n"
        "r glossary(\"${1:term}\")\n"
        "```\n"
    )
    extra = {"include/glossary.yml": "alpha: A threshold.\n"}
    book(tmp_path, {"a.qmd": text}, extra)
    assert found(lint(tmp_path, ["GLS003"]), tmp_path) == [("GLS003", "a.qmd", 1, 115)]


# ----------------------------------------------------------------------------------------
# GLS004 unused-glossary-entry
# ----------------------------------------------------------------------------------------


def test_gls004_unused_entries(tmp_path: Path) -> None:
    text = "We use backprop and a black-box model with a GPU.\n"
    result = diagnostics(tmp_path, {"a.qmd": text}, ["GLS004"])
    assert [(Path(d.span.path).name, d.span.line, d.span.column, d.subject) for d in result] == [
        ("terms.yml", 6, 11, "TensorFlow"),
        ("terms.yml", 9, 11, "memory wall"),
        ("terms.yml", 11, 11, "mini-batch"),
    ]
    assert result[0].message == "glossary entry `TensorFlow` is never used in the manuscript"
    assert result[0].severity == Severity.INFO


def test_gls004_shortcodes_and_variants_count_as_uses(tmp_path: Path) -> None:
    text = "{{< glossary alpha >}}, the SESOI and an effect-size are used.\n"
    extra = {"glossary.yml": QUARTO_GLOSSARY}
    assert gls(tmp_path, {"a.qmd": text}, ["GLS004"], terms=None, extra=extra, sources=["glossary.yml"]) == []


def test_gls004_uses_in_the_glossary_chapter_do_not_count(tmp_path: Path) -> None:
    glossary = "# Glossary\n\nQuadrat\n:   A square frame.\n\nTransect\n:   A line; not a quadrat.\n"
    chapters = {"a.qmd": "We walk a transect.\n", "glossary.qmd": glossary}
    book(tmp_path, chapters)
    assert found(lint(tmp_path, ["GLS004"]), tmp_path) == [("GLS004", "glossary.qmd", 3, 1)]


# ----------------------------------------------------------------------------------------
# GLS005 acronym-not-expanded
# ----------------------------------------------------------------------------------------

ACRONYMS = """\
terms:
  - term: TPU
    expansion: tensor processing unit
  - term: HBM
    expansion: high-bandwidth memory
  - term: CNN
    expansion: convolutional neural network
  - term: MAC
    expansion: [multiply-accumulate, media access control]
  - term: GPU
    expansion: graphics processing unit
"""


def test_gls005_used_before_expansion_in_book_order(tmp_path: Path) -> None:
    chapters = {
        "a.qmd": "# One\n\nGoogle's TPU is fast. TPUs are many.\n",
        "b.qmd": "# Two\n\nThe tensor processing unit (TPU) is an accelerator. A TPU again.\n",
    }
    result = diagnostics(tmp_path, chapters, ["GLS005"], terms=ACRONYMS)
    assert [(Path(d.span.path).name, d.span.line, d.span.column) for d in result] == [("a.qmd", 3, 10)]
    assert result[0].message == "acronym `TPU` is used before it is expanded; its first expansion comes later, at b.qmd:3"
    assert result[0].subject == "TPU"


def test_gls005_expanded_first_is_fine_both_orders_and_plurals(tmp_path: Path) -> None:
    text = ("Two convolutional neural networks (CNNs) and one graphics processing unit (GPU).\n\n"
            "TPUs (tensor processing units) are next. A CNN, a GPU, a TPU's cost.\n")
    assert gls(tmp_path, {"a.qmd": text}, ["GLS005"], terms=ACRONYMS) == []


def test_gls005_reverse_form_plural(tmp_path: Path) -> None:
    # The MLSysBook tooling notes, item 16: "CNNs (convolutional neural networks)".
    text = "CNNs (convolutional neural networks) learn filters. A CNN is deep.\n"
    assert gls(tmp_path, {"a.qmd": text}, ["GLS005"], terms=ACRONYMS) == []


def test_gls005_first_use_in_a_table_cell_counts_a_heading_does_not(tmp_path: Path) -> None:
    # The MLSysBook tooling notes, item 16: HBM first in a table cell and a heading, expanded later.
    text = (
        "## HBM and bandwidth\n"
        "\n"
        "| Memory | Bandwidth |\n"
        "|--------|-----------|\n"
        "| HBM    | 3 TB/s    |\n"
        "\n"
        ": Memories. {#tbl-mem}\n"
        "\n"
        "@tbl-mem lists high-bandwidth memory (HBM) and others.\n"
    )
    assert gls(tmp_path, {"a.qmd": text}, ["GLS005"], terms=ACRONYMS) == [("GLS005", "a.qmd", 5, 3)]


def test_gls005_heading_use_alone_is_not_reported(tmp_path: Path) -> None:
    text = "## HBM\n\nHigh-bandwidth memory (HBM) stacks dies. HBM is fast.\n"
    assert gls(tmp_path, {"a.qmd": text}, ["GLS005"], terms=ACRONYMS) == []


def test_gls005_never_expanded(tmp_path: Path) -> None:
    result = diagnostics(tmp_path, {"a.qmd": "Text.\n\nA figure of HBM.\n"}, ["GLS005"], terms=ACRONYMS)
    assert [(d.span.line, d.span.column) for d in result] == [(3, 13)]
    assert result[0].message == "acronym `HBM` is never expanded; write \"high-bandwidth memory (HBM)\" at its first use"


def test_gls005_homonym_with_several_expansions(tmp_path: Path) -> None:
    chapters = {
        "a.qmd": "A multiply-accumulate (MAC) unit; every MAC counts.\n",
        "b.qmd": "A media access control (MAC) address; the MAC layer.\n",
    }
    assert gls(tmp_path, chapters, ["GLS005"], terms=ACRONYMS) == []


def test_gls005_per_chapter_option(tmp_path: Path) -> None:
    chapters = {
        "a.qmd": "The tensor processing unit (TPU) is fast.\n",
        "b.qmd": "A TPU again.\n",
    }
    assert gls(tmp_path, chapters, ["GLS005"], terms=ACRONYMS) == []
    options = {"GLS005": {"per-chapter": True}}
    assert gls(tmp_path, chapters, ["GLS005"], terms=ACRONYMS, options=options) == [("GLS005", "b.qmd", 1, 3)]


def test_gls005_exempt_acronyms(tmp_path: Path) -> None:
    text = "A GPU and a TPU.\n"
    options = {"GLS005": {"exempt": ["GPU"]}}
    assert gls(tmp_path, {"a.qmd": text}, ["GLS005"], terms=ACRONYMS, options=options) == [("GLS005", "a.qmd", 1, 13)]


def test_gls005_suggests_the_books_case_for_a_lower_case_glossary(tmp_path: Path) -> None:
    glossary = json.dumps({"terms": [{"term": "hadoop distributed file system (hdfs)", "definition": "d"},
                                     {"term": "keyword spotting (kws)", "definition": "k"}]}, indent=2)
    text = ("We store logs in HDFS and run KWS on them.\n\nThe logs come from Apache Hadoop, which the\n"
            "team runs. Keyword spotting (KWS) is cheap; keyword spotting is everywhere.\n")
    result = diagnostics(tmp_path, {"a.qmd": text}, ["GLS005"], terms="terms: []\n",
                         extra={"a_glossary.json": glossary}, sources=["a_glossary.json"])
    assert [(d.span.line, d.span.column, d.message) for d in result] == [
        (1, 18, 'acronym `HDFS` is never expanded; write "Hadoop distributed file system (HDFS)" at its first use'),
        (1, 31, "acronym `KWS` is used before it is expanded; its first expansion comes later, at a.qmd:4"),
    ]
    assert [d.subject for d in result] == ["HDFS", "KWS"]


def test_gls005_mlsysbook_parenthesised_terms(tmp_path: Path) -> None:
    glossary = json.dumps({"metadata": {"chapter": "a"}, "terms": [
        {"term": "keyword spotting (kws)", "definition": "k"},
        {"term": "etl (extract, transform, load)", "definition": "e"},
        {"term": "olap (online analytical processing)", "definition": "o"},
    ]}, indent=2)
    text = ("Keyword Spotting (KWS) listens. KWS is small. ETL (extract, transform, load) moves data;\n"
            "ETL again. Warehouses (OLAP) scan; the OLAP engine.\n")
    assert gls(tmp_path, {"a.qmd": text}, ["GLS005"], terms=None, extra={"a_glossary.json": glossary},
               sources=["a_glossary.json"]) == [("GLS005", "a.qmd", 2, 24)]


def test_gls005_website_pages_are_checked_one_by_one(tmp_path: Path) -> None:
    files = {
        "_quarto.yml": "project:\n  type: website\n",
        "a.qmd": "The tensor processing unit (TPU).\n",
        "b.qmd": "A TPU.\n",
        "style/terms.yml": ACRONYMS,
    }
    write_files(tmp_path, files)
    config = {"glossary": {"sources": ["style/terms.yml"]}}
    assert found(lint(tmp_path, ["GLS005"], config=config), tmp_path) == [("GLS005", "b.qmd", 1, 3)]


# ----------------------------------------------------------------------------------------
# GLS006 term-used-before-definition
# ----------------------------------------------------------------------------------------


def _chapter_glossary(chapter: str, *terms: str) -> str:
    return json.dumps({"metadata": {"chapter": chapter},
                       "terms": [{"term": t, "definition": f"{t}."} for t in terms]}, indent=2)


def test_gls006_chapter_glossary_defines_the_term_for_its_chapter(tmp_path: Path) -> None:
    chapters = {
        "intro.qmd": "# Intro\n\nA systolic array, then systolic arrays.\n\n## Systolic arrays\n",
        "middle.qmd": "# Middle\n\nMore systolic array.\n",
        "hw/hardware.qmd": "# Hardware\n\nThe systolic array is a grid.\n",
    }
    extra = {"hw/hardware_glossary.json": _chapter_glossary("hardware", "systolic array")}
    result = diagnostics(tmp_path, chapters, ["GLS006"], terms="terms: []\n", extra=extra,
                         sources=["**/*_glossary.json"])
    assert [(Path(d.span.path).name, d.span.line, d.span.column) for d in result] == [("intro.qmd", 3, 3)]
    assert result[0].message == ("`systolic array` is used here, before hw/hardware.qmd, the chapter that defines the "
                                 "glossary term `systolic array` (its chapter glossary hw/hardware_glossary.json)")
    assert result[0].severity == Severity.INFO


def test_gls006_bold_first_definition(tmp_path: Path) -> None:
    chapters = {
        "a.qmd": "# A\n\nThe memory wall looms.\n",
        "b.qmd": "# B\n\nThe **memory wall**\\index{memory wall} is a gap. The memory wall again.\n",
    }
    assert gls(tmp_path, chapters, ["GLS006"]) == [("GLS006", "a.qmd", 3, 5)]


def test_gls006_earliest_definition_wins_and_defining_chapter_is_fine(tmp_path: Path) -> None:
    chapters = {
        "a.qmd": "# A\n\nThe **memory wall** is a gap.\n",
        "b.qmd": "# B\n\nThe memory wall again.\n",
        "c.qmd": "# C\n\nThe memory wall once more.\n",
    }
    extra = {"c_glossary.json": _chapter_glossary("c", "memory wall")}
    assert gls(tmp_path, chapters, ["GLS006"], terms=None, extra=extra, sources=["c_glossary.json"]) == []


def test_gls006_ignore_option(tmp_path: Path) -> None:
    chapters = {"a.qmd": "# A\n\nTraining starts.\n", "b.qmd": "# B\n\nThe **training** loop.\n"}
    options = {"GLS006": {"ignore": ["Training"]}}
    assert gls(tmp_path, chapters, ["GLS006"], terms="terms:\n  - term: training\n") == [("GLS006", "a.qmd", 3, 1)]
    assert gls(tmp_path, chapters, ["GLS006"], terms="terms:\n  - term: training\n", options=options) == []


# ----------------------------------------------------------------------------------------
# Glossary sources
# ----------------------------------------------------------------------------------------


def test_definition_list_glossary_chapter_is_a_source(tmp_path: Path) -> None:
    glossary = ("# Glossary\n\nQuadrat\n:   A square frame used to sample an area.\n\n"
                "Line transect\n:   A line along which observations are made.\n")
    chapters = {"a.qmd": "We lay a quadrat along a line-transect.\n", "glossary.qmd": glossary}
    book(tmp_path, chapters)
    result = lint(tmp_path, ["GLS001", "GLS004"])
    assert found(result, tmp_path) == [("GLS001", "a.qmd", 1, 26)]
    assert result[0].fix.replacement == "line transect"  # the capital of a definition-list term is no case


def test_configured_qmd_source_is_a_glossary_chapter(tmp_path: Path) -> None:
    terms_page = "# Terms we use\n\n## roofline model {#roofline}\n\nA bound.\n\n## memory wall {#wall}\n\nA gap.\n"
    chapters = {"a.qmd": "The roofline model and the memory-wall.\n", "terms.qmd": terms_page}
    assert gls(tmp_path, chapters, ["GLS001", "GLS004"], terms=None, sources=["terms.qmd"]) == [
        ("GLS001", "a.qmd", 1, 28),
    ]


def test_autodetected_sources_without_configuration(tmp_path: Path) -> None:
    chapters = {"a.qmd": "We use {{< glossary alpha >}} and the mini batch.\n"}
    extra = {"glossary.yml": "alpha: A threshold.\nmini-batch: A slice.\n"}
    book(tmp_path, chapters, extra)
    assert found(lint(tmp_path, ["GLS"]), tmp_path) == [("GLS001", "a.qmd", 1, 39)]


def test_sources_relative_to_the_configuration_folder_as_a_fallback(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".mlsys-lint.yml": "glossary:\n  sources: [style/terms.yml]\n",
        "style/terms.yml": TERMS,
        "book/_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [a.qmd]\n",
        "book/a.qmd": "Some back-propagation.\n",
    })
    result = CliRunner().invoke(main, ["check", "--no-cache", "--select", "GLS001", "--format", "concise",
                                       str(tmp_path / "book")])
    assert result.exit_code == 1, result.output
    assert "a.qmd:1:6: GLS001" in result.output


@pytest.mark.parametrize(
    "files, message",
    [
        ({"style/terms.yml": "terms:\n  - term: x\n    bogus: 1\n"}, "style/terms.yml:3: unknown key 'bogus'"),
        ({"style/terms.yml": "terms:\n  - term: x\n  definition: [\n"}, "style/terms.yml:3: invalid YAML"),
        ({}, "style/terms.yml: glossary source not found"),
    ],
)
def test_broken_glossary_source_is_exit_2_with_file_and_line(tmp_path: Path, files: dict, message: str) -> None:
    write_files(tmp_path, {
        ".mlsys-lint.yml": "glossary:\n  sources: [style/terms.yml]\n",
        "_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [a.qmd]\n",
        "a.qmd": "Text.\n",
        **files,
    })
    result = CliRunner().invoke(main, ["check", "--no-cache", "--select", "GLS", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.startswith("mlsys-lint: error: ")


def test_broken_glossary_ignored_when_no_gls_rule_runs(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".mlsys-lint.yml": "glossary:\n  sources: [style/terms.yml]\n",
        "_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [a.qmd]\n",
        "a.qmd": "Text.\n",
    })
    result = CliRunner().invoke(main, ["check", "--no-cache", "--select", "FN", str(tmp_path)])
    assert result.exit_code == 0, result.output


def test_glossary_pattern_matching_nothing_is_exit_2(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".mlsys-lint.yml": "glossary:\n  sources: [\"contents/**/*_glossary.json\"]\n",
        "_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [a.qmd]\n",
        "a.qmd": "Text.\n",
    })
    result = CliRunner().invoke(main, ["check", "--no-cache", "--select", "GLS", str(tmp_path)])
    assert result.exit_code == 2
    assert "contents/**/*_glossary.json: glossary source pattern matches no file" in result.output


# ----------------------------------------------------------------------------------------
# The example book
# ----------------------------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "book"


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="example book not available")
def test_example_book_glossary_findings() -> None:
    from mlsys_lint.config import load_settings
    from mlsys_lint.engine import Engine
    from mlsys_lint.registry import load_rules, select_rules

    settings = load_settings(EXAMPLE)
    settings.select = ["GLS"]
    engine = Engine(settings, select_rules(load_rules(), settings), base=EXAMPLE)
    result = found(engine.run([EXAMPLE]).diagnostics, EXAMPLE)
    assert sorted((code, path, line) for code, path, line, _ in result) == sorted([
        ("GLS001", "_shared/_note.qmd", 5),
        ("GLS006", "introduction.qmd", 18),
        ("GLS005", "introduction.qmd", 19),
        ("GLS001", "training.qmd", 88),
        ("GLS003", "efficiency.qmd", 45),
        ("GLS002", "glossary.yml", 1),
        ("GLS004", "glossary.yml", 15),
        ("GLS007", "glossary.yml", 18),
    ])


def test_gls003_without_any_glossary_source_is_one_note(tmp_path: Path) -> None:
    """An R book whose `glossary()` links to an online glossary (the glossary package):
    nothing in the project defines the terms, so none is checked and one note says why."""
    text = "An `r glossary(\"IDE\")` runs `r glossary(\"R\")`.\n\nSee `r glossary(\"console\")`.\n"
    book(tmp_path, {"a.qmd": text})
    [note] = lint(tmp_path, ["GLS003"])
    assert (note.code, note.span.line, note.span.column, note.severity) == ("GLS003", 1, 4, Severity.INFO)
    assert "3 glossary references" in note.message and "`IDE`" in note.message
    book(tmp_path, {"a.qmd": "No terms here.\n"})
    assert lint(tmp_path, ["GLS003"]) == []
