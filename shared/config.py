"""Layered configuration: base -> environment -> workflow -> environment variables.

Layers, later ones winning key by key:

1. ``shared/config/base.yaml``
2. ``shared/config/<env>.yaml`` where env is ``WORKFLOW_ENV`` (development, testing, production)
3. the workflow's ``workflow.yaml``: its ``config:`` mapping, then ``environments.<env>:``
4. environment variables: the well-known ones in ``ENV_KEYS`` and any ``CONFIG__a__b=value``
   (value parsed as YAML, so ``CONFIG__schedule__horizon_days=30`` is an int).

Secrets never come from files: ``cfg.secret("MONDAY_API_TOKEN")`` reads the environment only,
and a committed layer that carries a secret-looking key with a value is refused.

Example::

    cfg = load_config(Path(__file__).parent)          # the folder holding workflow.yaml
    url = cfg.database_url()
    horizon = cfg.get_int("schedule.horizon_days", minimum=1)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SHARED_DIR = Path(__file__).resolve().parent
ROOT = SHARED_DIR.parent
ENVIRONMENTS = ("development", "testing", "production")
ENV_KEYS = {
    "DATABASE_URL": "database.url",
    "MONDAY_API_URL": "monday.api_url",
    "MONDAY_API_VERSION": "monday.api_version",
    "LOG_FORMAT": "logging.format",
    "LOG_LEVEL": "logging.level",
}
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|api_key|apikey)$", re.IGNORECASE)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


def load_yaml(text: str) -> Any:
    """Parse YAML safely (libyaml's C loader when installed, the pure-Python one otherwise)."""
    return yaml.load(text, Loader=_LOADER)  # a safe loader either way


class ConfigError(Exception):
    """A missing or bad configuration value; the message is one line naming key and source."""


@dataclass
class Config:
    """Resolved configuration with the source of every leaf key."""

    env: str
    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    workflow: str = ""

    def get(self, key: str, default: Any = None) -> Any:
        """Value at a dotted key, or default when absent."""
        node: Any = self.values
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise ConfigError(
                f"config key {key!r} is missing: set it in workflow.yaml "
                f"config or as CONFIG__{key.replace('.', '__')}"
            )
        return value

    def where(self, key: str) -> str:
        return self.sources.get(key, "defaults")

    def _bad(self, key: str, value: Any, rule: str) -> ConfigError:
        return ConfigError(f"config key {key!r} = {value!r} (from {self.where(key)}) {rule}")

    def get_str(self, key: str, default: str | None = None) -> str:
        value = self.get(key, default)
        if value is None:
            return str(self.require(key))
        return str(value)

    def get_int(self, key: str, default: int | None = None, minimum: int | None = None) -> int:
        value = self.get(key, default)
        if value is None:
            value = self.require(key)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self._bad(key, value, "must be an integer")
        try:
            number = int(value)
        except ValueError:
            raise self._bad(key, value, "must be an integer") from None
        if minimum is not None and number < minimum:
            raise self._bad(key, value, f"must be at least {minimum}")
        return number

    def get_float(self, key: str, default: float | None = None) -> float:
        value = self.get(key, default)
        if value is None:
            value = self.require(key)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self._bad(key, value, "must be a number") from None

    def get_bool(self, key: str, default: bool | None = None) -> bool:
        value = self.get(key, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise self._bad(key, value, "must be true or false")

    def get_list(self, key: str, default: list[Any] | None = None) -> list[Any]:
        value = self.get(key, default)
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if not isinstance(value, list):
            raise self._bad(key, value, "must be a list (YAML list or comma-separated)")
        return value

    def get_path(self, key: str, default: str | None = None) -> Path:
        """A path; relative ones are taken from the repo root (Kestra's working directory)."""
        path = Path(self.get_str(key, default)).expanduser()
        return path if path.is_absolute() else ROOT / path

    def database_url(self) -> str:
        """The database URL: DATABASE_URL, else the layered `database.url`."""
        url = self.get("database.url")
        if not url:
            raise ConfigError(
                f"no database URL for environment {self.env!r}: set DATABASE_URL "
                "(in Kestra: env DATABASE_URL: \"{{ secret('DATABASE_URL') }}\")"
            )
        return str(url).replace("{root}", str(ROOT))

    def secret(self, name: str, required: bool = True) -> str | None:
        """A secret from the environment only; never from files."""
        value = os.environ.get(name)
        if not value and required:
            raise ConfigError(
                f"missing secret {name}: set the environment variable {name} "
                f"(in Kestra: env {name}: \"{{{{ secret('{name}') }}}}\")"
            )
        return value or None


def load_config(
    workflow_dir: Path | None = None,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Resolve the configuration for a workflow folder (holding workflow.yaml) or none."""
    environ = os.environ if environ is None else environ
    env_name = env or environ.get("WORKFLOW_ENV", "development")
    if env_name not in ENVIRONMENTS:
        raise ConfigError(f"WORKFLOW_ENV={env_name!r} is not one of {', '.join(ENVIRONMENTS)}")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for label, layer in _file_layers(env_name, workflow_dir):
        _check_no_secrets(layer, label)
        _merge(values, layer, sources, label, "")
    _merge(values, _env_layer(environ), sources, "environment variable", "")
    name = workflow_dir.name if workflow_dir else ""
    return Config(env=env_name, values=values, sources=sources, workflow=name)


def _file_layers(env: str, workflow_dir: Path | None) -> list[tuple[str, dict[str, Any]]]:
    layers = [
        (str(p), _read_yaml(p))
        for p in (SHARED_DIR / "config" / "base.yaml", SHARED_DIR / "config" / f"{env}.yaml")
    ]
    if workflow_dir is not None:
        spec_file = workflow_dir / "workflow.yaml"
        spec = _read_yaml(spec_file)
        layers.append((f"{spec_file} config", _mapping(spec.get("config"), str(spec_file))))
        per_env = _mapping(spec.get("environments"), str(spec_file))
        layers.append(
            (f"{spec_file} environments.{env}", _mapping(per_env.get(env), str(spec_file)))
        )
    return layers


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return _mapping(data, str(path))


def _mapping(data: Any, where: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    return data


def _env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for var, key in ENV_KEYS.items():
        if environ.get(var):
            _set(layer, key.split("."), environ[var])
    for var, raw in environ.items():
        if var.startswith("CONFIG__") and len(var) > 8:
            try:
                value = load_yaml(raw)
            except yaml.YAMLError:
                value = raw
            _set(layer, [part.lower() for part in var[8:].split("__") if part], value)
    return layer


def _set(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _merge(
    into: dict[str, Any], layer: Mapping[str, Any], sources: dict[str, str], label: str, prefix: str
) -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value, sources, label, dotted + ".")
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value
            sources[dotted] = label


def _check_no_secrets(layer: Mapping[str, Any], label: str, prefix: str = "") -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _check_no_secrets(value, label, dotted + ".")
        elif _SECRET_KEY.search(str(key)) and value not in (None, ""):
            raise ConfigError(
                f"{label}: key {dotted!r} holds a secret value; secrets come "
                "only from environment variables (use cfg.secret(NAME))"
            )
