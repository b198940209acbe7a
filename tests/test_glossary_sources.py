"""Glossary sources (loaders, merged glossary, conflicts) and the term matcher."""

from __future__ import annotations

import json
import random
from pathlib import Path

import orjson
import pytest

from lintkit import CORPORA
from mlsys_lint.glossary import Definition, Entry, Glossary, GlossaryError, Location, normalize_definition, normalize_term
from mlsys_lint.glossary_files import (
    autodetect_sources,
    entries_as_data,
    entries_from_data,
    load_file,
    load_sources,
    parse_glossary,
)
from mlsys_lint import term_matcher
from mlsys_lint.term_matcher import TermMatch, TermMatcher

DATA = Path(__file__).parent / "data" / "glossary"

MLSYSBOOK = CORPORA / "mlsysbook-sample"
QUARTO_GLOSSARY = CORPORA / "quarto-glossary"
needs_corpora = pytest.mark.skipif(not MLSYSBOOK.is_dir(), reason="real corpora not available")


def found(matcher: TermMatcher, text: str, **kwargs) -> list[tuple]:
    """(start, end, matched text, kind, replacement) of every match."""
    result = []
    for m in matcher.find(text, **kwargs):
        assert text[m.start : m.end] == m.text
        result.append((m.start, m.end, m.text, m.kind, m.replacement))
    return result


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary(load_file(DATA / "terms.yml"))


@pytest.fixture(scope="module")
def matcher(glossary: Glossary) -> TermMatcher:
    return glossary.matcher()


# ----------------------------------------------------------------------------------------
# Matching: the forms of a term
# ----------------------------------------------------------------------------------------


def test_canonical_term(matcher):
    text = "We train with backpropagation every day."
    assert found(matcher, text) == [(14, 29, "backpropagation", "canonical", "backpropagation")]


def test_match_carries_entry_and_form(matcher, glossary):
    (m,) = matcher.find("Use backprop here.")
    assert isinstance(m, TermMatch)
    assert m.entry is glossary.lookup("backpropagation")
    assert m.form == "backprop"
    assert m.needs_fix


def test_alias_is_reported_as_alias_with_canonical_replacement(matcher):
    assert found(matcher, "Use backprop here.") == [(4, 12, "backprop", "alias", "backpropagation")]


def test_declared_variants(matcher):
    text = "Not back-propagation, nor back propagation."
    assert found(matcher, text) == [
        (4, 20, "back-propagation", "variant", "backpropagation"),
        (26, 42, "back propagation", "variant", "backpropagation"),
    ]


def test_variant_across_a_line_break_and_list_indentation(matcher):
    text = "- we use back\n  propagation and the memory\n  wall"
    assert found(matcher, text) == [
        (9, 27, "back\n  propagation", "variant", "backpropagation"),
        (36, 49, "memory\n  wall", "canonical", "memory\n  wall"),
    ]


def test_forbidden_is_a_synonym_of_variants(glossary):
    assert glossary.lookup("memory wall").variants == ["Memory-Wall"]


def test_automatic_hyphen_space_and_joined_variants():
    g = Glossary([Entry.make("mini-batch", "m"), Entry.make("data center", "d")])
    text = "A mini batch, a minibatch, a mini-batch; a data-center, a datacenter, a data center."
    result = [(s, e, t, k, r) for s, e, t, k, r in found(g.matcher(), text)]
    assert result == [
        (2, 12, "mini batch", "variant", "mini-batch"),
        (16, 25, "minibatch", "variant", "mini-batch"),
        (29, 39, "mini-batch", "canonical", "mini-batch"),
        (43, 54, "data-center", "variant", "data center"),
        (58, 68, "datacenter", "variant", "data center"),
        (72, 83, "data center", "canonical", "data center"),
    ]
    autos = [m.auto for m in g.matcher().find(text)]
    assert autos == [True, True, False, True, True, False]


def test_automatic_variants_of_a_declared_variant_map_to_the_canonical_form():
    g = Glossary([Entry.make("backpropagation", "b", variants=["back-propagation"])])
    ms = list(g.matcher().find("back propagation, back-propagation, backpropagation"))
    assert [(m.start, m.end, m.kind, m.auto, m.replacement) for m in ms] == [
        (0, 16, "variant", True, "backpropagation"),
        (18, 34, "variant", False, "backpropagation"),
        (36, 51, "canonical", False, "backpropagation"),
    ]


def test_a_single_word_term_has_no_invented_split():
    g = Glossary([Entry.make("backpropagation", "b")])
    assert found(g.matcher(), "back-propagation and back propagation") == []


def test_unicode_hyphen_no_break_space_and_curly_apostrophe():
    g = Glossary([Entry.make("data center", "d"), Entry.make("amdahl's law", "a")])
    text = "a data\u2011center, a data\u00a0center and amdahl\u2019s law"
    assert found(g.matcher(), text) == [
        (2, 13, "data\u2011center", "variant", "data center"),
        (17, 28, "data\u00a0center", "canonical", "data\u00a0center"),
        (33, 45, "amdahl\u2019s law", "canonical", "amdahl\u2019s law"),
    ]


# ----------------------------------------------------------------------------------------
# Matching: case
# ----------------------------------------------------------------------------------------


def test_case_sensitive_name(matcher):
    text = "We used Tensorflow, then TensorFlow, then TENSORFLOW."
    assert found(matcher, text) == [
        (8, 18, "Tensorflow", "case", "TensorFlow"),
        (25, 35, "TensorFlow", "canonical", "TensorFlow"),
        (42, 52, "TENSORFLOW", "case", "TensorFlow"),
    ]


def test_case_sensitive_name_is_wrong_even_at_sentence_start(matcher):
    assert found(matcher, "Tensorflow is popular.") == [(0, 10, "Tensorflow", "case", "TensorFlow")]


def test_case_sensitive_lowercase_name_may_take_a_sentence_initial_capital():
    g = Glossary([Entry.make("pandas", "p", case_sensitive=True)])
    text = "Pandas is a library. We like Pandas."
    assert found(g.matcher(), text) == [
        (0, 6, "Pandas", "canonical", "Pandas"),
        (29, 35, "Pandas", "case", "pandas"),
    ]


def test_capitalised_concept_mid_sentence_is_a_case_problem(matcher):
    text = "This is the Memory Wall problem."
    assert found(matcher, text) == [(12, 23, "Memory Wall", "case", "memory wall")]


def test_capitalised_concept_at_sentence_start_is_fine(matcher):
    text = "Memory wall limits us. Memory walls are real! Memory wall?"
    assert [k for *_, k, _ in found(matcher, text)] == ["canonical", "canonical", "canonical"]


def test_title_case_at_sentence_start_still_has_a_wrong_second_word(matcher):
    assert found(matcher, "Memory Wall limits us.") == [(0, 11, "Memory Wall", "case", "Memory wall")]


@pytest.mark.parametrize(
    "text, start",
    [
        ("Intro.\n\nMemory wall", 8),  # a new paragraph
        ("- Memory wall", 2),  # a list item
        ("1. Memory wall", 3),  # a numbered list item
        ("> Memory wall", 2),  # a block quote
        ("**Key idea:** Memory wall", 14),  # a bold label with a colon
        ('He said "stop." "Memory wall', 17),  # closing and opening quotes
        ("It ended (see above). Memory wall", 22),
        ("| Term | Memory wall |", 9),  # a table cell
        ("ends here.\nMemory wall", 11),  # a sentence ending at a line break
    ],
)
def test_sentence_starts(matcher, text, start):
    assert found(matcher, text) == [(start, start + 11, "Memory wall", "canonical", "Memory wall")]


def test_line_break_inside_a_sentence_is_not_a_sentence_start(matcher):
    text = "we hit the\nMemory wall"
    assert found(matcher, text) == [(11, 22, "Memory wall", "case", "memory wall")]


def test_heading_allows_title_case(matcher):
    assert found(matcher, "## Beyond the Memory Wall") == [(14, 25, "Memory Wall", "canonical", "Memory Wall")]
    assert found(matcher, "Beyond the Memory Wall", heading=True) == [
        (11, 22, "Memory Wall", "canonical", "Memory Wall")
    ]


def test_heading_still_checks_case_sensitive_names(matcher):
    assert found(matcher, "Using Tensorflow", heading=True) == [(6, 16, "Tensorflow", "case", "TensorFlow")]


def test_sentence_start_callback_overrides_the_guess(matcher):
    text = "the Memory wall"
    assert found(matcher, text, sentence_start=lambda offset: offset == 4) == [
        (4, 15, "Memory wall", "canonical", "Memory wall")
    ]
    assert found(matcher, "Memory wall", sentence_start=lambda offset: False) == [
        (0, 11, "Memory wall", "case", "memory wall")
    ]


def test_replacement_keeps_sentence_initial_capital(matcher):
    text = "Back-propagation works. Backprop too. Memory-Wall here."
    assert found(matcher, text) == [
        (0, 16, "Back-propagation", "variant", "Backpropagation"),
        (24, 32, "Backprop", "alias", "Backpropagation"),
        (38, 49, "Memory-Wall", "variant", "Memory wall"),
    ]


def test_replacement_mid_sentence_is_the_canonical_form(matcher):
    text = "the Back-Propagation and Memory-Wall"
    assert found(matcher, text) == [
        (4, 20, "Back-Propagation", "variant", "backpropagation"),
        (25, 36, "Memory-Wall", "variant", "memory wall"),
    ]


def test_a_lower_case_term_says_nothing_about_case(matcher):
    # Only a case-sensitive entry or a term written with capitals is judged for its case.
    assert found(matcher, "we use Backprop and the Memory") == [
        (7, 15, "Backprop", "alias", "backpropagation"),
        (24, 30, "Memory", "canonical", "Memory"),
    ]


# ----------------------------------------------------------------------------------------
# Matching: plurals, possessives, acronyms
# ----------------------------------------------------------------------------------------


def test_plurals_and_possessives(matcher):
    text = "memory walls, the memory wall's cost, the memory wall\u2019s cost, data centers' roofs"
    assert found(matcher, text) == [
        (0, 12, "memory walls", "canonical", "memory walls"),
        (18, 31, "memory wall's", "canonical", "memory wall's"),
        (42, 55, "memory wall\u2019s", "canonical", "memory wall\u2019s"),
        (62, 74, "data centers", "canonical", "data centers"),
    ]


def test_y_to_ies_plural(matcher):
    text = "two memories and the Memory Walls"
    assert found(matcher, text) == [
        (4, 12, "memories", "canonical", "memories"),
        (21, 33, "Memory Walls", "case", "memory walls"),
    ]


def test_plural_is_kept_in_the_replacement(matcher):
    text = "the back-propagations and Memory-Walls"
    assert found(matcher, text) == [
        (4, 21, "back-propagations", "variant", "backpropagations"),
        (26, 38, "Memory-Walls", "variant", "memory walls"),
    ]


def test_es_plural():
    g = Glossary([Entry.make("bias", "b"), Entry.make("batch", "b")])
    assert found(g.matcher(), "biases and batches") == [
        (0, 6, "biases", "canonical", "biases"),
        (11, 18, "batches", "canonical", "batches"),
    ]


def test_singular_of_a_plural_multi_word_term():
    g = Glossary([Entry.make("expert systems", "e")])
    assert found(g.matcher(), "an expert system, two expert systems") == [
        (3, 16, "expert system", "canonical", "expert system"),
        (22, 36, "expert systems", "canonical", "expert systems"),
    ]


def test_acronym_matches_only_its_exact_case_and_plural(matcher):
    text = "GPU, GPUs, GPU's, gpu, Gpu, gpus, GPUS, GPUes."
    assert found(matcher, text) == [
        (0, 3, "GPU", "canonical", "GPU"),
        (5, 9, "GPUs", "canonical", "GPUs"),
        (11, 16, "GPU's", "canonical", "GPU's"),
    ]


def test_acronym_in_hyphenated_compounds(matcher):
    text = "GPU-based training on multi-GPU and CPU-GPU systems"
    assert found(matcher, text) == [
        (0, 3, "GPU", "canonical", "GPU"),
        (28, 31, "GPU", "canonical", "GPU"),
        (40, 43, "GPU", "canonical", "GPU"),
    ]


def test_case_sensitive_name_in_a_hyphenated_compound(matcher):
    assert found(matcher, "TensorFlow-based and Tensorflow-style") == [
        (0, 10, "TensorFlow", "canonical", "TensorFlow"),
        (21, 31, "Tensorflow", "case", "TensorFlow"),
    ]


def test_acronym_expansion(matcher):
    text = "a graphics processing unit (GPU) and graphics processing units"
    assert found(matcher, text) == [
        (2, 26, "graphics processing unit", "expansion", "graphics processing unit"),
        (28, 31, "GPU", "canonical", "GPU"),
        (37, 62, "graphics processing units", "expansion", "graphics processing units"),
    ]


def test_quarto_glossary_capitalised_key_is_an_acronym():
    g = Glossary(parse_glossary("SESOI: Smallest effect size of interest.\nalpha: A threshold.\n", "g.yml"))
    assert found(g.matcher(), "the SESOI, the sesoi, Alpha and ALPHA") == [
        (4, 9, "SESOI", "canonical", "SESOI"),
        (22, 27, "Alpha", "canonical", "Alpha"),
        (32, 37, "ALPHA", "canonical", "ALPHA"),
    ]


# ----------------------------------------------------------------------------------------
# Matching: boundaries, overlaps, windows
# ----------------------------------------------------------------------------------------


def test_not_inside_identifiers_or_longer_words(matcher):
    text = (
        "fig-memory-wall @sec-memory-wall memory_wall x_memory #memory a/memory x.memory "
        "memory-bound non-memory memoryless rememory memory2"
    )
    assert found(matcher, text) == []


def test_emphasis_underscores_and_quotes_are_not_identifiers(matcher):
    text = "_memory wall_ and 'memory' and (memory)"
    assert found(matcher, text) == [
        (1, 12, "memory wall", "canonical", "memory wall"),
        (19, 25, "memory", "canonical", "memory"),
        (32, 38, "memory", "canonical", "memory"),
    ]


def test_sentence_final_period_is_a_boundary(matcher):
    assert found(matcher, "It is memory.") == [(6, 12, "memory", "canonical", "memory")]


def test_longest_match_wins(matcher):
    assert found(matcher, "the memory wall and memory") == [
        (4, 15, "memory wall", "canonical", "memory wall"),
        (20, 26, "memory", "canonical", "memory"),
    ]


def test_longer_term_joined_to_a_hyphen_falls_back_to_the_shorter_one(matcher):
    assert found(matcher, "the memory wall-bound case") == [(4, 10, "memory", "canonical", "memory")]


def test_masked_region_between_words_does_not_join_a_term(matcher):
    # "memory `x` wall" with the code span blanked by the parser.
    assert found(matcher, "memory     wall") == [(0, 6, "memory", "canonical", "memory")]


def test_start_and_end_window(matcher):
    text = "memory wall | memory wall | memory wall"
    assert found(matcher, text, start=14, end=25) == [(14, 25, "memory wall", "canonical", "memory wall")]
    # The window's end cuts the term: only the shorter term fits.
    assert found(matcher, text, start=14, end=22) == [(14, 20, "memory", "canonical", "memory")]
    # Nothing before `start` is matched, but it is context for the word boundary.
    assert found(matcher, "xmemory wall", start=1) == []


def test_scan_places_each_match_in_its_innermost_span_and_never_across_spans(matcher):
    text = "# Memory\nwall and memory wall; alt: memory wall here.\n"
    heading, paragraph, alt = (2, 8, True), (9, 54, False), (36, 47, False)
    found_ = [(index, m.start, m.end, m.text) for index, m in matcher.scan(text, [paragraph, heading, alt])]
    assert found_ == [
        (1, 2, 8, "Memory"),          # the heading ends before "wall": no "Memory\nwall" across spans
        (0, 18, 29, "memory wall"),
        (2, 36, 47, "memory wall"),   # inside the alt text nested in the paragraph
    ]
    assert matcher.scan(text, []) == []


@pytest.mark.parametrize("seed", range(300))
def test_the_runs_of_prose_follow_each_character_to_its_innermost_span(seed: int) -> None:
    """`_runs` (disjoint spans, the common case, are taken as they are) against a brute-force
    oracle: each character belongs to the shortest span holding it, the earliest-starting
    one among equals; consecutive characters of one span make one run."""
    rng = random.Random(seed)
    spans = []
    for _ in range(rng.randint(0, 7)):
        start = rng.randint(0, 30)
        spans.append((start, start + rng.choice([0, 1, 2, 5, 9, 20]), rng.random() < 0.5))
    if rng.random() < 0.5:  # disjoint, touching or empty spans, in any order
        spans = [(10 * i + a, 10 * i + a + b, False) for i, (a, b) in enumerate(rng.choices([(0, 10), (2, 5), (3, 0)],
                                                                                              k=rng.randint(2, 6)))]
        rng.shuffle(spans)
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    expected: list[tuple[int, int, int]] = []
    for char in range(max((end for _, end, _ in spans), default=0)):
        holding = [i for i in order if spans[i][0] <= char < spans[i][1]]
        if not holding:
            continue
        inner = min(holding, key=lambda i: spans[i][1] - spans[i][0])
        if expected and expected[-1][2] == inner and expected[-1][1] == char:
            expected[-1] = (expected[-1][0], char + 1, inner)
        else:
            expected.append((char, char + 1, inner))
    assert term_matcher._runs(spans) == expected


def test_window_start_is_a_sentence_start(matcher):
    text = "in a caption: Memory wall"
    assert found(matcher, "the Memory wall", start=4) == [(4, 15, "Memory wall", "canonical", "Memory wall")]
    assert found(matcher, text, start=14) == [(14, 25, "Memory wall", "canonical", "Memory wall")]


def test_empty_glossary_matches_nothing():
    assert list(TermMatcher(Glossary()).find("anything at all")) == []


def test_matcher_accepts_a_list_of_entries():
    m = TermMatcher([Entry.make("roofline", "r")])
    assert found(m, "a roofline model") == [(2, 10, "roofline", "canonical", "roofline")]


def test_forms_with_punctuation():
    g = Glossary([Entry.make("C++", "c", case_sensitive=True), Entry.make("k-anonymity", "k")])
    assert found(g.matcher(), "C++ code and k anonymity") == [
        (0, 3, "C++", "canonical", "C++"),
        (13, 24, "k anonymity", "variant", "k-anonymity"),
    ]


# ----------------------------------------------------------------------------------------
# Case-unknown sources (MLSysBook JSON)
# ----------------------------------------------------------------------------------------


def test_json_terms_are_case_insensitive_and_never_case_problems():
    g = Glossary(load_file(DATA / "chapter_glossary.json"))
    text = "ImageNet and IMAGENET; the Memory Wall; Keyword Spotting (KWS) uses KWS and keyword spotting."
    assert found(g.matcher(), text) == [
        (0, 8, "ImageNet", "canonical", "ImageNet"),
        (13, 21, "IMAGENET", "canonical", "IMAGENET"),
        (27, 38, "Memory Wall", "canonical", "Memory Wall"),
        (40, 56, "Keyword Spotting", "canonical", "Keyword Spotting"),
        (58, 61, "KWS", "alias", "keyword spotting"),
        (68, 71, "KWS", "alias", "keyword spotting"),
        (76, 92, "keyword spotting", "canonical", "keyword spotting"),
    ]


def test_acronym_of_a_lower_case_source_needs_two_capitals():
    """ "information technology (it)": the pronoun is not the acronym; "IT" and "TinyML" are."""
    g = Glossary([Entry.make("information technology (it)", "x", "g.json", 1, preserves_case=False),
                  Entry.make("tiny machine learning (tinyml)", "y", "g.json", 2, preserves_case=False)])
    text = "It runs; it is IT work, it's TinyML and tinyml, IT-based."
    assert [(m.text, m.kind) for m in g.matcher().find(text)] == [
        ("IT", "alias"), ("TinyML", "alias"), ("IT", "alias")]


def test_json_variant_keeps_the_writers_letters():
    g = Glossary(load_file(DATA / "chapter_glossary.json"))
    assert found(g.matcher(), "the Memory-Wall") == [(4, 15, "Memory-Wall", "variant", "Memory Wall")]


# ----------------------------------------------------------------------------------------
# Glossary: lookup, merge, conflicts
# ----------------------------------------------------------------------------------------


def test_normalize_term():
    assert normalize_term("  Memory\n  Wall ") == "memory wall"
    assert normalize_term("memory_wall") == "memory wall"
    assert normalize_term("Amdahl\u2019s Law") == "amdahl's law"
    assert normalize_term("p-value") == "p-value" != normalize_term("p value")


def test_lookup(glossary):
    assert glossary.lookup("Memory Wall").term == "memory wall"
    assert glossary.lookup("memory_wall").term == "memory wall"
    assert glossary.lookup("BACKPROP").term == "backpropagation"  # an alias
    assert glossary.lookup("tensorflow").term == "TensorFlow"
    assert glossary.lookup("back-propagation") is None  # a forbidden variant is no name
    assert glossary.lookup("roofline") is None
    kws = glossary.lookup("keyword spotting")
    assert glossary.lookup("Keyword Spotting (KWS)") is kws and glossary.lookup("kws") is kws  # as written, acronym


def test_suggest(glossary):
    assert glossary.suggest("back-propagations").term == "backpropagation"
    assert glossary.suggest("Data-Centers").term == "data center"
    assert glossary.suggest("roofline") is None


def test_entries_are_raw_and_terms_are_merged():
    g = Glossary(load_file(DATA / "terms.yml") + load_file(DATA / "chapter_glossary.json"))
    assert len(g.entries) == 9
    assert len(g.terms) == 8
    wall = g.lookup("memory wall")
    assert wall.term == "memory wall"
    assert wall.preserves_case  # the case-preserving source wins
    assert wall.aliases == ["memory bottleneck"]
    assert wall.variants == ["Memory-Wall"]
    assert wall.see_also == ["roofline model"]
    assert wall.sources == [Location(str(DATA / "terms.yml"), 14), Location(str(DATA / "chapter_glossary.json"), 10)]
    assert [(d.path, d.line) for d in wall.definitions] == [
        (str(DATA / "terms.yml"), 15),
        (str(DATA / "chapter_glossary.json"), 11),
    ]
    (conflict,) = g.conflicts()
    assert conflict.key == "memory wall" and conflict.differ
    assert [e.path for e in conflict.entries] == [str(DATA / "terms.yml"), str(DATA / "chapter_glossary.json")]


def test_conflicts_normalise_whitespace_and_markup():
    g = Glossary(load_file(DATA / "quarto_dupes.yml"))
    conflicts = {c.key: c for c in g.conflicts()}
    assert set(conflicts) == {"p-value", "alpha"}
    assert not conflicts["p-value"].differ  # "The  probability … *extreme*" is the same text
    assert conflicts["alpha"].differ
    assert [e.line for e in conflicts["alpha"].entries] == [3, 5]
    assert [e.line for e in conflicts["p-value"].entries] == [1, 4]


def test_empty_definitions_do_not_conflict():
    g = Glossary([Entry.make("tpu", "A tensor processor.", "a.yml", 1), Entry.make("TPU", "", "b.yml", 2)])
    (conflict,) = g.conflicts()
    assert not conflict.differ


def test_normalize_definition():
    assert normalize_definition("A **bold**  `code` [link](http://x.y)\n text.") == "A bold code link text."
    assert normalize_definition("It\u2019s \u201cquoted\u201d") == "It's \"quoted\""


def test_entry_make_for_definition_list_glossaries():
    entry = Entry.make("Quadrat", "A square frame.", "glossary.qmd", 12, definition_line=13)
    assert entry.definitions == [Definition("A square frame.", "glossary.qmd", 13)]
    assert (entry.path, entry.line, entry.definition) == ("glossary.qmd", 12, "A square frame.")
    heading_entry = Entry.make("Transect", path="glossary.qmd", line=20, aliases=["transects"])
    assert heading_entry.definitions == [] and heading_entry.aliases == ["transects"]
    g = Glossary([entry, heading_entry])
    assert g.lookup("quadrat") is entry and g.lookup("TRANSECTS") is heading_entry


def test_acronym_detection():
    assert Entry.make("GPU").is_acronym
    assert Entry.make("FP16").is_acronym
    assert Entry.make("ReLU", expansion="rectified linear unit").is_acronym
    assert not Entry.make("NVIDIA", case_sensitive=True).is_acronym
    assert not Entry.make("gpu", preserves_case=False).is_acronym
    assert not Entry.make("A").is_acronym
    assert not Entry.make("memory wall").is_acronym


# ----------------------------------------------------------------------------------------
# Loaders
# ----------------------------------------------------------------------------------------


def test_product_yaml_fields_and_lines():
    entries = load_file(DATA / "terms.yml")
    path = str(DATA / "terms.yml")
    assert [(e.term, e.line) for e in entries] == [
        ("backpropagation", 3),
        ("GPU", 8),
        ("TensorFlow", 11),
        ("memory wall", 14),
        ("memory", 19),
        ("data center", 21),
    ]
    back, gpu, tf, wall, _, dc = entries
    assert back.aliases == ["backprop"]
    assert back.variants == ["back-propagation", "back propagation"]
    assert back.definitions == [Definition("How gradients flow backward through a network.", path, 4)]
    assert gpu.expansion == "graphics processing unit" and gpu.is_acronym
    assert tf.case_sensitive and not back.case_sensitive
    assert wall.definition == "The growing gap between processor speed and memory bandwidth."
    assert wall.definitions[0].line == 15
    assert dc.see_also == ["warehouse-scale computer"]
    assert all(e.preserves_case and e.path == path for e in entries)


def test_product_format_written_as_json():
    text = json.dumps({"terms": [{"term": "TensorFlow", "case-sensitive": True, "variants": ["TF"]}]}, indent=2)
    (entry,) = parse_glossary(text, "terms.json")
    assert entry.case_sensitive and entry.preserves_case and entry.variants == ["TF"]
    assert entry.line == 4


def test_mlsysbook_json_fields_and_lines():
    entries = load_file(DATA / "chapter_glossary.json")
    assert [(e.term, e.line, e.definitions[0].line) for e in entries] == [
        ("memory wall", 10, 11),
        ("keyword spotting", 17, 18),
        ("imagenet", 24, 25),
    ]
    wall, kws, _ = entries
    assert wall.aliases == ["memory bottleneck"] and wall.see_also == ["roofline model"]
    # "x (y)" is the long form x with its acronym y
    assert (kws.written, kws.short, kws.aliases) == ("keyword spotting (kws)", "kws", ["kws"])
    assert not any(e.preserves_case for e in entries)


def test_crlf_and_bom(tmp_path):
    path = tmp_path / "glossary.yml"
    path.write_bytes(b"\xef\xbb\xbfalpha: first\r\nbeta: second\r\n")
    assert [(e.term, e.line, e.definition) for e in load_file(path)] == [("alpha", 1, "first"), ("beta", 2, "second")]


def test_empty_yaml_is_an_empty_glossary():
    assert parse_glossary("# nothing yet\n", "glossary.yml") == []


def test_quarto_glossary_null_definition_and_odd_keys():
    entries = parse_glossary("yes: affirmative\n1.5: a number\nempty:\n", "g.yml")
    assert [(e.term, e.definition) for e in entries] == [("yes", "affirmative"), ("1.5", "a number"), ("empty", "")]


@needs_corpora
def test_real_quarto_glossary_file():
    path = QUARTO_GLOSSARY / "glossary.yml"
    entries = load_file(path)
    assert [(e.term, e.line) for e in entries] == [
        ("alpha", 1),
        ("p-value", 4),
        ("effect size", 7),
        ("power", 10),
        ("SESOI", 13),
        ("html", 17),
    ]
    sesoi = entries[4]
    assert sesoi.definitions[0].text.startswith("Smallest Effect Size of Interest")
    assert "Equivalence Testing" in sesoi.definition  # a multi-paragraph block scalar
    assert sesoi.is_acronym and not entries[0].preserves_case


@needs_corpora
def test_real_mlsysbook_chapter_glossaries():
    paths = sorted(MLSYSBOOK.glob("contents/**/*_glossary.json"))
    assert len(paths) == 3
    for path in paths:
        entries = load_file(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        assert [e.written or e.term for e in entries] == [t["term"] for t in data["terms"]]
        lines = path.read_text(encoding="utf-8").split("\n")
        for entry, item in zip(entries, data["terms"]):
            assert lines[entry.line - 1].strip() == f"{json.dumps('term')}: {json.dumps(item['term'])},"
            assert lines[entry.definitions[0].line - 1].strip().startswith('"definition": ')
            assert entry.definition == item["definition"]
    intro = load_file(MLSYSBOOK / "contents/core/introduction/introduction_glossary.json")
    assert (intro[0].term, intro[0].line, intro[0].definitions[0].line) == ("alexnet", 12, 13)


@needs_corpora
def test_real_mlsysbook_conflicts():
    g = load_sources(MLSYSBOOK, ["contents/**/*_glossary.json"])
    assert len(g.entries) == 124
    conflicts = {c.key: c for c in g.conflicts()}
    assert set(conflicts) == {
        "artificial intelligence",
        "feature engineering",
        "machine learning",
        "perceptron",
        "ml lifecycle",
        "symbolic ai",
    }
    lifecycle = conflicts["ml lifecycle"]
    assert lifecycle.differ
    assert [(Path(e.path).name, e.line) for e in lifecycle.entries] == [
        ("introduction_glossary.json", 110),
        ("introduction_glossary.json", 201),
    ]


@needs_corpora
def test_real_mlsysbook_prose_matches():
    g = load_sources(MLSYSBOOK, autodetect_sources(MLSYSBOOK))
    text = "Training a Perceptron with Backpropagation on ImageNet, as AlexNet did.\n"
    assert found(g.matcher(), text) == [
        (0, 8, "Training", "canonical", "Training"),
        (11, 21, "Perceptron", "canonical", "Perceptron"),
        (27, 42, "Backpropagation", "canonical", "Backpropagation"),
        (46, 54, "ImageNet", "canonical", "ImageNet"),
        (59, 66, "AlexNet", "canonical", "AlexNet"),
    ]


# ----------------------------------------------------------------------------------------
# Errors name the file and the line
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, message",
    [
        ("bad_syntax.yml", "bad_syntax.yml:3: invalid YAML: mapping values are not allowed here"),
        (
            "list_definition.yml",
            "list_definition.yml:4: expected a mapping of term to definition: "
            "the definition of 'gamma' is a list, not a text",
        ),
        ("unknown_key.yml", "unknown_key.yml:6: unknown key 'varients' in a glossary entry"),
        ("bad_types.yml", "bad_types.yml:3: 'case-sensitive' must be true or false"),
        ("no_term.yml", "no_term.yml:3: a glossary entry has no 'term'"),
        ("bad.json", "bad.json:10: invalid JSON: Expecting ',' delimiter"),
        ("no_terms.json", 'no_terms.json:1: expected an object with a "terms" list'),
        ("bad_item.json", 'bad_item.json:4: expected each item of "terms" to be an object with a "term"'),
    ],
)
def test_errors_name_file_and_line(name, message):
    path = DATA / name
    with pytest.raises(GlossaryError) as info:
        load_file(path)
    assert str(info.value).startswith(str(DATA) + "/" + message)
    assert info.value.path == str(path)
    assert info.value.line == int(message.split(":")[1])


def test_error_for_a_top_level_list():
    with pytest.raises(GlossaryError, match=r"^g\.yml:1: expected a mapping of term to definition"):
        parse_glossary("- alpha\n- beta\n", "g.yml")


def test_error_for_terms_that_are_not_a_list():
    with pytest.raises(GlossaryError, match=r"^g\.yml:2: 'terms' must be a list of entries"):
        parse_glossary("terms:\n  alpha: first\n", "g.yml")


def test_error_for_invalid_utf8(tmp_path):
    path = tmp_path / "glossary.yml"
    path.write_bytes(b"alpha: first\nbeta: caf\xe9\n")
    with pytest.raises(GlossaryError, match=r"glossary\.yml:2: not valid UTF-8 text$"):
        load_file(path)


def test_error_for_a_missing_file(tmp_path):
    with pytest.raises(GlossaryError, match=r"nope\.yml: glossary source not found$"):
        load_file(tmp_path / "nope.yml")


# ----------------------------------------------------------------------------------------
# Sources: configured globs and auto-detection
# ----------------------------------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _chapter_json(*terms: str, chapter: str = "ch") -> str:
    return json.dumps(
        {"metadata": {"chapter": chapter}, "terms": [{"term": t, "definition": f"{t}."} for t in terms]}, indent=2
    )


def test_load_sources_expands_globs_once_each(tmp_path):
    root = _write(
        tmp_path,
        {
            "contents/b/b_glossary.json": _chapter_json("beta"),
            "contents/a/a_glossary.json": _chapter_json("alpha"),
            "glossary.yml": "gamma: third\n",
        },
    )
    g = load_sources(root, ["contents/**/*_glossary.json", "glossary.yml", "contents/a/*.json"])
    assert [e.term for e in g.entries] == ["alpha", "beta", "gamma"]
    assert g.entries[0].path == str(root / "contents/a/a_glossary.json")


def test_load_sources_pattern_without_match_is_an_error(tmp_path):
    with pytest.raises(GlossaryError, match=r"^contents/\*\*/\*_glossary\.json: glossary source pattern matches no file$"):
        load_sources(tmp_path, ["contents/**/*_glossary.json"])


def test_load_sources_missing_file_is_an_error(tmp_path):
    with pytest.raises(GlossaryError, match=r"style/terms\.yml: glossary source not found$"):
        load_sources(tmp_path, ["style/terms.yml"])


def test_load_sources_reports_errors_with_the_real_path(tmp_path):
    root = _write(tmp_path, {"style/terms.yml": "terms:\n  - term: x\n    bogus: 1\n"})
    with pytest.raises(GlossaryError) as info:
        load_sources(root, ["style/terms.yml"])
    assert str(info.value).startswith(f"{root / 'style/terms.yml'}:3: unknown key 'bogus'")


def test_autodetect_sources(tmp_path):
    root = _write(
        tmp_path,
        {
            "glossary.yml": "alpha: first\n",
            "contents/core/intro/intro_glossary.json": _chapter_json("alpha"),
            "contents/core/hw/hw_glossary.json": _chapter_json("beta"),
            "contents/vol1/backmatter/glossary/vol1_glossary.json": _chapter_json("alpha", "beta"),
            "node_modules/pkg/x_glossary.json": _chapter_json("x"),
            "_book/y_glossary.json": _chapter_json("y"),
            ".quarto/z_glossary.json": _chapter_json("z"),
            "include/glossary.yml": "delta: fourth\n",
        },
    )
    assert autodetect_sources(root) == [
        "glossary.yml",
        "include/glossary.yml",
        "contents/core/hw/hw_glossary.json",
        "contents/core/intro/intro_glossary.json",
        "contents/vol1/backmatter/glossary/vol1_glossary.json",  # merged volume glossary last
    ]
    g = load_sources(root, autodetect_sources(root)[:-1])
    assert [e.term for e in g.terms] == ["alpha", "delta", "beta"]


def test_autodetect_uses_the_volume_glossary_when_there_are_no_chapter_files(tmp_path):
    volume = json.dumps({"metadata": {"volume": "vol1", "total_terms": 1}, "terms": [{"term": "alpha"}]})
    root = _write(tmp_path, {"book/vol1_glossary.json": volume})
    assert autodetect_sources(root) == ["book/vol1_glossary.json"]


def test_autodetect_follows_quarto_glossary_path(tmp_path):
    root = _write(
        tmp_path,
        {
            "_quarto.yml": "project:\n  type: book\nglossary:\n  path: ./include/terms.yml\n  popup: click\n",
            "include/terms.yml": "alpha: first\n",
            "glossary.yml": "beta: second\n",
        },
    )
    assert autodetect_sources(root) == ["include/terms.yml"]


def test_autodetect_finds_nothing_in_an_empty_project(tmp_path):
    assert autodetect_sources(tmp_path) == []


@needs_corpora
def test_autodetect_on_real_projects():
    assert autodetect_sources(MLSYSBOOK) == [
        "contents/core/data_engineering/data_engineering_glossary.json",
        "contents/core/dl_primer/dl_primer_glossary.json",
        "contents/core/introduction/introduction_glossary.json",
    ]
    assert autodetect_sources(QUARTO_GLOSSARY) == ["glossary.yml"]
    assert autodetect_sources(CORPORA / "booktem" / "inst" / "quarto") == ["include/glossary.yml"]


def test_acronym_alias_of_a_spelled_out_term_is_exact():
    g = Glossary([Entry.make("graphics processing unit", "g", aliases=["GPU"])])
    assert found(g.matcher(), "a GPU, a gpu") == [(2, 5, "GPU", "alias", "graphics processing unit")]


def test_semicolon_does_not_start_a_sentence(matcher):
    assert found(matcher, "slow; Memory wall") == [(6, 17, "Memory wall", "case", "memory wall")]


def test_bom_in_parsed_text():
    assert [e.term for e in parse_glossary('\ufeff{"terms": [{"term": "alpha"}]}', "x.json")] == ["alpha"]


def test_bold_definition_may_be_title_case(matcher):
    text = "[^fn-x]: see the **Memory Wall**: a gap; the Memory Wall again"
    assert found(matcher, text) == [
        (19, 30, "Memory Wall", "canonical", "Memory Wall"),
        (45, 56, "Memory Wall", "case", "memory wall"),
    ]


def test_gaps_that_are_not_a_spelling_of_the_term(matcher):
    text = "memory - wall, memory--wall, memory\n\nwall, memory\n  \n  wall"
    assert [(s, t) for s, _, t, _, _ in found(matcher, text)] == [
        (0, "memory"),
        (15, "memory"),
        (29, "memory"),
        (43, "memory"),
    ]


def test_tab_indented_continuation_line(matcher):
    assert found(matcher, "the memory\n\twall") == [(4, 16, "memory\n\twall", "canonical", "memory\n\twall")]


@pytest.mark.parametrize("source", [DATA / "terms.yml", DATA / "chapter_glossary.json", DATA / "quarto_dupes.yml", MLSYSBOOK / "contents/core/dl_primer/dl_primer_glossary.json",
                                    QUARTO_GLOSSARY / "glossary.yml"], ids=lambda p: p.name)
def test_entries_kept_between_runs_come_back_exactly_as_parsed(source: Path) -> None:
    """The run's cache keeps each glossary file's parsed entries: every field of every entry
    (a field added to `Entry` and forgotten here fails this) survives the JSON round trip."""
    if not source.is_file():
        pytest.skip("real corpora not available")
    parsed = load_file(source)
    assert parsed
    kept = entries_from_data(orjson.loads(orjson.dumps(entries_as_data(parsed))))
    assert [vars(entry) for entry in kept] == [vars(entry) for entry in parsed]
    assert all(type(entry) is Entry for entry in kept)


@pytest.mark.parametrize("damage", [{"terms": []}, [["gpu"]], [[1] * 13],
                                    [["gpu", [["d", "g.json", "1"]], [], [], None, False, [], [], False, None, [], None, ""]],
                                    [["gpu", [], [], [], None, "no", [], [], False, None, [], None, ""]]])
def test_damaged_entries_are_not_read_back(damage) -> None:
    assert entries_from_data(damage) is None


def test_every_entry_field_survives_the_round_trip() -> None:
    text = ("terms:\n"
            "  - term: MAC\n    definition: An operation or an address.\n"
            "    expansion: [multiply-accumulate, media access control]\n    acronym: true\n"
            "  - term: graphics processing unit (GPU)\n    definition: A processor.\n    aliases: [graphics card]\n"
            "    variants: [graphic processing unit]\n    see-also: [TPU]\n"
            "  - term: TensorFlow\n    definition: A framework.\n    case-sensitive: true\n")
    parsed = parse_glossary(text, "terms.yml")
    kept = entries_from_data(orjson.loads(orjson.dumps(entries_as_data(parsed))))
    assert [vars(entry) for entry in kept] == [vars(entry) for entry in parsed]
    fields = {name for entry in parsed for name, value in vars(entry).items() if value not in (None, [], False, "")}
    assert fields == set(vars(parsed[0]))  # every field is set somewhere above


def _fold_by_hand(text: str) -> str:
    """`_fold`'s rule written out: lower case, the one-for-one replacements, and every maximal
    run of spaces and line breaks overwritten with \\x01 unless it holds exactly one line break
    (a line break with indentation) or is a single space."""
    folded = "".join(c.lower() if len(c.lower()) == 1 else c for c in text).translate(term_matcher._FOLD)
    out, i = [], 0
    while i < len(folded):
        j = i
        while j < len(folded) and folded[j] in " \n":
            j += 1
        if j == i:
            out.append(folded[i])
            i += 1
            continue
        run = folded[i:j]
        out.append(run if len(run) == 1 or run.count("\n") == 1 else "\x01" * len(run))
        i = j
    return "".join(out)


def test_the_folded_copy_follows_its_rule_on_random_text():
    rng = random.Random(7)
    pieces = [" ", " ", "  ", "\n", "\n", "\t", "\u00a0", "a", "B", "\u0130", "-", "\u2011", "\u2019", "x\n  y"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 25)))
        assert term_matcher._fold(text) == _fold_by_hand(text), repr(text)
