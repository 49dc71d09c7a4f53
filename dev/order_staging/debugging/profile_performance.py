"""Profile a staging run at scale: generated inbox, timed stages, a flame graph in logs/.

    python dev/order_staging/debugging/profile_performance.py [--lines 1000000]
        [--backend postgresql|sqlite] [--no-flamegraph] [--seed 20260302]

Generates CSV/JSON/X12 files (testing/order_generator.py) into debugging/logs/profile_inbox/,
loads generated reference tables into a throwaway database (a PostgreSQL schema when
DATABASE_URL names a server, else a SQLite file; dropped afterwards), then runs the pipeline
step by step under the PerformanceProfiler (read, validate, build, load) while py-spy (or
cProfile when py-spy cannot attach) records a flame graph: debugging/logs/order_staging_profile.*
Stage timings are appended to debugging/logs/performance.log.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import LOGS, SAMPLES

from dev.order_staging import engine, outputs, pipeline, reference, store
from dev.order_staging.batch import assemble
from dev.order_staging.testing import order_generator as gen
from dev.shared import test_framework as tf
from dev.shared.performance_profiler import PerformanceProfiler, record_flamegraph
from shared.config import load_config
from shared.db_helper import Database

FX = {"EUR": 1.0, "USD": 0.93, "GBP": 1.16}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to generate")
    parser.add_argument(
        "--backend",
        choices=("postgresql", "sqlite"),
        default="postgresql" if tf.server_url("postgresql") else "sqlite",
    )
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--no-flamegraph", action="store_true", help="time the stages only")
    return parser.parse_args(argv)


def generate(lines: int, seed: int, folder: Path) -> dict[str, object]:
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    ref = gen.reference_frames(seed=seed)
    gen.write_inbox(folder, gen.generate_lines(lines, ref, seed=seed))
    print(f"generated {lines:,} lines into {folder} in {time.perf_counter() - started:.1f} s")
    return ref


def staged_run(db: Database, inbox: Path, lines: int, prof: PerformanceProfiler) -> None:
    """The pipeline's steps, each a profiler stage, inside one top-level stage (serially: the
    workflow itself loads the raw payloads while the rules run, see pipeline.stage_inbox)."""
    cfg = load_config(SAMPLES.parent.parent, "testing")
    opts = pipeline.StagingOptions(
        inbox=inbox,
        quarantine=LOGS / "profile_quarantine",
        settings=engine.Settings(fx_to_base=cfg.get("fx_to_base", FX)),
    )
    with prof.stage("run", rows=lines):
        store.ensure_tables(db)
        with prof.stage("read", rows=lines):
            files = pipeline.read_inbox(opts, store.processed_checksums(db), "profile")
            batch = assemble(files.parsed)
        with prof.stage("validate", rows=lines):
            outcome = pipeline.evaluate_batch(db, opts, batch)
        with prof.stage("build", rows=lines):
            frames = pipeline.build_frames(outcome, files, "profile")
            frames[store.RAW.name] = outputs.raw_frame(batch, "profile")
        with prof.stage("load", rows=outcome.staged):
            store.write_outputs(db, frames)
    print(f"staged {outcome.staged:,} of {outcome.rows_in:,} lines ({outcome.rejected:,} rejected)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    inbox = LOGS / "profile_inbox"
    ref = generate(args.lines, args.seed, inbox)
    prof = PerformanceProfiler("order_staging")
    with (
        tempfile.TemporaryDirectory() as scratch,
        tf.isolated_database(args.backend, Path(scratch)) as db,
    ):
        for logical, frame in ref.items():
            schema = reference.SCHEMAS[logical]
            db.upsert_frame(frame, schema.name, list(schema.primary_key), schema=schema)
        if args.no_flamegraph:
            staged_run(db, inbox, args.lines, prof)
        else:
            flame = record_flamegraph(
                lambda: staged_run(db, inbox, args.lines, prof), LOGS, "order_staging_profile"
            )
            print(f"flame graph ({flame.kind}): {flame.path}  {flame.note}")
    print(f"stages appended to {prof.write()} (backend {args.backend})")
    print(prof.summary())
    metrics = prof.metrics()
    print(
        f"end to end: {metrics['rows_per_second']:,.0f} lines/s, peak RSS "
        f"{metrics['peak_memory_mb']:,.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
