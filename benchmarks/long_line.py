"""One 2,000,000-character line holding 100,000 findings: time and peak memory per output format.

Issue 13's bound for this case is 10 s and 500 MB. The line is a chapter paragraph of
``see @fig-xN`` references to figures that do not exist (one XR001 each). Run from the
repository root::

    python benchmarks/long_line.py [--findings 100000] [--formats concise,json]

Needs GNU time (``/usr/bin/time``) for the peak resident set size.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path


def build(folder: Path, findings: int, width: int) -> int:
    """Write a one-chapter book whose third line is `width` characters with `findings` references."""
    parts = [f"see @fig-x{n} " for n in range(findings)]
    line = "".join(parts)
    line += "x" * max(0, width - len(line))
    (folder / "index.qmd").write_text(f"# Long line\n\n{line}\n", encoding="utf-8")
    return len(line)


def measure(folder: Path, output_format: str) -> tuple[float, float, int]:
    """Wall seconds, peak MB and exit code of one `mlsys-lint check` run."""
    command = ["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "mlsys_lint", "check", "--no-cache",
               "--format", output_format, str(folder)]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds, kilobytes = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--width", type=int, default=2_000_000)
    parser.add_argument("--formats", default="concise,json,full")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        width = build(folder, args.findings, args.width)
        print("| format | line | findings | wall s | peak MB | exit |\n|---|---:|---:|---:|---:|---:|")
        for output_format in args.formats.split(","):
            seconds, megabytes, code = measure(folder, output_format)
            print(f"| {output_format} | {width:,} | {args.findings:,} | {seconds:.2f} | {megabytes:.0f} | {code} |")


if __name__ == "__main__":
    main()
