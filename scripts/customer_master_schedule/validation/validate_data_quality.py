"""Data quality of the three output tables (DataValidator checks, rule ids DQ-CMS-...).

    python dev/customer_master_schedule/validation/validate_data_quality.py
        schedules the samples into a temporary SQLite database and checks its tables;
    ... --database-url URL [--run-date YYYY-MM-DD]
        checks the tables a real run left there.

The validators are importable (`schedule_validator()` ...) so tests run them on every output.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import pandas as pd

from dev.shared.validation_helpers import DataValidator, ValidationResult
from shared.db_helper import Database

from ..inputs import LINE_KEYS
from ..scheduler import REASONS
from ..settings import ScheduleSettings
from ._context import checked_database, validation_arguments


def schedule_validator(name: str = "customer_master_schedule") -> DataValidator:
    return (
        DataValidator(name)
        .not_null([*LINE_KEYS, "priority_rank", "allocated_units", "late"], rule_id="DQ-CMS-01")
        .unique(list(LINE_KEYS), rule_id="DQ-CMS-02")
        .unique("priority_rank", rule_id="DQ-CMS-03")
        .isin("reason", set(REASONS), rule_id="DQ-CMS-04")
        .compare("production_end", ">=", "production_start", rule_id="DQ-CMS-05")
        .compare("ship_date", ">", "production_end", rule_id="DQ-CMS-06")
        .compare("production_start", ">=", "earliest_start", rule_id="DQ-CMS-07")
        .in_range("days_late", min=0, rule_id="DQ-CMS-08")
        .in_range("allocated_units", min=0, rule_id="DQ-CMS-09")
        .check(_within_quantity, name="allocated_within_quantity", rule_id="DQ-CMS-10")
        .check(_dated_or_explained, name="ship_date_or_reason", rule_id="DQ-CMS-11")
    )


def _within_quantity(df: pd.DataFrame) -> pd.Series:
    return ~(df["allocated_units"] > df["quantity"]).fillna(False)


def _dated_or_explained(df: pd.DataFrame) -> pd.Series:
    return df["ship_date"].notna() != df["reason"].notna()


def utilisation_validator(name: str = "customer_master_schedule_utilisation") -> DataValidator:
    return (
        DataValidator(name)
        .not_null(
            ["production_line", "production_date", "capacity_units", "allocated_units"],
            rule_id="DQ-CMU-01",
        )
        .unique(["production_line", "production_date"], rule_id="DQ-CMU-02")
        .in_range("capacity_units", min=0, rule_id="DQ-CMU-03")
        .in_range("allocated_units", min=0, rule_id="DQ-CMU-04")
        .in_range("utilisation", min=0, max=1, rule_id="DQ-CMU-05")
        .compare("allocated_units", "<=", "capacity_units", rule_id="DQ-CMU-06")
    )


def history_validator(name: str = "schedule_history") -> DataValidator:
    return (
        DataValidator(name)
        .not_null([*LINE_KEYS, "run_id", "run_date"], rule_id="DQ-CMH-01")
        .unique([*LINE_KEYS, "run_id"], rule_id="DQ-CMH-02")
        .check(_moved, name="old_differs_from_new", rule_id="DQ-CMH-03")
    )


def _moved(df: pd.DataFrame) -> pd.Series:
    same = (df["old_ship_date"] == df["new_ship_date"]).fillna(False)
    both_null = df["old_ship_date"].isna() & df["new_ship_date"].isna()
    return ~(same | both_null)


def check_tables(db: Database, settings: ScheduleSettings) -> list[ValidationResult]:
    """Every output table of a run, validated."""
    tables = settings.tables
    pairs = (
        (tables.schedule, schedule_validator),
        (tables.utilisation, utilisation_validator),
        (tables.history, history_validator),
    )
    return [make(table).validate(db.read_table(table)) for table, make in pairs]


def main(argv: list[str] | None = None) -> int:
    args = validation_arguments(argv, __doc__ or "")
    with checked_database(args) as (db, settings):
        results = check_tables(db, settings)
    for result in results:
        print(f"== {result.name}: {result.rows_checked} rows, {'ok' if result.ok else 'FAILED'}")
        if not result.ok:
            print(result.table())
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
