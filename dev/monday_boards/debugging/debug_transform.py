"""Show how each board column was mapped and why, and what the transform made of its cells.

    python dev/monday_boards/debugging/debug_transform.py                       # all-types sample
    python dev/monday_boards/debugging/debug_transform.py --extract saved.json --column numbers
    python dev/monday_boards/debugging/debug_transform.py --previous-from DATABASE_URL

For each board column: its SQL column(s), type, where the name came from (override, previous
sync, title, item field) and why; excluded columns and why; per SQL column how many cells are
filled and how many could not be read (with examples) -- the cells the transform rejected.
--column ID prints the raw cells next to the values they became. The registry entry comes from
workflow.yaml (a board outside it is mapped automatically); --previous-from reads the names a
database's last sync gave (monday_column_mapping), as the real run would.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import SAMPLES, module, workflow_config

from shared.db_helper import Database


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--extract",
        type=Path,
        default=SAMPLES / "sample_all_column_types_response.json",
        help="saved extract or recorded responses (debug_extract.py --save)",
    )
    parser.add_argument("--column", help="board column id whose cells to show")
    parser.add_argument("--rows", type=int, default=5, help="cells to show with --column")
    parser.add_argument("--previous-from", metavar="DATABASE_URL", help="names of the last sync")
    return parser.parse_args(argv)


def previous_names(
    url: str | None, board_id: str, table: str
) -> tuple[dict[tuple[str, str], str], pd.DataFrame | None]:
    if not url:
        return {}, None
    db = Database(url)
    try:
        store, sync = module("store"), module("sync")
        existing = store.table_columns(db, table)
        previous = store.previous_mapping(db, board_id) if existing else None
        return sync._previous_names(previous, existing), previous
    finally:
        db.dispose()


def show_plan(plan: object) -> None:
    mapping = plan.mapping_frame()  # type: ignore[attr-defined]
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 70)
    shown = mapping[
        ["column_id", "column_type", "column_title", "sql_column", "sql_type", "source", "reason"]
    ]
    print(shown.fillna("-").to_string(index=False))


def show_cells(result: object, plan: object) -> None:
    frame = result.frame  # type: ignore[attr-defined]
    bad = {u.sql_column: u for u in result.unreadable}  # type: ignore[attr-defined]
    print(f"\n{'sql column':28} {'type':10} {'filled':>7} {'null':>6} {'unreadable':>10}")
    for out in plan.outputs:  # type: ignore[attr-defined]
        filled = int(frame[out.sql_name].notna().sum())
        unread = bad[out.sql_name].count if out.sql_name in bad else 0
        print(
            f"{out.sql_name:28} {out.sql_type:10} {filled:>7} {len(frame) - filled:>6} {unread:>10}"
        )
    for name, found in bad.items():
        print(
            f"\nrejected in {name} (from column {found.column_id}): {found.count} cell(s) -> null"
        )
        for example in found.examples:
            print(f"  {example}")


def show_column(
    items: list[dict], plan: object, frame: pd.DataFrame, column: str, rows: int
) -> None:
    outputs = [o for o in plan.outputs if o.column_id == column]  # type: ignore[attr-defined]
    if not outputs:
        print(f"\nno SQL column comes from board column {column!r} (excluded or unknown)")
        return
    print(f"\ncells of {column!r} -> {[o.sql_name for o in outputs]}:")
    for row, item in enumerate(items[:rows]):
        cell = next((c for c in item.get("column_values") or [] if c.get("id") == column), None)
        values = {o.sql_name: frame[o.sql_name].iloc[row] for o in outputs}
        print(f"  item {item['id']}: {cell}\n    -> {values}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    extract = module("extract").load_extract(args.extract)
    settings = module("settings").load_settings(workflow_config())
    config = settings.board(extract.board_id)
    names, previous = previous_names(args.previous_from, config.board_id, config.table)
    plan = module("columns").plan_board(config, extract.board.get("columns") or [], names)
    print(
        f"board {extract.board_id} {extract.board.get('name')!r} -> table {config.table} "
        f"({len(extract.items)} items; registry entry: {'yes' if config in settings.boards else 'no, automatic'})\n"
    )
    show_plan(plan)
    if previous is not None:
        print("\nnames kept from the last sync: " + ", ".join(sorted(set(names.values()))))
    result = module("transform").board_frame(extract.items, plan, settings.item_states)
    if result.items_dropped:
        print(
            f"\n{result.items_dropped} item(s) dropped: state not in {list(settings.item_states)}"
        )
    show_cells(result, plan)
    if args.column:
        show_column(extract.items, plan, result.frame, args.column, args.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
