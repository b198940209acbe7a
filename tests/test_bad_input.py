"""Hostile files and projects: each gets one clear outcome, and the rest of the book is still checked.

Exit codes (PRODUCT.md §4): 1 when a file cannot be read (MSL001 is an error finding, the
other chapters are linted), 2 when the configuration itself is broken or a fix cannot be
written.  Nothing here may raise, print a traceback, hang, or lose a byte of the files.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from lintkit import book, found, lint, write_files
from mlsys_lint import reading
from mlsys_lint.cli import main
from mlsys_lint.document import parse
from mlsys_lint.model import Source

REPO = Path(__file__).resolve().parents[1]
GOOD = "# Good {#sec-good}\n\nSee @sec-good and @fig-nowhere.\n"
"""A healthy chapter with one real finding (XR001), proving the book is still checked."""


def run(args: list[str], cwd: Path):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, ["--no-cache", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def codes(diagnostics) -> set[str]:
    return {d.code for d in diagnostics}


def messages(diagnostics, code: str) -> list[str]:
    return [d.message for d in diagnostics if d.code == code]


def chapter_book(tmp_path: Path, bad_name: str, bad: bytes) -> Path:
    root = book(tmp_path, {"good.qmd": GOOD, bad_name: ""})
    (root / bad_name).write_bytes(bad)
    return root


# -- files that are not text --------------------------------------------------------

UNREADABLE = {
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "NUL bytes"),
    "invalid-utf8": ("# Caf\u00e9\n".encode("latin-1") + b"\nMore text.\n", "not valid UTF-8 (byte 5"),
    "utf16-bom": ("# Title {#sec-x}\n\nText.\n".encode("utf-16"), "UTF-16"),
    "utf16-be-bom": ("# Title\n".encode("utf-16-be").join([b"\xfe\xff", b""]), "UTF-16"),
    "nul-bytes": (b"# Title\n\nText\x00with a NUL.\n", "NUL bytes"),
}


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_unreadable_chapter_is_msl001_and_the_rest_is_checked(tmp_path: Path, kind: str) -> None:
    data, reason = UNREADABLE[kind]
    root = chapter_book(tmp_path, "bad.qmd", data)
    diagnostics = lint(root)
    unreadable = [d for d in diagnostics if d.code == "MSL001"]
    assert len(unreadable) == 1 and reason in unreadable[0].message
    assert unreadable[0].span.path == str(root / "bad.qmd") and unreadable[0].span.line == 1
    assert ("XR001", "good.qmd", 3, 19) in found(diagnostics, root)
    assert (root / "bad.qmd").read_bytes() == data
    result = run(["--format", "concise"], root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "bad.qmd:1:1: MSL001" in result.output and "good.qmd:3:19: XR001" in result.output


def test_utf8_bom_and_crlf_are_read_not_rejected(tmp_path: Path) -> None:
    root = chapter_book(tmp_path, "bom.qmd", b"\xef\xbb\xbf# T {#sec-t}\r\n\r\nSee @sec-t and @fig-gone.\r\n")
    assert ("XR001", "bom.qmd", 3, 16) in found(lint(root), root)
    assert "MSL001" not in codes(lint(root))


def test_fifty_megabyte_chapter_is_refused_quickly(tmp_path: Path) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "huge.qmd": ""})
    with open(root / "huge.qmd", "wb") as handle:  # sparse: nothing is really written
        handle.truncate(50 * 1024 * 1024)
    started = time.perf_counter()
    diagnostics = lint(root)
    assert time.perf_counter() - started < 5
    assert any("too large (50.0 MB" in m for m in messages(diagnostics, "MSL001"))
    assert "XR001" in codes(diagnostics)


def test_a_large_chapter_under_the_limit_is_parsed_in_linear_time(tmp_path: Path) -> None:
    unit = "## Part {#sec-p%d}\n\nSee @sec-p%d and [^n%d].\n\n[^n%d]: A note with `code` and $x$.\n\n"
    text = "".join(unit % (i, i, i, i) for i in range(20_000))  # ~1.5 MB
    started = time.perf_counter()
    doc = parse(Source("big.qmd", text))
    assert time.perf_counter() - started < 20
    assert len(doc.labels) == 20_000 and len(doc.references) == 20_000 and len(doc.footnote_defs) == 20_000


LONG_LINES = {
    "words": "word " * 40_000,
    "open-brackets": "[" * 200_000,
    "unclosed-images": "![" * 100_000,
    "unclosed-links": "[a](" * 50_000,
    "citations": "[@fig-a; " * 22_000,
    "suffixes": "@fig-a [" * 25_000,
    "footnote-openers": "[^" * 100_000,
    "inline-notes": "^[" * 100_000,
    "dollars": "$x " * 66_000,
    "backticks": "` `` " * 40_000,
    "shortcodes": "{{< x " * 33_000,
    "escaped-shortcodes": "{{{< x " * 28_000,
    "tex": "\\cmd[" * 40_000,
    "tex-braces": "\\cmd{" * 40_000,
    "html": "<a b" * 50_000,
    "autolink": "<x@" + "a." * 100_000,
    "example-refs": "(@a " * 50_000,
    "attributes": "{#a " * 50_000,
    "nested-links": "[" * 40_000 + "a" + "](b)" * 40_000,
    "urls": "https://x.org/" * 14_000,
}


@pytest.mark.parametrize("kind", sorted(LONG_LINES))
def test_a_200000_character_line_parses_in_bounded_time(kind: str) -> None:
    line = LONG_LINES[kind]
    assert len(line) >= 180_000
    for text in (line + "\n", "Para\n" + line + "\n", "- " + line + "\n", "# " + line + "\n"):
        started = time.perf_counter()
        doc = parse(Source("long.qmd", text))
        elapsed = time.perf_counter() - started
        assert elapsed < 10, f"{kind}: {elapsed:.1f} s for {len(text)} characters"
        assert len(doc.masked) == len(text)


def test_a_200000_character_line_through_the_cli(tmp_path: Path) -> None:
    line = "Start @sec-good " + "[x] " * 50_000 + " end @fig-gone."
    root = book(tmp_path, {"good.qmd": GOOD, "long.qmd": line + "\n"})
    result = run(["--format", "concise"], root)
    assert result.exit_code == 1, result.output
    assert f"long.qmd:1:{line.index('@fig-gone') + 1}: XR001" in result.output


# -- deep nesting -------------------------------------------------------------------

DEPTH = 5000
NESTED = {
    "plain-divs": ":::: {.note}\n" * DEPTH + "Text @sec-good.\n" + "::::\n" * DEPTH,
    "figure-divs": "".join(f"::: {{#fig-d{i}}}\n" for i in range(DEPTH)) + "![a](b.png)\n\nCaption.\n" + ":::\n" * DEPTH,
    "conditional-divs": '::: {.content-visible when-format="html"}\n' * DEPTH + "[x]{#sec-c}\n" + ":::\n" * DEPTH,
    "theorem-divs": "".join(f"::: {{#thm-d{i}}}\nBody @thm-d{i}.\n\n" for i in range(DEPTH)) + ":::\n" * DEPTH,
    "unclosed-divs": ":::: {.note}\n" * DEPTH,
    "block-quotes": "> " * DEPTH + "Text\n",
    "lists": "".join("  " * i + "- item\n" for i in range(1000)),  # 1,000 levels: already 1 MB of indentation
    "links": "[" * DEPTH + "a" + "](b)" * DEPTH + "\n",
    "images": "![" * DEPTH + "a" + "](b.png)" * DEPTH + "\n",
    "inline-notes": "^[" * DEPTH + "a @sec-good" + "]" * DEPTH + "\n",
    "spans": "[" * DEPTH + "a" + "]{.x}" * DEPTH + "\n",
    "front-matter": "---\nx: " + "[" * DEPTH + "]" * DEPTH + "\n---\n\nText.\n",
    "cell-options": "```{python}\n#| x: " + "{a: " * 2000 + "1" + "}" * 2000 + "\nplot()\n```\n",
}


@pytest.mark.parametrize("kind", sorted(NESTED))
def test_deep_nesting_never_raises_recursion_error(tmp_path: Path, kind: str) -> None:
    text = NESTED[kind]
    doc = parse(Source("deep.qmd", text))
    assert len(doc.masked) == len(text)
    root = book(tmp_path, {"good.qmd": GOOD, "deep.qmd": text})
    started = time.perf_counter()
    diagnostics = lint(root)  # every registered rule
    assert time.perf_counter() - started < 60
    assert ("XR001", "good.qmd", 3, 19) in found(diagnostics, root)
    if kind == "unclosed-divs":
        assert len([d for d in diagnostics if d.code == "MSL002"]) == DEPTH


def test_deep_include_chain_is_cut_and_reported(tmp_path: Path) -> None:
    files = {f"_i{i}.qmd": f"Level {i} @sec-good.\n\n{{{{< include _i{i + 1}.qmd >}}}}\n" for i in range(300)}
    root = book(tmp_path, {"good.qmd": GOOD, "deep.qmd": "{{< include _i0.qmd >}}\n"}, extra=files)
    diagnostics = lint(root)
    cut = [d for d in diagnostics if d.code == "MSL003"]
    assert len(cut) == 1 and "nested more than 64 deep" in cut[0].message
    assert ("XR001", "good.qmd", 3, 19) in found(diagnostics, root)


def test_include_bomb_is_bounded(tmp_path: Path) -> None:
    files = {f"_b{i}.qmd": f"{{{{< include _b{i + 1}.qmd >}}}}\n\n{{{{< include _b{i + 1}.qmd >}}}}\n" for i in range(40)}
    files["_b40.qmd"] = "Leaf.\n"
    root = book(tmp_path, {"good.qmd": GOOD, "bomb.qmd": "{{< include _b0.qmd >}}\n"}, extra=files)
    started = time.perf_counter()
    diagnostics = lint(root)
    assert time.perf_counter() - started < 30
    assert any("includes expanded into `bomb.qmd`" in m for m in messages(diagnostics, "MSL003"))
    assert "XR001" in codes(diagnostics)


# -- unclosed blocks, broken front matter -------------------------------------------


@pytest.mark.parametrize("opener", ["```", "````python", "~~~", "```{r}", ":::", "::: {#fig-x}", "<!--", "$$"])
def test_unclosed_block_at_every_line(tmp_path: Path, opener: str) -> None:
    lines = textwrap.dedent("""\
        # Chapter {#sec-a}

        See @sec-a.[^n]

        ::: {#fig-a}
        ![Alt](a.png)

        Caption @fig-a.
        :::

        [^n]: A note.

        | a | b |
        |---|---|
        | 1 | 2 |

        : Table {#tbl-a}
        """).split("\n")
    for at in range(len(lines) + 1):
        text = "\n".join(lines[:at] + [opener] + lines[at:])
        doc = parse(Source("u.qmd", text))
        assert len(doc.masked) == len(text)
        kinds = {p.kind for p in doc.problems}
        block_start = at == 0 or not lines[at - 1].strip()
        if opener.startswith(("`", "~")) and block_start:
            assert "unclosed-fence" in kinds, (opener, at)
        elif opener == "<!--" and block_start:
            assert "unclosed-comment" in kinds, (opener, at)
        elif opener.startswith("::: {") and block_start:
            assert "unclosed-div" in kinds, (opener, at)
    root = book(tmp_path, {"good.qmd": GOOD, "u.qmd": "\n".join(lines[:3] + ["", opener] + lines[3:])})
    diagnostics = lint(root)
    assert ("XR001", "good.qmd", 3, 19) in found(diagnostics, root)
    if opener not in ("$$", ":::"):  # a lone `:::` opens nothing (Pandoc needs a class or attributes)
        assert any(d.code == "MSL002" and d.span.line == 5 for d in diagnostics), found(diagnostics, root)


@pytest.mark.parametrize("front", [
    "---\ntitle: [unclosed\n---\n",
    "---\ntitle: \"a\n---\n",
    "---\n- a list\n- not a mapping\n---\n",
    "---\n\tindented: tab\n---\n",
    "---\nkey: value\nkey: {a: [1, 2}\n---\n",
], ids=["unclosed-flow", "unclosed-quote", "a-list", "tab", "bad-brackets"])
def test_malformed_front_matter_is_msl006(tmp_path: Path, front: str) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "fm.qmd": front + "\n# Below {#sec-below}\n\nSee @sec-below.\n"})
    diagnostics = lint(root)
    assert [d.span.path for d in diagnostics if d.code == "MSL006"] == [str(root / "fm.qmd")]
    assert ("XR001", "good.qmd", 3, 19) in found(diagnostics, root)
    assert not [d for d in diagnostics if d.code == "XR001" and d.span.path.endswith("fm.qmd")]


def test_unclosed_front_matter(tmp_path: Path) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "fm.qmd": "---\ntitle: x\n\n# Body\n"})
    diagnostics = lint(root)
    assert any(d.code == "MSL002" and d.span.path.endswith("fm.qmd") and d.span.line == 1 for d in diagnostics)


# -- broken projects ----------------------------------------------------------------


@pytest.mark.parametrize("config, message", [
    ("project: [\n", "_quarto.yml:"),
    ("project:\n  type: book\n book: [\n", "_quarto.yml:"),
    ("- a\n- b\n", "expected a YAML mapping"),
    ("\x00\x01", "_quarto.yml"),
    ("x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\nmetadata-files: [meta.yml]\n", "_quarto.yml"),
], ids=["unclosed-flow", "bad-indent", "a-list", "control-chars", "deep-merge"])
def test_malformed_quarto_yml_is_a_one_line_error(tmp_path: Path, config: str, message: str) -> None:
    write_files(tmp_path, {"_quarto.yml": config, "index.qmd": GOOD,
                           "meta.yml": "x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"})
    result = run(["--format", "concise"], tmp_path)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert "internal error" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_quarto_yml_not_utf8(tmp_path: Path) -> None:
    write_files(tmp_path, {"index.qmd": GOOD})
    (tmp_path / "_quarto.yml").write_bytes(b"project:\n  title: caf\xe9\n")
    result = run([], tmp_path)
    assert result.exit_code == 2 and "_quarto.yml" in result.output and "internal error" not in result.output


@pytest.mark.parametrize("config", ["", "\n\n", "# only a comment\n", "---\n"], ids=["empty", "blank", "comment", "dashes"])
def test_empty_quarto_yml_lints_every_file(tmp_path: Path, config: str) -> None:
    write_files(tmp_path, {"_quarto.yml": config, "a.qmd": GOOD, "b.qmd": "Text @fig-b.\n"})
    assert found(lint(tmp_path), tmp_path) == [("XR001", "a.qmd", 3, 19), ("XR001", "b.qmd", 1, 6)]


def test_profile_that_is_a_directory_or_not_utf8(tmp_path: Path) -> None:
    book(tmp_path, {"good.qmd": GOOD})
    (tmp_path / "_quarto-dir.yml").mkdir()
    (tmp_path / "_quarto-latin.yml").write_bytes(b"title: caf\xe9\n")
    for profile, reason in (("dir", "cannot read configuration"), ("latin", "not valid UTF-8")):
        result = run(["--profile", profile], tmp_path)
        assert result.exit_code == 2 and reason in result.output and "internal error" not in result.output


@pytest.mark.parametrize("settings, reason", [
    (b"select: [\xff]\n", "not valid UTF-8"),
    (b"select: " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested too deeply"),
    (b"select: [XR\n", "invalid YAML"),
    (b"- just a list\n", "expected a mapping"),
], ids=["latin1", "deep", "unclosed", "a-list"])
def test_malformed_settings_file_is_a_one_line_error(tmp_path: Path, settings: bytes, reason: str) -> None:
    book(tmp_path, {"good.qmd": GOOD})
    (tmp_path / ".mlsys-lint.yml").write_bytes(settings)
    result = run([], tmp_path)
    assert result.exit_code == 2 and reason in result.output
    assert "internal error" not in result.output and len(result.output.strip().splitlines()) == 1


def test_deeply_nested_pyproject_is_not_our_config(tmp_path: Path) -> None:
    book(tmp_path, {"good.qmd": GOOD})
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = " + "[" * 3000 + "]" * 3000 + "\n")
    assert run([], tmp_path).exit_code == 1


def test_missing_chapter_is_msl004_and_the_rest_is_checked(tmp_path: Path) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "gone.qmd": ""})
    (root / "gone.qmd").unlink()
    assert sorted(found(lint(root), root)) == [("MSL004", "_quarto.yml", 7, 7), ("XR001", "good.qmd", 3, 19)]


def test_include_cycle_is_reported_once_per_include(tmp_path: Path) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "a.qmd": "A @sec-good.\n\n{{< include _b.qmd >}}\n"},
                extra={"_b.qmd": "B\n\n{{< include _c.qmd >}}\n", "_c.qmd": "C\n\n{{< include _b.qmd >}}\n"})
    diagnostics = lint(root)
    cycles = [d for d in diagnostics if d.code == "MSL003"]
    assert len(cycles) == 1 and "include cycle: _b.qmd → _c.qmd → _b.qmd" in cycles[0].message
    assert "XR001" in codes(diagnostics)


def test_symlink_loops(tmp_path: Path) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "loop.qmd": "", "dangling.qmd": "", "a.qmd": "{{< include _l.qmd >}}\n"})
    for name, target in (("loop.qmd", "loop.qmd"), ("dangling.qmd", "nowhere.qmd"), ("_l.qmd", "_l.qmd")):
        (root / name).unlink(missing_ok=True)
        (root / name).symlink_to(target)
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to("..", target_is_directory=True)  # a directory loop for folder walks
    diagnostics = lint(root)
    assert "loops back on itself" in " ".join(messages(diagnostics, "MSL004"))
    assert "broken symbolic link" in " ".join(messages(diagnostics, "MSL004"))
    assert "loops back on itself" in " ".join(messages(diagnostics, "MSL003"))
    assert "XR001" in codes(diagnostics)
    # a website walks the folder: the loop file is unreadable, the folder loop is not followed
    (root / "_quarto.yml").write_text("project:\n  type: website\n")
    diagnostics = lint(root)
    assert any("loop.qmd" in d.span.path for d in diagnostics if d.code == "MSL001")
    assert "XR001" in codes(diagnostics)


def test_file_names_the_file_system_rejects(tmp_path: Path) -> None:
    long = "x" * 300 + ".qmd"
    root = book(tmp_path, {"good.qmd": GOOD, "inc.qmd": f"{{{{< include {long} >}}}}\n\n{{{{< include sub >}}}}\n"})
    (root / "sub").mkdir()
    (root / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  chapters:\n    - good.qmd\n    - inc.qmd\n"
                                      f"    - {long}\n    - \"a\\0b.qmd\"\nmetadata-files: [{long}, \"m\\0.yml\"]\n"
                                      f"profile:\n  default: {'p' * 300}\n")
    diagnostics = lint(root)
    assert "has a name too long for the file system" in " ".join(messages(diagnostics, "MSL004"))
    assert "is not a valid file name" in " ".join(messages(diagnostics, "MSL004"))
    assert "has a name too long" in " ".join(messages(diagnostics, "MSL003"))
    assert "`sub` is not a file" in " ".join(messages(diagnostics, "MSL003"))
    assert "XR001" in codes(diagnostics)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "secret.qmd": "# Secret\n"})
    target = root / "secret.qmd"
    os.chmod(target, 0)
    try:
        if os.access(target, os.R_OK):  # running as root: simulate the refusal
            real = reading.Path.read_bytes

            def refuse(self):
                if self.name == "secret.qmd":
                    raise PermissionError(13, "Permission denied", str(self))
                return real(self)

            monkeypatch.setattr(reading.Path, "read_bytes", refuse)
        diagnostics = lint(root)
    finally:
        os.chmod(target, 0o644)
    assert messages(diagnostics, "MSL001") == ["cannot read file: permission denied"]
    assert "XR001" in codes(diagnostics)


def test_file_deleted_while_linting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "a.qmd": "Text.\n\n{{< include _inc.qmd >}}\n", "b.qmd": "# B\n"},
                extra={"_inc.qmd": "Included.\n"})
    real = reading.read_bytes

    def read_and_delete(path: Path) -> bytes:
        if path.name == "a.qmd":  # after this chapter is read, the next ones vanish
            (root / "b.qmd").unlink(missing_ok=True)
            (root / "_inc.qmd").unlink(missing_ok=True)
        if path.name in ("b.qmd", "_inc.qmd") and path.exists():
            path.unlink()
        return real(path)

    import mlsys_lint.engine as engine_module

    monkeypatch.setattr(engine_module, "read_bytes", read_and_delete)
    diagnostics = lint(root)
    gone = [d for d in diagnostics if d.code in ("MSL001", "MSL003", "MSL004")]
    assert gone, found(diagnostics, root)
    assert all("disappeared" in d.message or "does not exist" in d.message for d in gone)
    assert "XR001" in codes(diagnostics)


# -- fixes: safe writes -------------------------------------------------------------

GLUED = "Text.[^a]\n[^a]: A note.\n"
"""FN006 fixes this by inserting a blank line before the definition."""


def test_fix_keeps_bom_line_endings_and_mode(tmp_path: Path) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "a.qmd": ""})
    path = root / "a.qmd"
    path.write_bytes(b"\xef\xbb\xbf" + GLUED.replace("\n", "\r\n").encode())
    os.chmod(path, 0o640)
    result = run(["--fix", "--select", "FN"], root)
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == b"\xef\xbb\xbfText.[^a]\r\n\r\n[^a]: A note.\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in root.iterdir()) == ["_quarto.yml", "a.qmd", "good.qmd"]


def test_read_only_file_under_fix(tmp_path: Path) -> None:
    root = book(tmp_path, {"good.qmd": GOOD, "ro.qmd": GLUED, "rw.qmd": GLUED})
    os.chmod(root / "ro.qmd", 0o444)
    try:
        result = run(["--fix", "--select", "FN", "--format", "concise"], root)
    finally:
        os.chmod(root / "ro.qmd", 0o644)
    assert result.exit_code == 2
    assert "cannot fix ro.qmd" in result.output and "read-only" in result.output
    assert (root / "ro.qmd").read_text() == GLUED
    assert (root / "rw.qmd").read_text() == "Text.[^a]\n\n[^a]: A note.\n"
    assert "ro.qmd:2:1: FN006" in result.output  # still reported: nothing was fixed there


_KILL_BETWEEN_WRITE_AND_RENAME = """
import os, signal, sys
import mlsys_lint.fixes as fixes
def killed(src, dst):
    with open(src, "rb") as handle:
        sys.stderr.write("TEMP:" + handle.read().hex() + "\\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
fixes.os.replace = killed
from mlsys_lint.cli import main
sys.argv = ["mlsys-lint", "--no-cache", "--fix", "--select", "FN", "."]
main()
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_between_write_and_rename_leaves_the_original_intact(tmp_path: Path) -> None:
    original = b"\xef\xbb\xbf" + GLUED.replace("\n", "\r\n").encode()
    root = book(tmp_path, {"a.qmd": ""})
    (root / "a.qmd").write_bytes(original)
    process = subprocess.run([sys.executable, "-c", _KILL_BETWEEN_WRITE_AND_RENAME], cwd=root,
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert (root / "a.qmd").read_bytes() == original  # the rename never happened: the original is whole
    written = bytes.fromhex(process.stderr.split("TEMP:")[1].split()[0])
    assert written == b"\xef\xbb\xbfText.[^a]\r\n\r\n[^a]: A note.\r\n"  # the new text was complete
    leftovers = [p.name for p in root.iterdir() if p.name.endswith(".mlsys-lint.tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".a.qmd.")  # hidden, next to the file
    for name in leftovers:
        (root / name).unlink()
    result = run(["--fix", "--select", "FN"], root)  # a later run fixes the file normally
    assert result.exit_code == 0 and (root / "a.qmd").read_bytes() == written


def test_fix_refuses_a_file_changed_since_it_was_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = book(tmp_path, {"a.qmd": GLUED})
    import mlsys_lint.fixes as fixes

    real = fixes.apply_fixes

    def edit_first(path, *args, **kwargs):
        Path(path).write_text("Edited by someone else.\n" + GLUED)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(fixes, "apply_fixes", edit_first)
    result = run(["--fix", "--select", "FN"], root)
    assert result.exit_code == 2 and "changed" in result.output
    assert (root / "a.qmd").read_text() == "Edited by someone else.\n" + GLUED
