"""Cell edits on Series: set nulls, put values, render as text, malform rendered text."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .base import DAY_US, SECOND_US, Mask, Positions
from .text import _arrow_text, _by_strategy, _join, _placeholder, _string_mode, _string_series


def _set_null(values: pd.Series[Any], mask: Mask) -> pd.Series[Any]:
    """`values` with the cells under `mask` missing; ints/bools become nullable Int64/boolean."""
    if not mask.any():
        return values
    mode = _string_mode(values)
    if mode == "pyarrow":
        return _string_series(_null_where(_arrow_text(values), mask), "pyarrow", values.index)
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        array_type = pd.arrays.BooleanArray if dtype.kind == "b" else pd.arrays.IntegerArray
        data = values.to_numpy(copy=True)
        return pd.Series(array_type(data, mask.copy()), index=values.index, name=values.name)
    array = values.array.copy()
    array[mask] = None
    return pd.Series(array, index=values.index, name=values.name, dtype=values.dtype)


def _null_where(values: Any, mask: Mask) -> Any:
    """An arrow array with the masked cells null: a new validity bitmap, data buffers shared."""
    if values.offset != 0:  # a sliced array: its bitmap is not byte-aligned with the mask
        return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)
    valid = ~mask
    if values.null_count:
        valid &= values.is_valid().to_numpy(zero_copy_only=False)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    nulls = len(values) - int(np.count_nonzero(valid))
    return pa.Array.from_buffers(values.type, len(values), [bitmap, *values.buffers()[1:]], nulls)


def _put(values: pd.Series[Any], positions: Positions, new: pd.Series[Any]) -> pd.Series[Any]:
    """`values` with new[i] written at positions[i] (positions unique)."""
    if _string_mode(values) == "pyarrow":
        combined = pa.concat_arrays([_arrow_text(values), _arrow_text(new)])
        take = np.arange(len(values), dtype=np.int64)
        take[positions] = len(values) + np.arange(len(positions))
        return _string_series(combined.take(take), "pyarrow", values.index)
    if isinstance(values.dtype, pd.CategoricalDtype):
        array = values.array.copy()
        extra = pd.Index(new.dropna().unique()).difference(array.categories)
        array = array.add_categories(extra) if len(extra) else array
        array[positions] = new.to_numpy(dtype=object)
        return pd.Series(array, index=values.index, name=values.name)
    if isinstance(values.dtype, np.dtype):
        data = values.to_numpy(copy=True)
        data[positions] = new.to_numpy(dtype=values.dtype)
        return pd.Series(data, index=values.index, name=values.name, dtype=values.dtype, copy=False)
    array = values.array.copy()
    array[positions] = new.to_numpy(dtype=object)
    return pd.Series(array, index=values.index, name=values.name, dtype=values.dtype, copy=False)


def _as_text(values: pd.Series[Any], mode: str) -> pd.Series[Any]:
    """A non-text column rendered as text: ISO dates (time only when any), plain numbers."""
    arrow = pa.array(values.array, from_pandas=True)
    if pa.types.is_timestamp(arrow.type):
        stamps = values.to_numpy(dtype="datetime64[us]").view(np.int64)[values.notna().to_numpy()]
        if (stamps % SECOND_US).any():  # keep the fraction only where there is one
            text = pc.strftime(arrow, format="%Y-%m-%dT%H:%M:%S")
        else:
            fmt = "%Y-%m-%d" if not (stamps % DAY_US).any() else "%Y-%m-%dT%H:%M:%S"
            text = pc.strftime(arrow.cast(pa.timestamp("s")), format=fmt)
    elif pa.types.is_boolean(arrow.type):
        text = pc.if_else(arrow, "true", "false")
    else:
        text = pc.cast(arrow, pa.string())
    return _string_series(text.cast(pa.large_string()), mode, values.index)


def _decimal_comma(values: Any) -> Any:
    """12.5 -> 12,5 and 12 -> 12,00: the decimal comma of European spreadsheets."""
    has_point = pc.match_substring(values, ".")
    return pc.if_else(has_point, pc.replace_substring(values, ".", ","), _join(values, ",00"))


def _malform_converted(text: Any, origin: str, rng: np.random.Generator) -> Any:
    """Unparseable versions of text rendered from numbers ('number'), dates or booleans."""
    junk = _placeholder(rng)
    if origin == "date":
        strategies = [
            lambda v: pc.replace_substring_regex(
                v, pattern=r"^(\d{4})-(\d{2})-(\d{2})", replacement=r"\3/\2/\1"
            ),
            lambda v: pc.replace_substring_regex(
                v, pattern=r"^(\d{4})-\d{2}", replacement=r"\1-13"
            ),
            junk,
        ]
    elif origin == "number":
        strategies = [_decimal_comma, lambda v: _join("~", v), junk]
    else:
        strategies = [junk]
    return _by_strategy(text, rng.integers(0, len(strategies), len(text)), strategies)
