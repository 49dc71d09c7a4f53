"""Budgets of workflow.yaml and stored baselines, checked against measured metrics."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .logfile import _cell, host_facts

if TYPE_CHECKING:
    from dev.shared.workflow_spec import Budget

logger = logging.getLogger(__package__)  # the package logger: records keep their old name

HIGHER_IS_BETTER_SUFFIXES = ("per_second", "_per_s", "throughput")


@dataclass(frozen=True)
class BudgetCheck:
    """One workflow.yaml budget against its measurement; only enforced at full scale."""

    metric: str
    value: float | None
    min: float | None
    max: float | None
    passed: bool
    enforced: bool

    @property
    def ok(self) -> bool:
        """Passed, or only reported (reduced scale)."""
        return self.passed or not self.enforced

    def describe(self) -> str:
        verdict = ("PASS" if self.passed else "FAIL") if self.enforced else "info"
        bounds = f"[{_cell(self.min, 'g')}, {_cell(self.max, 'g')}]"
        shown = "not measured" if self.value is None else f"{self.value:g}"
        return f"{verdict:4}  {self.metric:24} {shown:>14} budget {bounds}"


def check_budgets(
    budgets: Mapping[str, Budget], measured: Mapping[str, float], *, scale: float
) -> list[BudgetCheck]:
    """Each budget against its measured value; a budgeted metric not measured fails.

    ``enforced`` is True only at scale >= 1.0: at reduced scale fixed costs dominate, so the
    comparison is reported but must not fail a run.
    """
    enforced = scale >= 1.0
    checks = []
    for metric, budget in budgets.items():
        value = measured.get(metric)
        passed = value is not None and budget.check(float(value))
        value = None if value is None else float(value)
        checks.append(BudgetCheck(metric, value, budget.min, budget.max, passed, enforced))
    return checks


@dataclass(frozen=True)
class BaselineCheck:
    """One metric against the stored baseline; ``factor`` is how many times worse (>1 worse)."""

    metric: str
    value: float
    baseline: float | None
    factor: float | None
    limit: float
    higher_is_better: bool
    passed: bool
    note: str


def _higher_is_better(metric: str, overrides: Mapping[str, bool] | None) -> bool:
    if overrides is not None and metric in overrides:
        return overrides[metric]
    return metric.endswith(HIGHER_IS_BETTER_SUFFIXES)


def _worse_factor(value: float, baseline: float, higher: bool) -> float | None:
    """How many times worse than the baseline (1.0 equal, <1 better); None: not comparable."""
    if baseline <= 0:
        return None
    if higher:
        return baseline / value if value > 0 else float("inf")
    return value / baseline


def _compare(
    metric: str, value: float, baseline: float | None, tolerance: float, higher: bool
) -> BaselineCheck:
    limit = 1.0 + tolerance
    if baseline is None:
        return BaselineCheck(metric, value, None, None, limit, higher, True, "no baseline yet")
    factor = _worse_factor(value, baseline, higher)
    if factor is None:
        note = f"baseline {baseline:g} is not positive: not comparable"
        return BaselineCheck(metric, value, baseline, None, limit, higher, True, note)
    passed = factor <= limit
    note = f"{factor:.2f}x {'worse' if factor > 1 else 'as good or better'} (limit {limit:.2f}x)"
    return BaselineCheck(metric, value, baseline, factor, limit, higher, passed, note)


def read_baseline(path: Path) -> dict[str, float]:
    """Stored baseline metrics ({} when the file does not exist yet)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        metrics = data.get("metrics", data)
        return {str(k): float(v) for k, v in metrics.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"{path}: not a baseline JSON of numeric metrics ({exc}); delete it and rerun with "
            "update=True to record a new baseline"
        ) from None


def compare_baseline(
    measured: Mapping[str, float],
    baseline_path: Path,
    *,
    tolerance: float = 0.7,
    higher_is_better: Mapping[str, bool] | None = None,
    update: bool = False,
) -> list[BaselineCheck]:
    """Compare with the stored baseline; fail a metric only when worse by more than the factor
    ``1 + tolerance``.

    The default 0.7 allows the 1.7x drift of absolute times between processes measured on these
    machines: seconds may grow to 1.7x, rows/s may fall to 1/1.7. Metrics ending in
    ``per_second`` are higher-is-better unless ``higher_is_better`` says otherwise. A metric
    without a stored value passes ("no baseline yet"). ``update=True`` then stores the measured
    values (merged over the old ones).
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 (0.7 allows 1.7x worse), got {tolerance}")
    stored = read_baseline(baseline_path)
    checks = [
        _compare(m, float(v), stored.get(m), tolerance, _higher_is_better(m, higher_is_better))
        for m, v in measured.items()
    ]
    if update:
        _write_baseline(baseline_path, {**stored, **{k: float(v) for k, v in measured.items()}})
    return checks


def _write_baseline(path: Path, metrics: Mapping[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    updated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    body = {"metrics": dict(metrics), "updated": updated, "host": host_facts()}
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)  # readers see the old or the new baseline, never half of one
    logger.info("baseline %s updated: %s", path, ", ".join(sorted(metrics)))
