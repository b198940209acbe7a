"""Time the glossary matcher alone: 100 vs 2,000 terms over the same prose.

    python benchmarks/matcher.py                  # mlsysbook-sample, 8 copies of its text
    python benchmarks/matcher.py --copies 1 --repeat 5 --terms 100,2000,10000

Parses the chapters of `--base` once (not timed), then times, for each glossary size,
building the matcher and scanning every document's prose (`TermMatcher.scan`, what
`mlsys_lint.term_usage` runs), plus the bare candidate search of three engines over the
same folded text: the standard `re` module on the matcher's trie pattern (what the
matcher uses), the `regex` module on the same pattern and on a named list
(``\L<forms>`` of every spelling with space, hyphen and joined gaps, within the same
word boundaries), and — when installed — `pyahocorasick` on the same spellings (an
automaton finds candidates only, inside words too: word boundaries would still need
the matcher's checks in Python).
Glossaries are the real terms of the base's ``*_glossary.json`` followed by frequent
words and bigrams and then made-up words (`run.glossary_yaml`, as `--glossary-terms`
does).  Prints one Markdown table: medians of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from run import glossary_yaml, list_docs  # noqa: E402  (benchmarks/run.py)

from mlsys_lint.document import parse  # noqa: E402
from mlsys_lint.glossary import Glossary  # noqa: E402
from mlsys_lint.glossary_files import parse_glossary  # noqa: E402
from mlsys_lint.reading import decode  # noqa: E402
from mlsys_lint.term_matcher import TermMatcher, _fold  # noqa: E402

_TITLED = {"heading", "definition-term"}


def _documents(base: Path, copies: int):
    docs = []
    for rel in list_docs(base):
        doc = parse(decode((base / rel).read_bytes(), str(base / rel)))
        spans = [(p.start, p.end, p.kind in _TITLED) for p in doc.prose]
        docs += [(doc.masked, spans)] * copies
    return docs


def _median(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(n: int, base: Path, docs, repeat: int) -> dict[str, float | int]:
    glossary = Glossary(parse_glossary(glossary_yaml(n, base), "terms.yml"))
    row: dict[str, float | int] = {"terms": len(glossary)}
    row["build"] = _median(lambda: TermMatcher(glossary), repeat)
    matcher = TermMatcher(glossary)
    matches: list[int] = []

    def scan() -> None:
        matches[:] = [sum(len(matcher.scan(text, spans)) for text, spans in docs)]

    row["scan"] = _median(scan, repeat)
    row["matches"] = matches[0]
    folded = [_fold(text) for text, _ in docs]
    pattern = matcher._pattern

    def search(compiled) -> int:
        count = 0
        for text in folded:
            pos = 0
            while (m := compiled.search(text, pos)) is not None:
                count += 1
                pos = m.end()
        return count

    row["re"] = _median(lambda: search(pattern), repeat)
    spellings = {form for key in matcher._exact for form in (key, key.replace(" ", "-"), key.replace(" ", ""))}
    try:
        import regex

        compiled = regex.compile(pattern.pattern)
        row["regex"] = _median(lambda: search(compiled), repeat)
        listed = regex.compile(r"(?<![^\W_])(?<!\w_)(?<![@#/.])\L<forms>(?P<suf>'s|e?s)?(?![^\W_]|_\w|[@#/.']\w)",
                               forms=sorted(spellings))
        row["regex-list"] = _median(lambda: search(listed), repeat)
    except ImportError:
        row["regex"] = row["regex-list"] = float("nan")
    try:
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for form in spellings:
            automaton.add_word(form, form)
        automaton.make_automaton()
        row["ahocorasick"] = _median(lambda: sum(1 for text in folded for _ in automaton.iter(text)), repeat)
    except ImportError:
        row["ahocorasick"] = float("nan")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, default=HERE.parent.parent / "shared" / "corpora" / "mlsysbook-sample")
    parser.add_argument("--copies", type=int, default=8, help="scan the base's prose this many times (8: ~6 MB)")
    parser.add_argument("--terms", default="100,2000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    docs = _documents(args.base, args.copies)
    megabytes = sum(len(text) for text, _ in docs) / 1e6
    print(f"{len(docs)} documents, {megabytes:.1f} MB of masked text; medians of {args.repeat} runs, seconds\n")
    print("| terms | build | scan (TermMatcher.scan) | matches | re search | regex search | regex \\L<forms> "
          "| pyahocorasick iter |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(x) for x in args.terms.split(",")):
        r = measure(n, args.base, docs, args.repeat)
        print(f"| {r['terms']} | {r['build']:.3f} | {r['scan']:.3f} | {r['matches']} | {r['re']:.3f} | "
              f"{r['regex']:.3f} | {r['regex-list']:.3f} | {r['ahocorasick']:.3f} |")


if __name__ == "__main__":
    main()
