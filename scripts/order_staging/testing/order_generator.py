"""Generated order inboxes at scale (CSV, JSON and X12 850 files), vectorised and seeded.

Used by the performance test and debugging/profile_performance.py::

    ref = reference_frames(customers=2000, skus=5000, seed=1)
    lines = generate_lines(1_000_000, ref, seed=1, defect_rate=0.01)
    paths = write_inbox(folder, lines)

Order headers come from dev.shared.mock_data_generator (ids, customers, dates, currencies);
lines, prices, totals and the file texts are built with numpy/pandas/Arrow, no row loops.
Defects (each at `defect_rate`): quantity 0 (OS-L03), an unknown SKU (OS-L04), a wrong
order_total (OS-H08, the whole order). Generated customers deliver Mon-Fri with credit to spare.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from dev.shared.mock_data_generator import (
    Category,
    DateRange,
    ForeignKey,
    MockDataGenerator,
    Pattern,
    Schema,
)

CURRENCIES = {"EUR": 0.7, "USD": 0.2, "GBP": 0.1}
RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86}
SHARE = {"csv": 0.8, "json": 0.1, "x12": 0.1}
FILES = {"csv": 8, "json": 1, "x12": 1}
CSV_COLUMNS = (
    "channel",
    "order_id",
    "order_date",
    "customer_id",
    "currency",
    "line_no",
    "sku",
    "quantity",
    "unit_price",
    "discount_pct",
    "requested_delivery_date",
    "order_total",
)


def _join_groups(package: str = "dev.order_staging") -> object:
    return importlib.import_module(f"{package}.canonical").join_groups


def reference_frames(
    customers: int = 2000, skus: int = 5000, seed: int = 1
) -> dict[str, pd.DataFrame]:
    """customers, products, inventory, price_list frames shaped like the reference tables."""
    rng = np.random.default_rng(seed)
    cust_ids = pd.Series(np.arange(1, customers + 1)).map("G{:05d}".format)
    sku_ids = pd.Series(np.arange(1, skus + 1)).map("GSKU-{:06d}".format)
    base = np.round(rng.uniform(0.5, 500, skus), 2)
    low_stock = rng.random(skus) < 0.01
    prices = pd.concat(
        [
            pd.DataFrame({"sku": sku_ids, "currency": c, "unit_price": np.round(base * r, 2)})
            for c, r in RATES.items()
        ],
        ignore_index=True,
    )
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": cust_ids,
                "customer_name": "Generated customer " + cust_ids,
                "active": True,
                "credit_limit": 1e12,
                "max_discount_pct": 10.0,
                "lead_time_days": rng.integers(1, 4, customers),
                "delivery_weekdays": "Mon,Tue,Wed,Thu,Fri",
            }
        ),
        "products": pd.DataFrame(
            {
                "sku": sku_ids,
                "description": "Generated item " + sku_ids,
                "unit": "EA",
                "active": True,
            }
        ),
        "inventory": pd.DataFrame(
            {"sku": sku_ids, "on_hand": np.where(low_stock, 50, 1_000_000_000), "reserved": 0}
        ),
        "price_list": prices,
    }


def _headers(n_orders: int, ref: dict[str, pd.DataFrame], seed: int) -> pd.DataFrame:
    schema = Schema(
        "generated_orders",
        {
            "order_id": Pattern("GEN-##########", unique=True),
            "customer_id": ForeignKey("customers", "customer_id"),
            "order_date": DateRange("2026-01-05", "2026-12-18"),
            "currency": Category(CURRENCIES),
        },
    )
    return MockDataGenerator(seed=seed).generate(
        schema, rows=n_orders, related={"customers": ref["customers"]}
    )


def _order_sizes(lines: int, rng: np.random.Generator) -> np.ndarray:
    sizes = rng.integers(1, 11, size=lines // 5 + 10)
    ends = np.cumsum(sizes)
    n = int(np.searchsorted(ends, lines)) + 1
    sizes = sizes[:n].copy()
    sizes[-1] -= int(ends[n - 1] - lines)
    return sizes


def generate_lines(
    lines: int, ref: dict[str, pd.DataFrame], seed: int = 1, defect_rate: float = 0.01
) -> pd.DataFrame:
    """One row per order line with the CSV columns (text) plus order_idx and n_in_order."""
    rng = np.random.default_rng(seed)
    sizes = _order_sizes(lines, rng)
    heads = _headers(len(sizes), ref, seed)
    order_idx = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    line_no = np.arange(lines) - starts[order_idx] + 1
    cur_code = heads["currency"].astype(str).to_numpy()
    sku_idx = rng.integers(0, len(ref["products"]), lines)
    price_table = ref["price_list"].pivot_table(
        index="sku", columns="currency", values="unit_price", aggfunc="last"
    )
    price_table = price_table.reindex(ref["products"]["sku"])
    cur_col = pd.Index(price_table.columns).get_indexer(cur_code)[order_idx]
    price = price_table.to_numpy()[sku_idx, cur_col]
    qty = rng.integers(1, 51, lines)
    discount = rng.choice(np.array([0.0, 0.0, 0.0, 2.0, 5.0]), lines)
    amount = qty * price * (1 - discount / 100)
    total = np.round(np.bincount(order_idx, weights=amount, minlength=len(sizes)), 2)
    return _assemble(
        heads,
        ref,
        sizes,
        order_idx,
        line_no,
        sku_idx,
        qty,
        price,
        discount,
        total,
        rng,
        defect_rate,
    )


def _requested(
    heads: pd.DataFrame, ref: dict[str, pd.DataFrame], rng: np.random.Generator
) -> pd.Series:
    lead = ref["customers"].set_index("customer_id")["lead_time_days"]
    days = heads["customer_id"].map(lead).to_numpy() + rng.integers(0, 10, len(heads))
    wanted = pd.to_datetime(heads["order_date"]) + pd.to_timedelta(days, unit="D")
    weekday = wanted.dt.day_of_week.to_numpy()
    shift = np.select([weekday == 5, weekday == 6], [2, 1], 0)  # weekend -> Monday
    return (wanted + pd.to_timedelta(shift, unit="D")).dt.strftime("%Y-%m-%d")


def _assemble(
    heads: pd.DataFrame,
    ref: dict[str, pd.DataFrame],
    sizes: np.ndarray,
    order_idx: np.ndarray,
    line_no: np.ndarray,
    sku_idx: np.ndarray,
    qty: np.ndarray,
    price: np.ndarray,
    discount: np.ndarray,
    total: np.ndarray,
    rng: np.random.Generator,
    defect_rate: float,
) -> pd.DataFrame:
    n = len(order_idx)
    sku = ref["products"]["sku"].to_numpy(dtype=object)[sku_idx]
    qty_text = qty.astype(str).astype(object)
    qty_text[rng.random(n) < defect_rate] = "0"
    sku[rng.random(n) < defect_rate] = "GSKU-UNKNOWN"
    bad_total = rng.random(len(sizes)) < defect_rate
    total = np.where(bad_total, total + 1.0, total)
    order_date = pd.to_datetime(heads["order_date"]).dt.strftime("%Y-%m-%d").to_numpy()
    requested = _requested(heads, ref, rng).to_numpy()

    def per_line(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=object)[order_idx]

    return pd.DataFrame(
        {
            "channel": "ecommerce",
            "order_id": per_line(heads["order_id"].astype(str).to_numpy()),
            "order_date": per_line(order_date),
            "customer_id": per_line(heads["customer_id"].astype(str).to_numpy()),
            "currency": per_line(heads["currency"].astype(str).to_numpy()),
            "line_no": line_no.astype(str),
            "sku": sku,
            "quantity": qty_text,
            "unit_price": np.char.mod("%.2f", price),
            "discount_pct": np.char.mod("%g", discount),
            "requested_delivery_date": per_line(requested),
            "order_total": per_line(np.char.mod("%.2f", total)),
            "order_idx": order_idx,
            "n_in_order": sizes[order_idx],
        }
    )


def _split(
    lines: pd.DataFrame, share: dict[str, float], files: dict[str, int]
) -> list[tuple[str, int, pd.DataFrame]]:
    """(format, file number, rows) chunks along whole orders."""
    n_orders = int(lines["order_idx"].max()) + 1 if len(lines) else 0
    bounds = np.cumsum([0.0] + [share[f] for f in ("csv", "json", "x12")]) * n_orders
    out = []
    for i, fmt in enumerate(("csv", "json", "x12")):
        edges = np.linspace(bounds[i], bounds[i + 1], files[fmt] + 1).astype(int)
        for k in range(files[fmt]):
            rows = lines[(lines["order_idx"] >= edges[k]) & (lines["order_idx"] < edges[k + 1])]
            if len(rows):
                out.append((fmt, k, rows))
    return out


def write_inbox(
    folder: Path,
    lines: pd.DataFrame,
    share: dict[str, float] | None = None,
    files: dict[str, int] | None = None,
    package: str = "dev.order_staging",
) -> list[Path]:
    """Write the lines as CSV, JSON and X12 files (whole orders per file); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    join = _join_groups(package)
    paths = []
    for fmt, k, rows in _split(lines, share or SHARE, files or FILES):
        path = folder / f"generated_{fmt}_{k:02d}.{fmt}"
        if fmt == "csv":
            channel = "ecommerce" if k % 2 == 0 else "manual"
            table = pa.Table.from_pandas(
                rows.loc[:, list(CSV_COLUMNS)].assign(channel=channel), preserve_index=False
            )
            pacsv.write_csv(table, path)
        elif fmt == "json":
            path.write_text(_json_text(rows, join), encoding="utf-8")
        else:
            path.write_text(_x12_text(rows, join), encoding="utf-8")
        paths.append(path)
    return paths


def _local_orders(rows: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    local = pd.factorize(rows["order_idx"])[0]
    first = rows.drop_duplicates("order_idx")
    return local, first


def _json_text(rows: pd.DataFrame, join: object) -> str:
    local, first = _local_orders(rows)
    obj = (
        '{"line_no":'
        + rows["line_no"]
        + ',"sku":"'
        + rows["sku"]
        + '","quantity":'
        + rows["quantity"]
        + ',"unit_price":'
        + rows["unit_price"]
        + ',"discount_pct":'
        + rows["discount_pct"]
        + "}"
    )
    joined = join(obj.to_numpy(), local, len(first), ",").to_numpy()  # type: ignore[operator]
    orders = (
        '{"order_id":"'
        + first["order_id"]
        + '","order_date":"'
        + first["order_date"]
        + '","customer_id":"'
        + first["customer_id"]
        + '","currency":"'
        + first["currency"]
        + '","requested_delivery_date":"'
        + first["requested_delivery_date"]
        + '","order_total":'
        + first["order_total"]
        + ',"lines":['
        + joined
        + "]}"
    )
    return '{"orders":[\n' + ",\n".join(orders.tolist()) + "\n]}\n"


def _x12_text(rows: pd.DataFrame, join: object) -> str:
    rows = rows.assign(discount_pct="0")  # PO1 has no discount: the totals follow
    amount = rows["quantity"].astype(float) * rows["unit_price"].astype(float)
    local, first = _local_orders(rows)
    total = np.bincount(local, weights=amount.to_numpy(), minlength=len(first))
    po1 = (
        "PO1*"
        + rows["line_no"]
        + "*"
        + rows["quantity"]
        + "*EA*"
        + rows["unit_price"]
        + "**VP*"
        + rows["sku"]
        + "~"
    )
    body = join(po1.to_numpy(), local, len(first), "\n").to_numpy()  # type: ignore[operator]
    ctl = pd.Series(np.arange(1, len(first) + 1)).map("{:09d}".format).to_numpy()
    n_lines = first["n_in_order"].to_numpy()

    def ymd(col: str) -> pd.Series:
        return first[col].str.replace("-", "", regex=False)

    sets = (
        "ST*850*"
        + ctl
        + "~\nBEG*00*SA*"
        + first["order_id"]
        + "**"
        + ymd("order_date")
        + "~\nCUR*BY*"
        + first["currency"]
        + "~\nDTM*002*"
        + ymd("requested_delivery_date")
        + "~\nN1*BY*Generated*92*"
        + first["customer_id"]
        + "~\n"
        + body
        + "\nCTT*"
        + n_lines.astype(str)
        + "~\nAMT*TT*"
        + np.char.mod("%.2f", total)
        + "~\nSE*"
        + (n_lines + 8).astype(str)
        + "*"
        + ctl
        + "~"
    )
    isa = (
        "ISA*00*          *00*          *ZZ*GENERATOR      *ZZ*OURCOMPANY     *260302*0900*"
        "U*00401*000000001*0*P*>~"
    )
    return (
        "\n".join(
            [
                isa,
                "GS*PO*GENERATOR*OURCOMPANY*20260302*0900*1*X*004010~",
                *sets.tolist(),
                f"GE*{len(first)}*1~",
                "IEA*1*000000001~",
            ]
        )
        + "\n"
    )
