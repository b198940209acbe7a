"""mlsys-lint: a linter for Quarto textbook manuscripts.

``mlsys_lint.lint(paths, ...)`` runs it from Python and returns a `Result` (see
`mlsys_lint.api`); the command line is a thin layer over it.
"""

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
"""The package's version (``pyproject.toml`` reads it from here: importing
`importlib.metadata` to ask would cost every run 30 ms)."""

__all__ = ["Diagnostic", "Fix", "Result", "Severity", "__version__", "lint"]

_PUBLIC = {"Diagnostic": "mlsys_lint.model", "Fix": "mlsys_lint.model", "Severity": "mlsys_lint.model",
           "Result": "mlsys_lint.api", "lint": "mlsys_lint.api"}

if TYPE_CHECKING:
    from mlsys_lint.api import Result, lint
    from mlsys_lint.model import Diagnostic, Fix, Severity


def __getattr__(name: str) -> Any:
    """The public names, imported on first use (``mlsys-lint --version`` imports none of them)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'mlsys_lint' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
