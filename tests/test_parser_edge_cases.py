"""Parser edge cases: every item of the syntax reference's §9 "Tricky edge cases" and of the
MLSysBook tooling notes' §10 "Tricky manuscript snippets", with exact positions.

Each test parses a minimal snippet and asserts the model exactly: labels, references,
floats, footnotes, problems and, where hiding matters, ``doc.masked``.  Where an edge case
is about a rule's verdict (e.g. "unresolved in PDF"), the test asserts the parser facts
the rule needs (e.g. the label's condition).  Positions are 1-based (line, column); end
columns are exclusive.
"""

from __future__ import annotations

from mlsys_lint.cells import Expression
from mlsys_lint.document import parse
from mlsys_lint.model import Condition, Source
from mlsys_lint.reading import decode


# -- helpers -----------------------------------------------------------------------------------


def doc_of(text: str, path: str = "x.qmd"):
    return parse(Source(path, text))


def R(key, line, column, cap=None, inside=None, bracketed=False, suppress=False, suffix=False):
    """A reference as `refs` reports it."""
    return (key, line, column, cap, inside, bracketed, suppress, suffix)


def refs(doc):
    return [(r.key, r.span.line, r.span.column, r.in_caption_of, r.inside_float, r.bracketed,
             r.suppress_prefix, r.has_suffix) for r in doc.references]


def labels(doc):
    return [(label.id, label.form, label.span.line, label.span.column) for label in doc.labels]


def _value(text):
    return None if text is None else text.value


def floats(doc):
    """(type, form, label, caption, alt, parent, subfloats) per float, in document order."""
    return [(f.type, f.form, f.label, _value(f.caption), _value(f.alt), f.parent, f.subfloats) for f in doc.floats]


def where(doc, start):
    return doc.source.position(start)


def text_at(text):
    """(value, line, column) of a `Text`."""
    return (text.value, text.span.line, text.span.column)


def problems(doc):
    return [(p.kind, *where(doc, p.start), p.subject) for p in doc.problems]


def note_refs(doc):
    return [(n.id, n.span.line, n.span.column, n.in_note, n.context) for n in doc.footnote_refs]


def note_defs(doc):
    return [(d.id, d.span.line, d.span.column, d.body.value, d.separated, d.container) for d in doc.footnote_defs]


def masked_lines(doc):
    return [line.rstrip() for line in doc.masked.splitlines()]


def span(element):
    s = element.span
    return (s.line, s.column, s.end_line, s.end_column)


# == Syntax reference §9: tricky edge cases ====================================================


def test_syntax_09_01_final_full_stop_is_not_part_of_the_key():
    doc = doc_of("See @fig-map.\n")
    assert refs(doc) == [R("fig-map", 1, 5)]
    assert span(doc.references[0]) == (1, 5, 1, 13)
    assert masked_lines(doc) == ["See         ."]


def test_syntax_09_02_missing_space_after_full_stop_joins_the_key():
    doc = doc_of("See @fig-map.Next sentence\n")
    assert refs(doc) == [R("fig-map.Next", 1, 5)]
    assert span(doc.references[0]) == (1, 5, 1, 18)


def test_syntax_09_03_parenthesised_reference_mid_sentence():
    doc = doc_of("The map (@fig-map) shows it.\n")
    assert refs(doc) == [R("fig-map", 1, 10)]
    assert doc.problems == []


def test_syntax_09_04_line_starting_with_parenthesised_key_is_an_example_list_item():
    doc = doc_of("(@fig-map) shows the sites.\n\nLater @fig-map again.\n")
    assert refs(doc) == [R("fig-map", 3, 7)]  # prints the example number; the rule pairs it with the problem
    assert problems(doc) == [("example-list-label", 1, 1, "fig-map")]
    assert where(doc, doc.problems[0].end) == (1, 11)
    assert masked_lines(doc)[0] == "           shows the sites."


def test_syntax_09_05_at_sign_after_a_word_character_is_not_a_reference():
    doc = doc_of("Mail alice@example.org or x@fig-a now.\n")
    assert refs(doc) == []


def test_syntax_09_06_inline_code_hides_a_reference():
    doc = doc_of("Write `@fig-map` to refer.\n")
    assert refs(doc) == []
    assert masked_lines(doc) == ["Write            to refer."]


def test_syntax_09_07_only_the_first_character_is_case_folded():
    doc = doc_of("@Fig-map and @FIG-map.\n")
    assert refs(doc) == [R("Fig-map", 1, 1), R("FIG-map", 1, 14)]
    assert [r.lookup_key for r in doc.references] == ["fig-map", "fIG-map"]


def test_syntax_09_08_underscore_after_the_type_is_not_a_crossref_label():
    doc = doc_of("See @fig_map and #fig_map.\n\n![Map](map.png){#fig_map}\n")
    assert refs(doc) == [R("fig_map", 1, 5)]  # a citation key; rules see no `type-` prefix
    assert labels(doc) == []
    assert floats(doc) == [("fig", "image", None, "Map", None, None, [])]
    assert [(i.id, i.span.line, i.span.column) for i in doc.other_ids] == [("fig_map", 3, 18)]


def test_syntax_09_09_bibliography_keys_that_look_like_crossrefs():
    doc = doc_of("As @smith-2020 and @sec-2019review argue.\n")
    assert refs(doc) == [R("smith-2020", 1, 4), R("sec-2019review", 1, 20)]


def test_syntax_09_10_custom_prefix_in_brackets_applies_to_the_first_item():
    doc = doc_of("[Figure @fig-a] and [Fig @fig-a; @fig-b].\n")
    assert refs(doc) == [R("fig-a", 1, 9, bracketed=True), R("fig-a", 1, 26, bracketed=True),
                         R("fig-b", 1, 34, bracketed=True)]
    assert masked_lines(doc) == ["[Figure       ] and [Fig       ;       ]."]


def test_syntax_09_11_bracket_after_a_bare_reference_is_a_dropped_suffix():
    doc = doc_of("See @fig-a [right panel] now.\n")
    assert refs(doc) == [R("fig-a", 1, 5, suffix=True)]
    # The words stay visible: the parser cannot tell a crossref from a bibliography key
    # (custom types live in the project), and citeproc does print a citation's suffix.
    assert masked_lines(doc) == ["See        [right panel] now."]
    # Spaces and one line break may stand between the key and its suffix.
    doc = doc_of("See @fig-a\n[right panel] and @fig-b   [left].\n")
    assert refs(doc) == [R("fig-a", 1, 5, suffix=True), R("fig-b", 2, 19, suffix=True)]


def test_syntax_09_11_bracket_with_a_citation_after_a_bare_reference_is_not_a_suffix():
    doc = doc_of("See @fig-a [see @fig-b], @fig-c [x](u), @fig-d [y]{.c}, @fig-e [^1].\n")
    assert refs(doc) == [R("fig-a", 1, 5), R("fig-b", 1, 17, bracketed=True), R("fig-c", 1, 26),
                         R("fig-d", 1, 41), R("fig-e", 1, 57)]
    assert note_refs(doc) == [("1", 1, 64, None, "prose")]


def test_syntax_09_12_suppressed_prefix_bracketed_and_bare():
    doc = doc_of("[-@fig-a] and -@fig-a.\n")
    assert refs(doc) == [R("fig-a", 1, 2, bracketed=True, suppress=True), R("fig-a", 1, 15, suppress=True)]
    assert span(doc.references[1]) == (1, 15, 1, 22)


def test_syntax_09_13_space_before_attributes_detaches_them():
    doc = doc_of("![Map](map.png) {#fig-map}\n")
    assert labels(doc) == []
    assert floats(doc) == []
    assert problems(doc) == [("detached-attributes", 1, 17, "fig-map")]
    assert where(doc, doc.problems[0].end) == (1, 27)


def test_syntax_09_14_image_sharing_its_paragraph_is_not_a_figure():
    doc = doc_of("Text ![Map](map.png){#fig-map} more text\n")
    assert labels(doc) == []
    assert floats(doc) == []
    assert problems(doc) == [("inline-image-label", 1, 22, "fig-map")]
    assert where(doc, doc.problems[0].end) == (1, 30)


def test_syntax_09_15_empty_caption_image_is_still_a_numbered_figure():
    doc = doc_of("![](map.png){#fig-map}\n")
    assert labels(doc) == [("fig-map", "image", 1, 15)]
    assert floats(doc) == [("fig", "image", "fig-map", "", None, None, [])]
    assert text_at(doc.floats[0].caption) == ("", 1, 3)
    assert doc.labels[0].float_index == 0


def test_syntax_09_16_figure_div_ending_with_a_cell_has_no_caption():
    doc = doc_of("::: {#fig-x}\n```{r}\nplot(1)\n```\n:::\n\n::: {#fig-t}\n| a |\n|---|\n| 1 |\n:::\n")
    assert labels(doc) == [("fig-x", "div", 1, 7), ("fig-t", "div", 7, 7)]
    # The table is the figure's content (Quarto takes no caption from it): it is recorded
    # as a float of the div, as every float inside a float div is.
    assert floats(doc) == [("fig", "div", "fig-x", None, None, None, []),
                           ("tbl", "table", None, None, None, 2, []),
                           ("fig", "div", "fig-t", None, None, None, [1])]


def test_syntax_09_17_caption_paragraph_wins_over_the_cap_attribute():
    doc = doc_of('::: {#fig-x fig-cap="A"}\n![](a.png)\n\nB @fig-y.\n:::\n')
    fig = doc.floats[-1]
    assert (fig.label, text_at(fig.caption), text_at(fig.caption_attribute)) == ("fig-x", ("B @fig-y.", 4, 1), ("A", 1, 22))
    assert refs(doc) == [R("fig-y", 4, 3, cap="fig-x", inside="fig-x")]


def test_syntax_09_18_single_paragraph_in_a_figure_div_is_content_not_caption():
    doc = doc_of("::: {#fig-x}\nOnly paragraph @fig-y.\n:::\n")
    assert floats(doc) == [("fig", "div", "fig-x", None, None, None, [])]
    assert refs(doc) == [R("fig-y", 2, 16, inside="fig-x")]


def test_syntax_09_19_two_images_in_one_paragraph_are_not_subfigures():
    doc = doc_of("::: {#fig-p layout-ncol=2}\n![A](a.png){#fig-a}\n![B](b.png){#fig-b}\n\nCaption.\n:::\n")
    assert labels(doc) == [("fig-p", "div", 1, 7)]
    assert floats(doc) == [("fig", "div", "fig-p", "Caption.", None, None, [])]
    assert problems(doc) == [("inline-image-label", 2, 13, "fig-a"), ("inline-image-label", 3, 13, "fig-b")]


def test_syntax_09_20_cell_subcaptions_generate_numbered_labels():
    doc = doc_of("```{r}\n#| label: fig-plots\n#| fig-cap: Both\n#| fig-subcap: [A, B]\nplot(1)\nplot(2)\n```\n")
    assert labels(doc) == [("fig-plots", "cell", 2, 11), ("fig-plots-1", "subcap", 2, 11),
                           ("fig-plots-2", "subcap", 2, 11)]
    assert floats(doc) == [("fig", "cell", "fig-plots", "Both", None, None, [1, 2]),
                           ("fig", "cell", "fig-plots-1", "A", None, 0, []),
                           ("fig", "cell", "fig-plots-2", "B", None, 0, [])]
    assert [text_at(f.caption) for f in doc.floats] == [("Both", 3, 13), ("A", 4, 17), ("B", 4, 20)]


def test_syntax_09_21_option_line_after_code_is_a_comment():
    doc = doc_of("```{r}\nx <- 1\n#| label: fig-x\n```\n")
    assert labels(doc) == []
    assert floats(doc) == []
    assert [(c.language, c.executable, c.options, c.label) for c in doc.cells] == [("r", True, {}, None)]


def test_syntax_09_22_escaped_cell_defines_nothing():
    doc = doc_of("```{{r}}\n#| label: fig-x\n#| fig-cap: \"Cap @fig-y\"\n```\n\nSee @fig-x.\n")
    assert labels(doc) == []
    assert floats(doc) == []
    assert refs(doc) == [R("fig-x", 6, 5)]
    assert [(c.language, c.executable) for c in doc.cells] == [("r", False)]
    assert masked_lines(doc)[:4] == ["", "", "", ""]


def test_syntax_09_23_equation_label_on_the_next_line_is_detached():
    doc = doc_of("$$\nE = mc^2\n$$\n{#eq-x}\n\n$$ a $$ {#eq-y}\n")
    assert labels(doc) == [("eq-y", "equation", 6, 11)]
    assert problems(doc) == [("detached-attributes", 4, 1, "eq-x")]


def test_syntax_09_24_code_block_with_lst_id_but_no_caption_is_not_a_listing():
    doc = doc_of("```{#lst-q .sql}\nSELECT 1;\n```\n\n```{#lst-r .sql lst-cap=\"Rows @lst-q.\"}\nSELECT 2;\n```\n")
    assert labels(doc) == [("lst-r", "code", 5, 6)]
    assert floats(doc) == [("lst", "code", "lst-q", None, None, None, []),
                           ("lst", "code", "lst-r", "Rows @lst-q.", None, None, [])]
    assert refs(doc) == [R("lst-q", 5, 31, cap="lst-r")]


def test_syntax_09_25_uppercase_label_is_recorded_as_written():
    doc = doc_of("## Methods {#Sec-methods}\n")
    assert labels(doc) == [("Sec-methods", "heading", 1, 14)]
    assert doc.labels[0].type == "sec"
    assert [(h.level, h.text.value, h.id) for h in doc.headings] == [(2, "Methods", "Sec-methods")]


def test_syntax_09_26_same_label_in_two_chapters():
    one = doc_of("![A](a.png){#fig-x}\n", "one.qmd")
    two = doc_of("Intro.\n\n![B](b.png){#fig-x}\n", "two.qmd")
    assert labels(one) == [("fig-x", "image", 1, 14)]
    assert labels(two) == [("fig-x", "image", 3, 14)]
    assert not one.labels[0].condition.exclusive_with(two.labels[0].condition)


def test_syntax_09_27_same_label_in_exclusive_branches():
    doc = doc_of('::: {.content-visible when-format="html"}\n![A](a.png){#fig-w}\n:::\n\n'
                 '::: {.content-visible when-format="pdf"}\n![A](a.png){#fig-w}\n:::\n\n![A](a.png){#fig-w}\n')
    assert labels(doc) == [("fig-w", "image", 2, 14), ("fig-w", "image", 6, 14), ("fig-w", "image", 9, 14)]
    html, pdf, plain = (label.condition for label in doc.labels)
    assert html.clauses == ((True, "when-format", ("html",)),)
    assert pdf.clauses == ((True, "when-format", ("pdf",)),)
    assert plain.clauses == ()
    assert html.exclusive_with(pdf)
    assert not html.exclusive_with(plain)


def test_syntax_09_28_label_only_in_an_html_branch_is_missing_in_pdf():
    doc = doc_of('::: {.content-visible when-format="html"}\n![W](w.png){#fig-widget}\n:::\n\nSee @fig-widget.\n')
    assert labels(doc) == [("fig-widget", "image", 2, 14)]
    assert refs(doc) == [R("fig-widget", 5, 5)]
    condition = doc.labels[0].condition
    assert condition.visible("html", "") and not condition.visible("pdf", "")
    assert doc.references[0].condition == Condition()


def test_syntax_09_29_reference_to_another_page_of_a_website():
    page = doc_of("See @fig-other.\n", "a.qmd")
    other = doc_of("![O](o.png){#fig-other}\n", "b.qmd")
    assert refs(page) == [R("fig-other", 1, 5)]
    assert labels(other) == [("fig-other", "image", 1, 14)]


def test_syntax_09_30_commented_out_figure_defines_nothing():
    doc = doc_of("<!-- ![Old](old.png){#fig-old} -->\n\n<!--\n```{r}\n#| label: fig-chunk\n```\n-->\n\nSee @fig-old.\n")
    assert labels(doc) == []
    assert floats(doc) == []
    assert [c for c in doc.cells] == []
    assert refs(doc) == [R("fig-old", 9, 5)]
    assert masked_lines(doc)[:7] == [""] * 7


def test_syntax_09_31_footnote_reference_without_definition():
    doc = doc_of("A claim.[^note]\n")
    assert note_refs(doc) == [("note", 1, 9, None, "prose")]
    assert note_defs(doc) == []


def test_syntax_09_32_same_footnote_id_in_two_chapters():
    two = doc_of("Two.[^1]\n\n[^1]: From chapter two.\n", "two.qmd")
    five = doc_of("Five.[^1]\n\n[^1]: From chapter five.\n", "five.qmd")
    assert note_defs(two) == [("1", 3, 1, "From chapter two.", True, None)]
    assert note_defs(five) == [("1", 3, 1, "From chapter five.", True, None)]


def test_syntax_09_33_footnote_referenced_twice():
    doc = doc_of("One[^a] and two[^a].\n\n[^a]: Text.\n")
    assert note_refs(doc) == [("a", 1, 4, None, "prose"), ("a", 1, 16, None, "prose")]


def test_syntax_09_34_footnote_definition_inside_a_list_or_block_quote():
    doc = doc_of("Text[^x][^y].\n\n- item\n\n  [^x]: In a list.\n\n> [^y]: In a quote.\n")
    assert note_defs(doc) == [("x", 5, 3, "In a list.", True, "list"), ("y", 7, 3, "In a quote.", True, "blockquote")]
    assert note_refs(doc) == [("x", 1, 5, None, "prose"), ("y", 1, 9, None, "prose")]


def test_syntax_09_35_space_in_footnote_id_is_not_a_reference():
    doc = doc_of("Text [^ my note] here.\n")
    assert note_refs(doc) == []
    assert masked_lines(doc) == ["Text [^ my note] here."]


def test_syntax_09_36_continuation_indented_two_spaces_ends_the_note():
    doc = doc_of("Text[^z].\n\n[^z]: First para\nlazy line.\n\n  Not in the note @fig-q.\n")
    assert note_defs(doc) == [("z", 3, 1, "First para\nlazy line.", True, None)]
    assert refs(doc) == [R("fig-q", 6, 19)]
    assert doc.references[0].context == "prose"


def test_syntax_09_37_fence_closed_only_by_same_character_and_length():
    doc = doc_of("````\ncode @fig-a\n~~~~\n```\nstill code [^n]\n```` \n\nAfter @fig-b.\n\n```\nopen\n~~~\n``\n")
    assert refs(doc) == [R("fig-b", 8, 7)]
    assert note_refs(doc) == []
    assert problems(doc) == [("unclosed-fence", 10, 1, "")]
    assert where(doc, doc.problems[0].end) == (10, 4)
    assert [(c.first_line, c.last_line) for c in doc.cells] == [(1, 6), (10, 14)]
    assert masked_lines(doc)[9:] == ["", "", "", ""]


def test_syntax_09_38_longer_outer_fence_shows_a_fence():
    doc = doc_of("````markdown\n```{r}\n#| label: fig-inner\n```\n@fig-inner\n````\n")
    assert labels(doc) == []
    assert refs(doc) == []
    assert [(c.language, c.executable, c.first_line, c.last_line) for c in doc.cells] == [("markdown", False, 1, 6)]


def test_syntax_09_39_include_inside_a_code_block_is_still_expanded():
    doc = doc_of("```python\n{{< include _code.py >}}\n```\n\n```{.python shortcodes=false}\n{{< include _skip.py >}}\n```\n")
    assert [(i.target, *where(doc, i.start), i.in_code) for i in doc.includes] == [("_code.py", 2, 1, True)]


def test_syntax_09_40_escaped_include_is_literal_text():
    doc = doc_of("{{{< include _lit.qmd >}}}\n")
    assert doc.includes == []
    assert doc.shortcodes == []
    assert masked_lines(doc) == ["{{{< include _lit.qmd >}}}"]


def test_syntax_09_41_image_in_an_included_file():
    # The path is resolved by the project against the including file; the parser records the
    # included file's figure and the include itself.
    host = doc_of("{{< include _sub/_a.qmd >}}\n", "chapter.qmd")
    part = doc_of("![](img/x.png)\n", "_sub/_a.qmd")
    assert [(i.target, *where(host, i.start), i.in_code) for i in host.includes] == [("_sub/_a.qmd", 1, 1, False)]
    assert floats(part) == [("fig", "image", None, "", None, None, [])]


def test_syntax_09_42_include_inside_a_list_item_or_a_line_of_text_is_not_an_include():
    doc = doc_of("- {{< include _item.qmd >}}\n\nText {{< include _inline.qmd >}} here.\n")
    assert doc.includes == []
    assert [(s.name, s.args, *where(doc, s.start)) for s in doc.shortcodes] == [
        ("include", ["_item.qmd"], 1, 3), ("include", ["_inline.qmd"], 3, 6)]


def test_syntax_09_43_reference_inside_a_cell_caption_is_real():
    doc = doc_of('```{r}\n#| label: fig-a\n#| fig-cap: "Compare @fig-b."\nplot(1)\n```\n')
    assert refs(doc) == [R("fig-b", 3, 22, cap="fig-a", inside="fig-a")]
    assert doc.references[0].context == "caption"
    assert masked_lines(doc)[2] == "             Compare       ."


def test_syntax_09_44_unquoted_colon_in_a_cell_caption_is_a_yaml_error():
    doc = doc_of("```{r}\n#| label: fig-x\n#| fig-cap: Plot: weight\nplot(1)\n```\n")
    assert problems(doc) == [("yaml-error", 3, 17, "")]
    assert labels(doc) == []


def test_syntax_09_45_glossary_shortcode():
    doc = doc_of("A {{< glossary Term >}} here.\n")
    assert [(s.name, s.args, s.kwargs, span(s)) for s in doc.shortcodes] == [
        ("glossary", ["Term"], {}, (1, 3, 1, 24))]
    assert masked_lines(doc) == ["A" + " " * 23 + "here."]


def test_syntax_09_46_glossary_term_with_an_apostrophe():
    doc = doc_of('{{< glossary "it\'s" popup="hover" >}}\n')
    assert [(s.name, s.args, s.kwargs) for s in doc.shortcodes] == [("glossary", ["it's"], {"popup": "hover"})]


def test_syntax_09_47_dollar_amounts_are_not_math():
    doc = doc_of("$10 and $20 with @fig-m and [^m].\n")
    assert refs(doc) == [R("fig-m", 1, 18)]
    assert note_refs(doc) == [("m", 1, 29, None, "prose")]


def test_syntax_09_48_escaped_at_sign_is_literal():
    doc = doc_of("\\@fig-a literal.\n")
    assert refs(doc) == []


def test_syntax_09_49_reference_inside_link_text():
    doc = doc_of("[see @fig-a](#somewhere)\n")
    assert refs(doc) == [R("fig-a", 1, 6)]
    assert [(where(doc, s)[1], where(doc, e)[1], d) for s, e, d in doc.links] == [(1, 25, "#somewhere")]


def test_syntax_09_50_proof_class_has_no_id():
    doc = doc_of("::: {.proof}\nTrivial.\n:::\n\nBy @prf-x.\n")
    assert labels(doc) == []
    assert floats(doc) == []
    assert refs(doc) == [R("prf-x", 5, 4)]


def test_syntax_09_51_def_div_is_a_theorem_environment():
    doc = doc_of("::: {#def-bayes}\nBayes' rule.\n:::\n")
    assert labels(doc) == [("def-bayes", "div", 1, 7)]
    assert doc.labels[0].type == "def"
    assert floats(doc) == []


def test_syntax_09_52_latex_and_bookdown_reference_habits():
    doc = doc_of("\\label{fig:x} and \\ref{fig:x} and \\@ref(fig:x).\n")
    assert [(t.command, t.argument, *where(doc, t.start), *where(doc, t.end)) for t in doc.raw_tex] == [
        ("label", "fig:x", 1, 1, 1, 14), ("ref", "fig:x", 1, 19, 1, 30)]
    assert refs(doc) == []
    # `\@ref(fig:x)` is an escaped `@` and literal text (Pandoc prints it): only the escape is
    # hidden, so XR004 finds `ref(fig:x)` in the masked text right after a `\@`.
    assert masked_lines(doc) == [" " * 14 + "and" + " " * 13 + "and   ref(fig:x)."]


def test_syntax_09_53_custom_type_div_and_reference():
    doc = doc_of("::: {#vid-tour}\nA video.\n\nGuided tour.\n:::\n\nSee @vid-tour.\n")
    assert labels(doc) == [("vid-tour", "div", 1, 7)]
    assert doc.labels[0].type == "vid"
    assert floats(doc) == [("vid", "div", "vid-tour", "Guided tour.", None, None, [])]
    assert refs(doc) == [R("vid-tour", 7, 5)]


def test_syntax_09_54_figure_in_an_unnumbered_chapter():
    doc = doc_of("# Preface {.unnumbered}\n\n![F](f.png){#fig-x}\n\n# Other {-}\n")
    assert [(h.level, h.text.value, h.classes) for h in doc.headings] == [
        (1, "Preface", ("unnumbered",)), (1, "Other", ("unnumbered",))]
    assert labels(doc) == [("fig-x", "image", 3, 14)]


# == MLSysBook tooling notes §10: tricky manuscript snippets ====================================


def test_mlsysbook_10_01_hidden_cell_counts_as_one_block_between_reference_and_figure():
    text = ("@fig-roofline summarises the bound.\n\n```{python}\n#| echo: false\n" + "x = 1\n" * 40 + "```\n\n"
            '::: {#fig-roofline fig-cap="Roofline."}\n![](r.png)\n:::\n')
    doc = doc_of(text)
    assert refs(doc) == [R("fig-roofline", 1, 1)]
    assert labels(doc) == [("fig-roofline", "div", 47, 7)]
    figure = doc.floats[-1]
    assert (figure.label, figure.span.line) == ("fig-roofline", 47)
    # Blocks: 1 the paragraph, 2 the 43-line cell, 3 the figure div (4 its image).
    assert [doc.source.line_of(start) for start in doc.block_starts] == [1, 3, 47, 48]
    assert (doc.references[0].block, figure.block) == (1, 3)


def test_mlsysbook_10_02_self_reference_in_the_figure_caption():
    doc = doc_of('::: {#fig-roofline fig-cap="Compare with @fig-roofline."}\n![](r.png)\n:::\n')
    assert refs(doc) == [R("fig-roofline", 1, 42, cap="fig-roofline", inside="fig-roofline")]
    assert doc.references[0].context == "caption"
    assert [(p.kind, *where(doc, p.start)) for p in doc.prose if p.kind == "caption"] == [("caption", 1, 29)]


def test_mlsysbook_10_03_syntax_shown_in_a_markdown_code_block_or_inline_code():
    doc = doc_of('```markdown\n::: {#fig-demo fig-cap="Demo."}\n![](d.png)\n:::\n\nSee @fig-demo.\n```\n\n'
                 "Write `{#fig-demo}` and `@fig-demo`.\n")
    assert labels(doc) == []
    assert refs(doc) == []
    assert floats(doc) == []
    assert doc.problems == []
    assert masked_lines(doc)[8] == "Write" + " " * 15 + "and" + " " * 12 + "."


def test_mlsysbook_10_04_commented_out_draft_with_a_fence_and_an_old_div():
    doc = doc_of("Intro @fig-old.\n\n<!-- Draft:\n```{python}\n::: {#fig-old fig-cap=\"Old\"}\n![](old.png)\n:::\n-->\n\n"
                 "```{python}\n#| label: fig-new\n#| fig-cap: \"New\"\nx = 1\n```\n\nAfter @fig-new.\n")
    assert labels(doc) == [("fig-new", "cell", 11, 11)]
    assert refs(doc) == [R("fig-old", 1, 7), R("fig-new", 16, 7)]
    assert floats(doc) == [("fig", "cell", "fig-new", "New", None, None, [])]
    assert [(c.language, c.first_line, c.last_line) for c in doc.cells] == [("python", 10, 14)]
    assert doc.problems == []
    assert masked_lines(doc)[2:8] == [""] * 6


def test_mlsysbook_10_05_cell_figure_with_a_block_scalar_caption():
    doc = doc_of('```{python}\n#| label: fig-latency\n#| fig-cap: |\n#|   Latency grows\n#|   with @fig-b size.\n'
                 '#| fig-alt: "Line chart of latency."\nplot()\n```\n')
    assert labels(doc) == [("fig-latency", "cell", 2, 11)]
    figure = doc.floats[0]
    assert (figure.type, figure.form, figure.label) == ("fig", "cell", "fig-latency")
    assert text_at(figure.caption) == ("Latency grows\nwith @fig-b size.\n", 4, 6)
    assert text_at(figure.alt) == ("Line chart of latency.", 6, 14)
    assert refs(doc) == [R("fig-b", 5, 11, cap="fig-latency", inside="fig-latency")]
    assert masked_lines(doc)[3:5] == ["     Latency grows", "     with        size."]


def test_mlsysbook_10_06_div_attributes_on_several_lines_with_escaped_and_single_quotes():
    doc = doc_of('::: {#fig-m\n     fig-cap="Compare @fig-a, the \\"best\\" one"\n'
                 '     fig-alt="The \\"roofline\\" model\'s ridge"}\n![](a.png)\n:::\n\n'
                 "::: {#fig-n fig-cap='Single \"q\" @fig-b' fig-alt='It\\'s single'}\n![](b.png)\n:::\n")
    assert labels(doc) == [("fig-m", "div", 1, 7), ("fig-n", "div", 7, 7)]
    m, n = doc.floats[1], doc.floats[3]
    assert text_at(m.caption) == ('Compare @fig-a, the "best" one', 2, 15)
    assert text_at(m.alt) == ('The "roofline" model\'s ridge', 3, 15)
    assert text_at(n.caption) == ('Single "q" @fig-b', 7, 22)
    assert text_at(n.alt) == ("It's single", 7, 50)
    assert refs(doc) == [R("fig-a", 2, 23, cap="fig-m", inside="fig-m"), R("fig-b", 7, 33, cap="fig-n", inside="fig-n")]


def test_mlsysbook_10_07_subfigures_with_the_parent_caption_as_last_paragraph():
    doc = doc_of('::: {#fig-pair layout-ncol="2"}\n![**Left** part](a.png){#fig-pair-a fig-alt="Alt A"}\n\n'
                 "![Right part](b.png){#fig-pair-b}\n\nBoth parts; see @fig-pair-a.\n:::\n\n@fig-pair and @fig-pair-b.\n")
    assert labels(doc) == [("fig-pair-a", "image", 2, 26), ("fig-pair-b", "image", 4, 23), ("fig-pair", "div", 1, 7)]
    assert floats(doc) == [("fig", "image", "fig-pair-a", "**Left** part", "Alt A", 2, []),
                           ("fig", "image", "fig-pair-b", "Right part", None, 2, []),
                           ("fig", "div", "fig-pair", "Both parts; see @fig-pair-a.", None, None, [0, 1])]
    assert refs(doc) == [R("fig-pair-a", 6, 17, cap="fig-pair", inside="fig-pair"), R("fig-pair", 9, 1),
                         R("fig-pair-b", 9, 15)]
    assert doc.references[0].context == "caption"


def test_mlsysbook_10_08_image_caption_with_a_link_and_nested_brackets():
    doc = doc_of('![**Title**: see [site](https://x.org/a_(b)) for [data]](img.png){#fig-x fig-alt="Chart [1]"}\n')
    assert labels(doc) == [("fig-x", "image", 1, 68)]
    assert floats(doc) == [("fig", "image", "fig-x", "**Title**: see [site](https://x.org/a_(b)) for [data]",
                            "Chart [1]", None, [])]
    assert [(d, where(doc, s)) for s, e, d in doc.links] == [("https://x.org/a_(b)", (1, 18))]
    assert masked_lines(doc) == ["![**Title**: see [site" + " " * 23 + "for [data]" + " " * 27 + "Chart [1]"]


def test_mlsysbook_10_09_reference_variants():
    doc = doc_of("@Fig-x opens. See [@fig-a; @fig-b], -@fig-x, @fig-x's panel, and @fig-x.\n"
                 "Mail ops@fig-server.org or cite @fig2020.\n")
    assert refs(doc) == [R("Fig-x", 1, 1), R("fig-a", 1, 20, bracketed=True), R("fig-b", 1, 28, bracketed=True),
                         R("fig-x", 1, 37, suppress=True), R("fig-x", 1, 46), R("fig-x", 1, 66), R("fig2020", 2, 33)]
    assert doc.references[0].lookup_key == "fig-x"


def test_mlsysbook_10_10_forward_reference_across_chapters():
    chapter3 = doc_of("As @fig-memory-hierarchy and @fig-other-volume show.\n", "ch3.qmd")
    chapter5 = doc_of("![Levels](m.png){#fig-memory-hierarchy}\n", "ch5.qmd")
    assert refs(chapter3) == [R("fig-memory-hierarchy", 1, 4), R("fig-other-volume", 1, 30)]
    assert labels(chapter5) == [("fig-memory-hierarchy", "image", 1, 19)]


def test_mlsysbook_10_11_footnote_definitions_glued_nested_and_multi_paragraph():
    doc = doc_of("A paragraph line.\n[^fn-glued]: Glued.\n\n"
                 "- item one\n\n  [^fn-list]: In a list.\n\n"
                 "::: {.callout-note}\n[^fn-call]: In a callout.\n:::\n\n"
                 "[^fn-multi]: First para\nlazy line.\n\n    Second para [^fn-y] @fig-s.\n\nOutside.\n")
    assert note_defs(doc) == [
        ("fn-glued", 2, 1, "Glued.", False, None),
        ("fn-list", 6, 3, "In a list.", True, "list"),
        ("fn-call", 9, 1, "In a callout.", True, None),
        ("fn-multi", 12, 1, "First para\nlazy line.\n\n    Second para [^fn-y] @fig-s.", True, None),
    ]
    assert note_refs(doc) == [("fn-y", 15, 17, "fn-multi", "footnote")]
    assert refs(doc) == [R("fig-s", 15, 25)]
    assert doc.references[0].context == "footnote"


def test_mlsysbook_10_11_footnote_definition_between_two_list_items():
    doc = doc_of("- item one\n[^fn-between]: Between items.\n- item two @fig-two\n")
    assert note_defs(doc) == [("fn-between", 2, 1, "Between items.", False, None)]
    assert refs(doc) == [R("fig-two", 3, 12)]  # the next item is a list item again, not note text
    assert doc.references[0].context == "prose"


def test_mlsysbook_10_12_regex_in_a_cell_and_a_marker_in_a_table_cell():
    doc = doc_of('```{python}\nre.compile(r"[^0-9]+")\n```\n\n| Term | Note |\n|------|------|\n| TPU  | Fast[^fn-a] |\n\n'
                 "[^fn-a]: A.\n")
    assert note_refs(doc) == [("fn-a", 7, 14, None, "table")]
    assert note_defs(doc) == [("fn-a", 9, 1, "A.", True, None)]


def test_mlsysbook_10_13_marker_placement_variants():
    doc = doc_of("Text term[^fn-x]. After [@smith2020][^fn-y] and [^fn-a][^fn-b] and^[inline note @fig-i] "
                 "and $x^{[2]}$ done.\n")
    assert note_refs(doc) == [("fn-x", 1, 10, None, "prose"), ("fn-y", 1, 37, None, "prose"),
                              ("fn-a", 1, 49, None, "prose"), ("fn-b", 1, 56, None, "prose")]
    assert [where(doc, n.start) + where(doc, n.end) for n in doc.inline_notes] == [(1, 67, 1, 88)]
    assert refs(doc) == [R("smith2020", 1, 26, bracketed=True), R("fig-i", 1, 81)]
    assert doc.references[1].context == "footnote"


def test_mlsysbook_10_14_same_footnote_id_in_two_chapters_and_a_numeric_draft_id():
    one = doc_of("TPU[^fn-tpu] and[^1].\n\n[^fn-tpu]: Tensor unit.\n\n[^1]: Draft.\n", "ch1.qmd")
    two = doc_of("TPU again[^fn-tpu].\n\n[^fn-tpu]: Tensor unit, again.\n", "ch2.qmd")
    assert note_defs(one) == [("fn-tpu", 3, 1, "Tensor unit.", True, None), ("1", 5, 1, "Draft.", True, None)]
    assert note_defs(two) == [("fn-tpu", 3, 1, "Tensor unit, again.", True, None)]
    assert note_refs(one) == [("fn-tpu", 1, 4, None, "prose"), ("1", 1, 17, None, "prose")]


def test_mlsysbook_10_15_term_in_prose_heading_index_alt_and_labels():
    doc = doc_of("# The Memory Wall {#sec-memory-wall}\n\n"
                 "The **Memory Wall**\\index{Memory Wall} is real; the Memory Wall grows, see @sec-memory-wall.\n\n"
                 '::: {#fig-mw fig-alt="A Memory Wall chart" fig-cap="The Memory Wall."}\n![](mw.png)\n:::\n')
    assert [(t.command, t.argument) for t in doc.raw_tex] == [("index", "Memory Wall")]
    assert [(p.kind, *where(doc, p.start)) for p in doc.prose] == [
        ("heading", 1, 3), ("paragraph", 3, 1), ("alt", 5, 23), ("caption", 5, 53), ("paragraph", 6, 1)]
    lines = masked_lines(doc)
    assert lines[0] == "  The Memory Wall"
    assert lines[2] == "The **Memory Wall**" + " " * 19 + " is real; the Memory Wall grows, see" + " " * 17 + "."
    assert lines[4] == " " * 22 + "A Memory Wall chart" + " " * 11 + "The Memory Wall."


def test_mlsysbook_10_16_abbreviation_in_a_table_cell_and_a_heading_before_prose():
    doc = doc_of("## HBM basics\n\n| HBM | GB/s |\n|-----|------|\n| 3   | 800  |\n\n"
                 "High-bandwidth memory (HBM) stacks dies.\n")
    assert [(p.kind, *where(doc, p.start)) for p in doc.prose] == [
        ("heading", 1, 4), ("table", 3, 1), ("table", 4, 1), ("table", 5, 1), ("paragraph", 7, 1)]
    assert floats(doc) == [("tbl", "table", None, None, None, None, [])]


TABLE = "| a | b |\n|---|---|\n| 1 | 2 |\n"


def test_mlsysbook_10_17_caption_above_the_table():
    doc = doc_of(": Above. {#tbl-above}\n\n" + TABLE)
    assert labels(doc) == [("tbl-above", "table-caption", 1, 12)]
    assert floats(doc) == [("tbl", "table", "tbl-above", "Above.", None, None, [])]
    assert doc.floats[0].span.line == 3


def test_mlsysbook_10_17_caption_after_an_index_line_is_not_attached():
    # A pipe-table row needs a pipe: the `\index` line ends the table and becomes a paragraph,
    # and the caption below it is a definition of that paragraph (as Pandoc reads it).
    doc = doc_of(TABLE + "\\index{Tables}\n\n: After index. {#tbl-index}\n\nSee @tbl-index.\n")
    assert labels(doc) == []
    assert floats(doc) == [("tbl", "table", None, None, None, None, [])]
    assert doc.floats[0].span.end_line == 3
    assert problems(doc) == [("detached-table-caption", 6, 1, "tbl-index"), ("detached-attributes", 6, 16, "tbl-index")]
    assert [(d.term.value, d.definition.value) for d in doc.definitions] == [
        ("\\index{Tables}", "After index. {#tbl-index}")]


def test_mlsysbook_10_17_caption_after_the_closing_fence_of_a_colwidths_div():
    doc = doc_of('::: {tbl-colwidths="[30,70]"}\n' + TABLE + ":::\n\n: After div. {#tbl-div}\n")
    assert labels(doc) == []
    assert floats(doc) == [("tbl", "table", None, None, None, None, [])]
    assert problems(doc) == [("detached-table-caption", 7, 1, "tbl-div"), ("detached-attributes", 7, 14, "tbl-div")]


def test_mlsysbook_10_17_caption_sandwiched_between_two_closing_fences():
    doc = doc_of("::: {.callout-note}\n::: {.x}\n" + TABLE + ":::\n: Sandwiched. {#tbl-sand}\n:::\n")
    assert labels(doc) == []
    assert problems(doc) == [("detached-table-caption", 7, 1, "tbl-sand"), ("detached-attributes", 7, 15, "tbl-sand")]


def test_mlsysbook_10_17_prose_between_table_and_caption():
    doc = doc_of(TABLE + "\nSome prose between.\n\n: Detached. {#tbl-det}\n")
    assert labels(doc) == []
    assert floats(doc) == [("tbl", "table", None, None, None, None, [])]
    assert problems(doc) == [("detached-table-caption", 7, 1, "tbl-det"), ("detached-attributes", 7, 13, "tbl-det")]


def test_mlsysbook_10_17_table_inside_a_callout():
    doc = doc_of("::: {.callout-tip}\n" + TABLE + "\n: In callout @tbl-x. {#tbl-call}\n:::\n")
    assert labels(doc) == [("tbl-call", "table-caption", 6, 24)]
    assert floats(doc) == [("tbl", "table", "tbl-call", "In callout @tbl-x.", None, None, [])]
    assert refs(doc) == [R("tbl-x", 6, 14, cap="tbl-call")]
    assert doc.references[0].context == "caption"


def test_mlsysbook_10_18_fence_rule_front_matter_and_display_math_edge_cases():
    doc = doc_of('---\ntitle: "Wall @fig-y"\nkeywords: [fig-a, "@x"]\n---\n\n'
                 "````markdown\n```{r}\n#| label: fig-in\n```\n````\n\n"
                 "~~~\n@fig-tilde [^t]\n~~~\n\n---\n\n"
                 "$$\na @b [^c]\n$$ {#eq-x}\n\nAfter @eq-x.\n")
    assert doc.front_matter == {"title": "Wall @fig-y", "keywords": ["fig-a", "@x"]}
    assert labels(doc) == [("eq-x", "equation", 20, 6)]
    assert refs(doc) == [R("eq-x", 22, 7)]
    assert note_refs(doc) == []
    assert [(c.language, c.first_line, c.last_line) for c in doc.cells] == [("markdown", 6, 10), ("", 12, 14)]
    assert masked_lines(doc)[:4] == [""] * 4
    assert doc.problems == []


def test_mlsysbook_10_19_margin_figure_with_bold_line_or_caption_above():
    doc = doc_of("::: {.column-margin}\n![Roofline sketch](roof.png)\n\n**Bold line.**\n:::\n\n"
                 '::: {.column-margin}\n*Italic caption above.*\n\n![](roof2.png){fig-alt="Sketch"}\n:::\n')
    # A div without an id is no float: each image alone in its paragraph is its own figure,
    # and the bold or italic paragraph is ordinary text.
    assert labels(doc) == []
    assert floats(doc) == [("fig", "image", None, "Roofline sketch", None, None, []),
                           ("fig", "image", None, "", "Sketch", None, [])]
    assert [(p.kind, *where(doc, p.start)) for p in doc.prose] == [
        ("paragraph", 2, 1), ("paragraph", 4, 1), ("paragraph", 8, 1), ("paragraph", 10, 1), ("alt", 10, 25)]


def test_mlsysbook_10_20_inline_computed_value_before_the_cell_that_defines_it():
    doc = doc_of("Use `{python} Chip.hbm` now.\n\n```{python}\nclass Chip:\n    hbm = 3\n```\n")
    assert [(c.language, c.executable, c.first_line, c.last_line) for c in doc.cells] == [("python", True, 3, 6)]
    assert masked_lines(doc)[0] == "Use" + " " * 21 + "now."
    assert refs(doc) == []


# == Encodings, positions, whitespace ==========================================================


def test_columns_count_characters_not_bytes():
    doc = doc_of("Ünïcödé “quotes” — see @fig-a.\n\n日本語の図 @fig-b と ![図](a.png){#fig-c}。\n")
    assert refs(doc) == [R("fig-a", 1, 24), R("fig-b", 3, 7)]
    assert span(doc.references[0]) == (1, 24, 1, 30)
    assert problems(doc) == [("inline-image-label", 3, 28, "fig-c")]
    assert masked_lines(doc)[0] == "Ünïcödé “quotes” — see       ."


def test_crlf_input_is_normalised_and_positions_follow_lines():
    source = decode(b"See @fig-a.\r\n\r\n![Cap](a.png){#fig-a}\r\n\r\n```{r}\r\n#| label: fig-b\r\n"
                    b"#| fig-cap: \"B @fig-a\"\r\n```\r\n", "x.qmd")
    assert source.newline == "\r\n" and not source.has_bom
    assert "\r" not in source.text
    doc = parse(source)
    assert refs(doc) == [R("fig-a", 1, 5), R("fig-a", 7, 16, cap="fig-b", inside="fig-b")]
    assert labels(doc) == [("fig-a", "image", 3, 16), ("fig-b", "cell", 6, 11)]
    assert floats(doc) == [("fig", "image", "fig-a", "Cap", None, None, []),
                           ("fig", "cell", "fig-b", "B @fig-a", None, None, [])]


def test_lone_carriage_returns_are_line_breaks():
    doc = parse(decode(b"One.\r\rSee @fig-a.\r", "x.qmd"))
    assert refs(doc) == [R("fig-a", 3, 5)]


def test_bom_is_dropped_and_columns_start_after_it():
    source = decode(b"\xef\xbb\xbf@fig-a first.\n\n## Title {#sec-t}\n", "x.qmd")
    assert source.has_bom and source.text.startswith("@")
    doc = parse(source)
    assert refs(doc) == [R("fig-a", 1, 1)]
    assert labels(doc) == [("sec-t", "heading", 3, 12)]


def test_bom_before_front_matter_still_opens_front_matter():
    doc = parse(decode(b"\xef\xbb\xbf---\ntitle: T\n---\n\nSee @fig-a.\n", "x.qmd"))
    assert doc.front_matter == {"title": "T"}
    assert refs(doc) == [R("fig-a", 5, 5)]


def test_tab_indentation_counts_to_the_next_multiple_of_four():
    doc = doc_of("Para.\n\n\tcode @fig-c\n\n \t![Tab](t.png){#fig-t}\n\n- item @fig-a\n\n\tcontinued @fig-b\n\n"
                 "```{r}\n#|\tlabel: fig-tab\n#|\tfig-cap: Tabbed\n```\n\n\t```{r}\n\t#| label: fig-no\n\t```\n")
    # A tab (or space + tab) after a blank line is an indented code block, not a paragraph;
    # inside a list item it continues the item.
    assert refs(doc) == [R("fig-a", 7, 8), R("fig-b", 9, 12)]
    assert labels(doc) == [("fig-tab", "cell", 12, 11)]
    assert floats(doc) == [("fig", "cell", "fig-tab", "Tabbed", None, None, [])]
    assert text_at(doc.floats[0].caption) == ("Tabbed", 13, 13)
    assert masked_lines(doc)[2] == ""
    assert masked_lines(doc)[8] == "\tcontinued"


# == Attributes =================================================================================


def test_image_attributes_spanning_lines_with_both_quote_styles():
    doc = doc_of('![Cap](a.png){#fig-a\n  fig-alt="Say \\"hi\\" and \'yo\'"\n  width=\'50%\' title=\'It\\\'s\'}\n')
    assert labels(doc) == [("fig-a", "image", 1, 16)]
    figure = doc.floats[0]
    assert text_at(figure.alt) == ('Say "hi" and \'yo\'', 2, 12)
    assert figure.attributes == {"fig-alt": 'Say "hi" and \'yo\'', "width": "50%", "title": "It's"}
    assert masked_lines(doc) == ["![Cap", "           Say \\\"hi\\\" and 'yo'", ""]


def test_brace_inside_a_quoted_attribute_value_does_not_close_the_block():
    doc = doc_of('::: {#fig-b fig-cap="Set {a, b} @fig-c" fig-alt=\'x}y\'}\n![](b.png)\n:::\n')
    assert labels(doc) == [("fig-b", "div", 1, 7)]
    assert [text_at(doc.floats[1].caption), text_at(doc.floats[1].alt)] == [("Set {a, b} @fig-c", 1, 22),
                                                                             ("x}y", 1, 50)]
    assert refs(doc) == [R("fig-c", 1, 33, cap="fig-b", inside="fig-b")]


def test_heading_attributes_with_quoted_values():
    doc = doc_of('## Intro {#sec-intro .unnumbered data-title="A {b} c"}\n')
    assert labels(doc) == [("sec-intro", "heading", 1, 12)]
    assert [(h.text.value, h.classes) for h in doc.headings] == [("Intro", ("unnumbered",))]


# == Executable cells ==========================================================================


def test_all_cell_option_comment_prefixes():
    cells = [("r", "#|"), ("ojs", "//|"), ("mermaid", "%%|"), ("sql", "--|"), ("matlab", "%|"), ("fortran", "!|"),
             ("stata", "*|"), ("julia", "#|"), ("dot", "//|"), ("unknownlang", "#|")]
    text = "".join(f"```{{{lang}}}\n{prefix} label: fig-{lang}\n{prefix} fig-cap: \"Cap {lang} @fig-z\"\nbody\n```\n\n"
                   for lang, prefix in cells)
    text += "```{c}\n/*| label: fig-c */\n/*| fig-cap: \"Cap c\" */\nint x;\n```\n"
    doc = doc_of(text)
    expected = []
    for number, (lang, prefix) in enumerate(cells):
        expected.append((f"fig-{lang}", "cell", 6 * number + 2, len(prefix) + 9))
    expected.append(("fig-c", "cell", 62, 12))
    assert labels(doc) == expected
    assert [(f.form, f.label, _value(f.caption)) for f in doc.floats] == [
        ("diagram" if lang in ("mermaid", "dot") else "cell", f"fig-{lang}", f"Cap {lang} @fig-z") for lang, _ in cells
    ] + [("cell", "fig-c", "Cap c")]
    assert [(r.span.line, r.span.column, r.in_caption_of) for r in doc.references] == [
        (6 * n + 3, len(prefix) + 17 + len(lang), f"fig-{lang}") for n, (lang, prefix) in enumerate(cells)]


def test_option_prefix_with_spaces_and_without_space():
    doc = doc_of("```{python}\n# | label: fig-a\n#|fig-cap: \"A\"\n```\n")
    assert labels(doc) == [("fig-a", "cell", 2, 12)]
    assert text_at(doc.floats[0].caption) == ("A", 3, 13)


def test_wrong_comment_prefix_for_the_language_is_code():
    doc = doc_of("```{mermaid}\n#| label: fig-m\n```\n")
    assert labels(doc) == []


def test_knitr_expr_values_are_values_not_yaml_errors():
    doc = doc_of('```{r}\n#| label: fig-r\n#| fig-cap: !expr paste("Panel", 1)\n#| fig-alt: !expr alt_text\nplot(1)\n```\n')
    assert doc.problems == []
    figure = doc.floats[0]
    assert isinstance(doc.cells[0].options["fig-cap"], Expression)
    assert (figure.caption.value, figure.caption.computed, figure.alt.value, figure.alt.computed) == (
        'paste("Panel", 1)', True, "alt_text", True)
    assert refs(doc) == []
    assert masked_lines(doc)[2:4] == ["", ""]  # R code, not caption prose


def test_knitr_dotted_option_names_mean_the_dashed_ones():
    doc = doc_of('```{r}\n#| label: fig-d\n#| fig.cap: "Dotted @fig-e"\n#| fig.alt: "Alt"\nplot(1)\n```\n')
    assert labels(doc) == [("fig-d", "cell", 2, 11)]
    assert floats(doc) == [("fig", "cell", "fig-d", "Dotted @fig-e", "Alt", None, [])]
    assert text_at(doc.floats[0].caption) == ("Dotted @fig-e", 3, 14)
    assert refs(doc) == [R("fig-e", 3, 21, cap="fig-d", inside="fig-d")]


def test_knitr_chunk_header_label_and_options():
    doc = doc_of('```{r fig-knit, fig.cap="Knitr @fig-b", fig.alt=\'Alt\', echo=FALSE}\nplot(1)\n```\n')
    assert labels(doc) == [("fig-knit", "cell", 1, 7)]
    assert floats(doc) == [("fig", "cell", "fig-knit", "Knitr @fig-b", "Alt", None, [])]
    assert refs(doc) == [R("fig-b", 1, 32, cap="fig-knit", inside="fig-knit")]


def test_knitr_r_syntax_option_lines():
    doc = doc_of('```{r}\n#| label = "fig-rs",\n#| fig.cap = "R syntax"\nplot(1)\n```\n')
    assert doc.cells[0].options["label"] == "fig-rs"
    assert floats(doc) == [("fig", "cell", "fig-rs", "R syntax", None, None, [])]


def test_list_of_captions_makes_one_figure_per_caption():
    doc = doc_of("```{r}\n#| label: fig-x\n#| fig-cap: [a, \"b @fig-y\", c]\n#| fig-alt: [A1, A2, A3]\n"
                 "plot(1); plot(2); plot(3)\n```\n")
    assert labels(doc) == [("fig-x-1", "subcap", 2, 11), ("fig-x-2", "subcap", 2, 11), ("fig-x-3", "subcap", 2, 11)]
    assert floats(doc) == [("fig", "cell", "fig-x-1", "a", "A1", None, []),
                           ("fig", "cell", "fig-x-2", "b @fig-y", "A2", None, []),
                           ("fig", "cell", "fig-x-3", "c", "A3", None, [])]
    assert [text_at(f.caption) for f in doc.floats] == [("a", 3, 14), ("b @fig-y", 3, 18), ("c", 3, 29)]
    # The reference sits in the caption of the second figure (not in a bracketed citation).
    assert refs(doc) == [R("fig-y", 3, 20, cap="fig-x-2", inside="fig-x")]
    assert masked_lines(doc)[2:4] == ["             a   b          c", "             A1  A2  A3"]


def test_fig_subcap_as_a_block_list_with_alt_list():
    doc = doc_of('```{r}\n#| label: fig-sub\n#| fig-cap: Parent\n#| fig-subcap:\n#|   - "Left"\n#|   - "Right"\n'
                 "#| fig-alt: [L alt, R alt]\n#| layout-ncol: 2\nplot(1)\nplot(2)\n```\n")
    assert labels(doc) == [("fig-sub", "cell", 2, 11), ("fig-sub-1", "subcap", 2, 11), ("fig-sub-2", "subcap", 2, 11)]
    assert floats(doc) == [("fig", "cell", "fig-sub", "Parent", None, None, [1, 2]),
                           ("fig", "cell", "fig-sub-1", "Left", "L alt", 0, []),
                           ("fig", "cell", "fig-sub-2", "Right", "R alt", 0, [])]
    assert [text_at(f.caption) for f in doc.floats[1:]] == [("Left", 5, 9), ("Right", 6, 9)]
    assert [text_at(f.alt) for f in doc.floats[1:]] == [("L alt", 7, 14), ("R alt", 7, 21)]
    assert masked_lines(doc)[2:7] == ["            Parent", "", "        Left", "        Right", "             L alt  R alt"]


def test_reference_in_a_subcaption_belongs_to_the_subfigure():
    doc = doc_of('```{r}\n#| label: fig-p\n#| fig-cap: "Both, see @fig-p-2"\n#| fig-subcap: ["A", "B like @fig-p-1"]\n'
                 "plot(1)\nplot(2)\n```\n")
    assert refs(doc) == [R("fig-p-2", 3, 24, cap="fig-p", inside="fig-p"),
                         R("fig-p-1", 4, 30, cap="fig-p-2", inside="fig-p")]


def test_fig_subcap_true_gives_letters_only():
    doc = doc_of("```{r}\n#| label: fig-two\n#| fig-cap: Two plots\n#| fig-subcap: true\nplot(1)\n```\n")
    assert labels(doc) == [("fig-two", "cell", 2, 11)]
    assert doc.floats[0].attributes.get("subcap") == "true"


def test_cell_glued_to_the_paragraph_above_is_still_a_cell():
    doc = doc_of("Some paragraph text @fig-g.\n```{python}\n#| label: fig-g\n#| fig-cap: Glued\nplot()\n```\nAfter.\n")
    assert labels(doc) == [("fig-g", "cell", 3, 11)]
    assert floats(doc) == [("fig", "cell", "fig-g", "Glued", None, None, [])]
    assert refs(doc) == [R("fig-g", 1, 21)]
    assert [(c.language, c.executable, c.first_line, c.last_line) for c in doc.cells] == [("python", True, 2, 6)]
    assert masked_lines(doc)[6] == "After."


def test_escaped_cells_with_doubled_braces_define_nothing():
    doc = doc_of("```{{python}}\n#| label: fig-a\n#| fig-cap: \"@fig-b\"\n```\n\n```{{r, echo=FALSE}}\n#| label: tbl-b\n```\n")
    assert labels(doc) == [] and floats(doc) == [] and refs(doc) == []
    assert [(c.language, c.executable) for c in doc.cells] == [("python", False), ("r", False)]


def test_plain_and_class_form_code_blocks_are_not_cells():
    doc = doc_of("```python\n#| label: fig-a\n```\n\n```{.python}\n#| label: fig-b\n```\n")
    assert labels(doc) == []
    assert [(c.language, c.executable) for c in doc.cells] == [("python", False), ("python", False)]


def test_listing_from_cell_options():
    doc = doc_of('```{python}\n#| lst-label: lst-load\n#| lst-cap: "Loading @tbl-x."\nload()\n```\n')
    assert labels(doc) == [("lst-load", "cell", 2, 15)]
    assert floats(doc) == [("lst", "cell", "lst-load", "Loading @tbl-x.", None, None, [])]
    assert refs(doc) == [R("tbl-x", 3, 22, cap="lst-load", inside="lst-load")]


# == Unclosed blocks and deep nesting ===========================================================


def test_unclosed_fence_runs_to_the_end_of_the_file():
    doc = doc_of("Before @fig-a.\n\n~~~~ {.python}\ncode @fig-b\n~~~\n")
    assert problems(doc) == [("unclosed-fence", 3, 1, "")]
    assert where(doc, doc.problems[0].end) == (3, 5)
    assert refs(doc) == [R("fig-a", 1, 8)]


def test_unclosed_div_is_reported_at_its_opening_fence():
    doc = doc_of("::: {#fig-a}\n![x](a.png)\n\nCap.\n\n:::: {.note}\ntext\n")
    assert problems(doc) == [("unclosed-div", 6, 1, ""), ("unclosed-div", 1, 1, "fig-a")]
    assert labels(doc) == []  # Pandoc reads an unclosed fence as text: the div defines nothing


def test_unclosed_comment_hides_the_rest_of_the_file():
    doc = doc_of("Before @fig-a.\n\nText <!-- open\n@fig-z\n\n![Z](z.png){#fig-z}\n")
    assert problems(doc) == [("unclosed-comment", 3, 6, "")]
    assert where(doc, doc.problems[0].end) == (3, 10)
    assert refs(doc) == [R("fig-a", 1, 8)]
    assert labels(doc) == []
    assert masked_lines(doc)[2:] == ["Text", "", "", ""]


def test_unclosed_front_matter_is_a_problem():
    doc = doc_of("---\ntitle: T\n\nSee @fig-a.\n")
    assert problems(doc) == [("unclosed-front-matter", 1, 1, "")]
    assert refs(doc) == []


def test_nested_divs_fifty_deep():
    depth = 50
    text = "".join(f"::: {{#fig-d{level}}}\n" for level in range(depth)) + "![x](a.png)\n\nCap @fig-d0.\n" + ":::\n" * depth
    doc = doc_of(text)
    assert doc.problems == []
    assert [(label.id, label.span.line, label.span.column) for label in doc.labels] == [
        (f"fig-d{level}", level + 1, 7) for level in reversed(range(depth))]
    by_label = {f.label: f for f in doc.floats}
    assert _value(by_label["fig-d49"].caption) == "Cap @fig-d0."
    assert all(by_label[f"fig-d{level}"].caption is None for level in range(depth - 1))
    for level in range(depth - 1):
        child = by_label[f"fig-d{level + 1}"]
        assert doc.floats[child.parent] is by_label[f"fig-d{level}"]
        assert by_label[f"fig-d{level}"].subfloats == [child.index]
    assert refs(doc) == [R("fig-d0", 53, 5, cap="fig-d49", inside="fig-d49")]
    assert all(ref.condition == Condition() for ref in doc.references)


def test_nested_conditions_add_clauses():
    doc = doc_of('::: {.content-visible when-format="html"}\n::: {.content-hidden when-profile="print"}\n'
                 "![A](a.png){#fig-a}\n:::\n:::\n")
    assert labels(doc) == [("fig-a", "image", 3, 14)]
    assert doc.labels[0].condition.clauses == ((True, "when-format", ("html",)), (False, "when-profile", ("print",)))


# == Regressions found while writing these tests ===============================================


def test_first_line_of_every_list_item_is_read():
    doc = doc_of("- see @fig-a\n- and @fig-b[^n]\n\n1. one @fig-c\n   more @fig-d\n\n[^n]: N.\n")
    assert refs(doc) == [R("fig-a", 1, 7), R("fig-b", 2, 7), R("fig-c", 4, 8), R("fig-d", 5, 9)]
    assert note_refs(doc) == [("n", 2, 13, None, "prose")]
    assert [(p.kind, *where(doc, p.start)) for p in doc.prose][:3] == [("list", 1, 1), ("list", 2, 1), ("list", 4, 1)]
    assert masked_lines(doc)[:2] == ["  see", "  and"]


def test_linked_image_alone_in_its_paragraph_is_a_figure():
    doc = doc_of('[![Cap @fig-q](p.png){#fig-x fig-alt="A"}](https://example.org)\n\n'
                 "See [![i](a.png){#fig-y}](u) inline.\n")
    assert labels(doc) == [("fig-x", "image", 1, 24)]
    assert floats(doc) == [("fig", "image", "fig-x", "Cap @fig-q", "A", None, [])]
    assert refs(doc) == [R("fig-q", 1, 8, cap="fig-x")]
    assert problems(doc) == [("inline-image-label", 3, 18, "fig-y")]
