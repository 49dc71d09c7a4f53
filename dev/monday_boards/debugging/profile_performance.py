"""Profile a sync at scale: a wide board read, transformed and loaded under the profiler, with
a flame graph (py-spy, else cProfile) in debugging/logs/.

    python dev/monday_boards/debugging/profile_performance.py [--items 50000] [--columns 150]
        [--backend postgresql|sqlite] [--http] [--no-flamegraph]

The sandbox serves a generated wide board (every column type, awkward titles, empty cells).
By default the client reads it in-process (the same response bytes, no sockets) so the profile
shows the workflow, not the network; --http reads it over HTTP from a sandbox process, as a
real run does. The target is a throwaway PostgreSQL schema when DATABASE_URL names a server,
else a SQLite file; it is dropped afterwards. Stage timings (extract, transform, load) are
appended to debugging/logs/performance.log and printed as a table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import LOGS, ROOT, SANDBOX_TOKEN, module

from dev.shared import test_framework as tf
from dev.shared.monday_sandbox import MondaySandbox, make_wide_board
from dev.shared.performance_profiler import PerformanceProfiler, record_flamegraph
from shared.api_client import MondayClient
from shared.db_helper import Database

WIDE = "5000000001"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--columns", type=int, default=150)
    parser.add_argument(
        "--backend", choices=("postgresql", "sqlite"),
        default="postgresql" if tf.server_url("postgresql") else "sqlite",
    )  # fmt: skip
    parser.add_argument("--http", action="store_true", help="read over HTTP from a sandbox process")
    parser.add_argument("--no-flamegraph", action="store_true", help="time the stages only")
    return parser.parse_args(argv)


def client_for(
    args: argparse.Namespace, prof: PerformanceProfiler
) -> tuple[MondayClient, subprocess.Popen[str] | None]:
    """A MondayClient on the wide board, and what to stop afterwards."""
    if args.http:
        cmd = [sys.executable, "-m", "dev.shared.monday_sandbox", "--port", "0",
               "--wide-items", str(args.items), "--wide-columns", str(args.columns),
               "--complexity-budget", "1000000000"]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        url = proc.stdout.readline().strip() if proc.stdout else ""
        return MondayClient(url, SANDBOX_TOKEN), proc
    helpers = module("testing.helpers")
    with prof.stage("build_board", rows=args.items):
        board = make_wide_board(WIDE, args.items, args.columns)
    sandbox = MondaySandbox([board], complexity_budget=10**12)
    return helpers.in_process_client(sandbox), None


def sync(args: argparse.Namespace, db: Database, prof: PerformanceProfiler) -> None:
    """One board synced the workflow's way (sync.sync_board): pages read into Arrow columns
    and loaded part by part; the stage times are the sync's own timers."""
    sync_mod, settings = module("sync"), module("settings")
    client, proc = client_for(args, prof)
    config = settings.BoardConfig(WIDE, "wide_board")
    try:
        with prof.stage("sync", rows=args.items):
            meta = sync_mod.read_boards(client, [WIDE])[WIDE]
            outcome = sync_mod.sync_board(
                db, client, settings.SyncSettings((config,)), config, meta, "profile"
            )
    finally:
        client.close()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    if outcome.status != "success":
        raise SystemExit(f"the sync failed: {outcome.error}")
    STAGES.update(
        extract=outcome.extract.seconds if outcome.extract else 0.0,
        transform=sum(t.transform_seconds for t in outcome.tables),
        load=sum(t.load_seconds for t in outcome.tables),
    )


STAGES: dict[str, float] = {}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prof = PerformanceProfiler("monday_boards")
    print(
        f"{args.items:,} items x {args.columns} columns -> {args.backend}"
        f"{' (over HTTP)' if args.http else ' (in-process reads)'}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="mb-profile-") as tmp,
        tf.isolated_database(args.backend, Path(tmp)) as db,
    ):
        if args.no_flamegraph:
            sync(args, db, prof)
        else:
            graph = record_flamegraph(lambda: sync(args, db, prof), LOGS, "monday_boards_profile")
            print(
                f"flame graph ({graph.kind}): {graph.path}"
                + (f" -- {graph.note}" if graph.note else "")
            )
    prof.write()
    print(prof.summary())
    for stage, seconds in STAGES.items():
        print(
            f"{stage:>10}: {seconds:7.2f} s  {args.items / seconds if seconds else 0:10,.0f} items/s"
        )
    moved = STAGES.get("transform", 0) + STAGES.get("load", 0)
    if moved:
        print(f"transform + load: {args.items / moved:,.0f} items/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
