"""Header rules (OS-H01..OS-H11) and the backorder flag (OS-F01), vectorised over orders."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .checks import Violation, _fmt, _join, _names, currency_ok

REQUIRED_HEADER = (
    "order_id",
    "order_date",
    "customer_id",
    "currency",
    "requested_delivery_date",
    "order_total",
)


def header_violations(
    heads: pd.DataFrame, lines: pd.DataFrame, superseded: np.ndarray, tol: float
) -> list[Violation]:
    """Header rules OS-H01..OS-H10 (the credit rule needs the others' outcome: see credit)."""
    return [
        _required(heads),
        _header_types(heads),
        _currency(heads),
        _customer_exists(heads),
        _customer_active(heads),
        _conflicts(heads),
        _no_lines(heads, lines),
        _total(heads, lines, superseded, tol),
        _lead_time(heads),
        _weekday(heads),
    ]


def _required(heads: pd.DataFrame) -> Violation:
    # X12 carries no total unless AMT*TT is sent: it is derived from the lines there.
    optional_total = (heads["fmt"] == "x12").to_numpy()
    flags = [(c, (heads[c] == "").to_numpy()) for c in REQUIRED_HEADER]
    flags[-1] = ("order_total", flags[-1][1] & ~optional_total)
    mask, names = _names(flags, len(heads))
    return Violation("OS-H01", mask, "", _join("required header field(s) missing: ", names), names)


def _header_types(heads: pd.DataFrame) -> Violation:
    def bad(col: str, typed: str) -> np.ndarray:
        return (heads[col] != "").to_numpy() & heads[typed].isna().to_numpy()

    mask, names = _names(
        [
            ("order_date", bad("order_date", "date")),
            ("requested_delivery_date", bad("requested_delivery_date", "delivery")),
            ("order_total", bad("order_total", "total")),
        ],
        len(heads),
    )
    message = _join("not a valid value (dates YYYY-MM-DD, total a number): ", names)
    return Violation("OS-H02", mask, "", message, names)


def _currency(heads: pd.DataFrame) -> Violation:
    mask = (heads["currency"] != "").to_numpy() & ~currency_ok(heads)
    return Violation(
        "OS-H03",
        mask,
        heads.loc[mask, "currency"].to_numpy(dtype=object),
        "not an ISO 4217 currency code for orders",
    )


def _customer_exists(heads: pd.DataFrame) -> Violation:
    mask = (heads["customer_id"] != "").to_numpy() & ~heads["customer_known"].to_numpy()
    return Violation(
        "OS-H04",
        mask,
        heads.loc[mask, "customer_id"].to_numpy(dtype=object),
        "customer is not in the customers table",
    )


def _customer_active(heads: pd.DataFrame) -> Violation:
    mask = heads["customer_known"].to_numpy() & ~heads["customer_active"].to_numpy()
    return Violation(
        "OS-H05",
        mask,
        heads.loc[mask, "customer_id"].to_numpy(dtype=object),
        "customer is inactive",
    )


def _conflicts(heads: pd.DataFrame) -> Violation:
    conflicts = heads["header_conflicts"].astype("str").fillna("")
    mask = (conflicts != "").to_numpy()
    return Violation(
        "OS-H06",
        mask,
        conflicts[mask].to_numpy(dtype=object),
        _join("rows of this order disagree on: ", conflicts[mask].to_numpy(dtype=object)),
        conflicts[mask].to_numpy(dtype=object),
    )


def _no_lines(heads: pd.DataFrame, lines: pd.DataFrame) -> Violation:
    mask = np.zeros(len(heads), dtype=bool)
    placeholder = lines["placeholder"].to_numpy(dtype=bool)
    mask[lines["order_pos"].to_numpy(dtype=np.int64)[placeholder]] = True
    return Violation("OS-H07", mask, "", "the order has no lines")


def order_sums(lines: pd.DataFrame, use: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per order (by order_pos) the sum of `values` over the lines in `use`."""
    pos = lines["order_pos"].to_numpy(dtype=np.int64)
    return np.bincount(pos[use], weights=values[use], minlength=n)


def _total(
    heads: pd.DataFrame, lines: pd.DataFrame, superseded: np.ndarray, tol: float
) -> Violation:
    """Skipped for orders with a line whose amount cannot be computed (OS-L01/L02 reject it)."""
    n = len(heads)
    real = ~lines["placeholder"].to_numpy(dtype=bool) & ~superseded
    amount = lines["amount"].to_numpy()
    unknown = order_sums(lines, real, np.isnan(amount).astype(float), n) > 0
    total = order_sums(lines, real, np.nan_to_num(amount), n)
    declared = heads["total"].to_numpy()
    has_lines = order_sums(lines, real, np.ones(len(lines)), n) > 0
    mask = has_lines & ~unknown & ~np.isnan(declared) & (np.abs(declared - total) > tol + 1e-9)
    return Violation(
        "OS-H08",
        mask,
        _fmt(declared[mask]),
        "order_total differs from the sum of line amounts " + _fmt(total[mask]),
    )


def _lead_time(heads: pd.DataFrame) -> Violation:
    earliest = heads["date"] + pd.to_timedelta(heads["lead_time_days"], unit="D")
    mask = (heads["delivery"] < earliest).to_numpy()
    return Violation(
        "OS-H09",
        mask,
        heads.loc[mask, "requested_delivery_date"].to_numpy(dtype=object),
        _join(
            "earlier than order date + lead time ",
            _fmt(heads.loc[mask, "lead_time_days"].to_numpy(), "{:g}"),
            " days = ",
            earliest[mask].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
        ),
    )


def _weekday(heads: pd.DataFrame) -> Violation:
    delivery = heads["delivery"]
    day = delivery.dt.day_of_week.fillna(0).to_numpy(dtype=np.int64)
    allowed = (heads["weekday_mask"].to_numpy(dtype=np.int64) >> day) & 1
    mask = heads["customer_known"].to_numpy() & delivery.notna().to_numpy() & (allowed == 0)
    return Violation(
        "OS-H10",
        mask,
        delivery[mask].dt.strftime("%Y-%m-%d (%a)").to_numpy(),
        "not one of the customer's delivery weekdays",
    )


def credit_violation(
    heads: pd.DataFrame,
    lines: pd.DataFrame,
    rejected: np.ndarray,
    fx_to_base: Mapping[str, float],
    open_orders: pd.DataFrame | None,
) -> Violation:
    """OS-H11: open staged value + this batch's accepted orders up to this one <= credit limit.

    Orders of a customer count in (order_date, source, order_id) order; an order over the limit
    is rejected and still counts for the later ones (conservative: the limit is never passed).
    """
    n = len(heads)
    accepted = ~rejected
    value = order_sums(lines, accepted, np.nan_to_num(lines["amount"].to_numpy()), n)
    rate = _rates(heads["currency"], fx_to_base, np.nan)
    base = value * rate
    candidate = order_sums(lines, accepted, np.ones(len(lines)), n) > 0
    open_value = _open_value(heads, open_orders, fx_to_base)
    order = pd.DataFrame(
        {
            "customer": heads["customer_id"],
            "date": heads["date"],
            "source": heads["source"],
            "order_id": heads["order_id"],
            "base": np.where(candidate, np.nan_to_num(base), 0.0),
        }
    )
    order = order.sort_values(["customer", "date", "source", "order_id"], kind="stable")
    running = order.groupby("customer", sort=False)["base"].cumsum().reindex(heads.index)
    exposure = open_value + running.to_numpy()
    limit = heads["credit_limit"].to_numpy()
    no_rate = candidate & np.isnan(rate)
    mask = candidate & ((exposure > limit + 1e-6) | no_rate)
    msg = np.where(
        no_rate[mask],
        _join(
            "no exchange rate for ",
            heads.loc[mask, "currency"].to_numpy(dtype=object),
            " in config fx_to_base; add it",
        ),
        _join(
            "open orders ",
            _fmt(open_value[mask]),
            " + this batch up to this order ",
            _fmt(running.to_numpy()[mask]),
            " exceed the credit limit ",
            _fmt(limit[mask]),
        ),
    )
    return Violation("OS-H11", mask, _fmt(base[mask]), msg)


def _rates(currency: pd.Series, fx_to_base: Mapping[str, float], missing: float) -> np.ndarray:
    """Rate to the base currency per row (`missing` where config has none)."""
    codes = pd.Index(list(fx_to_base))
    found = codes.get_indexer(currency.astype(str).str.upper())
    rates = np.asarray([fx_to_base[c] for c in codes] + [missing], dtype=float)
    return rates[found]


def _open_value(
    heads: pd.DataFrame, open_orders: pd.DataFrame | None, fx_to_base: Mapping[str, float]
) -> np.ndarray:
    """Per header: the customer's staged value in the database, minus orders re-sent now."""
    if open_orders is None or open_orders.empty:
        return np.zeros(len(heads))
    again = pd.MultiIndex.from_frame(heads[["source", "order_id"]])
    keys = pd.MultiIndex.from_frame(open_orders[["source", "order_id"]].astype(str))
    kept = open_orders[~keys.isin(again)]
    base = kept["amount"].to_numpy(dtype=float) * _rates(kept["currency"], fx_to_base, 1.0)
    per_customer = pd.Series(base).groupby(kept["customer_id"].astype(str).to_numpy()).sum()
    return heads["customer_id"].map(per_customer).fillna(0.0).to_numpy(dtype=float)


def backorder_violation(lines: pd.DataFrame, staged: np.ndarray) -> Violation:
    """OS-F01: staged lines whose cumulative quantity per SKU (batch order) exceeds stock."""
    qty = np.where(staged, np.nan_to_num(lines["quantity"].to_numpy()), 0.0)
    running = pd.Series(qty).groupby(lines["product"].to_numpy()).cumsum().to_numpy()
    available = lines["available"].to_numpy()
    mask = staged & (running > available)
    return Violation(
        "OS-F01",
        mask,
        _fmt(qty[mask]),
        _join(
            "backorder: stock available ",
            _fmt(available[mask]),
            ", ordered so far in this batch ",
            _fmt(running[mask]),
        ),
    )
