"""Shared types, errors, parameter checks and the Column base of every column kind."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from .text import _malform_text, _string_series

Positions = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
DAY_US = 86_400_000_000
SECOND_US = 1_000_000


class SchemaError(ValueError):
    """A schema or its related frames are invalid; the message names schema, column, problem."""


class DefectError(ValueError):
    """A defect cannot be injected; the message names the defect, the column and the fix."""


@dataclass(frozen=True)
class _GenContext:
    rows: int
    rng: np.random.Generator
    strings: str
    frame: Mapping[str, pd.Series[Any]]
    related: Mapping[str, pd.DataFrame]

    def text(self, values: Any) -> pd.Series[Any]:
        return _string_series(values, self.strings)

    def sample(self, pool: Any) -> pd.Series[Any]:
        return self.text(pool.take(self.rng.integers(0, len(pool), self.rows)))


def _require_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _is_count(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer) and bool(value >= 0)


def _names(value: object) -> tuple[str, ...]:
    """One name or an iterable of names as a tuple (YAML gives lists, people give strings)."""
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, Iterable) else (str(value),)


def _require_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return value


def _require_order(low: float | np.datetime64, high: float | np.datetime64, what: str) -> None:
    if low > high:
        raise ValueError(f"{what} min {low} > max {high}; declare min <= max")


@dataclass(frozen=True)
class _RangeRequest:
    """Rows that need values outside their column's declared range."""

    frame: pd.DataFrame
    positions: Positions
    rng: np.random.Generator


def _side_offsets(rng: np.random.Generator, k: int, span: int) -> tuple[Mask, Positions]:
    """For out-of-range values: which side (True = below min) and a distance 1..span."""
    return rng.random(k) < 0.5, rng.integers(1, max(span, 1) + 1, k)


@dataclass(frozen=True)
class Column:
    """Base of the column kinds; `null_rate` (0..1) is the share of cells left empty."""

    kind: ClassVar[str] = ""
    null_rate: float = field(default=0.0, kw_only=True)

    @property
    def format_regex(self) -> str | None:
        """A regex every clean value matches as text (None: no text format)."""
        return None

    def check(self, columns: Mapping[str, Column]) -> None:  # noqa: ARG002 - hook
        """Raise ValueError naming the problem; `columns` is the whole schema."""
        rate = _require_number("null_rate", self.null_rate)
        if not 0 <= rate <= 1:
            raise ValueError(f"null_rate {rate} is outside 0..1")

    def depends_on(self) -> tuple[str, ...]:
        return ()

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        raise NotImplementedError

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any] | None:  # noqa: ARG002 - hook
        """Values outside the declared range for these rows (None: the kind has no range)."""
        return None

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        """Text values that break this kind's format (arrow in, arrow out)."""
        return _malform_text(values, rng)
