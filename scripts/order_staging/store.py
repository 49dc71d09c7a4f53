"""The workflow's tables: schemas, what is already processed, open orders, and the writes.

Tables: order_staging_validated (upsert on source + order_id + line_no), order_staging_raw
(original payload per order), order_staging_errors (one row per violated rule and line),
order_processing_log (one row per file and batch; its checksum marks the file as done).
"""

from __future__ import annotations

import pandas as pd

from shared.db_helper import Database, TableSchema

VALIDATED = TableSchema(
    "order_staging_validated",
    {
        "source": "text",
        "order_id": "text",
        "line_no": "int",
        "customer_id": "text",
        "sku": "text",
        "quantity": "int",
        "unit_price": "float",
        "discount_pct": "float",
        "line_amount": "float",
        "currency": "text",
        "order_date": "date",
        "requested_delivery_date": "date",
        "rush": "bool",
        "backorder": "bool",
        "status": "text",
        "batch_id": "text",
    },
    # no secondary index: the credit check reads all open rows once per run, and every index
    # costs on each of the up to a million rows a run writes
    primary_key=("source", "order_id", "line_no"),
)
RAW = TableSchema(
    "order_staging_raw",
    {
        "file_checksum": "text",
        "order_seq": "int",
        "batch_id": "text",
        "file_name": "text",
        "format": "text",
        "source": "text",
        "order_id": "text",
        "payload": "text",
    },
    primary_key=("file_checksum", "order_seq"),
)
ERRORS = TableSchema(
    "order_staging_errors",
    {
        "file_checksum": "text",
        "order_seq": "int",
        "row_no": "int",
        "rule_id": "text",
        "batch_id": "text",
        "file_name": "text",
        "source": "text",
        "order_id": "text",
        "line_no": "text",
        "level": "text",
        "action": "text",
        "field": "text",
        "value": "text",
        "message": "text",
    },
    primary_key=("file_checksum", "order_seq", "row_no", "rule_id"),
    indexes=(("batch_id",),),
)
LOG = TableSchema(
    "order_processing_log",
    {
        "file_checksum": "text",
        "batch_id": "text",
        "file_name": "text",
        "format": "text",
        "status": "text",
        "reason": "text",
        "orders": "int",
        "lines_in": "int",
        "staged": "int",
        "rejected": "int",
        "flagged": "int",
        "parse_seconds": "float",
        "duration_seconds": "float",
        "processed_at": "timestamp",
    },
    primary_key=("file_checksum",),
    indexes=(("batch_id",),),
)
TABLES = (VALIDATED, RAW, ERRORS, LOG)
OPEN_STATUS = "staged"


def ensure_tables(db: Database) -> None:
    """Create the four tables when missing (and add columns a newer version introduced)."""
    for schema in TABLES:
        db.ensure_table(schema)


def processed_checksums(db: Database) -> set[str]:
    """Checksums of every file already staged or quarantined: those are never read again."""
    if not db.table_exists(LOG.name):
        return set()
    return set(db.read_table(LOG.name, columns=["file_checksum"])["file_checksum"].astype(str))


def open_orders(db: Database, status: str = OPEN_STATUS) -> pd.DataFrame:
    """Staged value per customer and order (customer_id, source, order_id, currency, amount)."""
    columns = ["customer_id", "source", "order_id", "currency", "amount"]
    if not db.table_exists(VALIDATED.name):
        return pd.DataFrame(columns=columns)
    q = db.quote
    keys = ", ".join(q(c) for c in columns[:-1])
    sql = (
        f"SELECT {keys}, SUM({q('line_amount')}) AS {q('amount')} FROM {q(VALIDATED.name)} "
        f"WHERE {q('status')} = :status GROUP BY {keys}"
    )
    return db.read_sql(sql, {"status": status})


def write_outputs(db: Database, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Upsert the given frames in table order (validated, raw, errors, processing log: the log
    last, it marks files done); rows written per table."""
    written = {}
    for schema in (s for s in TABLES if s.name in frames):
        frame, columns = frames[schema.name], list(schema.columns)
        if list(frame.columns) != columns:
            frame = frame.loc[:, columns]
        rows = (
            0
            if frame.empty
            else db.upsert_frame(frame, schema.name, list(schema.primary_key), schema=schema).rows
        )
        written[schema.name] = rows
    return written
