"""JSON API exports into the canonical shape: {"orders": [{header..., "lines": [...]}]}."""

from __future__ import annotations

import json

import pandas as pd

from .canonical import (
    HEADER_COLUMNS,
    LINE_COLUMNS,
    RAW_COLUMNS,
    MalformedFile,
    ParsedFile,
    empty_parsed,
    text_frame,
)


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
    # pandas writes one empty line for a frame without columns (orders that are all `{}`)
    payload = (
        orders.to_json(orient="records", lines=True).splitlines()
        if len(orders.columns)
        else ["{}"] * n
    )
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
