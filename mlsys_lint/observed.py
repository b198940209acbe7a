"""Every question a run asks of the file system, and a record of the answers.

The project layer reads a book through these functions only (files, existence, folder
listings, the ``QUARTO_PROFILE`` variable).  While `recording` is active each question is
noted once with a compact answer (a digest of a file's bytes, a folder's names and kinds),
so a later run can ask the same questions again (`unchanged`) and, when every answer is
the same, know that nothing the earlier run depended on has changed: a file edited,
added, removed or renamed, an image deleted, a profile switched.

Folder listings report each entry's own kind (``os.DirEntry`` without following links);
a caller that follows a link asks `isdir`/`isfile` of its path, which is noted too.
"""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

PathLike = str | Path

_journals: list[dict[tuple[str, ...], Any]] = []
"""The journals being written (a block may record inside another's; each notes every question)."""
_remembered: list[dict[str, tuple[tuple[int, ...], bytes, str | None]]] = []
"""The files a long-lived process read before (`remembering`), innermost last."""
SETTLED_NS = 2_000_000_000
"""How long before a read a file must have last changed for its bytes to be remembered: a file
changed in the same tick as it was read may change again without its times moving (the
"racy" files of git's index)."""


@contextmanager
def recording() -> Iterator[dict[tuple[str, ...], Any]]:
    """Note every question asked inside the block; yields the journal: (operation, path…) → answer."""
    journal: dict[tuple[str, ...], Any] = {}
    _journals.append(journal)
    try:
        yield journal
    finally:
        _journals.remove(journal)


@contextmanager
def remembering(files: dict[str, tuple[tuple[int, ...], bytes, str | None]]) -> Iterator[None]:
    """Inside the block, a file whose size, inode and change times are those it had when it was
    read before into `files` (and that had settled then, `SETTLED_NS`) gives those bytes again
    without being read: the language server checks a book again after every edit."""
    _remembered.append(files)
    try:
        yield
    finally:
        _remembered.remove(files)


def _note(operation: str, args: tuple[str, ...], answer: Any) -> None:
    for journal in _journals:
        journal.setdefault((operation, *args), answer)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]  # SHA-256 has machine instructions; BLAKE2b does not


def _failure(error: BaseException) -> list[Any]:
    return ["error", error.errno if isinstance(error, OSError) else "invalid"]


# -- the questions ------------------------------------------------------------------------


def read_bytes(path: PathLike, limit: int | None = None) -> bytes:
    """A file's bytes (as `Path.read_bytes`); with `limit`, a larger file raises `TooLarge`
    without being read."""
    data, answer = _read(str(path), limit, answered=bool(_journals))
    _note("read", (str(path), str(limit)), answer)
    if isinstance(data, BaseException):
        raise data
    if data is None:
        raise TooLarge(answer[1])
    return data


def read_text(path: PathLike) -> str:
    """A file's text as `Path.read_text` in UTF-8 gives it: a BOM dropped, newlines as ``\\n``
    (raises `OSError`, `UnicodeDecodeError`)."""
    return read_bytes(path).decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


class TooLarge(Exception):
    """A file larger than the limit `read_bytes` was given; `size` is its size in bytes."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def exists(path: PathLike) -> bool:
    """`os.path.exists` (False for a name the file system rejects)."""
    return _ask("exists", os.path.exists, path)


def isfile(path: PathLike) -> bool:
    """`os.path.isfile`, following links."""
    return _ask("isfile", os.path.isfile, path)


def isdir(path: PathLike) -> bool:
    """`os.path.isdir`, following links."""
    return _ask("isdir", os.path.isdir, path)


def islink(path: PathLike) -> bool:
    """`os.path.islink`."""
    return _ask("islink", os.path.islink, path)


def realpath(path: PathLike) -> str:
    """`os.path.realpath`: the path with every link resolved."""
    return _ask("realpath", os.path.realpath, path)


def stat_errno(path: PathLike) -> int | None:
    """Why `os.stat` fails on `path`: its errno, -1 for a name the system rejects, None when it succeeds."""
    return _ask("stat_errno", _stat_errno, path)


def size(path: PathLike) -> int:
    """A file's size in bytes (raises `OSError`)."""
    found = _ask("size", _size, path)
    if isinstance(found, list):
        code = found[1] if isinstance(found[1], int) else 0
        raise OSError(code, os.strerror(code) if code else "not a valid file name")
    return found


def scandir(folder: PathLike) -> list[os.DirEntry[str]]:
    """The entries of `folder`, sorted by name (raises `OSError`)."""
    entries, answer = _scandir(str(folder))
    _note("scandir", (str(folder),), answer)
    if isinstance(entries, BaseException):
        raise entries
    return entries


def glob(base: PathLike, pattern: str) -> list[Path]:
    """`Path(base).glob(pattern)`, sorted."""
    found = sorted(Path(base).glob(pattern))
    _note("glob", (str(base), pattern), [str(path) for path in found])
    return found


def environ(name: str) -> str:
    """The environment variable `name` ("" when unset)."""
    return _ask("environ", lambda key: os.environ.get(key, ""), name)


# -- answering again ------------------------------------------------------------------------


def _ask(operation: str, function: Callable[[str], Any], path: PathLike) -> Any:
    answer = function(str(path))
    _note(operation, (str(path),), answer)
    return answer


def _stat_errno(path: str) -> int | None:
    try:
        os.stat(path)
    except ValueError:
        return -1
    except OSError as error:
        return error.errno or 0
    return None


def _size(path: str) -> int | list[Any]:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError) as error:
        return _failure(error)


def _kind(entry: os.DirEntry[str]) -> str:
    try:
        if entry.is_symlink():
            return "l"
        if entry.is_dir(follow_symlinks=False):
            return "d"
        return "f" if entry.is_file(follow_symlinks=False) else "o"
    except OSError:
        return "?"


def _read(path: str, limit: int | None, answered: bool = True) -> tuple[bytes | BaseException | None, Any]:
    """A file's bytes (None: larger than `limit`, not read; an exception: why it cannot be
    read) and the answer noted for them (the digest only if `answered`: no journal is
    being written)."""
    files = _remembered[-1] if _remembered else None
    try:
        if limit is not None or files is not None:
            status = os.stat(path)
            if limit is not None and status.st_size > limit:
                return None, ["large", status.st_size]
        if files is not None:
            signature = (status.st_size, status.st_ino, status.st_mtime_ns, status.st_ctime_ns)
            kept = files.get(path)
            if kept is not None and kept[0] == signature:
                digest = kept[2] if kept[2] is not None or not answered else _digest(kept[1])
                files[path] = (signature, kept[1], digest)
                return kept[1], digest
        data = Path(path).read_bytes()
    except (OSError, ValueError) as error:
        return error, _failure(error)
    digest = _digest(data) if answered else None
    if files is not None:
        if max(status.st_mtime_ns, status.st_ctime_ns) < time.time_ns() - SETTLED_NS:
            files[path] = (signature, data, digest)
        else:
            files.pop(path, None)
    return data, digest


def _scandir(folder: str) -> tuple[list[os.DirEntry[str]] | BaseException, Any]:
    """A folder's entries sorted by name (an exception: why it cannot be listed) and the answer noted for them."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except (OSError, ValueError) as error:
        return error, _failure(error)
    return entries, [[entry.name, _kind(entry)] for entry in entries]


_ANSWERS: dict[str, Callable[..., Any]] = {
    "read": lambda path, limit: _read(path, None if limit == "None" else int(limit))[1],
    "exists": os.path.exists,
    "isfile": os.path.isfile,
    "isdir": os.path.isdir,
    "islink": os.path.islink,
    "realpath": os.path.realpath,
    "stat_errno": _stat_errno,
    "size": _size,
    "scandir": lambda folder: _scandir(folder)[1],
    "glob": lambda base, pattern: [str(path) for path in sorted(Path(base).glob(pattern))],
    "environ": lambda name: os.environ.get(name, ""),
}
_ARITY = {"read": 2, "glob": 2}


def unchanged(journal: list[list[Any]]) -> bool:
    """Whether every question in `journal` (as `as_data` wrote it) gets the same answer now.

    A journal of another shape (an operation not known, arguments that are not strings)
    counts as changed."""
    for item in journal:
        if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], list) or not item[0]:
            return False
        operation, *args = item[0]
        answer = _ANSWERS.get(operation) if isinstance(operation, str) else None
        if answer is None or len(args) != _ARITY.get(operation, 1) or not all(isinstance(a, str) for a in args):
            return False
        try:
            now = answer(*args)
        except (OSError, ValueError):  # a question that cannot be asked any more has changed
            return False
        if _json_form(now) != item[1]:
            return False
    return True


def as_data(journal: dict[tuple[str, ...], Any]) -> list[list[Any]]:
    """The journal as plain JSON data: ``[[operation, path…], answer]`` in the order asked."""
    return [[list(question), _json_form(answer)] for question, answer in journal.items()]


def _json_form(answer: Any) -> Any:
    """An answer as JSON gives it back (tuples as lists)."""
    if isinstance(answer, (list, tuple)):
        return [_json_form(item) for item in answer]
    return answer
