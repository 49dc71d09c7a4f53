"""Data quality of every monday_boards target table after a sync (DataValidator checks).

python dev/monday_boards/validation/validate_data_quality.py [--database-url URL]

Tables: every board table (monday_customer_delivery_schedules, monday_deals,
monday_deals_subitems, monday_all_column_types and any other in monday_boards), and
monday_boards, monday_groups, monday_column_mapping, monday_schema_changes, monday_sync_log.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import parse_args, registered_tables, report, synced_database

from dev.shared.validation_helpers import DataValidator, ValidationResult
from shared.db_helper import Database

SAFE_NAME = r"^[a-z_][a-z0-9_]*$"
STATES = {"active", "archived", "deleted"}
WEEKDAYS = r"^(MON|TUE|WED|THU|FRI|SAT|SUN)(,(MON|TUE|WED|THU|FRI|SAT|SUN))*$"


def board_table(db: Database, table: str) -> ValidationResult:
    rows = db.read_table(table)
    checks = (
        DataValidator(table)
        .not_null(["item_id", "name", "state", "created_at"], rule_id="DQ-B01")
        .unique(["item_id"], rule_id="DQ-B02")
        .matches("item_id", r"^\d+$", rule_id="DQ-B03")
        .isin("state", STATES, rule_id="DQ-B04")
        .compare("updated_at", ">=", "created_at", rule_id="DQ-B05")
    )
    if "parent_item_id" in rows:
        checks = checks.not_null(["parent_item_id"], rule_id="DQ-B06")
    if table == "monday_customer_delivery_schedules":
        checks = (
            checks.not_null(["customer_id"], rule_id="DQ-D01")
            .matches("delivery_weekdays", WEEKDAYS, rule_id="DQ-D02")
            .compare("blackout_to", ">=", "blackout_from", rule_id="DQ-D03")
        )
    return checks.schema_matches(db, table, rule_id="DQ-B07").validate(rows)


def monday_boards(db: Database) -> ValidationResult:
    return (
        DataValidator("monday_boards")
        .not_null(["board_id", "table_name", "last_synced_at", "last_status"], rule_id="DQ-M01")
        .unique(["board_id"], rule_id="DQ-M02")
        .unique(["table_name"], rule_id="DQ-M03")
        .matches("table_name", SAFE_NAME, rule_id="DQ-M04")
        .in_range("items", min=0, rule_id="DQ-M05")
        .isin("last_status", {"success"}, rule_id="DQ-M06")
        .validate(db.read_table("monday_boards"))
    )


def monday_groups(db: Database) -> ValidationResult:
    boards = db.read_table("monday_boards")
    return (
        DataValidator("monday_groups")
        .not_null(["board_id", "group_id", "position", "items"], rule_id="DQ-G01")
        .unique(["board_id", "group_id"], rule_id="DQ-G02")
        .in_range("items", min=0, rule_id="DQ-G03")
        .references("board_id", boards, "board_id", rule_id="DQ-G04")
        .validate(db.read_table("monday_groups"))
    )


def monday_column_mapping(db: Database) -> ValidationResult:
    rows = db.read_table("monday_column_mapping")
    return (
        DataValidator("monday_column_mapping")
        .not_null(["board_id", "table_name", "column_id", "status", "source"], rule_id="DQ-C01")
        .unique(["board_id", "column_id", "part"], rule_id="DQ-C02")
        .isin("status", {"active", "excluded", "removed", "retyped"}, rule_id="DQ-C03")
        .isin(
            "source", {"item", "override", "previous", "auto", "config", "kept"}, rule_id="DQ-C04"
        )
        .matches("sql_column", SAFE_NAME, rule_id="DQ-C05")
        .isin(
            "sql_type",
            {"text", "int", "float", "bool", "date", "timestamp", "json", "decimal"},
            rule_id="DQ-C06",
        )
        .check(
            lambda df: df["sql_column"].notna() | df["status"].eq("excluded"),
            name="every mapped column names its SQL column",
            rule_id="DQ-C07",
        )
        .check(
            lambda df: (
                ~df[df["sql_column"].notna()]
                .duplicated(["table_name", "sql_column"], keep=False)
                .reindex(df.index, fill_value=False)
            ),
            name="one SQL column per table and name",
            rule_id="DQ-C08",
        )
        .validate(rows)
    )


def monday_schema_changes(db: Database) -> ValidationResult:
    rows = (
        db.read_table("monday_schema_changes") if db.table_exists("monday_schema_changes") else None
    )
    validator = (
        DataValidator("monday_schema_changes")
        .not_null(
            ["run_id", "change_key", "board_id", "change", "sql_column", "action"], rule_id="DQ-S01"
        )
        .unique(["run_id", "change_key"], rule_id="DQ-S02")
        .isin(
            "change", {"added", "removed", "retyped", "renamed", "type_changed"}, rule_id="DQ-S03"
        )
    )
    if rows is None:  # no drift found yet: the table appears with the first change
        rows = pd.DataFrame(
            columns=["run_id", "change_key", "board_id", "change", "sql_column", "action"]
        )
    return validator.validate(rows)


def monday_sync_log(db: Database) -> ValidationResult:
    return (
        DataValidator("monday_sync_log")
        .not_null(["run_id", "board_id", "table_name", "started_at", "status"], rule_id="DQ-L01")
        .unique(["run_id", "board_id"], rule_id="DQ-L02")
        .isin("status", {"success", "failed", "skipped"}, rule_id="DQ-L03")
        .in_range("items", min=0, rule_id="DQ-L04")
        .in_range("pages", min=0, rule_id="DQ-L05")
        .in_range("complexity_used", min=0, rule_id="DQ-L06")
        .in_range("duration_seconds", min=0, rule_id="DQ-L07")
        .compare("finished_at", ">=", "started_at", rule_id="DQ-L08")
        .check(
            lambda df: df["status"].eq("success") | df["error"].notna(),
            name="a failed or skipped board says why",
            rule_id="DQ-L09",
        )
        .validate(db.read_table("monday_sync_log"))
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, __doc__ or "")
    with synced_database(args.database_url) as db:
        results = [board_table(db, table) for table in registered_tables(db)]
        results += [check(db) for check in (monday_boards, monday_groups, monday_column_mapping,
                                            monday_schema_changes, monday_sync_log)]  # fmt: skip
        return report(results)


if __name__ == "__main__":
    raise SystemExit(main())
