"""Tests for shared.db_helper on SQLite, PostgreSQL and MariaDB (the `database` fixture)."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pymysql
import pytest
import sqlalchemy as sa

from dev.shared import test_framework as tf
from shared import db_helper as dbh
from shared.config import load_config
from shared.db_helper import Database, DatabaseError, LoadError, TableSchema

pytestmark = pytest.mark.unit

SERVERS = [b for b in tf.available_backends() if b != "sqlite"]

# Real-world column names: spaces, slashes, quotes of every dialect, parentheses, semicolons,
# comment markers, reserved words, driver placeholder characters and non-ASCII letters.
NASTY = [
    "order",
    "select",
    "group",
    "Unit Price (EUR)",
    "a/b",
    "O'Brien",
    'say "hi"',
    "back`tick",
    "semi;colon",
    "x -- y",
    "50% off",
    ":name",
    "why?",
    "Größe",
    "[bracket]",
    "/* c */",
]


NO_SERVER: Any = pytest.param(
    "none",
    marks=pytest.mark.skip(
        reason="no PostgreSQL/MariaDB URL set (CI sets DATABASE_URL and MARIADB_URL)"
    ),
)


@pytest.fixture(params=SERVERS or [NO_SERVER])
def server_database(request, tmp_path):
    """An isolated PostgreSQL or MariaDB database (the backends with real connections)."""
    with tf.isolated_database(request.param, tmp_path) as db:
        yield db


def every_type_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "plain_int": np.array([1, -2, 2**62], dtype="int64"),
            "nullable_int": pd.array([1, None, 3], dtype="Int64"),
            "float_with_nan": [0.1, np.nan, 1 / 3],
            "numpy_bool": np.array([True, False, True]),
            "nullable_bool": pd.array([True, None, False], dtype="boolean"),
            "naive_ts": pd.to_datetime(
                pd.Series(["2024-01-01 10:00:00.123456", None, "1999-12-31 23:59:59"]),
                format="ISO8601",
            ),
            "aware_ts": pd.to_datetime(
                pd.Series(["2024-06-01 12:00", "2024-01-01 00:30", None]), format="ISO8601"
            ).dt.tz_localize("Europe/Madrid"),
            "day": [dt.date(2024, 2, 29), None, dt.date(1900, 1, 1)],
            "amount": [Decimal("12.34"), None, Decimal("-0.0001")],
            "doc": [{"b": [1, 2.5, None], "a": "ñ"}, None, ["x", {"y": True}]],
            "label": ["ñandú 🦆", None, "line\nbreak\ttab 'quote' \"dq\" \\ back"],
        }
    )


def expected_every_type() -> pd.DataFrame:
    """What read_table returns for every_type_frame(): the same dtypes on every backend."""
    source = every_type_frame()
    return pd.DataFrame(
        {
            "id": source["id"].astype("str"),
            "plain_int": source["plain_int"].astype("Int64"),
            "nullable_int": source["nullable_int"],
            "float_with_nan": source["float_with_nan"],
            "numpy_bool": source["numpy_bool"].astype("boolean"),
            "nullable_bool": source["nullable_bool"],
            "naive_ts": source["naive_ts"].astype("datetime64[us]"),
            "aware_ts": source["aware_ts"]
            .dt.tz_convert("UTC")
            .dt.tz_localize(None)
            .astype("datetime64[us]"),
            "day": pd.to_datetime(source["day"]).astype("datetime64[us]"),
            "amount": source["amount"].astype(object),
            "doc": source["doc"],
            "label": source["label"].astype("str"),
        }
    )


def tables_in(db: Database) -> set[str]:
    sql = {
        "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
        "mysql": "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    }[db.dialect]
    return set(db.read_sql(sql).iloc[:, 0])


def kill_connection(db: Database, conn: sa.Connection) -> None:
    """Drop a load's connection from the server side, the way an admin or a failover does."""
    raw: Any = conn.connection.driver_connection
    if db.dialect == "postgresql":
        db.read_sql("SELECT pg_terminate_backend(:pid)", {"pid": raw.info.backend_pid})
    else:
        db.execute(f"KILL {int(raw.thread_id())}")


def make_items(n: int, version: int, start: int = 0) -> pd.DataFrame:
    keys = [f"k{i:07d}" for i in range(start, start + n)]
    return pd.DataFrame(
        {
            "id": pd.Series(keys, dtype="str"),
            "qty": np.arange(n) % 97 + version,
            "note": pd.Series([f"v{version}"] * n, dtype="str"),
        }
    )


# ----------------------------------------------------------------------------- round trips


def test_every_type_round_trips(database):
    database.upsert_frame(every_type_frame(), "typed", ["id"])
    assert database.columns("typed") == {
        "id": "text",
        "plain_int": "int",
        "nullable_int": "int",
        "float_with_nan": "float",
        "numpy_bool": "bool",
        "nullable_bool": "bool",
        "naive_ts": "timestamp",
        "aware_ts": "timestamp",
        "day": "date",
        "amount": "decimal",
        "doc": "json",
        "label": "text",
    }
    back = database.read_table("typed", order_by=["id"])
    tf.assert_frames_equal(back, expected_every_type(), check_dtype=True)
    assert back.loc[1].isna().sum() == 8  # every NaN/None/NaT/NA became NULL


def test_checksum_is_the_same_on_every_backend(database, tmp_path):
    with tf.isolated_database("sqlite", tmp_path / "reference") as reference:
        reference.upsert_frame(every_type_frame(), "typed", ["id"])
        expected = reference.table_checksum("typed")
    database.upsert_frame(every_type_frame(), "typed", ["id"])
    assert database.table_checksum("typed") == expected


def test_checksum_ignores_row_order_and_sees_every_change(sqlite_database):
    frame = every_type_frame()
    sqlite_database.upsert_frame(frame, "a", ["id"])
    sqlite_database.upsert_frame(frame.iloc[::-1], "b", ["id"])
    assert sqlite_database.table_checksum("a") == sqlite_database.table_checksum(
        "b", order_by=["id"]
    )
    changed = frame.copy()
    changed["doc"] = [*frame["doc"][:2], ["x", {"y": False}]]
    sqlite_database.upsert_frame(changed, "b", ["id"])
    assert sqlite_database.table_checksum("a") != sqlite_database.table_checksum("b")


def test_values_are_converted_by_the_table_column_types(database):
    database.ensure_table(
        TableSchema(
            "conv",
            {
                "id": "int",
                "n": "int",
                "x": "float",
                "flag": "bool",
                "day": "date",
                "ts": "timestamp",
                "amount": "decimal",
                "label": "text",
            },
            ("id",),
        )
    )
    frame = pd.DataFrame(
        {
            "id": ["1", "2"],
            "n": [3.0, None],
            "x": ["1.5", None],
            "flag": [1, 0],
            "day": ["2024-01-02", pd.NaT],
            "ts": ["2024-01-02T03:04:05+01:00", "2024-01-02 00:00:00"],
            "amount": pd.Series([np.float64(1.1), 7], dtype=object),
            "label": pd.Series([12, None], dtype=object),
        }
    )
    database.upsert_frame(frame, "conv", ["id"])
    back = database.read_table("conv", order_by=["id"])
    assert back["id"].tolist() == [1, 2]
    assert back["n"].isna().tolist() == [False, True]
    assert back["n"].tolist()[0] == 3
    assert back["x"].tolist()[0] == 1.5
    assert back["flag"].tolist() == [True, False]
    assert back["day"].tolist()[0] == pd.Timestamp("2024-01-02")
    assert back["ts"].tolist() == [pd.Timestamp("2024-01-02 02:04:05"), pd.Timestamp("2024-01-02")]
    assert back["amount"].tolist() == [Decimal("1.1"), Decimal(7)]
    assert back["label"].tolist()[0] == "12"


@pytest.mark.parametrize(
    ("column", "kind", "bad", "expected"),
    [
        ("n", "int", "abc", "an integer"),
        ("n", "int", 2.5, "a whole number"),
        ("x", "float", "1,5", "a number"),
        ("flag", "bool", "yes", "a boolean"),
        ("day", "date", "31/02/2024", "a date"),
        ("ts", "timestamp", "noon", "a timestamp"),
        ("amount", "decimal", "1.2.3", "a decimal number"),
    ],
)
def test_bad_values_are_rejected_naming_row_and_column(
    sqlite_database, column, kind, bad, expected
):
    good = {
        "int": 1,
        "float": 1.0,
        "bool": True,
        "date": "2024-01-01",
        "timestamp": "2024-01-01 00:00",
        "decimal": "1",
    }[kind]
    frame = pd.DataFrame(
        {"id": ["a", "b", "c"], column: [good, good, bad]}, index=[10, 11, 12]
    ).astype({column: object})
    schema = TableSchema("t", {"id": "text", column: kind}, ("id",))
    with pytest.raises(LoadError, match=rf"t\.{column}: row 12 holds .*not {expected}"):
        sqlite_database.upsert_frame(frame, "t", ["id"], schema=schema)
    assert not sqlite_database.table_exists("t")


def test_from_frame_infers_portable_types():
    frame = every_type_frame().assign(
        cat=pd.Categorical(["x", "y", "x"]),
        ints_in_objects=pd.Series([1, None, 2], dtype=object),
        floats=pd.Series([1.5, 2, None], dtype=object),
        empty=pd.Series([None] * 3, dtype=object),
    )
    schema = TableSchema.from_frame(frame, "t", ["id"])
    assert schema.primary_key == ("id",)
    assert schema.columns == {
        "id": "text",
        "plain_int": "int",
        "nullable_int": "int",
        "float_with_nan": "float",
        "numpy_bool": "bool",
        "nullable_bool": "bool",
        "naive_ts": "timestamp",
        "aware_ts": "timestamp",
        "day": "date",
        "amount": "decimal",
        "doc": "json",
        "label": "text",
        "cat": "text",
        "ints_in_objects": "int",
        "floats": "float",
        "empty": "text",
    }


def test_from_frame_rejects_dtypes_without_a_column_type():
    with pytest.raises(DatabaseError, match=r"t\.wait: dtype timedelta64.*convert it"):
        TableSchema.from_frame(pd.DataFrame({"wait": pd.to_timedelta([1], unit="s")}), "t")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": {"a": "varchar"}}, "unknown column type"),
        ({"columns": {"a": "int"}, "primary_key": ("b",)}, r"\['b'\] are not among its columns"),
        ({"columns": {"a": "int"}, "indexes": (("a", "c"),)}, r"\['c'\] are not among"),
    ],
)
def test_table_schema_rejects_bad_definitions(kwargs, message):
    with pytest.raises(DatabaseError, match=message):
        TableSchema("t", **kwargs)


# ----------------------------------------------------------------------------- upserts


def test_upsert_inserts_updates_and_keeps_the_last_duplicate(database, caplog):
    database.upsert_frame(make_items(5, version=1), "items", ["id"])
    batch = pd.concat(
        [
            make_items(3, version=2, start=3),  # k3, k4 update; k5 new
            make_items(1, version=9, start=4),
        ]
    )  # k4 again: this one wins
    with caplog.at_level(logging.WARNING, logger="shared.db_helper"):
        result = database.upsert_frame(batch, "items", ["id"])
    assert (result.table, result.rows, result.duplicates_dropped) == ("items", 3, 1)
    assert result.seconds > 0
    assert "1 row(s) repeat the key of a later row" in caplog.text
    assert "k0000004" in caplog.text
    back = database.read_table("items", order_by=["id"])
    assert back["id"].tolist() == [f"k{i:07d}" for i in range(6)]
    assert back["note"].tolist() == ["v1", "v1", "v1", "v2", "v9", "v2"]
    assert back["qty"].tolist() == [1, 2, 3, 2, 9, 4]


def test_upsert_of_the_same_frame_changes_nothing(database):
    frame = make_items(50, version=1)
    database.upsert_frame(frame, "items", ["id"])
    before = database.table_checksum("items")
    assert database.upsert_frame(frame, "items", ["id"]).rows == 50
    assert database.table_checksum("items") == before


def test_upsert_with_composite_keys_and_only_key_columns(database):
    frame = pd.DataFrame({"a": [1, 1, 2], "b": ["x", "y", "x"]})
    database.upsert_frame(frame, "pairs", ["a", "b"])
    database.upsert_frame(pd.concat([frame, frame]), "pairs", ["a", "b"])
    assert len(database.read_table("pairs")) == 3
    database.upsert_frame(
        frame.assign(v=[1.0, 2.0, 3.0]).iloc[:0],
        "pairs",
        ["a", "b"],
        schema=TableSchema("pairs", {"a": "int", "b": "text", "v": "float"}, ("a", "b")),
    )
    assert database.columns("pairs") == {"a": "int", "b": "text", "v": "float"}


def test_upsert_leaves_columns_missing_from_the_frame_alone(database):
    database.upsert_frame(make_items(3, version=1), "items", ["id"])
    database.upsert_frame(pd.DataFrame({"id": ["k0000001"], "qty": [42]}), "items", ["id"])
    back = database.read_table("items", order_by=["id"])
    assert back["qty"].tolist() == [1, 42, 3]
    assert back["note"].tolist() == ["v1", "v1", "v1"]


def test_upsert_of_an_empty_frame_creates_the_table(database):
    result = database.upsert_frame(make_items(0, version=1), "empty", ["id"])
    assert result.rows == 0
    assert database.table_exists("empty")
    assert len(database.read_table("empty")) == 0


@pytest.mark.parametrize(
    ("frame", "keys", "message"),
    [
        (
            pd.DataFrame({"id": ["a", None], "x": [1, 2]}, index=[7, 8]),
            ["id"],
            r"1 row\(s\) have an empty key \['id'\] \(first: row 8\)",
        ),
        (pd.DataFrame({"id": ["a"]}), ["nope"], r"key column\(s\) \['nope'\] are not in the frame"),
        (pd.DataFrame([[1, 2]], columns=["id", "id"]), ["id"], r"repeats column\(s\) \['id'\]"),
        (pd.DataFrame({"id": ["a"]}), [], "needs key column"),
    ],
)
def test_upsert_rejects_unusable_frames(sqlite_database, frame, keys, message):
    with pytest.raises(LoadError, match=message):
        sqlite_database.upsert_frame(frame, "t", keys)
    assert not sqlite_database.table_exists("t")


def test_upsert_rejects_columns_the_table_lacks(database):
    database.upsert_frame(make_items(2, version=1), "items", ["id"])
    with pytest.raises(LoadError, match=r"no column\(s\) \['extra'\]; add them with ensure_table"):
        database.upsert_frame(make_items(2, version=2).assign(extra=1), "items", ["id"])


# ----------------------------------------------------------------------------- identifiers


def test_nasty_identifiers_work_everywhere(database):
    table = "Order Lines / 2024 'Q1' \"final\" `v2` (copy); -- select"
    frame = pd.DataFrame({name: [f"{i}-{name}" for i in range(3)] for name in NASTY})
    database.upsert_frame(frame, table, ["order", "Unit Price (EUR)"])
    database.upsert_frame(frame.assign(group=["changed"] * 3), table, ["order", "Unit Price (EUR)"])
    back = database.read_table(table, order_by=["order"])
    assert list(back.columns) == NASTY
    assert back["group"].tolist() == ["changed"] * 3
    assert back["50% off"].tolist() == [f"{i}-50% off" for i in range(3)]
    added = database.ensure_table(
        TableSchema(table, {**dict.fromkeys(NASTY, "text"), "new; column --": "int"})
    )
    assert added == ["new; column --"]
    assert database.replace_table_atomically(frame.iloc[:2], table) == 2
    assert database.read_table(table)["select"].tolist() == ["0-select", "1-select"]
    assert database.table_checksum(table)


@pytest.mark.parametrize(
    "evil",
    [
        'x"; DROP TABLE victim; --',
        "x`; DROP TABLE victim; --",
        "x]; DROP TABLE victim; --",
        "x'); DROP TABLE victim; --",
        'victim"--',
        "x` (`a` int); DROP TABLE victim; --",
    ],
)
def test_injection_through_identifiers_does_no_harm(database, evil):
    database.upsert_frame(make_items(2, version=1), "victim", ["id"])
    before = database.table_checksum("victim")
    frame = pd.DataFrame({"id": ["a"], evil: ["'); DROP TABLE victim; --"]})
    database.upsert_frame(frame, evil, ["id"])
    database.replace_table_atomically(frame, evil)
    database.ensure_table(TableSchema(evil, {"id": "text", evil: "text", f"{evil}2": "int"}))
    assert database.table_checksum("victim") == before
    assert evil in tables_in(database)
    assert database.read_table(evil)[evil].tolist() == ["'); DROP TABLE victim; --"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "non-empty strings"),
        ("a\x00b", "NUL character"),
    ],
)
def test_unusable_identifiers_are_rejected(database, name, message):
    with pytest.raises(DatabaseError, match=message):
        database.upsert_frame(pd.DataFrame({"id": [1], name: [2]}), "t", ["id"])
    with pytest.raises(DatabaseError, match=message):
        database.quote(name)
    assert not database.table_exists("t")


def test_identifiers_over_the_dialect_limit_are_rejected(database):
    limit = {"postgresql": 63, "mysql": 64, "sqlite": None}[database.dialect]
    if limit is None:  # SQLite has no name limit: a long name simply works
        database.upsert_frame(pd.DataFrame({"id": [1], "c" * 300: [2]}), "t" * 300, ["id"])
        assert database.columns("t" * 300) == {"id": "int", "c" * 300: "int"}
        return
    database.upsert_frame(pd.DataFrame({"id": [1], "c" * limit: [2]}), "t", ["id"])
    with pytest.raises(DatabaseError, match=rf"is {limit + 1} .* at most {limit}: shorten it"):
        database.upsert_frame(pd.DataFrame({"id": [1], "c" * (limit + 1): [2]}), "u", ["id"])
    if database.dialect == "postgresql":  # the limit is in bytes: 32 two-byte letters = 64
        with pytest.raises(DatabaseError, match="is 64 bytes"):
            database.quote("ñ" * 32)


def test_mariadb_rejects_names_it_cannot_store(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    db.dialect, db._spec = "mysql", dbh._DIALECTS["mysql"]  # naming rules need no server
    for name in ("trailing ", "duck 🦆"):
        with pytest.raises(DatabaseError, match="cannot: rename it"):
            db.quote(name)
    assert db.quote("a`b") == "`a``b`"
    db.dispose()


def test_non_string_column_names_are_rejected(sqlite_database):
    with pytest.raises(DatabaseError, match=r"identifier 0 is not usable"):
        sqlite_database.upsert_frame(pd.DataFrame({"id": [1], 0: [2]}), "t", ["id"])


# ----------------------------------------------------------------------------- failures


def checked_table(db: Database, rows: int = 20) -> str:
    """A table whose CHECK constraint the server enforces, holding `rows` rows."""
    q = db.quote
    key = "VARCHAR(40)" if db.dialect == "mysql" else "TEXT"
    db.execute(
        f"CREATE TABLE {q('stock')} ({q('id')} {key} PRIMARY KEY, "
        f"{q('qty')} BIGINT CHECK ({q('qty')} >= 0), {q('note')} TEXT)"
    )
    db.upsert_frame(make_items(rows, version=1), "stock", ["id"])
    return db.table_checksum("stock")


def test_a_bad_late_row_leaves_the_target_unchanged(database):
    before = checked_table(database)
    batch = make_items(5000, version=2)  # 20 updates, 4980 inserts ...
    batch.loc[4990, "qty"] = -1  # ... and a bad value near the end
    with pytest.raises(LoadError, match=r"upsert into 'stock' failed: .*the table is unchanged"):
        database.upsert_frame(batch, "stock", ["id"])
    assert database.table_checksum("stock") == before


def test_a_bad_value_in_a_later_chunk_rolls_back_the_chunks_already_sent(database, monkeypatch):
    before = checked_table(database)
    monkeypatch.setattr(dbh, "_CHUNK_ROWS", 1000)  # rows are converted and sent 1,000 at a time
    batch = make_items(5000, version=2).astype({"qty": object})
    batch.loc[4500, "qty"] = "lots"
    with pytest.raises(LoadError, match=r"stock\.qty: row 4500 holds 'lots', which is not an int"):
        database.upsert_frame(batch, "stock", ["id"])
    assert database.table_checksum("stock") == before


def test_a_bad_late_row_into_an_empty_table_leaves_it_empty(database):
    checked_table(database, rows=0)
    batch = make_items(3000, version=2)
    batch.loc[2999, "qty"] = -5
    with pytest.raises(LoadError) as raised:
        database.upsert_frame(batch, "stock", ["id"])
    if database.dialect == "postgresql":  # COPY tells the row and column
        assert "at frame row 2999 (position 2999)" in str(raised.value)
    assert len(database.read_table("stock")) == 0


def test_a_failed_replace_keeps_the_old_table_and_leaves_nothing_behind(database):
    before = checked_table(database)
    tables = tables_in(database)
    batch = make_items(4000, version=3)
    batch.loc[3990, "qty"] = -1
    with pytest.raises(LoadError, match=r"replace 'stock' failed"):
        database.replace_table_atomically(batch, "stock")
    assert database.table_checksum("stock") == before
    assert tables_in(database) == tables


def test_a_failure_after_creating_the_table_leaves_no_table(database):
    def boom(step, conn):
        if step == "before_commit":
            raise RuntimeError("disk full")

    database._load_hook = boom
    with pytest.raises(LoadError, match="upsert into 'fresh' failed: disk full"):
        database.upsert_frame(make_items(10, version=1), "fresh", ["id"])
    assert "fresh" not in tables_in(database)


@pytest.mark.parametrize("step", ["before_commit", "copy_written"])
def test_a_dropped_connection_leaves_the_target_unchanged(server_database, step):
    db = server_database
    if step == "copy_written" and db.dialect != "postgresql":
        step = "before_commit"  # MariaDB has no COPY: drop it at the end of the load instead
    db.connect_retries = 0
    before = checked_table(db)

    def drop(name, conn):
        if name == step:
            kill_connection(db, conn)

    db._load_hook = drop
    with pytest.raises(LoadError, match="the table is unchanged") as raised:
        db.upsert_frame(make_items(2000, version=2), "stock", ["id"])
    assert raised.value.__cause__ is not None
    assert dbh._is_transient(raised.value.__cause__)
    db._load_hook = None
    assert db.table_checksum("stock") == before


def test_a_dropped_connection_is_retried_from_the_start(server_database, caplog):
    db = server_database
    db.connect_retries, db.retry_backoff = 2, 0.01
    checked_table(db)
    drops: list[str] = []

    def drop_once(name, conn):
        if name == "before_commit" and not drops:
            drops.append(name)
            kill_connection(db, conn)

    db._load_hook = drop_once
    with caplog.at_level(logging.WARNING, logger="shared.db_helper"):
        result = db.upsert_frame(make_items(2000, version=2), "stock", ["id"])
    assert drops == ["before_commit"]
    assert result.rows == 2000
    assert "retrying the transaction" in caplog.text
    db._load_hook = None
    expected = make_items(2000, version=2)
    back = db.read_table("stock", order_by=["id"])
    assert back["qty"].tolist() == expected["qty"].tolist()


def test_a_replace_retried_after_a_dropped_connection_leaves_nothing_behind(server_database):
    db = server_database
    db.connect_retries, db.retry_backoff = 2, 0.01
    before = checked_table(db)
    tables = tables_in(db)
    drops: list[str] = []

    def drop_once(step, conn):
        if step in ("before_commit", "before_swap") and not drops:
            drops.append(step)
            kill_connection(db, conn)

    db._load_hook = drop_once
    assert db.replace_table_atomically(make_items(30, version=4), "stock") == 30
    db._load_hook = None
    assert drops
    assert tables_in(db) == tables
    assert db.table_checksum("stock") != before
    assert db.read_table("stock")["note"].tolist() == ["v4"] * 30


def test_postgres_backend_terminated_mid_copy_by_another_session(pg_database):
    """A second session kills the load's backend while its COPY is running."""
    db = pg_database
    db.connect_retries = 0
    db.upsert_frame(make_items(10, version=1), "big", ["id"])
    before = db.table_checksum("big")
    pid: list[int] = []
    done = threading.Event()
    killed: list[bool] = []

    def killer():
        watcher = Database(db.url)
        sql = (
            "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE pid = :pid "
            "AND state = 'active' AND query ILIKE 'COPY%'"
        )
        while not done.is_set() and not killed:
            if pid and len(watcher.read_sql(sql, {"pid": pid[0]})):
                killed.append(True)
            time.sleep(0.002)
        watcher.dispose()

    def remember_backend(step, conn):
        if step == "begin":
            pid.append(conn.connection.driver_connection.info.backend_pid)

    db._load_hook = remember_backend
    thread = threading.Thread(target=killer)
    thread.start()
    try:
        with pytest.raises(LoadError, match="the table is unchanged"):
            db.upsert_frame(make_items(300_000, version=2), "big", ["id"])
    finally:
        done.set()
        thread.join()
    assert killed
    db._load_hook = None
    assert db.table_checksum("big") == before


# ----------------------------------------------------------------------------- ambiguous commits
# The server finished the replace but the client lost the answer: the call must report what
# happened (success, the new table), not an error over a changed table, and never swap twice.


@pytest.fixture
def my_database(tmp_path):
    if "mariadb" not in SERVERS:
        pytest.skip("no MariaDB URL set (CI sets MARIADB_URL)")
    with tf.isolated_database("mariadb", tmp_path) as db:
        yield db


def wf_tables(db: Database) -> list[str]:
    return sorted(t for t in tables_in(db) if t.startswith("_wf_"))


@pytest.mark.parametrize("retries", [0, 2])
@pytest.mark.parametrize("cut", ["answer_lost", "drop_cut"])
def test_a_mariadb_swap_whose_answer_is_lost_reports_success(my_database, cut, retries, caplog):
    """The connection dies right after the server ran the RENAME: the load did complete."""
    db = my_database
    db.connect_retries, db.retry_backoff = retries, 0.01
    checked_table(db)
    tables = tables_in(db)
    steps: list[str] = []

    def cut_after_swap(step, conn):
        steps.append(step)
        if step == "after_swap" and steps.count(step) == 1:
            kill_connection(db, conn)
            if cut == "answer_lost":  # as if the RENAME's OK packet never arrived
                raise pymysql.err.OperationalError(2013, "Lost connection to MySQL server")
            # else: the DROP of the old table that follows fails on the dead connection

    db._load_hook = cut_after_swap
    with caplog.at_level(logging.WARNING, logger="shared.db_helper"):
        assert db.replace_table_atomically(make_items(30, version=4), "stock") == 30
    db._load_hook = None
    assert steps == ["before_swap", "after_swap"]  # settled, not retried: one swap only
    assert "it took effect" in caplog.text
    assert "retrying" not in caplog.text
    assert db.read_table("stock", order_by=["id"])["note"].tolist() == ["v4"] * 30
    assert tables_in(db) == tables  # the old table is dropped, nothing left behind


def test_a_mariadb_swap_of_a_new_table_whose_answer_is_lost_reports_success(my_database):
    db = my_database
    db.connect_retries = 0

    def cut_after_swap(step, conn):
        if step == "after_swap":
            kill_connection(db, conn)
            raise pymysql.err.OperationalError(2013, "Lost connection to MySQL server")

    db._load_hook = cut_after_swap
    assert db.replace_table_atomically(make_items(5, version=2), "brand_new") == 5
    db._load_hook = None
    assert len(db.read_table("brand_new")) == 5
    assert wf_tables(db) == []


@pytest.mark.parametrize("retries", [0, 2])
def test_a_replace_cut_before_the_swap_fails_or_retries_cleanly(server_database, retries):
    db = server_database
    db.connect_retries, db.retry_backoff = retries, 0.01
    before = checked_table(db)
    tables = tables_in(db)
    step = "before_swap" if db.dialect == "mysql" else "before_commit"
    cuts: list[str] = []

    def cut_before_swap(name, conn):
        if name == step and not cuts:
            cuts.append(name)
            kill_connection(db, conn)

    db._load_hook = cut_before_swap
    if retries:
        assert db.replace_table_atomically(make_items(30, version=4), "stock") == 30
        db._load_hook = None
        assert db.read_table("stock")["note"].tolist() == ["v4"] * 30
    else:
        with pytest.raises(LoadError, match="the table is unchanged"):
            db.replace_table_atomically(make_items(30, version=4), "stock")
        db._load_hook = None
        assert db.table_checksum("stock") == before
    assert cuts == [step]
    assert tables_in(db) == tables


@pytest.mark.parametrize("retries", [0, 2])
@pytest.mark.parametrize("committed", [True, False])
def test_a_postgres_replace_whose_commit_answer_is_lost_is_settled(
    pg_database, monkeypatch, committed, retries, caplog
):
    """The COMMIT ran (or not) on the server, then the connection died before the answer."""
    db = pg_database
    db.connect_retries, db.retry_backoff = retries, 0.01
    before = checked_table(db)
    tables = tables_in(db)
    dialect = db.engine.dialect
    real_commit = dialect.do_commit
    armed: list[str] = []

    def lossy_commit(dbapi_connection):
        if armed and len(armed) == 1:
            armed.append("cut")
            if committed:
                real_commit(dbapi_connection)
            else:
                dbapi_connection.rollback()
            raw = getattr(dbapi_connection, "driver_connection", dbapi_connection)
            db.read_sql("SELECT pg_terminate_backend(:pid, 5000)", {"pid": raw.info.backend_pid})
            raw.execute("SELECT 1")  # raises: the server closed the connection
        real_commit(dbapi_connection)

    def arm(step, conn):
        if step == "before_commit":
            armed.append(step)

    monkeypatch.setattr(dialect, "do_commit", lossy_commit)
    db._load_hook = arm
    with caplog.at_level(logging.WARNING, logger="shared.db_helper"):
        if committed or retries:
            assert db.replace_table_atomically(make_items(30, version=4), "stock") == 30
        else:
            with pytest.raises(LoadError, match="the table is unchanged") as raised:
                db.replace_table_atomically(make_items(30, version=4), "stock")
            cause = raised.value.__cause__
            assert cause is not None
            assert dbh._is_transient(cause)
    db._load_hook = None
    monkeypatch.setattr(dialect, "do_commit", real_commit)
    assert armed[:2] == ["before_commit", "cut"]
    if committed:
        assert armed == ["before_commit", "cut"]  # settled as committed: never run again
        assert "it took effect" in caplog.text
    if committed or retries:
        assert db.read_table("stock")["note"].tolist() == ["v4"] * 30
    else:
        assert db.table_checksum("stock") == before
    assert tables_in(db) == tables


def test_retries_give_up_with_a_clear_error(caplog):
    db = Database(
        "postgresql+psycopg://postgres@127.0.0.1:1/none", connect_retries=2, retry_backoff=0.001
    )
    with (
        caplog.at_level(logging.WARNING, logger="shared.db_helper"),
        pytest.raises(LoadError, match=r"upsert into 't' failed after 3 attempts: .*refused"),
    ):
        db.upsert_frame(make_items(1, version=1), "t", ["id"])
    assert caplog.text.count("retrying the transaction") == 2
    db.dispose()


def test_statements_that_may_have_run_are_not_retried(sqlite_database):
    calls = []

    def work(conn):
        calls.append(1)
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(DatabaseError, match="database is locked"):
        sqlite_database._run(work, what="statement", idempotent=False)
    assert len(calls) == 1
    sqlite_database.retry_backoff = 0.001
    with pytest.raises(DatabaseError, match="after 4 attempts"):
        sqlite_database._run(work, what="query", idempotent=True)
    assert len(calls) == 5


def test_a_settled_attempt_is_not_run_again_and_an_unsettled_one_says_so(sqlite_database):
    db = sqlite_database
    db.connect_retries, db.retry_backoff = 2, 0.001
    calls: list[str] = []

    def work(conn):
        calls.append("work")
        raise sqlite3.OperationalError("database is locked")

    def took_effect():
        calls.append("settle")
        return 7

    assert db._run(work, what="load", idempotent=True, settle=took_effect) == 7
    assert calls == ["work", "settle"]

    def server_away():
        calls.append("settle")
        raise sqlite3.OperationalError("database is locked")

    calls.clear()
    with pytest.raises(DatabaseError, match="could not tell whether it took effect") as raised:
        db._run(work, what="load", idempotent=True, error=LoadError, settle=server_away)
    assert not isinstance(raised.value, LoadError)  # it does not claim the table is unchanged
    assert calls == ["work", "settle", "settle", "settle"]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query"), True),
        (pymysql.err.OperationalError(2006, "MySQL server has gone away"), True),
        (pymysql.err.IntegrityError(1062, "Duplicate entry"), False),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: t"), False),
        (
            sa.exc.OperationalError(
                "SELECT 1",
                {},
                psycopg.OperationalError("server closed the connection unexpectedly"),
            ),
            True,
        ),
        (sa.exc.DBAPIError("SELECT 1", {}, Exception("x"), connection_invalidated=True), True),
        (ValueError("bad"), False),
    ],
)
def test_transient_errors_are_told_apart(error, transient):
    assert dbh._is_transient(error) is transient


# ----------------------------------------------------------------------------- PostgreSQL paths


def test_postgres_falls_back_when_rows_appear_during_the_load(pg_database):
    db = pg_database
    db.upsert_frame(make_items(0, version=1), "items", ["id"])

    def sneak_in(step, conn):
        if step == "target_empty":
            other = Database(db.url)
            other.upsert_frame(make_items(1, version=7, start=2), "items", ["id"])
            other.dispose()

    db._load_hook = sneak_in
    db.upsert_frame(make_items(5, version=2), "items", ["id"])
    assert db.read_table("items", order_by=["id"])["note"].tolist() == ["v2"] * 5


def test_postgres_big_updates_get_hash_memory_for_their_transaction_only(pg_database):
    db = pg_database
    setting = "SELECT setting::int FROM pg_settings WHERE name = 'work_mem'"  # kB
    default_kb = int(db.read_sql(setting).iloc[0, 0])
    db.upsert_frame(make_items(40_000, version=1), "items", ["id"])
    seen: list[int] = []

    def look(step, conn):
        if step == "before_commit":
            seen.append(conn.exec_driver_sql(setting).scalar())

    db._load_hook = look
    db.upsert_frame(make_items(40_000, version=2), "items", ["id"])  # every row changes
    db._load_hook = None
    assert seen == [max(default_kb, 40_000 * 160 // 1024)]  # raised, never lowered
    assert int(db.read_sql(setting).iloc[0, 0]) == default_kb  # for that transaction only
    back = db.read_table("items", order_by=["id"])
    assert back["qty"].tolist() == make_items(40_000, version=2)["qty"].tolist()


def test_postgres_types_without_binary_copy_use_text_copy(pg_database):
    db = pg_database
    db.execute(
        "CREATE TABLE odd (id uuid PRIMARY KEY, span interval, at timestamptz, "
        "tags text[], price real, small smallint, code varchar(5), doc json)"
    )
    frame = pd.DataFrame(
        {
            "id": ["6f1c1d7e-9a39-4d2b-a3c5-1b2f3c4d5e6f"],
            "span": ["1 day"],
            "at": [pd.Timestamp("2024-01-01 12:00", tz="UTC")],
            "tags": ["{a,b}"],
            "price": [1.5],
            "small": [3],
            "code": ["abc"],
            "doc": [{"k": [1]}],
        }
    )
    db.upsert_frame(frame, "odd", ["id"])
    db.upsert_frame(frame.assign(code="xyz"), "odd", ["id"])
    back = db.read_table("odd")
    assert db.columns("odd")["span"] == "interval"
    assert back["code"].tolist() == ["xyz"]
    assert back["at"].tolist() == [pd.Timestamp("2024-01-01 12:00")]
    assert back["doc"].tolist() == [{"k": [1]}]


def test_postgres_binary_copy_into_timestamptz_stores_utc(pg_database):
    db = pg_database
    db.execute("CREATE TABLE tz (id int PRIMARY KEY, at timestamptz, n int4, r real)")
    at = pd.Timestamp("2024-06-01 12:00", tz="Europe/Madrid")
    db.upsert_frame(pd.DataFrame({"id": [1], "at": [at], "n": [5], "r": [0.5]}), "tz", ["id"])
    value = db.read_sql("SELECT at AT TIME ZONE 'UTC' AS at FROM tz")["at"][0]
    assert value == dt.datetime(2024, 6, 1, 10, 0)


def test_postgres_replace_keeps_keys_indexes_and_index_names(pg_database):
    db = pg_database
    schema = TableSchema(
        "board", {"id": "text", "name": "text", "n": "int"}, ("id",), indexes=(("name",),)
    )
    db.replace_table_atomically(
        make_items(3, 1).rename(columns={"qty": "n", "note": "name"}), "board", schema=schema
    )
    for version in (2, 3):
        db.replace_table_atomically(
            make_items(4, version).rename(columns={"qty": "n", "note": "name"}), "board"
        )
    names = set(
        db.read_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'board'").iloc[:, 0]
    )
    assert names == {"board_pkey", "board_name_idx"}
    db.upsert_frame(pd.DataFrame({"id": ["k0000000"], "name": ["x"], "n": [0]}), "board", ["id"])
    assert len(db.read_table("board")) == 4


# ----------------------------------------------------------------------------- replace


def test_replace_creates_replaces_and_follows_a_new_schema(database):
    assert database.replace_table_atomically(make_items(3, 1), "board") == 3
    assert database.columns("board") == {"id": "text", "qty": "int", "note": "text"}
    assert database.replace_table_atomically(make_items(2, 2), "board") == 2
    assert database.read_table("board", order_by=["id"])["note"].tolist() == ["v2", "v2"]
    schema = TableSchema("board", {"id": "text", "label": "text"}, ("id",))
    frame = pd.DataFrame({"id": ["a", "b", "a"], "label": ["1", "2", "3"]})
    assert database.replace_table_atomically(frame, "board", schema=schema) == 2
    assert database.columns("board") == {"id": "text", "label": "text"}
    assert database.read_table("board", order_by=["id"])["label"].tolist() == ["3", "2"]
    assert database.replace_table_atomically(frame.iloc[:0], "board") == 0
    assert len(database.read_table("board")) == 0


def test_readers_see_the_old_or_the_new_table_never_a_half(database):
    q = database.quote
    old, new = make_items(300, version=1), make_items(500, version=2)
    database.replace_table_atomically(old, "live")
    sql = f"SELECT COUNT(*) AS n, MIN({q('note')}) AS lo, MAX({q('note')}) AS hi FROM {q('live')}"
    seen, errors, stop = set(), [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                row = database.read_sql(sql).iloc[0]
                seen.add((int(row["n"]), row["lo"], row["hi"]))
            except DatabaseError as exc:  # pragma: no cover - reported below
                errors.append(str(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for frame in (new, old, new, old, new):
            database.replace_table_atomically(frame, "live")
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert seen <= {(300, "v1", "v1"), (500, "v2", "v2")}
    assert seen  # the reader did read


# ----------------------------------------------------------------------------- schema, SQL, config


def test_ensure_table_creates_then_adds_missing_columns(database):
    first = TableSchema(
        "events", {"id": "int", "name": "text"}, ("id",), indexes=(("name",), ("name", "id"))
    )
    assert database.ensure_table(first) == ["id", "name"]
    assert database.ensure_table(first) == []
    wider = TableSchema(
        "events",
        {"id": "int", "NAME": "text", "at": "timestamp", "payload": "json", "amount": "decimal"},
        ("id",),
    )
    expected_added = ["at", "payload", "amount"]
    if database.dialect == "postgresql":  # PostgreSQL names are case-sensitive
        expected_added = ["NAME", *expected_added]
    assert database.ensure_table(wider) == expected_added
    assert database.columns("events")["payload"] == "json"
    database.upsert_frame(pd.DataFrame({"id": [1], "payload": [{"a": 1}]}), "events", ["id"])
    assert database.read_table("events")["payload"].tolist() == [{"a": 1}]


def test_execute_read_sql_and_transaction(database):
    database.ensure_table(TableSchema("kv", {"k": "text", "v": "int"}, ("k",)))
    q = database.quote
    insert = f"INSERT INTO {q('kv')} ({q('k')}, {q('v')}) VALUES (:k, :v)"
    assert database.execute(insert, [{"k": "a", "v": 1}, {"k": "b", "v": 2}]) == 2
    assert database.execute(insert, {"k": "c", "v": 3}) == 1
    frame = database.read_sql(
        f"SELECT {q('k')} AS k FROM {q('kv')} WHERE {q('v')} >= :v ORDER BY {q('k')}", {"v": 2}
    )
    assert frame["k"].tolist() == ["b", "c"]

    def delete_then_fail() -> None:
        with database.transaction() as conn:
            conn.execute(sa.text(f"DELETE FROM {q('kv')}"))
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert len(database.read_table("kv")) == 3
    with pytest.raises(DatabaseError, match=r"statement 'SELECT \* FROM nowhere' failed"):
        database.execute("SELECT * FROM nowhere")
    assert database.table_exists("kv")
    assert not database.table_exists("nowhere")


def test_read_table_rejects_unknown_tables_and_columns(database):
    database.upsert_frame(make_items(2, 1), "items", ["id"])
    assert database.read_table("items", columns=["qty"], order_by=["id"])["qty"].tolist() == [1, 2]
    with pytest.raises(DatabaseError, match=r"no column\(s\) \['nope'\]"):
        database.read_table("items", columns=["nope"])
    with pytest.raises(DatabaseError, match="table 'missing' does not exist"):
        database.read_table("missing")


def test_from_config_uses_the_configured_sqlite_file(tmp_path):
    target = tmp_path / "not" / "yet" / "there.sqlite"
    cfg = load_config(
        None,
        "development",
        environ={"DATABASE_URL": f"sqlite:///{target}", "CONFIG__database__connect_retries": "5"},
    )
    db = Database.from_config(cfg)
    assert (db.dialect, db.connect_retries) == ("sqlite", 5)
    assert target.parent.is_dir()
    db.upsert_frame(make_items(1, 1), "t", ["id"])
    assert target.exists()
    db.dispose()


def test_from_config_defaults_to_sqlite_under_the_repo(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cfg = load_config(None, "development", environ={})
    db = Database.from_config(cfg)
    assert db.dialect == "sqlite"
    assert db.url.endswith("/.data/development.sqlite")
    db.dispose()


@pytest.mark.parametrize(
    ("url", "dialect", "driver"),
    [
        (
            "postgresql://u:secret@h/db",  # secret-scan: allow (a fixed test value)
            "postgresql",
            "postgresql+psycopg",
        ),  # secret-scan: allow (a fixed test value, not a secret)
        ("postgres://u@h/db", "postgresql", "postgresql+psycopg"),
        (
            "mysql://u:secret@h/db",  # secret-scan: allow (a fixed test value)
            "mysql",
            "mysql+pymysql",
        ),  # secret-scan: allow (a fixed test value, not a secret)
        ("mariadb://u@h/db", "mysql", "mariadb+pymysql"),
        ("sqlite://", "sqlite", "sqlite"),
    ],
)
def test_urls_pick_the_supported_driver(url, dialect, driver):
    db = Database(url)
    assert (db.dialect, db.engine.url.drivername) == (dialect, driver)
    assert "secret" not in repr(db)
    db.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg2://u@h/db", "needs psycopg 3"),
        ("oracle://u@h/db", "unsupported database URL scheme"),
    ],
)
def test_urls_without_a_fast_path_are_rejected(url, message):
    with pytest.raises(DatabaseError, match=message):
        Database(url)


def test_sql_server_statements_quote_and_bind(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    db.dialect, db._spec = "mssql", dbh._DIALECTS["mssql"]  # statement building needs no server
    assert db.quote("a]b") == "[a]]b]"
    update, insert, drop = dbh._ms_merge_sql(db, "t", "#s", ["k", "v w"], ["k"])
    assert update == "UPDATE t SET t.[v w] = s.[v w] FROM [t] t JOIN [#s] s ON t.[k] = s.[k]"
    assert insert.startswith("INSERT INTO [t] ([k], [v w]) SELECT s.[k], s.[v w] FROM [#s] s")
    assert drop == "DROP TABLE [#s]"
    assert len(dbh._ms_merge_sql(db, "t", "#s", ["k"], ["k"])) == 2
    create = db._create_sql(TableSchema("t", {"k": "text", "v": "json"}, ("k",)), "t")
    assert create == [
        "CREATE TABLE [t] ([k] NVARCHAR(450) NOT NULL, [v] NVARCHAR(MAX), PRIMARY KEY ([k]))"
    ]
    db.dispose()


def test_long_index_names_are_shortened(pg_database):
    schema = TableSchema("t" * 40, {"id": "int", "c" * 30: "text"}, ("id",), indexes=(("c" * 30,),))
    pg_database.ensure_table(schema)
    names = pg_database.read_sql("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%'")
    assert len(names) == 1
    assert len(names.iloc[0, 0]) == 27


def test_native_types_map_to_portable_types():
    cases = {
        "character varying(20)": "text",
        "tinyint(1)": "bool",
        "int(11)": "int",
        "bigint": "int",
        "double precision": "float",
        "numeric(10,2)": "decimal",
        "timestamp with time zone": "timestamp",
        "datetime(6)": "timestamp",
        "date": "date",
        "jsonb": "json",
        "JSON_TEXT": "json",
        "interval": "interval",
        "longtext": "text",
        "smallint": "int",
        "int8": "int",
    }
    assert {k: dbh._portable_from_native(k) for k in cases} == cases
