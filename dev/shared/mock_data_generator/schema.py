"""Schema: named column kinds, validated, from and to dicts and YAML."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .base import Column, SchemaError, _is_text
from .contacts import Company, Email, Name
from .kinds import Boolean, Category, Constant, ForeignKey, Id, Sequence
from .pattern import Pattern
from .ranges import DateAfter, DateRange, DatetimeRange, FloatRange, IntRange, Money

KINDS: dict[str, type[Column]] = {
    cls.kind: cls
    for cls in (
        Id,
        Sequence,
        Name,
        Company,
        Email,
        DateRange,
        DatetimeRange,
        DateAfter,
        Money,
        IntRange,
        FloatRange,
        Category,
        Boolean,
        Pattern,
        Constant,
        ForeignKey,
    )
}


def _column_from_dict(where: str, spec: object) -> Column:
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, Mapping) or "kind" not in spec:
        raise SchemaError(
            f"{where}: expected a mapping with 'kind' (one of {', '.join(KINDS)}), got {spec!r}"
        )
    params = dict(spec)
    kind = params.pop("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SchemaError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - set(fields))
    missing = [n for n, f in fields.items() if n not in params and f.default is dataclasses.MISSING]
    if unknown or missing:
        problem = (
            f"unknown parameter(s) {unknown}" if unknown else f"missing parameter(s) {missing}"
        )
        raise SchemaError(f"{where} ({kind}): {problem}; parameters are {list(fields)}")
    return cls(**params)


def _column_to_dict(spec: Column) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": spec.kind}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.default is dataclasses.MISSING or value != f.default:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    if isinstance(spec, Category) and isinstance(spec.weights, Mapping):
        out["weights"] = dict(spec.weights)
    return out


@dataclass(frozen=True)
class Schema:
    """A named frame layout: column name -> column kind, validated when built."""

    name: str
    columns: Mapping[str, Column]

    def __post_init__(self) -> None:
        if not _is_text(self.name):
            raise SchemaError(f"schema name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "columns", dict(self.columns))
        if not self.columns:
            raise SchemaError(f"schema {self.name!r} declares no columns")
        for column, spec in self.columns.items():
            self._check_column(column, spec)
        self.generation_order()

    def _check_column(self, column: str, spec: object) -> None:
        where = f"schema {self.name!r}, column {column!r}"
        if not isinstance(spec, Column):
            raise SchemaError(
                f"{where}: expected a column kind such as IntRange(1, 9), got {spec!r}"
            )
        try:
            spec.check(self.columns)
        except (ValueError, TypeError) as exc:
            raise SchemaError(f"{where} ({spec.kind}): {exc}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """{'name': ..., 'columns': {column: {'kind': ..., params...} or 'kind'}}."""
        if not isinstance(data, Mapping):
            raise SchemaError(
                f"a schema must be a mapping with 'name' and 'columns', got {type(data).__name__}"
            )
        unknown = sorted(set(data) - {"name", "columns"})
        name, columns = data.get("name"), data.get("columns")
        if not isinstance(name, str) or not name:
            raise SchemaError(f"schema: 'name' must be a non-empty string, got {name!r}")
        if unknown or not isinstance(columns, Mapping):
            raise SchemaError(
                f"schema {name!r}: needs 'name' and a 'columns' mapping"
                + (f"; unknown keys {unknown}" if unknown else "")
            )
        specs = {
            str(col): _column_from_dict(f"schema {name!r}, column {col!r}", spec)
            for col, spec in columns.items()
        }
        return cls(name, specs)

    @classmethod
    def from_yaml(cls, source: str | Path) -> Schema:
        """A schema from a YAML file path or YAML text."""
        text = source
        if isinstance(source, Path) or ("\n" not in source and source.endswith((".yaml", ".yml"))):
            try:
                text = Path(source).read_text(encoding="utf-8")
            except OSError as exc:
                raise SchemaError(
                    f"cannot read schema file {str(source)!r}: {exc.strerror}"
                ) from None
        try:
            data = yaml.safe_load(str(text))
        except yaml.YAMLError as exc:
            raise SchemaError(f"schema YAML does not parse: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": {c: _column_to_dict(s) for c, s in self.columns.items()},
        }

    @property
    def parents(self) -> set[str]:
        """Names of the related frames the foreign keys point into."""
        return {s.frame for s in self.columns.values() if isinstance(s, ForeignKey)}

    def generation_order(self) -> list[str]:
        """Columns ordered so that every column comes after the ones it depends on."""
        order: list[str] = []
        pending = dict(self.columns)
        while pending:
            ready = [c for c, s in pending.items() if all(d in order for d in s.depends_on())]
            if not ready:
                raise SchemaError(
                    f"schema {self.name!r}: columns {sorted(pending)} depend on each other in a cycle"
                )
            order += ready
            for column in ready:
                del pending[column]
        return order
