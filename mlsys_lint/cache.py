"""A per-file cache of parsed `Document`s, keyed on content, tool version and parser code.

Entries live in ``.mlsys-lint-cache/`` at the project root (``MLSYS_LINT_CACHE_DIR``
overrides).  A corrupt or unreadable entry is ignored and rewritten; writes go through
a temporary file and a rename, so concurrent runs never see half an entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

from mlsys_lint import __version__
from mlsys_lint.document import Document

CACHE_DIR_NAME = ".mlsys-lint-cache"
_PARSER_MODULES = ("model.py", "document.py", "inline.py", "cells.py", "attributes.py")


@lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    """A hash of the tool version and the parser's source, so a new parser misses old entries."""
    digest = hashlib.sha1(__version__.encode())
    here = Path(__file__).parent
    for name in _PARSER_MODULES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()[:16]


class DocumentCache:
    """Load and store parsed documents under one folder."""

    def __init__(self, folder: Path) -> None:
        override = os.environ.get("MLSYS_LINT_CACHE_DIR")
        self.folder = (Path(override) if override else folder / CACHE_DIR_NAME) / parser_fingerprint()
        self.hits = 0
        self.misses = 0

    def _entry(self, path: str, data: bytes) -> Path:
        key = hashlib.sha1(path.encode() + b"\0" + data).hexdigest()
        return self.folder / key[:2] / key

    def load(self, path: str, data: bytes) -> Document | None:
        try:
            with open(self._entry(path, data), "rb") as handle:
                document = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError):
            self.misses += 1
            return None
        if not isinstance(document, Document):
            self.misses += 1
            return None
        self.hits += 1
        return document

    def store(self, path: str, data: bytes, document: Document) -> None:
        entry = self._entry(path, data)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            if not (self.folder.parent / ".gitignore").exists():
                (self.folder.parent / ".gitignore").write_text("*\n", encoding="utf-8")
            handle, temp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
            document.masked  # computed once here, so warm runs need not blank the text again
            with os.fdopen(handle, "wb") as out:
                pickle.dump(document, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, entry)
        except OSError:
            return
