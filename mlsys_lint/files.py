"""Paths as the linter shows them, and files written atomically.

`relative` is the one way a path is turned into a path relative to a folder (the current
folder for output, the project root for messages and fingerprints, a baseline's folder).
`write_atomic` is the one way a file is written (fixed manuscripts, baselines, the cache):
a temporary file next to the target, then a rename, so no reader ever sees half a file.
"""

from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path

TEMP_SUFFIX = ".mlsys-lint.tmp"


class FileChanged(Exception):
    """The file no longer holds what was read before: nothing was written."""


def relative(path: str | os.PathLike[str], base: str | os.PathLike[str] | None = None, *,
             max_up: int | None = None) -> str:
    """`path` relative to folder `base` (default: the current folder), with ``/`` separators.

    A path on another drive is returned as given; with `max_up`, so is a path more than
    `max_up` folders above `base` (``max_up=0``: only paths inside `base` are shortened).
    """
    path = os.fspath(path)
    folder = os.fspath(base) if base is not None else os.curdir
    if os.path.isabs(path) and os.path.isabs(folder):  # the answer does not depend on the current folder
        return _relative(path, folder, max_up)
    return _relative.__wrapped__(path, folder, max_up)


@lru_cache(maxsize=65536)
def _relative(path: str, folder: str, max_up: int | None) -> str:
    try:
        rel = os.path.relpath(path, folder)
    except ValueError:  # another drive
        return path
    if max_up is not None and rel.split(os.sep)[: max_up + 1] == [os.pardir] * (max_up + 1):
        return path
    return rel.replace(os.sep, "/")


def _read(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def write_atomic(path: str | os.PathLike[str], data: bytes, *, expected: bytes | None = None,
                 durable: bool = True) -> None:
    """Replace the file at `path` with `data` through a temporary file and a rename.

    The new file keeps the permission bits (and, where allowed, the owner) of the file it
    replaces; a new file gets the default permissions.  With `expected`, the file is read
    again just before the rename and left alone (`FileChanged`) when it no longer holds
    those bytes.  `durable` flushes the data to disk before the rename.  Raises `OSError`
    when a step fails; the temporary file never stays behind.
    """
    import tempfile  # only a run that writes pays for it

    target = Path(path)
    try:
        status: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        status = None
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if status is not None:
            os.chmod(temp, stat.S_IMODE(status.st_mode))
            _keep_owner(temp, status)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
        if expected is not None and _read(target) != expected:
            raise FileChanged(str(target))
        os.replace(temp, target)
        temp = None
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass


def _keep_owner(temp: str, status: os.stat_result) -> None:
    if not hasattr(os, "chown"):
        return
    current = os.stat(temp)
    if (current.st_uid, current.st_gid) != (status.st_uid, status.st_gid):
        try:
            os.chown(temp, status.st_uid, status.st_gid)
        except OSError:  # not allowed to give the file away: keep ours
            pass
