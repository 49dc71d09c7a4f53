"""What the validation scripts share: a database synced from the sample boards, reporting.

with synced_database(args.database_url) as db:   # no URL: a temporary SQLite, synced from
    ...                                          # the sample boards through a local sandbox
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = next(p for p in HERE.parents if (p / "pyproject.toml").exists())
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml

from dev.shared.monday_sandbox import MondaySandbox, sample_boards
from dev.shared.validation_helpers import ValidationResult
from dev.shared.validation_runs import validation_database, workflow_module
from shared.db_helper import Database

SANDBOX_TOKEN = "sandbox-token"  # secret-scan: allow (a fixed test value, not a secret)
SPEC = yaml.safe_load((HERE.parent / "workflow.yaml").read_text(encoding="utf-8"))


def parse_args(argv: list[str] | None, doc: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="database a sync wrote (default: a temporary SQLite synced from the sample boards)",
    )
    return parser.parse_args(argv)


def sync_samples(db: Database, boards: Any = None, run_boards: Sequence[str] | None = None) -> None:
    """Run the workflow against a local sandbox serving ``boards`` (default: the samples)."""
    os.environ.setdefault("MONDAY_API_TOKEN", SANDBOX_TOKEN)
    module = workflow_module(HERE / "_common.py")
    with MondaySandbox(boards if boards is not None else sample_boards()) as sandbox:
        summary = module.run(
            database_url=db.url, env="testing", boards=run_boards, api_url=sandbox.url
        )
    if summary.status != "success":
        raise SystemExit(f"the sample sync failed: {summary.error}")


@contextmanager
def synced_database(url: str | None) -> Iterator[Database]:
    with validation_database(url) as (db, fresh):
        if fresh:
            sync_samples(db)
        yield db


def registered_tables(db: Database) -> list[str]:
    """Board tables the database's monday_boards lists (subitems tables included)."""
    boards = db.read_table("monday_boards")
    subitems = [t for t in boards["subitems_table"].dropna().tolist() if t]
    return [*boards["table_name"].tolist(), *subitems]


def report(results: Sequence[ValidationResult]) -> int:
    """Print each result; 0 when every check passed."""
    failed = 0
    for result in results:
        print(result.table())
        failed += not result.ok
    print(f"\n{len(results) - failed}/{len(results)} tables passed")
    return 1 if failed else 0
