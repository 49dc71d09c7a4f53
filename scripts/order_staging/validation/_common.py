"""Shared by the validation scripts: run the workflow on the samples, then hand out the database.

Each script: ``python dev/order_staging/validation/<script>.py [--database-url URL]``. Without a
URL the samples are staged into a temporary SQLite file; with one, into that database (the
sample reference tables are loaded there too). Exit code 0 when every check passes, else 1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dev.order_staging import order_staging
from shared.db_helper import Database
from shared.log_helper import RunSummary

HERE = Path(__file__).resolve().parents[1]
SAMPLES = HERE / "testing" / "test_data_samples"


def parse_args(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--database-url",
        help="stage the samples into this database instead of a temporary SQLite file",
    )
    return parser.parse_args(argv)


@contextmanager
def staged_samples(database_url: str | None) -> Iterator[tuple[Database, RunSummary]]:
    """The samples staged into a database; yields it with the run summary."""
    with tempfile.TemporaryDirectory(prefix="order_staging_validation_") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'validation.sqlite'}"
        summary = order_staging.run(
            database_url=url,
            env="testing",
            inbox=SAMPLES / "inbox",
            quarantine=Path(tmp) / "quarantine",
            seed_reference=SAMPLES,
        )
        db = Database(url)
        try:
            yield db, summary
        finally:
            db.dispose()


def report(name: str, problems: list[str]) -> int:
    """Print the outcome of a validation script; its exit code."""
    if problems:
        print(f"{name}: FAILED ({len(problems)} problem(s))")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"{name}: passed")
    return 0
