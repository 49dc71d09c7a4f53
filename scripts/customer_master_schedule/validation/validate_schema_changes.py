"""Schemas of the workflow's tables: as declared, as created, as recorded; inputs as expected.

    python dev/customer_master_schedule/validation/validate_schema_changes.py
        [--database-url URL --run-date D] [--update-snapshot]

Checks that (1) the output tables a run creates have exactly the declared columns and portable
types (storage.py), (2) the declared schemas equal the committed snapshot schema_snapshot.json
(changing an output schema must be deliberate: rerun with --update-snapshot and commit the
snapshot with the code, and tell the consumers), (3) the input tables hold every column the
workflow reads, under the names workflow.yaml maps (tables.*, delivery_board.*).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import json

from shared.db_helper import Database, TableSchema

from ..inputs import ORDER_COLUMNS
from ..settings import ScheduleSettings
from ..storage import history_schema, schedule_schema, utilisation_schema
from ._context import checked_database, validation_parser

SNAPSHOT = Path(__file__).resolve().parent / "schema_snapshot.json"


def declared(settings: ScheduleSettings) -> list[TableSchema]:
    tables = settings.tables
    return [
        schedule_schema(tables.schedule),
        utilisation_schema(tables.utilisation),
        history_schema(tables.history),
    ]


def as_json(schemas: list[TableSchema]) -> dict[str, dict[str, object]]:
    # keyed by role, not by table name, so a renamed table (config) is not a schema change
    roles = ("schedule", "utilisation", "history")
    return {
        role: {"columns": dict(s.columns), "primary_key": list(s.primary_key)}
        for role, s in zip(roles, schemas, strict=True)
    }


def created_problems(db: Database, settings: ScheduleSettings) -> list[str]:
    problems = []
    for schema in declared(settings):
        if not db.table_exists(schema.name):
            problems.append(f"{schema.name}: not created by the run")
        elif db.columns(schema.name) != dict(schema.columns):
            problems.append(
                f"{schema.name}: columns {db.columns(schema.name)} differ from the "
                f"declared {dict(schema.columns)}"
            )
    return problems


def snapshot_problems(settings: ScheduleSettings, update: bool) -> list[str]:
    current = as_json(declared(settings))
    if update or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        print(f"schema snapshot written: {SNAPSHOT}")
        return []
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return [
        f"{role}: declared {current.get(role)} but the snapshot records {recorded.get(role)}"
        f" (deliberate? rerun with --update-snapshot and commit it)"
        for role in sorted(set(recorded) | set(current))
        if recorded.get(role) != current.get(role)
    ]


def input_problems(db: Database, settings: ScheduleSettings) -> list[str]:
    tables, board = settings.tables, settings.board
    orders = [*ORDER_COLUMNS, *(["status"] if settings.open_statuses else [])]
    wanted = {
        tables.orders: orders,
        tables.customers: ["customer_id", "tier"],
        tables.products: ["sku", "production_line"],
        tables.capacity: ["production_line", "units_per_day"],
    }
    if db.table_exists(board.table):  # optional: the run falls back to customers and defaults
        wanted[board.table] = [
            board.customer_id,
            board.weekdays,
            board.blackout_from,
            board.blackout_to,
        ]
    problems = []
    for table, columns in wanted.items():
        have = db.columns(table) if db.table_exists(table) else None
        missing = [c for c in columns if c not in (have or {})]
        if have is None:
            problems.append(f"{table}: input table missing")
        elif missing:
            problems.append(f"{table}: no column(s) {missing}; map them in workflow.yaml")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = validation_parser(__doc__ or "")
    parser.add_argument(
        "--update-snapshot",
        action="store_true",
        help="record the declared schemas as the new snapshot",
    )
    args = parser.parse_args(argv)
    with checked_database(args) as (db, settings):
        problems = created_problems(db, settings) + input_problems(db, settings)
    problems += snapshot_problems(settings, args.update_snapshot)
    for problem in problems:
        print(f"SCHEMA: {problem}")
    print(f"schemas: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
