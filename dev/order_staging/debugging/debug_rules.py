"""Show what each rule rejected (or flagged) and why: for a batch in the database or a file.

    python dev/order_staging/debugging/debug_rules.py --latest
    python dev/order_staging/debugging/debug_rules.py --batch 20260302T020000Z-ab12cd34
    python dev/order_staging/debugging/debug_rules.py --file inbox/orders.csv [--reference DIR]
    ... [--rule OS-L05] [--limit 50] [--database-url URL] [--env ENV]

--file runs the rules on one file without writing anything, against the database's reference
tables (or the sample CSVs in --reference DIR) and its open orders.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import add_database_args, open_database, options, print_frame, rule_summary

from dev.order_staging import batch as batch_mod
from dev.order_staging import engine, inbox, parsers, reference, store
from shared.db_helper import Database

COLUMNS = ["file_name", "order_id", "line_no", "row_no", "rule_id", "field", "value", "message"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--batch", help="a batch id (order_processing_log.batch_id)")
    what.add_argument("--latest", action="store_true", help="the most recent batch")
    what.add_argument("--file", type=Path, help="an order file to check (nothing is written)")
    parser.add_argument("--reference", type=Path, help="folder of reference sample CSVs")
    parser.add_argument("--rule", help="list the rows of one rule id")
    parser.add_argument("--limit", type=int, default=20, help="rows to list (default 20)")
    add_database_args(parser)
    return parser.parse_args(argv)


def latest_batch(db: Database) -> str:
    log = db.read_table(store.LOG.name, columns=["batch_id", "processed_at"])
    if log.empty:
        raise SystemExit("order_processing_log is empty: no batch has run yet")
    return str(log.sort_values("processed_at")["batch_id"].iloc[-1])


def batch_errors(db: Database, batch_id: str) -> pd.DataFrame:
    q = db.quote
    errors = db.read_sql(
        f"SELECT * FROM {q(store.ERRORS.name)} WHERE {q('batch_id')} = :b", {"b": batch_id}
    )
    log = db.read_sql(
        f"SELECT * FROM {q(store.LOG.name)} WHERE {q('batch_id')} = :b", {"b": batch_id}
    )
    if log.empty:
        raise SystemExit(f"batch {batch_id!r} is not in {store.LOG.name}; try --latest")
    print(f"batch {batch_id}: {len(log)} file(s)")
    print_frame(log[["file_name", "status", "lines_in", "staged", "rejected", "flagged", "reason"]])
    return errors


def file_errors(path: Path, args: argparse.Namespace) -> pd.DataFrame:
    item = inbox.read(path)
    opts = options(args)
    parsed = parsers.parse_bytes(item.data, item.name, opts.x12_default_currency)
    batch = batch_mod.assemble([batch_mod.SourceFile(item.name, item.checksum, parsed)])
    if args.reference:
        ref = reference.build_reference(reference.read_samples(args.reference))
        open_orders = None
    else:
        db = open_database(args)
        try:
            ref = reference.read_reference(db, opts.reference_tables)
            open_orders = store.open_orders(db)
        finally:
            db.dispose()
    outcome = engine.evaluate(batch, ref, opts.settings, open_orders)
    print(
        f"{path.name}: {outcome.rows_in} line(s) in, {outcome.staged} would be staged, "
        f"{outcome.rejected} rejected"
    )
    return outcome.errors


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.file:
            errors = file_errors(args.file, args)
        else:
            db = open_database(args)
            try:
                errors = batch_errors(db, args.batch or latest_batch(db))
            finally:
                db.dispose()
    except (parsers.MalformedFile, LookupError, OSError) as exc:
        print(f"cannot check: {exc}", file=sys.stderr)
        return 1
    print("\nper rule:")
    print_frame(rule_summary(errors))
    if args.rule:
        rows = errors[errors["rule_id"] == args.rule].sort_values(["file_name", "row_no"])
        print(f"\n{args.rule}: {len(rows)} row(s)")
        print_frame(rows[COLUMNS], args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
