"""schedule_history: lines whose ship date moved since the previous run."""

from __future__ import annotations

import datetime as dt

import pandas as pd

HISTORY_COLUMNS = ("order_id", "line_no", "run_id", "run_date", "old_ship_date", "new_ship_date")


def schedule_changes(
    previous: pd.DataFrame | None, current: pd.DataFrame, *, run_id: str, run_date: dt.date
) -> pd.DataFrame:
    """Lines present in both schedules whose ship_date differs (a date appearing or
    disappearing counts). Reads order_id, line_no, ship_date of both; writes HISTORY_COLUMNS.
    Lines new to this run, or gone from it (shipped, cancelled), are not moves."""
    if previous is None or previous.empty:
        return pd.DataFrame({column: [] for column in HISTORY_COLUMNS})
    keys = ["order_id", "line_no"]
    old = previous[[*keys, "ship_date"]].assign(
        order_id=lambda df: df["order_id"].astype(str),
        line_no=lambda df: pd.to_numeric(df["line_no"]).astype("int64"),
        ship_date=lambda df: pd.to_datetime(df["ship_date"]).astype("datetime64[s]"),
    )
    new = current[[*keys, "ship_date"]].assign(order_id=lambda df: df["order_id"].astype(str))
    both = new.merge(old, on=keys, suffixes=("_new", "_old"), how="inner")
    same = (both["ship_date_new"] == both["ship_date_old"]) | (
        both["ship_date_new"].isna() & both["ship_date_old"].isna()
    )
    moved = both[~same]
    return pd.DataFrame(
        {
            "order_id": moved["order_id"].to_numpy(),
            "line_no": moved["line_no"].to_numpy(),
            "run_id": run_id,
            "run_date": pd.Timestamp(run_date),
            "old_ship_date": moved["ship_date_old"].to_numpy(),
            "new_ship_date": moved["ship_date_new"].to_numpy(),
        }
    ).reset_index(drop=True)
