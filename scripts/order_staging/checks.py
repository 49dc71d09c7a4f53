"""Typing of the canonical text, the reference lookups, and the line rules OS-L01..OS-L08.

Every check returns a :class:`Violation`: a boolean mask over the headers (header rules) or the
lines (line rules), and the offending value and message for the masked rows only. Text columns
stay Arrow strings; only the few rows that fail become Python objects (values, messages).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import arrowtext as at
from .canonical import RUSH_PRIORITIES
from .iso4217 import CURRENCIES, NOT_FOR_ORDERS
from .reference import Reference

LINE_NUMBERS = ("line_no", "quantity", "unit_price", "discount_pct", "line_amount")


@dataclass
class Violation:
    """Rows failing one rule; value/message/field are given for the masked rows, in order."""

    rule_id: str
    mask: np.ndarray
    value: object = None  # array (len = mask.sum()) or one string for all
    message: object = None  # array or one string; None = the rule's text
    field: object = None  # array or None = the rule's field


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


def _names(flags: list[tuple[str, np.ndarray]], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows where any flag is set, and for those rows the comma-joined names of the flags set."""
    mask = np.zeros(size, dtype=bool)
    for _, flag in flags:
        mask |= flag
    names = np.full(int(mask.sum()), "", dtype=object)
    for name, flag in flags:
        names = names + np.where(flag[mask], name + ",", "")
    return mask, np.asarray([n.rstrip(",") for n in names], dtype=object)


def type_headers(headers: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Typed header fields plus the customer's master data (NaN / -1 when unknown)."""
    h = headers.reset_index(drop=True)
    text = {
        c: h[c].astype("str").str.strip().fillna("")
        for c in (
            "order_id",
            "customer_id",
            "order_date",
            "currency",
            "requested_delivery_date",
            "order_total",
            "priority",
            "source",
            "channel",
        )
    }
    text["currency"] = text["currency"].str.upper()
    cust = at.lookup(text["customer_id"], ref.customers.index)
    known = cust >= 0
    c = ref.customers
    out = h.assign(
        **text,
        date=pd.to_datetime(text["order_date"], format="%Y-%m-%d", errors="coerce"),
        delivery=pd.to_datetime(
            text["requested_delivery_date"], format="%Y-%m-%d", errors="coerce"
        ),
        total=at.numbers(text["order_total"])[0],
        customer_known=known,
        currency_code=pd.Index(ref.currencies).get_indexer(text["currency"]),
    )
    for col in ("credit_limit", "max_discount_pct", "lead_time_days"):
        values = pd.to_numeric(c[col], errors="coerce").to_numpy(dtype=float)
        out[col] = np.where(known, values[cust], np.nan)
    out["customer_active"] = known & c["active"].to_numpy(dtype=bool)[cust]
    out["weekday_mask"] = np.where(known, c["weekday_mask"].to_numpy(dtype=np.int64)[cust], 0)
    rush = text["priority"].str.lower().isin(RUSH_PRIORITIES)
    out["rush"] = (rush | text["channel"].str.lower().str.contains("rush|express")).to_numpy()
    return out


def type_lines(lines: pd.DataFrame, heads: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Typed line fields (`<field>_given` = non-empty text), product, stock and price lookups."""
    pos = lines["order_pos"].to_numpy(dtype=np.int64)
    sku, product = _skus(lines["sku"], ref)
    typed: dict[str, object] = {"sku": sku.to_pandas(), "sku_given": at.present(sku)}
    for col in LINE_NUMBERS:
        typed[f"{col}_text"] = lines[col]
        typed[col], typed[f"{col}_given"] = at.numbers(lines[col])
    typed["discount_pct"] = np.where(typed["discount_pct_given"], typed["discount_pct"], 0.0)
    cur = heads["currency_code"].to_numpy(dtype=np.int64)[pos]
    priced = (product >= 0) & (cur >= 0)
    list_price = np.full(len(lines), np.nan)
    list_price[priced] = ref.prices[product[priced], cur[priced]]
    out = lines.assign(
        **typed,
        product=product,
        list_price=list_price,
        product_active=(product >= 0) & ref.products["active"].to_numpy(dtype=bool)[product],
        available=np.where(
            product >= 0, ref.products["available"].to_numpy(dtype=float)[product], 0.0
        ),
    )
    out["amount"] = out["quantity"] * out["unit_price"] * (1 - out["discount_pct"] / 100)
    return out


def _skus(values: pd.Series, ref: Reference) -> tuple[object, np.ndarray]:
    """SKU text and product position; only SKUs not found as sent are trimmed and looked up."""
    sku = at.arrow(values)
    product = at.lookup(sku, ref.products.index)
    missing = product < 0
    if missing.any():
        sku = at.trimmed(sku)
        product[missing] = at.lookup(pc.filter(sku, pa.array(missing)), ref.products.index)
    return sku, product


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
        _duplicates(lines, heads, real),
    ]


def _required_line(lines: pd.DataFrame, real: np.ndarray) -> Violation:
    flags = [
        (c, real & ~lines[f"{c}_given"].to_numpy(dtype=bool))
        for c in ("line_no", "sku", "quantity", "unit_price")
    ]
    mask, names = _names(flags, len(lines))
    return Violation("OS-L01", mask, "", _join("required line field(s) missing: ", names), names)


def _line_types(lines: pd.DataFrame, real: np.ndarray) -> Violation:
    def bad(col: str) -> np.ndarray:
        return real & lines[f"{col}_given"].to_numpy(dtype=bool) & np.isnan(lines[col].to_numpy())

    line_no = lines["line_no"].to_numpy()
    whole = ~np.isnan(line_no) & ((line_no < 1) | (line_no % 1 != 0))
    flags = [("line_no", bad("line_no") | (real & whole))]
    flags += [(c, bad(c)) for c in LINE_NUMBERS[1:]]
    mask, names = _names(flags, len(lines))
    message = _join("not a number (line_no: a whole number >= 1): ", names)
    return Violation("OS-L02", mask, "", message, names)


def _quantity(lines: pd.DataFrame, real: np.ndarray) -> Violation:
    q = lines["quantity"].to_numpy()
    mask = real & ~np.isnan(q) & ((q <= 0) | (q % 1 != 0))
    return Violation(
        "OS-L03",
        mask,
        at.objects(lines["quantity_text"], np.flatnonzero(mask)),
        "quantity must be a whole number greater than 0",
    )


def _sku(lines: pd.DataFrame, real: np.ndarray) -> Violation:
    mask = real & lines["sku_given"].to_numpy(dtype=bool) & ~lines["product_active"].to_numpy()
    known = lines["product"].to_numpy()[mask] >= 0
    msg = np.where(known, "SKU is inactive (discontinued)", "SKU is not in the products table")
    return Violation("OS-L04", mask, at.objects(lines["sku"], np.flatnonzero(mask)), msg)


def _price(lines: pd.DataFrame, heads: pd.DataFrame, real: np.ndarray, tol: float) -> Violation:
    """Checked for known SKUs of orders with a valid currency (else OS-L04 / OS-H03 report)."""
    pos = lines["order_pos"].to_numpy(dtype=np.int64)
    valid_currency = currency_ok(heads)[pos]
    price, listed = lines["unit_price"].to_numpy(), lines["list_price"].to_numpy()
    checked = real & (lines["product"].to_numpy() >= 0) & valid_currency
    no_price = checked & ~np.isnan(price) & np.isnan(listed)
    off = checked & (np.abs(price - listed) > tol + 1e-9)
    mask = no_price | off
    rows = np.flatnonzero(mask)
    currency = heads["currency"].to_numpy(dtype=object)[pos[rows]]
    msg = np.where(
        no_price[rows],
        _join("no price list entry for ", at.objects(lines["sku"], rows), " in ", currency),
        _join(
            "differs from the price list ",
            _fmt(listed[rows]),
            " ",
            currency,
            f" by more than {tol:g}",
        ),
    )
    return Violation("OS-L05", mask, _fmt(price[rows]), msg)


def _discount(lines: pd.DataFrame, heads: pd.DataFrame, real: np.ndarray) -> Violation:
    """0 <= discount_pct <= the customer's maximum (100 when the customer is unknown)."""
    pos = lines["order_pos"].to_numpy(dtype=np.int64)
    cap = np.nan_to_num(heads["max_discount_pct"].to_numpy()[pos], nan=100.0)
    d = lines["discount_pct"].to_numpy()
    mask = real & ((d < 0) | (d > cap))
    return Violation(
        "OS-L06",
        mask,
        _fmt(d[mask], "{:g}"),
        _join("discount must be from 0 to the customer's maximum ", _fmt(cap[mask], "{:g}")),
    )


def _stated_amount(lines: pd.DataFrame, real: np.ndarray, tol: float) -> Violation:
    stated, amount = lines["line_amount"].to_numpy(), lines["amount"].to_numpy()
    mask = real & ~np.isnan(stated) & ~np.isnan(amount) & (np.abs(stated - amount) > tol + 1e-9)
    return Violation(
        "OS-L07",
        mask,
        _fmt(stated[mask]),
        _join("quantity x unit_price x (1 - discount_pct/100) = ", _fmt(amount[mask])),
    )


def _duplicates(lines: pd.DataFrame, heads: pd.DataFrame, real: np.ndarray) -> Violation:
    """Earlier copies of a source + order_id + line_no in the batch; the last one is staged."""
    order_key = at.codes(heads["source"] + "\x1f" + heads["order_id"])
    has_id = (heads["order_id"] != "").to_numpy()
    pos = lines["order_pos"].to_numpy(dtype=np.int64)
    line_no = lines["line_no"].to_numpy()
    keyed = real & ~np.isnan(line_no) & has_id[pos]
    orders, numbers = order_key[pos][keyed], line_no[keyed]
    if len(numbers) and np.abs(numbers).max() < 2**31:  # one int64 key: cheap to hash
        key = pd.Series(orders * 2**32 + (numbers.astype(np.int64) + 2**31))
    else:
        key = pd.DataFrame({"order": orders, "line": numbers})
    dup = np.zeros(len(lines), dtype=bool)
    dup[np.flatnonzero(keyed)] = key.duplicated(keep="last").to_numpy()
    return Violation(
        "OS-L08",
        dup,
        at.objects(lines["line_no_text"], np.flatnonzero(dup)),
        "a later line with the same source, order_id and line_no replaces this one",
    )


def currency_ok(heads: pd.DataFrame) -> np.ndarray:
    cur = heads["currency"]
    return (cur.isin(CURRENCIES) & ~cur.isin(NOT_FOR_ORDERS)).to_numpy()
