"""Configuration: files and command-line options → one validated `Settings`.

Files are looked up from the project folder upward: ``.mlsys-lint.yml`` (or
``.yaml``), ``mlsys-lint.toml``, then ``[tool.mlsys-lint]`` in ``pyproject.toml``;
``--config`` names one explicitly.  Unknown keys, wrong types and unknown rule codes
are errors that name the key.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlsys_lint.model import Severity

CONFIG_FILES = (".mlsys-lint.yml", ".mlsys-lint.yaml", "mlsys-lint.toml", "pyproject.toml")


class ConfigError(Exception):
    """An invalid configuration; the message names the file and the key."""


@dataclass
class Settings:
    """Everything that decides what is checked and how it is reported."""

    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    severity: dict[str, Severity] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    glossary_sources: list[str] | None = None
    glossary_generated: list[str] | None = None
    quarto_config: str | None = None
    profile: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    cache_dir: str | None = None
    skip_plugins: list[str] = field(default_factory=list)
    fail_on: Severity = Severity.WARNING
    path: Path | None = None

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path is not None else None


_LIST_KEYS = {"select", "ignore", "extend-select", "exclude", "skip-plugins"}
_KNOWN = _LIST_KEYS | {"per-file-ignores", "severity", "rules", "glossary", "quarto-config", "profile", "fail-on",
                       "cache-dir"}


def find_config_file(start: Path) -> Path | None:
    """The first configuration file found from `start` upward (pyproject only with our table)."""
    folder = start if start.is_dir() else start.parent
    for candidate in [folder, *folder.parents]:
        for name in CONFIG_FILES:
            path = candidate / name
            if not path.is_file():
                continue
            if name == "pyproject.toml":
                try:
                    data = _loads_toml(path.read_text(encoding="utf-8"))
                except (OSError, ValueError, RecursionError):
                    continue
                if "mlsys-lint" not in data.get("tool", {}):
                    continue
            return path
    return None


def read_config_file(path: Path, remember: bool = False) -> dict[str, Any]:
    """The raw mapping of settings in `path` (YAML, TOML, or pyproject's table).  With
    `remember`, a YAML file read before with the same bytes is answered from the user's
    cache folder (`mlsys_lint.cache.remembered`) without importing the YAML parser."""
    try:
        source = path.read_bytes()
        text = source.decode("utf-8-sig")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read configuration ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    if path.suffix == ".toml":
        try:
            data = _loads_toml(text)
        except ValueError as error:
            raise ConfigError(f"{path}: invalid TOML: {error}") from None
        except RecursionError:
            raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("mlsys-lint", {})
        return data
    if remember:
        from mlsys_lint.cache import remembered

        data = remembered("settings", path.absolute(), source, lambda: _load_yaml(path, text))
    else:
        data = _load_yaml(path, text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    return data


def _load_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {getattr(error, 'problem', None) or error}") from None


def _loads_toml(text: str) -> dict[str, Any]:
    """`tomllib.loads`, imported when a TOML file is read (most projects have none)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    return tomllib.loads(text)


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise ConfigError(f"{where}: expected a list of strings")


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity.parse(str(value))
    except KeyError:
        raise ConfigError(f"{where}: expected error, warning or info, got {value!r}") from None


def settings_from_mapping(data: dict[str, Any], origin: str, path: Path | None = None) -> Settings:
    """Validate a raw settings mapping (rule codes are checked later, against the registry)."""
    settings = Settings(path=path)
    for key, value in data.items():
        where = f"{origin}: `{key}`"
        if key not in _KNOWN:
            raise ConfigError(f"{origin}: unknown key `{key}` (known: {', '.join(sorted(_KNOWN))})")
        if key in _LIST_KEYS:
            setattr(settings, key.replace("-", "_"), _strings(value, where))
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a mapping of glob to codes")
            settings.per_file_ignores = {str(glob): _strings(codes, f"{where} {glob}") for glob, codes in value.items()}
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a mapping of code to severity")
            settings.severity = {str(code): _severity(level, f"{where} {code}") for code, level in value.items()}
        elif key == "rules":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f"{where}: expected a mapping of code to a mapping of options")
            settings.rules = {str(code): dict(options) for code, options in value.items()}
        elif key == "glossary":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a mapping with `sources` and/or `generated`")
            for sub in value:
                if sub not in ("sources", "generated"):
                    raise ConfigError(f"{origin}: unknown key `glossary.{sub}` (known: generated, sources)")
            if "sources" in value:
                settings.glossary_sources = _strings(value["sources"], f"{where}.sources")
            if "generated" in value:
                settings.glossary_generated = _strings(value["generated"], f"{where}.generated")
        elif key in ("quarto-config", "cache-dir"):
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: expected a path")
            setattr(settings, key.replace("-", "_"), value)
        elif key == "profile":
            settings.profile = _strings(value, where)
        elif key == "fail-on":
            settings.fail_on = _severity(value, where)
    return settings


def load_settings(start: Path, explicit: Path | None = None, remember: bool = False) -> Settings:
    """Settings from `explicit` or from the file found upward of `start` (defaults if none);
    `remember` as for `read_config_file`."""
    path = explicit if explicit is not None else find_config_file(start)
    if path is None:
        return Settings()
    if explicit is not None and not explicit.is_file():
        raise ConfigError(f"{explicit}: configuration file not found")
    return settings_from_mapping(read_config_file(path, remember), str(path), path)
