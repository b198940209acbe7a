"""The parse cache is data: planted, foreign, damaged or odd entries are misses, never code.

Every test compares a warm run with a cold one: whatever the cache folder holds, the
findings are those of a run without a cache, and nothing from the folder runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import shutil
import subprocess
import time
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from lintkit import CORPORA, book
from mlsys_lint import cache as cache_module
from mlsys_lint.api import resolve_settings
from mlsys_lint.cache import DocumentCache, code_fingerprint, encode_document, source_fingerprint
from mlsys_lint.cli import main
from mlsys_lint.document import Document, parse
from mlsys_lint.engine import Engine
from mlsys_lint import run_cache
from mlsys_lint.files import TEMP_SUFFIX
from mlsys_lint.glossary_files import entries_as_data, parse_glossary
from mlsys_lint.reading import decode
from mlsys_lint.registry import load_rules, select_rules
from mlsys_lint.serialize import InvalidData, document_from_data, document_to_data

EXAMPLE_BOOK = Path(__file__).resolve().parents[1] / "examples" / "book"
KEY = "0123456789abcdef" * 4
UNSTORED = 1
"""Files of the example book never stored: its UTF-16 appendix (MSL001) is never parsed."""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example book, with its cache in `<copy>/.mlsys-lint-cache` and a known key."""
    root = tmp_path / "book"
    shutil.copytree(EXAMPLE_BOOK, root, ignore=shutil.ignore_patterns(".mlsys-lint-cache"))  # a local run leaves one
    monkeypatch.delenv("MLSYS_LINT_CACHE_DIR", raising=False)
    monkeypatch.setenv(cache_module.KEY_ENVIRONMENT, KEY)
    monkeypatch.setattr(run_cache, "locate", lambda *args: None)  # the parse cache alone (see test_run_cache)
    cache_module.secret_key.cache_clear()
    yield root
    cache_module.secret_key.cache_clear()


def run(root: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", *extra])
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, json.dumps(report.get("diagnostics")), result.stderr


def entries(root: Path) -> list[Path]:
    folder = root / ".mlsys-lint-cache" / code_fingerprint()
    return sorted(path for path in folder.glob("*/*") if not path.name.startswith(".")
                  and not path.read_bytes().partition(b"\n")[2].startswith(b'{"journal"'))  # a whole run's


def documents(root: Path) -> list[Path]:
    """The entries holding a parsed document (a JSON object of the document format); the others hold facts of one file."""
    return [path for path in entries(root) if path.read_bytes().partition(b"\n")[2].startswith(b'{"format":')]


def sign(name: str, payload: bytes, key: str = KEY) -> bytes:
    signature = hmac.new(key.encode(), name.encode() + b"\n" + payload, hashlib.sha256).hexdigest()
    return b"mlsys-lint-cache %d %s\n" % (cache_module.FORMAT, signature.encode()) + payload


def verbose_counts(stderr: str) -> tuple[int, int, int]:
    line = next(line for line in stderr.splitlines() if "parse cache" in line)
    hits, misses, rejected = (int(word) for word in line.replace(",", "").split() if word.isdigit())
    return hits, misses, rejected


@pytest.fixture
def cold(project: Path) -> str:
    code, findings, _ = run(project, "--no-cache")
    assert code == 1 and findings != "null"
    assert not (project / ".mlsys-lint-cache").exists()
    return findings


class Exploit:
    """A pickle that writes a file when it is loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_warm_run_equals_cold_run_and_hits(project: Path, cold: str) -> None:
    code, findings, stderr = run(project, "-v")
    assert (code, findings) == (1, cold)
    assert verbose_counts(stderr)[0] == 0
    code, findings, stderr = run(project, "-v")
    assert (code, findings) == (1, cold)
    hits, misses, rejected = verbose_counts(stderr)
    assert hits == len(entries(project)) > 5 and rejected == 0 and misses == UNSTORED


@pytest.mark.parametrize("first", [["--jobs", "2"], ["--jobs", "1"]])
def test_facts_are_found_again_whichever_way_the_documents_were_parsed(project: Path, cold: str,
                                                                     first: list[str]) -> None:
    """A file's facts are named after the digest of its bytes, whether its document was parsed
    here, in a worker process (`--jobs 2`) or read back from the cache: every later run finds
    each of them."""
    run(project, *first)
    stored = len(entries(project))
    for _ in range(2):
        code, findings, stderr = run(project, "-v", "--jobs", "1")
        assert (code, findings) == (1, cold)
        assert verbose_counts(stderr) == (stored, UNSTORED, 0)
        assert len(entries(project)) == stored


def test_planted_pickles_run_nothing(project: Path, cold: str, tmp_path: Path) -> None:
    run(project)
    marker = tmp_path / "pwned"
    planted = pickle.dumps(Exploit(marker))
    for entry in entries(project):
        entry.write_bytes(planted)
    code, findings, stderr = run(project, "-v")
    assert not marker.exists()
    assert (code, findings) == (1, cold)
    assert verbose_counts(stderr)[2] == len(entries(project))
    assert stderr.count("\n") == 1  # one --verbose line, no warning about the planted entries


def test_planted_pickle_with_a_valid_header_runs_nothing(project: Path, cold: str, tmp_path: Path) -> None:
    run(project)
    marker = tmp_path / "pwned"
    for entry in entries(project):
        entry.write_bytes(sign(entry.name, pickle.dumps(Exploit(marker))))
    code, findings, stderr = run(project, "-v")
    assert not marker.exists()
    assert (code, findings) == (1, cold)
    assert verbose_counts(stderr)[2] == len(entries(project))


def test_entries_signed_with_another_key_are_misses(project: Path, cold: str, monkeypatch) -> None:
    """An entry planted in the repository or restored from another machine is not trusted."""
    run(project)
    for entry in documents(project):  # a forged "empty document" for every file
        payload = entry.read_bytes().partition(b"\n")[2]
        data = orjson.loads(payload)
        data.update({name: None for name in data if name != "format"})
        entry.write_bytes(sign(entry.name, orjson.dumps(data), key="f" * 64))
    code, findings, stderr = run(project, "-v")
    assert (code, findings) == (1, cold)
    assert verbose_counts(stderr)[2] == len(documents(project))


@pytest.mark.parametrize("damage", [
    "empty", "truncated", "header-only", "other-format", "not-json", "json-list", "wrong-shape",
    "wrong-type", "column-length", "hidden-outside", "extra-key", "deep-nesting",
])
def test_damaged_or_malformed_entries_are_misses(project: Path, cold: str, damage: str) -> None:
    run(project)
    for entry in documents(project):
        raw = entry.read_bytes()
        payload = raw.partition(b"\n")[2]
        data = orjson.loads(payload)
        if damage == "empty":
            new = b""
        elif damage == "truncated":
            new = raw[: len(raw) // 2]
        elif damage == "header-only":
            new = raw.partition(b"\n")[0] + b"\n"
        elif damage == "other-format":
            new = raw.replace(b"mlsys-lint-cache %d " % cache_module.FORMAT, b"mlsys-lint-cache 999 ", 1)
        elif damage == "not-json":
            new = sign(entry.name, b"{not json")
        elif damage == "json-list":
            new = sign(entry.name, b"[1, 2, 3]")
        elif damage == "wrong-shape":
            data["prose"] = {"start": [1]}
            new = sign(entry.name, orjson.dumps(data))
        elif damage == "wrong-type":
            data["block_starts"] = [[1], ["not a number"]]
            new = sign(entry.name, orjson.dumps(data))
        elif damage == "column-length":
            data["prose"] = [[1], [[0, 1], [1], ["paragraph"], [0]]]
            new = sign(entry.name, orjson.dumps(data))
        elif damage == "hidden-outside":  # a hidden range past the end of the text
            data["_hidden"] = [[1], [[0], [10**9]]]
            new = sign(entry.name, orjson.dumps(data))
        elif damage == "extra-key":
            data["surprise"] = 1
            new = sign(entry.name, orjson.dumps(data))
        else:
            new = sign(entry.name, b"[" * 100_000 + b"]" * 100_000)
        entry.write_bytes(new)
    code, findings, stderr = run(project, "-v")
    assert (code, findings) == (1, cold)
    hits, misses, rejected = verbose_counts(stderr)
    assert hits == len(entries(project)) - len(documents(project))  # the facts of unchanged files still hold
    assert misses + rejected == len(documents(project)) + UNSTORED
    assert "Traceback" not in stderr
    code, findings, stderr = run(project, "-v")  # rewritten, good again
    assert (code, findings, verbose_counts(stderr)[0]) == (1, cold, len(entries(project)))


def test_huge_entry_is_not_read(project: Path, cold: str) -> None:
    run(project)
    for entry in entries(project):
        with open(entry, "r+b") as handle:
            handle.truncate(8 * 1024 ** 3)  # sparse: 8 GB that would take a while to read
    code, findings, stderr = run(project, "-v")
    assert (code, findings) == (1, cold)
    assert verbose_counts(stderr)[1] == len(entries(project)) + UNSTORED


def test_symlinked_entries_and_folders_are_not_followed(project: Path, cold: str, tmp_path: Path) -> None:
    run(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first, *others = entries(project)
    good = elsewhere / "good"
    shutil.copy(first, good)
    first.unlink()
    first.symlink_to(good)  # a valid entry, reached through a link
    for entry in others:
        entry.unlink()
        entry.symlink_to("/dev/zero")
    code, findings, stderr = run(project, "-v")
    assert (code, findings) == (1, cold)
    assert verbose_counts(stderr)[0] == 0


def test_symlinked_cache_folder_is_not_used(project: Path, cold: str, tmp_path: Path) -> None:
    target = tmp_path / "somewhere-else"
    target.mkdir()
    (project / ".mlsys-lint-cache").symlink_to(target)
    for _ in range(2):
        code, findings, stderr = run(project, "-v")
        assert (code, findings) == (1, cold)
        assert "not usable" in stderr
    assert list(target.iterdir()) == []


def test_cache_folder_is_marked_and_ignored_by_git(project: Path, tmp_path: Path) -> None:
    run(project)
    folder = project / ".mlsys-lint-cache"
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    existing = tmp_path / "existing"
    existing.mkdir()
    run(project, "--cache-dir", str(existing))
    assert not (existing / ".gitignore").exists()  # a folder we did not make is not ours to mark
    assert any(existing.glob(f"{code_fingerprint()}/*/*"))


def test_cache_dir_option_setting_and_no_cache(project: Path, tmp_path: Path, monkeypatch) -> None:
    run(project, "--cache-dir", str(tmp_path / "option"))
    assert any((tmp_path / "option").glob("*/*/*"))
    (project / ".mlsys-lint.yml").write_text("cache-dir: ../from-setting\n")
    run(project)
    assert any((project.parent / "from-setting").glob("*/*/*"))
    monkeypatch.setenv("MLSYS_LINT_CACHE_DIR", str(tmp_path / "from-env"))
    run(project)
    assert any((tmp_path / "from-env").glob("*/*/*"))  # the environment wins over the setting
    shutil.rmtree(tmp_path / "from-env")
    run(project, "--no-cache")
    assert not (tmp_path / "from-env").exists()
    assert not (project / ".mlsys-lint-cache").exists()


def test_cache_dir_setting_must_be_a_path(project: Path) -> None:
    (project / ".mlsys-lint.yml").write_text("cache-dir: [a, b]\n")
    result = CliRunner().invoke(main, ["check", str(project)])
    assert result.exit_code == 2
    assert "cache-dir" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_no_key_means_no_cache(project: Path, cold: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(cache_module.KEY_ENVIRONMENT)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # nowhere to keep a key
    cache_module.secret_key.cache_clear()
    code, findings, stderr = run(project, "-v")
    assert (code, findings) == (1, cold)
    assert "not usable" in stderr and not entries(project)


def test_key_is_private_and_kept(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(cache_module.KEY_ENVIRONMENT, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache_module.secret_key.cache_clear()
    first = cache_module.secret_key()
    key_file = tmp_path / "mlsys-lint" / "cache-key"
    assert first is not None and len(first) == 64
    assert key_file.stat().st_mode & 0o077 == 0
    cache_module.secret_key.cache_clear()
    assert cache_module.secret_key() == first
    key_file.chmod(0o666)  # writable by others: not trusted
    cache_module.secret_key.cache_clear()
    assert cache_module.secret_key() is None
    cache_module.secret_key.cache_clear()


def test_two_concurrent_runs(project: Path, cold: str) -> None:
    env = {**os.environ, cache_module.KEY_ENVIRONMENT: KEY}
    env.pop("MLSYS_LINT_CACHE_DIR", None)
    command = [sys.executable, "-m", "mlsys_lint", "check", str(project), "--format", "json"]
    for _ in range(3):
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
        outputs = [process.communicate(timeout=120) for process in runs]
        for process, (out, err) in zip(runs, outputs):
            assert process.returncode == 1, err
            assert json.dumps(json.loads(out)["diagnostics"]) == cold
    code, findings, stderr = run(project, "-v")
    assert (code, findings) == (1, cold)
    assert verbose_counts(stderr) == (len(entries(project)), UNSTORED, 0)
    assert not list((project / ".mlsys-lint-cache").rglob(f"*{TEMP_SUFFIX}"))


def test_code_fingerprint_covers_every_module(tmp_path: Path) -> None:
    package = tmp_path / "package"
    (package / "deep").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "deep" / "reading.py").write_text("B = 1\n")
    before = source_fingerprint("1", [package])
    (package / "deep" / "reading.py").write_text("B = 2\n")
    assert source_fingerprint("1", [package]) != before
    assert source_fingerprint("2", [package]) != source_fingerprint("1", [package])


def _same_document(a: Document, b: Document) -> bool:
    """Every attribute equal (elements compare their `Source` by identity: give both the same)."""
    return {k: v for k, v in vars(a).items() if k not in ("_hidden", "_masked")} == \
        {k: v for k, v in vars(b).items() if k not in ("_hidden", "_masked")} and a.masked == b.masked


def _corpus_files() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.rglob("*") if p.suffix.lower() in (".qmd", ".md", ".rmd") and p.is_file())


@pytest.mark.skipif(not _corpus_files(), reason="real corpora not available")
def test_every_corpus_document_round_trips() -> None:
    """decode(encode(document)) is the same document, for every file of the shared corpora."""
    stored = 0
    for path in _corpus_files():
        data = path.read_bytes()
        try:
            source = decode(data, str(path))
        except Exception:
            continue
        document = parse(source)
        payload = encode_document(document)
        assert payload is not None, path
        again = document_from_data(orjson.loads(payload), source)
        assert _same_document(document, again), path
        stored += 1
    assert stored > 2000


def test_yaml_values_round_trip() -> None:
    text = ("---\ntitle: T\n1: one\nnan: .nan\ninf: -.inf\nbin: !!binary aGVsbG8=\nset: !!set {a, b}\n"
            "nested: {a: [1, 2.5, null, true]}\n\"\\0\": tag-like key\n---\n\n"
            "```{r}\n#| fig-cap: !expr paste('a', 'b')\n#| fig-width: 4\nplot(1)\n```\n")
    source = decode(text.encode(), "x.qmd")
    document = parse(source)
    again = document_from_data(orjson.loads(encode_document(document)), source)
    assert again.front_matter.pop("set") == document.front_matter.pop("set") == {"a", "b"}  # a set prints in hash order
    assert repr(again.front_matter) == repr(document.front_matter)  # NaN and the rest, exactly
    assert again.cells[0].options == document.cells[0].options
    assert type(again.cells[0].options["fig-cap"]) is type(document.cells[0].options["fig-cap"])


def test_malformed_data_raises_invalid_data() -> None:
    source = decode(b"# A {#sec-a}\n\nSee @sec-a.\n", "x.qmd")
    good = document_to_data(parse(source))
    assert document_from_data(good, source).references[0].key == "sec-a"
    for broken in ([], {"format": 0}, {**good, "format": 999}, {**good, "references": [[1], [["x"]]]},
                   {**good, "headings": "text"}, {**good, "front_matter": [{"\x00": "nope", "v": 1}]}):
        with pytest.raises(InvalidData):
            document_from_data(broken, source)


def test_documents_cache_directly(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(cache_module.KEY_ENVIRONMENT, KEY)
    cache_module.secret_key.cache_clear()
    cache = DocumentCache(tmp_path / "cache")
    data = b"# A {#sec-a}\n\nSee @sec-a and @fig-x.\n"
    document = parse(decode(data, "x.qmd"))
    assert cache.load("x.qmd", data) is None
    cache.store("x.qmd", data, document)
    assert document_to_data(cache.load("x.qmd", data)) == document_to_data(document)
    assert cache.load("y.qmd", data) is None  # the path is part of the key
    assert cache.load("x.qmd", data + b"\n") is None  # and so is the content
    cache_module.secret_key.cache_clear()


def test_no_object_constructing_format_in_the_product() -> None:
    """No pickle, marshal, shelve, eval/exec or unsafe YAML loader anywhere in the product."""
    import ast

    root = Path(__file__).resolve().parents[1]
    forbidden_modules = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "jsonpickle"}
    forbidden_names = {"eval", "exec"}
    unsafe_yaml = {"unsafe_load", "full_load", "load_all", "unsafe_load_all", "UnsafeLoader", "FullLoader", "Loader"}
    problems = []
    for path in sorted([*root.joinpath("mlsys_lint").rglob("*.py"), *root.joinpath("rules").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                problems += [f"{path.name}: import {a.name}" for a in node.names if a.name.split(".")[0] in forbidden_modules]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in forbidden_modules:
                problems.append(f"{path.name}: from {node.module}")
            elif isinstance(node, ast.Name) and node.id in forbidden_names:
                problems.append(f"{path.name}:{node.lineno}: {node.id}")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "yaml" \
                    and node.attr in unsafe_yaml:
                problems.append(f"{path.name}:{node.lineno}: yaml.{node.attr}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "yaml":
                loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
                if not (isinstance(loader, ast.Name) and loader.id == "_Loader"):  # cells._Loader: CSafeLoader-based
                    problems.append(f"{path.name}:{node.lineno}: yaml.load without the safe loader")
    assert problems == []


def test_planted_entries_in_a_real_corpus_book(tmp_path: Path, monkeypatch) -> None:
    """The same on a real book: every entry replaced by a pickle, the findings unchanged."""
    source = CORPORA / "mlsysbook-sample"
    if not source.is_dir():
        pytest.skip("real corpora not available")
    root = tmp_path / "mlsysbook"
    shutil.copytree(source, root)
    monkeypatch.delenv("MLSYS_LINT_CACHE_DIR", raising=False)
    monkeypatch.setenv(cache_module.KEY_ENVIRONMENT, KEY)
    monkeypatch.setattr(run_cache, "locate", lambda *args: None)  # the parse cache alone (see test_run_cache)
    cache_module.secret_key.cache_clear()
    _, cold, _ = run(root, "--no-cache")
    run(root)
    marker = tmp_path / "pwned"
    for entry in entries(root):
        entry.write_bytes(pickle.dumps(Exploit(marker)))
    _, warm, _ = run(root)
    assert warm == cold and not marker.exists()
    cache_module.secret_key.cache_clear()


def test_book_fixture_cache_hits_equal_cold(tmp_path: Path, monkeypatch) -> None:
    root = book(tmp_path, {"index.qmd": "# Intro\n\n![Cap](a.png){#fig-a}\n\nSee @fig-a and @fig-b.\n"})
    monkeypatch.delenv("MLSYS_LINT_CACHE_DIR", raising=False)
    monkeypatch.setenv(cache_module.KEY_ENVIRONMENT, KEY)
    monkeypatch.setattr(run_cache, "locate", lambda *args: None)  # the parse cache alone (see test_run_cache)
    cache_module.secret_key.cache_clear()
    cold = run(root, "--no-cache")[:2]
    assert run(root)[:2] == cold == run(root)[:2]
    cache_module.secret_key.cache_clear()


def facts(root: Path) -> list[Path]:
    return [path for path in entries(root) if path not in documents(root)]


_TERM_DAMAGE = {
    "not-a-dict": lambda data: [data],
    "missing-column": lambda data: {name: column for name, column in data.items() if name != "bold"},
    "short-column": lambda data: {**data, "end": data["end"][:-1]},
    "prose-out-of-range": lambda data: {**data, "prose": [10**6, *data["prose"][1:]]},
    "entry-out-of-range": lambda data: {**data, "entry": [10**6, *data["entry"][1:]]},
    "string-out-of-range": lambda data: {**data, "stem": [len(data["strings"]), *data["stem"][1:]]},
    "negative-index": lambda data: {**data, "entry": [-1, *data["entry"][1:]]},
    "offsets-reversed": lambda data: {**data, "start": [50, *data["start"][1:]], "end": [10, *data["end"][1:]]},
    "index-as-string": lambda data: {**data, "text": ["x", *data["text"][1:]]},
    "bool-as-int": lambda data: {**data, "auto": [1, *data["auto"][1:]]},
    "int-as-bool": lambda data: {**data, "start": [True, *data["start"][1:]]},
    "not-a-string": lambda data: {**data, "strings": [7, *data["strings"][1:]]},
}


@pytest.mark.parametrize("damage", [None, *_TERM_DAMAGE])
def test_damaged_term_facts_are_rejected(project: Path, cold: str, damage: str | None) -> None:
    """The glossary matches of a file, kept beside its document by column, are data checked
    like it (`None`: the same data signed again is taken, so the damage is what is rejected)."""
    run(project)
    kept = [(entry, data) for entry in facts(project)
            if type(data := orjson.loads(entry.read_bytes().partition(b"\n")[2])) is dict and data.get("start")]
    assert kept, "the example book's glossary matches are cached"
    for entry, data in kept:
        entry.write_bytes(sign(entry.name, orjson.dumps(_TERM_DAMAGE[damage](data) if damage else data)))
    code, findings, stderr = run(project, "-v")
    assert (code, findings) == (1, cold)
    assert verbose_counts(stderr)[2] == (len(kept) if damage else 0)
    assert "Traceback" not in stderr


def test_a_changed_glossary_is_never_answered_from_old_matches(project: Path) -> None:
    run(project)
    glossary = project / "glossary.yml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "profiling: |\n  Measuring where time goes.\n",
                        encoding="utf-8")
    warm = run(project)[:2]
    assert warm == run(project, "--no-cache")[:2]
    assert "profiling" in warm[1]


def concise(root: Path, *extra: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "mlsys_lint", "check", "--format", "concise", ".", *extra],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def test_output_is_byte_identical_across_jobs_and_cache(project: Path) -> None:
    """One process or a pool, no cache, a cold cache or a warm one: the same bytes."""
    one = concise(project, "--no-cache", "--jobs", "1")
    assert one.count("\n") > 40
    assert concise(project, "--no-cache", "--jobs", "2") == one
    assert concise(project, "--jobs", "2") == one  # cold cache, written by the pool
    assert facts(project) and concise(project) == one  # warm: documents and glossary matches from the cache


def test_a_pool_run_keeps_no_bytes_of_the_files_it_parsed(project: Path) -> None:
    """The bytes read ahead for the worker processes go once their documents are back (at
    ten times the MLSysBook they were 70 MB held to the end of the run)."""
    settings = resolve_settings([project], None)
    engine = Engine(settings, select_rules(load_rules(), settings), base=project, jobs=2)
    result = engine.run([project])
    assert len(result.files) > 5 and result.diagnostics
    assert engine.read_ahead == {}


@pytest.mark.parametrize("damage", [["a", "list"], {"hadoop": {"Hadoop": "many"}}, {"hadoop": ["Hadoop"]}])
def test_damaged_word_case_facts_are_rejected(tmp_path: Path, monkeypatch, damage) -> None:
    """How a file writes a word (GLS005's suggestion "Hadoop distributed file system") is
    kept per file and checked like any data read back."""
    glossary = json.dumps({"terms": [{"term": "hadoop distributed file system (hdfs)", "definition": "d"}]})
    root = book(tmp_path, {"a.qmd": "We store logs in HDFS.\n\nThe logs come from Apache Hadoop, which the team runs.\n"},
                extra={"a_glossary.json": glossary})
    _damaged_fact_is_rejected(root, monkeypatch, "Hadoop distributed file system (HDFS)", {"hadoop": {"Hadoop": 1}},
                              damage)


def _damaged_fact_is_rejected(root: Path, monkeypatch, shown: str, kept: object, damage: object) -> None:
    """Lint `root` cold (its findings show `shown`), then with the cache; the one entry holding
    `kept` is replaced by `damage`, signed: the next run rejects it and finds what the cold run found."""
    monkeypatch.delenv("MLSYS_LINT_CACHE_DIR", raising=False)
    monkeypatch.setenv(cache_module.KEY_ENVIRONMENT, KEY)
    monkeypatch.setattr(run_cache, "locate", lambda *args: None)
    cache_module.secret_key.cache_clear()
    cold = run(root, "--no-cache")[:2]
    assert shown in cold[1]
    run(root)
    found = [entry for entry in entries(root) if orjson.loads(entry.read_bytes().partition(b"\n")[2]) == kept]
    assert len(found) == 1
    found[0].write_bytes(sign(found[0].name, orjson.dumps(damage)))
    code, findings, stderr = run(root, "-v")
    assert (code, findings) == cold
    assert verbose_counts(stderr)[2] == 1
    cache_module.secret_key.cache_clear()


def _age(path: Path, days: float) -> None:
    moment = time.time() - days * 24 * 3600
    os.utime(path, (moment, moment))


def _last_sweep_hours_ago(project: Path, hours: float) -> None:
    _age(project / ".mlsys-lint-cache" / cache_module.SWEEP_STAMP, hours / 24)


def test_entries_unused_for_two_weeks_are_swept_after_a_run_that_writes(project: Path, cold: str) -> None:
    run(project)
    _last_sweep_hours_ago(project, 2)
    for entry in entries(project):
        _age(entry, 30)  # read again by the next run: used, so kept
    folder = project / ".mlsys-lint-cache" / code_fingerprint()
    stale = [folder / "ab" / ("ab" + "0" * 62), folder / "cd" / ("cd" + "1" * 62)]
    old_version = project / ".mlsys-lint-cache" / ("0" * 16) / "ef" / ("ef" + "2" * 62)
    for path in [*stale, old_version]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"an entry of an old file")
        _age(path, 15)
    recent = folder / "ab" / ("ab" + "3" * 62)
    recent.write_bytes(b"another branch's file")
    _age(recent, 1)
    chapter = project / "introduction.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    code, findings, _ = run(project)
    assert code == 1
    assert not any(path.exists() for path in [*stale, old_version])
    assert recent.exists()
    assert (project / ".mlsys-lint-cache" / "CACHEDIR.TAG").exists()
    _, again, stderr = run(project, "-v")  # nothing the book needs was swept
    assert again == findings
    hits, misses, rejected = verbose_counts(stderr)
    assert (misses, rejected) == (UNSTORED, 0) and hits > 5


def test_unused_entries_beyond_the_budget_go_oldest_first() -> None:
    now, day = 1_000_000_000.0, 24 * 3600.0
    unused = [(now - 20 * day, 10, Path("old")), (now - 3 * day, 400, Path("c")), (now - 1 * day, 500, Path("b")),
              (now - 2 * day, 300, Path("d")), (now - 0.5 * day, 200, Path("a"))]
    assert cache_module.expired(unused, now, budget=1000) == [Path("c"), Path("old")]
    assert cache_module.expired(unused, now, budget=900) == [Path("d"), Path("c"), Path("old")]
    assert cache_module.expired(unused, now, budget=10_000) == [Path("old")]
    assert cache_module.expired([], now, budget=0) == []


def test_the_sweep_never_follows_a_link_out_of_the_cache(project: Path, cold: str, tmp_path: Path) -> None:
    run(project)
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / ("ab" + "4" * 62)
    victim.write_text("not the cache's")
    _age(victim, 40)
    folder = project / ".mlsys-lint-cache" / code_fingerprint()
    (folder / "ab").mkdir(exist_ok=True)
    (folder / "ab" / ("ab" + "5" * 62)).symlink_to(victim)
    shard = next(folder / f"{n:02x}" for n in range(256) if not (folder / f"{n:02x}").exists())
    shard.symlink_to(outside, target_is_directory=True)  # a shard the run did not make (names are hashes)
    chapter = project / "introduction.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    stale = folder / "ab" / ("ab" + "6" * 62)
    stale.write_bytes(b"an entry of an old file")
    _age(stale, 15)
    _last_sweep_hours_ago(project, 2)
    run(project)
    assert victim.read_text() == "not the cache's"
    assert not stale.exists()  # the sweep did run


def test_a_run_sweeps_at_most_once_an_hour(project: Path, cold: str) -> None:
    """Listing a large cache costs every run that writes; a sweep an hour is enough."""
    run(project)
    stale = project / ".mlsys-lint-cache" / code_fingerprint() / "ab" / ("ab" + "6" * 62)
    chapter = project / "introduction.qmd"

    def edit_and_run(stale_days: float) -> None:
        stale.parent.mkdir(parents=True, exist_ok=True)
        stale.write_bytes(b"an entry of an old file")
        _age(stale, stale_days)
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        assert run(project)[0] == 1

    edit_and_run(15)
    assert stale.exists()  # swept by the first run, 59 minutes ago at most
    _last_sweep_hours_ago(project, 0.9)
    edit_and_run(15)
    assert stale.exists()
    _last_sweep_hours_ago(project, 1.1)
    edit_and_run(15)
    assert not stale.exists()
    _age(project / ".mlsys-lint-cache" / cache_module.SWEEP_STAMP, -1)  # a stamp from tomorrow: the clock moved
    edit_and_run(15)
    assert not stale.exists()


@pytest.mark.parametrize("damage", [{"rows": 1}, [[5, 2, "fig"]], [[0, 10**9, "fig"]], [[0, 3, "figure"]], [[0, 3]]])
def test_damaged_hard_coded_number_facts_are_rejected(tmp_path: Path, monkeypatch, damage) -> None:
    """XR004's numbers typed by hand are kept per file and checked like any data read back."""
    root = book(tmp_path, {"a.qmd": "# A {#sec-a}\n\n![Cap](a.png){#fig-a}\n\nAs Figure 1.1 shows, @fig-a.\n"})
    _damaged_fact_is_rejected(root, monkeypatch, "hard-coded", [[40, 50, "fig"]], damage)


@pytest.mark.parametrize("damage", [["not", "entries"], [[1] * 13]])
def test_damaged_glossary_entries_are_rejected(tmp_path: Path, monkeypatch, damage) -> None:
    """A glossary file's parsed entries are kept per file and checked like any data read back."""
    glossary = json.dumps({"terms": [{"term": "hadoop distributed file system (hdfs)", "definition": "d"}]})
    root = book(tmp_path, {"a.qmd": "We store logs in HDFS.\n\nThe logs come from Apache Hadoop, which the team runs.\n"},
                extra={"a_glossary.json": glossary})
    kept = entries_as_data(parse_glossary(glossary, str(root / "a_glossary.json")))
    _damaged_fact_is_rejected(root, monkeypatch, "Hadoop distributed file system (HDFS)", kept, damage)


def test_a_check_of_one_changed_chapter_never_counts_the_lines_of_the_others(tmp_path: Path, monkeypatch) -> None:
    """The chapters a pre-commit run reads back from the cache serve their labels and
    citations without their line starts being counted: only what is reported needs positions."""
    from mlsys_lint.model import Source

    monkeypatch.setenv(cache_module.KEY_ENVIRONMENT, KEY)
    monkeypatch.setenv("MLSYS_LINT_CACHE_DIR", str(tmp_path / "cache"))
    cache_module.secret_key.cache_clear()
    figure = '![A roofline.](roofline.png){#fig-roofline fig-alt="Throughput against intensity."}\n\n'
    root = book(tmp_path / "book", {
        "index.qmd": "# Preface {#sec-preface}\n\nSee @fig-roofline [@williams2009].\n\n" + figure,
        "memory.qmd": "# Memory {#sec-memory}\n\nAs @sec-preface and @fig-roofline show [@williams2009].\n",
    }, extra={"references.bib": "@article{williams2009,\n  title = {Roofline},\n}\n", "roofline.png": ""},
        config="project:\n  type: book\nbook:\n  chapters: [index.qmd, memory.qmd]\nbibliography: references.bib\n")
    assert run(root)[0] == 0
    edited = root / "memory.qmd"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nSee @fig-nothing.\n", encoding="utf-8")
    counted: list[str] = []
    original = Source.__getattr__

    def counting(self: Source, name: str):
        if name == "_line_starts":
            counted.append(Path(self.path).name)
        return original(self, name)

    monkeypatch.setattr(Source, "__getattr__", counting)
    code, findings, _ = run(edited)
    assert (code, [d["code"] for d in json.loads(findings)]) == (1, ["XR001"])
    assert counted == ["memory.qmd"]
    cache_module.secret_key.cache_clear()
