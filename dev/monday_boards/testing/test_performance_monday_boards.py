"""Performance of monday_boards on a wide board (150 columns of every type, BENCH_SCALE x 50,000
items), into PostgreSQL when DATABASE_URL names one (else SQLite):

- end_to_end_items_per_second: the whole run (workflow.module.run) against the sandbox served
  by its own process over HTTP, as `nox -s run` does: extract, transform, load, metadata;
- peak_memory_mb: the run's peak resident memory;
- items_per_second: transform + load alone: the board's pages read beforehand (decoded, as
  the read hands them over), then timed from the first page given to the sync's collector to
  the committed table, through the sync's own functions (collector_for, load_table);
- the run's own stage timers (extract/transform/load items/s) are recorded beside them: in the
  run, pages are decoded in worker threads while the transform runs, and the database loads
  part n while part n+1 is prepared, so those stages overlap.

Writes reports/monday_boards/performance.json (read by the gates) and the profiler log;
budgets (workflow.yaml) are enforced at full scale only.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: the repo root (holding pyproject.toml) first
    sys.path.insert(
        0, str(next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()))
    )

import pytest

from dev.shared import test_framework as tf
from dev.shared.perf_report import record_performance
from dev.shared.performance_profiler import PerformanceProfiler
from dev.shared.workflow_spec import load_spec
from shared.api_client import MondayClient
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
    board, pages = read_pages(workflow, url)  # untimed: the read is the run's extract
    with prof.stage("transform_load", rows=items):
        moved = transform_and_load(workflow, board, pages, target)
    assert moved == items
    measured = {
        "items_per_second": items / prof.results[-1].seconds,
        "end_to_end_items_per_second": items / end_to_end.seconds,
        "peak_memory_mb": end_to_end.peak_rss_mb,
        "run_extract_items_per_second": items / metrics["extract_seconds"],
        "run_transform_items_per_second": items / metrics["transform_seconds"],
        "run_load_items_per_second": items / metrics["load_seconds"],
    }
    prof.write()
    checks = record_performance("monday_boards", scale=bench_scale, measured=measured, rows=items)
    print(f"\n{items} items x {COLUMNS} columns into {target.dialect} (scale {bench_scale}):")
    for name, value in measured.items():
        print(f"  {name:28} {value:12,.1f}")
    for check in checks:
        print("  " + check.describe())
    assert all(check.ok for check in checks), [c.describe() for c in checks if not c.ok]


class _Pages:
    """A sink that keeps the decoded pages (the read without the transform)."""

    def __init__(self, decode: Any) -> None:
        self.decode, self.pages = decode, []

    def add(self, items: Any) -> None:
        self.pages.append(items)

    def reset(self) -> None:
        self.pages.clear()


def _modules(workflow: Any) -> tuple[Any, Any, Any]:
    package = workflow.module.__package__ or ""
    return tuple(
        importlib.import_module(f"{package}.{name}") for name in ("sync", "settings", "columnar")
    )


def read_pages(workflow: Any, url: str) -> tuple[dict[str, Any], list[Any]]:
    """The wide board's metadata and its pages as the read hands them to the sync (decoded)."""
    sync, _settings, columnar = _modules(workflow)
    with MondayClient(url, "sandbox-token") as client:
        board = sync.read_boards(client, [WIDE_BOARD])[WIDE_BOARD]
        pages = _Pages(columnar.decode_page)
        client.board_items(WIDE_BOARD, raw_values=False, sink=pages)
    return board, pages.pages


def transform_and_load(
    workflow: Any, board: dict[str, Any], pages: list[Any], target: Database
) -> int:
    """The sync's transform + load of read pages: plan, collect page by page, load, commit."""
    sync, settings_mod, _columnar = _modules(workflow)
    config = settings_mod.BoardConfig(WIDE_BOARD, f"monday_board_{WIDE_BOARD}")
    table = sync.prepare_table(target, config, board)
    collector = sync.collector_for(
        target, table, settings_mod.SyncSettings((config,)), subitems=False
    )
    with collector.writer:
        for page in pages:
            collector.add(page)
        return int(sync.load_table(target, table, collector, "perf").rows)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-s"]))
