"""Arrow cell columns -> typed column values, one extractor per cells.KINDS kind.

The Arrow twins of cells.py's extractors: same outputs (Arrow strings for text, numpy float64,
bool, datetime64) and the same unreadable masks; dates and timestamps go through cells.py's own
parsers, once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_pages import S
from .cells import KINDS, NAT_D, NAT_S, parse_dates, parse_times, parse_timestamps

_ITEM_COLUMNS = {  # item field kind -> path in the item struct
    "item.id": ("id",), "item.name": ("name",), "item.state": ("state",),
    "item.created_at": ("created_at",), "item.updated_at": ("updated_at",),
    "item.group_id": ("group", "id"), "item.group_title": ("group", "title"),
}  # fmt: skip


Extracted = tuple[Any, np.ndarray]  # values (Arrow string array or numpy) and unreadable mask


def text_or_null(values: pa.Array) -> pa.Array:
    """Strings with '' (Monday's empty text) as null."""
    values = values.cast(S)
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, S), values)


def _none(values: pa.Array) -> np.ndarray:
    return np.zeros(len(values), dtype=bool)


def _field(cells: pa.StructArray, *path: str) -> pa.Array:
    out: pa.Array = cells
    for name in path:
        out = pc.struct_field(out, name)
    return out


def _parsed(raw: pa.Array, parse: Callable[[np.ndarray], np.ndarray], empty: Any) -> np.ndarray:
    """``parse`` on the distinct strings only (the dict path's parsers), spread to every row."""
    encoded = raw.dictionary_encode()
    return by_unique_codes(encoded, parse, empty)


def by_unique_codes(
    encoded: pa.DictionaryArray, parse: Callable[[np.ndarray], np.ndarray], empty: Any
) -> np.ndarray:
    parsed = np.asarray(parse(encoded.dictionary.to_numpy(zero_copy_only=False)))
    codes = encoded.indices.fill_null(-1).to_numpy()
    return np.concatenate([parsed, np.array([empty], dtype=parsed.dtype)])[codes]


def _unreadable(raw: pa.Array, result: np.ndarray) -> np.ndarray:
    present = pc.fill_null(pc.not_equal(raw, ""), False).to_numpy(zero_copy_only=False)
    return np.asarray(present & pd.isna(result), dtype=bool)


def _kind_text(*path: str) -> Callable[[pa.StructArray, str | None], Extracted]:
    def extract(cells: pa.StructArray, _sep: str | None) -> Extracted:
        values = text_or_null(_field(cells, *path))
        return values, _none(values)

    return extract


def _number(cells: pa.StructArray, _sep: str | None) -> Extracted:
    values = _field(cells, "number").to_numpy(zero_copy_only=False).astype("float64")
    return values, _none(values)


def _dates(key: str) -> Callable[[pa.StructArray, str | None], Extracted]:
    def extract(cells: pa.StructArray, _sep: str | None) -> Extracted:
        raw = text_or_null(_field(cells, key))
        dates = _parsed(raw, parse_dates, NAT_D)
        return dates, _unreadable(raw, dates)

    return extract


def _date_time(cells: pa.StructArray, _sep: str | None) -> Extracted:
    day = _parsed(text_or_null(_field(cells, "date")), parse_dates, NAT_D).astype("datetime64[s]")
    times = text_or_null(_field(cells, "time"))
    stamps = day + _parsed(times, parse_times, np.timedelta64("NaT", "s"))
    return stamps, _unreadable(times, stamps)


def _checked(cells: pa.StructArray, _sep: str | None) -> Extracted:
    flags = pc.fill_null(_field(cells, "checked"), False).to_numpy(zero_copy_only=False)
    return np.asarray(flags, dtype=bool), _none(flags)


def _joined(key: str, sub: str | None, default: str) -> Callable[..., Extracted]:
    """List fields joined (ids by ',', labels by ', ' unless a separator is set); null
    elements left out; [] (or nothing left) -> null, as the dict path (cells._joined)."""

    def extract(cells: pa.StructArray, sep: str | None) -> Extracted:
        lists = _field(cells, key)
        values = pc.list_flatten(lists)
        if sub is not None:
            values = pc.struct_field(values, sub)
        keep = pc.is_valid(values).to_numpy(zero_copy_only=False)
        parents = pc.list_parent_indices(lists).to_numpy()
        counts = np.bincount(parents[keep], minlength=len(lists))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        rebuilt = pa.ListArray.from_arrays(
            pa.array(offsets), values.filter(pa.array(keep)), mask=lists.is_null()
        )
        joined = text_or_null(pc.binary_join(rebuilt, sep or default))
        return joined, _none(joined)

    return extract


def _updated_at(cells: pa.StructArray, _sep: str | None) -> Extracted:
    raw = text_or_null(_field(cells, "updated_at"))
    stamps = _parsed(raw, parse_timestamps, NAT_S)
    return stamps, _unreadable(raw, stamps)


EXTRACT: Mapping[str, Callable[[pa.StructArray, str | None], Extracted]] = {
    "text": _kind_text("text"),
    "display": _kind_text("display_value"),
    "label": _kind_text("label"),
    "number": _number,
    "date": _dates("date"),
    "date_time": _date_time,
    "timeline_from": _dates("from"),
    "timeline_to": _dates("to"),
    "checked": _checked,
    "country_code": _kind_text("country", "code"),
    "people_ids": _joined("persons_and_teams", "id", ","),
    "linked_ids": _joined("linked_item_ids", None, ","),
    "subitem_ids": _joined("subitems_ids", None, ","),
    "dropdown": _kind_text("text"),
    "dropdown_joined": _joined("values", "label", ", "),
    "item_id": _kind_text("item_id"),
    "updated_at": _updated_at,
}
# the cell fields each kind reads (the first choice of cells.KINDS: the lean query's fields)
READS: Mapping[str, tuple[str, ...]] = {kind: spec.prefer[0] for kind, spec in KINDS.items()}
assert set(EXTRACT) == set(KINDS), "every kind of the dict path has an Arrow extractor"


def item_field(items: pa.StructArray, kind: str) -> Any:
    if kind == "item.id":
        return items.field("id").cast(S)
    values = text_or_null(_field(items, *_ITEM_COLUMNS[kind]))
    if kind in ("item.created_at", "item.updated_at"):
        return _parsed(values, parse_timestamps, NAT_S)
    return values


def as_numpy(values: Any) -> np.ndarray:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
    return np.asarray(values)


def arrow_text(column: pd.Series[Any]) -> pd.Series[Any]:
    """A text column of the dict path (str / None) as the Arrow path gives it."""
    try:
        values = pa.array(column.to_numpy(dtype=object), type=S, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return column
    return pd.Series(pd.arrays.ArrowExtensionArray(values), index=column.index, copy=False)


def as_series(values: Any) -> pd.Series[Any]:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return pd.Series(pd.arrays.ArrowExtensionArray(values), copy=False)
    return pd.Series(values, dtype=object if values.dtype == object else None, copy=False)
