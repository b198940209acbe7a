"""``python -m mlsys_lint``."""

from mlsys_lint.cli import run

run()
