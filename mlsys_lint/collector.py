"""Python's cyclic garbage collector, paused while a check builds its model.

A check builds hundreds of thousands of small objects (documents, term matches, findings)
that hold no cycles worth collecting while they are being built; left on, the collector
rescans the growing heap again and again (`Engine.run` pauses it: 66 ms of a pre-commit
run on a 7 MB book, 2.1 s of a cold run at ten times that book; a command-line check, whose
process ends with it, turns it off). A long-lived process (the language server, whose heap
holds every chapter: one full pass costs ~90 ms at 39 chapters) collects once, after it
has answered.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with automatic collection off (left as it was found afterwards)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
