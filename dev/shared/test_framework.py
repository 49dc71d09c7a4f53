"""WorkflowTester and isolated test databases: what every workflow test uses.

The pytest plugin (dev/shared/pytest_plugin.py, enabled in pyproject) turns these into
fixtures, so a workflow test reads::

    def test_stages_the_samples(workflow, database):
        summary = workflow.module.run(database_url=database.url, inbox=workflow.sample_path("inbox"))
        workflow.assert_frame_equal(database.read_table("order_staging_validated"), expected)

`workflow.module` is the main script of the workflow the test file belongs to: dev/<wf>/<wf>.py
for tests in dev/<wf>/testing/, and the promoted copy for scripts/<wf>/test_production.py, so
the same test file works in both places unchanged.

Databases: SQLite always; PostgreSQL when DATABASE_URL (or POSTGRES_URL) names one, MariaDB when
MARIADB_URL does. Each test gets a schema (PostgreSQL) or database (MariaDB) of its own, dropped
afterwards. REQUIRE_DATABASES=postgresql,mariadb turns a missing server into an error (CI).
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import make_url

from dev.shared.noxkit import ROOT
from shared.db_helper import Database

BACKENDS = ("sqlite", "postgresql", "mariadb")


class DatabaseUnavailable(Exception):
    """A server the run asked for cannot be reached."""


def server_url(backend: str, environ: dict[str, str] | None = None) -> str | None:
    """The server URL configured for a backend, or None (SQLite needs none)."""
    env = dict(os.environ) if environ is None else environ
    if backend == "postgresql":
        for var in ("POSTGRES_URL", "DATABASE_URL"):
            if env.get(var, "").startswith("postgresql"):
                return env[var]
    if backend == "mariadb":
        for var in ("MARIADB_URL", "DATABASE_URL"):
            if env.get(var, "").startswith(("mysql", "mariadb")):
                return env[var]
    return None


def required_backends(environ: dict[str, str] | None = None) -> set[str]:
    env = dict(os.environ) if environ is None else environ
    wanted = {b.strip() for b in env.get("REQUIRE_DATABASES", "").split(",") if b.strip()}
    unknown = wanted - set(BACKENDS)
    if unknown:
        raise DatabaseUnavailable(
            f"REQUIRE_DATABASES names unknown backend(s) {sorted(unknown)};"
            f" use {', '.join(BACKENDS)}"
        )
    return wanted


def available_backends(environ: dict[str, str] | None = None) -> list[str]:
    return [b for b in BACKENDS if b == "sqlite" or server_url(b, environ)]


@contextmanager
def isolated_database(backend: str, workdir: Path) -> Iterator[Database]:
    """A database of its own for one test: a SQLite file, a PG schema or a MariaDB database."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{workdir / 'test.sqlite'}")
        try:
            yield db
        finally:
            db.dispose()
        return
    base = server_url(backend)
    if base is None:
        raise DatabaseUnavailable(
            f"no URL for {backend}: set "
            f"{'DATABASE_URL' if backend == 'postgresql' else 'MARIADB_URL'}"
        )
    name = f"wf_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    quoted = f'"{name}"' if backend == "postgresql" else f"`{name}`"
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text(f"CREATE {'SCHEMA' if backend == 'postgresql' else 'DATABASE'} {quoted}")
            )
    except sa.exc.OperationalError as exc:
        admin.dispose()
        raise DatabaseUnavailable(
            f"{backend} at {make_url(base).render_as_string()} is not "
            f"reachable: {str(exc.orig).splitlines()[0]}"
        ) from None
    db = Database(_isolated_url(backend, base, name))
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            kind = "SCHEMA" if backend == "postgresql" else "DATABASE"
            conn.execute(
                sa.text(
                    f"DROP {kind} IF EXISTS {quoted}{' CASCADE' if backend == 'postgresql' else ''}"
                )
            )
        admin.dispose()


def _isolated_url(backend: str, base: str, name: str) -> str:
    url = make_url(base)
    if backend == "postgresql":
        url = url.update_query_dict({"options": f"-csearch_path={name}"})
    else:
        url = url.set(database=name)
    return url.render_as_string(hide_password=False)


def workflow_dir_of(path: Path) -> Path:
    """The folder holding workflow.yaml above a test file (dev/<wf>/ or scripts/<wf>/)."""
    for parent in path.resolve().parents:
        if (parent / "workflow.yaml").exists():
            return parent
        if parent == ROOT:
            break
    raise LookupError(f"{path}: no workflow.yaml above this file")


@dataclass
class WorkflowTester:
    """A workflow under test: its module, its samples, assertions on frames."""

    directory: Path

    @classmethod
    def for_test_file(cls, path: Path) -> WorkflowTester:
        return cls(workflow_dir_of(path))

    @property
    def name(self) -> str:
        return str(self.spec.get("name", self.directory.name))

    @cached_property
    def spec(self) -> dict[str, Any]:
        data = yaml.safe_load((self.directory / "workflow.yaml").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}

    @property
    def package(self) -> str:
        """Dotted package of the workflow folder, e.g. dev.order_staging or scripts.order_staging."""
        return ".".join(self.directory.relative_to(ROOT).parts)

    @cached_property
    def module(self) -> ModuleType:
        """The main script as a module, imported from this workflow's own folder."""
        main = str(self.spec.get("main_script") or f"{self.name}.py")
        return importlib.import_module(f"{self.package}.{Path(main).stem}")

    @property
    def samples_dir(self) -> Path:
        here = self.directory / "testing" / "test_data_samples"
        return here if here.exists() else self.directory / "test_data_samples"

    def sample_path(self, name: str) -> Path:
        path = self.samples_dir / name
        if not path.exists():
            known = ", ".join(sorted(p.name for p in self.samples_dir.glob("*")))
            raise FileNotFoundError(f"no sample {name!r} in {self.samples_dir}; have: {known}")
        return path

    def sample(self, name: str) -> Any:
        """A sample by file name: .json -> object, .yaml -> object, .csv -> DataFrame, else text."""
        path = self.sample_path(name)
        if path.suffix == ".json":
            return json.loads(path.read_text(encoding="utf-8"))
        if path.suffix in (".yaml", ".yml"):
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        return path.read_text(encoding="utf-8")

    @staticmethod
    def assert_frame_equal(
        actual: pd.DataFrame,
        expected: pd.DataFrame,
        *,
        keys: list[str] | None = None,
        check_dtype: bool = False,
        rtol: float = 1e-9,
    ) -> None:
        """Compare frames ignoring row order (sorted by keys) and showing a readable diff."""
        assert_frames_equal(actual, expected, keys=keys, check_dtype=check_dtype, rtol=rtol)


def assert_frames_equal(
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    *,
    keys: list[str] | None = None,
    check_dtype: bool = False,
    rtol: float = 1e-9,
) -> None:
    """Raise AssertionError with the differing rows and columns when frames differ."""
    missing = sorted(set(expected.columns) - set(actual.columns))
    extra = sorted(set(actual.columns) - set(expected.columns))
    if missing or extra:
        raise AssertionError(f"columns differ: missing {missing}, unexpected {extra}")
    actual = actual[list(expected.columns)]
    if keys:
        actual = actual.sort_values(keys).reset_index(drop=True)
        expected = expected.sort_values(keys).reset_index(drop=True)
    if len(actual) != len(expected):
        raise AssertionError(f"row count differs: {len(actual)} rows, expected {len(expected)}")
    try:
        pd.testing.assert_frame_equal(
            actual.reset_index(drop=True),
            expected.reset_index(drop=True),
            check_dtype=check_dtype,
            rtol=rtol,
        )
    except AssertionError:
        diff = _frame_diff(actual.reset_index(drop=True), expected.reset_index(drop=True))
        raise AssertionError(f"frames differ in {len(diff)} row(s):\n{diff.to_string()}") from None


def _frame_diff(actual: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    left = actual.astype(str)
    right = expected.astype(str)
    changed = left.ne(right)
    rows = changed.any(axis=1)
    cols = changed.any(axis=0)
    return (
        left.loc[rows, cols]
        .add_suffix(" (actual)")
        .join(right.loc[rows, cols].add_suffix(" (expected)"))
        .head(20)
    )
