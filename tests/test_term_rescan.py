"""`TermMatcher.rescan`: after an edit, searching only the prose the edit touched finds exactly
what a full scan finds (the language server rescans the edited chapter on every keystroke)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lintkit import CORPORA
from mlsys_lint.api import resolve_settings
from mlsys_lint.document import parse
from mlsys_lint.engine import Engine
from mlsys_lint.reading import decode
from mlsys_lint.registry import load_rules, select_rules
from mlsys_lint.glossary import Entry
from mlsys_lint.term_matcher import Scan, TermMatcher
from mlsys_lint.term_usage import project_glossary, prose_spans

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "book"

_SNIPPETS = ["x", " ", "\n", "\n\n", "**", "# ", "- ", "`", "```\n", "$", "<!-- ", " -->", "-", "(", ")", ". ",
             "::: {.callout-note}\n", ":::\n", "[^1]", "@fig-a", "{{< glossary x >}}", "| a | b |\n"]


def _book(root: Path):
    settings = resolve_settings([root], None)
    engine = Engine(settings, select_rules(load_rules(), settings), base=root, use_cache=False)
    project = engine.projects([root])[0]
    return project, project_glossary(project).matcher()


def _position(text: str, scan: Scan, rng: random.Random) -> int:
    """Where to edit: anywhere, or where a rescan could go wrong: at the edges of a match
    (a plural ending, a hyphen joining a word) or just before a prose run (bold markers
    or a heading mark earlier on its line)."""
    choice = rng.random()
    if choice < 0.4 or not scan.found:
        return rng.randrange(len(text) + 1)
    if choice < 0.7:
        match = rng.choice(scan.found)[1]
        return max(0, min(len(text), rng.choice([match.start, match.end]) + rng.randrange(-2, 3)))
    lo = rng.choice(scan.spans)[0]
    return max(0, lo - rng.randrange(0, 4))


def _edit(text: str, at: int, terms: list[str], rng: random.Random) -> str:
    """One random edit at `at`: inserted markup or a term, a deletion, a replaced character."""
    choice = rng.random()
    if choice < 0.3:
        term = rng.choice(terms)
        term = rng.choice([term, term.upper(), term.title(), term.replace(" ", "-"), term + "s"])
        return text[:at] + term + text[at:]
    if choice < 0.6:
        return text[:at] + rng.choice(_SNIPPETS) + text[at:]
    if choice < 0.8:
        return text[:at] + text[at + rng.randrange(1, 40):]
    return text[:at] + rng.choice("aZs -\n*#") + text[at + 1:]


def _check(path: Path, matcher, terms: list[str], seed: int, count: int) -> int:
    rng = random.Random(seed)
    text = path.read_text(encoding="utf-8")
    doc = parse(decode(text.encode("utf-8"), str(path)))
    before = Scan(doc.masked, prose_spans(doc), matcher.scan(doc.masked, prose_spans(doc)))
    checked = 0
    for _ in range(count):
        text = _edit(text, _position(before.text, before, rng), terms, rng)
        doc = parse(decode(text.encode("utf-8"), str(path)))
        spans = prose_spans(doc)
        full = matcher.scan(doc.masked, spans)
        before = matcher.rescan(doc.masked, spans, before)  # the next edit starts from this rescan
        assert before.found == full, f"{path.name}, seed {seed}"
        checked += len(full)
    return checked


def test_rescan_equals_scan_after_random_edits_of_the_example_book():
    project, matcher = _book(EXAMPLE)
    terms = [entry.term for entry in project_glossary(project).terms]
    found = sum(_check(Path(doc.path), matcher, terms, seed, 40)
                for seed, doc in enumerate(project.documents.values()))
    assert found > 100


def test_rescan_equals_scan_after_random_edits_of_a_real_chapter():
    root = CORPORA / "mlsysbook-sample"
    if not root.is_dir():
        pytest.skip(f"no corpus at {root}")
    project, matcher = _book(root)
    terms = [entry.term for entry in project_glossary(project).terms][::7]
    chapter = max((Path(doc.path) for doc in project.documents.values()), key=lambda p: p.stat().st_size)
    assert _check(chapter, matcher, terms, 1, 25) > 1000


def test_an_edit_rescans_only_the_runs_it_touched(monkeypatch):
    project, matcher = _book(EXAMPLE)
    path = max((Path(doc.path) for doc in project.documents.values()), key=lambda p: p.stat().st_size)
    text = path.read_text(encoding="utf-8")
    doc = parse(decode(text.encode("utf-8"), str(path)))
    before = Scan(doc.masked, prose_spans(doc), matcher.scan(doc.masked, prose_spans(doc)))
    middle = text.index("\n\n", len(text) // 2) + 2
    edited = parse(decode((text[:middle] + "A new sentence. " + text[middle:]).encode("utf-8"), str(path)))
    searched = []
    real = type(matcher)._search_run

    def counting(self, text, folded, base, run, *args):
        searched.append(run)
        return real(self, text, folded, base, run, *args)

    monkeypatch.setattr(type(matcher), "_search_run", counting)
    matcher.scan(edited.masked, prose_spans(edited))
    every = len(searched)
    searched.clear()
    found = matcher.rescan(edited.masked, prose_spans(edited), before).found
    assert found and every > 50
    assert 1 <= len(searched) <= 4  # the runs of the edited paragraph
    assert all(start <= middle + 16 and end >= middle for start, end, _ in searched[:1])


@pytest.mark.parametrize("old, new", [
    ("We plot a roofline\n", "We plot a rooflinx\n"),  # the last letters of a run
    ("We plot a rooflinx\n", "We plot a roofline\n"),
    ("A roofline-ish bound\n", "A roofline ish bound\n"),  # a hyphen that made it part of a longer word
    ("Roofline first.\n\nThen a roofline.\n", "Roofline first.\n\nThen a Roofline.\n"),
])
def test_an_edit_next_to_a_term_is_seen(old, new):
    matcher = TermMatcher([Entry.make("roofline", "A bound on throughput.")])
    before_doc, doc = parse(decode(old.encode(), "a.qmd")), parse(decode(new.encode(), "a.qmd"))
    before = Scan(before_doc.masked, prose_spans(before_doc), matcher.scan(before_doc.masked, prose_spans(before_doc)))
    assert matcher.rescan(doc.masked, prose_spans(doc), before).found == matcher.scan(doc.masked, prose_spans(doc))
