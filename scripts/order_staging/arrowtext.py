"""Arrow-backed text helpers: type and look up text columns without a Python object per value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# A plain decimal number: what a CSV, JSON or X12 numeric field may hold.
NUMBER = r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$"


def arrow(values: Any) -> Any:
    """Text values as an Arrow string array (zero-copy for pandas' pyarrow-backed strings)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if not isinstance(series.dtype, pd.StringDtype):
        series = series.astype("str")
    return pa.array(series)


def trimmed(values: Any) -> Any:
    """Text without surrounding whitespace; missing values as ""."""
    return pc.fill_null(pc.utf8_trim_whitespace(arrow(values)), "")


def present(values: Any) -> np.ndarray:
    """True where the (trimmed) text is not empty."""
    return np.asarray(pc.not_equal(values, "").to_numpy(zero_copy_only=False), dtype=bool)


def numbers(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Text -> (float64 values, given): NaN where blank or not a finite plain number; `given`
    is False where the text is empty or only whitespace. Surrounding whitespace is allowed."""
    text = pc.cast(arrow(values), pa.large_string())
    null = pa.scalar(None, pa.large_string())
    try:  # the common case: every value a number or empty
        parsed = pc.cast(pc.if_else(pc.equal(text, ""), null, text), pa.float64())
        given = present(pc.fill_null(text, ""))
    except pa.ArrowInvalid:  # whitespace or words somewhere: trim, keep what is a number
        text = trimmed(text)
        ok = pc.match_substring_regex(text, NUMBER)
        parsed = pc.cast(pc.if_else(ok, text, null), pa.float64())
        given = present(text)
    out = np.asarray(pc.fill_null(parsed, np.nan).to_numpy(zero_copy_only=False), dtype=float)
    return np.where(np.isfinite(out), out, np.nan), given


def lookup(values: Any, keys: Any) -> np.ndarray:
    """Position of each value in `keys` (an Index or sequence of text), -1 when absent."""
    value_set = pa.array(pd.Index(keys).astype(str).to_numpy(dtype=object), type=pa.large_string())
    found = pc.index_in(pc.cast(arrow(values), pa.large_string()), value_set=value_set)
    return np.array(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def objects(values: Any, rows: np.ndarray) -> np.ndarray:
    """Python strings (object array) of the values at the given row positions."""
    taken = pc.take(arrow(values), pa.array(np.asarray(rows, dtype=np.int64)))
    return np.asarray(taken.to_numpy(zero_copy_only=False), dtype=object)


def codes(values: Any) -> np.ndarray:
    """Integer codes of the values (equal text, equal code), in first-seen order."""
    encoded = pc.dictionary_encode(arrow(values))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks()
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
