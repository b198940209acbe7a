"""The interface a rule is written against, for built-in and third-party rules alike.

A rule is a plain function of the project model that yields `Violation`s, wrapped by
`rule(...)` with its code, name, severity, options, tags and the facts it needs.  Its
docstring is its documentation, in sections: What it does / Why is this bad? / Example /
Use instead / Options / Fix safety.  Packages expose a list of rules through the
``mlsys_lint.rules`` entry-point group (``name = "package.module:RULES"``).
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from mlsys_lint.model import Severity, Violation

if TYPE_CHECKING:
    from mlsys_lint.project import Project

CheckFunction = Callable[["Project", dict[str, Any]], Iterable[Violation]]


@dataclass(frozen=True)
class Advice:
    """What a rule suggests for a book's configuration, given its habits (`mlsys-lint init`):
    a comment that says what it saw, and options to set or the rule to leave off."""

    note: str
    options: dict[str, Any] = field(default_factory=dict)
    ignore: bool = False


AdviseFunction = Callable[["Project"], "Advice | None"]

BUILT_IN = "built-in"
"""The `origin` of the rules shipped with mlsys-lint."""


DOCS_URL_ENVIRONMENT = "MLSYS_LINT_DOCS_URL"
"""Where the built-in rules' pages are published, e.g. ``https://github.com/ORG/REPO/blob/main/docs/rules``."""
_SOURCE_DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"


def doc_url(code: str) -> str | None:
    """Where a built-in rule's page lives (a plugin rule's is its own `url`, or none): under
    ``$MLSYS_LINT_DOCS_URL`` when set, else the generated page in the `docs/rules` folder of a
    source checkout (a ``file:`` URI), else none: a link is never guessed."""
    base = os.environ.get(DOCS_URL_ENVIRONMENT, "").strip()
    if base:
        return f"{base.rstrip('/')}/{code}.md"
    page = _SOURCE_DOCS / f"{code}.md"
    return page.as_uri() if page.is_file() else None


@dataclass(frozen=True)
class Option:
    """A rule option: its name, type, default and a one-line description."""

    name: str
    type: type
    default: Any
    description: str


@dataclass(frozen=True)
class Rule:
    """A registered check with everything the engine and the docs need to know.

    `needs` names the facts the rule reads beyond the parsed model (see
    `mlsys_lint.facts.FACTS`); the engine provides them only when a rule that needs them
    runs.  `tags` group rules across families (``--select tag:NAME``, the audits).
    `url` is the rule's documentation page; `origin` is set when the rule is loaded:
    ``built-in`` or the name of the distribution that registered it.  `advise`, when
    given, looks at a book and says how the rule should be configured for its habits.
    """

    code: str
    name: str
    severity: Severity
    check: CheckFunction
    summary: str
    doc: str
    enabled: bool = True
    fixable: bool = False
    options: tuple[Option, ...] = field(default_factory=tuple)
    tags: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    url: str | None = None
    origin: str = ""
    advise: AdviseFunction | None = None

    @property
    def family(self) -> str:
        """The code's letter prefix, e.g. ``ABC`` for ``ABC001``."""
        return self.code.rstrip("0123456789")

    @property
    def built_in(self) -> bool:
        return self.origin == BUILT_IN

    def default_options(self) -> dict[str, Any]:
        return {option.name: option.default for option in self.options}


def rule(
    code: str,
    name: str,
    severity: str = "warning",
    *,
    enabled: bool = True,
    fixable: bool = False,
    options: Iterable[Option] = (),
    tags: Iterable[str] = (),
    needs: Iterable[str] = (),
    url: str | None = None,
    advise: AdviseFunction | None = None,
) -> Callable[[CheckFunction], Rule]:
    """Decorate a check function to make it a `Rule`; the docstring becomes its doc page."""

    def wrap(function: CheckFunction) -> Rule:
        doc = inspect.cleandoc(function.__doc__ or "")
        summary = doc.split("\n\n", 1)[0].replace("\n", " ") if doc else name
        return Rule(
            code=code,
            name=name,
            severity=Severity.parse(severity),
            check=function,
            summary=summary,
            doc=doc,
            enabled=enabled,
            fixable=fixable,
            options=tuple(options),
            tags=tuple(tags),
            needs=tuple(needs),
            url=url,
            advise=advise,
        )

    return wrap
