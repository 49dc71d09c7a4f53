"""Performance of order_staging: generated order files (CSV, JSON, X12) staged end to end.

Scale: workflow.yaml performance.scale_rows (1,000,000 lines) x BENCH_SCALE. The target is
PostgreSQL when DATABASE_URL names one (the production-like path), else SQLite; the backend is
recorded. Budgets (rows_per_second, peak_memory_mb) are enforced at full scale only.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the repo root (holding pyproject.toml) first
    sys.path.insert(
        0, str(next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()))
    )
    __package__ = "dev.order_staging.testing"

import pytest

from dev.shared import test_framework as tf
from dev.shared.noxkit import REPORTS
from dev.shared.perf_report import record_performance
from dev.shared.performance_profiler import PerformanceProfiler

from . import order_generator as gen
from .helpers import Package

pytestmark = pytest.mark.performance
MIN_ROWS = 5_000


def _backend() -> str:
    return "postgresql" if tf.server_url("postgresql") else "sqlite"


def _load_reference(pkg: Package, db, frames) -> None:
    for logical, frame in frames.items():
        schema = pkg.reference.SCHEMAS[logical]
        db.upsert_frame(frame, schema.name, list(schema.primary_key), schema=schema)


@pytest.mark.requirement("REQ-OS-012")
def test_staging_throughput_and_memory_at_scale(workflow, bench_scale, tmp_path):
    spec = workflow.spec["performance"]
    rows = max(int(spec["scale_rows"] * bench_scale), MIN_ROWS)
    settings = workflow.sample("mock_configurations.yaml")["generated_inbox"]
    reference = gen.reference_frames(settings["customers"], settings["skus"], settings["seed"])
    lines = gen.generate_lines(rows, reference, settings["seed"], settings["defect_rate"])
    gen.write_inbox(
        tmp_path / "inbox", lines, settings["share"], settings["files"], package=workflow.package
    )
    del lines
    gc.collect()
    pkg = Package(workflow.package)
    backend = _backend()
    profiler = PerformanceProfiler("order_staging")
    with tf.isolated_database(backend, tmp_path) as db:
        _load_reference(pkg, db, reference)
        with profiler.stage("order_staging.run", rows=rows):
            summary = workflow.module.run(
                database_url=db.url,
                env="testing",
                inbox=tmp_path / "inbox",
                quarantine=tmp_path / "quarantine",
            )
        again = workflow.module.run(
            database_url=db.url,
            env="testing",
            inbox=tmp_path / "inbox",
            quarantine=tmp_path / "quarantine",
        )
        staged_rows = len(db.read_table("order_staging_validated", columns=["line_no"]))
    profiler.write()
    assert summary.status == "success", summary.error
    counts = summary.counts
    assert counts["lines_in"] == rows == counts["lines_staged"] + counts["lines_rejected"]
    assert staged_rows == counts["lines_staged"]
    # three defects at 1% each: quantity 0 and unknown SKU (a line), wrong total (an order)
    assert 0.01 < counts["lines_rejected"] / rows < 0.15
    assert again.counts["files_skipped"] == counts["files_processed"]
    measured = profiler.metrics()
    checks = record_performance(
        "order_staging",
        scale=bench_scale,
        rows=rows,
        measured={
            "rows_per_second": measured["rows_per_second"],
            "peak_memory_mb": measured["peak_memory_mb"],
        },
    )
    detail = {
        "backend": backend,
        "rows": rows,
        "scale": bench_scale,
        "counts": counts,
        "stage_seconds": {k: round(v, 3) for k, v in summary.metrics.items()},
        "measured": measured,
        "rerun_seconds": round(again.duration_seconds, 3),
    }
    (REPORTS / "order_staging" / "performance_detail.json").write_text(
        json.dumps(detail, indent=2), encoding="utf-8"
    )
    print(profiler.summary())
    print(json.dumps(detail, indent=2))
    for check in checks:
        print(check.describe())
    failed = [c.describe() for c in checks if c.enforced and not c.passed]
    assert not failed, failed


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-s"]))
