"""Compare the database with the expected state: the samples' expected outcome, or another DB.

    python dev/order_staging/debugging/debug_compare.py
        stage the samples into a scratch SQLite and compare with expected_outcome.csv
    python dev/order_staging/debugging/debug_compare.py --database-url URL [--expected CSV]
        compare what URL holds with an expected outcome (file_name,row_no,order_id,line_no,
        status,backorder,rules per line, like testing/test_data_samples/expected_outcome.csv)
    python dev/order_staging/debugging/debug_compare.py --database-url URL --against-url URL2
        compare two databases table by table: row counts, checksums, keys only on one side,
        rows that differ (e.g. production against a replay made with debug_replay.py --into)

Exit code 0 when everything matches, 1 when something differs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import SAMPLES, print_frame

from dev.order_staging import order_staging, store
from shared.db_helper import Database


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="the database to check (default: stage the samples into a scratch SQLite)",
    )
    parser.add_argument("--expected", type=Path, default=SAMPLES / "expected_outcome.csv")
    parser.add_argument("--against-url", help="compare with this database instead")
    parser.add_argument(
        "--include-lineage",
        action="store_true",
        help="also compare batch_id, processed_at and timings (different in every run)",
    )
    return parser.parse_args(argv)


LINEAGE = {"batch_id", "processed_at", "parse_seconds", "duration_seconds"}


def actual_outcome(db: Database) -> pd.DataFrame:
    """Per rule-violating line: file_name, row_no, rules; staged keys with backorder flag."""
    errors = db.read_table(store.ERRORS.name)
    return (
        errors.groupby(["file_name", "row_no"])["rule_id"]
        .agg(lambda s: ";".join(sorted(s)))
        .rename("rules")
        .reset_index()
    )


def outcome_differences(db: Database, expected: pd.DataFrame) -> list[str]:
    found = actual_outcome(db).astype({"row_no": "int64"})
    want = expected.astype({"row_no": "int64"})
    both = want.merge(
        found, on=["file_name", "row_no"], how="outer", suffixes=("", "_found"), indicator=True
    )
    both["rules"] = both["rules"].fillna("")
    both["rules_found"] = both["rules_found"].fillna("")
    bad = both[both["rules"] != both["rules_found"]]
    problems = [
        f"{r.file_name} row {r.row_no} ({r.order_id} line {r.line_no}): expected "
        f"{r.rules or 'no rule'}, found {r.rules_found or 'no rule'}"
        for r in bad.itertuples()
    ]
    staged = db.read_table(store.VALIDATED.name, columns=["order_id", "line_no", "backorder"])
    expected_staged = want[want["status"] == "staged"]
    wanted_keys = set(
        zip(expected_staged["order_id"], expected_staged["line_no"].astype(str), strict=True)
    )
    found_keys = set(zip(staged["order_id"], staged["line_no"].astype(str), strict=True))
    problems += [f"staged line {k} is missing" for k in sorted(wanted_keys - found_keys)]
    problems += [f"line {k} is staged but not expected" for k in sorted(found_keys - wanted_keys)]
    return problems


def table_differences(a: Database, b: Database, ignore: set[str]) -> list[str]:
    problems = []
    for schema in store.TABLES:
        name, keys = schema.name, list(schema.primary_key)
        if not (a.table_exists(name) and b.table_exists(name)):
            where = "the first" if not a.table_exists(name) else "the second"
            problems.append(f"{name}: missing in {where} database")
            continue
        if a.table_checksum(name, keys) == b.table_checksum(name, keys):
            print(f"{name}: identical")
            continue
        problems.append(
            _diff(
                name,
                keys,
                a.read_table(name, order_by=keys),
                b.read_table(name, order_by=keys),
                [c for c in schema.columns if c not in keys and c not in ignore],
            )
        )
    return problems


def _diff(
    name: str, keys: list[str], left: pd.DataFrame, right: pd.DataFrame, rest: list[str]
) -> str:
    merged = left.merge(right, on=keys, how="outer", indicator=True, suffixes=("", "_b"))
    only_a = int((merged["_merge"] == "left_only").sum())
    only_b = int((merged["_merge"] == "right_only").sum())
    common = merged[merged["_merge"] == "both"]
    differs = (
        common[rest].astype(str).to_numpy()
        != common[[c + "_b" for c in rest]].astype(str).to_numpy()
    )
    changed = common[differs.any(axis=1)] if len(common) else common
    columns = (
        [c for c, hit in zip(rest, differs.any(axis=0), strict=True) if hit] if len(common) else []
    )
    if len(changed):
        print(f"{name}: first changed rows")
        print_frame(changed[keys + [x for c in columns for x in (c, c + "_b")]], 5)
    shown = f" (columns {', '.join(columns)})" if columns else ""
    return (
        f"{name}: {len(left)} vs {len(right)} rows; {only_a} key(s) only in the first, "
        f"{only_b} only in the second, {len(changed)} changed{shown}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'samples.sqlite'}"
            summary = order_staging.run(
                database_url=url,
                env="testing",
                inbox=SAMPLES / "inbox",
                quarantine=Path(tmp) / "q",
                seed_reference=SAMPLES,
            )
            print(f"samples staged into a scratch database: {summary.status}")
        db = Database(url)
        other = Database(args.against_url) if args.against_url else None
        try:
            if other is not None:
                ignore = set() if args.include_lineage else LINEAGE
                problems = table_differences(db, other, ignore)
            else:
                expected = pd.read_csv(args.expected, dtype=str, keep_default_na=False)
                problems = outcome_differences(db, expected)
        finally:
            db.dispose()
            if other is not None:
                other.dispose()
    for problem in problems:
        print(f"DIFF {problem}")
    print("matches the expected state" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
