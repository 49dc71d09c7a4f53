"""Schema changes: the drift diff of the boards, and this workflow's own tables vs their snapshot.

python dev/monday_boards/validation/validate_schema_changes.py [--database-url URL] [--update-snapshot]

1. Board drift. Without --database-url the sample deals board is synced, then changed the way
   boards change (a column added, one removed, one retyped numbers -> text, one retitled) and
   synced again; with --database-url the database's own monday_schema_changes are used. The
   diff is printed per run and board, and each change is checked against the rules: an added
   column exists in the table; a removed one is still there (kept); a retyped one keeps the
   table's type; a retitled one keeps its SQL name.
2. Output schema. The columns and types of monday_boards, monday_groups, monday_column_mapping,
   monday_sync_log, monday_schema_changes and monday_customer_delivery_schedules (read by
   customer_master_schedule) are compared with schema_snapshot.json; any difference fails
   until the snapshot is updated on purpose (--update-snapshot) and consumers are told.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
import yaml
from _common import HERE, sync_samples

from dev.shared.monday_sandbox import SANDBOX_DATA
from dev.shared.validation_runs import validation_database
from shared.db_helper import Database

SNAPSHOT = HERE / "schema_snapshot.json"
OWN_TABLES = (
    "monday_boards", "monday_groups", "monday_column_mapping", "monday_sync_log",
    "monday_schema_changes", "monday_customer_delivery_schedules",
)  # fmt: skip
DEALS = "1234567890"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database-url", help="a synced database (default: a drift demo on the samples)"
    )
    parser.add_argument(
        "--update-snapshot", action="store_true", help="rewrite schema_snapshot.json"
    )
    return parser.parse_args(argv)


def changed_deals() -> dict[str, Any]:
    """The sample deals board after a typical week of edits on Monday."""
    data = yaml.safe_load((SANDBOX_DATA / "deals.yaml").read_text(encoding="utf-8"))
    changed = copy.deepcopy(data)
    board = changed["boards"][0]
    board.pop("subitems_board", None)
    columns = [c for c in board["columns"] if c["id"] != "date4"]  # removed
    for column in columns:
        if column["id"] == "numbers":
            column.update(type="text", settings={})  # retyped numbers -> text
        if column["id"] == "person":
            column["title"] = "Account owner"  # retitled
    board["columns"] = [*columns, {"id": "region", "title": "Region", "type": "text"}]  # added
    for item in board["items"]:
        item.pop("subitems", None)
        values = item.get("values") or {}
        values.pop("date4", None)
        if "numbers" in values:
            values["numbers"] = f"{values['numbers']} USD"
        values["region"] = "EMEA"
    return changed


def drift_demo(db: Database) -> None:
    """Sync the deals board, change it, sync again (the drift lands in monday_schema_changes)."""
    original = yaml.safe_load((SANDBOX_DATA / "deals.yaml").read_text(encoding="utf-8"))
    sync_samples(db, original, [DEALS])
    sync_samples(db, changed_deals(), [DEALS])


def check_changes(db: Database) -> list[str]:
    if not db.table_exists("monday_schema_changes"):
        print("no schema change recorded yet")
        return []
    changes = db.read_table("monday_schema_changes", order_by=["detected_at", "change_key"])
    problems = []
    for (run, board), rows in changes.groupby(["run_id", "board_id"], sort=False):
        table = str(rows["table_name"].iloc[0])
        columns = db.columns(table)
        print(f"\nrun {run}, board {board} -> {table}:")
        for row in rows.itertuples():
            old, new = (v if isinstance(v, str) else "-" for v in (row.old, row.new))
            print(f"  {row.change:12} {row.sql_column:28} {old:>14} -> {new:14} {row.action}")
            problems += _check(row, columns, table)
    return problems


def _check(row: Any, columns: dict[str, str], table: str) -> list[str]:
    where = f"{table}.{row.sql_column}"
    if (
        row.change in ("added", "removed", "renamed", "type_changed")
        and row.sql_column not in columns
    ):
        return [f"{where}: {row.change} but the column is not in the table"]
    if row.change == "retyped" and columns.get(row.sql_column) != row.old:
        return [
            f"{where}: retyped, but the table type is {columns.get(row.sql_column)}, not kept {row.old}"
        ]
    return []


def output_schema(db: Database) -> dict[str, dict[str, str]]:
    return {t: dict(sorted(db.columns(t).items())) for t in OWN_TABLES if db.table_exists(t)}


def compare_snapshot(current: dict[str, dict[str, str]], update: bool) -> list[str]:
    if update or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
        print(f"\nsnapshot written: {SNAPSHOT.name}")
        return []
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    problems = []
    for table in sorted(set(expected) | set(current)):
        want, got = expected.get(table, {}), current.get(table, {})
        for column in sorted(set(want) | set(got)):
            if want.get(column) != got.get(column):
                problems.append(
                    f"{table}.{column}: snapshot {want.get(column)}, now {got.get(column)}"
                )
    print(f"\noutput schema vs {SNAPSHOT.name}: {'same' if not problems else 'CHANGED'}")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with validation_database(args.database_url) as (db, fresh):
        if fresh:
            drift_demo(db)
            sync_samples(db)  # every board, for the output schema
        problems = check_changes(db)
        problems += compare_snapshot(output_schema(db), args.update_snapshot)
    for problem in problems:
        print(f"  FAILED {problem}")
    print(
        f"\n{'schema changes follow the rules' if not problems else f'{len(problems)} problem(s)'}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    raise SystemExit(main())
