"""Integration tests of order_staging on real databases (SQLite, PostgreSQL, MariaDB: the
`database` fixture runs each test on every configured backend, in a schema of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the repo root (holding pyproject.toml) first
    sys.path.insert(
        0, str(next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()))
    )
    __package__ = "dev.order_staging.testing"

import pandas as pd
import pytest

from .helpers import OUTPUT_TABLES, checksums, csv_text, write_inbox

pytestmark = pytest.mark.integration


def run(workflow, database, tmp_path, inbox=None, seed=True):
    summary = workflow.module.run(
        database_url=database.url,
        env="testing",
        inbox=inbox or workflow.sample_path("inbox"),
        quarantine=tmp_path / "quarantine",
        seed_reference=workflow.samples_dir if seed else None,
    )
    assert summary.status == "success", summary.error
    return summary


def outcome_per_line(database) -> pd.DataFrame:
    """(file_name, row_no) -> staged/rejected and rule ids, read back from the tables."""
    log = database.read_table("order_processing_log")[["file_checksum", "file_name"]]
    errors = database.read_table("order_staging_errors").merge(
        log, on="file_checksum", suffixes=("", "_log")
    )
    rules = (
        errors.groupby(["file_name", "row_no"])["rule_id"]
        .agg(lambda s: ";".join(sorted(s)))
        .rename("rules")
        .reset_index()
    )
    return rules.astype({"row_no": "int64"})


@pytest.mark.requirement("REQ-OS-011")
@pytest.mark.requirement("REQ-OS-008")
def test_samples_stage_identically_on_every_backend(workflow, database, tmp_path):
    summary = run(workflow, database, tmp_path)
    assert (summary.counts["lines_in"], summary.counts["lines_staged"]) == (53, 26)
    expected = workflow.sample("expected_outcome.csv").astype({"row_no": "int64"})
    found = outcome_per_line(database)
    wanted = expected[expected["rules"] != ""][["file_name", "row_no", "rules"]]
    workflow.assert_frame_equal(found, wanted.reset_index(drop=True), keys=["file_name", "row_no"])
    staged = database.read_table("order_staging_validated")
    assert len(staged) == int((expected["status"] == "staged").sum())
    assert staged["quantity"].dtype == "Int64"
    assert str(staged["order_date"].dtype).startswith("datetime64")
    assert staged["backorder"].sum() == 3
    assert set(staged["status"]) == {"staged"}
    raw = database.read_table("order_staging_raw")
    x12 = raw[raw["format"] == "x12"].set_index("order_id")["payload"]
    assert x12["4501"].startswith("ST*850*0001~BEG*00*SA*4501")


@pytest.mark.requirement("REQ-OS-004")
@pytest.mark.requirement("REQ-OS-011")
def test_a_second_run_over_the_same_files_changes_nothing(workflow, database, tmp_path):
    run(workflow, database, tmp_path)
    before = checksums(database)
    again = run(workflow, database, tmp_path, seed=False)
    assert again.counts["files_skipped"] == 6
    assert checksums(database) == before


@pytest.mark.requirement("REQ-OS-008")
def test_a_resent_order_updates_its_lines_in_place(workflow, database, tmp_path):
    first = csv_text({"order_total": "7.00"}, {"line_no": "2", "order_total": "7.00"})
    run(workflow, database, tmp_path, write_inbox(tmp_path / "in1", {"a.csv": first}))
    second = csv_text(
        {"quantity": "20", "order_total": "10.50"}, {"line_no": "2", "order_total": "10.50"}
    )
    run(workflow, database, tmp_path, write_inbox(tmp_path / "in2", {"b.csv": second}), seed=False)
    rows = database.read_table("order_staging_validated", order_by=["line_no"])
    assert rows["quantity"].tolist() == [20, 10]
    assert len(rows) == 2
    assert (rows["batch_id"] == rows["batch_id"][0]).all()  # both rewritten by the second run


@pytest.mark.requirement("REQ-OS-014")
def test_staged_orders_of_earlier_runs_count_against_credit(workflow, database, tmp_path):
    # C004: credit 5,000 EUR, Tue/Thu deliveries; 3,560 staged first, then 1,780 more
    order = {
        "customer_id": "C004",
        "sku": "SKU-1005",
        "unit_price": "89.00",
        "quantity": "40",
        "order_total": "3560.00",
        "requested_delivery_date": "2026-03-05",
    }
    run(workflow, database, tmp_path, write_inbox(tmp_path / "in1", {"a.csv": csv_text(order)}))
    later = {**order, "order_id": "T-2", "quantity": "20", "order_total": "1780.00"}
    summary = run(
        workflow,
        database,
        tmp_path,
        write_inbox(tmp_path / "in2", {"b.csv": csv_text(later)}),
        seed=False,
    )
    assert summary.counts["lines_rejected"] == 1
    errors = database.read_table("order_staging_errors")
    assert errors["rule_id"].tolist() == ["OS-H11"]
    assert "open orders 3,560.00" in errors["message"][0]
    # once the first order ships it no longer counts: the same order passes
    database.execute("UPDATE order_staging_validated SET status = 'shipped'")
    third = {**later, "order_id": "T-3"}
    summary = run(
        workflow,
        database,
        tmp_path,
        write_inbox(tmp_path / "in3", {"c.csv": csv_text(third)}),
        seed=False,
    )
    assert summary.counts["lines_staged"] == 1


@pytest.mark.requirement("REQ-OS-010")
@pytest.mark.requirement("REQ-OS-011")
def test_the_cli_runs_as_kestra_runs_it(workflow, database, tmp_path):
    script = workflow.directory / workflow.spec.get("main_script", "order_staging.py")
    env = dict(os.environ, WORKFLOW_ENV="testing", CONFIG__output_dir=str(tmp_path))
    env.pop("PYTHONPATH", None)  # the script finds the repo root by itself
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            "--database-url",
            database.url,
            "--inbox",
            str(workflow.sample_path("inbox")),
            "--quarantine",
            str(tmp_path / "q"),
            "--seed-reference",
            str(workflow.samples_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Run summary: order_staging" in done.stderr + done.stdout
    assert "lines_staged: 26" in done.stderr + done.stdout
    assert (tmp_path / "run_summary.json").exists()
    assert all(database.table_exists(t) for t in OUTPUT_TABLES)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
