"""Tests for shared.db_copy_arrow: PostgreSQL loads through Arrow store what the row path stores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dev.shared import test_framework as tf
from shared import db_copy_arrow
from shared import db_helper as dbh
from shared.db_helper import Database, LoadError, TableSchema

pytestmark = pytest.mark.unit


@pytest.fixture
def arrow_streams(monkeypatch) -> list[str]:
    """Spy: the table of every batch streamed through Arrow (empty: the row path ran)."""
    seen: list[str] = []
    stream = db_copy_arrow._stream

    def spy(pa, pgpq, schema, batch, convert, chunk_rows):
        seen.append(batch.table)
        return stream(pa, pgpq, schema, batch, convert, chunk_rows)

    monkeypatch.setattr(db_copy_arrow, "_stream", spy)
    return seen


def raw_digest(db: Database, table: str) -> str:
    """A hash of the table's rows as PostgreSQL prints them (exact: no normalisation)."""
    sql = f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM {db.quote(table)} t"
    return str(db.read_sql(sql)["h"][0])


def load_both_ways(db: Database, monkeypatch, load: Any) -> None:
    """load(table) through Arrow into "fast", then through rows into "rows"."""
    load("fast")
    monkeypatch.setattr(db_copy_arrow, "ENABLED", False)
    load("rows")
    monkeypatch.setattr(db_copy_arrow, "ENABLED", True)


def assert_same_tables(db: Database, order_by: list[str]) -> None:
    assert raw_digest(db, "fast") == raw_digest(db, "rows")
    assert db.table_checksum("fast") == db.table_checksum("rows")
    tf.assert_frames_equal(
        db.read_table("fast", order_by=order_by),
        db.read_table("rows", order_by=order_by),
        check_dtype=True,
    )


TYPES = {
    "id": "int",
    "label": "text",
    "empty": "text",
    "string_dtype": "text",
    "from_numbers": "text",
    "n": "int",
    "nullable_n": "int",
    "whole_floats": "int",
    "flags_as_ints": "int",
    "x": "float",
    "ints_as_floats": "float",
    "number_text": "float",
    "flag": "bool",
    "nullable_flag": "bool",
    "object_flag": "bool",
    "day": "date",
    "day_objects": "date",
    "day_text": "date",
    "ts": "timestamp",
    "aware_ts": "timestamp",
    "ts_text": "timestamp",
}


def every_plain_type_frame(rows: int) -> pd.DataFrame:
    """Every type the Arrow path takes, in every dtype a frame brings, with every kind of gap."""

    def cycle(values: list[Any], dtype: Any = object) -> pd.Series[Any]:
        return pd.Series((values * rows)[:rows], dtype=dtype)

    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "label": cycle(["ñandú 🦆", None, "tab\there\nnew line \\N back\\slash", "", "'\""]),
            "empty": cycle([""]),
            "string_dtype": cycle(["a", None, "ß\r\n"], "string"),
            "from_numbers": cycle([12, None, 3.5, True, "x"]),
            "n": cycle([1, -(2**62), 0], "int64"),
            "nullable_n": cycle([1, None, 2**40], "Int64"),
            "whole_floats": cycle([3.0, np.nan, -7.0], "float64"),
            "flags_as_ints": cycle([True, False], "bool"),
            "x": cycle([0.1, np.nan, 1 / 3, -0.0, np.inf, 1e300], "float64"),
            "ints_as_floats": cycle([1, 2**53 + 1, -3], "int64"),
            "number_text": cycle(["1.5", None, "2e10", 7]),
            "flag": cycle([True, False, False], "bool"),
            "nullable_flag": cycle([True, None, False], "boolean"),
            "object_flag": cycle([True, None, False, np.nan]),
            "day": pd.to_datetime(cycle(["2024-02-29", None, "0001-01-01", "9999-12-31"])),
            "day_objects": cycle([dt.date(2024, 1, 2), None, dt.date(1, 1, 1)]),
            "day_text": cycle(["2024-01-02", pd.NaT, "1999-12-31"]),
            "ts": pd.to_datetime(
                cycle(["2024-01-01 10:00:00.123456", None, "1999-12-31 23:59:59.999999"]),
                format="ISO8601",
            ),
            "aware_ts": pd.to_datetime(
                cycle(["2024-06-01 12:00", "2024-01-01 00:30", None]), format="ISO8601"
            ).dt.tz_localize("Europe/Madrid"),
            "ts_text": cycle(["2024-01-02T03:04:05.5+01:00", None, "0001-01-01 00:00"]),
        }
    )


@pytest.mark.parametrize("rows", [0, 7, 2_500])
def test_arrow_and_row_paths_store_identical_tables(pg_database, monkeypatch, arrow_streams, rows):
    monkeypatch.setattr(dbh, "_CHUNK_ROWS", 1_000)  # several chunks ...
    monkeypatch.setattr(db_copy_arrow, "BATCH_ROWS", 300)  # ... of several record batches
    frame = every_plain_type_frame(rows)
    schema = TableSchema("t", TYPES, ("id",))

    load_both_ways(
        pg_database,
        monkeypatch,
        lambda table: pg_database.replace_table_atomically(frame, table, schema=schema),
    )
    assert arrow_streams == [arrow_streams[0]]  # the first load went through Arrow, once
    assert_same_tables(pg_database, ["id"])
    if rows:
        assert pg_database.read_table("fast")["x"].isna().sum() == (rows + 4) // 6


def test_upserts_through_arrow_match_the_row_path(pg_database, monkeypatch, arrow_streams):
    first, second = every_plain_type_frame(40), every_plain_type_frame(60)
    second["label"] = second["label"].where(second["id"] % 2 == 0, "changed")

    def load(table: str) -> None:
        pg_database.upsert_frame(first, table, ["id"], schema=TableSchema("t", TYPES, ("id",)))
        pg_database.upsert_frame(second, table, ["id"])  # staged: COPY into a temporary table

    load_both_ways(pg_database, monkeypatch, load)
    assert len(arrow_streams) == 2
    assert_same_tables(pg_database, ["id"])


def test_narrow_postgres_columns_take_arrow_when_values_fit(
    pg_database, monkeypatch, arrow_streams
):
    for table in ("fast", "rows"):
        pg_database.execute(
            f"CREATE TABLE {table} (id int4 PRIMARY KEY, small int2, r real, "
            "code varchar(8), at timestamptz)"
        )
    frame = pd.DataFrame(
        {
            "id": pd.array([1, 2, 3], dtype="Int64"),
            "small": np.array([-32768, 32767, 0], dtype="int64"),
            "r": [0.1, np.nan, 3.4028234e38],
            "code": ["abc", None, "ñ"],
            "at": pd.to_datetime(
                pd.Series(["2024-06-01 12:00", None, "1970-01-01 00:00"])
            ).dt.tz_localize("UTC"),
        }
    )
    load_both_ways(
        pg_database, monkeypatch, lambda table: pg_database.upsert_frame(frame, table, ["id"])
    )
    assert arrow_streams == ["fast"]
    assert_same_tables(pg_database, ["id"])


@pytest.mark.parametrize(
    ("copy_type", "values"),
    [
        ("int2", np.array([1, 32768])),
        ("int4", np.array([0, -(2**31) - 1])),
        ("int4", pd.Series([1, 2], dtype=object)),
        ("int8", np.array([1, 2**63], dtype="uint64")),
        ("float4", np.array([1.0, 1e39])),
        ("float4", pd.Series(["1.5"], dtype=object)),
    ],
)
def test_values_beyond_narrow_columns_leave_the_load_to_the_row_path(copy_type, values):
    series = pd.Series(values)
    assert not db_copy_arrow._fits(series, copy_type)
    assert db_copy_arrow._fits(series.iloc[:1], copy_type) == (series.dtype != object)


@pytest.mark.parametrize(
    ("column", "kind", "bad"),
    [
        ("n", "int", "abc"),
        ("n", "int", 2.5),
        ("x", "float", "1,5"),
        ("flag", "bool", "yes"),
        ("day", "date", "31/02/2024"),
        ("ts", "timestamp", "noon"),
    ],
)
def test_bad_values_raise_the_row_paths_load_error(
    pg_database, monkeypatch, arrow_streams, column, kind, bad
):
    monkeypatch.setattr(dbh, "_CHUNK_ROWS", 1_000)
    good = {"int": 1, "float": 1.0, "bool": True, "date": "2024-01-01", "timestamp": "2024-01-01"}
    values = pd.Series([good[kind]] * 2_500, dtype=object)
    values[1_500] = values[1_700] = values[2_400] = bad  # two in the second chunk, one later
    frame = pd.DataFrame({"id": np.arange(2_500), column: values}).set_axis(np.arange(2_500) + 10)
    schema = TableSchema("t", {"id": "int", column: kind}, ("id",))
    errors = []
    for enabled in (True, False):
        monkeypatch.setattr(db_copy_arrow, "ENABLED", enabled)
        with pytest.raises(LoadError) as raised:
            pg_database.replace_table_atomically(frame, "t", schema=schema)
        errors.append(str(raised.value))
    assert arrow_streams == ["t"]
    assert errors[0] == errors[1]
    assert f"t.{column}: row 1510 holds" in errors[0]
    assert "(2 such row(s))" in errors[0]
    assert not pg_database.table_exists("t")


def test_a_server_error_names_the_frame_row(pg_database, arrow_streams):
    pg_database.execute("CREATE TABLE t (id int8 PRIMARY KEY, code varchar(3))")
    frame = pd.DataFrame({"id": [1, 2, 3], "code": ["ab", "abc", "abcd"]}, index=[7, 8, 9])
    with pytest.raises(LoadError, match=r"too long .* at frame row 9 \(position 2\)"):
        pg_database.upsert_frame(frame, "t", ["id"])
    assert arrow_streams == ["t"]


def test_json_and_decimal_columns_use_the_row_path(pg_database, arrow_streams):
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "doc": [{"a": [1, None]}, None],
            "amount": [Decimal("1.10"), None],
            "label": ["x", None],
        }
    )
    pg_database.upsert_frame(frame, "t", ["id"])
    back = pg_database.read_table("t", order_by=["id"])
    assert back["doc"].tolist() == [{"a": [1, None]}, None]
    assert back["amount"].tolist() == [Decimal("1.10"), None]
    assert arrow_streams == []


def test_without_pyarrow_or_pgpq_loads_write_rows(pg_database, monkeypatch, arrow_streams):
    monkeypatch.setattr(db_copy_arrow, "_modules", lambda: None)
    frame = every_plain_type_frame(5)
    pg_database.replace_table_atomically(frame, "t", schema=TableSchema("t", TYPES, ("id",)))
    assert arrow_streams == []
    assert len(pg_database.read_table("t")) == 5


def test_copy_written_runs_after_the_arrow_data(pg_database, arrow_streams):
    steps: list[tuple[str, int]] = []

    def hook(step, conn):
        if step == "copy_written":
            steps.append((step, len(arrow_streams)))

    pg_database._load_hook = hook
    schema = TableSchema("t", TYPES, ("id",))
    pg_database.upsert_frame(every_plain_type_frame(3), "t", ["id"], schema=schema)
    assert steps == [("copy_written", 1)]


def test_arrow_backed_text_columns_are_stored_like_object_text(pg_database, arrow_streams):
    # monday_boards hands over text as pd.ArrowDtype columns: used as they are, no Python str
    values = ["plain", None, "", "tab\there", "line\nbreak", "back\\slash", "Café ☕", "NULL"]
    arrow_text = pd.Series(
        pd.arrays.ArrowExtensionArray(pa.chunked_array([values[:3], values[3:]]))
    )
    schema = TableSchema("t", {"id": "int", "s": "text"}, ("id",))
    ids = list(range(len(values)))
    pg_database.replace_table_atomically(
        pd.DataFrame({"id": ids, "s": arrow_text}), "fast", schema=schema
    )
    pg_database.replace_table_atomically(
        pd.DataFrame({"id": ids, "s": pd.Series(values, dtype=object)}), "rows", schema=schema
    )
    assert arrow_streams == ["fast", "rows"]
    assert raw_digest(pg_database, "fast") == raw_digest(pg_database, "rows")
    stored = pg_database.read_table("fast", order_by=["id"])["s"]
    assert stored[[0, 2]].tolist() == ["plain", ""]
    assert pd.isna(stored[1])
