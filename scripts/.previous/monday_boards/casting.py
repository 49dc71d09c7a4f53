"""Convert a column's values to another portable type (config `type` overrides, retyped drift).

Values that cannot be converted become null and are flagged, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from .cells import Extracted, by_unique, objects, parse_dates, parse_timestamps

TRUE = frozenset({"true", "yes", "y", "1", "v", "x", "done", "checked"})
FALSE = frozenset({"false", "no", "n", "0", "unchecked"})


def _present(values: np.ndarray) -> np.ndarray:
    present = np.asarray(pd.notna(values), dtype=bool)
    if values.dtype == object:
        present &= values != ""
    return present


def as_text(values: np.ndarray) -> np.ndarray:
    """Any values as strings (numbers without a trailing .0, dates ISO, bools true/false)."""
    if values.dtype == object:
        return objects([None if v is None else str(v) for v in values.tolist()])
    if values.dtype.kind == "b":
        return np.where(values, "true", "false").astype(object)
    if values.dtype.kind == "M":
        text = np.datetime_as_string(values).astype(object)
        text[np.isnat(values)] = None
        return text
    series = pd.Series(values)
    whole = series.notna() & (series % 1 == 0) & (series.abs() < 1e15)
    shown = series.astype(object).map(repr, na_action="ignore")
    shown[whole] = series[whole].astype("int64").astype(str)
    return shown.where(series.notna(), None).to_numpy(dtype=object)


def _to_float(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "fiub":
        return values.astype("float64")
    if values.dtype.kind == "M":
        return np.full(len(values), np.nan)
    series = pd.Series(values, dtype=object).str.replace(",", "", regex=False)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")


def _to_int(values: np.ndarray) -> np.ndarray:
    numbers = _to_float(values)
    whole = np.isfinite(numbers) & (numbers % 1 == 0)
    out = np.full(len(numbers), None, dtype=object)
    out[whole] = numbers[whole].astype("int64")
    return out


def _to_bool(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "b":
        return values.astype(object)
    lowered = pd.Series(as_text(values), dtype=object).str.strip().str.lower()
    out = np.full(len(values), None, dtype=object)
    out[lowered.isin(TRUE).to_numpy()] = True
    out[lowered.isin(FALSE).to_numpy()] = False
    return out


def _to_date(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "M":
        return values.astype("datetime64[D]")
    return by_unique(as_text(values), parse_dates, np.datetime64("NaT", "D"))


def _to_timestamp(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "M":
        return values.astype("datetime64[s]")
    return by_unique(as_text(values), parse_timestamps, np.datetime64("NaT", "s"))


def _to_json(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:
        return values
    return as_text(values)


CASTS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = {
    "text": as_text,
    "float": _to_float,
    "int": _to_int,
    "bool": _to_bool,
    "date": _to_date,
    "timestamp": _to_timestamp,
    "json": _to_json,
}


def cast(values: np.ndarray, to_type: str) -> Extracted:
    """Values converted to a portable type, and the mask of values that could not be."""
    converted = CASTS.get(to_type, _to_float if to_type == "decimal" else as_text)(values)
    lost = _present(values) & ~np.asarray(pd.notna(converted), dtype=bool)
    return converted, lost
