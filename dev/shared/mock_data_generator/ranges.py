"""Column kinds with a declared range: dates, datetimes, dates after dates, numbers, money."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from .base import (
    DAY_US,
    SECOND_US,
    Column,
    _GenContext,
    _RangeRequest,
    _require_int,
    _require_number,
    _require_order,
    _side_offsets,
)


def _parse_moment(name: str, value: object, unit: str) -> np.datetime64:
    if isinstance(value, date | datetime | str):
        try:
            parsed: np.datetime64 = np.datetime64(value).astype(f"datetime64[{unit}]")
        except ValueError:
            pass
        else:
            return parsed
    expected = "YYYY-MM-DD" if unit == "D" else "YYYY-MM-DDTHH:MM:SS"
    raise ValueError(
        f"{name} {value!r} is not a {'date' if unit == 'D' else 'datetime'} ({expected})"
    )


def _us(values: npt.NDArray[np.int64]) -> pd.Series[Any]:
    return pd.Series(values.view("datetime64[us]"))


@dataclass(frozen=True)
class DateRange(Column):
    """Calendar dates (midnight, datetime64[us]) uniformly between start and end inclusive."""

    kind: ClassVar[str] = "date"
    start: str | date
    end: str | date

    def _days(self) -> tuple[int, int]:
        start, end = _parse_moment("start", self.start, "D"), _parse_moment("end", self.end, "D")
        _require_order(start, end, "date range")
        return int(start.astype(np.int64)), int(end.astype(np.int64))

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        self._days()

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        start, end = self._days()
        return _us(ctx.rng.integers(start, end + 1, ctx.rows) * DAY_US)

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        start, end = self._days()
        below, dist = _side_offsets(req.rng, len(req.positions), max(end - start, 30))
        return _us(np.where(below, start - dist, end + dist) * DAY_US)


@dataclass(frozen=True)
class DatetimeRange(Column):
    """Timestamps (whole seconds, datetime64[us]) uniformly between start and end inclusive."""

    kind: ClassVar[str] = "datetime"
    start: str | datetime
    end: str | datetime

    def _seconds(self) -> tuple[int, int]:
        start, end = _parse_moment("start", self.start, "s"), _parse_moment("end", self.end, "s")
        _require_order(start, end, "datetime range")
        return int(start.astype(np.int64)), int(end.astype(np.int64))

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        self._seconds()

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        start, end = self._seconds()
        return _us(ctx.rng.integers(start, end + 1, ctx.rows) * SECOND_US)

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        start, end = self._seconds()
        below, dist = _side_offsets(req.rng, len(req.positions), max(end - start, 86_400))
        return _us(np.where(below, start - dist, end + dist) * SECOND_US)


_MOMENT_KINDS = ("date", "datetime", "date_after")


@dataclass(frozen=True)
class DateAfter(Column):
    """Another date column plus min_days..max_days (e.g. ship_date after order_date)."""

    kind: ClassVar[str] = "date_after"
    column: str
    min_days: int = 0
    max_days: int = 30

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        base = columns.get(self.column)
        if base is None or base.kind not in _MOMENT_KINDS:
            raise ValueError(f"column {self.column!r} is not a date/datetime column of this schema")
        low, high = _require_int("min_days", self.min_days), _require_int("max_days", self.max_days)
        _require_order(low, high, "days")

    def depends_on(self) -> tuple[str, ...]:
        return (self.column,)

    def _shift(self, base: pd.Series[Any], days: npt.NDArray[np.int64]) -> pd.Series[Any]:
        moments = base.to_numpy(dtype="datetime64[us]")
        return pd.Series(moments + (days * DAY_US).astype("timedelta64[us]"))

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        days = ctx.rng.integers(self.min_days, self.max_days + 1, ctx.rows)
        return self._shift(ctx.frame[self.column], days)

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        below, dist = _side_offsets(req.rng, len(req.positions), 30)
        days = np.where(below, self.min_days - dist, self.max_days + dist)
        return self._shift(req.frame[self.column].iloc[req.positions], days)


@dataclass(frozen=True)
class IntRange(Column):
    """Integers uniformly in min..max inclusive (int64; Int64 when null_rate > 0)."""

    kind: ClassVar[str] = "integer"
    min: int
    max: int

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        _require_order(_require_int("min", self.min), _require_int("max", self.max), "integer")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return pd.Series(ctx.rng.integers(self.min, self.max + 1, ctx.rows))

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        below, dist = _side_offsets(req.rng, len(req.positions), self.max - self.min)
        return pd.Series(np.where(below, self.min - dist, self.max + dist))


@dataclass(frozen=True)
class Money(Column):
    """Amounts with two decimals uniformly in min..max (float64, whole cents)."""

    kind: ClassVar[str] = "money"
    min: float
    max: float

    def _cents(self) -> tuple[int, int]:
        low, high = _require_number("min", self.min), _require_number("max", self.max)
        _require_order(low, high, "money")
        return math.ceil(round(low * 100, 6)), math.floor(round(high * 100, 6))

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        low, high = self._cents()
        if low > high:
            raise ValueError(f"money range {self.min}..{self.max} holds no whole cent")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        low, high = self._cents()
        return pd.Series(ctx.rng.integers(low, high + 1, ctx.rows) / 100)

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        low, high = self._cents()
        below, dist = _side_offsets(req.rng, len(req.positions), high - low)
        return pd.Series(np.where(below, low - dist, high + dist) / 100)


@dataclass(frozen=True)
class FloatRange(Column):
    """Floats uniformly in [min, max], rounded to `decimals` when given."""

    kind: ClassVar[str] = "float"
    min: float
    max: float
    decimals: int | None = None

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        _require_order(_require_number("min", self.min), _require_number("max", self.max), "float")
        if self.decimals is not None and _require_int("decimals", self.decimals) < 0:
            raise ValueError(f"decimals must be >= 0, got {self.decimals}")

    def _round(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return values if self.decimals is None else np.round(values, self.decimals)

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        values = self._round(ctx.rng.uniform(self.min, self.max, ctx.rows))
        return pd.Series(np.clip(values, self.min, self.max))

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        step = 10.0 ** -(self.decimals or 0) if self.decimals is not None else 1e-9
        dist = (1.0 - req.rng.random(len(req.positions))) * max(self.max - self.min, 1.0) + step
        below = req.rng.random(len(req.positions)) < 0.5
        values = self._round(np.where(below, self.min - dist, self.max + dist))
        # rounding may pull a value back onto the boundary: push it one step further out
        values = np.where(below & (values >= self.min), values - step, values)
        return pd.Series(np.where(~below & (values <= self.max), values + step, values))
