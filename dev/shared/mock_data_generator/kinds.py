"""Column kinds for ids, sequences, foreign keys, categories, booleans and constants."""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .base import Column, DefectError, SchemaError, _GenContext, _require_int, _require_number
from .text import _arrow_text, _join, _large, _malform_text, _string_mode, _text_series


@dataclass(frozen=True)
class Id(Column):
    """Unique integer ids start, start+1, ...; `shuffle` puts them in random row order."""

    kind: ClassVar[str] = "id"
    start: int = 1
    shuffle: bool = False

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        _require_int("start", self.start)

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        values = np.arange(self.start, self.start + ctx.rows, dtype=np.int64)
        return pd.Series(ctx.rng.permutation(values) if self.shuffle else values)


@dataclass(frozen=True)
class Sequence(Column):
    """start, start+step, ...; with `cycle` the sequence restarts every `cycle` rows (1,2,3,1,..)."""

    kind: ClassVar[str] = "sequence"
    start: int = 1
    step: int = 1
    cycle: int | None = None

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        _require_int("start", self.start)
        _require_int("step", self.step)
        if self.cycle is not None and _require_int("cycle", self.cycle) < 1:
            raise ValueError(f"cycle must be >= 1, got {self.cycle}")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        counter = np.arange(ctx.rows, dtype=np.int64)
        if self.cycle is not None:
            counter %= self.cycle
        return pd.Series(self.start + self.step * counter)


_SCALAR_TYPES: dict[type, str] = {str: "text", bool: "bool", int: "number", float: "number"}


def _family(value: object) -> str | None:
    return _SCALAR_TYPES.get(type(value))


@dataclass(frozen=True)
class Category(Column):
    """Values drawn with weights ({value: weight}) or uniformly (a list of values).

    Strings come out as the generator's string dtype, or as a pandas category when
    `categorical` is true; numbers and booleans keep their numpy dtype.
    """

    kind: ClassVar[str] = "category"
    weights: Mapping[Any, float] | Seq[Any]
    categorical: bool = False

    def items(self) -> tuple[list[Any], npt.NDArray[np.float64]]:
        if isinstance(self.weights, Mapping):
            values = list(self.weights)
            raw = [_require_number(f"weight of {v!r}", w) for v, w in self.weights.items()]
        else:
            values, raw = list(self.weights), [1.0] * len(self.weights)
        return values, np.asarray(raw, dtype=np.float64)

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if isinstance(self.weights, str) or not isinstance(self.weights, Mapping | Seq):
            raise TypeError("weights must be {value: weight} or a list of values")
        values, weights = self.items()
        families = {_family(v) for v in values}
        if not values or None in families or len(families) > 1:
            raise ValueError(
                f"values {values!r} must be non-empty and all str, all numbers or all bools"
            )
        if len(set(values)) < len(values):
            raise ValueError(f"values {values!r} repeat; list each value once")
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"weights {weights.tolist()} must be >= 0 with a positive sum")

    def codes(self, rows: int, rng: np.random.Generator) -> npt.NDArray[np.integer[Any]]:
        _, weights = self.items()
        cumulative = np.cumsum(weights)
        thresholds = cumulative[:-1] / cumulative[-1]  # the last category ends exactly at 1
        draws = rng.random(rows)
        if len(thresholds) > 16:
            return np.searchsorted(thresholds, draws, side="right")
        codes = np.zeros(rows, dtype=np.int8)  # small codes: less memory traffic for the take
        for threshold in thresholds:  # one vectorised pass per category, not per row
            codes += draws >= threshold
        return codes

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        values, _ = self.items()
        codes = self.codes(ctx.rows, ctx.rng)
        if self.categorical:
            return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(values)))
        if isinstance(values[0], str):
            return ctx.text(_large(values).take(codes))
        return pd.Series(np.asarray(values)[codes])

    @property
    def format_regex(self) -> str:
        return "^(?:" + "|".join(re.escape(str(v)) for v in self.items()[0]) + ")$"

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        return _malform_text(values, rng, _large(str(v) for v in self.items()[0]))


@dataclass(frozen=True)
class Boolean(Column):
    """True with `probability`, else False."""

    kind: ClassVar[str] = "boolean"
    probability: float = 0.5

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if not 0 <= _require_number("probability", self.probability) <= 1:
            raise ValueError(f"probability {self.probability} is outside 0..1")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return pd.Series(ctx.rng.random(ctx.rows) < self.probability)


@dataclass(frozen=True)
class Constant(Column):
    """The same value in every row (str, number or bool)."""

    kind: ClassVar[str] = "constant"
    value: Any

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if _family(self.value) is None:
            raise ValueError(f"value {self.value!r} must be a str, number or bool")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        if isinstance(self.value, str):
            return ctx.text(pa.repeat(pa.scalar(self.value, pa.large_string()), ctx.rows))
        return pd.Series(np.full(ctx.rows, self.value))

    @property
    def format_regex(self) -> str:
        return "^" + re.escape(str(self.value)) + "$"

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        return _malform_text(values, rng, _large([str(self.value)]))


@dataclass(frozen=True)
class ForeignKey(Column):
    """Values of `column` in the related frame `frame` (pass it as related={frame: df})."""

    kind: ClassVar[str] = "foreign_key"
    frame: str
    column: str

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        for name in ("frame", "column"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} must name the parent {name}, got {getattr(self, name)!r}")

    def parent_keys(self, related: Mapping[str, pd.DataFrame], where: str) -> pd.Series[Any]:
        parent = related.get(self.frame)
        if parent is None:
            raise SchemaError(
                f"{where}: foreign key into frame {self.frame!r}, but related= has no "
                f"{self.frame!r} (has {sorted(related)}); pass related={{{self.frame!r}: <DataFrame>}}"
            )
        if self.column not in parent.columns:
            raise SchemaError(
                f"{where}: frame {self.frame!r} has no column {self.column!r}; "
                f"its columns are {list(parent.columns)}"
            )
        keys = parent[self.column].dropna().reset_index(drop=True)
        if keys.empty:
            raise SchemaError(
                f"{where}: frame {self.frame!r} column {self.column!r} has no values to refer to"
            )
        return keys

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        keys = self.parent_keys(ctx.related, "foreign key")
        return pd.Series(keys.array.take(ctx.rng.integers(0, len(keys), ctx.rows)))

    def orphans(
        self, keys: pd.Series[Any], like: pd.Series[Any], rng: np.random.Generator
    ) -> pd.Series[Any]:
        """Values that look like keys of the parent but are not among `keys`."""
        if pd.api.types.is_integer_dtype(keys.dtype):
            top = int(keys.max())
            values = top + 1 + rng.integers(0, max(len(keys), 1000), len(like))
            return pd.Series(values).astype(like.dtype)
        if _string_mode(keys) is None:
            raise DefectError(
                f"orphans need integer or text keys; {self.frame}.{self.column} is {keys.dtype}"
            )
        return _text_series(_text_orphans(_arrow_text(keys), len(like), rng), like)


def _text_orphans(known: Any, count: int, rng: np.random.Generator) -> Any:
    """`count` texts shaped like the `known` keys (last character changed), none among them."""
    picked = known.take(rng.integers(0, len(known), count))
    alphabet = _large(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))
    new = picked
    for _ in range(8):
        clash = pc.is_in(new, known)
        if not pc.any(clash).as_py():
            return new
        tail = alphabet.take(rng.integers(0, len(alphabet), len(new)))
        new = pc.if_else(clash, _join(pc.utf8_slice_codeunits(picked, 0, -1), tail), new)
        picked = pc.if_else(clash, _join(picked, tail), picked)
    return pc.if_else(pc.is_in(new, known), _join(new, "-ORPHAN"), new)
