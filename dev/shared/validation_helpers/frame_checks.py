"""Checks against other data or of the frame as a whole: references, drift, freshness, schema."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from .checks import _Rule
from .columns import _COMPATIBLE, _arrow_strings, _bound_for, _isin, portable_type

if TYPE_CHECKING:
    from .columns import BoolArray
    from .context import _Context
    from .result import Failure


class SqlSource(Protocol):
    """What the validator needs from shared.db_helper.Database (duck-typed: no sqlalchemy import)."""

    def read_sql(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame: ...
    def quote(self, identifier: str) -> str: ...
    def columns(self, table: str) -> dict[str, str]: ...
    def table_exists(self, table: str) -> bool: ...


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _References(_Rule):
    target: Any
    target_column: str
    table: str | None

    def keys(self) -> Any:
        target = self.target
        if self.table is not None:
            db: SqlSource = target
            quoted_table = ".".join(db.quote(part) for part in self.table.split("."))
            sql = f"SELECT DISTINCT {db.quote(self.target_column)} FROM {quoted_table}"
            return db.read_sql(sql).iloc[:, 0].dropna()
        if isinstance(target, pd.DataFrame):
            return target[self.target_column].dropna().unique()
        if isinstance(target, pd.Series | pd.Index):
            return target.dropna().unique()
        return list(target)

    def failing(self, ctx: _Context) -> BoolArray:
        series = ctx.df[self.columns[0]]
        found = _isin(series, self.keys(), _arrow_strings(series))
        nulls = ctx.isna(self.columns[0])
        return ~found & ~nulls if nulls.any() else ~found

    def condition(self) -> str:
        where = f"{self.table}.{self.target_column}" if self.table else self.target_column
        return f"have a {self.columns[0]} not found in {where}"


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _RowCountDrift(_Rule):
    previous: int | None
    max_change: float
    database: SqlSource | None
    table: str | None

    def run(self, ctx: _Context) -> list[Failure]:
        previous = self._previous_count()
        if previous is None:
            return []
        rows = len(ctx.df)
        change = (rows - previous) / previous if previous else (math.inf if rows else 0.0)
        if abs(change) <= self.max_change:
            return []
        msg = (
            f"{rows:,} rows vs {previous:,} in the previous load ({change:+.1%} change, "
            f"allowed {self.max_change:.0%}); check the source extract before loading"
        )
        return [ctx.frame_failure(self, msg)]

    def _previous_count(self) -> int | None:
        """The table's row count, else ``previous``; None when there is nothing to compare."""
        if self.database is None or self.table is None:
            return self.previous
        if not self.database.table_exists(self.table):
            return None  # first load: nothing to drift from
        quoted = ".".join(self.database.quote(p) for p in self.table.split("."))
        counted: Any = self.database.read_sql(f"SELECT COUNT(*) AS n FROM {quoted}").iloc[0, 0]
        return int(counted)


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _Freshness(_Rule):
    max_age: timedelta
    now: datetime | None

    def run(self, ctx: _Context) -> list[Failure]:
        series = ctx.df[self.columns[0]]
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            return [ctx.frame_failure(self, f"dtype is {series.dtype}, not a timestamp; parse it")]
        latest = series.max()
        if pd.isna(latest):
            return [ctx.frame_failure(self, "no timestamp at all: the frame is empty or all null")]
        now = pd.Timestamp(self.now if self.now is not None else datetime.now(UTC))
        now = _bound_for(series, now)
        age = now - latest
        if age <= self.max_age:
            return []
        msg = f"newest value {latest} is {age.floor('s').to_pytimedelta()} old at {now:%Y-%m-%d %H:%M:%S}, max {self.max_age}"
        return [ctx.frame_failure(self, msg)]


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _SchemaMatches(_Rule):
    database: SqlSource
    table: str
    allow_extra: bool
    allow_missing: bool

    def run(self, ctx: _Context) -> list[Failure]:
        if not self.database.table_exists(self.table):
            return [ctx.frame_failure(self, f"table {self.table!r} does not exist in the database")]
        expected = self.database.columns(self.table)
        failures = []
        for column, message in self._differences(ctx.df, expected):
            failures.append(ctx.frame_failure(self, message, column=column))
        return failures

    def _differences(
        self, df: pd.DataFrame, expected: Mapping[str, str]
    ) -> Iterable[tuple[str, str]]:
        where = f"table {self.table!r}"
        for column, db_type in expected.items():
            if column not in df.columns:
                if not self.allow_missing:
                    yield column, f"column is in {where} ({db_type}) but missing from the frame"
                continue
            frame_type = portable_type(df[column])
            if frame_type != db_type and (frame_type, db_type) not in _COMPATIBLE:
                yield column, f"column is {frame_type} in the frame but {db_type} in {where}"
        if not self.allow_extra:
            for column in df.columns:
                if column not in expected:
                    yield str(column), f"column is not in {where}; add it to the table or drop it"
