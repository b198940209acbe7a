"""Applying fixes: byte preservation, conflicts, atomic and safe writing, diffs."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsys_lint import fixes as fixes_module
from mlsys_lint.fixes import FixError, apply_fixes, fix_text, render_diff
from mlsys_lint.model import Fix

BOM = b"\xef\xbb\xbf"


def fix(line, column, end_line, end_column, replacement, path="f.qmd", title="fix"):
    return Fix(title, path, line, column, end_line, end_column, replacement)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line/column of `offset` in normalised `text` (independent of the module)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def leftovers(directory: Path, keep: set[str]) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name not in keep)


# --- property tests --------------------------------------------------------------

content = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
    max_size=12,
)
line_parts = st.lists(st.tuples(content, st.sampled_from(["\n", "\r\n"])), min_size=0, max_size=8)


@st.composite
def documents_with_fixes(draw):
    parts = draw(line_parts)
    last = draw(content)
    bom = draw(st.booleans())
    raw = "".join(c + e for c, e in parts) + last
    normalised = "".join(c + "\n" for c, _ in parts) + last
    # normalised offset -> raw offset, computed independently of the module
    mapping = []
    j = 0
    for c, e in parts:
        for _ in c:
            mapping.append(j)
            j += 1
        mapping.append(j)  # the "\n" maps to the start of the line ending
        j += len(e)
    for _ in last:
        mapping.append(j)
        j += 1
    mapping.append(j)
    assert len(mapping) == len(normalised) + 1

    n_fixes = draw(st.integers(0, min(4, (len(normalised) + 1) // 2)))
    offsets = draw(
        st.lists(st.integers(0, len(normalised)), min_size=2 * n_fixes, max_size=2 * n_fixes, unique=True).map(sorted)
    )
    spans = []
    for i in range(0, len(offsets), 2):
        start, end = offsets[i], offsets[i + 1]
        if draw(st.booleans()):
            end = start  # an insertion
        spans.append((start, end, draw(content)))
    order = draw(st.permutations(range(len(spans))))
    fix_list = []
    for index in order:
        start, end, replacement = spans[index]
        fix_list.append(fix(*position(normalised, start), *position(normalised, end), replacement))
    expected = []
    cursor = 0
    for start, end, replacement in spans:
        expected.append(raw[cursor : mapping[start]])
        expected.append(replacement)
        cursor = mapping[end]
    expected.append(raw[cursor:])
    prefix = BOM if bom else b""
    return prefix + raw.encode(), fix_list, prefix + "".join(expected).encode(), spans


@settings(max_examples=300, deadline=None)
@given(documents_with_fixes())
def test_fixes_never_touch_bytes_outside_spans(case):
    original, fix_list, expected, spans = case
    with tempfile.TemporaryDirectory() as directory:
        path = write(Path(directory) / "f.qmd", original)
        outcome = apply_fixes(path, fix_list)
        assert path.read_bytes() == expected
        assert outcome.applied == len(fix_list)
        assert outcome.skipped == outcome.invalid == 0
        assert leftovers(Path(directory), {"f.qmd"}) == []


@settings(max_examples=200, deadline=None)
@given(line_parts, content, st.booleans())
def test_empty_fix_set_is_identity(parts, last, bom):
    data = (BOM if bom else b"") + ("".join(c + e for c, e in parts) + last).encode()
    with tempfile.TemporaryDirectory() as directory:
        path = write(Path(directory) / "f.qmd", data)
        before = os.stat(path)
        outcome = apply_fixes(path, [])
        assert path.read_bytes() == data
        assert os.stat(path).st_ino == before.st_ino
        assert not outcome.written and not outcome.changed
        assert outcome.applied == 0


@settings(max_examples=200, deadline=None)
@given(documents_with_fixes())
def test_fix_text_matches_file_result(case):
    original, fix_list, expected, _ = case
    has_bom = original.startswith(BOM)
    raw = original[3:].decode() if has_bom else original.decode()
    assert fix_text(raw, fix_list).text.encode() == (expected[3:] if has_bom else expected)


# --- line endings and BOM --------------------------------------------------------


def test_crlf_round_trip(tmp_path):
    path = write(tmp_path / "f.qmd", b"a line\r\nthe backprop step\r\nlast\r\n")
    outcome = apply_fixes(path, [fix(2, 5, 2, 13, "backpropagation")])
    assert path.read_bytes() == b"a line\r\nthe backpropagation step\r\nlast\r\n"
    assert outcome.written and outcome.applied == 1
    assert outcome.old_text == "a line\nthe backprop step\nlast\n"
    assert outcome.new_text == "a line\nthe backpropagation step\nlast\n"


def test_bom_round_trip(tmp_path):
    path = write(tmp_path / "f.qmd", BOM + "é backprop\nzwei\n".encode())
    apply_fixes(path, [fix(1, 3, 1, 11, "backpropagation")])
    assert path.read_bytes() == BOM + "é backpropagation\nzwei\n".encode()


def test_mixed_line_endings_kept(tmp_path):
    data = b"one\r\ntwo\nthree\rfour\r\nfive"
    path = write(tmp_path / "f.qmd", data)
    apply_fixes(path, [fix(4, 1, 4, 5, "FOUR"), fix(2, 1, 2, 4, "TWO"), fix(5, 5, 5, 5, "!")])
    assert path.read_bytes() == b"one\r\nTWO\nthree\rFOUR\r\nfive!"


def test_columns_count_characters_not_bytes(tmp_path):
    path = write(tmp_path / "f.qmd", "αβγ @Fig-x δ\r\n".encode())
    apply_fixes(path, [fix(1, 5, 1, 11, "@fig-x")])
    assert path.read_bytes() == "αβγ @fig-x δ\r\n".encode()


def test_newlines_in_replacement_follow_the_line_ending(tmp_path):
    path = write(tmp_path / "f.qmd", b"a\r\nb\r\nc")
    apply_fixes(path, [fix(1, 2, 2, 2, "\nX\n")])
    assert path.read_bytes() == b"a\r\nX\r\n\r\nc"


def test_fix_spanning_line_end(tmp_path):
    path = write(tmp_path / "f.qmd", b"ab\r\ncd\r\n")
    apply_fixes(path, [fix(1, 3, 2, 1, " ")])  # join the two lines
    assert path.read_bytes() == b"ab cd\r\n"


# --- conflicts, duplicates, invalid fixes ----------------------------------------


def test_overlapping_fixes_first_wins(tmp_path):
    path = write(tmp_path / "f.qmd", b"0123456789\n")
    outcome = apply_fixes(
        path,
        [fix(1, 4, 1, 8, "B"), fix(1, 2, 1, 5, "A"), fix(1, 9, 1, 11, "C"), fix(1, 1, 1, 2, "Z")],
    )
    # sorted by position: Z [0,1) A [1,4) B [3,7) overlaps A, C [8,10)
    assert path.read_bytes() == b"ZA4567C\n"
    assert (outcome.applied, outcome.skipped) == (3, 1)


def test_two_insertions_at_one_point_conflict(tmp_path):
    path = write(tmp_path / "f.qmd", b"ab\n")
    outcome = apply_fixes(path, [fix(1, 2, 1, 2, "X"), fix(1, 2, 1, 2, "Y")])
    assert path.read_bytes() == b"aXb\n"
    assert (outcome.applied, outcome.skipped) == (1, 1)


def test_adjacent_fixes_both_apply(tmp_path):
    path = write(tmp_path / "f.qmd", b"abcd\n")
    outcome = apply_fixes(path, [fix(1, 3, 1, 5, "CD"), fix(1, 1, 1, 3, "AB"), fix(1, 3, 1, 3, "-")])
    assert path.read_bytes() == b"AB-CD\n"
    assert (outcome.applied, outcome.skipped) == (3, 0)


def test_duplicate_fixes_apply_once(tmp_path):
    path = write(tmp_path / "f.qmd", b"backprop and more\n")
    same = fix(1, 1, 1, 9, "backpropagation")
    outcome = apply_fixes(path, [same, fix(1, 1, 1, 9, "backpropagation")])
    assert path.read_bytes() == b"backpropagation and more\n"
    assert (outcome.applied, outcome.skipped) == (2, 0)


def test_invalid_positions_are_counted_not_applied(tmp_path):
    path = write(tmp_path / "f.qmd", b"abc\ndef\n")
    outcome = apply_fixes(path, [fix(9, 1, 9, 2, "x"), fix(1, 2, 1, 9, "x"), fix(2, 3, 2, 1, "x"), fix(2, 1, 2, 2, "D")])
    assert path.read_bytes() == b"abc\nDef\n"
    assert (outcome.applied, outcome.skipped, outcome.invalid) == (1, 0, 3)


# --- idempotence -----------------------------------------------------------------


def test_fix_producing_same_text_does_not_write(tmp_path):
    path = write(tmp_path / "f.qmd", b"backpropagation\r\n")
    inode = os.stat(path).st_ino
    outcome = apply_fixes(path, [fix(1, 1, 1, 16, "backpropagation")])
    assert outcome.applied == 1 and not outcome.changed and not outcome.written
    assert os.stat(path).st_ino == inode
    assert path.read_bytes() == b"backpropagation\r\n"


def test_applying_twice_is_idempotent(tmp_path):
    path = write(tmp_path / "f.qmd", b"See @Fig-x here.\r\n")
    first = apply_fixes(path, [fix(1, 5, 1, 11, "@fig-x")])
    after_first = path.read_bytes()
    second = apply_fixes(path, [fix(1, 5, 1, 11, "@fig-x")], expected_text=first.new_text)
    assert first.written and not second.written
    assert path.read_bytes() == after_first == b"See @fig-x here.\r\n"


# --- safety ----------------------------------------------------------------------


def test_file_mode_preserved(tmp_path):
    path = write(tmp_path / "f.qmd", b"abc\n")
    os.chmod(path, 0o640)
    apply_fixes(path, [fix(1, 1, 1, 2, "A")])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert path.read_bytes() == b"Abc\n"


def test_symlink_target_is_fixed_and_link_kept(tmp_path):
    real = write(tmp_path / "real.qmd", b"abc\n")
    link = tmp_path / "link.qmd"
    link.symlink_to(real)
    apply_fixes(link, [fix(1, 1, 1, 2, "A")])
    assert link.is_symlink()
    assert real.read_bytes() == b"Abc\n"


def test_read_only_file(tmp_path):
    path = write(tmp_path / "f.qmd", b"abc\n")
    os.chmod(path, 0o444)
    try:
        with pytest.raises(FixError, match="read-only") as info:
            apply_fixes(path, [fix(1, 1, 1, 2, "A")])
        assert "\n" not in str(info.value)
        assert path.read_bytes() == b"abc\n"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
        assert leftovers(tmp_path, {"f.qmd"}) == []
    finally:
        os.chmod(path, 0o644)


def test_crash_before_rename_leaves_original_and_no_temp(tmp_path, monkeypatch):
    path = write(tmp_path / "f.qmd", b"abc\r\n")

    def crash(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(FixError):
        apply_fixes(path, [fix(1, 1, 1, 2, "A")])
    monkeypatch.undo()
    assert path.read_bytes() == b"abc\r\n"
    assert leftovers(tmp_path, {"f.qmd"}) == []


def test_file_changed_since_checked(tmp_path):
    path = write(tmp_path / "f.qmd", b"abc\r\n")
    with pytest.raises(FixError, match="changed"):
        apply_fixes(path, [fix(1, 1, 1, 2, "A")], expected_text="abX\n")
    assert path.read_bytes() == b"abc\r\n"
    # expected_text may be given normalised or raw
    apply_fixes(path, [fix(1, 1, 1, 2, "A")], expected_text="abc\r\n")
    assert path.read_bytes() == b"Abc\r\n"


def test_file_changed_while_fixing(tmp_path, monkeypatch):
    path = write(tmp_path / "f.qmd", b"abc\n")
    real_read = fixes_module._read_bytes
    calls = []

    def read_then_edit(target):
        data = real_read(target)
        calls.append(target)
        if len(calls) == 1:
            Path(target).write_bytes(b"someone else's edit\n")
        return data

    monkeypatch.setattr(fixes_module, "_read_bytes", read_then_edit)
    with pytest.raises(FixError, match="changed while"):
        apply_fixes(path, [fix(1, 1, 1, 2, "A")])
    assert path.read_bytes() == b"someone else's edit\n"
    assert leftovers(tmp_path, {"f.qmd"}) == []


def test_not_utf8(tmp_path):
    path = write(tmp_path / "f.qmd", b"ab\xffc\n")
    with pytest.raises(FixError, match="UTF-8"):
        apply_fixes(path, [fix(1, 1, 1, 2, "A")])
    assert path.read_bytes() == b"ab\xffc\n"


def test_missing_file(tmp_path):
    with pytest.raises(FixError, match="cannot read"):
        apply_fixes(tmp_path / "nope.qmd", [fix(1, 1, 1, 2, "A")])


def test_dry_run_does_not_write(tmp_path):
    path = write(tmp_path / "f.qmd", b"abc\n")
    outcome = apply_fixes(path, [fix(1, 1, 1, 2, "A")], dry_run=True)
    assert outcome.changed and not outcome.written
    assert outcome.new_text == "Abc\n"
    assert path.read_bytes() == b"abc\n"


# --- diff ------------------------------------------------------------------------


def test_render_diff():
    diff = render_diff(Path("contents") / "ch1.qmd", "a\nbackprop\nc\n", "a\nbackpropagation\nc\n")
    assert diff == (
        "--- a/contents/ch1.qmd\n"
        "+++ b/contents/ch1.qmd\n"
        "@@ -1,3 +1,3 @@\n"
        " a\n"
        "-backprop\n"
        "+backpropagation\n"
        " c\n"
    )
    assert render_diff("x.qmd", "same\n", "same\n") == ""


def test_render_diff_without_final_newline():
    diff = render_diff("x.qmd", "a\nb", "a\nB")
    assert diff.endswith("-b\n\\ No newline at end of file\n+B\n\\ No newline at end of file\n")
