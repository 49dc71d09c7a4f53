"""One injector per defect kind: pick free cells, compute damaged values, record them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .base import Column, DefectError, Mask, Positions, SchemaError, _RangeRequest
from .damage import _Damage
from .defects import Defect, DefectEntry
from .edits import _malform_converted
from .kinds import ForeignKey
from .text import _arrow_text, _malform_text, _string_mode, _text_series


@dataclass(frozen=True)
class _DefectContext:
    specs: Mapping[str, Column]
    related: Mapping[str, pd.DataFrame]
    schema_known: bool

    def spec(self, defect: Defect) -> Column:
        spec = self.specs.get(defect.column)
        if spec is None:
            hint = "pass schema=" if not self.schema_known else "the schema does not declare it"
            raise DefectError(
                f"{defect.kind} on column {defect.column!r} needs the column's declared kind: {hint}"
            )
        return spec


def _differs(a: pd.Series[Any], b: pd.Series[Any]) -> Mask:
    left, right = a.reset_index(drop=True), b.reset_index(drop=True)
    equal = left.eq(right).fillna(value=False).to_numpy(dtype=np.bool_)
    return ~(equal | (left.isna() & right.isna()).to_numpy())


def _pick_cells(state: _Damage, d: Defect, k: int, rng: np.random.Generator) -> Positions:
    """Up to `k` free, non-null cells of the defect's column, in row order."""
    mask = state.free([d.column], overlap=d.allow_overlap, values_only=True)
    return np.sort(state.pick(mask, k, rng, f"{d.kind} on {d.column!r}"))


def _entry(state: _Damage, d: Defect, k: int, positions: Positions) -> DefectEntry:
    return DefectEntry(d.kind, d.column, d.rate, k, state.frame.index[positions].to_numpy())


def _inject_nulls(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, _ctx: _DefectContext
) -> DefectEntry:
    positions = _pick_cells(state, d, k, rng)
    state.record(d.column, positions, None)
    return _entry(state, d, k, positions)


def _pick_pairs(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, columns: list[str]
) -> tuple[Positions, Positions]:
    """Target cells to overwrite and, for each, a distinct free source row to copy from."""
    single = d.column != "*"
    targets = state.pick(
        state.free(columns, overlap=d.allow_overlap, values_only=single),
        k,
        rng,
        f"duplicates on {d.column!r}",
    )
    source_ok = state.free(columns, overlap=False, values_only=single)
    source_ok[targets] = False
    sources = state.pick(source_ok, len(targets), rng, f"duplicate sources for {d.column!r}")
    return targets[: len(sources)], sources


def _changing_pairs(
    state: _Damage, columns: list[str], targets: Positions, sources: Positions
) -> tuple[Positions, Positions]:
    """The pairs whose copy changes a value, by target row (an equal copy damages nothing)."""
    changed = np.zeros(len(targets), dtype=np.bool_)
    for column in columns:
        current = state.current[column]
        changed |= _differs(current.iloc[targets], current.iloc[sources])
    order = np.argsort(targets[changed])
    return targets[changed][order], sources[changed][order]


def _inject_duplicates(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, _ctx: _DefectContext
) -> DefectEntry:
    columns = list(state.current) if d.column == "*" else [d.column]
    targets, sources = _pick_pairs(state, d, k, rng, columns)
    targets, sources = _changing_pairs(state, columns, targets, sources)
    for column in columns:
        state.record(column, targets, state.current[column].iloc[sources])
        state.reserve(column, sources)
    index = state.frame.index
    return DefectEntry(
        d.kind, d.column, d.rate, k, index[targets].to_numpy(), index[sources].to_numpy()
    )


def _inject_out_of_range(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, ctx: _DefectContext
) -> DefectEntry:
    spec = ctx.spec(d)
    positions = _pick_cells(state, d, k, rng)
    values = spec.out_of_range(_RangeRequest(state.frame, positions, rng))
    if values is None:
        raise DefectError(
            f"out_of_range on column {d.column!r}: kind {spec.kind!r} declares no range; "
            "use it on integer, float, money, date, datetime or date_after columns"
        )
    state.record(
        d.column,
        positions,
        values.astype(state.frame[d.column].dtype) if values.dtype.kind != "M" else values,
    )
    return _entry(state, d, k, positions)


def _inject_malformed(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, ctx: _DefectContext
) -> DefectEntry:
    current = state.current[d.column]
    if _string_mode(current) is None and not isinstance(current.dtype, pd.CategoricalDtype):
        state.to_text(d.column)
    positions = _pick_cells(state, d, k, rng)
    current = state.current[d.column]
    text = _arrow_text(current.iloc[positions])
    if d.column in state.converted:
        new = _malform_converted(text, state.converted[d.column], rng)
    else:
        spec = ctx.specs.get(d.column)
        new = spec.malform(text, rng) if spec is not None else _malform_text(text, rng)
    state.record(d.column, positions, _text_series(new, current))
    return _entry(state, d, k, positions)


def _foreign_key(d: Defect, ctx: _DefectContext) -> tuple[ForeignKey, pd.Series[Any]]:
    """The column's ForeignKey kind and the parent keys it must avoid."""
    spec = ctx.spec(d)
    if not isinstance(spec, ForeignKey):
        raise DefectError(
            f"orphans on column {d.column!r}: kind {spec.kind!r} is not a foreign_key"
        )
    try:
        return spec, spec.parent_keys(ctx.related, f"orphans on column {d.column!r}")
    except SchemaError as exc:
        raise DefectError(str(exc)) from None


def _inject_orphans(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, ctx: _DefectContext
) -> DefectEntry:
    spec, keys = _foreign_key(d, ctx)
    positions = _pick_cells(state, d, k, rng)
    values = spec.orphans(keys, state.current[d.column].iloc[positions], rng)
    state.record(d.column, positions, values)
    return _entry(state, d, k, positions)


_INJECTORS: dict[
    str, Callable[[_Damage, Defect, int, np.random.Generator, _DefectContext], DefectEntry]
] = {
    "nulls": _inject_nulls,
    "duplicates": _inject_duplicates,
    "out_of_range": _inject_out_of_range,
    "malformed": _inject_malformed,
    "orphans": _inject_orphans,
}
