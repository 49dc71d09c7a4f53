"""CSV exports (e-commerce, manual entry) into the canonical header + lines shape.

One row per order line; rows sharing channel + order_id form one order (normally adjacent, found
as runs of equal neighbours; hashed only when an order's rows are apart). The original text of
each order (header line + its rows) is its raw payload.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import arrowtext as at
from .canonical import (
    HEADER_COLUMNS,
    LINE_COLUMNS,
    MalformedFile,
    ParsedFile,
    empty_parsed,
    join_groups,
    text_frame,
)

CSV_COLUMNS = (
    "channel",
    "order_id",
    "order_date",
    "customer_id",
    "currency",
    "line_no",
    "sku",
    "quantity",
    "unit_price",
    "discount_pct",
    "requested_delivery_date",
    "order_total",
)
CSV_OPTIONAL = ("priority", "line_amount")
_CSV_HEADER_FIELDS = (
    "channel",
    "order_id",
    "order_date",
    "customer_id",
    "currency",
    "requested_delivery_date",
    "order_total",
    "priority",
)
_CSV_LINE_FIELDS = ("line_no", "sku", "quantity", "unit_price", "discount_pct", "line_amount")


def parse_csv(text: str, data: bytes | None = None) -> ParsedFile:
    """CSV export, one row per order line (columns CSV_COLUMNS, optionally CSV_OPTIONAL);
    `data` is the same text as UTF-8 bytes when the caller has them."""
    columns = _csv_header(text)
    data = text.encode("utf-8") if data is None else data
    if data.count(b'"') % 2:
        raise MalformedFile(
            "bad CSV quoting: an odd number of double quotes (a quoted field is "
            "never closed); fix the quoting and re-export"
        )
    wanted = [c for c in (*CSV_COLUMNS, *CSV_OPTIONAL) if c in columns]
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(columns, pa.string()),
        strings_can_be_null=False,
        include_columns=wanted,
    )
    parse = pacsv.ParseOptions(newlines_in_values=True)  # RFC 4180: quoted fields may span lines
    try:
        table = pacsv.read_csv(io.BytesIO(data), parse_options=parse, convert_options=options)
    except pa.ArrowInvalid as exc:
        raise MalformedFile(f"bad CSV: {exc}; fix the row and re-export") from None
    return _csv_frames(table.to_pandas(), _csv_lines(data))


def _csv_header(text: str) -> list[str]:
    first = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    try:
        columns = [c.strip() for c in next(csv.reader([first]))]
    except csv.Error as exc:  # e.g. a bare carriage return inside the header line
        raise MalformedFile(f"bad CSV header: {exc}; fix the first line and re-export") from None
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise MalformedFile(f"bad CSV header: column(s) {duplicated} appear twice")
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if missing:
        raise MalformedFile(
            f"bad CSV header: missing column(s) {missing}; expected {','.join(CSV_COLUMNS)}"
        )
    return columns


def _csv_lines(data: bytes) -> pa.Array:
    """The non-empty text lines of the file (header first), as the reader counts rows."""
    whole = pa.array([data], type=pa.large_binary())
    lines = pc.list_flatten(pc.split_pattern(whole, b"\n")).cast(pa.large_string())
    if b"\r" in data:
        lines = pc.utf8_rtrim(lines, "\r")
    if b"\n\n" in data or b"\r" in data or data.startswith(b"\n"):
        return pc.filter(lines, pc.not_equal(lines, ""))
    return lines.slice(0, len(lines) - 1) if data.endswith(b"\n") else lines


def _csv_frames(df: pd.DataFrame, text_lines: pa.Array) -> ParsedFile:
    """Rows sharing channel + order_id form one order; its header comes from its first row."""
    if df.empty:
        return empty_parsed("csv")
    df = df.reset_index(drop=True)
    order_seq = _order_runs(df)
    first = np.flatnonzero(~pd.Series(order_seq).duplicated().to_numpy())
    head = df.iloc[first].reset_index(drop=True)
    headers = text_frame(
        {
            **{c: head[c] for c in _CSV_HEADER_FIELDS if c in head},
            "order_seq": np.arange(len(first)),
            "source": head["channel"].str.strip().str.lower(),
            "header_conflicts": _header_conflicts(df, order_seq, first),
        },
        HEADER_COLUMNS,
        len(head),
    )
    lines = text_frame(
        {
            **{c: df[c] for c in _CSV_LINE_FIELDS if c in df},
            "order_seq": order_seq,
            "row_no": np.arange(1, len(df) + 1),
        },
        LINE_COLUMNS,
        len(df),
    )
    raw = pd.DataFrame(
        {
            "order_seq": headers["order_seq"],
            "source": headers["source"],
            "order_id": headers["order_id"],
            "payload": _csv_payload(df, text_lines, order_seq, len(first)),
        }
    )
    return ParsedFile("csv", headers, lines, raw)


def _csv_payload(
    df: pd.DataFrame, text_lines: pa.Array, order_seq: np.ndarray, n_orders: int
) -> np.ndarray:
    """The original CSV text of each order: the header line, then the order's rows."""
    if len(text_lines) == len(df) + 1:
        rows = text_lines.slice(1)
        header = str(text_lines[0]) + "\n"
        return join_groups(rows, order_seq, n_orders, "\n", header)
    # a quoted field spans lines: fall back to the rows as JSON objects
    records = pa.array(df.to_json(orient="records", lines=True).splitlines())
    return join_groups(records, order_seq, n_orders, ",", "[", "]")


def _order_runs(df: pd.DataFrame) -> np.ndarray:
    """Order number per row: rows sharing channel + order_id, numbered in first-seen order.

    Exports keep an order's rows together, so runs of equal keys are found with one comparison
    of neighbours; only when a key comes back later are the keys hashed.
    """
    channel, order_id = at.arrow(df["channel"]), at.arrow(df["order_id"])
    starts = np.ones(len(df), dtype=bool)
    if len(df) > 1:
        changed = pc.or_(
            pc.not_equal(channel[1:], channel[:-1]), pc.not_equal(order_id[1:], order_id[:-1])
        )
        starts[1:] = np.asarray(changed.to_numpy(zero_copy_only=False), dtype=bool)
    heads = np.flatnonzero(starts)
    keys = pd.Series(at.objects(channel, heads)) + "\x1f" + pd.Series(at.objects(order_id, heads))
    if keys.is_unique:
        return np.cumsum(starts) - 1
    codes = at.codes(df["channel"]) * (len(df) + 1) + at.codes(df["order_id"])
    return pd.factorize(codes)[0]


def _header_conflicts(df: pd.DataFrame, order_seq: np.ndarray, first: np.ndarray) -> pd.Series:
    """Per order: the header fields whose value differs between its rows ("" when none)."""
    contiguous = bool(np.all(np.diff(order_seq) >= 0))
    names = np.full(len(first), "", dtype=object)
    for col in (c for c in _CSV_HEADER_FIELDS if c in df and c != "channel"):
        if contiguous:  # rows of an order are neighbours: compare each row with the one before
            values = at.arrow(df[col])
            neighbours = np.asarray(
                pc.not_equal(values[1:], values[:-1]).to_numpy(zero_copy_only=False), dtype=bool
            )
            differs = np.flatnonzero(neighbours & (order_seq[1:] == order_seq[:-1])) + 1
        else:
            codes = at.codes(df[col])
            differs = np.flatnonzero(codes != codes[first][order_seq])
        hit = np.bincount(order_seq[differs], minlength=len(first)) > 0
        names = names + np.where(hit, col + ",", "")
    return pd.Series(names, dtype=object).str.rstrip(",")
