"""The atheris harness in a short, bounded, deterministic run (skipped without atheris).

Long runs are manual (see tests/fuzz/fuzz.py); this keeps the harness working and
replays a sample of the shared books plus a fixed-seed search for a few seconds per target.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_corpus  # noqa: E402

pytestmark = pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed")

SECONDS = {"parser": 5, "lint": 4, "config": 3}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fuzz-corpus")
    build_corpus.build(out, Path(build_corpus.DEFAULT_CORPORA), limit=3)
    return out


@pytest.mark.parametrize("target", sorted(SECONDS))
def test_harness_runs_clean_for_a_few_seconds(corpus: Path, tmp_path: Path, target: str) -> None:
    seeds = corpus / ("config" if target == "config" else "parser")
    work = tmp_path / "work"
    work.mkdir()
    command = [sys.executable, str(HERE / "fuzz.py"), target, str(work), str(seeds), "-seed=1",
               f"-max_total_time={SECONDS[target]}", "-timeout=10", "-max_len=4096", "-rss_limit_mb=2048",
               f"-artifact_prefix={tmp_path}/"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS[target] + 120,
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(HERE.parents[1])})
    crashes = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))
    tail = "\n".join(result.stderr.splitlines()[-40:])
    assert result.returncode == 0 and not crashes, f"{target}: {crashes}\n{tail}"
    assert "Done" in result.stderr  # libFuzzer finished its time budget


def test_corpus_builder_reads_the_shared_books(tmp_path: Path) -> None:
    counts = build_corpus.build(tmp_path, Path(build_corpus.DEFAULT_CORPORA), limit=1)
    assert counts["parser"] >= len(build_corpus.SNIPPETS)
    assert len(list((tmp_path / "parser").iterdir())) >= len(build_corpus.SNIPPETS)
    if Path(build_corpus.DEFAULT_CORPORA).is_dir():
        assert counts["parser"] > len(build_corpus.SNIPPETS) and counts["config"] > len(build_corpus.CONFIG_SNIPPETS)
