"""One file → one `Document`: the block structure Quarto and Pandoc would see.

`parse` is the parser's entry point. The parser is layered, each module importing only
the ones below it: document_model.py (the `Document` it fills in), inline.py (the inline
scanner: references, notes, images, links, code, math), cells.py (executable cells and
their options), block_syntax.py (line patterns), blocks_tables.py, blocks_notes.py and
blocks_divs.py (parts of the block scanner), blocks.py (the block scanner). Every rule
reads the resulting model; none re-scans raw text.
"""

from __future__ import annotations

from mlsys_lint.blocks import BlockScanner
from mlsys_lint.document_model import Cell, DefinitionItem, Document
from mlsys_lint.model import Source

__all__ = ["Cell", "DefinitionItem", "Document", "parse"]


def parse(source: Source) -> Document:
    """Parse one file's text into its `Document`."""
    return BlockScanner(source).run()
