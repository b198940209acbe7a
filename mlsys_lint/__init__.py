"""mlsys-lint: a linter for Quarto textbook manuscripts.

``mlsys_lint.lint(paths, ...)`` runs it from Python and returns a `Result` (see
`mlsys_lint.api`); the command line is a thin layer over it.
"""

from importlib.metadata import PackageNotFoundError, version as _installed_version

try:
    __version__ = _installed_version("mlsys-lint")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0+source"

from mlsys_lint.api import Result, lint  # noqa: E402  (after __version__, which modules import)
from mlsys_lint.model import Diagnostic, Fix, Severity  # noqa: E402

__all__ = ["Diagnostic", "Fix", "Result", "Severity", "__version__", "lint"]
