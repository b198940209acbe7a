"""Baselines: fingerprints, writing, loading and filtering."""

from __future__ import annotations

import json

import pytest

from mlsys_lint.baseline import (
    Baseline,
    BaselineError,
    fingerprint,
    load_baseline,
    write_baseline,
)
from mlsys_lint.model import Diagnostic, Severity, Span


def diag(code, path, line, source_line, subject="", message="msg", column=1, stamp=True):
    d = Diagnostic(
        code=code,
        name="name",
        severity=Severity.WARNING,
        span=Span(path, line, column, line, column + 3),
        message=message,
        subject=subject,
        source_line=source_line,
    )
    if stamp:
        d.fingerprint = fingerprint(d, source_line)
    return d


def roundtrip(tmp_path, diagnostics) -> Baseline:
    path = tmp_path / "baseline.json"
    write_baseline(path, diagnostics)
    return load_baseline(path)


# --- fingerprints ----------------------------------------------------------------


def test_fingerprint_ignores_position_and_whitespace():
    a = diag("FIG001", "ch1.qmd", 10, "See @fig-x  for   details.", "fig-x", column=5)
    b = diag("FIG001", "ch1.qmd", 99, "\tSee @fig-x for details.  ", "fig-x", column=40)
    assert a.fingerprint == b.fingerprint


@pytest.mark.parametrize(
    "change",
    [
        dict(code="FIG002"),
        dict(path="ch2.qmd"),
        dict(subject="fig-y"),
        dict(source_line="See @fig-x for more details."),
    ],
)
def test_fingerprint_depends_on_identity(change):
    base = dict(code="FIG001", path="ch1.qmd", line=1, source_line="See @fig-x for details.", subject="fig-x")
    assert diag(**base).fingerprint != diag(**{**base, **change}).fingerprint


def test_fingerprint_is_stable():
    # pinned: baselines written by one version must keep matching
    d = diag("FIG001", "contents/ch1.qmd", 3, "See @fig-x.", "fig-x")
    assert d.fingerprint == fingerprint(d, "  See   @fig-x. ")
    assert d.fingerprint == "712e18077d1fc766"


def test_baseline_written_with_the_v1_fingerprint_still_matches(tmp_path):
    """v1 hashed the whole line into the fingerprint (quadratic on a line with many findings);
    a v1 file still matches because entries are matched by their recomputed fields."""
    entry = {"code": "FIG001", "path": "contents/ch1.qmd", "subject": "fig-x", "line_hash": "21f2bce467e02dc3",
             "fingerprint": "85b7a6ab7e9c4181", "count": 1, "message": "msg"}
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"version": 1, "entries": [entry]}))
    d = diag("FIG001", "contents/ch1.qmd", 3, "See @fig-x.", "fig-x")
    assert load_baseline(path).filter([d]) == ([], [])



def test_fingerprint_uses_forward_slashes():
    assert diag("X001", "a\\b.qmd", 1, "t").fingerprint == diag("X001", "a/b.qmd", 1, "t").fingerprint


# --- file format -----------------------------------------------------------------


def test_written_file_is_sorted_and_stable(tmp_path):
    diagnostics = [
        diag("GLS001", "b.qmd", 5, "the backprop step", "backpropagation"),
        diag("FIG001", "a.qmd", 9, "See @fig-x.", "fig-x", message="first"),
        diag("FIG001", "a.qmd", 2, "See @fig-x.", "fig-x", message="first"),
    ]
    path = tmp_path / "baseline.json"
    assert write_baseline(path, diagnostics) == 2
    text = path.read_text(encoding="utf-8")
    write_baseline(path, list(reversed(diagnostics)))
    assert path.read_text(encoding="utf-8") == text
    assert text.endswith("\n")
    document = json.loads(text)
    assert document["version"] == 1
    entries = document["entries"]
    assert [e["path"] for e in entries] == ["a.qmd", "b.qmd"]
    assert list(entries[0]) == ["code", "path", "subject", "line_hash", "fingerprint", "count", "message"]
    assert entries[0]["count"] == 2
    assert entries[0]["subject"] == "fig-x"
    assert entries[1]["count"] == 1
    assert "line" not in entries[0]


def test_write_diagnostics_without_precomputed_fingerprint(tmp_path):
    d = diag("FIG001", "a.qmd", 1, "See @fig-x.", "fig-x", stamp=False)
    baseline = roundtrip(tmp_path, [d])
    assert fingerprint(d, d.source_line) in baseline
    assert baseline.filter([d]) == ([], [])


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"version": 2, "entries": []}', "unsupported version"),
        ('{"version": 1}', "'entries' must be a list"),
        ('{"version": 1, "entries": [1]}', "entry 0"),
        ('{"version": 1, "entries": [{"code": "X", "path": "a", "fingerprint": "f", "count": 0}]}', "'count'"),
        ('{"version": 1, "entries": [{"code": "X", "path": "a", "count": 1}]}', "'fingerprint'"),
    ],
)
def test_load_rejects_bad_files(tmp_path, content, fragment):
    path = tmp_path / "baseline.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=fragment) as info:
        load_baseline(path)
    assert "\n" not in str(info.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(BaselineError, match="not found"):
        load_baseline(tmp_path / "nope.json")


def test_write_to_missing_directory_is_baseline_error(tmp_path):
    with pytest.raises(BaselineError):
        write_baseline(tmp_path / "missing" / "baseline.json", [])


# --- filtering -------------------------------------------------------------------


def test_moving_text_does_not_resurrect(tmp_path):
    old = [diag("FIG001", "ch1.qmd", 10, "See @fig-x here.", "fig-x")]
    baseline = roundtrip(tmp_path, old)
    moved = [diag("FIG001", "ch1.qmd", 250, "  See @fig-x   here.", "fig-x", column=7)]
    assert baseline.filter(moved) == ([], [])


def test_fix_one_add_one_in_same_file_reports_new(tmp_path):
    old = [
        diag("FIG001", "ch1.qmd", 10, "See @fig-a here.", "fig-a"),
        diag("FIG001", "ch1.qmd", 20, "See @fig-b here.", "fig-b"),
    ]
    baseline = roundtrip(tmp_path, old)
    added = diag("FIG001", "ch1.qmd", 30, "See @fig-c here.", "fig-c")
    now = [old[1], added]  # fig-a fixed, fig-c new: same per-file count as before
    new, stale = baseline.filter(now)
    assert new == [added]
    assert [e["subject"] for e in stale] == ["fig-a"]


def test_stale_entries(tmp_path):
    old = [
        diag("FIG001", "ch1.qmd", 1, "See @fig-a.", "fig-a"),
        diag("GLS001", "ch2.qmd", 1, "backprop", "backpropagation"),
    ]
    baseline = roundtrip(tmp_path, old)
    new, stale = baseline.filter([])
    assert new == []
    assert [(e["code"], e["path"], e["unused"]) for e in stale] == [("FIG001", "ch1.qmd", 1), ("GLS001", "ch2.qmd", 1)]
    assert all(e["count"] == 1 for e in stale)
    # staleness limited to what was checked (pre-commit on one file, --select)
    assert [e["path"] for e in baseline.filter([], paths=["ch2.qmd"])[1]] == ["ch2.qmd"]
    assert [e["code"] for e in baseline.filter([], codes=["FIG001"])[1]] == ["FIG001"]
    assert baseline.filter([], paths=["other.qmd"])[1] == []


def test_changed_line_is_new_and_old_entry_stale(tmp_path):
    baseline = roundtrip(tmp_path, [diag("FIG001", "ch1.qmd", 1, "See @fig-a.", "fig-a")])
    edited = diag("FIG001", "ch1.qmd", 1, "Now see @fig-a.", "fig-a")
    new, stale = baseline.filter([edited])
    assert new == [edited]
    assert len(stale) == 1


def test_count_semantics(tmp_path):
    twins = [
        diag("GLS001", "ch1.qmd", 3, "the backprop step", "backpropagation"),
        diag("GLS001", "ch1.qmd", 8, "the backprop step", "backpropagation"),
    ]
    baseline = roundtrip(tmp_path, twins)
    assert len(baseline) == 1
    assert baseline.entries[0]["count"] == 2
    # both identical findings are baselined
    assert baseline.filter(twins) == ([], [])
    # a third identical one is reported
    third = diag("GLS001", "ch1.qmd", 12, "the backprop step", "backpropagation")
    new, stale = baseline.filter([*twins, third])
    assert new == [third]
    assert stale == []
    # one of the two fixed: nothing new, and the entry can shrink
    new, stale = baseline.filter(twins[:1])
    assert new == []
    assert [(e["count"], e["unused"]) for e in stale] == [(2, 1)]


def test_filter_keeps_order_of_new_findings(tmp_path):
    baseline = roundtrip(tmp_path, [diag("FIG001", "a.qmd", 1, "x", "fig-a")])
    ds = [diag("FIG001", "a.qmd", i, f"line {i}", f"fig-{i}") for i in range(5)]
    assert baseline.filter(ds)[0] == ds


def test_duplicate_entries_in_file_are_merged(tmp_path):
    path = tmp_path / "baseline.json"
    d = diag("FIG001", "a.qmd", 1, "x", "fig-a")
    entry = {"code": "FIG001", "path": "a.qmd", "subject": "fig-a", "line_hash": "", "fingerprint": d.fingerprint, "count": 1, "message": "m"}
    path.write_text(json.dumps({"version": 1, "entries": [entry, entry]}), encoding="utf-8")
    baseline = load_baseline(path)
    assert baseline.entries[0]["count"] == 2
    assert baseline.filter([d, d]) == ([], [])
