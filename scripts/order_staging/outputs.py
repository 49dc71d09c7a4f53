"""Frames for the four output tables, built from a batch and its rule outcome.

Text columns are handed to the database as object arrays of Python strings: that is what the
drivers bind, and it spares pandas a conversion to Arrow strings and back. Validated and error
rows come sorted by the table's primary key, so the database appends to its key index instead
of inserting at random places (a third less server time for a million-line load on
PostgreSQL); raw payloads already arrive in key order within each file.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from . import arrowtext as at
from .batch import Batch
from .canonical import frame_of
from .engine import Outcome
from .store import ERRORS, LOG, OPEN_STATUS, RAW


def validated_frame(outcome: Outcome, batch_id: str) -> pd.DataFrame:
    """Staged lines in VALIDATED's columns; status 'staged' (open, not yet shipped)."""
    lines, heads = outcome.lines, outcome.headers
    rows = np.flatnonzero(lines["staged"].to_numpy(dtype=bool))
    pos = lines["order_pos"].to_numpy(dtype=np.int64)[rows]
    order_rank = pd.factorize(heads["source"] + "\x1f" + heads["order_id"], sort=True)[0]
    by_key = np.lexsort((lines["line_no"].to_numpy()[rows].astype(np.int64), order_rank[pos]))
    rows, pos = rows[by_key], pos[by_key]

    def head(col: str) -> np.ndarray:
        return heads[col].to_numpy(dtype=object)[pos]

    def line(col: str) -> np.ndarray:
        return lines[col].to_numpy()[rows]

    return frame_of(
        {
            "source": head("source"),
            "order_id": head("order_id"),
            "line_no": line("line_no").astype(np.int64),
            "customer_id": head("customer_id"),
            "sku": at.objects(lines["sku"], rows),
            "quantity": line("quantity").astype(np.int64),
            "unit_price": line("unit_price"),
            "discount_pct": line("discount_pct"),
            "line_amount": line("amount").round(4),
            "currency": head("currency"),
            "order_date": heads["date"].to_numpy()[pos],
            "requested_delivery_date": heads["delivery"].to_numpy()[pos],
            "rush": heads["rush"].to_numpy(dtype=bool)[pos],
            "backorder": line("backorder").astype(bool),
            "status": OPEN_STATUS,
            "batch_id": batch_id,
        },
        len(rows),
    )


def errors_frame(outcome: Outcome, batch_id: str) -> pd.DataFrame:
    """The outcome's error rows in ERRORS's columns, sorted by its key."""
    errors = outcome.errors
    if errors.empty:
        return errors.assign(batch_id=batch_id).loc[:, list(ERRORS.columns)]
    by_key = np.lexsort(
        [pd.factorize(errors[c], sort=True)[0] for c in reversed(ERRORS.primary_key)]
    )
    columns = {c: errors[c].to_numpy()[by_key] for c in ERRORS.columns if c != "batch_id"}
    return frame_of({**columns, "batch_id": batch_id}, len(errors)).loc[:, list(ERRORS.columns)]


def raw_frame(batch: Batch, batch_id: str) -> pd.DataFrame:
    """The original payload of every order of the batch, in RAW's columns."""
    raw = batch.raw
    if not len(raw):
        return pd.DataFrame(columns=list(RAW.columns))

    def text(col: str) -> np.ndarray:
        return raw[col].to_numpy(dtype=object)

    return frame_of(
        {
            "file_checksum": text("file_checksum"),
            "order_seq": raw["order_seq"].to_numpy(np.int64),
            "batch_id": batch_id,
            "file_name": text("file_name"),
            "format": text("fmt"),
            "source": text("source"),
            "order_id": text("order_id"),
            "payload": text("payload"),
        },
        len(raw),
    )


def file_counts(outcome: Outcome, n_files: int) -> pd.DataFrame:
    """Per file_index: orders, lines_in, staged, rejected, flagged."""
    heads, lines = outcome.headers, outcome.lines
    file_index = heads["file_index"].to_numpy(dtype=np.int64)
    file_of_line = file_index[lines["order_pos"].to_numpy(dtype=np.int64)]

    def per_file(index: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(index, weights=weights, minlength=n_files).astype(np.int64)

    counts = pd.DataFrame(
        {
            "orders": per_file(file_index),
            "lines_in": per_file(file_of_line),
            "staged": per_file(file_of_line, lines["staged"].to_numpy(dtype=float)),
            "flagged": per_file(file_of_line, lines["backorder"].to_numpy(dtype=float)),
        }
    )
    counts["rejected"] = counts["lines_in"] - counts["staged"]
    return counts


def log_frame(reports: list[dict[str, object]], batch_id: str, duration: float) -> pd.DataFrame:
    """One processing-log row per read file (processed or quarantined)."""
    columns = list(LOG.columns)
    if not reports:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(reports).assign(
        batch_id=batch_id,
        duration_seconds=round(duration, 3),
        processed_at=datetime.now(UTC).replace(tzinfo=None),
    )
    return frame.loc[:, columns]
