"""A YAML configuration read before is answered from the user's cache folder.

A check answered from the run cache would otherwise import PyYAML (some 14 ms) only to
read a `.mlsys-lint.yml` whose bytes have not changed.  What is kept is data like the
parse cache's: signed with the user's key, read back only for the very same bytes, and
anything else there is parsed again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from mlsys_lint import cache as cache_module
from mlsys_lint import config as config_module
from mlsys_lint.cache import code_fingerprint
from mlsys_lint.cli import main
from mlsys_lint.config import ConfigError, read_config_file

KEY = "fedcba9876543210" * 4
CONFIG = "select: [FIG, XR]\nglossary:\n  sources: [glossary.yml]\nrules:\n  FIG002:\n    share: 0.5\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user cache folder of the test's own, with a known key."""
    folder = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    monkeypatch.setenv(cache_module.KEY_ENVIRONMENT, KEY)
    cache_module.secret_key.cache_clear()
    yield folder
    cache_module.secret_key.cache_clear()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "book" / ".mlsys-lint.yml"
    path.parent.mkdir()
    path.write_text(CONFIG, encoding="utf-8")
    return path


def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every YAML parse from now on, recorded."""
    calls: list[Path] = []
    real = config_module._load_yaml

    def load(path: Path, text: str):
        calls.append(path)
        return real(path, text)

    monkeypatch.setattr(config_module, "_load_yaml", load)
    return calls


def entries(home: Path) -> list[Path]:
    folder = home / "mlsys-lint" / "settings"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def sign(name: str, payload: bytes, key: str = KEY) -> bytes:
    signature = hmac.new(key.encode(), name.encode() + b"\n" + payload, hashlib.sha256).hexdigest()
    return b"mlsys-lint-cache %d %s\n" % (cache_module.FORMAT, signature.encode()) + payload


def test_the_same_bytes_are_parsed_once(home: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = parses(monkeypatch)
    first = read_config_file(config, remember=True)
    assert first == {"select": ["FIG", "XR"], "glossary": {"sources": ["glossary.yml"]},
                     "rules": {"FIG002": {"share": 0.5}}}
    assert read_config_file(config, remember=True) == first
    assert calls == [config] and len(entries(home)) == 1


def test_new_bytes_are_parsed_again(home: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read_config_file(config, remember=True)
    config.write_text(CONFIG.replace("[FIG, XR]", "[FIG]"), encoding="utf-8")
    calls = parses(monkeypatch)
    assert read_config_file(config, remember=True)["select"] == ["FIG"]
    assert calls == [config] and len(entries(home)) == 1  # the file's one entry, replaced


def test_without_remember_nothing_is_kept_or_read(home: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read_config_file(config)
    assert entries(home) == []
    read_config_file(config, remember=True)
    calls = parses(monkeypatch)
    read_config_file(config)
    assert calls == [config]


def test_a_check_without_the_cache_keeps_no_settings(home: Path, config: Path) -> None:
    config.write_text("select: [FIG, XR]\n", encoding="utf-8")
    (config.parent / "index.qmd").write_text("# Index\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--no-cache", str(config.parent)])
    assert result.exit_code == 0, result.output
    assert entries(home) == []
    CliRunner().invoke(main, ["check", str(config.parent)])
    assert len(entries(home)) == 1


def _name(path: Path) -> str:
    return hashlib.sha256(f"settings\0{code_fingerprint()}\0{path.absolute()}".encode()).hexdigest()


@pytest.mark.parametrize("damage", ["foreign-signature", "other-bytes", "not-json", "wrong-shape", "link"])
def test_a_damaged_or_planted_entry_is_parsed_again(home: Path, config: Path, monkeypatch: pytest.MonkeyPatch,
                                                    damage: str) -> None:
    read_config_file(config, remember=True)
    [entry] = entries(home)
    assert entry.name == _name(config)
    planted = {"select": ["GLS"]}
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    if damage == "link":
        target = home / "elsewhere"
        target.write_bytes(sign(entry.name, orjson.dumps([digest, planted])))
        entry.unlink()
        entry.symlink_to(target)
    else:
        payload = {"foreign-signature": orjson.dumps([digest, planted]),
                   "other-bytes": orjson.dumps([hashlib.sha256(b"other").hexdigest(), planted]),
                   "not-json": b"[\"" + digest.encode() + b"\", {",
                   "wrong-shape": orjson.dumps({"digest": digest, "data": planted})}[damage]
        entry.write_bytes(sign(entry.name, payload, "0" * 64 if damage == "foreign-signature" else KEY))
    calls = parses(monkeypatch)
    assert read_config_file(config, remember=True)["select"] == ["FIG", "XR"]
    assert calls == [config]


def test_a_planted_entry_signed_with_our_key_is_what_would_be_read(home: Path, config: Path) -> None:
    """The control of the damage test: the same planting, done right, is taken (so each damage is what is refused)."""
    read_config_file(config, remember=True)
    [entry] = entries(home)
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    entry.write_bytes(sign(entry.name, orjson.dumps([digest, {"select": ["GLS"]}])))
    assert read_config_file(config, remember=True) == {"select": ["GLS"]}


@pytest.mark.parametrize("text, key", [("profile: [draft]\n5: a number as a key\n", 5),  # no JSON at all
                                       ("profile: [draft]\nshare: .inf\n", "share")])  # JSON null: not the same
def test_values_json_does_not_carry_are_not_kept(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 text: str, key) -> None:
    path = tmp_path / ".mlsys-lint.yml"
    path.write_text(text, encoding="utf-8")
    calls = parses(monkeypatch)
    first = read_config_file(path, remember=True)
    assert read_config_file(path, remember=True)[key] == first[key] is not None
    assert calls == [path, path] and entries(home) == []


def test_invalid_yaml_is_never_kept(home: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config.write_text("select: [FIG\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError):
            read_config_file(config, remember=True)
    assert entries(home) == []


def test_no_key_no_memory(home: Path, tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # no key can be made there
    monkeypatch.delenv(cache_module.KEY_ENVIRONMENT)
    cache_module.secret_key.cache_clear()
    calls = parses(monkeypatch)
    read_config_file(config, remember=True)
    read_config_file(config, remember=True)
    assert calls == [config, config] and cache_module.secret_key() is None


def test_entries_stay_private(home: Path, config: Path) -> None:
    read_config_file(config, remember=True)
    [entry] = entries(home)
    assert os.stat(entry.parent).st_mode & 0o077 == 0
