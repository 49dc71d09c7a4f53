"""Replay a stored input: a file, or every file of a batch, through the rules again.

    python dev/order_staging/debugging/debug_replay.py --file inbox/orders.csv
    python dev/order_staging/debugging/debug_replay.py --batch BATCH_ID [--inbox DIR]
    ... [--into scratch.sqlite] [--database-url URL] [--env ENV]

The files of a batch are found in the inbox by checksum; a file no longer there is rebuilt
from order_staging_raw (the stored payload of each of its orders). By default nothing is
written: the replay's counts are compared with what order_processing_log recorded, which shows
whether the reference data or the code changed the outcome (exit code 2 when it differs).
--into PATH stages the files for real into a scratch SQLite database (reference tables copied
into it) to inspect every table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import LOGS, add_database_args, open_database, options, print_frame, rule_summary

from dev.order_staging import inbox, pipeline, reference, store
from shared.db_helper import Database, TableSchema

COUNTS = ["lines_in", "staged", "rejected", "flagged"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--file", type=Path, help="an order file to replay")
    what.add_argument("--batch", help="replay every file of this batch id")
    parser.add_argument("--inbox", type=Path, help="where the batch's files are (default: config)")
    parser.add_argument("--into", type=Path, help="stage into this scratch SQLite file")
    add_database_args(parser)
    return parser.parse_args(argv)


def batch_files(db: Database, batch_id: str, inbox_dir: Path, out: Path) -> list[str]:
    """Copy the batch's processed files into `out` (from the inbox, else rebuilt from raw)."""
    q = db.quote
    log = db.read_sql(
        f"SELECT * FROM {q(store.LOG.name)} WHERE {q('batch_id')} = :b "
        f"AND {q('status')} = 'processed'",
        {"b": batch_id},
    )
    if log.empty:
        raise LookupError(f"batch {batch_id!r} processed no file (order_processing_log)")
    present = (
        {inbox.read(p).checksum: p for p in inbox.scan(inbox_dir)} if inbox_dir.is_dir() else {}
    )
    notes = []
    for row in log.itertuples():  # one iteration per file of the batch
        target = out / str(row.file_name)
        if row.file_checksum in present:
            shutil.copyfile(present[row.file_checksum], target)
            notes.append(f"{row.file_name}: from the inbox")
        else:
            target.write_text(
                rebuild(db, str(row.file_checksum), str(row.format)), encoding="utf-8"
            )
            notes.append(f"{row.file_name}: rebuilt from {store.RAW.name}")
    return notes


def rebuild(db: Database, checksum: str, fmt: str) -> str:
    """A file's text from the payloads of its orders."""
    q = db.quote
    raw = (
        db.read_sql(
            f"SELECT {q('order_seq')}, {q('payload')} FROM {q(store.RAW.name)} "
            f"WHERE {q('file_checksum')} = :c ORDER BY {q('order_seq')}",
            {"c": checksum},
        )["payload"]
        .astype(str)
        .tolist()
    )
    if not raw:
        raise LookupError(f"no payloads stored for file {checksum[:12]}")
    if fmt == "json":
        return '{"orders": [\n' + ",\n".join(raw) + "\n]}\n"
    if fmt == "x12":
        return _x12_envelope(raw)
    if raw[0].startswith("["):  # a CSV whose quoted fields spanned lines: rows kept as JSON
        rows = [record for payload in raw for record in json.loads(payload)]
        return pd.DataFrame(rows).to_csv(index=False)
    header = raw[0].split("\n", 1)[0]
    return "\n".join([header, *(p.split("\n", 1)[1] for p in raw)]) + "\n"


def _x12_envelope(sets: list[str]) -> str:
    element, terminator = sets[0][2], sets[0][-1]
    component = ":" if element == ">" else ">"
    fields = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        "REPLAY".ljust(15),
        "ZZ",
        "REPLAY".ljust(15),
        "260101",
        "0000",
        "U",
        "00401",
        "000000001",
        "0",
        "P",
        component,
    ]
    e, t = element, terminator
    head = (
        e.join(fields)
        + t
        + e.join(["GS", "PO", "REPLAY", "REPLAY", "20260101", "0000", "1", "X", "004010"])
        + t
    )
    tail = e.join(["GE", str(len(sets)), "1"]) + t + e.join(["IEA", "1", "000000001"]) + t
    return head + "".join(sets) + tail


def copy_reference(source: Database, target: Database, names: dict[str, str]) -> None:
    tables = reference.table_names(names)
    for logical, schema in reference.SCHEMAS.items():
        frame = source.read_table(tables[logical], columns=list(schema.columns))
        renamed = TableSchema(tables[logical], schema.columns, schema.primary_key)
        target.upsert_frame(frame, renamed.name, list(schema.primary_key), schema=renamed)


def replay(db: Database, args: argparse.Namespace, folder: Path) -> pipeline.StagingResult:
    opts = options(args, inbox=folder)
    if args.into is None:
        return pipeline.stage_inbox(db, opts, "replay", write=False, reprocess=True)
    scratch = Database(f"sqlite:///{args.into.resolve()}")
    try:
        copy_reference(db, scratch, dict(opts.reference_tables))
        return pipeline.stage_inbox(scratch, opts, "replay", write=True)
    finally:
        scratch.dispose()


def compare(db: Database, result: pipeline.StagingResult) -> pd.DataFrame:
    """Replayed counts per file next to the counts the log recorded for the same file name."""
    now = pd.DataFrame(result.files.reports)
    if now.empty:
        return now
    now = now[now["status"] == "processed"][["file_name", *COUNTS]]
    logged = db.read_table(store.LOG.name) if db.table_exists(store.LOG.name) else None
    if logged is None or logged.empty:
        return now
    last = logged.sort_values("processed_at").drop_duplicates("file_name", keep="last")
    both = now.merge(
        last[["file_name", *COUNTS]], on="file_name", how="left", suffixes=("", "_logged")
    )
    both["same"] = (
        both[COUNTS].to_numpy() == both[[f"{c}_logged" for c in COUNTS]].to_numpy()
    ).all(axis=1)
    return both


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = LOGS / f"replay_{args.batch or args.file.stem}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = open_database(args)
    try:
        if args.file:
            shutil.copyfile(args.file, folder / args.file.name)
            notes = [f"{args.file.name}: given"]
        else:
            notes = batch_files(db, args.batch, args.inbox or options(args).inbox, folder)
        print("\n".join(notes))
        result = replay(db, args, folder)
        table = compare(db, result)
    except (LookupError, OSError) as exc:
        print(f"cannot replay: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    for name, reason in result.files.quarantined:
        print(f"{name}: would be quarantined: {reason}")
    print(f"\nreplay: {result.counts()}")
    print_frame(table)
    print("\nper rule:")
    print_frame(rule_summary(result.outcome.errors))
    if args.into:
        print(
            f"\nstaged into {args.into}: inspect it with sqlite3 or debug_rules.py "
            f"--database-url sqlite:///{args.into.resolve()} --latest"
        )
    changed = "same" in table and not table["same"].all()
    if changed:
        print(
            "\nthe replay differs from what was logged: the reference data or the code changed, "
            "or the file shared its batch with others (stock and credit are cumulative)"
        )
    return 2 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
