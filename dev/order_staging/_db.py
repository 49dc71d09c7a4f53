"""Temporary adapter while shared/db_helper.py is being written (removed once it lands)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

try:
    from shared.db_helper import Database, DatabaseError, TableSchema
except ImportError:  # pragma: no cover - only until the db helper lands
    from shared.db_helper import Database

    class DatabaseError(Exception):  # type: ignore[no-redef]
        pass

    @dataclass(frozen=True)
    class TableSchema:  # type: ignore[no-redef]
        name: str
        columns: dict[str, str]
        primary_key: tuple[str, ...] = ()
        indexes: tuple[tuple[str, ...], ...] = ()


__all__ = ["Any", "Database", "DatabaseError", "TableSchema"]
