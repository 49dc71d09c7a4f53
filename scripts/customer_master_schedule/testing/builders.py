"""Tiny inline inputs for tests: one customer, one SKU, one production line unless told.

inputs = scenario([order(quantity=150), order("B", quantity=20, rush=True)],
                  capacity=[cap("L1", 100), cap("L1", 0, "2026-12-02")])
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..inputs import ScheduleInputs

RUN_DATE = dt.date(2026, 12, 1)  # a Tuesday; 2026-12-08 and 2026-12-25 are holidays in ES


def order(order_id: str = "A", line_no: int = 1, **fields: Any) -> dict[str, Any]:
    """One open (staged) line; defaults: customer C1, sku S1, 10 units, ordered and wanted on
    RUN_DATE; no `source` column (the workflow then uses "")."""
    return {
        "order_id": order_id,
        "line_no": line_no,
        "customer_id": "C1",
        "sku": "S1",
        "quantity": 10,
        "order_date": "2026-12-01",
        "requested_delivery_date": "2026-12-01",
        "rush": False,
        "status": "staged",
    } | fields


def customer(customer_id: str = "C1", **fields: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "tier": 1,
        "lead_time_days": 0,
        "delivery_weekdays": "",
        "active": True,
    } | fields


def cap(line: str = "L1", units: int = 100, date: str | None = None) -> dict[str, Any]:
    return {"production_line": line, "units_per_day": units, "override_date": date}


def blackout(
    customer_id: str, first: str | None, last: str | None = None, weekdays: str = ""
) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "delivery_weekdays": weekdays,
        "blackout_from": first,
        "blackout_to": last,
    }


def scenario(
    orders: list[dict[str, Any]],
    *,
    customers: list[dict[str, Any]] | None = None,
    products: dict[str, str] | None = None,
    capacity: list[dict[str, Any]] | None = None,
    board: list[dict[str, Any]] | None = None,
) -> ScheduleInputs:
    """ScheduleInputs from rows; products maps sku -> production line."""
    products = {"S1": "L1"} if products is None else products
    return ScheduleInputs(
        orders=pd.DataFrame(
            orders, columns=list(dict.fromkeys([*order(), *(k for o in orders for k in o)]))
        ),
        customers=pd.DataFrame(customers or [customer()], columns=list(customer())),
        products=pd.DataFrame({"sku": list(products), "production_line": list(products.values())}),
        capacity=pd.DataFrame(capacity or [cap()], columns=list(cap())),
        board=None if board is None else pd.DataFrame(board, columns=list(blackout("C1", None))),
    )


def row(result: Any, order_id: str, line_no: int = 1) -> pd.Series:
    """The schedule row of one line."""
    frame = result.schedule
    match = frame[(frame["order_id"] == order_id) & (frame["line_no"] == line_no)]
    assert len(match) == 1, f"{order_id}/{line_no} appears {len(match)} times"
    return match.iloc[0]


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)
