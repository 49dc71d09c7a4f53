"""Schema of the workflow's tables: as declared, as created, as recorded, and upgradable.

    python dev/order_staging/validation/validate_schema_changes.py [--database-url URL] [--update]

Checks that (1) the tables the run creates have exactly the columns and portable types of
store.py / reference.py, (2) the declared schemas match the committed snapshot
validation/schema_snapshot.json (a change must be deliberate: rerun with --update and commit
the snapshot together with the code), (3) a table created by an older version (a column
missing) is upgraded in place by the next run, its rows kept.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import SAMPLES, report, staged_samples

from dev.order_staging import order_staging, reference, store
from shared.db_helper import Database, TableSchema

SNAPSHOT = Path(__file__).resolve().parent / "schema_snapshot.json"


def declared() -> dict[str, dict[str, object]]:
    schemas = [*store.TABLES, *reference.SCHEMAS.values()]
    return {
        s.name: {"columns": dict(s.columns), "primary_key": list(s.primary_key)} for s in schemas
    }


def created_problems(db: Database) -> list[str]:
    problems = []
    for name, spec in declared().items():
        if not db.table_exists(name):
            problems.append(f"{name}: not created by the run")
            continue
        actual, wanted = db.columns(name), spec["columns"]
        if actual != wanted:
            problems.append(f"{name}: columns {actual} differ from the declared {wanted}")
    return problems


def snapshot_problems(update: bool) -> list[str]:
    current = declared()
    if update or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        print(f"schema snapshot written: {SNAPSHOT}")
        return []
    recorded = json.loads(SNAPSHOT.read_text())
    problems = []
    for name in sorted(set(recorded) | set(current)):
        old, new = recorded.get(name), current.get(name)
        if old != new:
            problems.append(
                f"{name}: schema changed from {old} to {new}; if intended, run "
                "with --update and commit schema_snapshot.json with the change"
            )
    return problems


def upgrade_problems() -> list[str]:
    """A validated table without `backorder` (an older version) gains it; rows are kept."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'old.sqlite'}")
        try:
            old = {k: v for k, v in store.VALIDATED.columns.items() if k != "backorder"}
            db.ensure_table(TableSchema(store.VALIDATED.name, old, store.VALIDATED.primary_key))
            row = {
                "source": "legacy",
                "order_id": "OLD-1",
                "line_no": 1,
                "customer_id": "C001",
                "sku": "SKU-1001",
                "quantity": 1,
                "unit_price": 0.35,
                "discount_pct": 0.0,
                "line_amount": 0.35,
                "currency": "EUR",
                "order_date": pd.Timestamp("2026-01-05"),
                "requested_delivery_date": pd.Timestamp("2026-01-07"),
                "rush": False,
                "status": "shipped",
                "batch_id": "old",
            }
            db.upsert_frame(
                pd.DataFrame([row]), store.VALIDATED.name, ["source", "order_id", "line_no"]
            )
            summary = order_staging.run(
                database_url=db.url,
                env="testing",
                inbox=SAMPLES / "inbox",
                quarantine=Path(tmp) / "q",
                seed_reference=SAMPLES,
            )
            columns = db.columns(store.VALIDATED.name)
            kept = db.read_sql(
                "SELECT COUNT(*) AS n FROM order_staging_validated WHERE order_id = 'OLD-1'"
            )["n"][0]
        finally:
            db.dispose()
    problems = [] if summary.status == "success" else [f"upgrade run failed: {summary.error}"]
    if "backorder" not in columns:
        problems.append("an older order_staging_validated was not upgraded (no backorder)")
    if kept != 1:
        problems.append("the upgrade lost the rows of the older table")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--update", action="store_true", help="rewrite schema_snapshot.json")
    args = parser.parse_args(argv)
    with staged_samples(args.database_url) as (db, summary):
        problems = [] if summary.status == "success" else [f"the run failed: {summary.error}"]
        problems += created_problems(db)
    problems += snapshot_problems(args.update)
    problems += upgrade_problems()
    return report("schema changes", problems)


if __name__ == "__main__":
    raise SystemExit(main())
