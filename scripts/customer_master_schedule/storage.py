"""Database side of the workflow: read the inputs, write the outputs, seed the sample inputs."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from shared.db_helper import Database, TableSchema

from .history import HISTORY_COLUMNS
from .inputs import LINE_KEYS, ScheduleInputs
from .samples import SAMPLE_FILES, read_sample
from .scheduler import ScheduleResult
from .settings import ScheduleInputError, ScheduleSettings

log = logging.getLogger(__name__)


def schedule_schema(name: str) -> TableSchema:
    return TableSchema(
        name,
        {
            "source": "text",
            "order_id": "text",
            "line_no": "int",
            "customer_id": "text",
            "sku": "text",
            "quantity": "float",
            "production_line": "text",
            "priority_rank": "int",
            "earliest_start": "date",
            "production_start": "date",
            "production_end": "date",
            "allocated_units": "int",
            "ship_date": "date",
            "requested_delivery_date": "date",
            "days_late": "int",
            "late": "bool",
            "reason": "text",
        },
        primary_key=LINE_KEYS,
        indexes=(("customer_id",), ("ship_date",)),
    )


def utilisation_schema(name: str) -> TableSchema:
    return TableSchema(
        name,
        {
            "production_line": "text",
            "production_date": "date",
            "capacity_units": "int",
            "allocated_units": "int",
            "utilisation": "float",
            "lines_allocated": "int",
        },
        primary_key=("production_line", "production_date"),
    )


def history_schema(name: str) -> TableSchema:
    types = {
        "source": "text",
        "order_id": "text",
        "line_no": "int",
        "run_id": "text",
        "run_date": "date",
        "old_ship_date": "date",
        "new_ship_date": "date",
    }
    return TableSchema(
        name,
        {column: types[column] for column in HISTORY_COLUMNS},
        primary_key=(*LINE_KEYS, "run_id"),
    )


def read_inputs(db: Database, settings: ScheduleSettings) -> ScheduleInputs:
    """The four required input tables and, when it exists, the synced delivery board."""
    tables = settings.tables
    frames = {}
    for role in ("orders", "customers", "products", "capacity"):
        name = getattr(tables, role)
        if not db.table_exists(name):
            raise ScheduleInputError(
                f"input table {name!r} does not exist in {db.dialect} database: run the workflow "
                "that produces it, map another name in workflow.yaml (config.tables), or load "
                "the samples with --seed-samples"
            )
        frames[role] = db.read_table(name)
    board = None
    if db.table_exists(settings.board.table):
        board = db.read_table(settings.board.table)
    else:
        log.info(
            "delivery board table %r not found: using customers and default weekdays",
            settings.board.table,
        )
    return ScheduleInputs(board=board, **frames)


def read_previous_schedule(db: Database, settings: ScheduleSettings) -> pd.DataFrame | None:
    """source, order_id, line_no, ship_date of the schedule the last run wrote (None on the
    first run)."""
    name = settings.tables.schedule
    if not db.table_exists(name):
        return None
    # a schedule written before `source` was part of the key has no such column
    wanted = [column for column in (*LINE_KEYS, "ship_date") if column in db.columns(name)]
    return db.read_table(name, columns=wanted)


def write_outputs(
    db: Database, settings: ScheduleSettings, result: ScheduleResult, changes: pd.DataFrame
) -> None:
    """History first (keyed by run id, so a retried run cannot record a move twice), then the
    schedule and utilisation tables, each replaced atomically."""
    tables = settings.tables
    history = history_schema(tables.history)
    db.ensure_table(history)
    if len(changes):
        db.upsert_frame(changes, tables.history, list(history.primary_key), schema=history)
    db.replace_table_atomically(
        result.schedule, tables.schedule, schema=schedule_schema(tables.schedule)
    )
    db.replace_table_atomically(
        result.utilisation, tables.utilisation, schema=utilisation_schema(tables.utilisation)
    )


def seed_samples(db: Database, settings: ScheduleSettings, samples: Path) -> list[str]:
    """Load each sample CSV into its input table when that table is missing; returns the
    tables loaded. Existing tables are never touched."""
    loaded = []
    for file_name, (role, types) in SAMPLE_FILES.items():
        table = settings.board.table if role == "board" else getattr(settings.tables, role)
        if db.table_exists(table):
            continue
        frame = read_sample(samples / file_name, types)
        db.replace_table_atomically(frame, table, schema=TableSchema(table, types))
        log.info("seeded %s with %d rows from %s", table, len(frame), file_name)
        loaded.append(table)
    return loaded
