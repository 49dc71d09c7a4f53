"""The scheduling core: open lines + master data + capacity + calendar -> a feasible schedule.

Pure DataFrame -> DataFrame; no database here. Rules (ids as in the plan):
CMS-R1 priority order, CMS-R2 start constraint and greedy day-by-day consumption,
CMS-R3 never above capacity, CMS-R4 ship date, CMS-R5 lateness and reasons,
CMS-R6 every open line exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .allocation import allocate
from .capacity import CapacityGrid, capacity_grid, utilisation_frame
from .delivery import allowed_days, blackout_ranges, delivery_profiles, delivery_windows, ship_days
from .inputs import (
    ScheduleInputs,
    normalise_board,
    normalise_capacity,
    normalise_customers,
    normalise_orders,
    normalise_products,
)
from .priority import rank_lines
from .settings import ScheduleSettings
from .work_calendar import WorkCalendar, build_calendar, next_true

# Reasons a line has no complete schedule, in the order they are tested (first one wins).
REASONS = {
    "invalid_quantity": "quantity is missing, zero, negative or not a whole number",
    "unknown_customer": "customer_id is not in the customers table",
    "inactive_customer": "the customer is marked inactive",
    "unknown_sku": "sku is not in the products table (or has no production line)",
    "no_capacity": "the production line has no capacity inside the horizon",
    "beyond_horizon": "production cannot start or finish inside the horizon",
    "no_delivery_day": "no allowed delivery day after production ends (weekdays / blackouts)",
}
SCHEDULE_COLUMNS = (
    "source",
    "order_id",
    "line_no",
    "customer_id",
    "sku",
    "quantity",
    "production_line",
    "priority_rank",
    "earliest_start",
    "production_start",
    "production_end",
    "allocated_units",
    "ship_date",
    "requested_delivery_date",
    "days_late",
    "late",
    "reason",
)


@dataclass(frozen=True)
class ScheduleResult:
    """schedule: one row per open line (SCHEDULE_COLUMNS); utilisation: per production line and
    day; allocations: order_id, line_no, production_line, production_date, units."""

    schedule: pd.DataFrame
    utilisation: pd.DataFrame
    allocations: pd.DataFrame
    calendar: WorkCalendar


def build_schedule(inputs: ScheduleInputs, settings: ScheduleSettings) -> ScheduleResult:
    """Schedule every open line of inputs.orders (rules CMS-R1..R6)."""
    tables = settings.tables
    calendar = build_calendar(settings)
    customers = normalise_customers(inputs.customers, tables.customers)
    board = None if inputs.board is None else normalise_board(inputs.board, settings.board)
    grid = capacity_grid(normalise_capacity(inputs.capacity, tables.capacity), calendar)
    lines = attach_master_data(
        normalise_orders(inputs.orders, tables.orders, settings.open_statuses),
        customers,
        normalise_products(inputs.products, tables.products),
        settings.default_lead_time_days,
    )
    lines["priority_rank"] = rank_lines(lines)
    lines["reason"] = classify(lines, grid)
    earliest = earliest_start_day(lines, calendar)
    lines["earliest_start"] = calendar.dates_of(np.where(earliest < calendar.size, earliest, -1))
    first, last, placed, slices = allocate_lines(lines, earliest, grid)
    windows = delivery_windows(customers, board, settings.default_weekdays)
    codes, keys = delivery_profiles(windows, blackout_ranges(board, calendar))
    profile = codes.reindex(lines["customer_id"]).fillna(0).to_numpy(dtype=np.int64)
    ship = ship_days(profile, last, allowed_days(keys, calendar))
    schedule = finish_lines(lines, calendar, first, last, placed, ship)
    utilisation = utilisation_frame(grid, calendar, *slices[1:])
    return ScheduleResult(
        schedule, utilisation, allocation_frame(lines, grid, calendar, slices), calendar
    )


def attach_master_data(
    lines: pd.DataFrame, customers: pd.DataFrame, products: pd.DataFrame, default_lead: int
) -> pd.DataFrame:
    """Add tier, lead_time_days, active, known_customer (customers) and production_line
    (products) to the normalised lines; unknown keys leave NaN / None."""
    master = customers.set_index("customer_id")
    out = lines.copy()
    known = out["customer_id"].isin(master.index)
    by_customer = master.reindex(out["customer_id"])
    out["known_customer"] = known.to_numpy()
    out["tier"] = by_customer["tier"].to_numpy()
    out["lead_time_days"] = by_customer["lead_time_days"].fillna(default_lead).to_numpy()
    out["active"] = by_customer["active"].fillna(False).to_numpy(dtype=bool)
    out["production_line"] = out["sku"].map(products.set_index("sku")["production_line"])
    return out


def classify(lines: pd.DataFrame, grid: CapacityGrid) -> pd.Series:
    """First matching reason (REASONS order) for lines that cannot be scheduled, else None."""
    quantity = lines["quantity"]
    code = grid.code_of(lines["production_line"].fillna(""))
    capacity_ok = np.zeros(len(lines), dtype=bool)
    capacity_ok[code >= 0] = grid.has_capacity()[code[code >= 0]]
    conditions = [
        quantity.isna().to_numpy() | (quantity <= 0).to_numpy() | (quantity != quantity.round()),
        ~lines["known_customer"].to_numpy(),
        ~lines["active"].to_numpy(),
        lines["production_line"].isna().to_numpy(),
        ~capacity_ok,
    ]
    reason = np.select(conditions, list(REASONS)[: len(conditions)], default="")
    return pd.Series(reason, index=lines.index, dtype=object).replace("", None)


def earliest_start_day(lines: pd.DataFrame, calendar: WorkCalendar) -> np.ndarray:
    """Rule CMS-R2 start: first working day on or after max(run date, order date + lead time),
    as a day index (calendar.size when it falls past the grid). A missing order date counts as
    the run date."""
    ordered = calendar.index_of(lines["order_date"])
    ordered = np.where(lines["order_date"].isna().to_numpy(), 0, ordered)
    base = np.maximum(ordered + lines["lead_time_days"].to_numpy(dtype=np.int64), 0)
    return np.asarray(next_true(calendar.working)[np.minimum(base, calendar.size)], dtype=np.int64)


def allocate_lines(
    lines: pd.DataFrame, earliest: np.ndarray, grid: CapacityGrid
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Allocate eligible lines per production line in priority order (rules CMS-R2, CMS-R3).

    Returns first day, last day, units placed (per line) and the slices
    (line position, production line code, day, units).
    """
    n = len(lines)
    first, last = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    placed = np.zeros(n, dtype=np.int64)
    eligible = np.flatnonzero(lines["reason"].isna().to_numpy())
    code = grid.code_of(lines["production_line"].fillna(""))
    order = eligible[np.lexsort((lines["priority_rank"].to_numpy()[eligible], code[eligible]))]
    quantity = lines["quantity"].to_numpy()
    parts: list[tuple[np.ndarray, ...]] = []
    for line_code, members in _groups(order, code[order]):
        result = allocate(
            grid.units[line_code], earliest[members], quantity[members].astype(np.int64)
        )
        first[members], last[members], placed[members] = (
            result.first_day,
            result.last_day,
            result.allocated,
        )
        parts.append(
            (members[result.owner], np.full(len(result.days), line_code), result.days, result.units)
        )
    slices = tuple(
        np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, np.int64) for k in range(4)
    )
    return first, last, placed, slices


def _groups(order: np.ndarray, code: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Split positions (sorted by production line code) into one chunk per code."""
    bounds = np.flatnonzero(np.diff(code)) + 1
    return [
        (int(codes[0]), chunk)
        for chunk, codes in zip(np.split(order, bounds), np.split(code, bounds), strict=True)
        if len(chunk)
    ]


def finish_lines(
    lines: pd.DataFrame,
    calendar: WorkCalendar,
    first: np.ndarray,
    last: np.ndarray,
    placed: np.ndarray,
    ship: np.ndarray,
) -> pd.DataFrame:
    """Dates, lateness (rule CMS-R5) and the remaining reasons on the scheduled lines."""
    out = lines.copy()
    open_reason = out["reason"].isna().to_numpy()
    out.loc[open_reason & (last < 0), "reason"] = "beyond_horizon"
    out.loc[open_reason & (last >= 0) & (ship < 0), "reason"] = "no_delivery_day"
    ship = np.where(out["reason"].isna().to_numpy(), ship, -1)
    out["production_start"] = calendar.dates_of(first).to_numpy()
    out["production_end"] = calendar.dates_of(last).to_numpy()
    out["allocated_units"] = placed
    out["ship_date"] = calendar.dates_of(ship).to_numpy()
    late_by = (out["ship_date"] - out["requested_delivery_date"]).dt.days
    out["days_late"] = late_by.clip(lower=0).astype("Int64")
    out["late"] = (late_by.fillna(0) > 0).to_numpy() | out["reason"].notna().to_numpy()
    return (
        out.loc[:, list(SCHEDULE_COLUMNS)]
        .sort_values("priority_rank", kind="stable")
        .reset_index(drop=True)
    )


def allocation_frame(
    lines: pd.DataFrame, grid: CapacityGrid, calendar: WorkCalendar, slices: tuple[np.ndarray, ...]
) -> pd.DataFrame:
    """source, order_id, line_no, production_line, production_date, units: one row per line
    and day."""
    position, line_code, day, units = slices
    return pd.DataFrame(
        {
            "source": lines["source"].to_numpy()[position],
            "order_id": lines["order_id"].to_numpy()[position],
            "line_no": lines["line_no"].to_numpy()[position],
            "production_line": grid.lines.to_numpy()[line_code].astype(str),
            "production_date": calendar.dates_of(day).to_numpy(),
            "units": units,
        }
    )
