"""Write frames to files (csv, json, parquet) atomically, read them back, load tables."""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Sequence as Seq
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .base import SECOND_US

if TYPE_CHECKING:
    from shared.db_helper import Database, TableSchema


def _write_csv(df: pd.DataFrame, path: Path, index: bool) -> None:
    df.to_csv(path, index=index)


def _write_json(df: pd.DataFrame, path: Path, index: bool) -> None:
    frame = df.reset_index() if index else df
    stamps = [
        frame[c].to_numpy(dtype="datetime64[us]") for c in frame if frame[c].dtype.kind == "M"
    ]
    fractions = any((s[~np.isnat(s)].view(np.int64) % SECOND_US).any() for s in stamps)
    # whole seconds read best without a fraction; anything finer keeps its microseconds
    frame.to_json(path, orient="records", date_format="iso", date_unit="us" if fractions else "s")


def _write_parquet(df: pd.DataFrame, path: Path, index: bool) -> None:
    df.to_parquet(path, engine="pyarrow", index=index)


_WRITERS: dict[str, Callable[[pd.DataFrame, Path, bool], None]] = {
    ".csv": _write_csv,
    ".json": _write_json,
    ".parquet": _write_parquet,
}


def write_frame(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write by suffix (.csv, .json records, .parquet); atomic: readers never see half a file."""
    target = Path(path)
    writer = _WRITERS.get(target.suffix.lower())
    if writer is None:
        raise ValueError(
            f"write_frame: cannot write {target.name!r}: unknown suffix {target.suffix!r}; "
            f"use one of {', '.join(_WRITERS)}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        writer(df, partial, index)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def read_frame(path: str | Path, *, like: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read what write_frame wrote; with `like`, columns get `like`'s dtypes back."""
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in _WRITERS:
        raise ValueError(
            f"read_frame: unknown suffix {source.suffix!r} of {source.name!r}; use one of {', '.join(_WRITERS)}"
        )
    frame = _read(source, suffix)
    return frame if like is None else _restore_dtypes(frame, like)


def _read(source: Path, suffix: str) -> pd.DataFrame:
    if suffix == ".parquet":
        return pd.read_parquet(source, engine="pyarrow")
    if suffix == ".csv":
        return pd.read_csv(source)
    return pd.read_json(source, orient="records", dtype=False)


def _restore_dtypes(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each column `like` also has cast back to `like`'s dtype (in place)."""
    for column, dtype in like.dtypes.items():
        if column in frame.columns and frame[column].dtype != dtype:
            values = frame[column]
            if dtype.kind == "M":
                values = pd.to_datetime(values, format="ISO8601")
            frame[column] = values.astype(dtype)
    return frame


def write_table(
    df: pd.DataFrame,
    database: Database,
    table: str,
    *,
    keys: Seq[str] | None = None,
    schema: TableSchema | None = None,
) -> int:
    """Load into a table: upsert on `keys` when given, else replace the table atomically."""
    if keys:
        return database.upsert_frame(df, table, keys, schema=schema).rows
    return database.replace_table_atomically(df, table, schema=schema)
