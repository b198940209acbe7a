"""The rule registry: rules loaded from the ``mlsys_lint.rules`` entry points, and the
selection and options the configuration makes of them.

Importing this module loads no rule: `load_registry` does, when called (so commands that
only inform, such as ``--version``, stay cheap).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable

from mlsys_lint.config import ConfigError, Settings
from mlsys_lint.entry_points import entry_points, normalise_distribution
from mlsys_lint.facts import FACTS
from mlsys_lint.plugin import BUILT_IN, Rule, doc_url

ENTRY_POINT_GROUP = "mlsys_lint.rules"
DISTRIBUTION = "mlsys-lint"
"""The distribution whose rules are built in."""
SKIP_PLUGINS_ENV = "MLSYS_LINT_SKIP_PLUGINS"
"""Comma-separated distribution names whose rules are not loaded (like the `skip-plugins` key)."""
TAG_PREFIX = "tag:"


class PluginError(Exception):
    """An installed rule plugin that cannot be used; `check` stops (exit 2) rather than run without it."""


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin entry point that failed to load, or whose rules cannot be registered."""

    distribution: str
    entry_point: str
    error: str

    def __str__(self) -> str:
        return f"plugin `{self.distribution}` (entry point `{self.entry_point}`): {self.error}"


@dataclass
class Registry:
    """Every loaded rule by code, and the plugins that could not be loaded."""

    rules: dict[str, Rule]
    broken: list[BrokenPlugin] = field(default_factory=list)

    def check_usable(self) -> None:
        """Raise `PluginError` naming the first broken plugin (a gate must not run without it)."""
        if self.broken:
            first = self.broken[0]
            more = f" (and {len(self.broken) - 1} more)" if len(self.broken) > 1 else ""
            raise PluginError(f"{first}{more}; uninstall it, or skip it with `skip-plugins: "
                              f"[{first.distribution}]` or {SKIP_PLUGINS_ENV}={first.distribution}")


def skipped_plugins(settings: Settings | None = None) -> frozenset[str]:
    """Distributions to skip: the `skip-plugins` setting plus the environment variable."""
    names = [name for name in os.environ.get(SKIP_PLUGINS_ENV, "").split(",") if name.strip()]
    names += settings.skip_plugins if settings is not None else []
    return frozenset(normalise_distribution(name.strip()) for name in names)


@lru_cache(maxsize=8)
def load_registry(skip: frozenset[str] = frozenset()) -> Registry:
    """Load every rule of the ``mlsys_lint.rules`` entry-point group, built-in ones first.

    A plugin that fails to import, exports something that is not a rule, needs a fact that
    does not exist, or reuses a code already registered is recorded as broken (its other
    rules still load); distributions named in `skip` are never imported.
    """

    def order(entry) -> tuple:
        name = normalise_distribution(entry.distribution)
        return (name != DISTRIBUTION, name, entry.name)

    registry = Registry({})
    for entry in sorted(entry_points(ENTRY_POINT_GROUP), key=order):
        dist = entry.distribution
        if normalise_distribution(dist) in skip:
            continue
        where = f"{entry.name} = {entry.value}"
        try:
            loaded = entry.load()
        except BaseException as error:  # a broken plugin must not take the linter down
            if isinstance(error, KeyboardInterrupt):
                raise
            reason = (str(error).strip().splitlines() or [""])[0]
            registry.broken.append(BrokenPlugin(dist, where, f"{error.__class__.__name__}: {reason}".rstrip(": ")))
            continue
        origin = BUILT_IN if normalise_distribution(dist) == DISTRIBUTION else dist
        for item in loaded if isinstance(loaded, (list, tuple)) else [loaded]:
            problem = _registration_problem(item, registry.rules)
            if problem:
                registry.broken.append(BrokenPlugin(dist, where, problem))
                continue
            url = item.url or (doc_url(item.code) if origin == BUILT_IN else None)
            registry.rules[item.code] = replace(item, origin=origin, url=url)
    registry.rules = dict(sorted(registry.rules.items()))
    return registry


def _registration_problem(item: Any, rules: dict[str, Rule]) -> str:
    if not isinstance(item, Rule):
        return f"exported {item!r}, which is not a rule made with `mlsys_lint.plugin.rule`"
    if item.code in rules:
        return f"rule code {item.code} is already registered by `{rules[item.code].origin}`"
    unknown = sorted(set(item.needs) - set(FACTS))
    if unknown:
        return (f"rule {item.code} needs {', '.join(f'`{name}`' for name in unknown)}, which mlsys-lint does "
                f"not provide (known: {', '.join(sorted(FACTS))})")
    return ""


def load_rules() -> dict[str, Rule]:
    """Every rule that loaded (plugins named in the environment's skip list left out), by code."""
    return load_registry(skipped_plugins()).rules


def matches(selector: str, rule: Rule) -> bool:
    """Whether a selector picks `rule`: ``ALL``, a code or code prefix, a rule name, or ``tag:NAME``."""
    if selector.startswith(TAG_PREFIX):
        return selector[len(TAG_PREFIX):] in rule.tags
    return selector == "ALL" or rule.code.startswith(selector.upper()) or selector == rule.name


def _check_selectors(selectors: Iterable[str], registry: dict[str, Rule], where: str) -> None:
    for selector in selectors:
        if not any(matches(selector, rule) for rule in registry.values()):
            kind = "tag" if selector.startswith(TAG_PREFIX) else "rule code or name"
            raise ConfigError(f"{where}: unknown {kind} `{selector}`")


def select_rules(registry: dict[str, Rule], settings: Settings) -> dict[str, Rule]:
    """The rules to run: defaults (or `select`), plus `extend-select`, minus `ignore`."""
    _check_selectors(settings.select, registry, "select")
    _check_selectors(settings.extend_select, registry, "extend-select")
    _check_selectors(settings.ignore, registry, "ignore")
    for glob, codes in settings.per_file_ignores.items():
        _check_selectors(codes, registry, f"per-file-ignores `{glob}`")
    for code in list(settings.severity) + list(settings.rules):
        if code not in registry:
            raise ConfigError(f"unknown rule code `{code}` in configuration")
    chosen = {}
    for code, rule in registry.items():
        if settings.select:
            picked = any(matches(s, rule) for s in settings.select)
        else:
            picked = rule.enabled
        picked = picked or any(matches(s, rule) for s in settings.extend_select)
        if picked and not any(matches(s, rule) for s in settings.ignore):
            chosen[code] = rule
    return chosen


def rule_options(rule: Rule, settings: Settings) -> dict[str, Any]:
    """A rule's options: its defaults overridden by the configuration, type-checked."""
    options = rule.default_options()
    known = {option.name: option for option in rule.options}
    for key, value in settings.rules.get(rule.code, {}).items():
        if key not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"rules.{rule.code}: unknown option `{key}` (options: {names})")
        expected = known[key].type
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"rules.{rule.code}.{key}: expected {expected.__name__}, got {value!r}")
        options[key] = value
    return options
