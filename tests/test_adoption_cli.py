"""Adoption features end to end through the real command line: baseline, --fix/--diff, CI formats.

In-process through click's CliRunner (``run``) and as a real subprocess (``spawn``).
Fix tests use the test-only plugin in `fixable_plugin` (TST001–TST004), added to the
registry in process and through a real entry point in a subprocess; one test uses the
built-in FN006 fix when it is registered.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import fixable_plugin
from lintkit import book, write_files
from mlsys_lint import engine as engine_module
from mlsys_lint import registry as registry_module
from mlsys_lint.cli import main

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
OUTPUT_SCHEMA = json.loads((Path(__file__).parents[1] / "mlsys_lint" / "schemas" / "output-v1.json").read_text(encoding="utf-8"))
BOM = b"\xef\xbb\xbf"
TESTS = Path(__file__).parent


def run(args: list[str], cwd: Path, input: str | None = None):
    """The CLI in process, from folder `cwd`; the result has exit_code, stdout and stderr."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args, input=input, catch_exceptions=False, env={"NO_COLOR": "1"})
    finally:
        os.chdir(old)


def spawn(args: list[str], cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    """The CLI as a real process (``python -m mlsys_lint``)."""
    env = {**os.environ, "NO_COLOR": "1"}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "mlsys_lint", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


def one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1, repr(text)
    return text.strip()


@pytest.fixture
def plugin(monkeypatch):
    """The test plugin's rules added to the registry (as if installed)."""
    registry = dict(sorted({**registry_module.load_rules(), **{r.code: r for r in fixable_plugin.RULES}}.items()))
    monkeypatch.setattr(registry_module, "load_registry", lambda skip=frozenset(): registry_module.Registry(registry))
    return registry


# =============================================================================================
# Baseline
# =============================================================================================

CHAPTER_A = """\
# A

![A figure.](x.svg){#fig-x fig-alt="A box."}

Here @fig-x is shown, and @fig-old is broken.
"""


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A book in tmp_path/book with one legacy finding (XR001 for @fig-old in a.qmd)."""
    return book(tmp_path / "book", {"index.qmd": "# Index\n\nSee @fig-x.\n", "a.qmd": CHAPTER_A,
                                    "b.qmd": "# B\n\nText.\n"})


def xr(root: Path, *args: str, cwd: Path | None = None):
    return run(["--select", "XR001", "--format", "concise", "--no-cache", *args], cwd or root)


def test_write_baseline_then_only_new_findings(legacy: Path) -> None:
    assert xr(legacy).exit_code == 1
    written = xr(legacy, "--write-baseline", "baseline.json")
    assert written.exit_code == 0 and written.stdout == ""
    assert one_line(written.stderr) == "mlsys-lint: wrote 1 baseline entry for 1 finding to baseline.json"
    data = json.loads((legacy / "baseline.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    (entry,) = data["entries"]
    assert (entry["code"], entry["path"], entry["subject"], entry["count"]) == ("XR001", "a.qmd", "fig-old", 1)
    assert "line" not in entry and "column" not in entry
    first = (legacy / "baseline.json").read_bytes()
    assert xr(legacy, "--write-baseline", "baseline.json").exit_code == 0
    assert (legacy / "baseline.json").read_bytes() == first  # stable: rewriting changes nothing
    filtered = xr(legacy, "--baseline", "baseline.json")
    assert (filtered.exit_code, filtered.stdout, filtered.stderr) == (0, "", "")


def test_baseline_file_is_sorted_diff_friendly_json(legacy: Path) -> None:
    write_files(legacy, {"b.qmd": "# B\n\n@fig-zz and @fig-aa.\n\n@fig-aa again.\n"})
    assert xr(legacy, "--write-baseline", "baseline.json").exit_code == 0
    text = (legacy / "baseline.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    keys = [(e["path"], e["code"], e["subject"], e["fingerprint"]) for e in data["entries"]]
    assert keys == sorted(keys)
    assert [(e["path"], e["subject"]) for e in data["entries"]] == [
        ("a.qmd", "fig-old"), ("b.qmd", "fig-aa"), ("b.qmd", "fig-aa"), ("b.qmd", "fig-zz")]


def test_moving_text_does_not_resurrect_a_baselined_finding(legacy: Path) -> None:
    assert xr(legacy, "--write-baseline", "baseline.json").exit_code == 0
    moved = ("# A\n\nA new opening paragraph.\n\nAnother one.\n\n"
             "![A figure.](x.svg){#fig-x fig-alt=\"A box.\"}\n\n\n"
             "   Here  @fig-x is shown, and @fig-old   is broken.\n")
    write_files(legacy, {"a.qmd": moved})
    assert xr(legacy).stdout.startswith("a.qmd:10:")  # the finding moved down
    result = xr(legacy, "--baseline", "baseline.json")
    assert (result.exit_code, result.stdout) == (0, ""), result.output


def test_fixing_one_and_adding_one_in_the_same_file_reports_the_new_one(legacy: Path) -> None:
    assert xr(legacy, "--write-baseline", "baseline.json").exit_code == 0
    write_files(legacy, {"a.qmd": CHAPTER_A.replace("@fig-old is broken", "nothing is broken")
                         + "\nBut @fig-new is.\n"})
    result = xr(legacy, "--baseline", "baseline.json")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "a.qmd:7:5: XR001 `@fig-new` does not resolve: no label `fig-new` in the book",
        "a.qmd: stale baseline entry XR001 (fig-old)",
    ]


def test_a_third_copy_of_a_twice_baselined_finding_is_reported(legacy: Path) -> None:
    write_files(legacy, {"b.qmd": "# B\n\nSee @fig-gone.\n\nSee @fig-gone.\n"})
    assert xr(legacy, "--write-baseline", "baseline.json").exit_code == 0
    assert xr(legacy, "--baseline", "baseline.json").stdout == ""
    write_files(legacy, {"b.qmd": "# B\n\nSee @fig-gone.\n\nSee @fig-gone.\n\nSee @fig-gone.\n"})
    result = xr(legacy, "--baseline", "baseline.json")
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1 and "fig-gone" in result.stdout


@pytest.fixture
def stale(legacy: Path) -> Path:
    """`legacy` with a baseline whose only entry went stale (the broken reference was fixed)."""
    assert xr(legacy, "--write-baseline", "baseline.json").exit_code == 0
    write_files(legacy, {"a.qmd": CHAPTER_A.replace("@fig-old is broken", "nothing is broken")})
    return legacy


def test_stale_entry_concise(stale: Path) -> None:
    result = xr(stale, "--baseline", "baseline.json")
    assert result.exit_code == 0  # a stale entry is news, not a failure
    assert result.stdout == "a.qmd: stale baseline entry XR001 (fig-old)\n"


def test_stale_entry_full(stale: Path) -> None:
    result = run(["--select", "XR001", "--format", "full", "--color", "never", "--baseline", "baseline.json"], stale)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "stale baseline entry: XR001 in a.qmd (fig-old) no longer matches; rewrite the baseline" in text
    assert "All checks passed" in text


def test_stale_entry_json_grouped_github(stale: Path) -> None:
    data = json.loads(run(["--select", "XR001", "--format", "json", "--baseline", "baseline.json"], stale).stdout)
    jsonschema.validate(data, OUTPUT_SCHEMA)
    assert data["summary"]["stale_baseline_entries"] == 1
    (entry,) = data["stale_baseline"]
    assert (entry["code"], entry["path"], entry["subject"], entry["unused"]) == ("XR001", "a.qmd", "fig-old", 1)
    grouped = run(["--select", "XR001", "--format", "grouped", "--baseline", "baseline.json"], stale).stdout
    assert "1 stale baseline entry: rewrite the baseline with --write-baseline." in grouped
    github = run(["--select", "XR001", "--format", "github", "--baseline", "baseline.json"], stale).stdout
    assert github.startswith("::notice title=mlsys-lint baseline::1 baseline entry no longer match")


def test_rewriting_the_baseline_shrinks_it(stale: Path) -> None:
    assert xr(stale, "--write-baseline", "baseline.json").exit_code == 0
    assert json.loads((stale / "baseline.json").read_text(encoding="utf-8"))["entries"] == []
    assert xr(stale, "--baseline", "baseline.json").stdout == ""


def test_baseline_works_from_another_folder(legacy: Path) -> None:
    """Written in the book's folder, used from the repository root (as a hook or CI does)."""
    write_files(legacy, {"sub/c.qmd": "# C\n\n@fig-sub\n"})
    assert xr(legacy, "--write-baseline", ".mlsys-lint-baseline.json").exit_code == 0
    parent = legacy.parent
    from_parent = xr(legacy, "--baseline", "book/.mlsys-lint-baseline.json", "book", cwd=parent)
    assert (from_parent.exit_code, from_parent.stdout) == (0, "")
    from_sub = xr(legacy, "--baseline", "../.mlsys-lint-baseline.json", "..", cwd=legacy / "sub")
    assert (from_sub.exit_code, from_sub.stdout) == (0, "")
    # new findings are still shown, with paths relative to where the linter runs
    write_files(legacy, {"b.qmd": "# B\n\n@fig-new\n"})
    result = xr(legacy, "--baseline", "book/.mlsys-lint-baseline.json", "book", cwd=parent)
    assert result.stdout == "book/b.qmd:3:1: XR001 `@fig-new` does not resolve: no label `fig-new` in the book\n"


def test_fingerprints_do_not_depend_on_the_current_folder(legacy: Path) -> None:
    here = json.loads(run(["--select", "XR001", "--format", "json"], legacy).stdout)["diagnostics"]
    there = json.loads(run(["--select", "XR001", "--format", "json", "book"], legacy.parent).stdout)["diagnostics"]
    assert [d["path"] for d in here] == ["a.qmd"] and [d["path"] for d in there] == ["book/a.qmd"]
    assert [d["fingerprint"] for d in here] == [d["fingerprint"] for d in there]


def test_partial_run_reports_no_stale_entries_for_files_not_checked(legacy: Path) -> None:
    """pre-commit passes only the changed files: the rest of the baseline is not stale."""
    assert xr(legacy, "--write-baseline", "baseline.json").exit_code == 0
    write_files(legacy, {"b.qmd": "# B\n\n@fig-new\n"})
    result = xr(legacy, "--baseline", "baseline.json", "b.qmd")
    assert result.exit_code == 1
    assert result.stdout == "b.qmd:3:1: XR001 `@fig-new` does not resolve: no label `fig-new` in the book\n"
    assert xr(legacy, "--baseline", "baseline.json", "a.qmd").stdout == ""


def test_selection_limits_stale_entries(stale: Path) -> None:
    assert run(["--select", "MSL", "--format", "concise", "--baseline", "baseline.json"], stale).stdout == ""


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "is not valid JSON (line 1, column 2"),
    ('{"version": 7, "entries": []}', "unsupported version 7"),
    ('{"version": 1, "entries": [{"code": "XR001"}]}', "entry 0 has a missing or invalid 'path'"),
    ("[]", "expected a JSON object"),
])
def test_corrupt_baseline_exits_two_with_one_line(legacy: Path, content: str, fragment: str) -> None:
    (legacy / "baseline.json").write_text(content, encoding="utf-8")
    result = xr(legacy, "--baseline", "baseline.json")
    assert result.exit_code == 2 and result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("mlsys-lint: error: baseline baseline.json") and fragment in line


def test_missing_baseline_exits_two(legacy: Path) -> None:
    result = xr(legacy, "--baseline", "nope.json")
    assert result.exit_code == 2
    assert one_line(result.stderr) == "mlsys-lint: error: baseline file not found: nope.json"


def test_unwritable_baseline_exits_two(legacy: Path) -> None:
    result = xr(legacy, "--write-baseline", "no/such/folder/baseline.json")
    assert result.exit_code == 2
    assert one_line(result.stderr).startswith("mlsys-lint: error: cannot write baseline no/such/folder/baseline.json")


def test_corrupt_baseline_stops_before_fix_writes(plugin, tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\nteh\n"})
    (root / "baseline.json").write_text("{", encoding="utf-8")
    before = (root / "index.qmd").read_bytes()
    result = run(["--select", TST, "--fix", "--baseline", "baseline.json"], root)
    assert result.exit_code == 2
    assert (root / "index.qmd").read_bytes() == before


def test_baseline_in_a_subprocess(legacy: Path) -> None:
    written = spawn(["--select", "XR001", "--write-baseline", "baseline.json"], legacy)
    assert written.returncode == 0, written.stderr
    proc = spawn(["--select", "XR001", "--baseline", "baseline.json"], legacy)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    broken = spawn(["--baseline", "missing.json"], legacy)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert one_line(broken.stderr) == "mlsys-lint: error: baseline file not found: missing.json"


# =============================================================================================
# --fix / --diff
# =============================================================================================

CHAPTER = (
    "# Chapter\n"
    "\n"
    "This is teh text.  Keep   odd\tspacing   and teh rest.\n"
    "NOTE: glued to the paragraph.\n"
    "\n"
    "```python\n"
    "teh = 1  # code is never fixed\n"
    "```\n"
    "\n"
    "TODO: finish teh chapter.\n"
)
FIXED = (
    "# Chapter\n"
    "\n"
    "This is the text.  Keep   odd\tspacing   and the rest.\n"
    "\n"
    "NOTE: glued to the paragraph.\n"
    "\n"
    "```python\n"
    "teh = 1  # code is never fixed\n"
    "```\n"
    "\n"
    "TODO: finish the chapter.\n"
)


@pytest.fixture
def fixable(tmp_path: Path) -> Path:
    root = book(tmp_path, {"index.qmd": "# Index\n\nClean.\n", "ch.qmd": ""})
    (root / "ch.qmd").write_bytes(CHAPTER.encode("utf-8"))
    return root


TST = "TST001,TST002,TST003"  # TST004 (off by default) conflicts with TST001


def tst(root: Path, *args: str, input: str | None = None):
    return run(["--select", TST, "--format", "concise", "--no-cache", *args], root, input=input)


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_fix_rewrites_only_the_spans_and_relints(plugin, fixable: Path) -> None:
    before = tst(fixable)
    assert before.exit_code == 1
    assert [line.split(": ")[0] for line in before.stdout.splitlines()] == [
        "ch.qmd:3:9", "ch.qmd:3:45", "ch.qmd:4:1", "ch.qmd:10:1", "ch.qmd:10:14"]
    inode = (fixable / "ch.qmd").stat().st_ino
    result = tst(fixable, "--fix")
    assert (fixable / "ch.qmd").read_bytes() == FIXED.encode("utf-8")
    # what remains is linted again: the TODO moved down a line and has no fix
    assert result.stdout == "ch.qmd:11:1: TST003 `TODO` left in the text\n"
    assert one_line(result.stderr) == "mlsys-lint: fixed 4 findings"
    assert result.exit_code == 1
    assert (fixable / "ch.qmd").stat().st_ino != inode  # replaced by rename, never rewritten in place
    assert leftovers(fixable) == []
    again = tst(fixable, "--fix")  # idempotent
    assert (fixable / "ch.qmd").read_bytes() == FIXED.encode("utf-8")
    assert again.stderr == "" and again.stdout == result.stdout


def test_fix_full_format_summary(plugin, fixable: Path) -> None:
    result = run(["--select", TST, "--format", "full", "--no-cache", "--fix"], fixable)
    assert "Fixed 4 findings." in result.stdout and result.stderr == ""
    assert "TST003" in result.stdout and "TST001" not in result.stdout


def test_fix_keeps_crlf_bom_and_mode(plugin, fixable: Path) -> None:
    path = fixable / "ch.qmd"
    path.write_bytes(BOM + CHAPTER.replace("\n", "\r\n").encode("utf-8"))
    path.chmod(0o640)
    result = tst(fixable, "--fix")
    assert result.exit_code == 1
    assert path.read_bytes() == BOM + FIXED.replace("\n", "\r\n").encode("utf-8")  # inserted line ends in CRLF too
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert result.stdout == "ch.qmd:11:1: TST003 `TODO` left in the text\n"


def test_exit_non_zero_on_fix(plugin, tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\nteh end.\n"})
    assert tst(root, "--fix").exit_code == 0  # everything fixed: clean
    assert (root / "index.qmd").read_text(encoding="utf-8") == "# I\n\nthe end.\n"
    (root / "index.qmd").write_text("# I\n\nteh end.\n", encoding="utf-8")
    result = tst(root, "--fix", "--exit-non-zero-on-fix")
    assert result.exit_code == 1 and result.stdout == ""
    assert tst(root, "--fix", "--exit-non-zero-on-fix").exit_code == 0  # nothing left to fix


def test_diff_writes_nothing_and_prints_a_unified_diff(plugin, fixable: Path, tmp_path: Path) -> None:
    path = fixable / "ch.qmd"
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    result = tst(fixable, "--diff")
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert result.exit_code == 1  # there is something to fix
    assert result.stdout.startswith("--- a/ch.qmd\n+++ b/ch.qmd\n@@ -1,10 +1,11 @@\n")
    assert "-This is teh text." in result.stdout and "+This is the text." in result.stdout
    assert "TST003" not in result.stdout  # only the diff on stdout
    assert one_line(result.stderr) == "mlsys-lint: --fix would fix 4 findings in 1 file"
    # the diff applies and gives what --fix writes
    patch = tmp_path / "fix.patch"
    patch.write_text(result.stdout, encoding="utf-8")
    applied = subprocess.run(["git", "apply", str(patch)], cwd=fixable, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    assert path.read_bytes() == FIXED.encode("utf-8")
    clean = tst(fixable, "--diff")
    assert (clean.exit_code, clean.stdout, one_line(clean.stderr)) == (0, "", "mlsys-lint: nothing to fix")


def test_diff_wins_over_fix_and_goes_to_output_file(plugin, fixable: Path) -> None:
    before = (fixable / "ch.qmd").read_bytes()
    result = tst(fixable, "--fix", "--diff", "-o", "fix.diff")
    assert result.exit_code == 1 and result.stdout == ""
    assert (fixable / "ch.qmd").read_bytes() == before
    assert (fixable / "fix.diff").read_text(encoding="utf-8").startswith("--- a/ch.qmd\n")


def test_read_only_file_is_left_alone_with_one_line(plugin, fixable: Path) -> None:
    path = fixable / "ch.qmd"
    path.chmod(0o444)
    before = path.read_bytes()
    result = tst(fixable, "--fix")
    assert result.exit_code == 2
    assert one_line(result.stderr) == "mlsys-lint: error: cannot fix ch.qmd: file is read-only; not fixing it"
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert len(result.stdout.splitlines()) == 5  # the findings are still reported
    assert leftovers(fixable) == []


def test_file_changed_since_it_was_read_is_not_fixed(plugin, fixable: Path, monkeypatch) -> None:
    path = fixable / "ch.qmd"
    edited = CHAPTER.replace("TODO", "Later") + "An edit made while linting.\n"
    real_run = engine_module.Engine.run
    calls = []

    def run_then_edit(self, paths):
        result = real_run(self, paths)
        if not calls:
            path.write_text(edited, encoding="utf-8")
        calls.append(paths)
        return result

    monkeypatch.setattr(engine_module.Engine, "run", run_then_edit)
    result = tst(fixable, "--fix")
    assert result.exit_code == 2
    assert one_line(result.stderr) == "mlsys-lint: error: cannot fix ch.qmd: changed since it was checked; not fixing it"
    assert path.read_text(encoding="utf-8") == edited
    assert len(calls) == 1  # nothing written, so nothing to lint again


def test_fix_touches_only_the_files_passed(plugin, fixable: Path) -> None:
    write_files(fixable, {"other.qmd": "# O\n\nteh\n"})
    result = tst(fixable, "--fix", "other.qmd")
    assert result.exit_code == 0
    assert (fixable / "other.qmd").read_text(encoding="utf-8") == "# O\n\nthe\n"
    assert (fixable / "ch.qmd").read_bytes() == CHAPTER.encode("utf-8")


def test_conflicting_fixes_are_skipped(plugin, tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n\nteh end.\n"})
    result = run(["--select", "TST001,TST004", "--format", "concise", "--fix"], root)
    assert (root / "index.qmd").read_text(encoding="utf-8") == "# I\n\nthe end.\n"
    # The overlapping TST004 fix waits for a second pass, where `teh` is gone: nothing is left over.
    assert result.stderr.splitlines() == ["mlsys-lint: fixed 1 finding"]
    assert result.exit_code == 0


def test_fix_and_stdin(plugin, fixable: Path) -> None:
    result = tst(fixable, "--fix", "-", input="teh\n")
    assert result.exit_code == 2
    assert one_line(result.stderr) == ("mlsys-lint: error: --fix cannot write to standard input; "
                                       "use --diff to see the fixes")
    diff = tst(fixable, "--diff", "--stdin-filename", "ch.qmd", "-", input="# C\r\n\r\nteh\r\n")
    assert diff.exit_code == 1
    assert diff.stdout == "--- a/ch.qmd\n+++ b/ch.qmd\n@@ -1,3 +1,3 @@\n # C\n \n-teh\n+the\n"
    assert (fixable / "ch.qmd").read_bytes() == CHAPTER.encode("utf-8")


def test_fix_with_baseline_reports_remaining_new_findings(plugin, fixable: Path) -> None:
    write_files(fixable, {"ch.qmd": "# C\n\nSome teh text.\n\nTODO: later.\n"})
    assert tst(fixable, "--write-baseline", "baseline.json").exit_code == 0
    write_files(fixable, {"index.qmd": "# Index\n\nClean, TODO.\n"})
    result = tst(fixable, "--fix", "--baseline", "baseline.json")
    assert (fixable / "ch.qmd").read_text(encoding="utf-8") == "# C\n\nSome the text.\n\nTODO: later.\n"
    # the new TODO is reported, the old one stays baselined, the fixed finding's entry is stale
    assert result.stdout.splitlines() == ["index.qmd:3:8: TST003 `TODO` left in the text",
                                          "ch.qmd: stale baseline entry TST001 (teh)"]
    assert result.exit_code == 1


@pytest.fixture
def plugin_path(tmp_path: Path) -> Path:
    return fixable_plugin.install_entry_point(tmp_path / "site")


def test_fix_in_a_subprocess_with_an_entry_point_plugin(plugin_path: Path, fixable: Path) -> None:
    listing = spawn(["rules"], fixable, plugin_path)
    assert re.search(r"^TST001 +misspelt-the .*\(fix\)$", listing.stdout, re.M), listing.stdout
    path = fixable / "ch.qmd"
    path.write_bytes(BOM + CHAPTER.replace("\n", "\r\n").encode("utf-8"))
    path.chmod(0o600)
    diff = spawn(["--select", TST, "--diff"], fixable, plugin_path)
    assert diff.returncode == 1 and diff.stdout.startswith("--- a/ch.qmd\n")
    proc = spawn(["--select", TST, "--fix", "--exit-non-zero-on-fix"], fixable, plugin_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == "ch.qmd:11:1: TST003 `TODO` left in the text\n"
    assert proc.stderr == "mlsys-lint: fixed 4 findings\n"
    assert path.read_bytes() == BOM + FIXED.replace("\n", "\r\n").encode("utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o400)
    (fixable / "index.qmd").write_text("# Index\n\nteh\n", encoding="utf-8")
    # read-only but with nothing left to fix (only the TODO): not an error
    nothing = spawn(["--select", TST, "--fix", "ch.qmd"], fixable, plugin_path)
    assert nothing.returncode == 1 and nothing.stderr == ""
    assert nothing.stdout == "ch.qmd:11:1: TST003 `TODO` left in the text\n"


def test_read_only_in_a_subprocess(plugin_path: Path, tmp_path: Path) -> None:
    root = book(tmp_path / "b", {"index.qmd": "# I\n\nteh\n"})
    (root / "index.qmd").chmod(0o444)
    proc = spawn(["--select", TST, "--fix"], root, plugin_path)
    assert proc.returncode == 2
    assert one_line(proc.stderr) == "mlsys-lint: error: cannot fix index.qmd: file is read-only; not fixing it"
    assert "Traceback" not in proc.stderr
    assert (root / "index.qmd").read_text(encoding="utf-8") == "# I\n\nteh\n"


def _registered(code: str) -> bool:
    rule = registry_module.load_rules().get(code)
    return rule is not None and rule.fixable


@pytest.mark.skipif(not _registered("FN006"), reason="FN006 with a fix is not registered")
def test_builtin_footnote_fix_end_to_end(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\r\n\r\nText with a note.[^n]\r\n[^n]: The note.\r\n"})
    before = run(["--select", "FN", "--format", "concise"], root)
    assert before.exit_code == 1
    assert [line.split(" ")[1] for line in before.stdout.splitlines()] == ["FN006"]
    diff = spawn(["--select", "FN", "--diff"], root)
    assert diff.returncode == 1 and "+\n [^n]: The note." in diff.stdout
    proc = spawn(["--select", "FN", "--fix"], root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""  # the glued definition is fixed: nothing left after linting again
    assert (root / "index.qmd").read_bytes() == b"# I\r\n\r\nText with a note.[^n]\r\n\r\n[^n]: The note.\r\n"


# =============================================================================================
# CI formats from the command line
# =============================================================================================


@pytest.fixture
def ci_book(tmp_path: Path) -> Path:
    root = book(tmp_path / "ci", {"index.qmd": "# Index\n\nSee @fig-x.\n",
                                  "a.qmd": CHAPTER_A + "\nteh end, TODO.\n",
                                  "b.qmd": "# B\n\nAs @fig-missing shows.\n"})
    return root


@pytest.fixture(scope="module")
def sarif_validator():
    cls = jsonschema.validators.validator_for(SARIF_SCHEMA)
    cls.check_schema(SARIF_SCHEMA)
    return cls(SARIF_SCHEMA)


def assert_valid(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:20])


def test_sarif_from_the_cli_validates(plugin, ci_book: Path, sarif_validator) -> None:
    result = run(["--format", "sarif", "--select", "XR,TST001,TST003"], ci_book)
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert_valid(sarif_validator, log)
    run_ = log["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert {"XR001", "XR002", "TST001", "TST003"} <= set(rules)
    assert rules["XR001"]["name"] == "unresolved-reference"
    assert rules["XR001"]["help"]["text"] and rules["XR001"]["helpUri"].endswith("/XR001.md")
    assert rules["TST001"]["properties"]["fixable"] is True
    by_rule = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in run_["results"]}
    assert by_rule == {("XR001", "a.qmd"), ("XR001", "b.qmd"), ("TST001", "a.qmd"), ("TST003", "a.qmd")}
    xr_b = next(r for r in run_["results"] if r["ruleId"] == "XR001" and "b.qmd" in json.dumps(r))
    assert xr_b["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 4,
                                                                  "endLine": 3, "endColumn": 16}
    assert run_["tool"]["driver"]["rules"][xr_b["ruleIndex"]]["id"] == "XR001"
    teh = next(r for r in run_["results"] if r["ruleId"] == "TST001")
    assert teh["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "the"


def test_sarif_clean_run_and_subprocess_file_validate(ci_book: Path, sarif_validator) -> None:
    write_files(ci_book, {"b.qmd": "# B\n\nAs @fig-x shows.\n", "a.qmd": CHAPTER_A.replace(", and @fig-old is broken", "")})
    proc = spawn(["--format", "sarif", "--select", "XR", "-o", "out.sarif"], ci_book)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    log = json.loads((ci_book / "out.sarif").read_text(encoding="utf-8"))
    assert_valid(sarif_validator, log)
    assert log["runs"][0]["results"] == []
    full = spawn(["--format", "sarif"], ci_book)
    assert_valid(sarif_validator, json.loads(full.stdout))


GITHUB_LINE = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+)(?:,col=(\d+))?,endLine=(\d+)"
                         r"(?:,endColumn=(\d+))?,title=([^:]+)::(.+)$")


def test_github_annotations_parse_and_are_deterministic(plugin, ci_book: Path) -> None:
    first = run(["--format", "github", "--select", "XR,TST001,TST003"], ci_book)
    assert first.exit_code == 1
    lines = first.stdout.splitlines()
    parsed = [GITHUB_LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m[1], m[2], m[3], m[7]) for m in parsed] == [
        ("error", "a.qmd", "5", "XR001 unresolved-reference"),
        ("warning", "a.qmd", "7", "TST001 misspelt-the"),
        ("warning", "a.qmd", "7", "TST003 todo-marker"),
        ("error", "b.qmd", "3", "XR001 unresolved-reference"),
    ]
    assert first.stdout == run(["--format", "github", "--select", "XR,TST001,TST003"], ci_book).stdout
    a = spawn(["--format", "github", "--select", "XR"], ci_book)
    b = spawn(["--format", "github", "--select", "XR"], ci_book)  # the second one reads the parse cache
    assert a.returncode == 1 and a.stdout == b.stdout and a.stdout.count("\n") == 2


def test_junit_parses_and_is_deterministic(plugin, ci_book: Path) -> None:
    first = run(["--format", "junit", "--select", "XR001,TST001,TST003"], ci_book)
    assert first.exit_code == 1
    root = ET.fromstring(first.stdout)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["index.qmd", "a.qmd", "b.qmd"]
    assert (root.get("tests"), root.get("failures")) == ("9", "4")
    cases = {(s.get("name"), c.get("name")): c for s in suites for c in s.findall("testcase")}
    assert len(cases) == 9
    failure = cases[("b.qmd", "XR001")].find("failure")
    assert failure is not None and failure.text.startswith("3:4: error: `@fig-missing` does not resolve")
    assert cases[("index.qmd", "XR001")].find("failure") is None
    assert first.stdout == run(["--format", "junit", "--select", "XR001,TST001,TST003"], ci_book).stdout
    a = spawn(["--format", "junit", "--select", "XR001", "-o", "a.xml"], ci_book)
    b = spawn(["--format", "junit", "--select", "XR001", "-o", "b.xml"], ci_book)
    assert a.returncode == b.returncode == 1
    assert (ci_book / "a.xml").read_bytes() == (ci_book / "b.xml").read_bytes()
    ET.parse(ci_book / "a.xml")


def test_statistics(plugin, ci_book: Path) -> None:
    write_files(ci_book, {"index.qmd": "# Index\n\nSee @fig-x, teh teh teh.\n"})
    result = run(["--statistics", "--select", "XR001,TST001,TST003"], ci_book)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split()[:3] for line in lines[:3]] == [["4", "TST001", "misspelt-the"],
                                                        ["2", "XR001", "unresolved-reference"],
                                                        ["1", "TST003", "todo-marker"]]
    assert "4 fixable" in lines[0] and lines[3] == ""
    assert "Found 7 findings (2 errors, 5 warnings) in 3 files." in lines
    assert "4 fixable with --fix." in lines
    as_json = json.loads(run(["--statistics", "--format", "json", "--select", "XR001,TST001,TST003"], ci_book).stdout)
    assert as_json["summary"]["by_rule"] == {"TST001": 4, "TST003": 1, "XR001": 2}


# =============================================================================================
# The README's CI and baseline recipes
# =============================================================================================


def _readme_commands() -> list[str]:
    """Every mlsys-lint command in the README's YAML recipes and the baseline recipe."""
    import shlex

    import yaml

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```yaml\n(.*?)```", readme, re.S):
        data = yaml.safe_load(block)  # every YAML recipe parses
        text = json.dumps(data)
        commands += re.findall(r'"(mlsys-lint [^"]*)"', text)
    section = readme[readme.index("### Adopting the gate"):readme.index("### Fixes")]
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        commands += [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("mlsys-lint")]
    return [shlex.split(command)[1:] for command in commands]


def test_readme_recipe_commands_run(legacy: Path) -> None:
    commands = _readme_commands()
    flags = {arg for args in commands for arg in args if arg.startswith("-")}
    assert {"--format", "-o", "--exit-zero", "--write-baseline", "--baseline"} <= flags
    assert {"sarif", "github", "junit", "grouped", "concise"} <= {a for args in commands for a in args}
    for args in commands:
        result = run(args, legacy)
        assert result.exit_code in (0, 1), (args, result.output)
        if "--exit-zero" in args:
            assert result.exit_code == 0
