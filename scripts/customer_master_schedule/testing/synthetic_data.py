"""Seeded synthetic inputs at any scale (performance tests, profiling, property tests)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..inputs import ScheduleInputs

WEEKDAY_SETS = ("", "", "", "MON,WED,FRI", "TUE,THU", "MON,TUE,WED,THU,FRI", "FRI", "MON,THU")


def generate_inputs(
    lines: int,
    *,
    customers: int = 2000,
    production_lines: int = 20,
    skus: int = 500,
    run_date: dt.date = dt.date(2026, 12, 1),
    utilisation: float = 0.75,
    seed: int = 7,
) -> ScheduleInputs:
    """Open lines over ~300 days of ordering, capacity sized for `utilisation` of a year."""
    rng = np.random.default_rng(seed)
    customer = _customers(rng, customers)
    product = pd.DataFrame(
        {
            "sku": [f"SKU-{i:05d}" for i in range(skus)],
            "production_line": [f"PL-{i % production_lines:02d}" for i in range(skus)],
        }
    )
    orders = _orders(rng, lines, customer, product, run_date)
    units = orders["quantity"].sum() / production_lines / 250 / utilisation
    capacity = _capacity(rng, production_lines, int(max(units, 1)), run_date)
    return ScheduleInputs(orders, customer, product, capacity, _board(rng, customer, run_date))


def _customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "tier": rng.integers(1, 4, n),
            "lead_time_days": rng.integers(0, 6, n),
            "delivery_weekdays": rng.choice(WEEKDAY_SETS, n),
            "active": rng.random(n) > 0.02,
        }
    )


def _orders(
    rng: np.random.Generator,
    n: int,
    customers: pd.DataFrame,
    products: pd.DataFrame,
    run_date: dt.date,
) -> pd.DataFrame:
    order_count = max(n // 3, 1)
    order = rng.integers(0, order_count, n)
    order.sort()
    line_no = np.arange(n) - np.searchsorted(order, order)
    offset = rng.integers(-30, 300, order_count)[order]
    ordered = np.datetime64(run_date, "D") + offset.astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "source": rng.choice(["csv", "api", "edi"], order_count)[order],
            "order_id": [f"SO-{i:08d}" for i in order],
            "line_no": line_no + 1,
            "customer_id": customers["customer_id"].to_numpy()[
                rng.integers(0, len(customers), order_count)
            ][order],
            "sku": products["sku"].to_numpy()[rng.integers(0, len(products), n)],
            "quantity": rng.integers(1, 100, n),
            "order_date": ordered,
            "requested_delivery_date": ordered + rng.integers(5, 45, n).astype("timedelta64[D]"),
            "rush": rng.random(n) < 0.03,
            "status": "staged",
        }
    )


def _capacity(rng: np.random.Generator, lines: int, units: int, run_date: dt.date) -> pd.DataFrame:
    names = [f"PL-{i:02d}" for i in range(lines)]
    days = np.datetime64(run_date, "D") + rng.integers(0, 365, 200).astype("timedelta64[D]")
    overrides = pd.DataFrame(
        {
            "production_line": rng.choice(names, 200),
            "units_per_day": rng.choice([0, units // 2, units * 2], 200),
            "override_date": days,
        }
    ).drop_duplicates(["production_line", "override_date"])
    default = pd.DataFrame(
        {"production_line": names, "units_per_day": units, "override_date": pd.NaT}
    )
    return pd.concat([default, overrides], ignore_index=True)


def _board(rng: np.random.Generator, customers: pd.DataFrame, run_date: dt.date) -> pd.DataFrame:
    chosen = rng.choice(customers["customer_id"].to_numpy(), len(customers) // 5, replace=False)
    rows = np.repeat(chosen, rng.integers(1, 4, len(chosen)))
    start = np.datetime64(run_date, "D") + rng.integers(0, 400, len(rows)).astype("timedelta64[D]")
    weekdays = pd.Series(rng.choice(WEEKDAY_SETS, len(chosen)), index=chosen)
    return pd.DataFrame(
        {
            "customer_id": rows,
            "delivery_weekdays": weekdays.reindex(rows).to_numpy(),
            "blackout_from": start,
            "blackout_to": start + rng.integers(0, 15, len(rows)).astype("timedelta64[D]"),
        }
    )
