"""Tests for dev.shared.test_framework: isolated databases, WorkflowTester, frame asserts."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dev.shared import test_framework as tf

pytestmark = pytest.mark.unit


def test_database_fixture_is_isolated_and_writable(database):
    name = f"probe_{uuid.uuid4().hex[:6]}"
    with database.engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {name} (x INTEGER)"))
        conn.execute(sa.text(f"INSERT INTO {name} VALUES (1)"))
    with database.engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one() == 1


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_server_isolation_is_dropped_afterwards(backend, tmp_path):
    if backend not in tf.available_backends():
        pytest.skip(f"{backend} URL not set (CI sets REQUIRE_DATABASES and the URLs)")
    with tf.isolated_database(backend, tmp_path) as db:
        url = sa.make_url(db.url)
        with db.engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    options = str(url.query.get("options", ""))
    isolated = options.split("=", 1)[1] if backend == "postgresql" else url.database
    base = sa.create_engine(str(tf.server_url(backend)))
    sql = "SELECT count(*) FROM information_schema.schemata WHERE schema_name = :n"
    with base.connect() as conn:
        assert conn.execute(sa.text(sql), {"n": isolated}).scalar_one() == 0
    base.dispose()


def test_unreachable_server_is_a_clear_error(tmp_path):
    env_url = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POSTGRES_URL", env_url)
        with (
            pytest.raises(tf.DatabaseUnavailable, match="not reachable"),
            tf.isolated_database("postgresql", tmp_path),
        ):
            pass


def test_missing_server_url_names_the_variable(tmp_path, monkeypatch):
    for var in ("POSTGRES_URL", "DATABASE_URL", "MARIADB_URL"):
        monkeypatch.delenv(var, raising=False)
    with (
        pytest.raises(tf.DatabaseUnavailable, match="MARIADB_URL"),
        tf.isolated_database("mariadb", tmp_path),
    ):
        pass


def test_backend_selection_from_environment():
    env = {"DATABASE_URL": "postgresql+psycopg://h/db", "MARIADB_URL": "mysql+pymysql://h/db"}
    assert tf.available_backends(env) == ["sqlite", "postgresql", "mariadb"]
    assert tf.available_backends({}) == ["sqlite"]
    assert (
        tf.server_url("mariadb", {"DATABASE_URL": "mysql+pymysql://x/y"}) == "mysql+pymysql://x/y"
    )
    assert tf.required_backends({"REQUIRE_DATABASES": "postgresql, mariadb"}) == {
        "postgresql",
        "mariadb",
    }
    with pytest.raises(tf.DatabaseUnavailable, match="unknown backend"):
        tf.required_backends({"REQUIRE_DATABASES": "oracle"})


@pytest.fixture
def fake_workflow(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    samples = folder / "testing" / "test_data_samples"
    samples.mkdir(parents=True)
    (folder / "workflow.yaml").write_text("name: demo\nowner: me\ndescription: d\n")
    (samples / "a.json").write_text(json.dumps({"k": 1}))
    (samples / "b.yaml").write_text("x: [1, 2]\n")
    (samples / "c.csv").write_text("id,name\n001,Ann\n")
    (samples / "d.txt").write_text("hello")
    (folder / "testing" / "test_demo.py").write_text("")
    return folder


def test_workflow_tester_loads_samples_by_name(fake_workflow):
    tester = tf.WorkflowTester.for_test_file(fake_workflow / "testing" / "test_demo.py")
    assert tester.name == "demo"
    assert tester.sample("a.json") == {"k": 1}
    assert tester.sample("b.yaml") == {"x": [1, 2]}
    assert tester.sample("c.csv")["id"].tolist() == ["001"]  # kept as text
    assert tester.sample("d.txt") == "hello"
    with pytest.raises(FileNotFoundError, match=r"no sample 'zz.csv'.*a\.json"):
        tester.sample("zz.csv")


def test_workflow_dir_lookup_fails_clearly(tmp_path):
    with pytest.raises(LookupError, match=r"no workflow\.yaml"):
        tf.workflow_dir_of(tmp_path / "x.py")


def test_frames_equal_ignoring_order():
    left = pd.DataFrame({"k": [2, 1], "v": ["b", "a"]})
    right = pd.DataFrame({"k": [1, 2], "v": ["a", "b"]})
    tf.WorkflowTester.assert_frame_equal(left, right, keys=["k"])


@pytest.mark.parametrize(
    ("actual", "message"),
    [
        (pd.DataFrame({"k": [1, 2], "v": ["a", "X"]}), r"1 row\(s\)"),
        (pd.DataFrame({"k": [1], "v": ["a"]}), "row count differs"),
        (pd.DataFrame({"k": [1, 2]}), r"missing \['v'\]"),
    ],
)
def test_frames_differ_with_readable_diff(actual, message):
    expected = pd.DataFrame({"k": [1, 2], "v": ["a", "b"]})
    with pytest.raises(AssertionError, match=message) as info:
        tf.assert_frames_equal(actual, expected, keys=["k"])
    if "row(s)" in str(info.value):
        assert "v (actual)" in str(info.value)
        assert "X" in str(info.value)
