"""Rule CMS-R4: delivery windows per customer and the ship date after production ends.

Precedence of delivery weekdays: the Monday board row, else the `customers` row, else the
configured default. Blackout ranges come from the board. Customers sharing weekdays and
blackouts share one "profile", so the day matrices are profiles x days, not customers x days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .settings import WEEKDAY_LABELS, ScheduleInputError
from .work_calendar import WorkCalendar, next_true


def delivery_windows(
    customers: pd.DataFrame, board: pd.DataFrame | None, default_weekdays: str
) -> pd.DataFrame:
    """customer_id, delivery_weekdays, weekday_source ('board' | 'customer' | 'default').

    Reads customers.delivery_weekdays and board.delivery_weekdays (normalised labels).
    """
    out = customers[["customer_id", "delivery_weekdays"]].copy()
    out["weekday_source"] = np.where(out["delivery_weekdays"].ne(""), "customer", "default")
    out["delivery_weekdays"] = out["delivery_weekdays"].where(
        out["delivery_weekdays"].ne(""), default_weekdays
    )
    board_days = _board_weekdays(board)
    on_board = out["customer_id"].map(board_days)
    out["weekday_source"] = np.where(on_board.notna(), "board", out["weekday_source"])
    out["delivery_weekdays"] = np.where(on_board.notna(), on_board, out["delivery_weekdays"])
    return out


def _board_weekdays(board: pd.DataFrame | None) -> pd.Series:
    if board is None or board.empty:
        return pd.Series(dtype=object)
    given = board[board["delivery_weekdays"].ne("")].drop_duplicates(
        ["customer_id", "delivery_weekdays"]
    )
    conflict = given["customer_id"].duplicated(keep=False)
    if conflict.any():
        customer = given.loc[conflict, "customer_id"].iloc[0]
        values = sorted(given.loc[given["customer_id"].eq(customer), "delivery_weekdays"])
        raise ScheduleInputError(
            f"delivery board: customer {customer!r} has conflicting "
            f"delivery weekdays {values}: keep one value per customer"
        )
    return given.set_index("customer_id")["delivery_weekdays"]


def blackout_ranges(board: pd.DataFrame | None, calendar: WorkCalendar) -> pd.DataFrame:
    """customer_id, first, last: blackout day indices clipped to the calendar grid."""
    if board is None:
        return pd.DataFrame({"customer_id": [], "first": [], "last": []})
    ranges = board.dropna(subset=["blackout_from"])
    first = calendar.index_of(ranges["blackout_from"])
    last = calendar.index_of(ranges["blackout_to"])
    keep = (last >= 0) & (first < calendar.size)
    return pd.DataFrame(
        {
            "customer_id": ranges["customer_id"].to_numpy()[keep],
            "first": np.maximum(first[keep], 0),
            "last": np.minimum(last[keep], calendar.size - 1),
        }
    )


def delivery_profiles(windows: pd.DataFrame, ranges: pd.DataFrame) -> tuple[pd.Series, pd.Index]:
    """A profile code per customer (index customer_id) and the profile keys.

    A key is 'MON,WED|3-9;40-41': weekdays, then the sorted blackout day ranges.
    """
    ordered = ranges.sort_values(["customer_id", "first", "last"])
    text = (
        (ordered["first"].astype(str) + "-" + ordered["last"].astype(str))
        .groupby(ordered["customer_id"])
        .agg(";".join)
    )
    keys = (
        windows["delivery_weekdays"]
        + "|"
        + windows["customer_id"].map(text).astype(object).fillna("")
    )
    codes, uniques = pd.factorize(keys)
    return pd.Series(codes, index=windows["customer_id"].to_numpy()), pd.Index(uniques)


def allowed_days(keys: pd.Index, calendar: WorkCalendar) -> np.ndarray:
    """Bool matrix profiles x days: working day, one of the weekdays, outside every blackout."""
    weekdays = pd.Series(keys.str.split("|").str[0], dtype=str)
    by_weekday = np.stack(
        [
            weekdays.str.contains(label, regex=False).to_numpy(dtype=bool)
            for label in WEEKDAY_LABELS
        ],
        axis=1,
    )
    allowed = calendar.working[None, :] & by_weekday[:, calendar.weekday]
    blackout = np.zeros((len(keys), calendar.size + 1), dtype=np.int32)
    spans = pd.Series(keys.str.split("|").str[1], dtype=str).str.split(";").explode()
    spans = spans[spans.ne("")]
    if len(spans):
        bounds = spans.str.split("-", expand=True).astype("int64")
        profile = spans.index.to_numpy()
        np.add.at(blackout, (profile, bounds[0].to_numpy()), 1)
        np.add.at(blackout, (profile, bounds[1].to_numpy() + 1), -1)
    return np.asarray(allowed & (np.cumsum(blackout, axis=1)[:, :-1] == 0), dtype=bool)


def ship_days(profile: np.ndarray, production_end: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """First allowed day strictly after production_end per line; -1 when none in the grid.

    profile: profile code per line; production_end: day index (-1 = not scheduled -> -1).
    """
    size = allowed.shape[1]
    following = next_true(allowed)
    scheduled = production_end >= 0
    day = np.full(len(profile), -1, dtype=np.int64)
    found = following[profile[scheduled], np.minimum(production_end[scheduled] + 1, size)]
    day[scheduled] = np.where(found < size, found, -1)
    return day
