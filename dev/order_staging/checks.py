"""One vectorised check per rule, plus the typing and reference joins they share.

Every check returns a :class:`Violation`: a boolean mask over the headers (header rules) or the
lines (line rules), and the offending value and message for the masked rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .canonical import RUSH_PRIORITIES
from .iso4217 import CURRENCIES, NOT_FOR_ORDERS
from .reference import Reference


@dataclass
class Violation:
    """Rows failing one rule; value/message/field are given for the masked rows, in order."""

    rule_id: str
    mask: np.ndarray
    value: object = None  # array (len = mask.sum()) or one string for all
    message: object = None  # array or one string; None = the rule's text
    field: object = None  # array or None = the rule's field


def _text(s: pd.Series) -> pd.Series:
    return s.astype("str").str.strip()


def _number(s: pd.Series) -> np.ndarray:
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def _fmt(values: np.ndarray, spec: str = "{:,.2f}") -> np.ndarray:
    """Numbers as text (object array, also when empty)."""
    return pd.Series(np.asarray(values, dtype=float)).map(spec.format).to_numpy(dtype=object)


def _join(*parts: object) -> np.ndarray:
    """Element-wise concatenation of strings and equally long arrays (object dtype, empty-safe)."""
    arrays = [np.asarray(p, dtype=object) for p in parts if not isinstance(p, str)]
    size = len(arrays[0]) if arrays else 1
    out = np.full(size, "", dtype=object)
    for part in parts:
        out = out + (part if isinstance(part, str) else np.asarray(part, dtype=object).astype(str))
    return out


def type_headers(headers: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Typed header fields plus the customer's master data (NaN / -1 when unknown)."""
    h = headers.reset_index(drop=True)
    text = {
        c: _text(h[c])
        for c in (
            "order_id",
            "customer_id",
            "order_date",
            "currency",
            "requested_delivery_date",
            "order_total",
            "priority",
        )
    }
    text["currency"] = text["currency"].str.upper()
    cust = ref.customers.index.get_indexer(text["customer_id"])
    known = cust >= 0
    c = ref.customers
    out = h.assign(
        **text,
        date=pd.to_datetime(text["order_date"], format="%Y-%m-%d", errors="coerce"),
        delivery=pd.to_datetime(
            text["requested_delivery_date"], format="%Y-%m-%d", errors="coerce"
        ),
        total=_number(text["order_total"]),
        customer_known=known,
    )
    for col in ("credit_limit", "max_discount_pct", "lead_time_days"):
        values = pd.to_numeric(c[col], errors="coerce").to_numpy(dtype=float)
        out[col] = np.where(known, values[cust], np.nan)
    out["customer_active"] = known & c["active"].to_numpy(dtype=bool)[cust]
    out["weekday_mask"] = np.where(known, c["weekday_mask"].to_numpy(dtype=np.int64)[cust], 0)
    rush = out["priority"].str.lower().isin(RUSH_PRIORITIES)
    out["rush"] = rush | h["channel"].astype("str").str.lower().str.contains("rush|express")
    return out


def type_lines(lines: pd.DataFrame, heads: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Typed line fields, header fields they need, product, stock and price-list lookups."""
    pos = lines["order_pos"].to_numpy(dtype=np.int64)
    sku = _text(lines["sku"])
    currency = heads["currency"].to_numpy(dtype=object)[pos]
    discount_text = _text(lines["discount_pct"])
    out = lines.assign(
        line_no_text=_text(lines["line_no"]),
        sku=sku,
        line_no=_number(_text(lines["line_no"])),
        quantity_text=_text(lines["quantity"]),
        quantity=_number(_text(lines["quantity"])),
        unit_price=_number(_text(lines["unit_price"])),
        discount_pct=_number(discount_text.replace("", "0")),
        stated_amount=_number(_text(lines["line_amount"])),
        currency=currency,
        source=heads["source"].to_numpy(dtype=object)[pos],
        order_id=heads["order_id"].to_numpy(dtype=object)[pos],
    )
    product = ref.products.index.get_indexer(sku)
    out["product_known"] = product >= 0
    out["product_active"] = (product >= 0) & ref.products["active"].to_numpy(dtype=bool)[product]
    available = ref.products["available"].to_numpy(dtype=float)
    out["available"] = np.where(product >= 0, available[product], 0.0)
    price = ref.prices.index.get_indexer(sku + "|" + pd.Series(currency, index=sku.index))
    out["list_price"] = np.where(price >= 0, ref.prices.to_numpy(dtype=float)[price], np.nan)
    out["amount"] = out["quantity"] * out["unit_price"] * (1 - out["discount_pct"] / 100)
    return out


def _missing_names(
    frame: pd.DataFrame, columns: tuple[str, ...], where: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows (within `where`) lacking any of `columns`, and the comma-joined names lacking."""
    names = pd.Series("", index=frame.index, dtype=object)
    for col in columns:
        empty = (_text(frame[col]) == "").to_numpy() & where
        names[empty] = names[empty] + col + ","
    mask = (names != "").to_numpy()
    return mask, names[mask].str.rstrip(",").to_numpy(dtype=object)


def _type_errors(
    pairs: list[tuple[str, np.ndarray]], index: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    """Rows where any (name, bad-mask) pair is set, with the names of the bad fields."""
    names = pd.Series("", index=index, dtype=object)
    for name, bad in pairs:
        names[bad] = names[bad] + name + ","
    mask = (names != "").to_numpy()
    return mask, names[mask].str.rstrip(",").to_numpy(dtype=object)


def line_violations(lines: pd.DataFrame, heads: pd.DataFrame, tol: float) -> list[Violation]:
    """Every line rule (OS-L01..OS-L08) over the typed lines."""

    real = ~lines["placeholder"].to_numpy(dtype=bool)
    return [
        _required_line(lines, real),
        _line_types(lines, real),
        _quantity(lines, real),
        _sku(lines, real),
        _price(lines, heads, real, tol),
        _discount(lines, heads, real),
        _stated_amount(lines, real, tol),
        _duplicates(lines, real),
    ]


def _required_line(lines: pd.DataFrame, real: np.ndarray) -> Violation:
    mask, names = _missing_names(lines, ("line_no", "sku", "quantity", "unit_price"), real)
    return Violation("OS-L01", mask, "", "required line field(s) missing: " + names, names)


def _line_types(lines: pd.DataFrame, real: np.ndarray) -> Violation:
    def bad(col: str, typed: str) -> np.ndarray:
        return real & (_text(lines[col]) != "").to_numpy() & np.isnan(lines[typed].to_numpy())

    line_no = lines["line_no"].to_numpy()
    bad_line_no = bad("line_no", "line_no") | (real & ((line_no < 1) | (line_no % 1 != 0)))
    mask, names = _type_errors(
        [
            ("line_no", bad_line_no),
            ("quantity", bad("quantity", "quantity")),
            ("unit_price", bad("unit_price", "unit_price")),
            ("discount_pct", bad("discount_pct", "discount_pct")),
            ("line_amount", bad("line_amount", "stated_amount")),
        ],
        lines.index,
    )
    return Violation(
        "OS-L02", mask, "", "not a number (line_no: a whole number >= 1): " + names, names
    )


def _quantity(lines: pd.DataFrame, real: np.ndarray) -> Violation:
    q = lines["quantity"].to_numpy()
    mask = real & ~np.isnan(q) & ((q <= 0) | (q % 1 != 0))
    return Violation(
        "OS-L03",
        mask,
        lines.loc[mask, "quantity_text"].to_numpy(dtype=object),
        "quantity must be a whole number greater than 0",
    )


def _sku(lines: pd.DataFrame, real: np.ndarray) -> Violation:
    present = (lines["sku"] != "").to_numpy()
    mask = real & present & ~lines["product_active"].to_numpy(dtype=bool)
    known = lines["product_known"].to_numpy(dtype=bool)[mask]
    msg = np.where(known, "SKU is inactive (discontinued)", "SKU is not in the products table")
    return Violation("OS-L04", mask, lines.loc[mask, "sku"].to_numpy(dtype=object), msg)


def _price(lines: pd.DataFrame, heads: pd.DataFrame, real: np.ndarray, tol: float) -> Violation:
    """Checked for known SKUs of orders with a valid currency (else OS-L04 / OS-H03 report)."""
    valid_currency = currency_ok(heads)[lines["order_pos"].to_numpy(dtype=np.int64)]
    price, listed = lines["unit_price"].to_numpy(), lines["list_price"].to_numpy()
    checked = real & lines["product_known"].to_numpy(dtype=bool) & valid_currency
    no_price = checked & ~np.isnan(price) & np.isnan(listed)
    off = checked & (np.abs(price - listed) > tol + 1e-9)
    mask = no_price | off
    sub = lines[mask]
    currency = sub["currency"].to_numpy(dtype=object)
    msg = np.where(
        no_price[mask],
        _join("no price list entry for ", sub["sku"].to_numpy(dtype=object), " in ", currency),
        _join(
            "differs from the price list ",
            _fmt(sub["list_price"].to_numpy()),
            " ",
            currency,
            f" by more than {tol:g}",
        ),
    )
    return Violation("OS-L05", mask, _fmt(sub["unit_price"].to_numpy()), msg)


def _discount(lines: pd.DataFrame, heads: pd.DataFrame, real: np.ndarray) -> Violation:
    """0 <= discount_pct <= the customer's maximum (100 when the customer is unknown)."""
    pos = lines["order_pos"].to_numpy(dtype=np.int64)
    cap = np.nan_to_num(heads["max_discount_pct"].to_numpy()[pos], nan=100.0)
    d = lines["discount_pct"].to_numpy()
    mask = real & ~np.isnan(d) & ((d < 0) | (d > cap))
    return Violation(
        "OS-L06",
        mask,
        _fmt(lines.loc[mask, "discount_pct"].to_numpy(), "{:g}"),
        _join("discount must be from 0 to the customer's maximum ", _fmt(cap[mask], "{:g}")),
    )


def _stated_amount(lines: pd.DataFrame, real: np.ndarray, tol: float) -> Violation:
    stated, amount = lines["stated_amount"].to_numpy(), lines["amount"].to_numpy()
    mask = real & ~np.isnan(stated) & ~np.isnan(amount) & (np.abs(stated - amount) > tol + 1e-9)
    return Violation(
        "OS-L07",
        mask,
        _fmt(stated[mask]),
        "quantity x unit_price x (1 - discount_pct/100) = " + _fmt(amount[mask]),
    )


def _duplicates(lines: pd.DataFrame, real: np.ndarray) -> Violation:
    """Earlier copies of a source + order_id + line_no in the batch; the last one is staged."""
    keyed = real & ~np.isnan(lines["line_no"].to_numpy()) & (lines["order_id"] != "").to_numpy()
    key = lines[["source", "order_id", "line_no"]][keyed]
    dup = np.zeros(len(lines), dtype=bool)
    dup[np.flatnonzero(keyed)] = key.duplicated(keep="last").to_numpy()
    return Violation(
        "OS-L08",
        dup,
        lines.loc[dup, "line_no_text"].to_numpy(dtype=object),
        "a later line with the same source, order_id and line_no replaces this one",
    )


def currency_ok(heads: pd.DataFrame) -> np.ndarray:
    cur = heads["currency"]
    return (cur.isin(CURRENCIES) & ~cur.isin(NOT_FOR_ORDERS)).to_numpy()
