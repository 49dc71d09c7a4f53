"""Arrow string helpers: joins, pandas string Series, malformed-text strategies."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Sequence as Seq
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

StringMode = Literal["pyarrow", "python"]
_STRING_DTYPES: dict[str, Any] = {  # pandas-stubs cannot express the storage literal
    "pyarrow": pd.StringDtype("pyarrow", na_value=np.nan),
    "python": pd.StringDtype("python", na_value=np.nan),
}
_PLACEHOLDERS = ("N/A", "-", "???", "n.a.", "#REF!", "null?")


def _large(values: Iterable[str]) -> Any:
    return pa.array(list(values), type=pa.large_string())


def _join(*parts: Any, sep: str = "") -> Any:
    """Element-wise concatenation of arrow string arrays and str literals (vectorised in C++)."""
    args = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar(sep, pa.large_string()))


def _fixed_width_strings(data: npt.NDArray[Any], width: int) -> Any:
    """An arrow string array of consecutive `width`-byte values of `data` (no Python objects)."""
    rows = data.nbytes // width if width else 0
    offsets = np.arange(rows + 1, dtype=np.int64) * width
    return pa.Array.from_buffers(
        pa.large_string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _string_series(values: Any, mode: str, index: pd.Index | None = None) -> pd.Series[Any]:
    """A pandas `str` Series (pyarrow or Python storage) from an arrow string array."""
    dtype = _STRING_DTYPES[mode]
    if mode == "pyarrow":
        return pd.Series(dtype.__from_arrow__(values), index=index, copy=False)
    return pd.Series(pd.array(values.to_numpy(zero_copy_only=False), dtype=dtype), index=index)


def _arrow_text(values: pd.Series[Any]) -> Any:
    """The values of a text (or categorical text) Series as one arrow large_string array."""
    arr = pa.array(values.array, from_pandas=True)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr.cast(pa.large_string())


def _string_mode(values: pd.Series[Any]) -> str | None:
    """'pyarrow' / 'python' for string columns, 'object' for object-of-str, else None."""
    if isinstance(values.dtype, pd.StringDtype):
        return "pyarrow" if values.dtype.storage == "pyarrow" else "python"
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string":
        return "object"
    return None


def _text_series(
    values: Any, like: pd.Series[Any], index: pd.Index | None = None
) -> pd.Series[Any]:
    """Arrow text as a Series of the same string flavour as `like`."""
    mode = _string_mode(like)
    if mode in _STRING_DTYPES:
        return _string_series(values, str(mode), index)
    return pd.Series(values.to_numpy(zero_copy_only=False), index=index, dtype=object)


def _by_strategy(
    values: Any, choice: npt.NDArray[np.int64], strategies: Seq[Callable[[Any], Any]]
) -> Any:
    """Apply strategies[choice[i]] to values[i], vectorised per strategy, order preserved."""
    parts, order = [], []
    for number, strategy in enumerate(strategies):
        picked = np.flatnonzero(choice == number)
        parts.append(strategy(values.take(picked)).cast(pa.large_string()))
        order.append(picked)
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[np.concatenate(order)] = np.arange(len(values))
    return pa.concat_arrays(parts).take(inverse)


def _placeholder(rng: np.random.Generator) -> Callable[[Any], Any]:
    pool = _large(_PLACEHOLDERS)
    return lambda v: pool.take(rng.integers(0, len(_PLACEHOLDERS), len(v)))


def _ensure_changed(new: Any, original: Any, invalid: Callable[[Any], Any] | None = None) -> Any:
    """Append '?' where a malformed value equals its original (or is still valid)."""
    for _ in range(8):
        same = pc.fill_null(pc.equal(new, original), False)
        if invalid is not None:
            same = pc.or_(same, pc.invert(invalid(new)))
        if not pc.any(same).as_py():
            return new
        new = pc.if_else(same, _join(new, "?"), new)
    return new  # pragma: no cover - eight appended characters always leave the valid set


def _text_strategies(rng: np.random.Generator) -> list[Callable[[Any], Any]]:
    """Generic ways text goes wrong: case, stray whitespace, placeholder junk."""
    return [pc.utf8_lower, lambda v: _join(" ", v, " "), _placeholder(rng)]


def _malform_text(values: Any, rng: np.random.Generator, valid: Any = None) -> Any:
    """Generic malformed text; with `valid` (arrow array) the results are never among it."""
    new = _by_strategy(values, rng.integers(0, 3, len(values)), _text_strategies(rng))
    invalid = None if valid is None else (lambda v: pc.invert(pc.is_in(v, valid)))
    return _ensure_changed(new, values, invalid)
