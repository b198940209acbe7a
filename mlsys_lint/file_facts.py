"""Facts of one file, kept between runs and, in a long-lived engine, between edits.

A fact that depends on one document's text and on inputs whose hash is a fingerprint alone
(its glossary matches, how it writes some words, the numbers typed by hand in it) is kept
as plain data in the run's cache (signed, checked on load like any data read back) and in
`Project.memo` while the document object is the same, so that a warm run, a pre-commit run
or an edit recomputes it only for the files that changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    from mlsys_lint.cache import DocumentCache
    from mlsys_lint.document import Document
    from mlsys_lint.project import Project

T = TypeVar("T")


def per_file(project: "Project", doc: "Document", fact: str, fingerprint: str,
             compute: Callable[["Document"], tuple[Any, T]], valid: Callable[[Any], bool],
             load: Callable[[Any], T]) -> T:
    """A fact of one file that depends on its text and on inputs whose hash is `fingerprint`
    alone: kept in this process (the language server keeps its documents; `Project.memo`)
    and in the run's cache as plain data.  `compute` gives the data (None: not storable)
    and the fact; `load` makes the fact from data, which `valid` checks when it comes
    from the cache."""
    memo = project.memo
    kept = memo.get((fact, doc.path, fingerprint)) if memo is not None else None
    if kept is not None and kept[0] is doc:
        return load(kept[1])
    data, result = cached(project.cache, doc.path, doc.source.text, fact, fingerprint, lambda: compute(doc),
                          lambda data: load(data) if valid(data) else None)
    if data is not None and memo is not None:
        memo[(fact, doc.path, fingerprint)] = (doc, data)
    return result


def cached(cache: "DocumentCache | None", path: str, text: str, fact: str, fingerprint: str,
           compute: Callable[[], tuple[Any, T]], load: Callable[[Any], T | None]) -> tuple[Any, T]:
    """A fact of the file `path` holding `text`, as data and as the fact: read back from the
    run's cache (`load` makes the fact from the data, None when the data is not of its shape:
    the entry is rejected), or computed (`compute` gives the data, None when it cannot be
    kept, and the fact) and kept there."""
    data = cache.load_fact(path, text, fact, fingerprint) if cache is not None else None
    if data is not None:
        result = load(data)
        if result is not None:
            return data, result
        cache.reject()
    data, result = compute()
    if data is not None and cache is not None:
        cache.store_fact(path, text, fact, fingerprint, data)
    return data, result
