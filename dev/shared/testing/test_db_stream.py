"""shared.db_stream: a table replaced from parts (streamed into PostgreSQL, kept elsewhere)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from shared import db_copy_arrow
from shared.db_helper import Database, TableSchema

SCHEMA = TableSchema("t", {"id": "text", "qty": "float", "day": "date", "note": "text"}, ("id",))


def part(start: int, rows: int, version: int = 1) -> pd.DataFrame:
    ids = [f"k{i:06d}" for i in range(start, start + rows)]
    return pd.DataFrame(
        {
            "id": ids,
            "qty": np.where(np.arange(rows) % 5 == 0, np.nan, np.arange(rows) * 0.25 + version),
            "day": (np.datetime64("2024-01-01") + np.arange(rows) % 400).astype("datetime64[s]"),
            "note": [None if i % 7 == 0 else f"v{version} tab\there {i}" for i in range(rows)],
        }
    )


def reference(db: Database, parts: list[pd.DataFrame], table: str = "ref") -> str:
    db.replace_table_atomically(pd.concat(parts, ignore_index=True), table, schema=SCHEMA)
    return db.table_checksum(table, order_by=["id"])


def leftovers(db: Database) -> list[str]:
    names = db.read_sql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return sorted(n for n in names["tablename"] if str(n).startswith("_wf_"))


def test_parts_stream_into_postgresql_and_swap_in_at_commit(pg_database):
    db = pg_database
    db.replace_table_atomically(part(0, 10, version=0), "t", schema=SCHEMA)
    parts = [part(0, 3_000), part(3_000, 2_500), part(5_500, 1)]
    with db.replacing_table("t", SCHEMA) as writer:
        for frame in parts:
            writer.write(frame)
        assert db.table_checksum("t", order_by=["id"]) == reference(db, [part(0, 10, 0)], "old")
        assert writer.commit() == 5_501
    assert writer.streamed
    assert db.table_checksum("t", order_by=["id"]) == reference(db, parts)
    assert leftovers(db) == []


def test_leaving_without_commit_keeps_the_old_table(pg_database):
    db = pg_database
    db.replace_table_atomically(part(0, 10, version=0), "t", schema=SCHEMA)
    before = db.table_checksum("t", order_by=["id"])
    with (  # noqa: PT012 - the with block is what is tested
        pytest.raises(RuntimeError, match="read failed"),
        db.replacing_table("t", SCHEMA) as writer,
    ):
        writer.write(part(0, 500))
        raise RuntimeError("read failed")
    assert db.table_checksum("t", order_by=["id"]) == before
    assert leftovers(db) == []


def test_a_killed_stream_loads_the_kept_parts_at_commit(pg_database, caplog):
    db = pg_database
    parts = [part(0, 1_000), part(1_000, 1_000)]
    with db.replacing_table("t", SCHEMA) as writer:
        writer.write(parts[0])
        assert writer._stream is not None
        raw: Any = writer._stream.conn.connection.driver_connection
        pid = raw.info.backend_pid
        db.read_sql("SELECT pg_terminate_backend(:pid)", {"pid": pid})
        writer.write(parts[1])  # the broken stream is dropped, the part kept
        assert writer.commit() == 2_000
    assert not writer.streamed
    assert "streamed load stopped" in caplog.text
    assert db.table_checksum("t", order_by=["id"]) == reference(db, parts)
    assert leftovers(db) == []


def test_duplicate_keys_across_parts_end_as_replace_does_last_row_wins(pg_database):
    db = pg_database
    parts = [part(0, 100, version=1), part(50, 100, version=2)]
    with db.replacing_table("t", SCHEMA) as writer:
        for frame in parts:
            writer.write(frame)
        assert writer.commit() == 150
    assert not writer.streamed  # the COPY refused the duplicate key: the parts loaded again
    assert db.table_checksum("t", order_by=["id"]) == reference(db, parts)
    assert db.read_table("t", order_by=["id"])["note"].iloc[60].startswith("v2")


def test_restart_forgets_the_parts_written(pg_database):
    db = pg_database
    with db.replacing_table("t", SCHEMA) as writer:
        writer.write(part(0, 300, version=1))
        writer.restart()
        writer.write(part(0, 200, version=2))
        assert writer.commit() == 200
    assert writer.streamed
    assert db.table_checksum("t", order_by=["id"]) == reference(db, [part(0, 200, 2)])


def test_without_arrow_the_parts_load_at_commit(pg_database, monkeypatch):
    monkeypatch.setattr(db_copy_arrow, "ENABLED", False)
    db = pg_database
    parts = [part(0, 40), part(40, 40)]
    with db.replacing_table("t", SCHEMA) as writer:
        for frame in parts:
            writer.write(frame)
        writer.commit()
    assert not writer.streamed
    assert db.table_checksum("t", order_by=["id"]) == reference(db, parts)


def test_every_backend_ends_with_the_replace_of_all_parts(database):
    # PostgreSQL streams; SQLite and MariaDB load the kept parts at commit
    parts = [part(0, 30), part(30, 30)]
    with database.replacing_table("t", SCHEMA) as writer:
        for frame in parts:
            writer.write(frame)
        assert writer.commit() == 60
    assert writer.streamed is (database.dialect == "postgresql")
    assert database.table_checksum("t", order_by=["id"]) == reference(database, parts)


def test_an_empty_source_gives_an_empty_table(pg_database):
    with pg_database.replacing_table("t", SCHEMA) as writer:
        assert writer.commit() == 0
    assert list(pg_database.read_table("t").columns) == list(SCHEMA.columns)


def test_commit_twice_and_write_after_commit_are_refused(pg_database):
    writer = pg_database.replacing_table("t", SCHEMA)
    writer.commit()
    with pytest.raises(RuntimeError, match="after commit"):
        writer.write(part(0, 1))
    with pytest.raises(RuntimeError, match="twice"):
        writer.commit()


@pytest.mark.parametrize("committed", [True, False])
def test_a_lost_commit_answer_ends_with_the_new_table(pg_database, monkeypatch, caplog, committed):
    """The COMMIT ran (or not) on the server, then the connection died before the answer:
    committed, the writer settles it and loads nothing again; not, it loads the kept parts."""
    db = pg_database
    parts = [part(0, 500), part(500, 500)]
    dialect = db.engine.dialect
    real_commit = dialect.do_commit
    armed: list[str] = []

    def lossy_commit(dbapi_connection: Any) -> None:
        if armed == ["before_commit"]:
            armed.append("cut")
            if committed:
                real_commit(dbapi_connection)
            else:
                dbapi_connection.rollback()
            raw = getattr(dbapi_connection, "driver_connection", dbapi_connection)
            db.read_sql("SELECT pg_terminate_backend(:pid, 5000)", {"pid": raw.info.backend_pid})
            raw.execute("SELECT 1")  # raises: the server closed the connection
        real_commit(dbapi_connection)

    def arm(step: str, _conn: Any) -> None:
        if step == "before_commit" and not armed:
            armed.append(step)

    monkeypatch.setattr(dialect, "do_commit", lossy_commit)
    db._load_hook = arm
    with db.replacing_table("t", SCHEMA) as writer:
        for frame in parts:
            writer.write(frame)
        assert writer.commit() == 1_000
    db._load_hook = None
    monkeypatch.setattr(dialect, "do_commit", real_commit)
    assert armed == ["before_commit", "cut"]
    assert writer.streamed is committed  # committed: settled; not: the parts loaded again
    assert ("took effect" in caplog.text) is committed
    assert db.table_checksum("t", order_by=["id"]) == reference(db, parts)
    assert leftovers(db) == []
