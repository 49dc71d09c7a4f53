"""Bridges to pandera both ways; pandera itself is imported only when to_pandera() runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .checks import (
    _Compare,
    _Custom,
    _Dtype,
    _InRange,
    _IsIn,
    _Matches,
    _NotNull,
    _Rule,
    _StrLength,
    _Unique,
)
from .columns import _as_bool, _dtype_matches
from .context import _Context
from .frame_checks import _References

if TYPE_CHECKING:
    import pandera.pandas as pandera

    from .validator import DataValidator

log = logging.getLogger(__package__)  # the package logger: records keep their old name


def _from_pandera(validator: DataValidator, schema: pandera.DataFrameSchema) -> DataValidator:
    for col_name, column in schema.columns.items():
        name = str(col_name)
        if column.dtype is not None:
            validator.dtype(name, str(column.dtype))
        if not column.nullable:
            validator.not_null(name)
        if column.unique:
            validator.unique(name)
        for chk in column.checks:
            _add_pandera_check(validator, chk, name)
    if schema.unique:
        validator.unique(list(schema.unique))
    for chk in schema.checks:
        _add_pandera_check(validator, chk, None)
    return validator


def _add_pandera_check(validator: DataValidator, chk: Any, column: str | None) -> None:
    stats = dict(chk.statistics or {})
    name = str(chk.name)
    if column is None or not _add_native(validator, name, stats, column):
        fallback = _pandera_fallback(chk, column)
        validator.check(fallback, name=name, columns=(column,) if column else ())


def _add_native(validator: DataValidator, name: str, stats: dict[str, Any], column: str) -> bool:
    """Declare the native rule for a pandera column check; False when there is none."""
    if name == "in_range" and stats.get("include_min") and stats.get("include_max"):
        validator.in_range(column, min=stats["min_value"], max=stats["max_value"])
    elif name in ("greater_than_or_equal_to", "less_than_or_equal_to"):
        validator.in_range(column, min=stats.get("min_value"), max=stats.get("max_value"))
    elif name == "isin":
        validator.isin(column, stats["allowed_values"])
    elif name == "str_matches":
        pattern = getattr(stats["pattern"], "pattern", stats["pattern"])
        validator.matches(column, f"(?:{pattern})(?s:.*)")  # pandera matches a prefix
    elif name == "str_length" and stats.get("exact_value") is None:
        validator.str_length(column, min=stats.get("min_value"), max=stats.get("max_value"))
    else:
        return False
    return True


def _pandera_fallback(chk: Any, column: str | None) -> Callable[[pd.DataFrame], Any]:
    """Run a pandera check we have no native rule for, with pandera's own semantics."""

    def run(df: pd.DataFrame) -> Any:
        obj = df if column is None else df[column]
        output = chk(obj).check_output
        if isinstance(output, bool | np.bool_) or len(output) == len(df):
            return output
        full = np.ones(len(df), dtype=bool)  # ignore_na dropped the nulls: they pass
        full[np.flatnonzero(df[column].notna().to_numpy())] = _as_bool(output, na=True)
        return full

    return run


@dataclass
class _SchemaParts:
    """What a pandera DataFrameSchema is built from, collected rule by rule."""

    specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    frame_checks: list[Any] = field(default_factory=list)
    unique_sets: list[list[str]] = field(default_factory=list)

    def spec(self, column: str) -> dict[str, Any]:
        return self.specs.setdefault(column, {"nullable": True, "unique": False, "checks": []})

    def schema(self, pa: Any, name: str) -> pandera.DataFrameSchema:
        """The schema (``pa`` is the pandera.pandas module); the first multi-column unique set
        becomes the schema's ``unique``, any further set a frame check."""
        unique = self.unique_sets.pop(0) if self.unique_sets else None
        for cols in self.unique_sets:
            check = pa.Check(_not_duplicated(cols), name=f"unique:{','.join(cols)}")
            self.frame_checks.append(check)
        columns = {c: pa.Column(s.pop("dtype", None), **s) for c, s in self.specs.items()}
        schema: pandera.DataFrameSchema = pa.DataFrameSchema(
            columns, checks=self.frame_checks, unique=unique, name=name
        )
        return schema


def _to_pandera(validator: DataValidator, *, skip_unsupported: bool) -> pandera.DataFrameSchema:
    import pandera.pandas as pandera  # noqa: PLC0415 (0.29 s import: only when the bridge is used)

    parts = _SchemaParts()
    unsupported = [r.rule_id for r in validator.rules if not _rule_to_pandera(pandera, r, parts)]
    if unsupported and not skip_unsupported:
        raise ValueError(
            f"validator {validator.name!r}: rule(s) {', '.join(unsupported)} have no pandera "
            "equivalent (database-backed or frame-level); pass skip_unsupported=True to drop them"
        )
    if unsupported:
        log.warning("to_pandera(%s): dropped %s", validator.name, ", ".join(unsupported))
    return parts.schema(pandera, validator.name)


def _not_duplicated(cols: list[str]) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: ~df.duplicated(subset=cols, keep=False) | df[cols].isna().any(axis=1)


def _rule_to_pandera(pandera: Any, rule: _Rule, parts: _SchemaParts) -> bool:
    """Add ``rule`` to ``parts`` as pandera declares it; False when pandera has no equivalent."""
    col = rule.columns[0] if rule.columns else ""
    if isinstance(rule, _NotNull):
        parts.spec(col)["nullable"] = False
    elif isinstance(rule, _Unique) and len(rule.columns) == 1:
        parts.spec(col)["unique"] = True
    elif isinstance(rule, _Unique):
        parts.unique_sets.append(list(rule.columns))
    elif (column_check := _column_check(pandera, rule)) is not None:
        parts.spec(col)["checks"].append(column_check)
    elif (frame_check := _frame_check(pandera, rule, col)) is not None:
        parts.frame_checks.append(frame_check)
    else:
        return False
    return True


def _column_check(pandera: Any, rule: _Rule) -> Any:
    """pandera's built-in column check for ``rule``, else None."""
    if isinstance(rule, _InRange):
        low, high = rule.min, rule.max
        return (
            pandera.Check.in_range(low, high) if low is not None and high is not None
            else pandera.Check.ge(low) if low is not None else pandera.Check.le(high)
        )  # fmt: skip
    if isinstance(rule, _IsIn):
        return pandera.Check.isin(sorted(rule.allowed, key=repr))
    if isinstance(rule, _StrLength):
        return pandera.Check.str_length(rule.min, rule.max)
    return None


def _frame_check(pandera: Any, rule: _Rule, col: str) -> Any:
    """A dataframe-level pandera check running our own logic for ``rule``, else None."""
    if isinstance(rule, _Custom):
        return pandera.Check(rule.fn, name=rule.rule_id)
    if isinstance(rule, _Dtype):
        expected = rule.expected
        return pandera.Check(lambda df: _dtype_matches(df[col], expected), name=rule.rule_id)
    if isinstance(rule, _Matches | _Compare) or (
        isinstance(rule, _References) and rule.table is None
    ):
        return pandera.Check(_ok_rows(rule), name=rule.rule_id)
    return None


def _ok_rows(rule: _Rule) -> Callable[[pd.DataFrame], Any]:
    """A pandera dataframe check (True = ok per row) that runs our own rule."""

    def run(df: pd.DataFrame) -> pd.Series:
        return pd.Series(~rule.failing(_Context(df, 0)), index=df.index)

    return run
