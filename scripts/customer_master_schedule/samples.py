"""The sample input tables (testing/test_data_samples/*.csv) as typed frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .inputs import ScheduleInputs

# Sample file -> (table role, column types); the orders sample is the seed's conventional name.
SAMPLE_FILES = {
    "sample_database_data.csv": (
        "orders",
        {
            "source": "text",
            "order_id": "text",
            "line_no": "int",
            "customer_id": "text",
            "sku": "text",
            "quantity": "int",
            "order_date": "date",
            "requested_delivery_date": "date",
            "rush": "bool",
            "status": "text",
        },
    ),
    "customers.csv": (
        "customers",
        {
            "customer_id": "text",
            "tier": "int",
            "lead_time_days": "int",
            "delivery_weekdays": "text",
            "active": "bool",
        },
    ),
    "products.csv": ("products", {"sku": "text", "production_line": "text"}),
    "capacity.csv": (
        "capacity",
        {"production_line": "text", "units_per_day": "int", "override_date": "date"},
    ),
    "monday_customer_delivery_schedules.csv": (
        "board",
        {
            "customer_id": "text",
            "delivery_weekdays": "text",
            "blackout_from": "date",
            "blackout_to": "date",
        },
    ),
}


def read_sample(path: Path, types: dict[str, str]) -> pd.DataFrame:
    """One sample CSV with typed columns (empty cell = null)."""
    return typed_sample(pd.read_csv(path, dtype=str, keep_default_na=False), types)


def load_samples(folder: Path) -> ScheduleInputs:
    """Every sample table of a folder as ScheduleInputs (the board when its file exists)."""
    frames = {
        role: read_sample(folder / name, types)
        for name, (role, types) in SAMPLE_FILES.items()
        if (folder / name).exists()
    }
    return ScheduleInputs(**frames)


def typed_sample(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """CSV text to typed columns (empty cell = null)."""
    out = pd.DataFrame(index=frame.index)
    for column, kind in types.items():
        text = frame[column].where(frame[column].ne(""), None)
        if kind == "int":
            out[column] = pd.to_numeric(text).astype("Int64")
        elif kind == "date":
            out[column] = pd.to_datetime(text).astype("datetime64[s]")
        elif kind == "bool":
            out[column] = text.str.lower().isin(["true", "1", "yes"])
        else:
            out[column] = text.astype(object)
    return out
