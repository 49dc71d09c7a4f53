"""pytest plugin every test in the repo gets (enabled with `-p dev.shared.pytest_plugin`).

Fixtures:
- ``workflow``: a WorkflowTester for the workflow the test file belongs to.
- ``database``: an isolated Database, parametrized over every available backend
  (sqlite always; postgresql / mariadb when their URLs are set).
- ``sqlite_database``: an isolated SQLite Database only (fast unit tests).
- ``bench_scale``: the performance scale knob (BENCH_SCALE, default 1.0).
- ``monday_sandbox`` / ``monday_sandbox_factory``: the local Monday.com API sandbox over HTTP
  (dev/shared/sandbox_fixtures.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dev.shared import test_framework as tf
from shared.db_helper import Database


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("WORKFLOW_ENV", "testing")
    # the Monday sandbox fixtures: monday_sandbox, monday_sandbox_factory
    config.pluginmanager.import_plugin("dev.shared.sandbox_fixtures")
    try:
        required = tf.required_backends()
    except tf.DatabaseUnavailable as exc:
        raise pytest.UsageError(str(exc)) from None
    missing = sorted(b for b in required if b not in tf.available_backends())
    if missing:
        raise pytest.UsageError(
            f"REQUIRE_DATABASES asks for {', '.join(missing)} but no URL is set: "
            "export DATABASE_URL=postgresql+psycopg://... and MARIADB_URL=mysql+pymysql://..."
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames:
        metafunc.parametrize("database", tf.available_backends(), indirect=True)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An isolated database on one backend; dropped after the test."""
    backend = str(request.param)
    try:
        with tf.isolated_database(backend, tmp_path) as db:
            yield db
    except tf.DatabaseUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """An isolated SQLite database file."""
    with tf.isolated_database("sqlite", tmp_path) as db:
        yield db


@pytest.fixture
def workflow(request: pytest.FixtureRequest) -> tf.WorkflowTester:
    """The workflow this test file belongs to (dev/<wf>/ or scripts/<wf>/)."""
    return tf.WorkflowTester.for_test_file(Path(str(request.node.fspath)))


@pytest.fixture
def bench_scale() -> float:
    """Scale of performance tests: 1.0 is full scale (nox -s performance), CI uses less."""
    raw = os.environ.get("BENCH_SCALE", "1")
    try:
        return float(raw)
    except ValueError:
        raise pytest.UsageError(f"BENCH_SCALE={raw!r} is not a number") from None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Record requirement ids as JUnit properties so traceability can read them back."""
    for item in items:
        for mark in item.iter_markers("requirement"):
            if not mark.args or not isinstance(mark.args[0], str):
                raise pytest.UsageError(f"{item.nodeid}: requirement marker needs an id string")
            item.user_properties.append(("requirement", mark.args[0]))
