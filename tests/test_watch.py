"""``mlsys-lint --watch`` as a user runs it: a real process, a real file changed under it."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lintkit import book
from mlsys_lint.model import Diagnostic, Severity, Span
from mlsys_lint.watch import changes

pytest.importorskip("watchfiles", reason="--watch needs watchfiles")


def finding(fingerprint: str, line: int = 1) -> Diagnostic:
    return Diagnostic("XR001", "x", Severity.ERROR, Span("a.qmd", line, 1, line, 2), "m", fingerprint=fingerprint)


def test_changes_match_findings_by_fingerprint_not_line() -> None:
    before = [finding("a", 1), finding("b", 2), finding("b", 3)]
    after = [finding("a", 5), finding("b", 6), finding("c", 7)]
    appeared, gone = changes(before, after)
    assert [(d.fingerprint, d.span.line) for d in appeared] == [("c", 7)]
    assert [(d.fingerprint, d.span.line) for d in gone] == [("b", 3)]


def lines(stream, into: "queue.Queue[str]") -> None:
    for raw in iter(stream.readline, ""):
        into.put(raw.rstrip("\n"))


def wait_for(into: "queue.Queue[str]", wanted, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = into.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if wanted(line):
            return line
    raise TimeoutError("the watcher did not print what was expected")


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_watch_prints_only_what_changed_and_stops_cleanly(tmp_path: Path) -> None:
    root = book(tmp_path / "book", {"index.qmd": "# Intro\n\nNothing to see.\n"})
    proc = subprocess.Popen([sys.executable, "-m", "mlsys_lint", "--watch", "--no-cache", "."], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: "queue.Queue[str]" = queue.Queue()
    err: "queue.Queue[str]" = queue.Queue()
    for stream, into in ((proc.stdout, out), (proc.stderr, err)):
        threading.Thread(target=lines, args=(stream, into), daemon=True).start()
    try:
        wait_for(err, lambda line: "watching for changes" in line)
        (root / "index.qmd").write_text("# Intro\n\nSee @fig-missing.\n", encoding="utf-8")
        added = wait_for(out, lambda line: line.startswith("+ "))
        assert added.startswith("+ index.qmd:3:5: XR001 `@fig-missing`")
        assert "(1 new, 0 gone)" in wait_for(err, lambda line: "new," in line)
        (root / "index.qmd").write_text("# Intro\n\nNothing to see here either.\n", encoding="utf-8")
        assert wait_for(out, lambda line: line.startswith("- ")).startswith("- index.qmd:3:5: XR001 ")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
