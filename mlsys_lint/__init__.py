"""mlsys-lint: a linter for Quarto textbook manuscripts."""

__version__ = "0.1.0"
