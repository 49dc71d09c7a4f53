"""Benchmark MockDataGenerator against Faker row by row (issue targets).

    BENCH_SCALE=0.05 python -m dev.shared.benchmarks.bench_generator

Rows = int(1_000_000 * BENCH_SCALE) of a 10-column orders schema (order_id ORD-########,
customer_id foreign key into 50,000 customers, name, email, order_date, ship_date, quantity,
unit_price money, currency and status categories), generated and then damaged with 1% each of
nulls, duplicates, out_of_range, malformed and orphans. Targets: >= 2,000,000 rows/s for
generate + inject, and >= 300x the rows/s of Faker building the same rows one by one (Faker
runs on 2,000 rows; its per-row cost does not depend on the row count).

Timing: the value pools are built once per process, so a warm-up call builds them (reported as
`pools_s`); then best of 5 wall-clock runs, with the CPU time of the same runs alongside (on a
shared machine the CPU time shows what the code costs when other processes take the cores).
Writes reports/benchmarks/generator.json; exits 1 at full scale when a target is missed (at
reduced scale only on gross misses: 10x below a target, rows/s judged on CPU time).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from faker import Faker  # test group: the baseline the generator is compared with

from dev.shared.mock_data_generator import (
    Category,
    DateAfter,
    DateRange,
    Defect,
    Email,
    ForeignKey,
    Id,
    IntRange,
    MockDataGenerator,
    Money,
    Name,
    Pattern,
    Schema,
)

ROOT = Path(__file__).resolve().parents[3]
REPORT = ROOT / "reports" / "benchmarks" / "generator.json"
TARGET_ROWS_PER_S = 2_000_000
TARGET_SPEEDUP = 300
GROSS = 10.0  # at reduced scale a run fails only when this many times below a target
FAKER_ROWS = 2_000
CUSTOMERS = 50_000
REPEATS = 5
CURRENCIES = {"EUR": 0.6, "USD": 0.3, "GBP": 0.1}
STATUSES = {"new": 0.2, "paid": 0.45, "shipped": 0.3, "cancelled": 0.05}
START, END = date(2026, 1, 1), date(2026, 12, 31)

CUSTOMERS_SCHEMA = Schema("customers", {"customer_id": Id(start=1), "name": Name()})
ORDERS_SCHEMA = Schema(
    "orders",
    {
        "order_id": Pattern("ORD-########", unique=True),
        "customer_id": ForeignKey("customers", "customer_id"),
        "name": Name(),
        "email": Email(),
        "order_date": DateRange(START, END),
        "ship_date": DateAfter("order_date", 0, 14),
        "quantity": IntRange(1, 50),
        "unit_price": Money(1, 5000),
        "currency": Category(CURRENCIES),
        "status": Category(STATUSES),
    },
)
DEFECTS = [
    Defect("nulls", "email", 0.01),
    Defect("duplicates", "order_id", 0.01),
    Defect("out_of_range", "quantity", 0.01),
    Defect("malformed", "order_id", 0.01),
    Defect("orphans", "customer_id", 0.01),
]


def timed(action: Callable[[], object], repeats: int) -> dict[str, float]:
    """Best and median wall seconds of `repeats` runs, and the CPU seconds of the best run."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    best = walls.index(min(walls))
    return {"best_s": walls[best], "median_s": statistics.median(walls), "cpu_s": cpus[best]}


def measure_generator(rows: int) -> dict[str, Any]:
    gen = MockDataGenerator(seed=42)
    started = time.perf_counter()
    customers = gen.generate(CUSTOMERS_SCHEMA, CUSTOMERS)
    gen.inject_defects(gen.generate(ORDERS_SCHEMA, 1000, related={"customers": customers}), DEFECTS)
    pools_s = time.perf_counter() - started

    def generate_only() -> None:
        gen.generate(ORDERS_SCHEMA, rows, related={"customers": customers})

    def generate_and_damage() -> None:
        frame = gen.generate(ORDERS_SCHEMA, rows, related={"customers": customers})
        damaged, report = gen.inject_defects(frame, DEFECTS)
        expected = round(0.01 * rows)
        if len(damaged) != rows or any(len(e.rows) != expected for e in report.entries):
            raise RuntimeError(
                f"defect injection damaged {report.counts()}, expected {expected} each"
            )

    full = timed(generate_and_damage, REPEATS)
    plain = timed(generate_only, REPEATS)
    return {
        "rows": rows,
        "pools_s": round(pools_s, 3),
        "generate_s": round(plain["best_s"], 4),
        "generate_and_defects_s": round(full["best_s"], 4),
        "generate_and_defects_median_s": round(full["median_s"], 4),
        "generate_and_defects_cpu_s": round(full["cpu_s"], 4),
        "rows_per_s": round(rows / full["best_s"]),
        "rows_per_cpu_s": round(rows / max(full["cpu_s"], 1e-9)),
        "generate_rows_per_s": round(rows / plain["best_s"]),
    }


def faker_orders(rows: int) -> pd.DataFrame:
    """The same orders built the usual way: one dict per row from Faker calls."""
    fake = Faker()
    Faker.seed(42)
    currencies, statuses = OrderedDict(CURRENCIES), OrderedDict(STATUSES)
    records = []
    for _ in range(rows):
        order_date = fake.date_between(START, END)
        records.append(
            {
                "order_id": fake.bothify("ORD-########"),
                "customer_id": fake.random_int(1, CUSTOMERS),
                "name": fake.name(),
                "email": fake.email(),
                "order_date": order_date,
                "ship_date": order_date + timedelta(days=fake.random_int(0, 14)),
                "quantity": fake.random_int(1, 50),
                "unit_price": round(fake.pyfloat(min_value=1, max_value=5000), 2),
                "currency": fake.random_element(currencies),
                "status": fake.random_element(statuses),
            }
        )
    return pd.DataFrame.from_records(records)


def measure_faker(rows: int) -> dict[str, Any]:
    faker_orders(50)  # import and provider set-up are not per-row costs
    result = timed(lambda: faker_orders(rows), 1)
    return {
        "rows": rows,
        "seconds": round(result["best_s"], 4),
        "rows_per_s": round(rows / result["best_s"]),
    }


def check(results: dict[str, Any], scale: float) -> list[dict[str, Any]]:
    """Targets on wall time; at reduced scale only a gross miss fails, judged on CPU time.

    Small frames are dominated by fixed costs and a busy CI runner stretches wall time, so
    the reduced-scale gate uses the CPU-time rate, which measures the code rather than the
    machine's load.
    """
    enforced = scale >= 1.0
    generator = results["generator"]
    measured = {
        "rows_per_s": generator["rows_per_s"],
        "speedup_vs_faker": results["speedup_vs_faker"],
    }
    gate = dict(measured)
    if not enforced:
        gate["rows_per_s"] = generator["rows_per_cpu_s"]
    targets = {"rows_per_s": TARGET_ROWS_PER_S, "speedup_vs_faker": TARGET_SPEEDUP}
    slack = 1.0 if enforced else GROSS
    return [
        {
            "metric": name,
            "value": measured[name],
            "target": f">= {targets[name]:,}",
            "passed": measured[name] >= targets[name],
            "fails_run": gate[name] < targets[name] / slack,
            "enforced": enforced,
        }
        for name in targets
    ]


def table(results: dict[str, Any], checks: list[dict[str, Any]]) -> str:
    g, f = results["generator"], results["faker"]
    lines = [
        f"{'measure':<34}{'value':>16}",
        f"{'pools built once (s)':<34}{g['pools_s']:>16.3f}",
        f"{'generate only (s)':<34}{g['generate_s']:>16.4f}",
        f"{'generate + 5 defects (best s)':<34}{g['generate_and_defects_s']:>16.4f}",
        f"{'generate + 5 defects (median s)':<34}{g['generate_and_defects_median_s']:>16.4f}",
        f"{'generate + 5 defects (CPU s)':<34}{g['generate_and_defects_cpu_s']:>16.4f}",
        f"{'rows/s (wall, best)':<34}{g['rows_per_s']:>16,}",
        f"{'rows/s (CPU)':<34}{g['rows_per_cpu_s']:>16,}",
        f"{'Faker rows/s (row by row)':<34}{f['rows_per_s']:>16,}",
        f"{'speedup vs Faker':<34}{results['speedup_vs_faker']:>16,.0f}",
        "",
        f"{'target':<22}{'value':>14}  {'goal':>14}  result",
    ]
    for c in checks:
        verdict = "pass" if c["passed"] else ("FAIL" if c["enforced"] else "below (not enforced)")
        lines.append(f"{c['metric']:<22}{c['value']:>14,.0f}  {c['target']:>14}  {verdict}")
    return "\n".join(lines)


def main() -> int:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    rows = max(int(1_000_000 * scale), 1000)
    generator = measure_generator(rows)
    faker = measure_faker(FAKER_ROWS)
    results: dict[str, Any] = {
        "benchmark": "generator",
        "scale": scale,
        "columns": len(ORDERS_SCHEMA.columns),
        "defects": [f"{d.kind}:{d.column}:{d.rate}" for d in DEFECTS],
        "generator": generator,
        "faker": faker,
        "speedup_vs_faker": round(generator["rows_per_s"] / faker["rows_per_s"], 1),
    }
    checks = check(results, scale)
    results["checks"] = checks
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(
        f"MockDataGenerator benchmark: {rows:,} rows x 10 columns, 5 defect kinds at 1% (scale {scale})"
    )
    print(table(results, checks))
    print(f"written {REPORT.relative_to(ROOT)}")
    failed = [c["metric"] for c in checks if c["fails_run"]]
    if failed:
        print(f"target missed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
