"""Language server latency: from a change notification to the diagnostics it publishes.

Builds (or reuses) the synthetic book of `run.py --scale N` (N copies of the MLSysBook
sample's three chapters: 13 copies = 39 chapters), starts ``mlsys-lint server`` as an
editor does, opens one chapter, then alternately breaks and restores a label that another
chapter refers to. For each edit it times, from the moment the ``didChange`` notification
is written, until the diagnostics of the edited chapter arrive and until those of the other
chapter (republished because the edit broke or mended its reference) arrive; each edit is
sent once the last one's diagnostics have all arrived, longer after the last change than the
debounce, so the server checks it at once (as after a pause in typing). Prints the
medians as a Markdown table, with the time from starting a server to the opened chapter's
first diagnostics: with an empty cache folder, and after one command-line check of the book
(the server reads the parse cache that check wrote).

    python benchmarks/lsp_latency.py                 # 13 copies, 9 edits
    python benchmarks/lsp_latency.py --copies 13 --edits 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from lspclient import LspClient  # noqa: E402
from run import build_scale, default_corpora_dir  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=13)
    parser.add_argument("--edits", type=int, default=9)
    args = parser.parse_args(argv)
    root = build_scale(args.copies, default_corpora_dir() / "mlsysbook-sample", "copy", True)
    chapters = sorted(root.glob("contents/c*/**/*.qmd"))
    edited = next(p for p in chapters if p.name == "dl_primer.qmd" and "c002" in str(p))
    other = next(p for p in chapters if p.name == "introduction.qmd" and "c002" in str(p))
    label = "{#sec-dl-primer-c002}"
    text = edited.read_text(encoding="utf-8")
    assert label in text, "the scale book's second copy labels the chapter heading"
    with tempfile.TemporaryDirectory(prefix="lsp-latency-cache-") as cache:
        os.environ["MLSYS_LINT_CACHE_DIR"] = cache  # the server (a child) reads this cache folder
        cold = _ready(root, edited)
        subprocess.run([sys.executable, "-m", "mlsys_lint", "check", "--format", "json", str(root)],
                       stdout=subprocess.DEVNULL, check=False)  # the book checked once from the command line
        started = time.monotonic()
        client = LspClient(root)
        client.initialize()
        uri, other_uri = client.open(edited), other.as_uri()
        client.diagnostics(uri)
        ready = time.monotonic() - started
        own, republished = [], []
        for number in range(args.edits):
            broken = number % 2 == 0
            new = text.replace(label, "{#sec-renamed-c002}") if broken else text
            sent = time.monotonic()
            client.change(uri, new, number + 2)
            client.diagnostics(uri)
            own.append(time.monotonic() - sent)
            client.diagnostics(other_uri)
            republished.append(time.monotonic() - sent)
        client.close()
    size = sum(p.stat().st_size for p in chapters) / 1e6
    print("| book | chapters | MB | server ready s (no cache / book checked before) | edited chapter, median ms "
          "| other chapter, median ms |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| scale x{args.copies} | {len(chapters)} | {size:.1f} | {cold:.2f} / {ready:.2f} | "
          f"{statistics.median(own) * 1000:.0f} | {statistics.median(republished) * 1000:.0f} |")
    debounce = int(__import__("mlsys_lint.lsp", fromlist=["x"]).DEBOUNCE_SECONDS * 1000)
    print(f"\n(each edit comes after a quiet spell, so it is checked at once; changes that follow one "
          f"another within {debounce} ms wait until typing pauses for {debounce} ms)")
    return 0


def _ready(root: Path, chapter: Path) -> float:
    """Seconds from starting a server to the first diagnostics of `chapter`."""
    started = time.monotonic()
    client = LspClient(root)
    client.initialize()
    client.diagnostics(client.open(chapter))
    ready = time.monotonic() - started
    client.close()
    return ready


if __name__ == "__main__":
    sys.exit(main())
