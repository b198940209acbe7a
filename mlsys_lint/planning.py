"""Which Quarto projects a list of paths names, and where each keeps its cache.

The first step of every run, kept light (no parser, no rules): a check answered whole
from the run cache (`mlsys_lint.run_cache`) plans its projects to find its cache and
goes no further.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mlsys_lint import observed
from mlsys_lint.cache import CACHE_DIR_NAME
from mlsys_lint.config import ConfigError, Settings
from mlsys_lint.inputs import find_project_root


@dataclass
class Plan:
    """One project to build, and which of its files to report on (None: all)."""

    root: Path
    config: Path | None = None
    loose: list[Path] | None = None
    targets: set[str] | None = None
    explicit: list[Path] = field(default_factory=list)


def plan_projects(paths: list[Path], settings: Settings, base: Path, virtual: str | None = None) -> list[Plan]:
    """Group the given paths into projects, as Quarto would see them."""
    plans: dict[tuple[str, str], Plan] = {}
    config_file = Path(settings.quarto_config) if settings.quarto_config else None
    if config_file is not None and not config_file.is_absolute():
        anchor = settings.folder or base
        config_file = anchor / config_file
    if config_file is not None and not observed.exists(config_file):
        raise ConfigError(f"{config_file}: Quarto configuration file not found")

    def plan_for(root: Path, config: Path | None = None) -> Plan:
        key = (str(root), str(config))
        if key not in plans:
            plans[key] = Plan(root, config)
        return plans[key]

    for raw in paths or [base]:
        path = Path(os.path.abspath(raw))
        if not observed.exists(path):
            if str(path) != virtual:
                raise ConfigError(f"{raw}: no such file or directory")
            plan = plan_for(path.parent)
            plan.loose = (plan.loose or []) + [path]
            plan.targets = (plan.targets or set()) | {str(path)}
            continue
        if config_file is not None:
            root = find_project_root(config_file.parent) or config_file.parent
            plan = plan_for(root, config_file)
        else:
            root = find_project_root(path)
            if root is None:
                if observed.isdir(path):  # its loose documents; projects nested in it are not loaded
                    plan = plan_for(path)
                    plan.loose = (plan.loose or []) + [path]
                    continue
                plan = plan_for(path.parent)
                plan.loose = (plan.loose or []) + [path]
                plan.targets = (plan.targets or set()) | {str(path)}
                continue
            plan = plan_for(root)
        if observed.isfile(path):
            plan.targets = (plan.targets or set()) | {str(path)}
            plan.explicit.append(path)
        elif path != plan.root:
            plan.targets = (plan.targets or set()) | {f"{path}{os.sep}"}
    return list(plans.values())


def cache_folder(root: Path, settings: Settings, cache_dir: Path | None = None) -> Path:
    """Where the cache of the project at `root` lives: `cache_dir` (``--cache-dir``),
    ``MLSYS_LINT_CACHE_DIR``, the ``cache-dir`` setting, or ``.mlsys-lint-cache`` at the root."""
    if cache_dir is not None:
        return cache_dir.absolute()
    if os.environ.get("MLSYS_LINT_CACHE_DIR"):
        return Path(os.environ["MLSYS_LINT_CACHE_DIR"]).absolute()
    if settings.cache_dir:
        return (settings.folder or root) / settings.cache_dir
    return root / CACHE_DIR_NAME
