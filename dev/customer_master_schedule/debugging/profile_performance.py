"""Profile a run at scale: stage timings and peak memory, plus a flame graph of the scheduler.

    python dev/customer_master_schedule/debugging/profile_performance.py [--rows 100000]
        [--customers 2000] [--production-lines 20] [--no-flamegraph]

Generates seeded inputs, loads them into a temporary SQLite database and runs the workflow's
steps one by one under the PerformanceProfiler (read inputs, schedule, history, write). Stage
results are appended to debugging/logs/performance.log; the flame graph of the scheduling core
(py-spy, or cProfile when py-spy cannot attach) goes to debugging/logs/.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import argparse
import tempfile

from dev.shared.performance_profiler import PerformanceProfiler, record_flamegraph
from shared.db_helper import Database

from ..history import schedule_changes
from ..scheduler import build_schedule
from ..settings import load_settings
from ..storage import read_inputs, read_previous_schedule, write_outputs
from ..testing.synthetic_data import generate_inputs
from ._common import LOGS, SAMPLE_RUN_DATE

WORKFLOW = "customer_master_schedule"


def load_generated(db: Database, rows: int, customers: int, lines: int, settings: object) -> None:
    inputs = generate_inputs(rows, customers=customers, production_lines=lines)
    tables = settings.tables  # type: ignore[attr-defined]
    board = settings.board  # type: ignore[attr-defined]
    for frame, name in (
        (inputs.orders, tables.orders),
        (inputs.customers, tables.customers),
        (inputs.products, tables.products),
        (inputs.capacity, tables.capacity),
        (inputs.board, board.table),
    ):
        db.replace_table_atomically(frame, name)


def profile(db: Database, rows: int, flamegraph: bool) -> PerformanceProfiler:
    settings = load_settings(None, SAMPLE_RUN_DATE)
    profiler = PerformanceProfiler(WORKFLOW)
    with profiler.stage("run", rows=rows):
        with profiler.stage("read_inputs", rows=rows):
            inputs = read_inputs(db, settings)
        with profiler.stage("build_schedule", rows=rows):
            result = build_schedule(inputs, settings)
        with profiler.stage("history", rows=rows):
            changes = schedule_changes(
                read_previous_schedule(db, settings),
                result.schedule,
                run_id=profiler.run_id,
                run_date=settings.run_date,
            )
        with profiler.stage("write_outputs", rows=rows):
            write_outputs(db, settings, result, changes)
    profiler.write()
    if flamegraph:
        graph = record_flamegraph(
            lambda: build_schedule(inputs, settings), LOGS, f"flame_build_schedule_{rows}"
        )
        print(f"flame graph ({graph.kind}): {graph.path}\n  {graph.note}")
    return profiler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="open order lines")
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--production-lines", type=int, default=20)
    parser.add_argument("--no-flamegraph", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cms-profile-") as folder:
        db = Database(f"sqlite:///{Path(folder) / 'profile.sqlite'}")
        try:
            load_generated(
                db,
                args.rows,
                args.customers,
                args.production_lines,
                load_settings(None, SAMPLE_RUN_DATE),
            )
            profiler = profile(db, args.rows, not args.no_flamegraph)
        finally:
            db.dispose()
    print(profiler.summary())
    print(f"log: {profiler.log_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
