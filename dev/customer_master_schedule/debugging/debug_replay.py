"""Replay a run from its stored inputs: what each rule rejected and why, without writing.

    python dev/customer_master_schedule/debugging/debug_replay.py --database-url URL \\
        --run-date 2026-12-01 [--save-inputs DIR]
    python .../debug_replay.py --inputs-dir DIR --run-date 2026-12-01   # a saved snapshot
    python .../debug_replay.py                                          # the samples

Reads the input tables (or a snapshot), schedules them in memory with stage timings, lists the
unscheduled lines per reason with examples, checks business rules CMS-R1..R6 on the replay and,
for a database, compares the replay with the schedule stored there. `--save-inputs DIR` writes
the inputs as CSV files so a failed production run can be replayed anywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import argparse
import time

import pandas as pd

from ..scheduler import REASONS, ScheduleResult, build_schedule
from ..validation._context import RuleContext
from ..validation.validate_business_rules import check_business_rules
from ._common import Source, add_source_arguments, load_source, save_inputs, show
from .debug_compare import compare, report


def rejected(result: ScheduleResult, examples: int = 3) -> list[str]:
    """Unscheduled lines per reason, with what the reason means and a few examples."""
    schedule = result.schedule
    lines = [
        (
            f"lines {len(schedule):,}; scheduled {int(schedule['reason'].isna().sum()):,}; "
            f"late {int(schedule['late'].sum()):,}"
        )
    ]
    for reason, group in schedule[schedule["reason"].notna()].groupby("reason"):
        lines.append(f"\n{reason}: {len(group)} line(s) - {REASONS[str(reason)]}")
        lines.append(
            show(
                group[
                    [
                        "order_id",
                        "line_no",
                        "customer_id",
                        "sku",
                        "quantity",
                        "production_line",
                        "earliest_start",
                        "allocated_units",
                    ]
                ],
                examples,
            )
        )
    return lines


def replay(source: Source) -> tuple[ScheduleResult, float]:
    started = time.perf_counter()
    result = build_schedule(source.inputs, source.settings)
    return result, time.perf_counter() - started


def rule_lines(source: Source, result: ScheduleResult) -> tuple[list[str], bool]:
    context = RuleContext(source.inputs, result.schedule, result.utilisation, source.settings)
    results = check_business_rules(context)
    text = ["\nbusiness rules on the replay:"] + [r.line() for r in results]
    for broken in (r for r in results if not r.ok):
        text.append(show(broken.violations, 10))
    return text, all(r.ok for r in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_source_arguments(parser)
    parser.add_argument("--save-inputs", type=Path, help="write the inputs here as CSV files")
    parser.add_argument("--examples", type=int, default=3, help="examples per reason")
    args = parser.parse_args(argv)
    source = load_source(args)
    print(f"replaying {source.label}, run date {source.settings.run_date}")
    if args.save_inputs:
        written = save_inputs(source.inputs, args.save_inputs)
        print(f"inputs saved: {', '.join(p.name for p in written)} in {args.save_inputs}")
    result, seconds = replay(source)
    print(f"scheduled in {seconds:.2f} s")
    print("\n".join(rejected(result, args.examples)))
    text, rules_ok = rule_lines(source, result)
    print("\n".join(text))
    same = True
    if source.stored_schedule is not None:
        comparison = compare(source.stored_schedule, result.schedule)
        print("\n" + report(comparison, "stored schedule vs this replay"))
        same = comparison.same
    return 0 if rules_ok and same else 1


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    raise SystemExit(main())
