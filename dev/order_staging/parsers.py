"""Read inbox files (CSV, JSON, X12 850) into the canonical header + lines shape.

``read_file(path)`` decodes the bytes (UTF-8, UTF-8 with BOM, UTF-16 with BOM), picks the
format from the suffix or the content, and returns a :class:`ParsedFile` or raises
:class:`MalformedFile` naming what is wrong and where.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import arrowtext as at
from .canonical import (
    HEADER_COLUMNS,
    LINE_COLUMNS,
    RAW_COLUMNS,
    MalformedFile,
    ParsedFile,
    empty_parsed,
    join_groups,
    text_frame,
)
from .x12 import DEFAULT_CURRENCY, parse_x12

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
SUFFIXES = {".csv": "csv", ".json": "json", ".x12": "x12", ".edi": "x12", ".850": "x12"}


def read_file(path: Path) -> ParsedFile:
    """Parse one inbox file; MalformedFile says why it cannot be staged."""
    data = path.read_bytes()
    return parse_bytes(data, path.name)


def parse_bytes(data: bytes, name: str, x12_currency: str = DEFAULT_CURRENCY) -> ParsedFile:
    """Parse a file's content; the format comes from the name's suffix, else from the content."""
    text = decode(data)
    fmt = detect_format(name, text)
    if fmt == "csv":  # plain UTF-8 bytes go to the CSV reader as they are
        plain = not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        return parse_csv(text, data if plain else None)
    if fmt == "json":
        return parse_json(text)
    return parse_x12(text, x12_currency)


def decode(data: bytes) -> str:
    """Bytes to text: a BOM picks UTF-8 or UTF-16, anything else must be valid UTF-8."""
    if not data.strip():
        raise MalformedFile("file is empty: nothing to stage (remove it or re-export it)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise MalformedFile(
                f"wrong encoding: UTF-16 byte-order mark but invalid UTF-16 at "
                f"byte {exc.start}; re-export the file as UTF-8"
            ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile(
            f"wrong encoding: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            "is not UTF-8 (Latin-1/Windows-1252 export?); re-export the file as "
            "UTF-8"
        ) from None
    if "\x00" in text:
        raise MalformedFile(
            "wrong encoding: NUL bytes in the text (UTF-16 without a byte-order "
            "mark?); re-export the file as UTF-8"
        )
    return text


def detect_format(name: str, text: str) -> str:
    """csv | json | x12 from the file suffix, or from the first character for other names."""
    fmt = SUFFIXES.get(Path(name).suffix.lower())
    if fmt:
        return fmt
    head = text.lstrip()[:3]
    if head.startswith("ISA"):
        return "x12"
    if head.startswith(("{", "[")):
        return "json"
    raise MalformedFile(
        f"unknown format: suffix {Path(name).suffix or '(none)'!r} is not one of "
        f"{', '.join(sorted(SUFFIXES))} and the content is neither JSON nor X12"
    )


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
    columns = [c.strip() for c in next(csv.reader([first]))]
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


def parse_json(text: str) -> ParsedFile:
    """API export: {"orders": [{header fields..., "lines": [{line fields...}]}]}."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedFile(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    orders = doc.get("orders") if isinstance(doc, dict) else None
    if not isinstance(orders, list):
        raise MalformedFile('invalid JSON structure: expected {"orders": [...]} at the top level')
    bad = [i for i, order in enumerate(orders) if not isinstance(order, dict)]
    if bad:
        raise MalformedFile(f"invalid JSON structure: orders[{bad[0]}] is not an object")
    if not orders:
        return empty_parsed("json")
    return _json_frames(pd.DataFrame(orders, dtype=object))


def _json_frames(orders: pd.DataFrame) -> ParsedFile:
    n = len(orders)
    seq = pd.Series(range(n))
    source = _column(orders, "channel").where(lambda s: s.notna() & (s != ""), "api")
    headers = text_frame(
        {
            **{c: _column(orders, c) for c in HEADER_COLUMNS},
            "order_seq": seq,
            "source": source.astype(str).str.lower(),
            "channel": source,
        },
        HEADER_COLUMNS,
        n,
    )
    lines = _json_lines(_column(orders, "lines"))
    payload = orders.to_json(orient="records", lines=True).splitlines()
    raw = pd.DataFrame(
        {
            "order_seq": seq,
            "source": headers["source"],
            "order_id": headers["order_id"],
            "payload": payload,
        }
    )
    return ParsedFile("json", headers, lines, raw.loc[:, list(RAW_COLUMNS)])


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([None] * len(frame), dtype=object)


def _json_lines(lines: pd.Series) -> pd.DataFrame:
    """Explode each order's `lines` list; a non-list or non-object line is a malformed file."""
    as_list = lines.map(lambda v: v if isinstance(v, list) else [])
    bad_orders = lines.notna() & ~lines.map(lambda v: isinstance(v, list))
    if bad_orders.any():
        raise MalformedFile(
            f"invalid JSON structure: orders[{bad_orders.idxmax()}].lines is not a list"
        )
    exploded = as_list.explode().dropna()
    not_object = ~exploded.map(lambda v: isinstance(v, dict))
    if not_object.any():
        raise MalformedFile(
            f"invalid JSON structure: a line of orders[{not_object.idxmax()}] is not an object"
        )
    frame = pd.DataFrame(exploded.tolist(), dtype=object)
    data = {c: frame[c] for c in LINE_COLUMNS if c in frame}
    return text_frame(
        {
            **data,
            "order_seq": pd.Series(exploded.index.to_numpy()),
            "row_no": pd.Series(range(1, len(frame) + 1)),
        },
        LINE_COLUMNS,
        len(frame),
    )
