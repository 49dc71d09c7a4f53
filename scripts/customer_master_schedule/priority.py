"""Rule CMS-R1: the order in which open lines claim capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd

# (column, ascending): rush first, then tier (1 = highest), requested date, order date, id, line.
PRIORITY_KEYS: tuple[tuple[str, bool], ...] = (
    ("rush", False),
    ("tier", True),
    ("requested_delivery_date", True),
    ("order_date", True),
    ("order_id", True),
    ("line_no", True),
    ("source", True),  # the same order id from two channels: still one deterministic order
)


def rank_lines(lines: pd.DataFrame) -> pd.Series:
    """1-based priority rank of each line (reads rush, tier, requested_delivery_date,
    order_date, order_id, line_no, source). Missing tier or dates sort after present ones;
    source, order_id and line_no are unique together, so equal business keys still get one
    deterministic order."""
    columns = [column for column, _ in PRIORITY_KEYS]
    ordered = lines[columns].sort_values(
        columns, ascending=[asc for _, asc in PRIORITY_KEYS], na_position="last", kind="stable"
    )
    rank = np.empty(len(lines), dtype=np.int64)
    rank[lines.index.get_indexer(ordered.index)] = np.arange(1, len(lines) + 1)
    return pd.Series(rank, index=lines.index, name="priority_rank")
