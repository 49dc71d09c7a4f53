"""Connections killed mid-load on PostgreSQL (pg_terminate_backend) and MariaDB (KILL).

For each backend, at least 20 loads are cut at random moments from a second connection. After
every failed load the target must be exactly as before (checksums); the retry must succeed; the
final state must equal a clean run. The same for replace_table_atomically (old or new table,
never a half). RELIABILITY_ROWS sets the load size (default 10,000 rows x 10 columns).
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from dev.shared import test_framework as tf
from shared.db_helper import Database, DatabaseError

pytestmark = pytest.mark.integration

ROWS = int(os.environ.get("RELIABILITY_ROWS", "10000"))
RUNS = 20
SERVERS = [b for b in ("postgresql", "mariadb") if b in tf.available_backends()]


def frame(rows: int, seed: int, offset: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    keys = [f"K{n:09d}" for n in range(offset, offset + rows)]
    data: dict[str, object] = {"id": keys}
    for col in range(4):
        data[f"amount_{col}"] = rng.random(rows).round(6)
        data[f"qty_{col}"] = rng.integers(0, 10_000, rows)
    data["label"] = rng.choice(["alpha", "beta", "gamma"], rows)
    return pd.DataFrame(data)


def killer(backend: str, admin: sa.Engine, target: str) -> Callable[[], bool]:
    """A function that kills the loading connection(s); True when one was killed."""
    if backend == "postgresql":
        sql = sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :t AND pid <> pg_backend_pid()"
        )
    else:
        sql = sa.text(
            "SELECT id FROM information_schema.processlist WHERE db = :t AND id <> CONNECTION_ID()"
        )

    def kill() -> bool:
        with admin.connect() as conn:
            if backend == "postgresql":
                return bool(conn.execute(sql, {"t": target}).scalar_one())
            ids = [row[0] for row in conn.execute(sql, {"t": target})]
            for ident in ids:
                try:
                    conn.execute(sa.text(f"KILL {int(ident)}"))
                except sa.exc.DBAPIError:  # already gone
                    continue
            return bool(ids)

    return kill


def loader_url(backend: str, db: Database, tag: str) -> tuple[str, str]:
    """(URL whose connections the killer can find, what the killer looks for)."""
    url = sa.make_url(db.url)
    if backend == "postgresql":
        return url.update_query_dict({"application_name": tag}).render_as_string(
            hide_password=False
        ), tag
    return db.url, str(url.database)


def _cut(kill: Callable[[], bool], delay: float, landed: list[bool]) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        landed.append(kill())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("backend", SERVERS)
@pytest.mark.parametrize("operation", ["upsert", "replace"])
def test_killed_loads_leave_the_target_unchanged(backend, operation, tmp_path, tally):
    with tf.isolated_database(backend, tmp_path) as db:
        tag = f"reliab_{uuid.uuid4().hex[:8]}"
        url, target = loader_url(backend, db, tag)
        admin = sa.create_engine(str(tf.server_url(backend)), isolation_level="AUTOCOMMIT")
        kill = killer(backend, admin, target)
        base, change = frame(ROWS // 2, 1), frame(ROWS, 2, offset=ROWS // 4)
        setup = Database(db.url)

        def load(database: Database) -> None:
            if operation == "upsert":
                database.upsert_frame(change, "target", keys=["id"])
            else:
                database.replace_table_atomically(change, "target")

        setup.upsert_frame(base, "target", keys=["id"])
        before = setup.table_checksum("target", order_by=["id"])
        start = time.perf_counter()
        load(setup)
        duration = time.perf_counter() - start
        clean = setup.table_checksum("target", order_by=["id"])
        rng = random.Random(42)
        failed_runs = 0
        for run in range(RUNS):
            setup.replace_table_atomically(base, "target")
            setup.execute("DELETE FROM target WHERE 1 = 0")
            assert setup.table_checksum("target", order_by=["id"]) == before
            loader = Database(url, connect_retries=run % 2)  # half with internal retries
            landed: list[bool] = []
            thread = _cut(kill, rng.uniform(0, duration * 1.1), landed)
            try:
                load(loader)
                outcome = "completed"
            except DatabaseError:
                outcome = "failed"
            thread.join()
            loader.dispose()
            tally.add("cases_tried")
            tally.add("faults_injected", int(any(landed)))
            now = setup.table_checksum("target", order_by=["id"])
            tally.add("rows_compared", ROWS)
            if outcome == "failed":
                failed_runs += 1
                assert now == before, f"run {run}: a failed {operation} changed the target"
                retry = Database(url)
                load(retry)  # the retry succeeds
                retry.dispose()
                now = setup.table_checksum("target", order_by=["id"])
            assert now == clean, f"run {run}: final state differs from a clean run"
        setup.dispose()
        admin.dispose()
        tally.add("failures_found", 0)
        assert failed_runs >= 1, "no kill landed inside a load: the test proved nothing"
