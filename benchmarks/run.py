#!/usr/bin/env python3
"""Benchmark mlsys-lint against a floor and peer linters on real Quarto corpora.

Standard library only. See benchmarks/README.md for what is measured and how.

    python benchmarks/run.py                          # every corpus, 5 repeats
    python benchmarks/run.py --corpus r4ds --repeat 3
    python benchmarks/run.py --scale 1,9,92           # synthetic books, N x mlsysbook-sample
    python benchmarks/run.py --glossary-terms 0,1000,10000
    python benchmarks/run.py --glossary-terms 0,2000 --glossary-scale 10   # 2,000 terms, book-sized

Every tool runs on a private, writable copy of the corpus under benchmarks/.data/ (the
corpora are never touched, and caches land in the copy). Wall time is measured around
the child process; peak RSS is the child's ``ru_maxrss`` from ``os.wait4`` (the largest
single process among the child and the descendants it reaped, not their sum; use
``--tree-rss`` to also sample the sum over the process tree).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
TOOLS = HERE / ".tools"
RESULTS = HERE / "results" / "latest.json"
EXTS = (".qmd", ".md", ".Rmd")
SCHEMA = 1
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def default_corpora_dir() -> Path:
    env = os.environ.get("MLSYS_BENCH_CORPORA")
    if env:
        return Path(env)
    for cand in (REPO.parent / "shared" / "corpora", Path("/work/shared/corpora")):
        if cand.is_dir():
            return cand
    return Path("/work/shared/corpora")


# --------------------------------------------------------------------------- files


def list_docs(root: Path) -> list[str]:
    """Relative POSIX paths of every .qmd/.md/.Rmd file, hidden folders skipped, sorted."""
    out = []
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in files:
            if f.endswith(EXTS):
                out.append(Path(dirpath, f).relative_to(root).as_posix())
    return sorted(out)


def pick_precommit_files(root: Path, docs: list[str], k: int = 3) -> list[str]:
    """The k largest .qmd files (the worst case of 'k changed chapters')."""
    qmd = [d for d in docs if d.endswith(".qmd")] or list(docs)
    qmd.sort(key=lambda d: (-(root / d).stat().st_size, d))
    return sorted(qmd[:k])


def make_writable(root: Path) -> None:
    for dirpath, dirs, files in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                os.chmod(p, 0o644)


def fresh_copy(src: Path, dst: Path) -> Path:
    """A pristine, writable copy of src at dst (re-made on every run)."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, dst, symlinks=True, copy_function=shutil.copyfile)
    make_writable(dst)
    return dst


def corpus_size(root: Path, docs: list[str]) -> int:
    return sum((root / d).stat().st_size for d in docs)


# --------------------------------------------------------------------------- running


# GNU time measures peak RSS from a small intermediate process. ru_maxrss from our own
# os.wait4 is not usable for that: on exec, Linux carries the high-water RSS of the
# (v)forked image into the child, so every child would report at least this script's RSS.
GNU_TIME = next((p for p in ("/usr/bin/time",) if os.access(p, os.X_OK)), None)


@dataclass
class Run:
    wall: float
    rss_kb: int
    cpu: float  # user + sys of the child and everything it reaped
    rc: int
    stdout: bytes
    stderr: bytes
    tree_rss_kb: int | None = None


def _tree_rss_kb(root_pid: int) -> int:
    """Sum of RSS over root_pid and all its descendants (from /proc)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
            fields = stat[stat.rindex(b")") + 2 :].split()
            pid = int(name)
            parent[pid] = int(fields[1])
            rss[pid] = int(fields[21]) * PAGE // 1024
        except (OSError, ValueError, IndexError):
            continue
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def run_once(cmd: list[str], cwd: Path, env: dict, timeout: float, tree_rss: bool = False) -> Run:
    exe = cmd[0]
    if not (os.sep in exe and os.access(exe, os.X_OK)) and not shutil.which(exe, path=env.get("PATH")):
        raise FileNotFoundError(exe)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = [GNU_TIME, "-f", "%M", "-o", tf.name, *cmd] if GNU_TIME else cmd
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.daemon = True
        timer.start()
        peak_tree = [0]
        stop = threading.Event()
        sampler = None
        if tree_rss:
            def sample() -> None:
                while not stop.is_set():
                    peak_tree[0] = max(peak_tree[0], _tree_rss_kb(proc.pid))
                    stop.wait(0.01)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        stop.set()
        timer.cancel()
        if sampler:
            sampler.join()
        rc = os.waitstatus_to_exitcode(status)
        proc.returncode = rc  # already reaped; keep Popen from waiting again
        rss = ru.ru_maxrss
        if GNU_TIME:
            nums = [ln for ln in tf.read().splitlines() if ln.strip().isdigit()]
            rss = int(nums[-1]) if nums else 0
        out.seek(0)
        err.seek(0)
        return Run(wall, rss, ru.ru_utime + ru.ru_stime, rc, out.read(), err.read(), peak_tree[0] if tree_rss else None)


LOC_LINE = re.compile(rb"^[^\s:][^\n]*?:\d+(?::\d+)?[: ]", re.M)


def count_findings(kind: str, r: Run) -> int | None:
    if kind == "mlsys-lint":
        try:
            doc = json.loads(r.stdout.decode("utf-8"))
            return len(doc.get("diagnostics", []))
        except (ValueError, AttributeError):
            return None
    if kind in ("panache", "rumdl", "markdownlint-cli2"):
        return len(LOC_LINE.findall(r.stdout + b"\n" + r.stderr))
    return None


@dataclass
class Bench:
    key: str  # row id, unique within a suite
    label: str  # shown in the table
    kind: str  # floor | startup | mlsys-lint | panache | rumdl | markdownlint-cli2
    cmd: list[str]
    files: int
    nbytes: int
    ok_rcs: tuple = (0, 1)
    strict: bool = False  # an rc outside ok_rcs makes the row n/a (mlsys-lint)
    prime: bool = False  # one extra untimed run first, to fill a cache
    cache_probe: list[Path] = field(default_factory=list)  # where a cache may appear
    before_each: object = None  # callable(i) run before every (timed or not) run
    after_each: object = None  # callable() run after every run: puts back what before_each changed


def short_cmd(cmd: list[str]) -> str:
    """The command for the record: scripts elided, our own paths shortened, file lists cut."""
    shown = []
    cmd = [os.path.basename(cmd[0]), *cmd[1:]] if cmd else cmd
    for c in cmd[:10]:
        if "\n" in c:
            c = "<script>"
        elif c.startswith(str(TOOLS)):
            c = os.path.basename(c)
        elif c.startswith(str(DATA)):
            c = "benchmarks/.data/" + os.path.relpath(c, DATA)
        shown.append(shlex.quote(c))
    if len(cmd) > 10:
        shown.append(f"… ({len(cmd) - 10} more)")
    return " ".join(shown)


def snapshot(paths: list[Path]) -> set[str]:
    seen = set()
    for p in paths:
        if not p.exists():
            continue
        for dirpath, dirs, files in os.walk(p):
            for f in files:
                seen.add(os.path.join(dirpath, f))
    return seen


class Row:
    """One row of a suite being measured: warmed up first, then timed one run at a time, so
    that `run_suite` can alternate the rows (a slow spell of the machine then falls on every
    row alike instead of on whichever row it hit)."""

    def __init__(self, b: Bench, cwd: Path, env: dict, args) -> None:
        self.b, self.cwd, self.env, self.args = b, cwd, env, args
        self.runs: list[Run] = []
        self.repeat = 0
        self.count = 0
        self.res: dict = {"label": b.label, "kind": b.kind, "cmd": short_cmd(b.cmd), "files": b.files,
                          "bytes": b.nbytes, "status": "ok"}

    def once(self, tree: bool = False) -> Run:
        b = self.b
        if b.before_each:
            b.before_each(self.count)
        self.count += 1
        try:
            return run_once(b.cmd, self.cwd, self.env, self.args.timeout, tree)
        finally:
            if b.after_each:
                b.after_each()

    def warm_up(self) -> None:
        """The untimed runs (one fills the cache of a `prime` row); sets how many timed runs the
        row gets (none when the tool is missing or its first run failed)."""
        b, args, res = self.b, self.args, self.res
        try:
            before = snapshot(b.cache_probe) if b.prime else set()
            first = None
            for _ in range(max(args.warmup, 1 if b.prime else 0)):
                first = self.once()
        except FileNotFoundError as e:
            res.update(status="not-installed", error=str(e))
            return
        if b.prime and first is not None and b.kind == "mlsys-lint" and first.rc in b.ok_rcs:
            new = sorted(snapshot(b.cache_probe) - before)
            if not new:
                res["status"] = "no-cache"
                res["note"] = "no cache files were written by the priming run"
            else:
                res["cache_files"] = len(new)
        if first is not None and b.strict and not valid(b, first):
            fail(res, first)
            return
        self.repeat = args.repeat
        if first is not None and first.wall > args.slow:
            self.repeat = 1
            res["note"] = f"warm-up took {first.wall:.0f} s: 1 timed run"

    def timed(self) -> None:
        """One more timed run, while the row has some left."""
        if len(self.runs) < self.repeat:
            self.runs.append(self.once())

    def result(self) -> dict:
        """The row's figures: medians and extremes of its timed runs, peak memory, status."""
        b, args, res, runs = self.b, self.args, self.res, self.runs
        if not runs:
            return res
        if b.strict and any(not valid(b, r) for r in runs):
            return fail(res, next(r for r in runs if not valid(b, r)))
        walls = [r.wall for r in runs]
        res.update(
            median_s=round(statistics.median(walls), 4),
            min_s=round(min(walls), 4),
            max_s=round(max(walls), 4),
            cpu_s=round(statistics.median(r.cpu for r in runs), 4),
            runs=len(runs),
            peak_rss_mb=round(max(r.rss_kb for r in runs) / 1024, 1),
            rc=sorted({r.rc for r in runs}),
            findings=count_findings(b.kind, runs[-1]),
        )
        if args.tree_rss:
            res["tree_rss_mb"] = round(self.once(tree=True).tree_rss_kb / 1024, 1)
        bad = [r for r in runs if r.rc not in b.ok_rcs]
        if bad:
            if res["status"] == "ok":
                res["status"] = "unexpected-rc"
            res["stderr_tail"] = tail(bad[0].stderr)
        elif any(re.search(rb"panicked at|Traceback \(most recent call last\)", r.stderr) for r in runs[:1]):
            res["status"] = "crash-in-output"
            res["stderr_tail"] = tail(runs[0].stderr)
        return res


def valid(b: Bench, r: Run) -> bool:
    """For strict rows: an expected exit code and, for mlsys-lint, JSON on stdout."""
    if r.rc not in b.ok_rcs:
        return False
    return b.kind != "mlsys-lint" or count_findings(b.kind, r) is not None


def tail(data: bytes, n: int = 6) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return "\n".join(lines[-n:])[-1500:]


def fail(res: dict, r: Run) -> dict:
    res.update(status="error", rc=[r.rc], stderr_tail=tail(r.stderr) or tail(r.stdout))
    if r.rc in (0, 1):
        res["note"] = "no JSON report on stdout"
    return res


# --------------------------------------------------------------------------- tools

FLOOR_PASS = r"@[\w-]+|\[\^[^\]\n]+\]"
"""PRODUCT.md §8 defines the floor as "a Python process that reads every file and runs one regex
pass over it"; the pass lists the cross-references and footnote markers, the least this
linter must find.  A pass that lists every word (``\S+``) would make the floor 2–3.5× reading
alone at 7 MB and 19× at 70 MB (millions of strings made): too generous a yardstick.  The
"no pass" rows leave the pass out."""

FLOOR_ALL = r"""
import os, re, sys
find = re.compile(sys.argv[1]).findall if sys.argv[1] else None
n = b = 0
for root, dirs, files in os.walk("."):
    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    for f in sorted(files):
        if f.endswith((".qmd", ".md", ".Rmd")):
            with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            b += len(text)
            if find:
                find(text)
            n += 1
print(n, b)
"""

FLOOR_FILES = r"""
import re, sys
find = re.compile(sys.argv[1]).findall if sys.argv[1] else None
b = 0
for p in sys.argv[2:]:
    with open(p, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    b += len(text)
    if find:
        find(text)
print(len(sys.argv) - 2, b)
"""


IMPORTS_ONLY = r"""
import mlsys_lint.cli, mlsys_lint.engine, mlsys_lint.document, mlsys_lint.term_usage, mlsys_lint.xref
import mlsys_lint.serialize, mlsys_lint.report
from mlsys_lint.registry import load_rules
load_rules()
"""
"""A lower bound for any check that parses a file: the modules such a check loads (engine,
parser, glossary, cross-references, the cache's codec, reporting) and every rule, no work."""

PARSE_ONLY = r"""
import os
from mlsys_lint.document import parse
from mlsys_lint.reading import UnreadableFile, decode
for root, dirs, files in os.walk("."):
    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    for f in sorted(files):
        if f.endswith((".qmd", ".md", ".Rmd")):
            path = os.path.join(root, f)
            with open(path, "rb") as fh:
                data = fh.read()
            try:
                parse(decode(data, path))
            except UnreadableFile:
                pass
"""
"""A lower bound for a cold check: the parser's modules, and every file the floor reads
parsed once (no project, no glossary, no rule)."""


def python_of(command: list[str]) -> str:
    """The interpreter behind an mlsys-lint command: ``python -m mlsys_lint``'s, or a console script's ``#!``."""
    if len(command) > 2 and command[1] == "-m":
        return command[0]
    try:
        first = Path(command[0]).read_bytes()[:512].split(b"\n", 1)[0]
    except OSError:
        return sys.executable
    return first[2:].decode("utf-8", "replace").strip() if first.startswith(b"#!") else sys.executable


def peer_paths() -> dict[str, str | None]:
    def first(*cands):
        for c in cands:
            if c and Path(c).exists():
                return str(c)
        return None

    return {
        "panache": first(os.environ.get("PANACHE"), TOOLS / "venv/bin/panache", shutil.which("panache")),
        "rumdl": first(os.environ.get("RUMDL"), TOOLS / "venv/bin/rumdl", shutil.which("rumdl")),
        "markdownlint-cli2": first(
            os.environ.get("MARKDOWNLINT_CLI2"),
            TOOLS / "npm/node_modules/.bin/markdownlint-cli2",
            shutil.which("markdownlint-cli2"),
        ),
    }


def resolve_mlsys_lint(arg: str | None) -> tuple[list[str], dict, str]:
    """Command prefix, extra env, and how it was found."""
    if arg or os.environ.get("MLSYS_LINT"):
        return shlex.split(arg or os.environ["MLSYS_LINT"]), {}, "given"
    exe = shutil.which("mlsys-lint")
    if exe:
        return [exe], {}, exe
    for cand in (REPO / ".venv/bin/mlsys-lint", REPO / "venv/bin/mlsys-lint"):
        if cand.exists():
            return [str(cand)], {}, str(cand)
    pp = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return [sys.executable, "-m", "mlsys_lint"], {"PYTHONPATH": pp}, f"{sys.executable} -m mlsys_lint (PYTHONPATH={REPO})"


def version_of(cmd: list[str], env: dict | None = None) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return "n/a"
    text = (p.stdout or p.stderr).decode("utf-8", "replace").strip().splitlines()
    return text[0].strip() if p.returncode == 0 and text else "n/a"


ALL_TOOLS = ("floor", "mlsys-lint", "panache", "rumdl", "markdownlint-cli2")


def build_suite(root: Path, docs: list[str], pre: list[str], ctx: dict, tools: set[str]) -> list[Bench]:
    nbytes = corpus_size(root, docs)
    pbytes = corpus_size(root, pre)
    n, k = len(docs), len(pre)
    kf = f"{k} file" + ("s" if k != 1 else "")
    py = sys.executable
    peers = ctx["peers"]
    cache = ctx["cache_root"]
    out: list[Bench] = []
    if "floor" in tools:
        out.append(Bench("floor", "floor: python reads all files, one regex pass", "floor",
                         [py, "-c", FLOOR_ALL, FLOOR_PASS], n, nbytes))
        out.append(Bench("floor-read", "python reads all files (no pass)", "floor", [py, "-c", FLOOR_ALL, ""], n, nbytes))
        out.append(Bench("floor-3", f"floor: python reads {kf}, one regex pass", "floor",
                         [py, "-c", FLOOR_FILES, FLOOR_PASS, *pre], k, pbytes))
        out.append(Bench("floor-read-3", f"python reads {kf} (no pass)", "floor", [py, "-c", FLOOR_FILES, "", *pre], k, pbytes))
    if "mlsys-lint" in tools:
        ml = ctx["mlsys_lint"]
        probe = [root, cache]
        base = [*ml, "check", "--format", "json"]
        out.append(Bench("mlsys-version", "mlsys-lint --version (start-up only)", "startup", [*ml, "--version"], 0, 0, ok_rcs=(0,), strict=True))
        python = python_of(ml)
        out.append(Bench("mlsys-imports", "bound: mlsys-lint's modules and rules imported, no work", "startup",
                         [python, "-c", IMPORTS_ONLY], 0, 0, ok_rcs=(0,), strict=True))
        out.append(Bench("mlsys-parse", "bound: mlsys-lint's parser alone, every file parsed", "startup",
                         [python, "-c", PARSE_ONLY], n, nbytes, ok_rcs=(0,), strict=True))
        out.append(Bench("mlsys-cold", "mlsys-lint cold (--no-cache)", "mlsys-lint", [*base, "--no-cache", "."], n, nbytes, strict=True))
        out.append(Bench("mlsys-warm", "mlsys-lint warm (cache)", "mlsys-lint", [*base, "."], n, nbytes, strict=True, prime=True, cache_probe=probe))
        out.append(Bench("mlsys-pre", f"mlsys-lint pre-commit, {kf} (--no-cache)", "mlsys-lint", [*base, "--no-cache", *pre], k, pbytes, strict=True))
        # Pre-commit as it really happens: cache warm from a full run, the k files just changed.
        # Each run's edit is new (this process's id and the run's number: an earlier run's cache
        # of the copy must not hold it); after the run the files get back their bytes and times,
        # so that the other rows, run in turn with this one, find the book as their caches hold it.
        originals = {p: ((root / p).read_bytes(), (root / p).stat()) for p in pre}

        def touch(i: int) -> None:
            for p, (data, _) in originals.items():
                (root / p).write_bytes(data + f"\n<!-- mlsys-lint benchmark edit {os.getpid()}-{i} -->\n".encode())

        def restore() -> None:
            for p, (data, info) in originals.items():
                (root / p).write_bytes(data)
                os.utime(root / p, ns=(info.st_atime_ns, info.st_mtime_ns))

        out.append(Bench("mlsys-pre-warm", f"mlsys-lint pre-commit, {kf} changed (cache)", "mlsys-lint", [*base, *pre], k, pbytes,
                         strict=True, prime=True, cache_probe=probe, before_each=touch, after_each=restore))
    for name in ("panache", "rumdl", "markdownlint-cli2"):
        if name not in tools:
            continue
        exe = peers.get(name)
        if not exe:
            out.append(Bench(name, name, name, ["/nonexistent/" + name], n, nbytes))
            continue
        for scope, files, nb in (("all", docs, nbytes), ("pre", pre, pbytes)):
            suffix = "" if scope == "all" else f", {kf}"
            if name == "panache":
                common = [exe, "lint", "--isolated", "--message-format", "short", "--color", "never"]
                out.append(Bench(f"panache-{scope}", f"panache lint{suffix}", name, [*common, "--no-cache", *files], len(files), nb))
                if scope == "all":
                    out.append(Bench("panache-warm", "panache lint warm (cache)", name,
                                     [*common, "--cache-dir", str(cache / "panache"), *files], len(files), nb, prime=True))
            elif name == "rumdl":
                common = [exe, "check", "--no-config", "--output-format", "concise", "--color", "never"]
                out.append(Bench(f"rumdl-{scope}", f"rumdl check{suffix}", name, [*common, "--no-cache", *files], len(files), nb))
                if scope == "all":
                    out.append(Bench("rumdl-warm", "rumdl check warm (cache)", name,
                                     [*common, "--cache-dir", str(cache / "rumdl"), *files], len(files), nb, prime=True))
            else:
                # ':' marks a literal path (no globbing); no --fix, so nothing is written.
                out.append(Bench(f"mdl2-{scope}", f"markdownlint-cli2{suffix}", name, [exe, *(":" + f for f in files)], len(files), nb))
    return out


def run_suite(key: str, root: Path, ctx: dict, tools: set[str], args, meta: dict) -> dict:
    docs = list_docs(root)
    pre = pick_precommit_files(root, docs)
    cache_root = DATA / "cache" / key.replace("/", "_")
    if cache_root.exists():
        shutil.rmtree(cache_root)
    cache_root.mkdir(parents=True)
    ctx = dict(ctx, cache_root=cache_root)
    env = dict(os.environ)
    env.update(ctx["mlsys_env"])
    env.update(NO_COLOR="1", XDG_CACHE_HOME=str(cache_root / "xdg"), TERM="dumb")
    for var in ("PANACHE_NO_CACHE", "RUMDL_CACHE_DIR", "RUMDL_OUTPUT_FORMAT"):
        env.pop(var, None)
    suite = build_suite(root, docs, pre, ctx, tools)
    entry = dict(meta, files=len(docs), bytes=corpus_size(root, docs), precommit_files=pre, rows={})
    load0 = os.getloadavg()[0]
    print(f"\n== {key}: {len(docs)} files, {entry['bytes'] / 1e6:.2f} MB", file=sys.stderr, flush=True)
    rows = [Row(b, root, env, args) for b in suite]
    print("   warming up:", end="", file=sys.stderr, flush=True)
    for row in rows:
        print(f" {row.b.key}", end="", file=sys.stderr, flush=True)
        row.warm_up()
    print(file=sys.stderr, flush=True)
    for turn in range(max((row.repeat for row in rows), default=0)):
        print(f"   round {turn + 1}", file=sys.stderr, flush=True)
        for row in rows:
            row.timed()
    for row in rows:
        r = entry["rows"][row.b.key] = row.result()
        shown = f"{r['median_s']:.3f} s" if "median_s" in r else r["status"]
        print(f"   {row.b.label}: {shown}" + ("" if r["status"] == "ok" else f" [{r['status']}]"),
              file=sys.stderr, flush=True)
    entry["loadavg"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    return entry


# --------------------------------------------------------------------------- synthetic books


ID_IN_ATTR = re.compile(r"(?:^|[\s{])#([A-Za-z][\w:.-]*)")
ATTR = re.compile(r"\{(?![{<%])[^{}\n]*\}")
LABEL_OPT = re.compile(r"^\s*#\|\s*label:\s*([\w:.-]+)", re.M)
FN_DEF = re.compile(r"^\[\^([^\]\s]+)\]:", re.M)


def defined_ids(texts: list[str]) -> set[str]:
    ids: set[str] = set()
    for t in texts:
        for m in ATTR.finditer(t):
            ids.update(ID_IN_ATTR.findall(m.group(0)))
        ids.update(LABEL_OPT.findall(t))
        ids.update(FN_DEF.findall(t))
    return ids


def book_chapters(quarto_yml: Path) -> list[str]:
    chapters, inside = [], False
    for line in quarto_yml.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\s*chapters:\s*$", line):
            inside = True
            continue
        if inside:
            m = re.match(r"^\s*-\s+(?:file:\s*)?(\S+\.(?:qmd|md|Rmd))\s*$", line)
            if m:
                chapters.append(m.group(1))
            elif line.strip() and not line.strip().startswith("#") and not line.strip().startswith("-"):
                if not line.startswith(" " * 4):
                    inside = False
    return chapters


def build_scale(n: int, base: Path, glossaries: str, with_config: bool) -> Path:
    """N copies of the base book's chapters, ids suffixed per copy, and a _quarto.yml."""
    out = DATA / "scale" / f"x{n}"
    chapters = book_chapters(base / "_quarto.yml")
    if not chapters:
        raise SystemExit(f"no chapters found in {base / '_quarto.yml'}")
    texts = {c: (base / c).read_text(encoding="utf-8") for c in chapters}
    stamp_src = hashlib.sha256()
    for c in chapters:
        stamp_src.update(c.encode() + b"\0" + texts[c].encode())
    stamp = json.dumps({"n": n, "glossaries": glossaries, "config": with_config, "src": stamp_src.hexdigest(), "v": 2})
    stamp_file = out.parent / f"x{n}.stamp"
    if out.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ids = sorted(defined_ids(list(texts.values())), key=len, reverse=True)
    id_re = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ids)) + r")(?![\w-])") if ids else None
    listed = []
    for k in range(1, n + 1):
        copy = f"c{k:03d}"
        for c in chapters:
            src = base / c
            rel = Path(c)
            dst_dir = out / "contents" / copy / rel.parent.name
            dst_dir.mkdir(parents=True, exist_ok=True)
            text = texts[c]
            if k > 1 and id_re:
                text = id_re.sub(lambda m: f"{m.group(1)}-{copy}", text)
            (dst_dir / rel.name).write_text(text, encoding="utf-8")
            listed.append((dst_dir / rel.name).relative_to(out).as_posix())
            if glossaries == "copy" or (glossaries == "first" and k == 1):
                for extra in sorted(src.parent.glob("*_glossary.json")):
                    shutil.copyfile(extra, dst_dir / extra.name)
    lines = [
        f"# Synthetic book written by benchmarks/run.py --scale {n}: {n} copies of the chapters",
        f"# of {base.name}, with labels and footnote ids suffixed per copy so they stay unique.",
        "project:",
        "  type: book",
        "",
        "book:",
        f'  title: "Synthetic scale benchmark x{n}"',
        "  chapters:",
        *(f"    - {p}" for p in listed),
        "",
        "format:",
        "  pdf: default",
        "",
    ]
    (out / "_quarto.yml").write_text("\n".join(lines), encoding="utf-8")
    if with_config and glossaries != "none":
        (out / ".mlsys-lint.yml").write_text(
            "# written by benchmarks/run.py --scale\nglossary:\n  sources:\n    - contents/**/*_glossary.json\n",
            encoding="utf-8",
        )
    stamp_file.write_text(stamp)
    return out


SYLL = ["ka", "lo", "mi", "ren", "tor", "vex", "qui", "zan", "pel", "dro", "sil", "mun", "gar", "fe", "nox", "bri", "tal", "wen"]


def _nonsense(rng: random.Random) -> str:
    return "".join(rng.choice(SYLL) for _ in range(rng.randint(2, 4)))


def glossary_yaml(n: int, base: Path) -> str:
    """An own-format glossary (PRODUCT.md §5) with n terms: real glossary terms and
    frequent words/bigrams of the base corpus first (so many match), then synthetic."""
    rng = random.Random(20240601 + n)
    real: list[str] = []
    for g in sorted(base.rglob("*_glossary.json")):
        try:
            for t in json.loads(g.read_text(encoding="utf-8")).get("terms", []):
                if isinstance(t, dict) and isinstance(t.get("term"), str):
                    real.append(t["term"].strip())
        except (ValueError, OSError):
            pass
    words: dict[str, int] = {}
    bigrams: dict[str, int] = {}
    for d in list_docs(base):
        toks = re.findall(r"[A-Za-z][a-z]{4,}", (base / d).read_text(encoding="utf-8", errors="replace"))
        toks = [t.lower() for t in toks]
        for a, b in zip(toks, toks[1:]):
            bigrams[f"{a} {b}"] = bigrams.get(f"{a} {b}", 0) + 1
        for t in toks:
            words[t] = words.get(t, 0) + 1
    corpus_terms = [w for w, _ in sorted(words.items(), key=lambda kv: -kv[1])[:1500]]
    corpus_terms += [w for w, c in sorted(bigrams.items(), key=lambda kv: -kv[1])[:1500] if c > 1]
    rng.shuffle(corpus_terms)
    pool = real + corpus_terms[: max(0, int(n * 0.4) - len(real))]
    used: set[str] = set()
    terms: list[str] = []
    for t in pool:
        if len(terms) >= n:
            break
        if t and t.lower() not in used:
            used.add(t.lower())
            terms.append(t)
    while len(terms) < n:
        t = _nonsense(rng) + ("" if rng.random() < 0.6 else " " + _nonsense(rng))
        if t.lower() not in used:
            used.add(t.lower())
            terms.append(t)
    q = json.dumps  # a JSON string is a valid YAML double-quoted scalar
    out = [f"# Synthetic glossary with {n} terms, written by benchmarks/run.py --glossary-terms {n}", "terms:" if terms else "terms: []"]
    for i, t in enumerate(terms):
        out.append(f"  - term: {q(t)}")
        out.append(f"    definition: {q('Synthetic definition number %d for the benchmark.' % i)}")
        extra_forms: list[str] = []
        if " " in t and rng.random() < 0.5:
            extra_forms.append(t.replace(" ", "-"))
        if len(t) > 5 and rng.random() < 0.25:  # a typo variant (transposed letters)
            j = rng.randrange(1, len(t) - 2)
            if t[j] != " " and t[j + 1] != " ":
                extra_forms.append(t[:j] + t[j + 1] + t[j] + t[j + 2 :])
        variants = [v for v in extra_forms if v.lower() not in used]
        used.update(v.lower() for v in variants)
        if variants:
            out.append(f"    variants: [{', '.join(q(v) for v in variants)}]")
        if rng.random() < 0.3:
            alias = _nonsense(rng)
            if alias.lower() not in used:
                used.add(alias.lower())
                out.append(f"    aliases: [{q(alias)}]")
        if rng.random() < 0.1:
            out.append("    case-sensitive: true")
        if rng.random() < 0.05:
            out.append(f"    expansion: {q(t + ' expanded form')}")
    return "\n".join(out) + "\n"


def build_glossary_corpus(n: int, base: Path, name: str | None = None) -> Path:
    out = fresh_copy(base, DATA / "glossary" / (name or f"t{n}"))
    (out / "style").mkdir(exist_ok=True)
    (out / "style" / "terms.yml").write_text(glossary_yaml(n, base), encoding="utf-8")
    (out / ".mlsys-lint.yml").write_text(
        f"# written by benchmarks/run.py --glossary-terms {n}\nglossary:\n  sources:\n    - style/terms.yml\n",
        encoding="utf-8",
    )
    return out


# --------------------------------------------------------------------------- reporting


def fmt_row(r: dict) -> list[str]:
    if "median_s" not in r:
        why = r.get("status", "n/a")
        if r.get("rc"):
            why += f" (exit {r['rc'][0]})"
        return ["n/a", "n/a", "n/a", "n/a", "", "", why]
    note = "; ".join(x for x in ("" if r["status"] == "ok" else r["status"], r.get("note", "")) if x)
    if r["status"] == "no-cache":
        return ["n/a", "n/a", "n/a", "n/a", "", "", "no cache written"]
    findings = "" if r.get("findings") is None else str(r["findings"])
    rss = f"{r['peak_rss_mb']:.0f}"
    if "tree_rss_mb" in r:
        rss += f" (tree {r['tree_rss_mb']:.0f})"
    return [f"{r['median_s']:.3f}", f"{r['min_s']:.3f}", f"{r['cpu_s']:.3f}", rss, ",".join(map(str, r["rc"])), findings, note]


def markdown(results: dict, keys: list[str]) -> str:
    out = []
    for key in keys:
        e = results["runs"][key]
        out.append(f"### {key} ({e['files']} files, {e['bytes'] / 1e6:.2f} MB)\n")
        load = e.get("loadavg")
        if load:
            out.append(f"_load average before/after: {load[0]:.1f} / {load[1]:.1f}_\n")
        out.append("| run | files | median s | min s | CPU s | peak RSS MB | exit | findings | note |")
        out.append("|---|---:|---:|---:|---:|---:|---|---:|---|")
        for r in e["rows"].values():
            out.append("| " + " | ".join([r["label"], str(r["files"]), *fmt_row(r)]) + " |")
        out.append("")
    return "\n".join(out)


PRE_ROWS = {"floor-3", "floor-read-3", "mlsys-version", "mlsys-imports", "mlsys-pre", "mlsys-pre-warm", "panache-pre", "rumdl-pre", "mdl2-pre"}


def growth_table(results: dict, keys: list[str]) -> str:
    """Per row: median time and time per MB across the scale runs."""
    if len(keys) < 2:
        return ""
    labels: list[str] = []
    for k in keys:
        for rk in results["runs"][k]["rows"]:
            if rk not in labels:
                labels.append(rk)
    def head(k: str) -> str:
        e = results["runs"][k]
        if e.get("kind") == "glossary":
            return f"{e['terms']} terms"
        return f"{k} ({e['bytes'] / 1e6:.1f} MB)"

    out = ["### growth\n", "| run | " + " | ".join(head(k) for k in keys) + " |",
           "|---|" + "---:|" * len(keys)]
    for rk in labels:
        cells = []
        label = rk
        for k in keys:
            r = results["runs"][k]["rows"].get(rk)
            if r and "median_s" in r and r["status"] != "no-cache":
                label = r["label"]
                mb = results["runs"][k]["bytes"] / 1e6
                whole = (r["bytes"] == results["runs"][k]["bytes"] and rk not in PRE_ROWS
                         and results["runs"][k].get("kind") != "glossary")
                per_mb = f", {r['median_s'] / mb * 1000:.0f} ms/MB" if whole and mb else ""
                cells.append(f"{r['median_s']:.2f} s{per_mb}, {r['peak_rss_mb']:.0f} MB RSS")
            else:
                cells.append("n/a")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


SUMMARY_COLS = [
    ("floor", "floor"),
    ("mlsys-cold", "mlsys-lint cold"),
    ("mlsys-warm", "mlsys-lint warm"),
    ("mlsys-pre-warm", "mlsys-lint pre-commit (3 changed)"),
    ("panache-all", "panache"),
    ("rumdl-all", "rumdl"),
    ("mdl2-all", "markdownlint-cli2"),
]


def summary_table(results: dict, keys: list[str]) -> str:
    """One line per corpus: median wall s / CPU s / peak RSS MB of the main rows."""
    out = ["| corpus | files | MB | " + " | ".join(c for _, c in SUMMARY_COLS) + " |",
           "|---|---:|---:|" + "---:|" * len(SUMMARY_COLS)]
    for k in keys:
        e = results["runs"][k]
        cells = []
        for rk, _ in SUMMARY_COLS:
            r = e["rows"].get(rk)
            if not r or "median_s" not in r or r["status"] == "no-cache":
                cells.append("n/a")
            else:
                cells.append(f"{r['median_s']:.2f} / {r['cpu_s']:.2f} / {r['peak_rss_mb']:.0f}")
        out.append(f"| {k} | {e['files']} | {e['bytes'] / 1e6:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


RATIO_COLS = [
    ("mlsys-imports", "", "bound: imports alone", None),
    ("mlsys-parse", "", "bound: parser alone", None),
    ("mlsys-cold", "", "mlsys-lint cold", 4.0),
    ("mlsys-warm", "", "mlsys-lint warm", 1.5),
    ("mlsys-pre-warm", "-3", "mlsys-lint pre-commit (3 changed)", 2.0),
    ("panache-all", "", "panache", None),
    ("rumdl-all", "", "rumdl", None),
    ("mdl2-all", "", "markdownlint-cli2", None),
]
"""(row, which floor: all files or the pre-commit set, column, PRODUCT.md §8 target as a
multiple of the floor)."""


def ratio_table(results: dict, keys: list[str]) -> str:
    """One line per run: each main row's median as a multiple of the floor measured in the
    same run (the pre-commit row against the floor of the same files), then of reading alone."""
    def median(entry: dict, key: str) -> float | None:
        r = entry["rows"].get(key)
        return r["median_s"] if r and "median_s" in r and r["status"] != "no-cache" else None

    out = ["### ratios to the floor (and to reading alone)\n",
           "| run | floor s | " + " | ".join(c + (f" (≤ {t:g}×)" if t else "") for _, _, c, t in RATIO_COLS) + " |",
           "|---|---:|" + "---:|" * len(RATIO_COLS)]
    for k in keys:
        e = results["runs"][k]
        cells = []
        for row, files, _, _ in RATIO_COLS:
            time, floor, read = median(e, row), median(e, "floor" + files), median(e, "floor-read" + files)
            cell = f"{time / floor:.1f}×" if time is not None and floor else "n/a"
            cells.append(cell + (f" ({time / read:.1f}×)" if time is not None and read else ""))
        floor = median(e, "floor")
        out.append((f"| {k} | {floor:.3f} | " if floor else f"| {k} | n/a | ") + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


PRE_COLS = [("floor-3", "floor"), ("mlsys-pre", "mlsys-lint (--no-cache)"), ("panache-pre", "panache"),
            ("rumdl-pre", "rumdl"), ("mdl2-pre", "markdownlint-cli2")]


def precommit_table(results: dict, keys: list[str]) -> str:
    """One line per corpus for the pre-commit set: median wall s / CPU s / peak RSS MB."""
    out = ["| corpus (files) | " + " | ".join(c for _, c in PRE_COLS) + " |", "|---|" + "---:|" * len(PRE_COLS)]
    for k in keys:
        e = results["runs"][k]
        cells = []
        for rk, _ in PRE_COLS:
            r = e["rows"].get(rk)
            ok = r and "median_s" in r and r["status"] != "no-cache"
            cells.append(f"{r['median_s']:.2f} / {r['cpu_s']:.2f} / {r['peak_rss_mb']:.0f}" if ok else "n/a")
        out.append(f"| {k} ({len(e.get('precommit_files', []))}) | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def machine_info(ctx: dict) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "mlsys_lint", "rules"],
                                    capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = "", False
    peers = ctx["peers"]
    mdl2 = "n/a"
    if peers.get("markdownlint-cli2"):
        pkg = Path(os.path.realpath(peers["markdownlint-cli2"])).parent / "package.json"
        try:
            mdl2 = json.loads(pkg.read_text())["version"]
        except (OSError, ValueError, KeyError):
            pass
    env = dict(os.environ, **ctx["mlsys_env"])
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "rss_method": "GNU time %M" if GNU_TIME else "os.wait4 ru_maxrss (inflated by this script's RSS)",
        "python": platform.python_version(),
        "repo_commit": commit + ("+dirty" if dirty else ""),
        "versions": {
            "mlsys-lint": version_of([*ctx["mlsys_lint"], "--version"], env),
            "mlsys-lint-command": ctx["mlsys_lint_how"],
            "panache": version_of([peers["panache"], "--version"]) if peers.get("panache") else "n/a",
            "rumdl": version_of([peers["rumdl"], "--version"]) if peers.get("rumdl") else "n/a",
            "markdownlint-cli2": mdl2,
            "node": version_of(["node", "--version"]),
        },
    }


# --------------------------------------------------------------------------- main


def dump_results(results: dict) -> str:
    """JSON with one line per row, so the file stays small and diffs stay readable."""
    def line(obj) -> str:
        return json.dumps(obj, ensure_ascii=False)

    out = ["{"]
    top = [k for k in results if k != "runs"]
    for k in top:
        out.append(f" {line(k)}: {line(results[k])},")
    out.append(' "runs": {')
    keys = list(results["runs"])
    for i, key in enumerate(keys):
        e = results["runs"][key]
        head = {k: v for k, v in e.items() if k != "rows"}
        out.append(f"  {line(key)}: {{")
        for k, v in head.items():
            out.append(f"   {line(k)}: {line(v)},")
        out.append('   "rows": {')
        rows = list(e["rows"].items())
        for j, (rk, r) in enumerate(rows):
            out.append(f"    {line(rk)}: {line(r)}" + ("," if j < len(rows) - 1 else ""))
        out.append("   }")
        out.append("  }" + ("," if i < len(keys) - 1 else ""))
    out.append(" }")
    out.append("}")
    return "\n".join(out) + "\n"


def parse_list(s: str | None) -> list[int]:
    if not s:
        return []
    return [int(x) for x in s.replace(" ", "").split(",") if x]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora-dir", type=Path, default=default_corpora_dir(), help="folder of corpora (default: %(default)s)")
    ap.add_argument("--corpus", action="append", help="corpus folder name (repeatable; default: all)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per row (default 5)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs before the timed ones (default 1)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before a run is killed")
    ap.add_argument("--slow", type=float, default=20, help="a row whose warm-up run takes longer gets 1 timed run (default 20 s)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma list from: " + ",".join(ALL_TOOLS))
    ap.add_argument("--mlsys-lint", dest="mlsys_lint", help="command to run mlsys-lint (default: PATH, .venv, or python -m mlsys_lint)")
    ap.add_argument("--tree-rss", action="store_true", help="also sample the summed RSS of the whole process tree (one extra run)")
    ap.add_argument("--scale", help="comma list of N: synthetic books of N copies of mlsysbook-sample's chapters")
    ap.add_argument("--scale-base", default="mlsysbook-sample", help="corpus replicated by --scale")
    ap.add_argument("--scale-glossaries", choices=("copy", "first", "none"), default="copy",
                    help="chapter *_glossary.json in every copy, the first copy only, or none")
    ap.add_argument("--no-config", action="store_true", help="do not write .mlsys-lint.yml into --scale books")
    ap.add_argument("--glossary-terms", help="comma list of N: own-format glossaries of N terms on --glossary-base")
    ap.add_argument("--glossary-base", default="mlsysbook-sample", help="corpus used by --glossary-terms")
    ap.add_argument("--glossary-scale", type=int, default=0,
                    help="with --glossary-terms: use a --scale book of N copies of --glossary-base (book-sized) "
                         "instead of the corpus itself")
    ap.add_argument("--output", type=Path, default=RESULTS, help="JSON results file (merged; default %(default)s)")
    ap.add_argument("--fresh", action="store_true", help="start a new results file instead of merging into it")
    ap.add_argument("--build-only", action="store_true", help="only build the --scale / --glossary-terms data")
    ap.add_argument("--report", action="store_true", help="print the tables of the results file and exit (runs nothing)")
    args = ap.parse_args(argv)

    if args.report:
        results = json.loads(args.output.read_text())
        keys = list(results["runs"])
        print("cells: median wall s / median CPU s / peak RSS MB\n")
        ck = [k for k in keys if results["runs"][k].get("kind") == "corpus"]
        print(summary_table(results, ck))
        print(precommit_table(results, ck))
        print(markdown(results, keys))
        print(ratio_table(results, keys))
        for prefix in ("scale-", "glossary-"):
            print(growth_table(results, [k for k in keys if k.startswith(prefix)]))
        return 0

    tools = {t.strip() for t in args.tools.split(",") if t.strip()}
    unknown = tools - set(ALL_TOOLS)
    if unknown:
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    scales = parse_list(args.scale)
    gterms = parse_list(args.glossary_terms)

    ml_cmd, ml_env, ml_how = resolve_mlsys_lint(args.mlsys_lint)
    ctx = {"mlsys_lint": ml_cmd, "mlsys_env": ml_env, "mlsys_lint_how": ml_how, "peers": peer_paths()}

    jobs: list[tuple[str, Path, set[str], dict]] = []
    if scales or gterms:
        if scales:
            base = args.corpora_dir / args.scale_base
            for n in scales:
                print(f"building scale x{n} from {base} …", file=sys.stderr, flush=True)
                jobs.append((f"scale-x{n}", build_scale(n, base, args.scale_glossaries, not args.no_config), tools,
                             {"kind": "scale", "copies": n, "base": args.scale_base}))
        if gterms:
            base = args.corpora_dir / args.glossary_base
            suffix = ""
            if args.glossary_scale > 0:
                print(f"building scale x{args.glossary_scale} from {base} for the glossary runs …", file=sys.stderr, flush=True)
                base = build_scale(args.glossary_scale, base, "none", False)
                suffix = f"-x{args.glossary_scale}"
            for n in gterms:
                print(f"building glossary t{n} on {base} …", file=sys.stderr, flush=True)
                jobs.append((f"glossary-t{n}{suffix}", build_glossary_corpus(n, base, f"t{n}{suffix}"),
                             tools & {"floor", "mlsys-lint"},
                             {"kind": "glossary", "terms": n, "base": args.glossary_base,
                              "copies": args.glossary_scale or 1}))
    else:
        names = args.corpus or sorted(p.name for p in args.corpora_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        for name in names:
            src = args.corpora_dir / name
            if not src.is_dir():
                ap.error(f"no corpus {src}")
            jobs.append((name, fresh_copy(src, DATA / "corpora" / name), tools, {"kind": "corpus"}))
    if args.build_only:
        for key, root, _, _ in jobs:
            docs = list_docs(root)
            print(f"{key}: {root} ({len(docs)} files, {corpus_size(root, docs) / 1e6:.2f} MB)")
        return 0

    results = {"schema": SCHEMA, "runs": {}}
    if args.output.exists() and not args.fresh:
        try:
            old = json.loads(args.output.read_text())
            if old.get("schema") == SCHEMA:
                results = old
        except ValueError:
            pass
    results["machine"] = machine_info(ctx)
    results["settings"] = {"repeat": args.repeat, "warmup": args.warmup, "tree_rss": args.tree_rss}
    print(f"mlsys-lint: {ml_how} ({results['machine']['versions']['mlsys-lint']})", file=sys.stderr)
    for name, path in ctx["peers"].items():
        print(f"{name}: {path or 'not installed (run benchmarks/install_peers.sh)'}", file=sys.stderr)

    done = []
    for key, root, tl, meta in jobs:
        entry = run_suite(key, root, ctx, tl, args, meta)
        entry["repeat"] = args.repeat
        entry["date"] = results["machine"]["date"]
        entry["mlsys_lint"] = f"{results['machine']['versions']['mlsys-lint']} @ {results['machine']['repo_commit']}"
        for r in entry["rows"].values():
            r["date"] = entry["date"]
        old = results["runs"].get(key)
        if old and old.get("files") == entry["files"] and old.get("bytes") == entry["bytes"]:
            # Same data: keep rows of tools not run this time (e.g. --tools mlsys-lint).
            rows = dict(old.get("rows", {}))
            for rk, r in old.get("rows", {}).items():
                r.setdefault("date", old.get("date"))
            rows.update(entry["rows"])
            entry["rows"] = {rk: rows[rk] for rk in [*old["rows"], *entry["rows"]] if rk in rows}
        results["runs"][key] = entry
        done.append(key)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(dump_results(results))

    print()
    m = results["machine"]
    print(f"_{m['date']}, {m['cpu']}, {m['cores']} cores, Python {m['python']}; "
          f"{m['versions']['panache']}, {m['versions']['rumdl']}, markdownlint-cli2 {m['versions']['markdownlint-cli2']}; "
          f"mlsys-lint {m['versions']['mlsys-lint']}; "
          f"median of {args.repeat} runs after {args.warmup} warm-up_\n")
    corpus_keys = [k for k in done if results["runs"][k].get("kind") == "corpus"]
    if len(corpus_keys) > 1:
        print("cells: median wall s / median CPU s / peak RSS MB\n")
        print(summary_table(results, corpus_keys))
        print(precommit_table(results, corpus_keys))
    print(markdown(results, done))
    print(ratio_table(results, done))
    scale_keys = [k for k in done if k.startswith("scale-")]
    print(growth_table(results, scale_keys))
    gl_keys = [k for k in done if k.startswith("glossary-")]
    print(growth_table(results, gl_keys))
    print(f"results written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
