"""``mlsys-lint --watch``: check again whenever a file of the book changes, and print only what changed.

For a terminal beside ``quarto preview``: the first run prints every finding; after each
change (files are watched with `watchfiles`, debounced), a finding that appeared is printed
with ``+``, one that went away with ``-``, and a one-line summary goes to standard error.
Findings are matched by fingerprint (code, message and the text around them), so an edit
that only moves lines prints nothing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from mlsys_lint.model import Diagnostic, plural

WATCHED_SUFFIXES = (".qmd", ".md", ".rmd", ".ipynb", ".yml", ".yaml", ".json", ".bib", ".bibtex")
"""Files whose change can change a finding: manuscripts, configuration, glossaries, bibliographies."""


def line(diagnostic: Diagnostic) -> str:
    return (f"{diagnostic.span.path}:{diagnostic.span.line}:{diagnostic.span.column}: "
            f"{diagnostic.code} {diagnostic.message}")


def changes(before: list[Diagnostic], after: list[Diagnostic]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """``(appeared, went away)``, each in report order, matched by fingerprint."""
    return _missing_from(before, after), _missing_from(after, before)


def _missing_from(reference: list[Diagnostic], found: list[Diagnostic]) -> list[Diagnostic]:
    """The findings of `found` that `reference` does not hold (as many times)."""
    left = Counter(d.fingerprint for d in reference)
    missing = []
    for diagnostic in found:
        if left[diagnostic.fingerprint]:
            left[diagnostic.fingerprint] -= 1
        else:
            missing.append(diagnostic)
    return missing


def watch(roots: Iterable[Path], run: Callable[[], list[Diagnostic]], echo: Callable[[str], None],
          say: Callable[[str], None]) -> None:
    """Run, print, then rerun on every change below `roots` until interrupted."""
    from watchfiles import watch as file_changes

    def relevant(_change, path: str) -> bool:
        return path.lower().endswith(WATCHED_SUFFIXES) and ".mlsys-lint-cache" not in path

    current = run()
    for diagnostic in current:
        echo(line(diagnostic))
    watching = False
    # The first (possibly empty) batch comes once the watcher runs: only then is a save seen.
    for batch in file_changes(*roots, watch_filter=relevant, debounce=200, rust_timeout=300,
                              yield_on_timeout=True, raise_interrupt=True):
        if not watching:
            say(f"{plural(len(current), 'finding')}; watching for changes (Ctrl-C to stop)")
            watching = True
        if not batch:
            continue
        previous, current = current, run()
        appeared, gone = changes(previous, current)
        for diagnostic in gone:
            echo("- " + line(diagnostic))
        for diagnostic in appeared:
            echo("+ " + line(diagnostic))
        say(f"{plural(len(current), 'finding')} ({len(appeared)} new, {len(gone)} gone)")
