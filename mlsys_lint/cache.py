"""The parse cache: parsed documents kept as signed, validated plain data.

One entry per file, named by a hash of the cache format, the tool version, the code
of the installed package, the file's path and its bytes.  An entry is a header line
with an HMAC-SHA256 of the rest, then the document as JSON (`mlsys_lint.serialize`).
The HMAC key never lives in the project: ``MLSYS_LINT_CACHE_KEY`` when set (a CI secret,
to share a cache between runs), otherwise a random key kept in the user's cache folder
(``$XDG_CACHE_HOME/mlsys-lint/cache-key``).  So an entry someone planted in a
repository, or restored from another machine's cache, is a miss like any entry that is
not a regular file, too large, truncated, malformed or of another shape: the file is
parsed again and the findings are those of a cold run.  Nothing read from the cache
can construct an object other than the model's own plain dataclasses.

The folder is ``.mlsys-lint-cache/`` at the project root (``--cache-dir``,
``MLSYS_LINT_CACHE_DIR`` or the ``cache-dir`` setting choose another); when mlsys-lint
creates it, it adds a ``.gitignore`` and a ``CACHEDIR.TAG``.  Writes go through a
temporary file and a rename, so concurrent runs never see half an entry.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import time
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import orjson

from mlsys_lint import __version__
from mlsys_lint.files import write_atomic

if TYPE_CHECKING:
    from mlsys_lint.document import Document

FORMAT = 1
"""The shape of an entry's header; the document encoding has its own (`mlsys_lint.serialize`),
imported only when a document is read or kept (a run answered whole needs neither)."""
KEEP_UNUSED_SECONDS = 14 * 24 * 3600
"""An entry no run has read or written for this long is removed (an old version of a file,
another branch's, an older mlsys-lint's)."""
KEEP_UNUSED_BYTES = 64 * 1024 * 1024
"""Entries a run did not use are kept up to this size, or four times what the run used if
more (newest first), so that switching branches stays warm but the folder stays bounded."""
SWEEP_EVERY_SECONDS = 3600
"""A run sweeps the folder only when no run has for this long (listing a cache of a thousand
entries costs a pre-commit run some 30 ms; an hour's stale entries cost nothing)."""
SWEEP_STAMP = "swept"
"""The file in the cache folder whose modification time says when a run last swept."""
CACHE_DIR_NAME = ".mlsys-lint-cache"
KEY_ENVIRONMENT = "MLSYS_LINT_CACHE_KEY"
_MAGIC = b"mlsys-lint-cache"
_CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                 "# This file is a cache directory tag created by mlsys-lint.\n"
                 "# For information about cache directory tags see https://bford.info/cachedir/\n")
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the cache format, the tool version and every module of the installed package."""
    folders = []
    for package in ("mlsys_lint", "mlsys_lint_rules"):
        spec = find_spec(package)
        folders += [Path(folder) for folder in (spec.submodule_search_locations or [])] if spec else []
    return source_fingerprint(f"{FORMAT}\0{__version__}", folders)


def source_fingerprint(version: str, folders: list[Path]) -> str:
    """A hash of `version` and of the name and bytes of every ``.py`` file below `folders`."""
    digest = hashlib.sha256(version.encode())
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(b"unreadable")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def secret_key() -> bytes | None:
    """The key entries are signed with, or None when none can be had (no caching then)."""
    configured = os.environ.get(KEY_ENVIRONMENT)
    if configured:
        return configured.encode("utf-8", "surrogateescape")
    path = user_folder() / "cache-key"
    key = _read_key(path)
    if key is not None:
        return key
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY, 0o600)
    except FileExistsError:  # another run made it first
        return _read_key(path)
    except OSError:
        return None
    with os.fdopen(handle, "wb") as out:
        out.write(os.urandom(32).hex().encode("ascii"))
    return _read_key(path)


def user_folder() -> Path:
    """The user's own mlsys-lint folder, never a project's: the key, and what `remembered` keeps."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlsys-lint"


def remembered(kind: str, path: Path, source: bytes, compute: Callable[[], Any]) -> Any:
    """`compute()`: plain JSON data made from the bytes `source` of the file `path` alone,
    kept signed in the user's folder (one entry per file and `kind`) so that a later run
    given the same bytes reads it back instead (a run answered from the run cache then
    never imports the parser `compute` needs).  An entry of other bytes or of other code,
    not signed with our key, or not a regular file is computed again, and a value JSON does
    not carry exactly (a number as a key, an infinity) is never kept, nor an error `compute`
    raises."""
    key = secret_key()
    if key is None:
        return compute()
    digest = hashlib.sha256(source).hexdigest()
    name = hashlib.sha256(f"{kind}\0{code_fingerprint()}\0{path}".encode("utf-8", "surrogateescape")).hexdigest()
    entry = user_folder() / kind / name
    raw = _read_entry(entry, limit=1 << 20)
    payload = _payload(key, name, raw) if raw is not None else None
    if payload is not None:
        try:
            kept = orjson.loads(payload)
        except orjson.JSONDecodeError:
            kept = None
        if type(kept) is list and len(kept) == 2 and kept[0] == digest:
            return kept[1]
    value = compute()
    try:
        payload = orjson.dumps([digest, value])
        exact = orjson.loads(payload)[1] == value
    except (orjson.JSONEncodeError, TypeError):
        return value
    if exact:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(entry, _signed(key, name, payload), durable=False)
        except OSError:
            pass
    return value


def _signed(key: bytes, name: str, payload: bytes) -> bytes:
    """The entry `name` holding `payload`: a header line (format and HMAC), then the payload."""
    return b"%s %d %s\n" % (_MAGIC, FORMAT, _signature(key, name, payload)) + payload


def _payload(key: bytes, name: str, raw: bytes) -> bytes | None:
    """The payload of the entry `name` read as `raw`, if it is of this format and signed with `key`."""
    header, _, payload = raw.partition(b"\n")
    parts = header.split(b" ")
    if (len(parts) != 3 or parts[0] != _MAGIC or parts[1] != str(FORMAT).encode()
            or not hmac.compare_digest(parts[2], _signature(key, name, payload))):
        return None
    return payload


def _signature(key: bytes, name: str, payload: bytes) -> bytes:
    return hmac.new(key, name.encode("ascii") + b"\n" + payload, hashlib.sha256).hexdigest().encode("ascii")


def _read_key(path: Path) -> bytes | None:
    """The key in `path` if it is a private regular file of this user holding one."""
    try:
        handle = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_BINARY)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022:
            return None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None
        key = source.read(129).strip()
    return key if len(key) == 64 else None


def expired(unused: list[tuple[float, int, Path]], now: float, budget: int) -> list[Path]:
    """Of entries no run used since `now` (``(modification time, size, path)``), those to
    remove: unused for `KEEP_UNUSED_SECONDS`, and, newest kept first, those beyond `budget` bytes."""
    kept, gone = 0, []
    for mtime, size, entry in sorted(unused, key=lambda item: -item[0]):
        if mtime >= now - KEEP_UNUSED_SECONDS and kept + size <= budget:
            kept += size
        else:
            gone.append(entry)
    return gone


def _touch(path: Path) -> None:
    """Mark an entry as used now (its modification time), without following a link."""
    try:
        if os.utime in os.supports_follow_symlinks:
            os.utime(path, follow_symlinks=False)
        else:
            os.utime(path)
    except OSError:
        return


_HEX = frozenset("0123456789abcdef")


def _entries(root: Path):
    """Every entry file below `root` (``<version>/<shard>/<name>``: hex names, real folders
    and regular files only), with its `lstat`."""
    for version in _listing(root):
        if len(version.name) != 16 or not _HEX.issuperset(version.name) or not version.is_dir(follow_symlinks=False):
            continue
        for shard in _listing(Path(version.path)):
            if len(shard.name) != 2 or not _HEX.issuperset(shard.name) or not shard.is_dir(follow_symlinks=False):
                continue
            for entry in _listing(Path(shard.path)):
                if len(entry.name) != 64 or not _HEX.issuperset(entry.name):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode):
                    yield Path(entry.path), info


def _listing(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as found:
            return list(found)
    except OSError:
        return []


def _real_directory(path: Path) -> bool:
    """Whether `path` is a directory and not a symbolic link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


class DocumentCache:
    """Load and store parsed documents under one folder.

    `hits`, `misses` and `rejected` (entries present but not trusted or not valid) are
    counted for ``--verbose``.
    """

    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.root = folder
        self.folder = folder / code_fingerprint()
        self.key = secret_key()
        self.usable = self.key is not None and (not os.path.lexists(folder) or _real_directory(folder))
        """False without a key, or when the folder is a symbolic link (one a repository may plant)."""
        self.read_only = read_only
        """Entries are read (and marked used), never written: the language server reads what
        the command line wrote, and does not write a version of a chapter per edit."""
        self.hits = 0
        self.misses = 0
        self.rejected = 0
        self.written = 0
        self.started = time.time()
        """When this run began: an entry it read or wrote has a later modification time."""
        self._ready = False
        self._shards: dict[str, bool] = {}
        self._text_digests: dict[int, tuple[str, bytes]] = {}
        """Each file text's digest, by the text object (a run asks for several facts of a file);
        for the text of a document this cache read or wrote, that of its bytes (`_remember`)."""

    def _shard(self, name: str) -> Path | None:
        """The sub-folder of entry `name`, if it is a real directory (checked once per run)."""
        shard = self.folder / name[:2]
        if name[:2] not in self._shards:
            self._shards[name[:2]] = _real_directory(shard)
        return shard if self._shards[name[:2]] else None

    def _name(self, path: str, digest: bytes) -> str:
        """The entry of the document of `path` whose bytes have the SHA-256 `digest`."""
        return hashlib.sha256(path.encode("utf-8", "surrogateescape") + b"\0" + digest).hexdigest()

    def _remember(self, text: str, digest: bytes) -> None:
        """Name the facts of `text` after the `digest` of the bytes it was decoded from
        (`_text_digest`): hashing those costs less than encoding the text again."""
        self._text_digests[id(text)] = (text, b"bytes\0" + digest)

    def load(self, path: str, data: bytes) -> Document | None:
        """The cached document of `path` holding `data`, or None (a miss)."""
        digest = hashlib.sha256(data).digest()
        payload = self._read(self._name(path, digest), limit=max(1 << 20, 64 * len(data)))
        if payload is None:
            return None
        from mlsys_lint.reading import UnreadableFile, decode
        from mlsys_lint.serialize import InvalidData, document_from_data

        try:
            source = decode(data, path)
            document = document_from_data(orjson.loads(payload), source)
        except (orjson.JSONDecodeError, RecursionError, InvalidData, UnreadableFile):
            self.rejected += 1
            return None
        self._remember(source.text, digest)
        self.hits += 1
        return document

    def load_fact(self, path: str, text: str, fact: str, fingerprint: str, limit: int | None = None) -> Any:
        """What `store_fact` kept as `fact` of the file `path` holding `text`, computed with
        inputs whose hash is `fingerprint`, as plain JSON data; None on a miss.  Callers
        check the shape of what they get, as of any data (`reject` when it is wrong).  An
        entry larger than `limit` bytes (default: 64 bytes per character of `text`) is a miss."""
        payload = self._read(self._fact_name(path, text, fact, fingerprint),
                             limit=limit or max(1 << 20, 64 * len(text)))
        if payload is None:
            return None
        try:
            data = orjson.loads(payload)
        except (orjson.JSONDecodeError, RecursionError):
            self.rejected += 1
            return None
        self.hits += 1
        return data

    def reject(self) -> None:
        """Count an entry `load_fact` returned whose data the caller could not use."""
        self.hits -= 1
        self.rejected += 1

    def store_fact(self, path: str, text: str, fact: str, fingerprint: str, data: Any) -> None:
        """Keep `data` (plain JSON data) as `fact` of the file `path` holding `text`."""
        if self.read_only:
            return
        try:
            payload = orjson.dumps(data)
        except (orjson.JSONEncodeError, TypeError):
            return
        self._write(self._fact_name(path, text, fact, fingerprint), payload)

    def _fact_name(self, path: str, text: str, fact: str, fingerprint: str) -> str:
        head = f"{fact}\0{fingerprint}\0{path}\0".encode("utf-8", "surrogateescape")
        return hashlib.sha256(head + self._text_digest(text)).hexdigest()

    def _text_digest(self, text: str) -> bytes:
        kept = self._text_digests.get(id(text))
        if kept is None or kept[0] is not text:
            kept = (text, b"text\0" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
            self._text_digests[id(text)] = kept
        return kept[1]

    def _read(self, name: str, limit: int) -> bytes | None:
        """The payload of entry `name` when it is there, ours (signed with our key) and of this
        format; otherwise None, counted as a miss or a rejection."""
        shard = self._shard(name) if self.usable else None
        raw = _read_entry(shard / name, limit=limit) if shard is not None else None
        if raw is None:
            self.misses += 1
            return None
        assert self.key is not None
        payload = _payload(self.key, name, raw)
        if payload is None:
            self.rejected += 1
            return None
        _touch(shard / name)
        return payload

    def store(self, path: str, data: bytes, document: Document) -> None:
        """Keep `document` (parsed from `data`) for the next run; a failure only loses the entry."""
        if self.read_only:
            return
        payload = encode_document(document)
        if payload is not None:
            self.store_encoded(path, data, payload, document.source.text)

    def store_encoded(self, path: str, data: bytes, payload: bytes, text: str) -> None:
        """Keep a document already encoded by `encode_document`, whose text is `text`."""
        digest = hashlib.sha256(data).digest()
        self._remember(text, digest)
        self._write(self._name(path, digest), payload)

    def _write(self, name: str, payload: bytes) -> None:
        if self.read_only or not self.usable or not self.prepare():
            return
        try:
            (self.folder / name[:2]).mkdir(exist_ok=True)
            self._shards.pop(name[:2], None)
            shard = self._shard(name)
            if shard is None:
                return
            assert self.key is not None
            write_atomic(shard / name, _signed(self.key, name, payload), durable=False)
            self.written += 1
        except OSError:
            return

    def sweep(self) -> int:
        """After a run that wrote entries, at most once every `SWEEP_EVERY_SECONDS`, remove those no
        run has used for `KEEP_UNUSED_SECONDS`, then the oldest unused ones beyond
        `KEEP_UNUSED_BYTES` (or four times what this run used); under every version's folder,
        never through a symbolic link.  How many went."""
        if not self.written or not self.usable or not _real_directory(self.root):
            return 0
        if not self._sweep_due():
            return 0
        used, unused = 0, []
        for entry, info in _entries(self.root):
            if info.st_mtime >= self.started:
                used += info.st_size
            else:
                unused.append((info.st_mtime, info.st_size, entry))
        removed = 0
        for entry in expired(unused, self.started, max(KEEP_UNUSED_BYTES, 4 * used)):
            try:
                entry.unlink()
                removed += 1
            except OSError:
                continue
        return removed

    def _sweep_due(self) -> bool:
        """Whether no run has swept for `SWEEP_EVERY_SECONDS` (a stamp from the future, a clock
        put back, counts as none); if so, stamp the sweep now (never through a link)."""
        stamp = self.root / SWEEP_STAMP
        try:
            last = os.lstat(stamp).st_mtime
        except OSError:
            last = None
        if last is not None and self.started - SWEEP_EVERY_SECONDS < last <= self.started:
            return False
        try:
            os.close(os.open(stamp, os.O_WRONLY | os.O_CREAT | _O_NOFOLLOW, 0o644))
        except OSError:
            return True
        _touch(stamp)
        return True

    def prepare(self) -> bool:
        """Create the folder (with its .gitignore and CACHEDIR.TAG when it is new) once per run;
        whether it is there to write in."""
        if self._ready:
            return True
        try:
            created = not os.path.lexists(self.root)
            self.root.mkdir(parents=True, exist_ok=True)
            if not _real_directory(self.root):
                return False
            if created:
                (self.root / ".gitignore").write_text("# Created by mlsys-lint.\n*\n", encoding="utf-8")
                (self.root / "CACHEDIR.TAG").write_text(_CACHEDIR_TAG, encoding="utf-8")
            self.folder.mkdir(exist_ok=True)
            self._ready = _real_directory(self.folder)
        except OSError:
            return False
        return self._ready


def encode_document(document: Document) -> bytes | None:
    """`document` as the bytes of a cache entry's body (None when it cannot be stored)."""
    from mlsys_lint.serialize import Unsupported, document_to_data

    try:
        data = document_to_data(document)
    except Unsupported:
        return None
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:  # nested deeper than JSON allows
        return None


def decode_document(payload: bytes, path: str, data: bytes) -> Document:
    """The document `encode_document` encoded, for the file holding `data`."""
    from mlsys_lint.reading import decode
    from mlsys_lint.serialize import document_from_data

    return document_from_data(orjson.loads(payload), decode(data, path))


def _read_entry(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file no larger than `limit`, never through a symbolic link."""
    try:
        handle = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_BINARY)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        raw = os.read(handle, info.st_size + 1)
    except OSError:
        return None
    finally:
        os.close(handle)
    return raw if len(raw) == info.st_size else None
