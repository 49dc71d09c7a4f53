"""Explain how one order line was scheduled: priority, start constraint, days, ship date.

    python dev/customer_master_schedule/debugging/debug_schedule.py SO-2026-0007 1
    python .../debug_schedule.py SO-00001234 2 --database-url URL --run-date 2026-12-01

It schedules the inputs again (the samples by default, or a database's current inputs) and
walks through each rule for the line: its position in the priority order and who is ahead of
it on its production line, the earliest allowed start and why, every day it consumed and who
had taken the days it could not use, and each day it could not ship on with the reason.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import argparse
import datetime as dt

import holidays
import pandas as pd

from ..delivery import delivery_windows
from ..inputs import normalise_board, normalise_customers, normalise_products
from ..scheduler import REASONS, ScheduleResult, build_schedule
from ..settings import WEEKDAY_LABELS, ScheduleSettings
from ._common import Source, add_source_arguments, load_source, show


def explain(
    source: Source, result: ScheduleResult, order_id: str, line_no: int, channel: str | None = None
) -> list[str]:
    """The explanation of one line (channel = the order's `source`), as printable lines."""
    schedule = result.schedule
    match = schedule[(schedule["order_id"] == order_id) & (schedule["line_no"] == line_no)]
    if channel is not None:
        match = match[match["source"] == channel]
    if match.empty:
        raise LookupError(f"{order_id}/{line_no} is not an open line of {source.label}")
    if len(match) > 1:
        raise LookupError(
            f"{order_id}/{line_no} comes from several sources "
            f"{sorted(match['source'])}: pick one with --source"
        )
    line = match.iloc[0]
    out = [
        (
            f"== {line['source']}:{order_id} line {line_no} ({source.label}, run date "
            f"{source.settings.run_date})"
        )
    ]
    out += _master_data(source, line)
    out += _priority(schedule, line)
    out += _start(source, line)
    out += _days(result, line)
    out += _shipping(source, line)
    out += _stored(source, line)
    return out


def _master_data(source: Source, line: pd.Series) -> list[str]:
    customers = normalise_customers(source.inputs.customers, source.settings.tables.customers)
    found = customers[customers["customer_id"] == line["customer_id"]]
    who = found.iloc[0].to_dict() if len(found) else "NOT in the customers table"
    products = normalise_products(source.inputs.products, source.settings.tables.products)
    sku = products[products["sku"] == line["sku"]]
    made = sku.iloc[0]["production_line"] if len(sku) else "NOT in the products table"
    return [
        f"customer {line['customer_id']}: {who}",
        f"sku {line['sku']} -> production line {made}; quantity {line['quantity']:g}",
    ]


def _priority(schedule: pd.DataFrame, line: pd.Series) -> list[str]:
    same = schedule[schedule["production_line"] == line["production_line"]]
    ahead = same[same["priority_rank"] < line["priority_rank"]]
    out = [
        (
            f"\n-- CMS-R1 priority: rank {line['priority_rank']} of {len(schedule)} overall; "
            f"{len(ahead)} line(s) ahead on {line['production_line']} "
            f"({int(ahead['allocated_units'].sum()):,} units placed)"
        )
    ]
    if len(ahead):
        out.append(
            show(
                ahead[
                    [
                        "source",
                        "order_id",
                        "line_no",
                        "priority_rank",
                        "quantity",
                        "earliest_start",
                        "production_start",
                        "production_end",
                    ]
                ].tail(8)
            )
        )
    return out


def _start(source: Source, line: pd.Series) -> list[str]:
    if line["reason"] in (
        "invalid_quantity",
        "unknown_customer",
        "inactive_customer",
        "unknown_sku",
        "no_capacity",
    ):
        return [f"\n-- not scheduled: {line['reason']} ({REASONS[line['reason']]})"]
    orders = source.inputs.orders
    channel = orders["source"].astype(str) if "source" in orders.columns else ""
    raw = orders[
        (channel == (line["source"] or channel))
        & (orders["order_id"].astype(str) == line["order_id"])
        & (pd.to_numeric(orders["line_no"]) == line["line_no"])
    ].iloc[0]
    return [
        (
            f"\n-- CMS-R2 start: ordered {_date(raw['order_date'])}, run date "
            f"{source.settings.run_date}; first working day on/after max(run date, order date "
            f"+ lead time) = {_date(line['earliest_start'])}; production started "
            f"{_date(line['production_start'])}"
        )
    ]


def _days(result: ScheduleResult, line: pd.Series) -> list[str]:
    if pd.isna(line["production_start"]):
        return []
    util = result.utilisation[result.utilisation["production_line"] == line["production_line"]]
    window = util[
        (util["production_date"] >= line["earliest_start"])
        & (
            util["production_date"]
            <= (
                line["production_end"]
                if pd.notna(line["production_end"])
                else util["production_date"].max()
            )
        )
    ]
    mine = result.allocations[
        (result.allocations["source"] == line["source"])
        & (result.allocations["order_id"] == line["order_id"])
        & (result.allocations["line_no"] == line["line_no"])
    ]
    taken = window.merge(mine[["production_date", "units"]], how="left", on="production_date")
    taken["this_line"] = taken["units"].fillna(0).astype(int)
    taken["taken_by_others"] = taken["allocated_units"] - taken["this_line"]
    out = [
        (
            f"\n-- CMS-R2/R3 days from earliest start to production end "
            f"({line['allocated_units']} of {line['quantity']:g} units placed):"
        ),
        show(taken[["production_date", "capacity_units", "taken_by_others", "this_line"]], 40),
    ]
    full_before = taken[
        (taken["this_line"] == 0) & (taken["production_date"] < line["production_start"])
    ]
    if len(full_before):
        out.append(
            f"{len(full_before)} day(s) before the start were full; first of them "
            f"went to: {_owners(result, line, full_before['production_date'].iloc[0])}"
        )
    return out


def _owners(result: ScheduleResult, line: pd.Series, day: pd.Timestamp) -> str:
    slices = result.allocations[
        (result.allocations["production_line"] == line["production_line"])
        & (result.allocations["production_date"] == day)
    ]
    return ", ".join(
        f"{r.source}:{r.order_id}/{r.line_no} ({r.units})" for r in slices.itertuples()
    )


def _shipping(source: Source, line: pd.Series) -> list[str]:
    if pd.isna(line["production_end"]):
        return [f"\n-- no ship date: {line['reason']} ({REASONS.get(line['reason'], '')})"]
    settings = source.settings
    weekdays, ranges = _delivery_rules(source, line["customer_id"])
    out = [
        (
            f"\n-- CMS-R4 ship date: delivery weekdays {weekdays}; blackouts "
            f"{[f'{a.date()}..{b.date()}' for a, b in ranges] or 'none'}"
        )
    ]
    names = _holiday_names(settings, line["production_end"].year)
    day = line["production_end"] + pd.Timedelta(days=1)
    stop = line["ship_date"] if pd.notna(line["ship_date"]) else day + pd.Timedelta(days=21)
    while day <= stop:
        why = _not_shippable(day, weekdays, ranges, names, settings)
        out.append(f"  {day.date()} {WEEKDAY_LABELS[day.weekday()]}: {why or 'SHIP'}")
        day += pd.Timedelta(days=1)
    if pd.isna(line["ship_date"]):
        out.append(
            f"... no allowed delivery day within {settings.ship_search_days} days of the "
            f"horizon's end: {line['reason']}"
        )
    late = "" if pd.isna(line["days_late"]) else f"; days late {line['days_late']}"
    out.append(f"requested {_date(line['requested_delivery_date'])}{late}; late={line['late']}")
    return out


def _delivery_rules(source: Source, customer_id: str) -> tuple[str, list[tuple]]:
    settings = source.settings
    customers = normalise_customers(source.inputs.customers, settings.tables.customers)
    board = (
        None
        if source.inputs.board is None
        else normalise_board(source.inputs.board, settings.board)
    )
    windows = delivery_windows(customers, board, settings.default_weekdays).set_index("customer_id")
    weekdays = (
        f"{windows.loc[customer_id, 'delivery_weekdays']} (from "
        f"{windows.loc[customer_id, 'weekday_source']})"
    )
    ranges = (
        []
        if board is None
        else [
            (r.blackout_from, r.blackout_to)
            for r in board[
                (board["customer_id"] == customer_id) & board["blackout_from"].notna()
            ].itertuples()
        ]
    )
    return weekdays, ranges


def _holiday_names(settings: ScheduleSettings, year: int) -> dict[dt.date, str]:
    if not settings.country:
        return {}
    return dict(
        holidays.country_holidays(
            settings.country, subdiv=settings.subdivision, years=range(year, year + 3)
        )
    )


def _not_shippable(
    day: pd.Timestamp,
    weekdays: str,
    ranges: list[tuple],
    names: dict[dt.date, str],
    settings: ScheduleSettings,
) -> str:
    label = WEEKDAY_LABELS[day.weekday()]
    if label in settings.weekend:
        return "weekend"
    if day.date() in names:
        return f"holiday ({names[day.date()]})"
    if day.date() in settings.closures:
        return "plant closure"
    if label not in weekdays.split(" ", maxsplit=1)[0].split(","):
        return "not a delivery weekday"
    hit = [f"{a.date()}..{b.date()}" for a, b in ranges if a <= day <= b]
    return f"blackout {hit[0]}" if hit else ""


def _stored(source: Source, line: pd.Series) -> list[str]:
    stored = source.stored_schedule
    if stored is None:
        return []
    row = stored[
        (stored["source"] == line["source"])
        & (stored["order_id"] == line["order_id"])
        & (stored["line_no"] == line["line_no"])
    ]
    if row.empty:
        return ["\n-- the stored schedule has no row for this line (inputs changed since?)"]
    stored_ship = (
        pd.Timestamp(row.iloc[0]["ship_date"]) if pd.notna(row.iloc[0]["ship_date"]) else None
    )
    same = stored_ship == (line["ship_date"] if pd.notna(line["ship_date"]) else None)
    return [
        (
            f"\n-- stored schedule: ship date {_date(stored_ship)} "
            f"({'same as' if same else 'DIFFERENT from'} this replay)"
        )
    ]


def _date(value: object) -> str:
    return "-" if value is None or pd.isna(value) else str(pd.Timestamp(value).date())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("order_id")
    parser.add_argument("line_no", type=int, nargs="?", default=1)
    parser.add_argument("--source", help="the order's channel when the id is not unique")
    add_source_arguments(parser)
    args = parser.parse_args(argv)
    source = load_source(args)
    result = build_schedule(source.inputs, source.settings)
    try:
        text = explain(source, result, args.order_id, args.line_no, args.source)
    except LookupError as exc:
        print(exc.args[0])
        return 1
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
