"""Compare a board table in the database with what it should hold; print every difference.

    python dev/monday_boards/debugging/debug_compare.py                     # demo on the samples
    python dev/monday_boards/debugging/debug_compare.py --database-url URL --table monday_deals \
        --extract saved.json            # expected = the transform of a saved API read
    python dev/monday_boards/debugging/debug_compare.py --database-url URL --table T \
        --expected expected.csv         # expected = a CSV (empty cell = null)

Prints rows missing from the table, rows the table should not have, and for rows on both sides
every differing cell (expected vs actual), compared by item_id; columns only one side has are
listed. Exit code 1 when anything differs. Without --database-url the sample responses are
synced into a temporary SQLite first and compared with testing/test_data_samples.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import SAMPLES, module, workflow_config

from shared.db_helper import Database

KEY = "item_id"
WHOLE = re.compile(r"-?\d+\.0+")  # "800.0" and 800.0 compare equal


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="database to check (default: a demo SQLite)")
    parser.add_argument("--table", default="monday_deals")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--extract", type=Path, help="saved extract / recorded responses")
    source.add_argument("--expected", type=Path, help="CSV of the expected rows")
    parser.add_argument("--limit", type=int, default=20, help="differences to print per kind")
    return parser.parse_args(argv)


def expected_from_extract(path: Path, table: str) -> pd.DataFrame:
    extract = module("extract").load_extract(path)
    settings = module("settings").load_settings(workflow_config())
    config = settings.board(extract.board_id)
    plan = module("columns").plan_board(config, extract.board.get("columns") or [])
    print(f"expected: transform of {path.name} (board {extract.board_id} -> {config.table})")
    if config.table != table:
        print(f"note: the registry maps this board to {config.table}, comparing with {table}")
    return module("transform").board_frame(extract.items, plan, settings.item_states).frame


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as comparable text ('' = null; whole floats without .0; dates without 00:00)."""

    def cell(value: object) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        text = str(value).removesuffix(" 00:00:00")
        return text[: text.index(".")] if WHOLE.fullmatch(text) else text

    return pd.DataFrame(
        {c: [cell(v) for v in frame[c].tolist()] for c in frame.columns}, dtype=object
    )


def compare(actual: pd.DataFrame, expected: pd.DataFrame, limit: int) -> int:
    actual, expected = as_text(actual), as_text(expected)
    only_actual = sorted(set(actual.columns) - set(expected.columns))
    only_expected = sorted(set(expected.columns) - set(actual.columns))
    problems = 0
    if only_expected or only_actual:
        problems += 1
        print(f"columns missing from the table: {only_expected}; not expected: {only_actual}")
    merged = actual.merge(
        expected, on=KEY, how="outer", suffixes=("", " (expected)"), indicator=True
    )
    missing = merged.loc[merged["_merge"] == "right_only", KEY].tolist()
    extra = merged.loc[merged["_merge"] == "left_only", KEY].tolist()
    if missing:
        print(f"{len(missing)} row(s) missing from the table: {missing[:limit]}")
    if extra:
        print(f"{len(extra)} row(s) the table should not have: {extra[:limit]}")
    both = merged[merged["_merge"] == "both"]
    shared = [c for c in expected.columns if c in actual.columns and c != KEY]
    diffs = [(row[KEY], c, row[f"{c} (expected)"], row[c]) for _, row in both.iterrows()
             for c in shared if row[c] != row[f"{c} (expected)"]]  # fmt: skip
    for item, column, want, got in diffs[:limit]:
        print(f"item {item} column {column}: expected {want!r}, table has {got!r}")
    total = problems + len(missing) + len(extra) + len(diffs)
    print(
        f"\n{len(both)} row(s) on both sides, {len(diffs)} differing cell(s), "
        f"{len(missing)} missing, {len(extra)} extra: {'DIFFERENT' if total else 'identical'}"
    )
    return 1 if total else 0


def demo() -> int:
    """Sync the sample deals response into a temporary SQLite table, then compare."""
    with tempfile.TemporaryDirectory(prefix="debug-compare-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'demo.sqlite'}")
        try:
            sample = SAMPLES / "sample_api_response.json"
            frame = expected_from_extract(sample, "monday_deals")
            db.replace_table_atomically(frame, "monday_deals")
            expected = pd.read_csv(
                SAMPLES / "sample_database_data.csv", dtype=str, keep_default_na=False
            )
            print("against testing/test_data_samples/sample_database_data.csv:")
            return compare(db.read_table("monday_deals"), expected, 20)
        finally:
            db.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.database_url:
        return demo()
    db = Database(args.database_url)
    try:
        if not db.table_exists(args.table):
            print(f"table {args.table!r} does not exist in {db!r}")
            return 1
        if args.expected:
            expected = pd.read_csv(args.expected, dtype=str, keep_default_na=False)
        else:
            expected = expected_from_extract(
                args.extract or SAMPLES / "sample_api_response.json", args.table
            )
        return compare(db.read_table(args.table), expected, args.limit)
    finally:
        db.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
