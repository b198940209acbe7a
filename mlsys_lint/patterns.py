"""User-supplied regular expressions (glossary patterns), compiled and run with a time limit.

A pattern written by a user can backtrack catastrophically (``(a|aa)+$`` on a long
run of ``a``).  Such patterns are compiled with the `regex` package, whose matching
takes a timeout, so a bad pattern costs at most `DEFAULT_TIMEOUT` seconds per search
(or per `finditer_with_timeout` call, all matches together) and then fails with a
`PatternTimeout` naming the pattern instead of hanging the linter.

Built-in patterns (generated from escaped literals) do not need this and use `re`.
"""

from __future__ import annotations

from typing import Any

import regex

DEFAULT_TIMEOUT = 1.0
"""Seconds one search (or one whole `finditer_with_timeout`) may take."""

MAX_PATTERN_LENGTH = 2000


class PatternError(ValueError):
    """A user pattern that is not a valid regular expression (one-line message)."""


class PatternTimeout(Exception):
    """A user pattern that took longer than its time limit on some text."""

    def __init__(self, pattern: str, timeout: float) -> None:
        shown = pattern if len(pattern) <= 60 else pattern[:57] + "..."
        super().__init__(f"pattern `{shown}` took longer than {timeout:g} s (catastrophic backtracking?); "
                         "simplify it")
        self.pattern = pattern
        self.timeout = timeout


def compile_user_pattern(text: Any, *, ignore_case: bool = False) -> regex.Pattern:
    """Compile a user-supplied pattern; raises `PatternError` with a one-line reason."""
    if not isinstance(text, str):
        raise PatternError(f"expected a regular expression string, got {type(text).__name__}")
    if not text:
        raise PatternError("empty regular expression")
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternError(f"regular expression is longer than {MAX_PATTERN_LENGTH} characters")
    flags = regex.UNICODE | (regex.IGNORECASE if ignore_case else 0)
    try:
        return regex.compile(text, flags)
    except (regex.error, OverflowError, RecursionError, ValueError) as error:
        reason = str(error).split("\n")[0]
        raise PatternError(f"invalid regular expression `{text}`: {reason}") from None


def _pattern(pattern: regex.Pattern | str) -> regex.Pattern:
    return compile_user_pattern(pattern) if isinstance(pattern, str) else pattern


def search_with_timeout(pattern: regex.Pattern | str, text: str, pos: int = 0, endpos: int | None = None,
                        timeout: float = DEFAULT_TIMEOUT) -> regex.Match | None:
    """`pattern.search(text, pos, endpos)`, or `PatternTimeout` after `timeout` seconds."""
    compiled = _pattern(pattern)
    try:
        if endpos is None:
            return compiled.search(text, pos, timeout=timeout)
        return compiled.search(text, pos, endpos, timeout=timeout)
    except TimeoutError:
        raise PatternTimeout(compiled.pattern, timeout) from None


def finditer_with_timeout(pattern: regex.Pattern | str, text: str, pos: int = 0, endpos: int | None = None,
                          timeout: float = DEFAULT_TIMEOUT) -> list[regex.Match]:
    """Every match of `pattern` in `text`, or `PatternTimeout` when all of them take too long."""
    compiled = _pattern(pattern)
    try:
        if endpos is None:
            return list(compiled.finditer(text, pos, timeout=timeout))
        return list(compiled.finditer(text, pos, endpos, timeout=timeout))
    except TimeoutError:
        raise PatternTimeout(compiled.pattern, timeout) from None
