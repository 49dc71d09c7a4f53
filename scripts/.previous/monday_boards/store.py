"""The workflow's tables and how each is written (all through shared.db_helper).

- <board table>            replaced atomically per sync (readers see old or new, never half)
- monday_boards            one row per board (upsert on board_id)
- monday_groups            the board's groups (the board's rows replaced atomically)
- monday_column_mapping    how every board column maps to SQL columns (rows replaced per board)
- monday_schema_changes    drift findings, one row per change and run (append, upsert)
- monday_sync_log          one row per board and run (upsert on run_id, board_id)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from shared.db_helper import Database, TableSchema
from shared.db_stream import TableWriter

from .columns import MAPPING_COLUMNS
from .drift import SCHEMA_CHANGE_COLUMNS

log = logging.getLogger(__name__)

BOARDS = "monday_boards"
GROUPS = "monday_groups"
MAPPING = "monday_column_mapping"
CHANGES = "monday_schema_changes"
SYNC_LOG = "monday_sync_log"

SCHEMAS: Mapping[str, TableSchema] = {
    BOARDS: TableSchema(BOARDS, {
        "board_id": "text", "board_name": "text", "board_state": "text", "table_name": "text",
        "subitems_table": "text", "columns": "int", "groups": "int", "items": "int",
        "last_synced_at": "timestamp", "last_status": "text", "last_run_id": "text",
    }, ("board_id",)),
    GROUPS: TableSchema(GROUPS, {
        "board_id": "text", "group_id": "text", "title": "text", "position": "int",
        "items": "int",
    }, ("board_id", "group_id")),
    MAPPING: TableSchema(MAPPING, dict.fromkeys(MAPPING_COLUMNS, "text"),
                         ("board_id", "column_id", "part")),
    CHANGES: TableSchema(CHANGES, dict.fromkeys(SCHEMA_CHANGE_COLUMNS, "text") | {
        "detected_at": "timestamp"}, ("run_id", "change_key")),  # 4 text keys exceed MariaDB's 3072 bytes
    SYNC_LOG: TableSchema(SYNC_LOG, {
        "run_id": "text", "board_id": "text", "table_name": "text", "started_at": "timestamp",
        "finished_at": "timestamp", "duration_seconds": "float", "items": "int",
        "subitems": "int", "pages": "int", "complexity_used": "int", "restarts": "int",
        "status": "text", "drift_found": "bool", "drift": "text", "unreadable_cells": "int",
        "error": "text",
    }, ("run_id", "board_id")),
}  # fmt: skip
ITEM_KEY = ("item_id",)


def previous_mapping(db: Database, board_id: str) -> pd.DataFrame | None:
    """The mapping rows the last sync wrote for a board, or None."""
    if not db.table_exists(MAPPING):
        return None
    rows = db.read_sql(
        f"SELECT * FROM {db.quote(MAPPING)} WHERE {db.quote('board_id')} = :board",
        {"board": board_id},
    )
    return rows if not rows.empty else None


def table_columns(db: Database, table: str) -> dict[str, str] | None:
    """Column -> portable type of an existing table, None when it does not exist."""
    columns = db.columns(table)
    return columns or None


def kept_values(db: Database, table: str, columns: list[str], item_ids: pd.Series) -> pd.DataFrame:
    """The last synced values of kept columns, aligned with ``item_ids`` (new items: null)."""
    old = db.read_table(table, ["item_id", *columns]).drop_duplicates("item_id")
    aligned = old.set_index("item_id").reindex(item_ids.to_numpy())
    return aligned.reset_index(drop=True)


def write_board_table(
    db: Database, frame: pd.DataFrame, table: str, schema: Mapping[str, str]
) -> int:
    """Replace the board table in one atomic swap; returns rows loaded."""
    return db.replace_table_atomically(
        frame, table, schema=TableSchema(table, dict(schema), ITEM_KEY)
    )


def board_writer(db: Database, table: str, schema: Mapping[str, str]) -> TableWriter:
    """A writer replacing the board table from parts (loaded while the board is read)."""
    return db.replacing_table(table, TableSchema(table, dict(schema), ITEM_KEY))


def replace_board_rows(db: Database, table: str, board_id: str, rows: pd.DataFrame) -> None:
    """A metadata table with this board's rows replaced, in one atomic swap."""
    schema = SCHEMAS[table]
    frame = rows[list(schema.columns)]
    if db.table_exists(table):
        others = db.read_sql(
            f"SELECT * FROM {db.quote(table)} WHERE {db.quote('board_id')} <> :board",
            {"board": board_id},
        )
        if not others.empty:
            frame = pd.concat([others[list(schema.columns)], frame], ignore_index=True)
    db.replace_table_atomically(frame, table, schema=schema)


def upsert(db: Database, table: str, rows: pd.DataFrame) -> None:
    """Insert or update metadata rows by the table's key."""
    schema = SCHEMAS[table]
    db.upsert_frame(rows[list(schema.columns)], table, schema.primary_key, schema=schema)
