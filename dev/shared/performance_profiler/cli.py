"""The command line: ``show <performance.log> [--run RUN_ID]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .logfile import format_stages, last_run, read_log


def main(argv: list[str] | None = None) -> int:
    """``show <performance.log> [--run RUN_ID]``: print a run's stages as a table."""
    parser = argparse.ArgumentParser(prog="python -m dev.shared.performance_profiler")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print the last run's stages (or --run RUN_ID)")
    show.add_argument("log", type=Path)
    show.add_argument("--run", default=None, help="run id to show instead of the last run")
    args = parser.parse_args(argv)
    if not args.log.is_file():
        sys.stderr.write(f"{args.log}: no such performance log (run a profiled stage first)\n")
        return 2
    records = read_log(args.log)
    chosen = [r for r in records if r.get("run_id") == args.run] if args.run else last_run(records)
    if not chosen:
        sys.stderr.write(
            f"{args.log}: no stage records{f' for run {args.run}' if args.run else ''}\n"
        )
        return 1
    first = chosen[0]
    sys.stdout.write(f"{first.get('workflow')} run {first.get('run_id')}\n")
    sys.stdout.write(format_stages(chosen) + "\n")
    return 0
