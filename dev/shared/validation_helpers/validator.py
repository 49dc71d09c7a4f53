"""DataValidator: declare checks fluently, then validate(df) runs every one of them lazily."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import pandas as pd

from .checks import (
    _OPS,
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
from .columns import _KINDS
from .context import _Context
from .frame_checks import _Freshness, _References, _RowCountDrift, _SchemaMatches
from .pandera_bridge import _from_pandera, _to_pandera
from .result import ValidationResult

if TYPE_CHECKING:
    import pandera.pandas as pandera

    from .frame_checks import SqlSource
    from .result import Failure

log = logging.getLogger(__package__)  # the package logger: records keep their old name


@dataclass
class DataValidator:
    """Declarative checks on a DataFrame; ``validate(df)`` runs all of them lazily."""

    name: str
    max_examples: int = 5
    _rules: list[_Rule] = field(default_factory=list, init=False, repr=False)

    @property
    def rules(self) -> tuple[_Rule, ...]:
        return tuple(self._rules)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.rule_id for r in self._rules))

    def _rule_id(self, given: str | None, default: str) -> str:
        if given is not None:
            return given
        taken = {r.rule_id for r in self._rules}
        rule_id, n = default, 1
        while rule_id in taken:  # a second rule of the same kind: stable by declaration order
            n += 1
            rule_id = f"{default}#{n}"
        return rule_id

    def _add(self, rule: _Rule) -> Self:
        self._rules.append(rule)
        return self

    def not_null(self, columns: str | Sequence[str], *, rule_id: str | None = None) -> Self:
        for col in _names(columns, "not_null"):
            self._add(_NotNull(self._rule_id(rule_id, f"not_null:{col}"), "not_null", (col,)))
        return self

    def unique(self, columns: str | Sequence[str], *, rule_id: str | None = None) -> Self:
        """Rows must not repeat the value of ``columns`` (a list = unique together)."""
        cols = _names(columns, "unique")
        rid = self._rule_id(rule_id, f"unique:{','.join(cols)}")
        return self._add(_Unique(rid, "unique", cols))

    def in_range(
        self, column: str, min: Any = None, max: Any = None, *, rule_id: str | None = None
    ) -> Self:
        """Values within [min, max], bounds inclusive; numbers, dates or timestamps."""
        if min is None and max is None:
            raise ValueError(f"in_range({column!r}) needs min, max or both")
        if min is not None and max is not None and min > max:
            raise ValueError(f"in_range({column!r}): min {min!r} is greater than max {max!r}")
        rid = self._rule_id(rule_id, f"in_range:{column}")
        return self._add(_InRange(rid, "in_range", (column,), min, max))

    def isin(self, column: str, allowed: Collection[Any], *, rule_id: str | None = None) -> Self:
        if isinstance(allowed, str):
            raise TypeError(f"isin({column!r}): pass a collection of values, not the string")
        rid = self._rule_id(rule_id, f"isin:{column}")
        return self._add(_IsIn(rid, "isin", (column,), frozenset(allowed)))

    def matches(self, column: str, pattern: str, *, rule_id: str | None = None) -> Self:
        """The whole value matches ``pattern`` (Python re; RE2 for pyarrow strings)."""
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"matches({column!r}): bad regex {pattern!r}: {exc}") from None
        rid = self._rule_id(rule_id, f"matches:{column}")
        return self._add(_Matches(rid, "matches", (column,), pattern))

    def str_length(
        self,
        column: str,
        min: int | None = None,
        max: int | None = None,
        *,
        rule_id: str | None = None,
    ) -> Self:
        if min is None and max is None:
            raise ValueError(f"str_length({column!r}) needs min, max or both")
        rid = self._rule_id(rule_id, f"str_length:{column}")
        return self._add(_StrLength(rid, "str_length", (column,), min, max))

    def dtype(self, column: str, expected: str, *, rule_id: str | None = None) -> Self:
        """A portable kind (int, float, bool, text, date, timestamp, json, decimal, category)
        or an exact pandas dtype name ("int64", "Int64", "string[pyarrow]", ...)."""
        if expected.lower() not in _KINDS:
            try:
                pd.api.types.pandas_dtype(expected)
            except TypeError:
                raise ValueError(f"dtype({column!r}): unknown dtype {expected!r}") from None
        rid = self._rule_id(rule_id, f"dtype:{column}")
        return self._add(_Dtype(rid, "dtype", (column,), expected))

    def compare(self, left: str, op: str, right: str, *, rule_id: str | None = None) -> Self:
        """Cross-column rule ``left op right`` per row (op: < <= > >= == !=)."""
        if op not in _OPS:
            raise ValueError(
                f"compare({left!r}, {op!r}, {right!r}): op must be one of {list(_OPS)}"
            )
        rid = self._rule_id(rule_id, f"compare:{left}{op}{right}")
        return self._add(_Compare(rid, "compare", (left, right), op))

    def check(
        self,
        fn: Callable[[pd.DataFrame], Any],
        *,
        name: str,
        columns: Sequence[str] = (),
        rule_id: str | None = None,
    ) -> Self:
        """A vectorised custom rule: ``fn(df)`` returns one bool per row (True = ok) or one bool."""
        cols = tuple(columns)
        default = f"{name}:{','.join(cols)}" if cols else name
        return self._add(_Custom(self._rule_id(rule_id, default), name, cols, fn, name))

    def references(
        self,
        column: str,
        target: Any,
        target_column: str | None = None,
        *,
        table: str | None = None,
        rule_id: str | None = None,
    ) -> Self:
        """Every non-null value exists in ``target``: a frame/Series/collection, or a Database
        with ``table=`` (keys read with ``SELECT DISTINCT`` at validate time)."""
        if table is None and not isinstance(target, pd.DataFrame | pd.Series | pd.Index | Iterable):
            raise TypeError(f"references({column!r}): a database target needs table=")
        rid = self._rule_id(rule_id, f"references:{column}")
        rule = _References(rid, "references", (column,), target, target_column or column, table)
        return self._add(rule)

    def row_count_drift(
        self,
        *,
        previous: int | None = None,
        max_change: float = 0.2,
        database: SqlSource | None = None,
        table: str | None = None,
        rule_id: str | None = None,
    ) -> Self:
        """Row count within ``max_change`` (fraction) of ``previous`` or of the table's count."""
        if max_change < 0:
            raise ValueError(f"row_count_drift: max_change must be >= 0, got {max_change}")
        if (database is None) != (table is None):
            raise ValueError("row_count_drift: pass database= and table= together")
        rid = self._rule_id(rule_id, "row_count_drift")
        rule = _RowCountDrift(rid, "row_count_drift", (), previous, max_change, database, table)
        return self._add(rule)

    def freshness(
        self,
        column: str,
        *,
        max_age: timedelta,
        now: datetime | None = None,
        rule_id: str | None = None,
    ) -> Self:
        """The newest timestamp is at most ``max_age`` old (naive columns are taken as UTC)."""
        rid = self._rule_id(rule_id, f"freshness:{column}")
        return self._add(_Freshness(rid, "freshness", (column,), max_age, now))

    def schema_matches(
        self,
        database: SqlSource,
        table: str,
        *,
        allow_extra: bool = False,
        allow_missing: bool = False,
        rule_id: str | None = None,
    ) -> Self:
        """Frame columns and portable types equal those of ``table`` (one failure per column)."""
        rid = self._rule_id(rule_id, f"schema_matches:{table}")
        rule = _SchemaMatches(
            rid, "schema_matches", (), database, table, allow_extra, allow_missing
        )
        return self._add(rule)

    def validate(self, df: pd.DataFrame) -> ValidationResult:
        """Run every rule on ``df`` and collect every failure (never stops at the first)."""
        if not isinstance(df, pd.DataFrame):
            raise TypeError(
                f"validator {self.name!r} validates a DataFrame, got {type(df).__name__}"
            )
        start = time.perf_counter()
        ctx = _Context(df, self.max_examples)
        failures = [f for rule in self._rules for f in _run(rule, ctx)]
        result = ValidationResult(
            self.name, len(df), failures, self.rule_ids, time.perf_counter() - start
        )
        log.info(
            "validated %s: %d rows, %d rules, %d failure(s) in %.3f s",
            self.name, len(df), len(self._rules), len(failures), result.seconds,
        )  # fmt: skip
        return result

    @classmethod
    def from_pandera(
        cls, schema: pandera.DataFrameSchema, name: str | None = None
    ) -> DataValidator:
        """A validator with the checks of a pandera DataFrameSchema (see pandera_bridge)."""
        return _from_pandera(cls(name or schema.name or "pandera"), schema)

    def to_pandera(self, *, skip_unsupported: bool = False) -> pandera.DataFrameSchema:
        """The equivalent pandera schema; DB-backed and frame-level rules have no equivalent."""
        return _to_pandera(self, skip_unsupported=skip_unsupported)


def _names(columns: str | Sequence[str], check: str) -> tuple[str, ...]:
    cols = (columns,) if isinstance(columns, str) else tuple(columns)
    if not cols:
        raise ValueError(f"{check}: name at least one column")
    return cols


def _run(rule: _Rule, ctx: _Context) -> list[Failure]:
    try:
        return rule.evaluate(ctx)
    except Exception as exc:  # noqa: BLE001 (lazy: a rule that cannot run is its failure)
        log.warning("rule %s (%s) could not run: %s", rule.rule_id, rule.check, exc)
        return [ctx.frame_failure(rule, f"could not run: {type(exc).__name__}: {exc}")]
