"""Performance: a whole run (read inputs, schedule, write outputs) on SQLite at scale.

Full scale (BENCH_SCALE=1): 100,000 open lines, 20 production lines, 2,000 customers, a
365-day horizon; budgets from workflow.yaml (enforced at full scale only). The output is then
proven against rules CMS-R1..R6, outside the timed stage.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"


import pytest

from dev.shared.perf_report import record_performance
from dev.shared.performance_profiler import PerformanceProfiler
from dev.shared.workflow_spec import WorkflowSpec
from shared.db_helper import Database

from .builders import RUN_DATE
from .synthetic_data import generate_inputs

pytestmark = pytest.mark.performance
MIN_ROWS = 2_000


def _load(db: Database, inputs, settings) -> None:
    """Put generated inputs where the workflow reads them (not part of the timed run)."""
    tables = settings.tables
    for frame, name in (
        (inputs.orders, tables.orders),
        (inputs.customers, tables.customers),
        (inputs.products, tables.products),
        (inputs.capacity, tables.capacity),
        (inputs.board, settings.board.table),
    ):
        db.replace_table_atomically(frame, name)


@pytest.mark.requirement("REQ-CMS-013")
def test_full_run_within_budget(cms, rules, workflow, bench_scale, tmp_path):
    spec = WorkflowSpec.model_validate(workflow.spec)
    rows = max(int(spec.performance.scale_rows * bench_scale), MIN_ROWS)
    customers = max(int(2_000 * min(bench_scale, 1)), 50)
    settings = cms.settings.load_settings(None, RUN_DATE)
    inputs = generate_inputs(rows, customers=customers, production_lines=20)
    db = Database(f"sqlite:///{tmp_path / 'perf.sqlite'}")
    _load(db, inputs, settings)

    profiler = PerformanceProfiler(workflow.name)
    with profiler.stage("run", rows=rows):
        summary = cms.main.run(database_url=db.url, run_date=RUN_DATE)
    profiler.write()
    assert summary.status == "success", summary.error
    assert summary.counts["lines"] == rows

    measured = profiler.metrics() | {"schedule_seconds": summary.metrics["schedule_seconds"]}
    # reports/customer_master_schedule/performance.json, which the performance gate reads
    checks = record_performance(workflow.name, scale=bench_scale, measured=measured, rows=rows)
    print("\n" + profiler.summary() + "\n" + "\n".join(check.describe() for check in checks))

    rules.assert_ok(rules.module.context_from_database(db, settings))
    db.dispose()
    failed = [check.describe() for check in checks if not check.ok]
    assert not failed, "budgets missed:\n" + "\n".join(failed)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-s"]))
