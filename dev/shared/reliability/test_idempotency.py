"""Idempotency of every workflow: run twice on the same input, or killed and run again.

Each workflow runs as Kestra runs it, a subprocess ``python dev/<wf>/<wf>.py ...
--database-url URL``: order_staging on its samples inbox with the reference seed,
customer_master_schedule with --seed-samples and a fixed --run-date, monday_boards against
the sandbox.

1. Run twice (in this interpreter, through the CLI function ``main(argv)``, which spares the
   interpreter start-up): every business table is identical after the second run (a checksum per table,
   on SQLite and PostgreSQL). Columns that say *which run* or *when* (run and batch ids,
   timestamps and durations of the run) are left out; everything else is compared. Log tables
   follow their workflow's rule: order_processing_log has one row per file ever processed
   (a second run skips known files: no new rows), schedule_history one row per ship-date move
   (same inputs: no move, no new rows), monday_sync_log one row per board and run (grows by
   the number of boards).
2. Killed with SIGKILL after a random fraction of a measured clean run, then run again: the
   business tables equal those of one uninterrupted run (log tables keep a row per attempt:
   only their business columns of the last run are compared through the tables they
   describe).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from dev.shared import test_framework as tf
from dev.shared.monday_sandbox import MondaySandbox, sample_boards
from shared.db_helper import Database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "dev" / "order_staging" / "testing" / "test_data_samples"
BACKENDS = [b for b in ("sqlite", "postgresql") if b in tf.available_backends()]
KILL_BACKEND = "postgresql" if "postgresql" in BACKENDS else "sqlite"
KILLS = 3  # kill points per workflow
# columns that name the run or time it: they differ between runs by design
VOLATILE = {
    "run_id",
    "batch_id",
    "last_run_id",
    "last_synced_at",
    "detected_at",
    "processed_at",
    "started_at",
    "finished_at",
    "duration_seconds",
    "parse_seconds",
}
# log table -> rows a second run on the same input adds (see the module docstring)
LOG_GROWTH = {
    "order_processing_log": 0,
    "schedule_history": 0,
    "monday_sync_log": 3,  # the registry's three boards
}


@dataclass
class Workflow:
    name: str
    args: list[str]
    env: dict[str, str]

    def command(self, url: str) -> list[str]:
        script = ROOT / "dev" / self.name / f"{self.name}.py"
        return [sys.executable, str(script), *self.args, "--database-url", url]


def start(workflow: Workflow, url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **workflow.env}
    return subprocess.Popen(
        workflow.command(url),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run_in_process(workflow: Workflow, url: str, mp: pytest.MonkeyPatch) -> None:
    """One run through the workflow's CLI function main(argv), in this interpreter."""
    for key, value in workflow.env.items():
        mp.setenv(key, value)
    cli = importlib.import_module(f"dev.{workflow.name}.{workflow.name}")
    argv = workflow.command(url)[2:]
    assert cli.main(argv) == 0, f"{workflow.name} {argv} failed"


def run(workflow: Workflow, url: str) -> float:
    """One uninterrupted run; its duration in seconds."""
    began = time.perf_counter()
    proc = start(workflow, url)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, f"{workflow.name} failed:\n{err.decode()[-3000:]}"
    return time.perf_counter() - began


def kill_after(workflow: Workflow, url: str, seconds: float) -> bool:
    """Start a run and SIGKILL it after ``seconds``; True when it was still running."""
    proc = start(workflow, url)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return True
    proc.communicate()
    return False


def business_state(db: Database) -> tuple[dict[str, str], dict[str, int]]:
    """(digest per business table, rows per log table)."""
    digests, logs = {}, {}
    for table in sorted(list_tables(db)):
        frame = db.read_table(table)
        if table in LOG_GROWTH:
            logs[table] = len(frame)
            continue
        digests[table] = frame_digest(frame.drop(columns=[c for c in frame if c in VOLATILE]))
    return digests, logs


def frame_digest(frame: pd.DataFrame) -> str:
    """Order-independent digest of a frame's column names and rows."""
    canon = frame[sorted(frame.columns)].astype(str)
    rows = sorted(pd.util.hash_pandas_object(canon, index=False).tolist())
    return hashlib.sha256(repr((list(canon.columns), rows)).encode()).hexdigest()


def list_tables(db: Database) -> list[str]:
    if db.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
    return [str(name) for name in db.read_sql(sql)["name"]]


def rows_in(db: Database) -> int:
    return sum(len(db.read_table(t)) for t in list_tables(db))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[MondaySandbox]:
    with MondaySandbox(sample_boards()) as started:
        yield started


@pytest.fixture
def workflows(tmp_path: Path, sandbox: MondaySandbox) -> dict[str, Workflow]:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "inbox", inbox)
    common = {"WORKFLOW_ENV": "testing", "CONFIG__output_dir": str(tmp_path / "summaries")}
    return {
        "order_staging": Workflow(
            "order_staging",
            [
                "--inbox",
                str(inbox),
                "--quarantine",
                str(tmp_path / "quarantine"),
                "--seed-reference",
                str(SAMPLES),
            ],
            common,
        ),
        "customer_master_schedule": Workflow(
            "customer_master_schedule",
            [
                "--seed-samples",
                "--run-date",
                "2026-12-01",
                "--summary-dir",
                str(tmp_path / "summaries"),
            ],
            common,
        ),
        "monday_boards": Workflow(
            "monday_boards",
            ["--api-url", sandbox.url],
            {**common, "MONDAY_API_TOKEN": "sandbox-token"},
        ),
    }


WORKFLOWS = ["order_staging", "customer_master_schedule", "monday_boards"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", WORKFLOWS)
def test_a_second_run_on_the_same_input_changes_no_business_table(
    workflows, name, backend, tmp_path, monkeypatch, tally
):
    workflow = workflows[name]
    with tf.isolated_database(backend, tmp_path) as db:
        run_in_process(workflow, db.url, monkeypatch)
        first, first_logs = business_state(db)
        run_in_process(workflow, db.url, monkeypatch)
        second, second_logs = business_state(db)
        tally.add("rows_compared", rows_in(db))
    tally.add("cases_tried")
    assert first, f"{name} wrote no business table"
    assert second == first
    for table, rows in first_logs.items():
        assert second_logs[table] == rows + LOG_GROWTH[table], table


@pytest.mark.parametrize("name", WORKFLOWS)
def test_a_run_killed_at_random_points_then_run_again_ends_like_a_clean_run(
    workflows, name, tmp_path, tally
):
    workflow = workflows[name]
    clean_dir, rng = tmp_path / "clean", random.Random(f"{name}-kill")
    clean_dir.mkdir()
    with tf.isolated_database(KILL_BACKEND, clean_dir) as db:
        seconds = run(workflow, db.url)
        expected, _ = business_state(db)
    killed = point = 0
    # kill points are fractions of the shortest run seen so far (a busy machine slows the
    # first one); while no kill has landed, up to KILLS more points are tried
    while point < KILLS or (not killed and point < 2 * KILLS):
        fraction = rng.uniform(0.35, 0.95)  # the interpreter's start-up is the first ~third
        folder = tmp_path / f"kill{point}"
        folder.mkdir()
        with tf.isolated_database(KILL_BACKEND, folder) as db:
            was_running = kill_after(workflow, db.url, seconds * fraction)
            killed += was_running
            tally.add("faults_injected", int(was_running))
            seconds = min(seconds, run(workflow, db.url))
            after, _ = business_state(db)
            tally.add("rows_compared", rows_in(db))
        tally.add("cases_tried")
        assert after == expected, f"{name} killed at {fraction:.0%} of {seconds:.1f}s"
        point += 1
    assert killed, f"{name}: every run ended before its kill point"
