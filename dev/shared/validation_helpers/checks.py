"""Row checks: the rule base class and every rule that computes one failing-row mask."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .columns import _arrow_strings, _as_bool, _bound_for, _dtype_matches, _isin, portable_type

if TYPE_CHECKING:
    from .columns import BoolArray
    from .context import _Context
    from .result import Failure

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _Rule:
    """A declared check; subclasses compute a failing-row mask or frame-level failures."""

    rule_id: str
    check: str
    columns: tuple[str, ...]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.rule_id!r}, columns={self.columns!r})"

    @property
    def column(self) -> str | None:
        return ",".join(self.columns) if self.columns else None

    def example_columns(self) -> Sequence[str]:
        return self.columns

    def evaluate(self, ctx: _Context) -> list[Failure]:
        missing = [c for c in self.columns if c not in ctx.df.columns]
        if missing:
            have = ", ".join(map(str, ctx.df.columns[:20]))
            return [
                ctx.frame_failure(
                    self, f"column(s) {', '.join(missing)} missing from the frame (has: {have})"
                )
            ]
        return self.run(ctx)

    def run(self, ctx: _Context) -> list[Failure]:
        return ctx.row_failure(self, self.failing(ctx), self.condition())

    def failing(self, ctx: _Context) -> BoolArray:
        raise NotImplementedError

    def condition(self) -> str:
        raise NotImplementedError


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _NotNull(_Rule):
    def failing(self, ctx: _Context) -> BoolArray:
        return ctx.isna(self.columns[0])

    def condition(self) -> str:
        return "are null"


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _Unique(_Rule):
    def failing(self, ctx: _Context) -> BoolArray:
        cols = list(self.columns)
        frame_or_col = ctx.df[cols[0]] if len(cols) == 1 else ctx.df[cols]
        dup = np.asarray(frame_or_col.duplicated(keep=False).to_numpy(), dtype=bool)
        nulls = ctx.any_null(cols)
        return dup & ~nulls if nulls.any() else dup

    def condition(self) -> str:
        return f"share their ({', '.join(self.columns)}) value with another row"


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _InRange(_Rule):
    min: Any
    max: Any

    def failing(self, ctx: _Context) -> BoolArray:
        series = ctx.df[self.columns[0]]
        fail = np.zeros(len(series), dtype=bool)
        low, high = _bound_for(series, self.min), _bound_for(series, self.max)
        if low is not None:
            fail |= _as_bool(series < low, na=False)
        if high is not None:
            fail |= _as_bool(series > high, na=False)
        return fail

    def condition(self) -> str:
        low = "-inf" if self.min is None else str(self.min)
        high = "inf" if self.max is None else str(self.max)
        return f"are outside [{low}, {high}]"


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _IsIn(_Rule):
    allowed: frozenset[Any]

    def failing(self, ctx: _Context) -> BoolArray:
        series = ctx.df[self.columns[0]]
        allowed = list(self.allowed)
        if isinstance(series.dtype, pd.CategoricalDtype):
            # decide per category, then map codes (-1 = null -> the appended False)
            bad = np.append(~series.cat.categories.isin(allowed), False)
            return np.asarray(bad[series.cat.codes.to_numpy()], dtype=bool)
        nulls = ctx.isna(self.columns[0])
        outside = ~_isin(series, allowed, _arrow_strings(series))
        return outside & ~nulls if nulls.any() else outside

    def condition(self) -> str:
        shown = sorted(map(repr, self.allowed))
        return f"are not in {{{', '.join(shown[:10])}{', ...' if len(shown) > 10 else ''}}}"


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _Matches(_Rule):
    pattern: str

    def failing(self, ctx: _Context) -> BoolArray:
        series = ctx.df[self.columns[0]]
        arrow = _arrow_strings(series)
        if arrow is not None:
            import pyarrow.compute as pc  # noqa: PLC0415 (pandas loaded it already: free)

            matched = pc.match_substring_regex(arrow, f"^(?:{self.pattern})$")
            ok = pc.fill_null(matched, True).to_numpy(zero_copy_only=False)
            return ~np.asarray(ok, dtype=bool)
        matched_py = _as_bool(series.str.fullmatch(self.pattern, na=False), na=False)
        nulls = ctx.isna(self.columns[0])
        return ~matched_py & ~nulls if nulls.any() else ~matched_py

    def condition(self) -> str:
        return f"do not match {self.pattern!r}"


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _StrLength(_Rule):
    min: int | None
    max: int | None

    def failing(self, ctx: _Context) -> BoolArray:
        lengths = ctx.df[self.columns[0]].str.len()
        fail = np.zeros(len(lengths), dtype=bool)
        if self.min is not None:
            fail |= _as_bool(lengths < self.min, na=False)
        if self.max is not None:
            fail |= _as_bool(lengths > self.max, na=False)
        return fail

    def condition(self) -> str:
        return f"have a length outside [{self.min or 0}, {'inf' if self.max is None else self.max}]"


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _Dtype(_Rule):
    expected: str

    def run(self, ctx: _Context) -> list[Failure]:
        series = ctx.df[self.columns[0]]
        if _dtype_matches(series, self.expected):
            return []
        msg = f"dtype is {series.dtype} ({portable_type(series)}), expected {self.expected}"
        return [ctx.frame_failure(self, msg)]


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _Compare(_Rule):
    op: str

    def failing(self, ctx: _Context) -> BoolArray:
        left, right = self.columns
        ok = _as_bool(_OPS[self.op](ctx.df[left], ctx.df[right]), na=True)
        nulls = ctx.any_null(self.columns)
        return ~ok & ~nulls

    def condition(self) -> str:
        return f"fail {self.columns[0]} {self.op} {self.columns[1]}"


@dataclass(eq=False, repr=False)  # only __init__ generated: cheap at import
class _Custom(_Rule):
    fn: Callable[[pd.DataFrame], Any]
    name: str

    def run(self, ctx: _Context) -> list[Failure]:
        out = self.fn(ctx.df)  # examples show self.columns, or every column when none named
        if isinstance(out, bool | np.bool_):
            return [] if out else [ctx.frame_failure(self, f"check {self.name!r} returned False")]
        ok = _as_bool(out, na=True)
        if ok.shape != (len(ctx.df),):
            raise ValueError(
                f"check {self.name!r} returned {ok.shape} values for {len(ctx.df)} rows; "
                "return one boolean per row (True = ok) or a single bool"
            )
        return ctx.row_failure(self, ~ok, f"fail check {self.name!r}")
