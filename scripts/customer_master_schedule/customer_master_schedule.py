"""Customer master schedule: open order lines + delivery windows + capacity -> a feasible schedule.

    python dev/customer_master_schedule/customer_master_schedule.py [--env ENV]
        [--database-url URL] [--run-date YYYY-MM-DD] [--seed-samples]

Reads order_staging_validated, customers, products, capacity and (when synced) the Monday
delivery-schedule board; writes customer_master_schedule, customer_master_schedule_utilisation
and appends moved ship dates to schedule_history. Same inputs and run date -> same tables.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[1]))
    __package__ = f"{_here.parent.name}.{_here.name}"

import argparse
import datetime as dt
import time

import pandas as pd

from shared.config import ROOT, ConfigError, load_config
from shared.db_helper import Database, DatabaseError
from shared.log_helper import (
    RunSummary,
    configure_logging,
    format_exception,
    get_logger,
    kestra_enabled,
)

from .history import schedule_changes
from .inputs import ScheduleInputs
from .scheduler import REASONS, ScheduleResult, build_schedule
from .settings import ScheduleInputError, ScheduleSettings, load_settings
from .storage import read_inputs, read_previous_schedule, seed_samples, write_outputs

WORKFLOW = "customer_master_schedule"
HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "testing" / "test_data_samples"
log = get_logger(WORKFLOW)

__all__ = [
    "REASONS",
    "ScheduleInputs",
    "ScheduleResult",
    "ScheduleSettings",
    "build_schedule",
    "load_settings",
    "main",
    "run",
]


def run(
    *,
    database_url: str | None = None,
    env: str | None = None,
    run_date: dt.date | None = None,
    seed: bool = False,
    run_id: str | None = None,
) -> RunSummary:
    """Schedule every open line and store the outputs; the summary says what happened.

    run_id defaults to KESTRA_EXECUTION_ID when set (RunSummary reads it), so a retried
    execution records each ship-date move once; otherwise a new id."""
    summary = RunSummary(WORKFLOW, run_id)
    try:
        cfg = load_config(HERE, env)
        settings = ScheduleSettings.from_config(cfg, run_date or dt.date.today())
        db = Database(database_url) if database_url else Database.from_config(cfg)
    except (ConfigError, DatabaseError) as exc:
        log.error("run not started: %s", exc)  # noqa: TRY400 (a setup error needs no traceback)
        return summary.finish("failed", error=str(exc))
    try:
        _run(db, settings, summary, seed)
    except (ScheduleInputError, DatabaseError) as exc:
        log.error("run failed: %s", exc)  # noqa: TRY400 (an input error needs no traceback)
        summary.finish("failed", error=str(exc))
    else:
        summary.finish("success")
    finally:
        db.dispose()
    return summary


def _run(db: Database, settings: ScheduleSettings, summary: RunSummary, seed: bool) -> None:
    if seed:
        summary.count("tables_seeded", len(seed_samples(db, settings, SAMPLES)))
    inputs = read_inputs(db, settings)
    started = time.perf_counter()
    result = build_schedule(inputs, settings)
    summary.metric("schedule_seconds", round(time.perf_counter() - started, 3))
    changes = schedule_changes(
        read_previous_schedule(db, settings),
        result.schedule,
        run_id=summary.run_id,
        run_date=settings.run_date,
    )
    write_outputs(db, settings, result, changes)
    summarise(summary, result, len(changes))


def summarise(summary: RunSummary, result: ScheduleResult, moved: int) -> None:
    """Counts (lines, scheduled, late, unscheduled by reason, moved) and utilisation metrics."""
    schedule, util = result.schedule, result.utilisation
    reasons = schedule["reason"].value_counts()
    summary.count("lines", len(schedule))
    summary.count("scheduled", int(schedule["reason"].isna().sum()))
    summary.count("late_lines", int(schedule["late"].sum()))
    summary.count("unscheduled", int(reasons.sum()))
    for reason, n in reasons.items():
        summary.count(f"unscheduled_{reason}", int(n))
    summary.count("ship_dates_moved", moved)
    summary.metric("utilisation_pct", _pct(util))
    soon = util["production_date"] < util["production_date"].min() + dt.timedelta(days=28)
    summary.metric("utilisation_next_28_days_pct", _pct(util[soon]))


def _pct(util: pd.DataFrame) -> float:
    capacity = float(util["capacity_units"].sum())
    return round(100 * float(util["allocated_units"].sum()) / capacity, 2) if capacity else 0.0


def main(argv: list[str] | None = None) -> int:
    """CLI: prints the run summary; exit 1 only when the run failed."""
    parser = argparse.ArgumentParser(prog=WORKFLOW, description=__doc__.splitlines()[0])
    parser.add_argument("--env", choices=("development", "testing", "production"))
    parser.add_argument("--database-url", help="overrides DATABASE_URL / config database.url")
    parser.add_argument(
        "--run-date",
        type=dt.date.fromisoformat,
        default=None,
        help="schedule as of this date (YYYY-MM-DD); default today",
    )
    parser.add_argument(
        "--seed-samples",
        action="store_true",
        help="load testing/test_data_samples/*.csv into missing input tables",
    )
    parser.add_argument(
        "--run-id",
        help="run id recorded in schedule_history (default: KESTRA_EXECUTION_ID, else new)",
    )
    parser.add_argument(
        "--summary-dir",
        type=Path,
        default=None,
        help="where run_summary.json goes (default: reports/"
        "customer_master_schedule/, the working directory under Kestra)",
    )
    args = parser.parse_args(argv)
    try:
        configure_logging(load_config(HERE, args.env))
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    try:
        summary = run(
            database_url=args.database_url,
            env=args.env,
            run_date=args.run_date,
            seed=args.seed_samples,
            run_id=args.run_id,
        )
    except Exception as exc:  # a bug, not bad input: still report a failed run, then exit 1
        log.exception("run crashed")
        summary = RunSummary(WORKFLOW, args.run_id).finish("failed", error=format_exception(exc))
    default_dir = None if kestra_enabled() else ROOT / "reports" / WORKFLOW
    summary.emit(args.summary_dir or default_dir)
    sys.stdout.write(summary.render() + "\n")
    return 0 if summary.status == "success" else 1


if __name__ == "__main__":
    raise SystemExit(main())
