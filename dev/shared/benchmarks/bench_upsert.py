"""Benchmark Database.upsert_frame against COPY, pandas to_sql and to_sql(method="multi").

    BENCH_SCALE=0.05 python -m dev.shared.benchmarks.bench_upsert

Rows = int(1_000_000 * BENCH_SCALE) x 10 columns (random 16-hex-digit text primary key, text,
int, float, bool, date, timestamp; ~1% missing values). Every method loads the same frame into
a table of the same definition (primary key on id), side by side in one process:

- PostgreSQL (DATABASE_URL or POSTGRES_URL): COPY of the frame's CSV text (``df.to_csv``
  included: the practical ceiling), ``to_sql`` (default method), ``to_sql(method="multi")``
  chunked under 65,535 bind parameters, and upsert_frame into an empty table and when every
  key is an update (all nine other columns change).
- SQLite (a temporary file): upsert_frame and ``to_sql`` through SQLAlchemy.
- MariaDB (MARIADB_URL): upsert_frame and ``to_sql``, reported only.

PostgreSQL and SQLite run every method twice, interleaved, and keep the faster run (the machine
is shared: a busy moment then hits every method alike); ``to_sql(method="multi")`` runs once on
int(100_000 * BENCH_SCALE) rows (at least two chunks), since it is ~40x off its target anyway.
Every server database is an isolated schema/database dropped afterwards. Writes
reports/benchmarks/upsert.json and prints rows/s and ratios; at full scale exits 1 when a
target is missed (at reduced scale fixed costs dominate: it only reports, and fails on errors).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dev.shared import test_framework as tf
from shared.db_helper import Database, TableSchema

ROOT = Path(__file__).resolve().parents[3]
REPORT = ROOT / "reports" / "benchmarks" / "upsert.json"
# to_sql "multi" runs ~4k rows/s: its rate is taken on int(100_000 * BENCH_SCALE) rows, and at
# least two full chunks (2 x 6,553 rows)
MULTI_MAX_ROWS = 100_000
MULTI_MIN_ROWS = 13_106
ROUNDS = 2  # PostgreSQL and SQLite: every method twice, interleaved; the faster run counts
TARGETS = {  # (backend, upsert case, baseline) -> minimum ratio upsert rows/s : baseline rows/s
    ("postgresql", "upsert_empty", "copy_csv"): 0.6,
    ("postgresql", "upsert_update", "copy_csv"): 0.6,
    ("postgresql", "upsert_empty", "to_sql"): 1.5,
    ("postgresql", "upsert_update", "to_sql"): 1.5,
    ("postgresql", "upsert_empty", "to_sql_multi"): 10.0,
    ("postgresql", "upsert_update", "to_sql_multi"): 10.0,
    ("sqlite", "upsert_empty", "to_sql"): 2.0,
    ("sqlite", "upsert_update", "to_sql"): 2.0,
}
COLUMNS = {
    "id": "text",
    "name": "text",
    "city": "text",
    "qty": "int",
    "amount": "float",
    "price": "float",
    "active": "bool",
    "day": "date",
    "updated": "timestamp",
    "note": "text",
}


def build_frame(rows: int, seed: int, ids: pd.Series | None = None) -> pd.DataFrame:
    """10 columns; a random text key unless ids are given (then every row is an update)."""
    rng = np.random.default_rng(seed)
    names = np.array([f"Customer {i}" for i in range(5000)], dtype=object)
    cities = np.array(["Madrid", "Berlin", "Paris", "Rome", "Oslo", "Lisbon"], dtype=object)
    keys = (
        ids
        if ids is not None
        else pd.Series(
            [f"{x:016x}" for x in rng.choice(2**62, size=rows, replace=False)], dtype="str"
        )
    )
    amount = np.round(rng.random(rows) * 1000, 2)
    amount[rng.random(rows) < 0.01] = np.nan
    note = pd.Series(names[rng.integers(0, 5000, rows)], dtype="str")
    note[rng.random(rows) < 0.01] = None
    return pd.DataFrame(
        {
            "id": keys.to_numpy(),
            "name": pd.Series(names[rng.integers(0, 5000, rows)], dtype="str"),
            "city": pd.Series(cities[rng.integers(0, 6, rows)], dtype="str"),
            "qty": rng.integers(1, 1000, rows),
            "amount": amount,
            "price": rng.random(rows) * 100,
            "active": rng.random(rows) < 0.5,
            "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, rows), "D"),
            "updated": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 10**9, rows), "s"),
            "note": note,
        }
    ).astype({"id": "str"})


def multi_rows(rows: int) -> int:
    return min(rows, max(MULTI_MIN_ROWS, int(MULTI_MAX_ROWS * rows / 1_000_000)))


def timed(rows: int, load: Callable[[], object]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        load()
    except Exception as exc:  # noqa: BLE001 - a failing method is a result to report
        return {"rows": rows, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


def fresh_table(db: Database, name: str) -> str:
    db.ensure_table(TableSchema(name, COLUMNS, ("id",)))
    return name


def copy_csv(db: Database, table: str, frame: pd.DataFrame) -> None:
    """The ceiling: the frame as CSV text through COPY (to_csv included)."""
    text = frame.to_csv(index=False, header=False)
    columns = ", ".join(map(db.quote, frame.columns))
    with db.engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {db.quote(table)} ({columns}) FROM STDIN (FORMAT CSV)") as copy:
            copy.write(text)


def to_sql(db: Database, table: str, frame: pd.DataFrame, multi: bool = False) -> None:
    """pandas to_sql into the existing table; "multi" chunked under 65,535 bind parameters."""
    if multi:
        chunk = 65_535 // len(frame.columns)
        frame.to_sql(
            table, db.engine, if_exists="append", index=False, method="multi", chunksize=chunk
        )
    else:
        frame.to_sql(table, db.engine, if_exists="append", index=False)


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run (an error in any run is kept: it fails the benchmark)."""
    errors = [r for r in runs if "rows_per_s" not in r]
    if errors:
        return errors[0]
    fastest = dict(min(runs, key=lambda r: r["seconds"]))
    fastest["runs_seconds"] = [r["seconds"] for r in runs]
    return fastest


def one_round(db: Database, frame: pd.DataFrame, update: pd.DataFrame, n: int) -> dict[str, Any]:
    """Every method once, on fresh tables (dropped afterwards)."""
    rows, target = len(frame), f"upsert_target_{n}"
    schema = TableSchema(target, COLUMNS, ("id",))
    results: dict[str, Any] = {}
    if db.dialect == "postgresql":
        results["copy_csv"] = timed(rows, lambda: copy_csv(db, fresh_table(db, f"c{n}"), frame))
    results["to_sql"] = timed(rows, lambda: to_sql(db, fresh_table(db, f"s{n}"), frame))
    results["upsert_empty"] = timed(
        rows, lambda: db.upsert_frame(frame, target, ["id"], schema=schema)
    )
    results["upsert_update"] = timed(rows, lambda: db.upsert_frame(update, target, ["id"]))
    check = db.read_table(target, columns=["id", "qty"], order_by=["id"])
    expected = update[["id", "qty"]].sort_values("id", ignore_index=True)
    if not (len(check) == rows and check["qty"].tolist() == expected["qty"].tolist()):
        results["upsert_update"]["error"] = "the table does not hold the updated rows"
    for table in (f"c{n}", f"s{n}", target):
        if db.table_exists(table):
            db.execute(f"DROP TABLE {db.quote(table)}")
    return results


def bench_backend(
    backend: str, frame: pd.DataFrame, update: pd.DataFrame, workdir: Path, rounds: int
) -> dict[str, Any]:
    """Rounds interleave the methods so a busy moment on the machine hits them all alike."""
    runs: dict[str, list[dict[str, Any]]] = {}
    with tf.isolated_database(backend, workdir) as db:
        if backend == "postgresql":  # far off its target: one run on a capped number of rows
            multi = frame.head(multi_rows(len(frame)))
            runs["to_sql_multi"] = [
                timed(len(multi), lambda: to_sql(db, fresh_table(db, "m"), multi, multi=True))
            ]
        for n in range(rounds):
            for method, result in one_round(db, frame, update, n).items():
                runs.setdefault(method, []).append(result)
    return {method: best(results) for method, results in runs.items()}


def ratios(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    checks = []
    for (backend, case, baseline), minimum in TARGETS.items():
        mine, base = results.get(backend, {}).get(case), results.get(backend, {}).get(baseline)
        if not mine or not base:
            continue
        ratio = (
            mine["rows_per_s"] / base["rows_per_s"]
            if "rows_per_s" in mine and "rows_per_s" in base
            else None
        )
        checks.append(
            {
                "backend": backend,
                "case": case,
                "baseline": baseline,
                "ratio": None if ratio is None else round(ratio, 2),
                "target": minimum,
                "passed": ratio is not None and ratio >= minimum,
            }
        )
    return checks


def render(
    rows: int, scale: float, results: dict[str, dict[str, Any]], checks: list[dict[str, Any]]
) -> str:
    lines = [
        f"upsert benchmark: {rows:,} rows x 10 columns (BENCH_SCALE={scale})",
        "",
        f"{'backend':<11} {'method':<14} {'rows':>9} {'seconds':>8} {'rows/s':>9}",
    ]
    for backend, methods in results.items():
        for method, r in methods.items():
            if "error" in r and "rows_per_s" not in r:
                lines.append(f"{backend:<11} {method:<14} {r['rows']:>9,}  failed: {r['error']}")
            else:
                lines.append(
                    f"{backend:<11} {method:<14} {r['rows']:>9,} {r['seconds']:>8.2f} "
                    f"{r['rows_per_s']:>9,}" + (f"  {r['error']}" if "error" in r else "")
                )
    lines += ["", f"{'backend':<11} {'upsert case':<14} {'vs':<13} {'ratio':>6} {'target':>7}"]
    for c in checks:
        ratio = "n/a" if c["ratio"] is None else f"{c['ratio']:.2f}x"
        lines.append(
            f"{c['backend']:<11} {c['case']:<14} {c['baseline']:<13} {ratio:>6} "
            f"{'>= ' + str(c['target']) + 'x':>7}  {'ok' if c['passed'] else 'MISSED'}"
        )
    return "\n".join(lines)


def main() -> int:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    rows = max(1_000, int(1_000_000 * scale))
    frame = build_frame(rows, seed=1)
    update = build_frame(rows, seed=2, ids=frame["id"])
    backends = ["postgresql", "sqlite", "mariadb"]
    available = tf.available_backends()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_upsert_") as tmp:
        for backend in backends:
            if backend in available:
                rounds = 1 if backend == "mariadb" else ROUNDS  # MariaDB is reported only
                results[backend] = bench_backend(backend, frame, update, Path(tmp), rounds)
    checks = ratios(results)
    errors = [
        f"{b}/{m}"
        for b, ms in results.items()
        for m, r in ms.items()
        if "error" in r and m.startswith("upsert")
    ]
    missed = [c for c in checks if not c["passed"]]
    report = {
        "benchmark": "upsert",
        "scale": scale,
        "rows": rows,
        "columns": 10,
        "skipped_backends": [b for b in backends if b not in available],
        "multi_rows": multi_rows(rows),
        "results": results,
        "checks": checks,
        "enforced": scale >= 1.0,
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(render(rows, scale, results, checks))
    print(f"\nwritten {REPORT.relative_to(ROOT)}")
    if errors:
        print(f"FAILED: upsert errors in {', '.join(errors)}")
        return 1
    if missed and scale >= 1.0:
        print(f"FAILED: {len(missed)} target(s) missed at full scale")
        return 1
    if "postgresql" not in results:
        print("note: PostgreSQL not benchmarked (set DATABASE_URL or POSTGRES_URL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
