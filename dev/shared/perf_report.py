"""The performance stage's result file, reports/<wf>/performance.json, which the gates read.

A workflow's performance test measures, then calls::

    checks = record_performance("order_staging", scale=bench_scale,
                                measured={"rows_per_second": 61_000.0, "peak_memory_mb": 812.0})
    assert all(check.passed for check in checks if check.enforced)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path

from dev.shared.noxkit import REPORTS
from dev.shared.performance_profiler import BudgetCheck, check_budgets
from dev.shared.workflow_spec import load_spec


def record_performance(
    workflow: str,
    *,
    scale: float,
    measured: Mapping[str, float],
    rows: int | None = None,
    reports: Path = REPORTS,
) -> list[BudgetCheck]:
    """Check measured metrics against workflow.yaml budgets and write performance.json."""
    spec = load_spec(workflow)
    checks = check_budgets(spec.performance.budgets, measured, scale=scale)
    out = reports / workflow
    out.mkdir(parents=True, exist_ok=True)
    (out / "performance.json").write_text(
        json.dumps(
            {
                "workflow": workflow,
                "scale": scale,
                "rows": rows,
                "measured": {k: float(v) for k, v in measured.items()},
                "checks": [
                    {
                        "metric": c.metric,
                        "value": c.value,
                        "min": c.min,
                        "max": c.max,
                        "passed": c.passed,
                        "enforced": c.enforced,
                    }
                    for c in checks
                ],
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "finished_at": dt.datetime.now(dt.UTC).isoformat(),
            },
            indent=2,
        )
    )
    return checks
