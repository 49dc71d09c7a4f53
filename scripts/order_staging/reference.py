"""Reference tables the rules check against: customers, products, inventory, price list.

The workflow reads them from the database (table names from config ``reference_tables``).
``load_reference_samples(db, folder)`` loads the sample CSVs into those tables, so tests and the
dev run (``--seed-reference DIR``) start from the same master data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shared.db_helper import Database, TableSchema

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SCHEMAS = {
    "customers": TableSchema(
        "customers",
        {
            "customer_id": "text",
            "customer_name": "text",
            "active": "bool",
            "credit_limit": "float",
            "max_discount_pct": "float",
            "lead_time_days": "int",
            "delivery_weekdays": "text",
            # read by customer_master_schedule (priority), kept in the one shared table
            "tier": "int",
        },
        primary_key=("customer_id",),
    ),
    "products": TableSchema(
        "products",
        {
            "sku": "text",
            "description": "text",
            "unit": "text",
            "active": "bool",
            # read by customer_master_schedule (capacity per production line)
            "production_line": "text",
        },
        primary_key=("sku",),
    ),
    "inventory": TableSchema(
        "inventory",
        {
            "sku": "text",
            "on_hand": "int",
            "reserved": "int",
        },
        primary_key=("sku",),
    ),
    "price_list": TableSchema(
        "price_list",
        {
            "sku": "text",
            "currency": "text",
            "unit_price": "float",
        },
        primary_key=("sku", "currency"),
    ),
}
# Sample file per reference table (sample_database_data.csv holds the customers).
SAMPLE_FILES = {
    "customers": "sample_database_data.csv",
    "products": "reference_products.csv",
    "inventory": "reference_inventory.csv",
    "price_list": "reference_price_list.csv",
}


@dataclass
class Reference:
    """Master data indexed for vectorised lookups."""

    customers: pd.DataFrame  # index customer_id; + weekday_mask (bit 0 = Monday)
    products: pd.DataFrame  # index sku; + available (on_hand - reserved, 0 when unknown)
    currencies: list[str]  # columns of `prices`
    prices: np.ndarray  # [product position, currency position] -> unit price (NaN: none)


def table_names(configured: Mapping[str, str] | None = None) -> dict[str, str]:
    """Logical reference table -> database table name (config can rename each one)."""
    names = {name: name for name in SCHEMAS}
    names.update(configured or {})
    return names


def read_reference(db: Database, names: Mapping[str, str] | None = None) -> Reference:
    """Read the four reference tables; a missing one is an error naming the fix."""
    tables = table_names(names)
    frames = {}
    for logical, table in tables.items():
        if not db.table_exists(table):
            raise LookupError(
                f"reference table {table!r} ({logical}) does not exist in "
                f"{db.dialect}; load it (order_staging.py --seed-reference DIR "
                "loads the samples) or set config reference_tables."
                f"{logical}"
            )
        frames[logical] = db.read_table(table, columns=list(SCHEMAS[logical].columns))
    return build_reference(frames)


def build_reference(frames: Mapping[str, pd.DataFrame]) -> Reference:
    """Index raw reference frames for lookups (used by read_reference and by tests)."""
    customers = _keyed(frames["customers"], "customer_id")
    customers = customers.assign(
        active=truthy(customers["active"]),
        weekday_mask=weekday_masks(customers["delivery_weekdays"]),
    )
    products = _keyed(frames["products"], "sku")
    stock = _keyed(frames["inventory"], "sku").reindex(products.index)
    available = pd.to_numeric(stock["on_hand"], errors="coerce").fillna(0) - pd.to_numeric(
        stock["reserved"], errors="coerce"
    ).fillna(0)
    products = products.assign(active=truthy(products["active"]), available=available)
    prices = frames["price_list"].assign(
        sku=lambda f: f["sku"].astype(str).str.strip(),
        currency=lambda f: f["currency"].astype(str).str.strip().str.upper(),
        unit_price=lambda f: pd.to_numeric(f["unit_price"], errors="coerce"),
    )
    table = prices.pivot_table(
        index="sku", columns="currency", values="unit_price", aggfunc="last"
    ).reindex(products.index)
    return Reference(
        customers, products, [str(c) for c in table.columns], table.to_numpy(dtype=float)
    )


def empty_reference() -> Reference:
    """Reference data with no rows (for a batch with nothing to check)."""
    return build_reference(
        {name: pd.DataFrame(columns=list(schema.columns)) for name, schema in SCHEMAS.items()}
    )


def _keyed(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows indexed by their stripped text key (the last row of a repeated key wins)."""
    index = pd.Index(frame[key].astype(str).str.strip().to_numpy(dtype=object), name=key)
    keyed = frame.set_axis(index)
    return keyed[~keyed.index.duplicated(keep="last")]


def truthy(values: pd.Series) -> pd.Series:
    """true/1/yes/y/t (any case) -> True, anything else -> False."""
    return values.astype(str).str.strip().str.lower().isin(["true", "1", "yes", "y", "t"])


def weekday_masks(values: pd.Series) -> pd.Series:
    """ "Mon,Wed,Fri" -> bit mask (bit 0 = Monday); unknown day names are ignored."""
    text = values.fillna("").astype(str).str.lower()
    mask = pd.Series(0, index=values.index, dtype="int64")
    for bit, day in enumerate(WEEKDAYS):
        mask += np.where(text.str.contains(day, regex=False), 1 << bit, 0)
    return mask


def read_samples(folder: Path) -> dict[str, pd.DataFrame]:
    """The sample reference CSVs of a folder, typed like SCHEMAS."""
    frames = {}
    for logical, file_name in SAMPLE_FILES.items():
        frame = pd.read_csv(folder / file_name, dtype=str, keep_default_na=False)
        frames[logical] = _typed(frame, SCHEMAS[logical])
    return frames


def _typed(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col, kind in schema.columns.items():
        values = frame[col].str.strip()
        if kind == "bool":
            out[col] = truthy(values).to_numpy()
        elif kind in ("int", "float"):
            number = pd.to_numeric(values, errors="raise")
            out[col] = number.astype("int64") if kind == "int" else number.astype(float)
        else:
            out[col] = values.astype(object)
    return out


def load_reference_samples(
    db: Database, folder: Path, names: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Upsert the sample reference CSVs of `folder` into the reference tables; rows per table."""
    tables = table_names(names)
    loaded = {}
    for logical, frame in read_samples(folder).items():
        schema = SCHEMAS[logical]
        target = TableSchema(tables[logical], schema.columns, schema.primary_key)
        result = db.upsert_frame(frame, target.name, list(schema.primary_key), schema=target)
        loaded[target.name] = result.rows
    return loaded
