"""Benchmark the PerformanceProfiler's overhead on a realistic stage (issue 3 target: <= 5%).

    BENCH_SCALE=0.05 python -m dev.shared.benchmarks.bench_profiler

The measured function is a pandas groupby (sum, mean, count per customer) over
rows = int(1_000_000 * BENCH_SCALE) order lines. It runs bare, inside a profiler stage
(default settings: per-stage peak RSS by the best mode this machine allows), through the
``measure`` decorator, with the sampled-RSS mode and with ``trace_memory=True``; ``bare_again``
is the bare function once more, an A/A control whose "overhead" is the noise floor.

Method: each round runs every variant INNER times in shuffled order and keeps each variant's
best (contention from other jobs only ever adds time); overhead is the median over rounds of
profiled / bare of the same round, minus 1 (drift hits both alike). The verdict uses process
CPU time (all threads, so the sampler thread counts; the function is single-threaded, so on an
idle machine CPU time is its wall time, and unlike wall time it stays stable when other jobs
share the 2 cores); wall-clock overheads are reported beside it. The fixed cost of an empty
stage per mode is measured too: divided by the function's time it is the overhead's floor.
Writes reports/benchmarks/profiler.json; exits 1 at full scale when the stage or decorator
overhead exceeds 5% (at reduced scale only above 25%: the function is then 20x shorter).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dev.shared.performance_profiler import PerformanceProfiler, RssMode, detect_rss_mode

ROOT = Path(__file__).resolve().parents[3]
REPORT = ROOT / "reports" / "benchmarks" / "profiler.json"
TARGET = 0.05  # issue 3: profiling a stage costs at most 5%
GROSS = 0.25  # at reduced scale only an overhead above this fails the run
ROUNDS = 15
INNER = 3
ENFORCED = ("stage", "decorator")
Timings = dict[str, dict[str, list[float]]]  # clock ("cpu"/"wall") -> variant -> best per round


def build_frame(rows: int, seed: int = 3) -> pd.DataFrame:
    """Order lines: customer (int key, rows/20 customers), sku, amount, quantity."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer": rng.integers(0, max(rows // 20, 10), rows),
            "sku": rng.integers(0, 500, rows),
            "amount": rng.uniform(1, 5000, rows),
            "quantity": rng.integers(1, 50, rows),
        }
    )


def per_customer(df: pd.DataFrame) -> pd.DataFrame:
    """Reads customer, amount, quantity, sku; writes total, mean_amount, quantity, lines."""
    return df.groupby("customer").agg(
        total=("amount", "sum"),
        mean_amount=("amount", "mean"),
        quantity=("quantity", "sum"),
        lines=("sku", "count"),
    )


def variants(df: pd.DataFrame, log_dir: Path) -> dict[str, Callable[[], object]]:
    """The bare function, its A/A control and the profiled ways of running it."""
    rows = len(df)

    def profiler(mode: RssMode | None = None, trace: bool = False) -> PerformanceProfiler:
        log = log_dir / "performance.log"
        return PerformanceProfiler("bench", log_path=log, rss_mode=mode, trace_memory=trace)

    def in_stage(prof: PerformanceProfiler) -> Callable[[], object]:
        def run() -> object:
            with prof.stage("per_customer", rows=rows):
                return per_customer(df)

        return run

    return {
        "bare": lambda: per_customer(df),
        "bare_again": lambda: per_customer(df),
        "stage": in_stage(profiler()),
        "decorator": profiler().measure("per_customer", rows=rows)(lambda: per_customer(df)),
        "stage_sampled": in_stage(profiler("sampled")),
        "stage_trace_memory": in_stage(profiler(None, trace=True)),
    }


def interleave(runs: dict[str, Callable[[], object]], rounds: int, inner: int) -> Timings:
    """Best CPU and wall seconds per variant per round; variants shuffled within a round."""
    timings: Timings = {"cpu": {n: [] for n in runs}, "wall": {n: [] for n in runs}}
    order = list(runs)
    shuffle = random.Random(5)
    for _ in range(rounds):
        best = {clock: dict.fromkeys(runs, float("inf")) for clock in timings}
        for _ in range(inner):
            shuffle.shuffle(order)
            for name in order:
                cpu, wall = time.process_time(), time.perf_counter()
                runs[name]()
                best["wall"][name] = min(best["wall"][name], time.perf_counter() - wall)
                best["cpu"][name] = min(best["cpu"][name], time.process_time() - cpu)
        for clock, per_variant in best.items():
            for name, seconds in per_variant.items():
                timings[clock][name].append(seconds)
    return timings


def _paired_overhead(times: list[float], bare: list[float]) -> float:
    return statistics.median(t / b for t, b in zip(times, bare, strict=True)) - 1


def overheads(timings: Timings) -> dict[str, dict[str, float]]:
    """Per variant: median CPU and wall seconds, and the paired median overhead on each clock."""
    cpu, wall = timings["cpu"], timings["wall"]
    return {
        name: {
            "median_cpu_s": statistics.median(cpu[name]),
            "median_wall_s": statistics.median(wall[name]),
            "overhead": _paired_overhead(cpu[name], cpu["bare"]),
            "overhead_wall": _paired_overhead(wall[name], wall["bare"]),
        }
        for name in cpu
    }


def empty_stage_cost(log_dir: Path, repeats: int = 2000) -> dict[str, float]:
    """Microseconds one empty stage costs, per peak-RSS mode (and with tracemalloc)."""
    cases: dict[str, tuple[RssMode, bool]] = {
        "hwm": ("hwm", False),
        "sampled": ("sampled", False),
        "process": ("process", False),
        "hwm+trace_memory": ("hwm", True),
    }
    costs: dict[str, float] = {}
    for label, (mode, trace) in cases.items():
        if mode == "hwm" and detect_rss_mode() != "hwm":
            continue
        log = log_dir / "empty.log"
        prof = PerformanceProfiler("bench", log_path=log, rss_mode=mode, trace_memory=trace)
        start = time.perf_counter()
        for _ in range(repeats):
            with prof.stage("empty"):
                pass
        costs[label] = (time.perf_counter() - start) / repeats * 1e6
    return costs


def evaluate(results: dict[str, dict[str, float]], scale: float) -> list[dict[str, Any]]:
    limit = TARGET if scale >= 1.0 else GROSS
    return [
        {
            "target": f"{name} overhead (CPU)",
            "value": round(results[name]["overhead"], 4),
            "limit": limit,
            "passed": results[name]["overhead"] <= limit,
        }
        for name in ENFORCED
    ]


def table(
    results: dict[str, dict[str, float]], costs: dict[str, float], checks: list[dict[str, Any]]
) -> str:
    lines = [f"{'variant':20} {'CPU s':>8} {'overhead':>9} {'wall s':>8} {'wall ovh':>9}"]
    lines += [
        f"{k:20} {v['median_cpu_s']:8.4f} {v['overhead']:9.2%} "
        f"{v['median_wall_s']:8.4f} {v['overhead_wall']:9.2%}"
        for k, v in results.items()
    ]
    bare = results["bare"]["median_cpu_s"]
    lines += ["", f"{'empty stage, mode':20} {'us':>8} {'share':>9}"]
    lines += [f"{k:20} {v:8.0f} {v / 1e6 / bare:9.3%}" for k, v in costs.items()]
    lines.append("")
    lines += [
        f"{'PASS' if c['passed'] else 'FAIL'}  {c['target']:26} {c['value']:>8.2%} "
        f"(limit {c['limit']:.0%})"
        for c in checks
    ]
    return "\n".join(lines)


def main() -> int:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    rows = max(int(1_000_000 * scale), 10_000)
    df = build_frame(rows)
    with tempfile.TemporaryDirectory() as tmp:
        runs = variants(df, Path(tmp))
        interleave(runs, 1, 1)  # warm-up: caches, first-touch page faults
        results = overheads(interleave(runs, ROUNDS, INNER))
        costs = empty_stage_cost(Path(tmp))
    checks = evaluate(results, scale)
    report = {
        "scale": scale,
        "rows": rows,
        "rounds": ROUNDS,
        "inner": INNER,
        "rss_mode": detect_rss_mode(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "results": results,
        "empty_stage_us": costs,
        "targets": checks,
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"PerformanceProfiler overhead: groupby over {rows:,} rows, {ROUNDS} rounds x {INNER}")
    print(f"(scale {scale}, peak RSS mode {report['rss_mode']}, load {report['load_average']})")
    print(table(results, costs, checks))
    print(f"written {REPORT.relative_to(ROOT)}")
    return 0 if all(c["passed"] for c in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
