"""schedule_history: lines whose ship date moved since the previous run."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .inputs import LINE_KEYS

HISTORY_COLUMNS = (*LINE_KEYS, "run_id", "run_date", "old_ship_date", "new_ship_date")


def schedule_changes(
    previous: pd.DataFrame | None, current: pd.DataFrame, *, run_id: str, run_date: dt.date
) -> pd.DataFrame:
    """Lines present in both schedules whose ship_date differs (a date appearing or
    disappearing counts). Reads source, order_id, line_no, ship_date of both (a previous
    schedule without `source` counts as source ""); writes HISTORY_COLUMNS. Lines new to this
    run, or gone from it (shipped, cancelled), are not moves."""
    if previous is None or previous.empty:
        return pd.DataFrame({column: [] for column in HISTORY_COLUMNS})
    keys = list(LINE_KEYS)
    old = _keyed(previous.assign(source=previous.get("source", "")), keys)
    both = _keyed(current, keys).merge(old, on=keys, suffixes=("_new", "_old"), how="inner")
    same = (both["ship_date_new"] == both["ship_date_old"]) | (
        both["ship_date_new"].isna() & both["ship_date_old"].isna()
    )
    moved = both[~same]
    return pd.DataFrame(
        {
            **{key: moved[key].to_numpy() for key in keys},
            "run_id": run_id,
            "run_date": pd.Timestamp(run_date),
            "old_ship_date": moved["ship_date_old"].to_numpy(),
            "new_ship_date": moved["ship_date_new"].to_numpy(),
        }
    ).reset_index(drop=True)


def _keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Keys and ship_date with one type whatever the frame came from (database or scheduler)."""
    return pd.DataFrame(
        {
            "source": frame["source"].fillna("").astype(str).to_numpy(),
            "order_id": frame["order_id"].astype(str).to_numpy(),
            "line_no": pd.to_numeric(frame["line_no"]).astype("int64").to_numpy(),
            "ship_date": pd.to_datetime(frame["ship_date"]).astype("datetime64[s]").to_numpy(),
        },
        columns=[*keys, "ship_date"],
    )
