"""The canonical order shape every source maps to: one header frame and one lines frame.

Parsers return text values exactly as the source carried them (``""`` for absent); the rule
engine types them. A parsed file is a :class:`ParsedFile`; a malformed one raises
:class:`MalformedFile`, which the workflow turns into a quarantine entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Header fields (one row per order). `order_seq` numbers the orders of a file from 0;
# `header_conflicts` names header fields whose value differs between the rows of one CSV order.
HEADER_COLUMNS = (
    "order_seq",
    "source",
    "channel",
    "order_id",
    "order_date",
    "customer_id",
    "currency",
    "requested_delivery_date",
    "order_total",
    "priority",
    "header_conflicts",
)
# Line fields (one row per order line). `row_no` is the line's 1-based position in the file's
# data rows (CSV row, JSON line, PO1 segment); it identifies a line even when line_no is bad.
LINE_COLUMNS = (
    "order_seq",
    "row_no",
    "line_no",
    "sku",
    "quantity",
    "unit_price",
    "discount_pct",
    "line_amount",
    "unit",
)
RAW_COLUMNS = ("order_seq", "source", "order_id", "payload")
# Header fields a source must carry (X12 may omit the total: AMT*TT is optional there).
REQUIRED_HEADER = (
    "order_id",
    "order_date",
    "customer_id",
    "currency",
    "requested_delivery_date",
    "order_total",
)
REQUIRED_LINE = ("line_no", "sku", "quantity", "unit_price")
RUSH_PRIORITIES = frozenset({"rush", "express", "urgent", "high"})


class MalformedFile(Exception):
    """A file that cannot be read as its format: the message is the quarantine reason."""


@dataclass
class ParsedFile:
    """One source file in canonical shape, all values text."""

    fmt: str  # "csv" | "json" | "x12"
    headers: pd.DataFrame  # HEADER_COLUMNS
    lines: pd.DataFrame  # LINE_COLUMNS
    raw: pd.DataFrame  # RAW_COLUMNS: the original payload of each order


def text_frame(data: dict[str, object], columns: tuple[str, ...], rows: int) -> pd.DataFrame:
    """A frame with exactly `columns`: text ("" for missing values or columns); the int
    columns order_seq and row_no as int64."""
    out: dict[str, object] = {}
    for col in columns:
        value = data.get(col, "")
        if col in ("order_seq", "row_no"):
            out[col] = np.asarray(value, dtype=np.int64) if not np.isscalar(value) else value
        elif isinstance(value, pd.Series):
            out[col] = _text(value.reset_index(drop=True))
        elif isinstance(value, str):
            constant = pc.fill_null(pa.nulls(rows, pa.large_string()), value)
            out[col] = pd.Series(constant.to_pandas(), dtype="str")
        else:
            out[col] = _text(pd.Series(value, dtype=object))
    return pd.DataFrame(out, index=pd.RangeIndex(rows))


def _text(values: pd.Series) -> pd.Series:
    """Values as Arrow-backed strings, missing ones as "" (numbers keep their JSON spelling)."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("str")
    return values.fillna("") if values.hasnans else values


def frame_of(columns: dict[str, object], rows: int) -> pd.DataFrame:
    """A frame from numpy arrays and scalars without copies or string inference: text stays
    object arrays of Python strings (what the database drivers bind)."""
    index = pd.RangeIndex(rows)
    data = {}
    for name, values in columns.items():
        array = (
            np.full(rows, values, dtype=object) if isinstance(values, str) else np.asarray(values)
        )
        dtype = object if array.dtype == object else None
        data[name] = pd.Series(array, index=index, dtype=dtype, copy=False)
    return pd.DataFrame(data, copy=False)


def empty_parsed(fmt: str) -> ParsedFile:
    """A file with no orders (a CSV with only its header, an empty `orders` list)."""
    return ParsedFile(
        fmt,
        text_frame({}, HEADER_COLUMNS, 0),
        text_frame({}, LINE_COLUMNS, 0),
        text_frame({}, RAW_COLUMNS, 0),
    )


def join_groups(
    texts: Any, groups: Any, n_groups: int, sep: str, prefix: str = "", suffix: str = ""
) -> pd.Series:
    """Concatenate texts per group (groups numbered 0..n_groups-1), vectorised with Arrow;
    an Arrow-backed string Series (no Python string per group)."""
    groups = np.asarray(groups, dtype=np.int64)
    counts = np.bincount(groups, minlength=n_groups)
    offsets = pa.array(np.concatenate([[0], counts.cumsum()]), type=pa.int64())
    texts = (
        texts
        if isinstance(texts, pa.Array | pa.ChunkedArray)
        else pa.array(np.asarray(texts, dtype=object), type=pa.large_string())
    )
    values = pc.cast(texts, pa.large_string())
    if len(groups) > 1 and not np.all(groups[1:] >= groups[:-1]):  # rows of a group apart
        values = pc.take(values, pa.array(np.argsort(groups, kind="stable")))
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, values), _large(sep))
    wrapped = pc.binary_join_element_wise(_large(prefix), joined, _large(suffix), _large(""))
    return pd.Series(wrapped.to_pandas(), dtype="str")


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())
