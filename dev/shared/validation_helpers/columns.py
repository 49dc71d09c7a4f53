"""Column helpers: portable types, dtype checks, range bounds and boolean masks."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import numpy.typing as npt

    BoolArray = npt.NDArray[np.bool_]

_KINDS = {
    "int": "int",
    "integer": "int",
    "float": "float",
    "bool": "bool",
    "boolean": "bool",
    "text": "text",
    "str": "text",
    "string": "text",
    "date": "date",
    "timestamp": "timestamp",
    "datetime": "timestamp",
    "json": "json",
    "decimal": "decimal",
    "category": "category",
}
_INFERRED = {
    "string": "text",
    "empty": "text",
    "integer": "int",
    "floating": "float",
    "mixed-integer-float": "float",
    "decimal": "decimal",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
    "datetime64": "timestamp",
}
# (frame type, table type) pairs that load without loss: pandas has no date dtype, and an
# int/bool column lands fine in a wider numeric column.
_COMPATIBLE = {
    ("timestamp", "date"),
    ("date", "timestamp"),
    ("int", "float"),
    ("int", "decimal"),
    ("float", "decimal"),
    ("bool", "int"),
}


def _as_bool(values: Any, *, na: bool) -> BoolArray:
    """A numpy bool array from a boolean Series/array; nulls become ``na``."""
    if isinstance(values, pd.Series | pd.Index):
        if values.dtype == bool:
            return np.asarray(values.to_numpy(), dtype=bool)
        return np.asarray(values.to_numpy(dtype=bool, na_value=na), dtype=bool)
    if isinstance(values, pd.api.extensions.ExtensionArray):
        return np.asarray(values.to_numpy(dtype=bool, na_value=na), dtype=bool)
    return np.asarray(values, dtype=bool)


def _arrow_strings(series: pd.Series) -> Any:
    """The pyarrow array behind an arrow-backed string column, else None."""
    dtype = series.dtype
    arrow_string = isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
    if isinstance(dtype, pd.ArrowDtype):
        arrow_string = str(dtype.pyarrow_dtype) in ("string", "large_string")
    return series.array.__arrow_array__() if arrow_string else None


def _isin(series: pd.Series, values: Any, arrow: Any = None) -> BoolArray:
    """True where the value is in ``values``; pyarrow's is_in for arrow strings (5-10x faster
    than Series.isin there on large value sets)."""
    if arrow is not None:
        import pyarrow as pa  # noqa: PLC0415 (pandas loaded it already: free)
        import pyarrow.compute as pc  # noqa: PLC0415

        try:
            value_set = pa.array(np.asarray(values, dtype=object), type=arrow.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # keys that are not text: pandas decides
            pass
        else:
            found = pc.is_in(arrow, value_set=value_set).to_numpy(zero_copy_only=False)
            return np.asarray(found, dtype=bool)
    return _as_bool(series.isin(values), na=False)


def portable_type(series: pd.Series) -> str:
    """The portable type of a column, as shared.db_helper names them ("text", "int", "float",
    "bool", "date", "timestamp", "json", "decimal"); the dtype's name when none fits."""
    dtype = series.dtype
    api = pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        return portable_type(pd.Series(dtype.categories))
    if api.is_bool_dtype(dtype):
        return "bool"
    if api.is_integer_dtype(dtype):
        return "int"
    if api.is_float_dtype(dtype):
        return "float"
    if api.is_datetime64_any_dtype(dtype):
        return "timestamp"
    if dtype != object and api.is_string_dtype(dtype):
        return "text"
    inferred = api.infer_dtype(series, skipna=True)
    if inferred in _INFERRED:
        return _INFERRED[inferred]
    first = series.dropna().iloc[:1].tolist()
    return "json" if first and isinstance(first[0], dict | list) else str(dtype)


def _dtype_matches(series: pd.Series, expected: str) -> bool:
    kind = _KINDS.get(expected.lower())
    if kind == "category":
        return isinstance(series.dtype, pd.CategoricalDtype)
    if kind is not None:
        actual = portable_type(series)
        return actual == kind or (kind == "date" and actual == "timestamp")
    return bool(series.dtype == pd.api.types.pandas_dtype(expected))


def _bound_for(series: pd.Series, bound: Any) -> Any:
    """A range bound comparable with the column (timestamps localised like the column)."""
    if bound is None or not pd.api.types.is_datetime64_any_dtype(series.dtype):
        return bound
    stamp = pd.Timestamp(bound)
    tz = getattr(series.dtype, "tz", None)
    if tz is not None and stamp.tzinfo is None:
        return stamp.tz_localize(tz)
    if tz is None and stamp.tzinfo is not None:
        return stamp.tz_convert(UTC).tz_localize(None)
    return stamp
