"""Performance of monday_boards on a wide board (150 columns of every type, BENCH_SCALE x 50,000
items), into PostgreSQL when DATABASE_URL names one (else SQLite):

- end_to_end_items_per_second: the whole run (workflow.module.run) against the sandbox served
  by its own process over HTTP, as `nox -s run` does: extract, transform, load, metadata;
- items_per_second: the run's transform + load time (its own stage timers);
- peak_memory_mb: the run's peak resident memory.

Writes reports/monday_boards/performance.json (read by the gates) and the profiler log;
budgets (workflow.yaml) are enforced at full scale only.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the repo root (holding pyproject.toml) first
    sys.path.insert(
        0, str(next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()))
    )

import pytest

from dev.shared import test_framework as tf
from dev.shared.perf_report import record_performance
from dev.shared.performance_profiler import PerformanceProfiler
from dev.shared.workflow_spec import load_spec
from shared.db_helper import Database

pytestmark = pytest.mark.performance
WIDE_BOARD = "5000000001"
COLUMNS = 150
ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())


@pytest.fixture
def sandbox_url(bench_scale: float) -> Iterator[tuple[str, int]]:
    """A sandbox process serving a wide board of scale_rows x bench_scale items."""
    items = max(500, int(load_spec("monday_boards").performance.scale_rows * bench_scale))
    cmd = [
        sys.executable, "-m", "dev.shared.monday_sandbox", "--port", "0",
        "--wide-items", str(items), "--wide-columns", str(COLUMNS),
        "--complexity-budget", "1000000000",  # the budget waits are tested elsewhere
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http"), f"the sandbox did not start: {url!r}"
        yield url, items
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Database]:
    backend = "postgresql" if tf.server_url("postgresql") else "sqlite"
    with tf.isolated_database(backend, tmp_path) as db:
        yield db


@pytest.mark.requirement("REQ-MB-015")
def test_wide_board_throughput_and_memory(workflow, bench_scale, sandbox_url, target, monkeypatch):
    url, items = sandbox_url
    monkeypatch.setenv("MONDAY_API_TOKEN", "sandbox-token")
    prof = PerformanceProfiler("monday_boards")
    with prof.stage("end_to_end", rows=items):
        summary = workflow.module.run(
            database_url=target.url, env="testing", boards=[WIDE_BOARD], api_url=url
        )
    assert summary.status == "success", summary.error
    assert summary.counts["items"] == items
    assert len(target.read_table(f"monday_board_{WIDE_BOARD}", ["item_id"])) == items
    metrics = summary.metrics
    end_to_end = prof.results[-1]
    measured = {
        "items_per_second": items / (metrics["transform_seconds"] + metrics["load_seconds"]),
        "end_to_end_items_per_second": items / end_to_end.seconds,
        "peak_memory_mb": end_to_end.peak_rss_mb,
        "extract_items_per_second": items / metrics["extract_seconds"],
        "transform_items_per_second": items / metrics["transform_seconds"],
        "load_items_per_second": items / metrics["load_seconds"],
    }
    prof.write()
    checks = record_performance("monday_boards", scale=bench_scale, measured=measured, rows=items)
    print(f"\n{items} items x {COLUMNS} columns into {target.dialect} (scale {bench_scale}):")
    for name, value in measured.items():
        print(f"  {name:28} {value:12,.1f}")
    for check in checks:
        print("  " + check.describe())
    assert all(check.ok for check in checks), [c.describe() for c in checks if not c.ok]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-s"]))
