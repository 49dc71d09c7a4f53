"""Business rules of monday_boards on a synced database (see the plan, "Business rules").

python dev/monday_boards/validation/validate_business_rules.py [--database-url URL]

BR-MB-01 every board table holds exactly the items monday_boards / monday_sync_log say it does
BR-MB-02 every table column is documented in monday_column_mapping and every active mapping
         row's column exists (nothing unexplained, nothing lost)
BR-MB-03 SQL column names are safe identifiers (lower-case ASCII, digits, _) within 63 bytes
BR-MB-04 every item's group is one of its board's groups (monday_groups)
BR-MB-05 only the configured item states are synced (workflow.yaml item_states)
BR-MB-06 subitems point at an item of their parent board's table
BR-MB-07 the delivery schedules board gives customer_master_schedule what it reads: text
         customer_id, weekday labels joined by ',', date blackout_from <= blackout_to
BR-MB-08 a run's boards are all logged; failed/skipped boards carry their error
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SPEC, parse_args, synced_database

from shared.db_helper import Database

SAFE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
DELIVERY = "monday_customer_delivery_schedules"


def counts_match(db: Database) -> list[str]:
    boards = db.read_table("monday_boards")
    log = db.read_table("monday_sync_log")
    problems = []
    for board, table, items, run in zip(boards["board_id"], boards["table_name"], boards["items"],
                                        boards["last_run_id"], strict=True):  # fmt: skip
        rows = len(db.read_table(table, ["item_id"]))
        logged = log[(log["run_id"] == run) & (log["board_id"] == board)]["items"].tolist()
        if rows != items or logged != [items]:
            problems.append(
                f"board {board}: table {table} has {rows} rows, monday_boards says "
                f"{items}, the sync log {logged}"
            )
    return problems


def columns_documented(db: Database) -> list[str]:
    mapping = db.read_table("monday_column_mapping")
    problems = []
    for table, rows in mapping.groupby("table_name"):
        columns = set(db.columns(str(table)))
        mapped = set(rows["sql_column"].dropna())
        if columns - mapped:
            problems.append(f"{table}: column(s) {sorted(columns - mapped)} not in the mapping")
        if mapped - columns:
            problems.append(f"{table}: mapped column(s) {sorted(mapped - columns)} missing")
    return problems


def names_safe(db: Database) -> list[str]:
    mapping = db.read_table("monday_column_mapping")
    bad = [f"{t}.{c}" for t, c in zip(mapping["table_name"], mapping["sql_column"], strict=True)
           if isinstance(c, str) and not SAFE.match(c)]  # fmt: skip
    return [f"unsafe SQL name(s): {bad}"] if bad else []


def groups_known(db: Database) -> list[str]:
    groups = db.read_table("monday_groups")
    boards = db.read_table("monday_boards")
    problems = []
    for board, table in zip(boards["board_id"], boards["table_name"], strict=True):
        known = set(groups.loc[groups["board_id"] == board, "group_id"])
        unknown = set(db.read_table(table, ["group_id"])["group_id"].dropna()) - known
        if unknown:
            problems.append(f"{table}: group(s) {sorted(unknown)} not among board {board}'s groups")
    return problems


def states_configured(db: Database) -> list[str]:
    allowed = set(SPEC["config"].get("item_states", ["active"]))
    problems = []
    for table in db.read_table("monday_boards")["table_name"]:
        states = set(db.read_table(table, ["state"])["state"].dropna())
        if "all" not in allowed and states - allowed:
            problems.append(f"{table}: item state(s) {sorted(states - allowed)} are not synced")
    return problems


def subitems_linked(db: Database) -> list[str]:
    boards = db.read_table("monday_boards").dropna(subset=["subitems_table"])
    problems = []
    for parent, child in zip(boards["table_name"], boards["subitems_table"], strict=True):
        parents = set(db.read_table(parent, ["item_id"])["item_id"])
        orphans = set(db.read_table(child, ["parent_item_id"])["parent_item_id"]) - parents
        if orphans:
            problems.append(f"{child}: parent item(s) {sorted(orphans)} not in {parent}")
    return problems


def delivery_contract(db: Database) -> list[str]:
    if not db.table_exists(DELIVERY):
        return [f"{DELIVERY} was not synced (customer_master_schedule reads it)"]
    types = db.columns(DELIVERY)
    wanted = {
        "customer_id": "text",
        "delivery_weekdays": "text",
        "blackout_from": "date",
        "blackout_to": "date",
    }
    problems = [
        f"{DELIVERY}.{c} is {types.get(c)}, expected {t}"
        for c, t in wanted.items()
        if types.get(c) != t
    ]
    if problems:
        return problems
    table = db.read_table(DELIVERY)
    days = table["delivery_weekdays"].dropna()
    if not days.str.fullmatch(
        r"(MON|TUE|WED|THU|FRI|SAT|SUN)(,(MON|TUE|WED|THU|FRI|SAT|SUN))*"
    ).all():
        problems.append(f"{DELIVERY}: weekdays not joined as MON,WED: {sorted(set(days))[:5]}")
    if (table["blackout_to"] < table["blackout_from"]).any():
        problems.append(f"{DELIVERY}: a blackout ends before it starts")
    return problems


def runs_logged(db: Database) -> list[str]:
    log = db.read_table("monday_sync_log")
    silent = log[(log["status"] != "success") & log["error"].isna()]
    return (
        [f"sync log: board(s) {silent['board_id'].tolist()} failed without an error"]
        if len(silent)
        else []
    )


RULES: dict[str, Callable[[Database], list[str]]] = {
    "BR-MB-01": counts_match, "BR-MB-02": columns_documented, "BR-MB-03": names_safe,
    "BR-MB-04": groups_known, "BR-MB-05": states_configured, "BR-MB-06": subitems_linked,
    "BR-MB-07": delivery_contract, "BR-MB-08": runs_logged,
}  # fmt: skip


def check_business_rules(db: Database) -> dict[str, list[str]]:
    """Rule id -> its problems (empty when the rule holds)."""
    return {rule: check(db) for rule, check in RULES.items()}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, __doc__ or "")
    with synced_database(args.database_url) as db:
        found = check_business_rules(db)
    for rule, problems in found.items():
        print(f"{rule}: {'ok' if not problems else 'FAILED'}")
        for problem in problems:
            print(f"    {problem}")
    failed = [rule for rule, problems in found.items() if problems]
    print(f"\n{len(found) - len(failed)}/{len(found)} business rules hold")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
