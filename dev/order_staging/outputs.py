"""Frames for the four output tables, built from a batch and its rule outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from .batch import Batch
from .engine import Outcome
from .store import ERRORS, LOG, OPEN_STATUS, RAW, VALIDATED


def validated_frame(outcome: Outcome, batch_id: str) -> pd.DataFrame:
    """Staged lines in VALIDATED's columns; status 'staged' (open, not yet shipped)."""
    lines = outcome.lines[outcome.lines["staged"].to_numpy(dtype=bool)]
    heads = outcome.headers
    pos = lines["order_pos"].to_numpy(dtype=np.int64)

    def head(col: str) -> np.ndarray:
        return heads[col].to_numpy()[pos]

    frame = pd.DataFrame(
        {
            "source": lines["source"].to_numpy(dtype=object),
            "order_id": lines["order_id"].to_numpy(dtype=object),
            "line_no": lines["line_no"].to_numpy().astype(np.int64),
            "customer_id": head("customer_id"),
            "sku": lines["sku"].to_numpy(dtype=object),
            "quantity": lines["quantity"].to_numpy().astype(np.int64),
            "unit_price": lines["unit_price"].to_numpy(),
            "discount_pct": lines["discount_pct"],
            "line_amount": lines["amount"].to_numpy().round(4),
            "currency": lines["currency"].to_numpy(dtype=object),
            "order_date": head("date"),
            "requested_delivery_date": head("delivery"),
            "channel": head("channel"),
            "rush": head("rush").astype(bool),
            "backorder": lines["backorder"].to_numpy(dtype=bool),
            "status": OPEN_STATUS,
            "batch_id": batch_id,
            "file_checksum": head("file_checksum"),
        }
    )
    return frame.loc[:, list(VALIDATED.columns)].reset_index(drop=True)


def errors_frame(outcome: Outcome, batch_id: str) -> pd.DataFrame:
    return outcome.errors.assign(batch_id=batch_id).loc[:, list(ERRORS.columns)]


def raw_frame(batch: Batch, batch_id: str) -> pd.DataFrame:
    raw = batch.raw.rename(columns={"fmt": "format"}).assign(batch_id=batch_id)
    return raw.loc[:, list(RAW.columns)] if len(raw) else pd.DataFrame(columns=list(RAW.columns))


def file_counts(outcome: Outcome, n_files: int) -> pd.DataFrame:
    """Per file_index: orders, lines_in, staged, rejected, flagged."""
    heads, lines = outcome.headers, outcome.lines
    file_of_line = heads["file_index"].to_numpy(dtype=np.int64)[
        lines["order_pos"].to_numpy(dtype=np.int64)
    ]

    def per_file(weights: np.ndarray | None, index: np.ndarray = file_of_line) -> np.ndarray:
        return np.bincount(index, weights=weights, minlength=n_files).astype(np.int64)

    staged = lines["staged"].to_numpy(dtype=float)
    counts = pd.DataFrame(
        {
            "orders": per_file(None, heads["file_index"].to_numpy(dtype=np.int64)),
            "lines_in": per_file(None),
            "staged": per_file(staged),
            "flagged": per_file(lines["backorder"].to_numpy(dtype=float)),
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
