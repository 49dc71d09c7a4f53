"""Database access for workflows: one engine from config, fast bulk upserts, atomic replaces.

Every workflow reaches its database through :class:`Database`::

    db = Database.from_config(cfg)                     # or Database(url)
    db.upsert_frame(orders, "orders", keys=["order_id"])
    db.replace_table_atomically(board, "monday_board_123")
    db.read_sql("SELECT * FROM orders WHERE day = :day", {"day": "2026-01-31"})

Loads take the fastest safe path of each dialect: PostgreSQL binary COPY (straight into an empty
target, else into a temporary table + ``INSERT .. ON CONFLICT DO UPDATE``), MariaDB/MySQL multi-row
``INSERT .. ON DUPLICATE KEY UPDATE`` through the driver's executemany batching, SQLite
``executemany`` of ``INSERT .. ON CONFLICT``, SQL Server ``fast_executemany`` (untested here).
When pyarrow and pgpq are installed (the ``tooling`` group; Kestra images may lack them), the
binary COPY data of frames with only text/int/float/bool/date/timestamp columns is encoded from
Arrow record batches (shared.db_copy_arrow) instead of row by row: the same converters run, so
the stored values and errors are the same. Without them the row path runs.
Each load is one transaction; transient connection errors retry the whole transaction.
A replace whose connection dies after the server may have committed it (PostgreSQL: during
COMMIT; MariaDB: after the RENAME was sent) is settled on a new connection, never guessed: if
it took effect the call succeeds and is not run again, else it fails (or retries) unchanged.
Identifiers are validated and quoted; values are always bound, never formatted into SQL.
Table names are single identifiers: the schema (PostgreSQL search_path, MariaDB database)
comes from the URL.

Values: NaN/None/NaT/NA become NULL; each column is converted by the target column's type
(strings to numbers or dates, floats to whole numbers, ...), and a value that does not fit
raises LoadError naming table, column and row. Timestamps are stored naive in UTC (tz-aware
ones converted) with microsecond precision; Python objects in a JSON column are encoded
(a str is stored as a JSON string). Keys compare byte for byte on every backend (MariaDB
tables are created with a binary no-pad collation; key text columns there are VARCHAR(255)).
read_table returns the same dtypes from every backend, so table_checksum is comparable across
backends.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from hashlib import sha256
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa
from psycopg.errors import UniqueViolation
from psycopg.types.json import set_json_dumps
from sqlalchemy.engine import make_url

from shared import db_copy_arrow

if TYPE_CHECKING:
    from shared.config import Config
    from shared.db_stream import TableWriter

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Portable column types; "decimal" (exact numbers) extends the agreed seven.
PORTABLE_TYPES = ("text", "int", "float", "bool", "date", "timestamp", "json", "decimal")


class DatabaseError(Exception):
    """A database operation failed; the message names the table, column or row and the fix."""


class LoadError(DatabaseError):
    """A load failed; the target table is unchanged."""


@dataclass(frozen=True)
class TableSchema:
    """A table definition in portable types (see PORTABLE_TYPES)."""

    name: str
    columns: dict[str, str]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        unknown = {c: t for c, t in self.columns.items() if t not in PORTABLE_TYPES}
        if unknown:
            raise DatabaseError(
                f"table {self.name!r}: unknown column type(s) {unknown}; "
                f"use one of {', '.join(PORTABLE_TYPES)}"
            )
        used = [*self.primary_key, *(c for index in self.indexes for c in index)]
        missing = sorted({c for c in used if c not in self.columns})
        if missing:
            raise DatabaseError(
                f"table {self.name!r}: key/index column(s) {missing} are not "
                "among its columns; add them to `columns`"
            )

    @classmethod
    def from_frame(
        cls, df: pd.DataFrame, name: str, primary_key: Sequence[str] = ()
    ) -> TableSchema:
        """The schema a frame's dtypes imply (object columns are inferred from their values)."""
        return cls(
            name,
            {str(c): _portable_type(df[c], f"{name}.{c}") for c in df.columns},
            tuple(primary_key),
        )


@dataclass(frozen=True)
class UpsertResult:
    """What one upsert did: rows written (after de-duplication), duplicates dropped, time."""

    table: str
    rows: int
    duplicates_dropped: int
    seconds: float


def _portable_type(series: pd.Series[Any], where: str) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    if isinstance(dtype, pd.StringDtype | pd.CategoricalDtype):
        return "text"
    if dtype != object:
        raise DatabaseError(
            f"{where}: dtype {dtype} has no column type; convert it "
            "(e.g. timedeltas to seconds) or pass a TableSchema"
        )
    if _holds_json(series):
        return "json"
    return _INFERRED.get(pd.api.types.infer_dtype(series, skipna=True), "text")


_INFERRED = {
    "integer": "int",
    "floating": "float",
    "mixed-integer-float": "float",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
    "datetime64": "timestamp",
    "decimal": "decimal",
}


def _holds_json(series: pd.Series[Any]) -> bool:
    first = series.dropna().head(1).tolist()
    return bool(first) and isinstance(first[0], dict | list)


# ----------------------------------------------------------------------------- dialects


@dataclass(frozen=True)
class _Dialect:
    quotes: tuple[str, str]
    max_name: int | None  # longest identifier (None: no limit)
    name_bytes: bool  # the limit counts UTF-8 bytes (PostgreSQL)
    fold_case: bool  # column names compare case-insensitively
    types: Mapping[str, str]  # portable type -> column type
    key_text: str  # a text type usable in a primary key or an index
    table_options: str = ""


_DIALECTS = {
    "postgresql": _Dialect(
        ('"', '"'),
        63,
        True,
        False,
        {
            "text": "TEXT",
            "int": "BIGINT",
            "float": "DOUBLE PRECISION",
            "bool": "BOOLEAN",
            "date": "DATE",
            "timestamp": "TIMESTAMP",
            "json": "JSONB",
            "decimal": "NUMERIC",
        },
        "TEXT",
    ),
    # binary no-pad collation: keys compare byte for byte as on PostgreSQL and SQLite
    "mysql": _Dialect(
        ("`", "`"),
        64,
        False,
        True,
        {
            "text": "LONGTEXT",
            "int": "BIGINT",
            "float": "DOUBLE",
            "bool": "BOOLEAN",
            "date": "DATE",
            "timestamp": "DATETIME(6)",
            "json": "JSON",
            "decimal": "DECIMAL(38,10)",
        },
        "VARCHAR(255)",
        " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin",
    ),
    # JSON_TEXT: a declared type with TEXT affinity, so JSON numbers stay text
    "sqlite": _Dialect(
        ('"', '"'),
        None,
        False,
        True,
        {
            "text": "TEXT",
            "int": "INTEGER",
            "float": "REAL",
            "bool": "BOOLEAN",
            "date": "DATE",
            "timestamp": "TIMESTAMP",
            "json": "JSON_TEXT",
            "decimal": "DECIMAL",
        },
        "TEXT",
    ),
    "mssql": _Dialect(
        ("[", "]"),
        128,
        False,
        True,
        {
            "text": "NVARCHAR(MAX)",
            "int": "BIGINT",
            "float": "FLOAT",
            "bool": "BIT",
            "date": "DATE",
            "timestamp": "DATETIME2(6)",
            "json": "NVARCHAR(MAX)",
            "decimal": "DECIMAL(38,10)",
        },
        "NVARCHAR(450)",
    ),
}
_BACKENDS = {
    "postgresql": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "mssql": "mssql",
}
_DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}

# native type (lower case) -> portable type, first match wins
_NATIVE_TYPES = [
    (re.compile(r"^(bool|boolean|tinyint\(1\)|bit)$"), "bool"),
    (re.compile(r"^(json|jsonb|json_text)$"), "json"),
    (re.compile(r"^(big|small|tiny|medium)?int(eger)?\b|^int[248]?$"), "int"),
    (re.compile(r"^(double|float|real)"), "float"),
    (re.compile(r"^(numeric|decimal)"), "decimal"),
    (re.compile(r"^date$"), "date"),
    (re.compile(r"^(timestamp|datetime)"), "timestamp"),
    (re.compile(r"char|text|clob|string"), "text"),
]
# PostgreSQL types binary COPY writes from our Python values; others fall back to text COPY.
# timestamptz takes "timestamp": both send UTC microseconds, and our values are naive UTC.
_PG_COPY_TYPES = {
    "text": "text",
    "varchar": "text",
    "bpchar": "text",
    "int2": "int2",
    "int4": "int4",
    "int8": "int8",
    "float4": "float4",
    "float8": "float8",
    "numeric": "numeric",
    "bool": "bool",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "json": "json",
    "jsonb": "jsonb",
}
_PG_NEW_COLUMN = {
    "text": "text",
    "int": "int8",
    "float": "float8",
    "bool": "bool",
    "date": "date",
    "timestamp": "timestamp",
    "json": "jsonb",
    "decimal": "numeric",
}


def _portable_from_native(native: str) -> str:
    lowered = native.lower().strip()
    for pattern, portable in _NATIVE_TYPES:
        if pattern.search(lowered):
            return portable
    return lowered


@dataclass(frozen=True)
class _Column:
    name: str
    portable: str
    copy_type: str | None = None  # PostgreSQL binary COPY type, None when unknown
    key_position: int | None = None


_COLUMNS_SQL = {
    "postgresql": """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname,
               array_position(i.indkey::int2[], a.attnum)
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
        WHERE a.attrelid = to_regclass(:quoted) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum""",
    "mysql": """
        SELECT c.COLUMN_NAME, c.COLUMN_TYPE,
               CASE WHEN EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k
                   WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
                     AND k.LEVEL = 'Column' AND k.CONSTRAINT_NAME = c.COLUMN_NAME
                     AND k.CHECK_CLAUSE LIKE 'json_valid(%') THEN 'json' END,
               p.ORDINAL_POSITION
        FROM information_schema.COLUMNS c LEFT JOIN information_schema.KEY_COLUMN_USAGE p
          ON p.TABLE_SCHEMA = c.TABLE_SCHEMA AND p.TABLE_NAME = c.TABLE_NAME
         AND p.COLUMN_NAME = c.COLUMN_NAME AND p.CONSTRAINT_NAME = 'PRIMARY'
        WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = :table
        ORDER BY c.ORDINAL_POSITION""",
    "sqlite": """
        SELECT name, type, NULL, CASE WHEN pk > 0 THEN pk END
        FROM pragma_table_info(:table) ORDER BY cid""",
    "mssql": """
        SELECT c.COLUMN_NAME, c.DATA_TYPE, NULL, k.ORDINAL_POSITION
        FROM INFORMATION_SCHEMA.COLUMNS c LEFT JOIN (INFORMATION_SCHEMA.KEY_COLUMN_USAGE k
          JOIN INFORMATION_SCHEMA.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_NAME = k.CONSTRAINT_NAME
           AND tc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_TYPE = 'PRIMARY KEY')
          ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
         AND k.COLUMN_NAME = c.COLUMN_NAME
        WHERE c.TABLE_SCHEMA = SCHEMA_NAME() AND c.TABLE_NAME = :table
        ORDER BY c.ORDINAL_POSITION""",
}

# ----------------------------------------------------------------------------- errors

_TRANSIENT_SQLSTATES = {"57P01", "57P02", "57P03", "40001", "40P01"}
_TRANSIENT_MYSQL = {1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 2055}
_TRANSIENT_TEXT = (
    "connection refused",
    "could not connect",
    "connection reset",
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "consuming input failed",
    "connection timed out",
    "lost connection",
    "server has gone away",
    "broken pipe",
    "can't connect",
    "connection failed",
    "database is locked",
)


def _is_transient(exc: BaseException) -> bool:
    """A connection-level failure after which the whole transaction may be run again."""
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig or exc
    if getattr(exc, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    code = exc.args[0] if exc.args else None
    if isinstance(code, int) and code in _TRANSIENT_MYSQL:
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    text = str(exc).lower()
    return bool(names & {"OperationalError", "InterfaceError"}) and any(
        marker in text for marker in _TRANSIENT_TEXT
    )


def _describe(exc: BaseException) -> str:
    """One line from a driver error, with the row/column notes our loaders attach."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    text = lines[0] if lines else type(orig).__name__
    detail = getattr(getattr(orig, "diag", None), "message_detail", None)
    if detail:
        text = f"{text} ({detail[:200]})"
    notes = [*getattr(exc, "__notes__", ()), *getattr(orig, "__notes__", ())]
    return "; ".join([text, *dict.fromkeys(notes)])


# ----------------------------------------------------------------------------- values out


def _label(index: pd.Index[Any], position: int) -> Any:
    """A row's index label as a plain Python value (for messages)."""
    label = index[position]
    return label.item() if isinstance(label, np.generic) else label


def _bad_rows(series: pd.Series[Any], bad: Any, where: str, expected: str) -> None:
    mask = np.asarray(bad, dtype=bool)
    if mask.any():
        pos = int(np.flatnonzero(mask)[0])
        raise LoadError(
            f"{where}: row {_label(series.index, pos)!r} holds {series.iloc[pos]!r}, "
            f"which is not {expected} ({int(mask.sum())} such row(s)); fix the "
            "data or the column type. Nothing was loaded."
        )


def _objects(series: pd.Series[Any]) -> list[Any]:
    values: Any = cast("Any", series).to_numpy(dtype=object, na_value=None)
    return list(values.tolist())


def _as_is(series: pd.Series[Any], where: str) -> list[Any]:
    del where
    return _objects(series)


def _to_text(series: pd.Series[Any], where: str) -> list[Any]:
    del where
    if not isinstance(series.dtype, pd.StringDtype) and pd.api.types.infer_dtype(
        series, skipna=True
    ) not in ("string", "empty"):
        series = series.astype("str")
    return _objects(series)


def _numpy_kind(series: pd.Series[Any]) -> str:
    """The numpy kind of a plain numpy column (never missing values); "" otherwise."""
    return series.dtype.kind if isinstance(series.dtype, np.dtype) else ""


def _to_int(series: pd.Series[Any], where: str) -> list[Any]:
    if _numpy_kind(series) in ("i", "u"):
        return series.tolist()
    if _numpy_kind(series) == "b":
        return series.astype("int64").tolist()
    numbers = pd.to_numeric(series, errors="coerce")
    _bad_rows(series, numbers.isna() & series.notna(), where, "an integer")
    _bad_rows(series, numbers.fillna(0) % 1 != 0, where, "a whole number")
    return _objects(numbers.astype("Int64"))


def _to_float(series: pd.Series[Any], where: str) -> list[Any]:
    if _numpy_kind(series) != "f":
        numbers = pd.to_numeric(series, errors="coerce")
        _bad_rows(series, numbers.isna() & series.notna(), where, "a number")
        series = numbers
    array = series.to_numpy(dtype="float64", na_value=np.nan)
    values = array.astype(object)
    values[np.isnan(array)] = None
    return values.tolist()


def _to_bool(series: pd.Series[Any], where: str) -> list[Any]:
    if _numpy_kind(series) == "b":
        return series.tolist()
    _bad_rows(series, series.notna() & ~series.isin([True, False]), where, "a boolean")
    return _objects(series.astype("boolean"))


_FIRST = np.datetime64("0001-01-01T00:00:00.000000", "us")
_LAST = np.datetime64("9999-12-31T23:59:59.999999", "us")


def _to_datetimes(series: pd.Series[Any], where: str, unit: str) -> Any:
    """A datetime64 array in ``unit`` (naive UTC); _finish turns it into values or text."""
    expected = "a date" if unit == "D" else "a timestamp"
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    elif series.dtype.kind != "M":
        parsed = pd.to_datetime(series, errors="coerce", utc=True, format="ISO8601")
        _bad_rows(series, parsed.isna() & series.notna(), where, expected)
        series = parsed.dt.tz_localize(None)
    micros = series.to_numpy(dtype="datetime64[us]")
    _bad_rows(series, (micros < _FIRST) | (micros > _LAST), where, f"{expected} in years 1-9999")
    return micros.astype(f"datetime64[{unit}]")


def _datetime_text(array: Any) -> list[Any]:
    """ISO text 'YYYY-MM-DD[ HH:MM:SS.ffffff]': numpy formats each distinct value once."""
    codes, distinct = pd.factorize(array)  # NaT -> code -1
    width = 10 if array.dtype == np.dtype("datetime64[D]") else 26
    text = np.asarray(distinct).astype(f"U{width}")
    if width > 10:
        text.view("U1").reshape(-1, width)[:, 10] = " "
    lookup = np.append(text.astype(object), np.array([None], dtype=object))  # code -1: None
    return list(lookup[codes].tolist())


def _to_json(series: pd.Series[Any], where: str) -> list[Any]:
    del where
    values = series.to_numpy(dtype=object, copy=True)
    values[series.isna().to_numpy()] = None
    return values.tolist()


def _decimal_or_none(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(repr(float(value)) if isinstance(value, float) else str(value))
    except InvalidOperation:
        return None


def _to_decimal(series: pd.Series[Any], where: str) -> list[Any]:
    present = series.notna()
    values = series.map(_decimal_or_none).where(present, None)
    _bad_rows(series, present & values.isna(), where, "a decimal number")
    return values.tolist()


_CONVERTERS: dict[str, Callable[[pd.Series[Any], str], Any]] = {
    "text": _to_text,
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "date": lambda series, where: _to_datetimes(series, where, "D"),
    "timestamp": lambda series, where: _to_datetimes(series, where, "us"),
    "json": _to_json,
    "decimal": _to_decimal,
}


def _convert(series: pd.Series[Any], portable: str, where: str) -> Any:
    convert: Callable[[pd.Series[Any], str], Any] = _CONVERTERS.get(portable, _as_is)
    return convert(series, where)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _finish(values: Any, portable: str, dialect: str, binary: bool) -> list[Any]:
    """Adapt converted values to what the driver binds best (SQLite: text for dates)."""
    if portable in ("date", "timestamp"):
        return _datetime_text(values) if dialect == "sqlite" else list(values.tolist())
    if portable == "json" and not binary:
        return [None if v is None else _dumps(v) for v in values]
    if portable == "decimal" and dialect == "sqlite":
        return [None if v is None else str(v) for v in values]
    return list(values)


_CHUNK_ROWS = 100_000  # rows converted at a time: memory stays flat whatever the frame size


@dataclass
class _Batch:
    """A frame and its target column types; rows() yields driver-ready tuples chunk by chunk."""

    frame: pd.DataFrame
    table: str
    targets: list[_Column]
    dialect: str
    copy_types: list[str] | None  # PostgreSQL binary COPY types, None: text COPY
    compare_cast: list[str]  # PostgreSQL: "::text" for types without "=" (json, ...)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    @property
    def labels(self) -> pd.Index[Any]:
        return self.frame.index

    def __len__(self) -> int:
        return len(self.frame)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Converted rows; a bad value raises LoadError (inside the load's transaction)."""
        starts = range(0, len(self.frame), _CHUNK_ROWS)
        return chain.from_iterable(self._chunk(start) for start in starts)

    def _chunk(self, start: int) -> Iterator[tuple[Any, ...]]:
        part = self.frame.iloc[start : start + _CHUNK_ROWS]
        binary = self.copy_types is not None
        values = [
            _finish(
                _convert(part[c], t.portable, f"{self.table}.{c}"), t.portable, self.dialect, binary
            )
            for c, t in zip(self.columns, self.targets, strict=True)
        ]
        return zip(*values, strict=False)  # equal lengths by construction


# ----------------------------------------------------------------------------- values in


def _decode_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _typed_column(values: pd.Series[Any], portable: str, dialect: str) -> pd.Series[Any]:
    """A column read back, in the same dtype whatever the backend."""
    if portable == "text":
        return values.astype("str")
    if portable == "int":
        return values.astype("Int64")
    if portable == "float":
        return pd.to_numeric(values).astype("float64")
    if portable == "bool":
        return values.astype("boolean")
    if portable in ("date", "timestamp"):
        parsed = pd.to_datetime(values, utc=True, format="ISO8601")
        return parsed.dt.tz_localize(None).astype("datetime64[us]")
    if portable == "json" and dialect != "postgresql":
        return values.map(_decode_json)
    if portable == "decimal":
        return values.map(_decimal_or_none).where(values.notna(), None).astype(object)
    return values


def _canonical(values: pd.Series[Any], portable: str) -> pd.Series[Any]:
    """Values normalised for hashing: equal content hashes equal on every backend."""
    if portable == "json":
        return values.map(_dumps).where(values.notna(), None).astype(object)
    if portable == "decimal":
        return values.map(lambda d: format(d.normalize(), "f"), na_action="ignore").astype(object)
    if portable == "text":
        return values.astype(object).where(values.notna(), None)
    return values


# ----------------------------------------------------------------------------- the database


class Database:
    """One database reached through one SQLAlchemy engine."""

    def __init__(self, url: str, *, connect_retries: int = 3, retry_backoff: float = 0.5) -> None:
        parsed = make_url(url)
        if parsed.drivername in _DEFAULT_DRIVERS:
            parsed = parsed.set(drivername=_DEFAULT_DRIVERS[parsed.drivername])
        backend = parsed.get_backend_name()
        if backend not in _BACKENDS:
            raise DatabaseError(
                f"unsupported database URL scheme {parsed.drivername!r}; use "
                "postgresql+psycopg://, mysql+pymysql://, sqlite:/// or "
                "mssql+pyodbc://"
            )
        if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
            raise DatabaseError(
                f"{parsed.drivername}: the PostgreSQL fast path needs psycopg 3; "
                "use a postgresql+psycopg:// URL"
            )
        self.url = url
        self.dialect = _BACKENDS[backend]
        self.connect_retries = max(0, connect_retries)
        self.retry_backoff = retry_backoff
        self._spec = _DIALECTS[self.dialect]
        if self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {"pool_pre_ping": True}
        if parsed.drivername == "mssql+pyodbc":
            options["fast_executemany"] = True
        self.engine = sa.create_engine(parsed, **options)
        if self.dialect == "sqlite":
            _sqlite_transactions(self.engine)
        # test seam: called with (step, connection) at named points of a load
        self._load_hook: Callable[[str, sa.Connection], None] | None = None

    @classmethod
    def from_config(cls, cfg: Config) -> Database:
        """The database of a workflow's configuration (DATABASE_URL, else database.url)."""
        return cls(
            cfg.database_url(),
            connect_retries=cfg.get_int("database.connect_retries", 3, minimum=0),
            retry_backoff=cfg.get_float("database.retry_backoff_seconds", 0.5),
        )

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # ------------------------------------------------------------------ plain SQL

    def read_sql(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Rows of a query (``:name`` placeholders bound from params) as a frame."""

        def work(conn: sa.Connection) -> pd.DataFrame:
            result = conn.execute(sa.text(sql), dict(params or {}))
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

        return self._run(work, what=f"query {_excerpt(sql)}", idempotent=True)

    def execute(
        self, sql: str, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
    ) -> int:
        """Run one statement (many parameter sets: executemany) in a transaction; rows affected."""
        bound: Any = {}
        if isinstance(params, Mapping):
            bound = dict(params)
        elif params is not None:
            bound = [dict(p) for p in params]

        def work(conn: sa.Connection) -> int:
            return max(conn.execute(sa.text(sql), bound).rowcount, 0)

        return self._run(work, what=f"statement {_excerpt(sql)}", idempotent=False)

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self.engine.begin() as conn:
            yield conn

    # ------------------------------------------------------------------ introspection

    def quote(self, identifier: str) -> str:
        """The identifier quoted for this dialect, after checking it is usable."""
        self._check_name(identifier)
        first, last = self._spec.quotes
        return f"{first}{identifier.replace(last, last * 2)}{last}"

    def _check_name(self, name: object) -> None:
        if not isinstance(name, str) or not name:
            raise DatabaseError(
                f"identifier {name!r} is not usable: names must be non-empty "
                "strings; rename the column or table"
            )
        if "\x00" in name:
            raise DatabaseError(f"identifier {name!r} contains a NUL character; remove it")
        size = len(name.encode()) if self._spec.name_bytes else len(name)
        limit = self._spec.max_name
        if limit is not None and size > limit:
            unit = "bytes" if self._spec.name_bytes else "characters"
            raise DatabaseError(
                f"identifier {name!r} is {size} {unit}; {self.dialect} allows "
                f"at most {limit}: shorten it"
            )
        if self.dialect == "mysql" and (name.endswith(" ") or max(map(ord, name)) > 0xFFFF):
            raise DatabaseError(
                f"identifier {name!r} ends with a space or holds a character "
                "outside the BMP, which MariaDB/MySQL names cannot: rename it"
            )

    def table_exists(self, table: str) -> bool:
        """Whether the table (or view) exists in the URL's schema."""
        return bool(self._column_info(table))

    def columns(self, table: str) -> dict[str, str]:
        """Column -> portable type (unknown native types are returned lower-cased)."""
        return {name: column.portable for name, column in self._column_info(table).items()}

    def _column_info(
        self, table: str, error: type[DatabaseError] = DatabaseError, what: str | None = None
    ) -> dict[str, _Column]:
        quoted = self.quote(table)

        def work(conn: sa.Connection) -> dict[str, _Column]:
            rows = conn.execute(
                sa.text(_COLUMNS_SQL[self.dialect]), {"table": table, "quoted": quoted}
            ).fetchall()
            # flag: PostgreSQL's type name (for COPY), or "json" for a MariaDB JSON column
            return {
                str(name): _Column(
                    str(name),
                    "json" if flag == "json" else _portable_from_native(str(native)),
                    _PG_COPY_TYPES.get(str(flag)),
                    key,
                )
                for name, native, flag, key in rows
            }

        return self._run(work, what=what or f"columns of {table!r}", idempotent=True, error=error)

    # ------------------------------------------------------------------ schema

    def ensure_table(self, schema: TableSchema) -> list[str]:
        """Create the table if missing, else add its missing columns; the columns added.

        A new table returns all its columns. Existing columns are never altered or dropped.
        """
        self._check_schema(schema)
        return self._run(
            lambda conn: self._ensure(conn, schema),
            what=f"ensure table {schema.name!r}",
            idempotent=True,
        )

    def _check_schema(self, schema: TableSchema) -> None:
        for name in (schema.name, *schema.columns):
            self._check_name(name)

    def _ensure(
        self,
        conn: sa.Connection,
        schema: TableSchema,
        name: str | None = None,
    ) -> list[str]:
        table = name or schema.name
        existing = {self._fold(c): c for c in self._columns_on(conn, table)}
        if not existing:
            for statement in self._create_sql(schema, table):
                _exec(conn, statement)
            return list(schema.columns)
        added = [c for c in schema.columns if self._fold(c) not in existing]
        for column in added:
            kind = self._spec.types[schema.columns[column]]
            _exec(conn, f"ALTER TABLE {self.quote(table)} ADD {self.quote(column)} {kind}")
        if added:
            log.info("%s: added column(s) %s", table, added)
        return added

    def _columns_on(self, conn: sa.Connection, table: str) -> list[str]:
        rows = conn.execute(
            sa.text(_COLUMNS_SQL[self.dialect]), {"table": table, "quoted": self.quote(table)}
        ).fetchall()
        return [str(row[0]) for row in rows]

    def _fold(self, name: str) -> str:
        return name.casefold() if self._spec.fold_case else name

    def _create_sql(self, schema: TableSchema, table: str) -> list[str]:
        q = self.quote
        keyed = {*schema.primary_key, *(c for index in schema.indexes for c in index)}
        parts = [
            f"{q(c)} {self._spec.key_text if t == 'text' and c in keyed else self._spec.types[t]}"
            f"{' NOT NULL' if c in schema.primary_key else ''}"
            for c, t in schema.columns.items()
        ]
        if schema.primary_key:
            parts.append(f"PRIMARY KEY ({', '.join(map(q, schema.primary_key))})")
        statements = [f"CREATE TABLE {q(table)} ({', '.join(parts)}){self._spec.table_options}"]
        for index in schema.indexes:
            statements.append(
                f"CREATE INDEX {q(self._index_name(table, index))} ON {q(table)} "
                f"({', '.join(map(q, index))})"
            )
        return statements

    def _index_name(self, table: str, columns: Sequence[str]) -> str:
        name = f"{table}_{'_'.join(columns)}_idx"
        limit = self._spec.max_name or 10_000
        size = len(name.encode()) if self._spec.name_bytes else len(name)
        return name if size <= limit else f"ix_{sha256(name.encode()).hexdigest()[:24]}"

    # ------------------------------------------------------------------ loads

    def upsert_frame(
        self,
        df: pd.DataFrame,
        table: str,
        keys: Sequence[str],
        *,
        schema: TableSchema | None = None,
    ) -> UpsertResult:
        """Insert new keys and update existing ones, in one transaction.

        Creates the table when missing (from ``schema``, else from the frame's dtypes with
        ``keys`` as primary key); with ``schema`` also adds its missing columns. Duplicate keys
        in ``df``: the last row wins (counted and logged). Any failure raises LoadError and
        leaves the target as it was.
        """
        started = time.perf_counter()
        keys = list(keys)
        if not keys:
            raise LoadError(
                f"{table}: upsert_frame needs key column(s); use "
                "replace_table_atomically to load without keys"
            )
        self._check_frame(df, table, keys)
        frame, dropped = _dedupe(df, keys, table)
        existing = self._column_info(table, LoadError, f"upsert into {table!r}")
        target = schema or (None if existing else TableSchema.from_frame(frame, table, keys))
        batch = self._batch(frame, table, existing, target)
        created: list[str] = []

        def work(conn: sa.Connection) -> None:
            self._step("begin", conn)
            if target is not None:
                if not self._columns_on(conn, table):
                    created.append(table)
                self._ensure(conn, target, table)
            if len(batch):
                _UPSERTS[self.dialect](self, conn, table, batch, keys)
            self._step("before_commit", conn)

        try:
            self._run(work, what=f"upsert into {table!r}", idempotent=True, error=LoadError)
        except LoadError:
            if self.dialect == "mysql":  # DDL commits on MariaDB: undo a table we created
                for name in created:
                    self._drop_quietly(name)
            raise
        seconds = time.perf_counter() - started
        log.info(
            "%s: upserted %d row(s) in %.2fs (%d duplicate(s) dropped)",
            table,
            len(batch),
            seconds,
            dropped,
        )
        return UpsertResult(table, len(batch), dropped, seconds)

    def replace_table_atomically(
        self, df: pd.DataFrame, table: str, *, schema: TableSchema | None = None
    ) -> int:
        """Replace the table's content; readers see the old or the new table, never a half.

        The new table follows ``schema`` when given, else the existing table's definition,
        else the frame's dtypes. Returns the rows loaded.
        """
        existing = self._column_info(table, LoadError, f"replace {table!r}")
        key = (
            [
                c.name
                for c in sorted(existing.values(), key=lambda c: c.key_position or 0)
                if c.key_position is not None
            ]
            if schema is None
            else list(schema.primary_key)
        )
        self._check_frame(df, table, key)
        frame, _ = _dedupe(df, key, table) if key else (df, 0)
        target = schema or (None if existing else TableSchema.from_frame(frame, table))
        batch = self._batch(frame, table, {} if schema else existing, target)
        _REPLACES[self.dialect](self, table, batch, target)
        log.info("%s: replaced with %d row(s)", table, len(batch))
        return len(batch)

    def replacing_table(self, table: str, schema: TableSchema) -> TableWriter:
        """Replace ``table`` from parts written one by one (see shared.db_stream): streamed
        into PostgreSQL as they come, swapped in at ``commit()``; atomic like
        replace_table_atomically."""
        from shared.db_stream import TableWriter  # noqa: PLC0415 - db_stream builds on this module

        return TableWriter(self, table, schema)

    def _check_frame(self, df: pd.DataFrame, table: str, keys: Sequence[str]) -> None:
        self._check_name(table)
        for column in df.columns:
            self._check_name(column)
        repeated = df.columns[df.columns.duplicated()].tolist()
        if repeated:
            raise LoadError(f"{table}: the frame repeats column(s) {repeated}; rename them")
        missing = [k for k in keys if k not in df.columns]
        if missing:
            raise LoadError(
                f"{table}: key column(s) {missing} are not in the frame "
                f"(columns: {list(df.columns)})"
            )
        if keys:
            empty = df[keys].isna().any(axis=1).to_numpy()
            if empty.any():
                first = _label(df.index, int(np.flatnonzero(empty)[0]))
                raise LoadError(
                    f"{table}: {int(empty.sum())} row(s) have an empty key "
                    f"{keys} (first: row {first!r}); every row needs a key: "
                    "fill or drop them. Nothing was loaded."
                )

    def _batch(
        self,
        frame: pd.DataFrame,
        table: str,
        columns: dict[str, _Column],
        schema: TableSchema | None,
    ) -> _Batch:
        """The frame with its target column types: the table's, then the schema's."""
        folded = {self._fold(name): column for name, column in columns.items()}
        if schema is not None:
            for name, portable in schema.columns.items():
                folded.setdefault(
                    self._fold(name), _Column(name, portable, _PG_NEW_COLUMN[portable])
                )
        unknown = [c for c in frame.columns if self._fold(c) not in folded]
        if unknown:
            raise LoadError(
                f"{table}: the table has no column(s) {unknown}; add them with "
                "ensure_table(...) or pass schema=. Nothing was loaded."
            )
        targets = [folded[self._fold(c)] for c in frame.columns]
        binary = self.dialect == "postgresql" and all(t.copy_type for t in targets)
        copy_types = [str(t.copy_type) for t in targets] if binary else None
        casts = ["" if t.copy_type not in (None, "json") else "::text" for t in targets]
        return _Batch(frame, table, targets, self.dialect, copy_types, casts)

    def _step(self, step: str, conn: sa.Connection) -> None:
        if self._load_hook is not None:
            self._load_hook(step, conn)

    def _drop_quietly(self, table: str) -> None:
        try:
            with self.engine.begin() as conn:
                _exec(conn, f"DROP TABLE IF EXISTS {self.quote(table)}")
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not drop leftover table %r: %s", table, _describe(exc))

    # ------------------------------------------------------------------ checksums

    def read_table(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        order_by: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """A table (or some columns) in backend-independent dtypes.

        text -> str, int -> Int64, float -> float64, bool -> boolean, date/timestamp ->
        datetime64[us] (naive UTC), json -> Python objects, decimal -> Decimal.
        """
        return self._read(table, columns, order_by)[0]

    def _read(
        self, table: str, columns: Sequence[str] | None, order_by: Sequence[str] | None
    ) -> tuple[pd.DataFrame, dict[str, str]]:
        """The typed frame and the portable types of its columns."""
        info = self.columns(table)
        if not info:
            raise DatabaseError(f"table {table!r} does not exist")
        names = list(columns) if columns is not None else list(info)
        unknown = [c for c in [*names, *(order_by or ())] if c not in info]
        if unknown:
            raise DatabaseError(f"{table}: no column(s) {unknown}; it has {list(info)}")
        order = f" ORDER BY {', '.join(map(self.quote, order_by))}" if order_by else ""
        sql = f"SELECT {', '.join(map(self.quote, names))} FROM {self.quote(table)}{order}"
        rows = self._run(lambda conn: _exec(conn, sql), what=f"read {table!r}", idempotent=True)
        raw = pd.DataFrame(rows, columns=names, dtype=object)
        typed = {c: _typed_column(raw[c], info[c], self.dialect) for c in names}
        return pd.DataFrame(typed, index=raw.index), {c: info[c] for c in names}

    def table_checksum(self, table: str, order_by: Sequence[str] | None = None) -> str:
        """A hash of the table's content (column names, types and the multiset of rows).

        Values are normalised (see read_table), so equal content hashes equal on every
        backend. Row order never matters; ``order_by`` is accepted for the agreed interface
        and only checked to name existing columns.
        """
        frame, types = self._read(table, None, order_by)
        names = sorted(frame.columns)
        canon = pd.DataFrame({c: _canonical(frame[c], types[c]) for c in names}, index=frame.index)
        rows = np.sort(pd.util.hash_pandas_object(canon, index=False).to_numpy())
        digest = sha256(json.dumps([[c, types[c]] for c in names]).encode())
        digest.update(rows.tobytes())
        return digest.hexdigest()

    # ------------------------------------------------------------------ retries

    def _run(
        self,
        work: Callable[[sa.Connection], T],
        *,
        what: str,
        idempotent: bool,
        error: type[DatabaseError] = DatabaseError,
        settle: Callable[[], T | None] | None = None,
    ) -> T:
        """Run work in one transaction; transient failures run the whole transaction again.

        ``settle`` resolves an ambiguous failure: called (on a new connection of its own) after
        an attempt raised, it returns the work's result when the attempt's change took effect
        anyway (the server committed but the client lost the answer), else None after undoing
        what the attempt left behind. A settled attempt is never run again.
        """
        for attempt in range(self.connect_retries + 1):
            sent = False
            try:
                with self.engine.connect() as conn:
                    try:
                        with conn.begin():
                            sent = True
                            return work(conn)
                    except Exception as exc:
                        if _is_transient(exc):
                            conn.invalidate()
                        raise
            except DatabaseError:
                raise
            except Exception as exc:
                if settle is not None and sent:
                    done = self._settle(settle, exc, what)
                    if done is not None:
                        log.warning(
                            "%s: %s after the change was committed: it took effect",
                            what,
                            _describe(exc),
                        )
                        return done
                retry = _is_transient(exc) and (idempotent or not sent)
                if not retry or attempt == self.connect_retries:
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    unchanged = "; the table is unchanged" if error is LoadError else ""
                    raise error(f"{what} failed{tries}: {_describe(exc)}{unchanged}") from exc
                delay = self.retry_backoff * 2**attempt
                log.warning(
                    "%s: %s; retrying the transaction in %.2fs (%d/%d)",
                    what,
                    _describe(exc),
                    delay,
                    attempt + 1,
                    self.connect_retries,
                )
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _settle(self, settle: Callable[[], T | None], exc: BaseException, what: str) -> T | None:
        """The outcome of an attempt that failed (see _run); retried while the server is away."""
        for attempt in range(self.connect_retries + 1):
            try:
                return settle()
            except Exception as unknown:  # noqa: BLE001 - any failure: the outcome is unknown
                if not _is_transient(unknown) or attempt == self.connect_retries:
                    raise DatabaseError(
                        f"{what} failed: {_describe(exc)}; could not tell whether it took "
                        f"effect ({_describe(unknown)}): check the table before running it again"
                    ) from exc
                time.sleep(self.retry_backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover


def _excerpt(sql: str) -> str:
    flat = " ".join(sql.split())
    return repr(flat if len(flat) <= 60 else flat[:57] + "...")


def _dedupe(df: pd.DataFrame, keys: list[str], table: str) -> tuple[pd.DataFrame, int]:
    """Keep the last row of each key; the number of rows dropped."""
    repeated = (
        df[keys[0]].duplicated(keep="last")
        if len(keys) == 1
        else df.duplicated(subset=keys, keep="last")
    ).to_numpy()
    count = int(repeated.sum())
    if count:
        examples = df.loc[repeated, keys].head(3).to_dict("records")
        log.warning(
            "%s: %d row(s) repeat the key of a later row; kept the last of each (e.g. %s)",
            table,
            count,
            examples,
        )
        df = df.loc[~repeated]
    return df, count


def _sqlite_transactions(engine: sa.Engine) -> None:
    """Let SQLite run DDL inside our transactions (SQLAlchemy's documented recipe) + WAL."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: random-key B-trees stay cached
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")


def _driver(conn: sa.Connection) -> Any:
    return conn.connection.driver_connection


def _exec(conn: sa.Connection, sql: str) -> list[Any]:
    """Run a statement without parameters on the driver's cursor; its rows, if any.

    Without parameters the drivers send the text as is, so a ``%`` or ``:name`` inside a
    quoted identifier is never taken for a placeholder.
    """
    cursor = _driver(conn).cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


def _exec_count(conn: sa.Connection, sql: str) -> int:
    """Run a statement without parameters (see _exec); the rows it affected."""
    cursor = _driver(conn).cursor()
    try:
        cursor.execute(sql)
        return int(cursor.rowcount)
    finally:
        cursor.close()


# ----------------------------------------------------------------------------- PostgreSQL


def _pg_copy(db: Database, conn: sa.Connection, table: str, batch: _Batch) -> None:
    """COPY the batch into a table: binary when every column type allows, else text.

    Binary COPY data is encoded from Arrow record batches when shared.db_copy_arrow can
    (pyarrow and pgpq installed, plain column types), else written row by row.
    """
    binary = batch.copy_types is not None
    fmt = " (FORMAT BINARY)" if binary else ""
    columns = ", ".join(map(db.quote, batch.columns))
    position = -1
    arrow = db_copy_arrow.binary_copy_data(batch, _convert, _CHUNK_ROWS)
    with _driver(conn).cursor() as cursor:
        set_json_dumps(_dumps, context=cursor)
        try:
            with cursor.copy(f"COPY {db.quote(table)} ({columns}) FROM STDIN{fmt}") as copy:
                if arrow is not None:
                    for data in arrow:
                        copy.write(data)
                else:
                    if batch.copy_types is not None:
                        copy.set_types(batch.copy_types)
                    write = copy.write_row
                    for position, row in enumerate(batch.rows()):  # noqa: B007 - read on failure
                        write(row)
                db._step("copy_written", conn)
        except Exception as exc:
            if not isinstance(exc, DatabaseError) and not _is_transient(exc):
                exc.add_note(_copy_position(exc, batch, position, arrow is not None))
            raise


def _copy_position(exc: BaseException, batch: _Batch, position: int, arrow: bool) -> str:
    """Where a COPY failed: the server's line, else the row being written (row path only)."""
    context = str(getattr(getattr(exc, "diag", None), "context", None) or "")
    found = re.search(r"line (\d+)(?:, column (.*?):)?", context)
    column = ""
    if found:
        position = int(found.group(1)) - 1
        column = f", column {found.group(2)!r}" if found.group(2) else ""
    if 0 <= position < len(batch):
        return f"at frame row {_label(batch.labels, position)!r} (position {position}){column}"
    return "while streaming Arrow record batches" if arrow else "while streaming rows"


def _pg_upsert(
    db: Database, conn: sa.Connection, table: str, batch: _Batch, keys: list[str]
) -> None:
    q = db.quote
    target = q(table)
    if not _exec(conn, f"SELECT EXISTS (SELECT 1 FROM {target})")[0][0]:
        db._step("target_empty", conn)
        try:  # empty target: COPY straight in (a savepoint covers a concurrent insert)
            with conn.begin_nested():
                _pg_copy(db, conn, table, batch)
        except UniqueViolation:
            log.info("%s: rows appeared during the load; switching to a staged upsert", table)
        else:
            return
    stage = f"_wf_stage_{secrets.token_hex(6)}"
    columns = ", ".join(map(q, batch.columns))
    _exec(
        conn,
        f"CREATE TEMPORARY TABLE {q(stage)} ON COMMIT DROP AS "
        f"SELECT {columns} FROM {target} WITH NO DATA",
    )
    _pg_copy(db, conn, stage, batch)
    _pg_hash_memory(conn, len(batch))
    update, insert = _pg_merge_sql(db, table, stage, batch, keys)
    # every stage row updated: no key can be new, so the INSERT's anti-join is skipped
    if update is None or _exec_count(conn, update) < len(batch):
        _exec(conn, insert)
    _exec(conn, f"DROP TABLE {q(stage)}")


def _pg_hash_memory(conn: sa.Connection, rows: int) -> None:
    """Let the UPDATE's hash join of stage and target run in one batch (this transaction only).

    With the default 4 MB, 1M rows split into 32 batches, read back from temp files in hash
    order, so the target's pages are updated in random order: measured 1M-row update, 15.6 s
    server CPU / 29.6 s with 32 batches, 10.6 s / 17.0 s in one. ~160 bytes a row (hash tables
    get work_mem x hash_mem_multiplier, 2 by default), capped at 256 MB; never lowered.
    """
    wanted_kb = min(rows * 160 // 1024, 256 * 1024)
    current_kb = int(_exec(conn, "SELECT setting FROM pg_settings WHERE name = 'work_mem'")[0][0])
    if wanted_kb > current_kb:
        _exec(conn, f"SET LOCAL work_mem = '{int(wanted_kb)}kB'")


def _pg_merge_sql(
    db: Database, table: str, stage: str, batch: _Batch, keys: list[str]
) -> tuple[str | None, str]:
    """An UPDATE of the rows that changed (None: only key columns) and an INSERT of new keys.

    Measured on 200k rows (server CPU) against one ``INSERT .. ON CONFLICT DO UPDATE``: equal
    when every row changes, 1.8x less when none does (ON CONFLICT locks each conflicting row
    even when its WHERE skips the update), 1.5x less for 10% changed + 10% new. The INSERT
    keeps ON CONFLICT so a key inserted concurrently is still updated, not an error.
    """
    q, target, stage = db.quote, db.quote(table), db.quote(stage)
    columns = ", ".join(map(q, batch.columns))
    match = " AND ".join(f"{target}.{q(k)} = {stage}.{q(k)}" for k in keys)
    rest = [
        (q(c), cast)
        for c, cast in zip(batch.columns, batch.compare_cast, strict=True)
        if c not in keys
    ]
    update, conflict = None, "DO NOTHING"
    if rest:
        old = f"ROW({', '.join(f'{target}.{c}{cast}' for c, cast in rest)})"
        new = f"ROW({', '.join(f'{stage}.{c}{cast}' for c, cast in rest)})"
        excluded = f"ROW({', '.join(f'EXCLUDED.{c}{cast}' for c, cast in rest)})"
        conflict = (
            f"DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c, _ in rest)} "
            f"WHERE {old} IS DISTINCT FROM {excluded}"
        )
        assignments = ", ".join(f"{c} = {stage}.{c}" for c, _ in rest)
        update = (
            f"UPDATE {target} SET {assignments} FROM {stage} "
            f"WHERE {match} AND {old} IS DISTINCT FROM {new}"
        )
    insert = (
        f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage} WHERE NOT EXISTS "
        f"(SELECT 1 FROM {target} WHERE {match}) ON CONFLICT ({', '.join(map(q, keys))}) "
        f"{conflict}"
    )
    return update, insert


def _pg_replace(db: Database, table: str, batch: _Batch, schema: TableSchema | None) -> None:
    """Load a new table and swap it in with renames, all in one transaction.

    The COMMIT is the one ambiguous moment: a connection lost while it runs may or may not
    have committed. The transaction's id tells (pg_xact_status), so a lost answer is settled,
    not guessed, and a committed replace is never run twice.
    """
    attempt = _PgAttempt()

    def work(conn: sa.Connection) -> int:
        attempt.track(conn)
        fresh = _pg_create_fresh(db, conn, table, schema)
        _pg_copy(db, conn, fresh, batch)
        _pg_swap(db, conn, table, fresh)
        db._step("before_commit", conn)
        return len(batch)

    def settle() -> int | None:
        return len(batch) if attempt.committed(db) else None

    db._run(work, what=f"replace {table!r}", idempotent=True, error=LoadError, settle=settle)


def _pg_create_fresh(
    db: Database, conn: sa.Connection, table: str, schema: TableSchema | None
) -> str:
    """Create the load table of a replace (from ``schema``, else like the table); its name.

    Rows wider than ~2 kB would be compressed value by value as they are stored (measured:
    3x the COPY time of a 185-column board): the load table keeps rows up to a page as they
    are (toast_tuple_target), values larger than that are still moved out of line.
    """
    fresh = f"_wf_new_{secrets.token_hex(6)}"
    q = db.quote
    if schema is None:
        _exec(conn, f"CREATE TABLE {q(fresh)} (LIKE {q(table)} INCLUDING ALL)")
    else:
        for statement in db._create_sql(schema, fresh):
            _exec(conn, statement)
    _exec(conn, f"ALTER TABLE {q(fresh)} SET (toast_tuple_target = 8160)")
    return fresh


def _pg_swap(db: Database, conn: sa.Connection, table: str, fresh: str) -> None:
    """Inside the load's transaction: the fresh table takes the table's name, the old goes."""
    q = db.quote
    old = f"_wf_old_{secrets.token_hex(6)}"
    exists = conn.execute(sa.text("SELECT to_regclass(:quoted)"), {"quoted": q(table)}).scalar()
    if exists is not None:
        _exec(conn, f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
    _exec(conn, f"ALTER TABLE {q(fresh)} RENAME TO {q(table)}")
    if exists is not None:
        _exec(conn, f"DROP TABLE {q(old)}")
    _pg_rename_indexes(db, conn, table, fresh)


class _PgAttempt:
    """The transaction id and backend of the latest attempt, to tell later if it committed."""

    def __init__(self) -> None:
        self.xid: str | None = None
        self.pid: int | None = None

    def track(self, conn: sa.Connection) -> None:
        self.xid = self.pid = None
        row = conn.execute(sa.text("SELECT pg_current_xact_id()::text, pg_backend_pid()")).one()
        self.xid, self.pid = str(row[0]), int(row[1])

    def committed(self, db: Database, wait: float = 30.0) -> bool:
        """Whether the attempt's transaction committed, asked on a new connection.

        A transaction still 'in progress' belongs to a backend that has not noticed its client
        is gone: it is terminated (an unfinished transaction aborts, a COMMIT under way
        completes first) and asked again, so the answer is final.
        """
        if self.xid is None:
            return False
        status_sql = sa.text("SELECT pg_xact_status(CAST(:xid AS xid8))")
        deadline = time.monotonic() + wait
        with db.engine.connect() as conn:
            while True:
                status = conn.execute(status_sql, {"xid": self.xid}).scalar()
                conn.rollback()
                if status in ("committed", "aborted"):
                    return bool(status == "committed")
                if status != "in progress" or time.monotonic() > deadline:
                    raise DatabaseError(f"transaction {self.xid} is {status or 'unknown'}")
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": self.pid})
                conn.rollback()
                time.sleep(0.05)


def _pg_rename_indexes(db: Database, conn: sa.Connection, table: str, fresh: str) -> None:
    """Give the swapped-in table's indexes names after the table, not the load table."""
    names = conn.execute(
        sa.text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = to_regclass(:quoted)"
        ),
        {"quoted": db.quote(table)},
    ).scalars()
    for name in [str(n) for n in names if str(n).startswith(fresh)]:
        wanted = table + name[len(fresh) :]
        if len(wanted.encode()) <= 63:
            _exec(conn, f"ALTER INDEX {db.quote(name)} RENAME TO {db.quote(wanted)}")


# ----------------------------------------------------------------------------- MariaDB / MySQL


def _my_insert_sql(db: Database, table: str, batch: _Batch, keys: list[str] | None) -> str:
    q = db.quote
    sql = (
        f"INSERT INTO {q(table)} ({', '.join(map(q, batch.columns))}) "
        f"VALUES ({', '.join(['%s'] * len(batch.columns))})"
    )
    if keys is not None:
        rest = [c for c in batch.columns if c not in keys] or keys[:1]
        sql += " ON DUPLICATE KEY UPDATE " + ", ".join(f"{q(c)} = VALUES({q(c)})" for c in rest)
    # the driver %-formats the statement: a % inside an identifier must be doubled
    return sql.replace("%", "%%").replace("%%s", "%s")


def _my_execute(conn: sa.Connection, sql: str, batch: _Batch) -> None:
    with _driver(conn).cursor() as cursor:
        cursor.executemany(sql, batch.rows())


def _my_upsert(
    db: Database, conn: sa.Connection, table: str, batch: _Batch, keys: list[str]
) -> None:
    _my_execute(conn, _my_insert_sql(db, table, batch, keys), batch)


def _my_replace(db: Database, table: str, batch: _Batch, schema: TableSchema | None) -> None:
    """Load a new table, then one atomic RENAME TABLE swaps it in (DDL commits on MariaDB).

    Once the RENAME is sent, a lost connection is ambiguous: the server may have swapped the
    tables before the client heard back. The attempt's unique load table name settles it on a
    new connection, after the old session has ended: gone means swapped (the old table is
    dropped and the load reports success, never run again), still there means not (it is
    dropped, and the error is raised or retried as before). Names of tables an attempt may
    leave behind (failure, dropped connection, retry) are dropped at the end, whatever happened.
    """
    leftovers: list[str] = []
    attempt = _MySwap()

    def work(conn: sa.Connection) -> int:
        fresh = f"_wf_new_{secrets.token_hex(6)}"
        old = f"_wf_old_{secrets.token_hex(6)}"
        q = db.quote
        leftovers.extend([fresh, old])
        attempt.start(conn, fresh, old)
        if schema is None:
            _exec(conn, f"CREATE TABLE {q(fresh)} LIKE {q(table)}")
        else:
            for statement in db._create_sql(schema, fresh):
                _exec(conn, statement)
        if len(batch):
            _my_execute(conn, _my_insert_sql(db, fresh, batch, None), batch)
        db._step("before_swap", conn)
        replacing = bool(db._columns_on(conn, table))
        # RENAME TABLE commits the rows first (implicit commit), then swaps both names at once
        attempt.sent = True
        if replacing:
            _exec(conn, f"RENAME TABLE {q(table)} TO {q(old)}, {q(fresh)} TO {q(table)}")
        else:
            _exec(conn, f"RENAME TABLE {q(fresh)} TO {q(table)}")
        db._step("after_swap", conn)
        if replacing:
            _exec(conn, f"DROP TABLE {q(old)}")
        leftovers.remove(fresh)
        leftovers.remove(old)
        return len(batch)

    def settle() -> int | None:
        return len(batch) if attempt.swapped(db) else None

    try:
        db._run(work, what=f"replace {table!r}", idempotent=True, error=LoadError, settle=settle)
    finally:
        for name in leftovers:
            db._drop_quietly(name)


class _MySwap:
    """The latest attempt's load/old table names, session and whether its RENAME was sent."""

    def __init__(self) -> None:
        self.fresh = self.old = ""
        self.session: int | None = None
        self.sent = False

    def start(self, conn: sa.Connection, fresh: str, old: str) -> None:
        self.fresh, self.old, self.sent, self.session = fresh, old, False, None
        self.session = int(conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar_one())

    def swapped(self, db: Database, wait: float = 30.0) -> bool:
        """Whether the RENAME took effect; drops the table the outcome leaves over.

        The old session is killed and waited for first, so a RENAME it may still be running
        has finished (RENAME TABLE is atomic: both names move or neither) before we look.
        The load table is created (committed) before the RENAME and only the RENAME moves it:
        its name still existing means the swap did not happen.
        """
        if not self.sent:
            return False
        deadline = time.monotonic() + wait
        with db.engine.connect() as conn:
            if int(conn.execute(sa.text("SELECT CONNECTION_ID()")).scalar_one()) != self.session:
                with suppress(sa.exc.DBAPIError):  # already gone
                    conn.execute(sa.text(f"KILL CONNECTION {int(self.session or 0)}"))
                alive = sa.text(
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = :id"
                )
                while conn.execute(alive, {"id": self.session}).scalar_one():
                    if time.monotonic() > deadline:
                        raise DatabaseError(f"session {self.session} does not end")
                    time.sleep(0.05)
            there = sa.text(
                "SELECT COUNT(*) FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :name"
            )
            swapped = not conn.execute(there, {"name": self.fresh}).scalar_one()
            _exec(conn, f"DROP TABLE IF EXISTS {db.quote(self.old if swapped else self.fresh)}")
            conn.commit()
        self.sent = False  # settled (a failure above leaves it to be asked again)
        return swapped


# ----------------------------------------------------------------------------- SQLite


def _lite_insert_sql(db: Database, table: str, batch: _Batch, keys: list[str] | None) -> str:
    q = db.quote
    sql = (
        f"INSERT INTO {q(table)} ({', '.join(map(q, batch.columns))}) "
        f"VALUES ({', '.join(['?'] * len(batch.columns))})"
    )
    if keys is None:
        return sql
    rest = [c for c in batch.columns if c not in keys]
    if not rest:
        return f"{sql} ON CONFLICT ({', '.join(map(q, keys))}) DO NOTHING"
    changed = " OR ".join(f"{q(table)}.{q(c)} IS NOT excluded.{q(c)}" for c in rest)
    return (
        f"{sql} ON CONFLICT ({', '.join(map(q, keys))}) DO UPDATE SET "
        f"{', '.join(f'{q(c)} = excluded.{q(c)}' for c in rest)} WHERE {changed}"
    )


def _lite_upsert(
    db: Database, conn: sa.Connection, table: str, batch: _Batch, keys: list[str]
) -> None:
    _driver(conn).executemany(_lite_insert_sql(db, table, batch, keys), batch.rows())


def _in_place_replace(db: Database, table: str, batch: _Batch, schema: TableSchema | None) -> None:
    """SQLite / SQL Server: empty (or re-create) and reload the table in one transaction.

    SQLite has no ambiguous commit: the library commits in-process, so COMMIT's answer cannot
    be lost on the way, and a COMMIT that fails committed nothing (busy: the transaction stays
    open and is rolled back; I/O error: the journal/WAL undoes it). SQL Server (untested here)
    has the same lost-answer window at COMMIT as PostgreSQL; it is not settled yet.
    """

    def work(conn: sa.Connection) -> None:
        q = db.quote
        if schema is not None:
            _exec(conn, f"DROP TABLE IF EXISTS {q(table)}")
            for statement in db._create_sql(schema, table):
                _exec(conn, statement)
        else:
            _exec(conn, f"DELETE FROM {q(table)}")
        if len(batch):
            _INSERTS[db.dialect](db, conn, table, batch)
        db._step("before_commit", conn)

    db._run(work, what=f"replace {table!r}", idempotent=True, error=LoadError)


def _lite_insert(db: Database, conn: sa.Connection, table: str, batch: _Batch) -> None:
    _driver(conn).executemany(_lite_insert_sql(db, table, batch, None), batch.rows())


# ----------------------------------------------------------------------------- SQL Server
# The users' production engine; no server here to test against, so this stays small:
# fast_executemany into a #temp table, then UPDATE + INSERT in the same transaction.


def _ms_insert(
    db: Database, conn: sa.Connection, table: str, batch: _Batch
) -> None:  # pragma: no cover - needs a SQL Server
    q = db.quote
    cursor = _driver(conn).cursor()
    cursor.fast_executemany = True  # pyodbc wants a list: send the rows chunk by chunk
    sql = (
        f"INSERT INTO {q(table)} ({', '.join(map(q, batch.columns))}) VALUES "
        f"({', '.join(['?'] * len(batch.columns))})"
    )
    rows = batch.rows()
    while chunk := list(islice(rows, _CHUNK_ROWS)):
        cursor.executemany(sql, chunk)


def _ms_upsert(
    db: Database, conn: sa.Connection, table: str, batch: _Batch, keys: list[str]
) -> None:  # pragma: no cover - needs a SQL Server
    stage = f"#wf_stage_{secrets.token_hex(6)}"
    columns = ", ".join(map(db.quote, batch.columns))
    _exec(conn, f"SELECT TOP 0 {columns} INTO {db.quote(stage)} FROM {db.quote(table)}")
    _ms_insert(db, conn, stage, batch)
    for statement in _ms_merge_sql(db, table, stage, batch.columns, keys):
        _exec(conn, statement)


def _ms_merge_sql(
    db: Database, table: str, stage: str, columns: list[str], keys: list[str]
) -> list[str]:
    """UPDATE changed rows, INSERT new keys, drop the stage: plain statements, no MERGE."""
    q = db.quote
    match = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in keys)
    names = ", ".join(map(q, columns))
    rest = [c for c in columns if c not in keys]
    update = (
        f"UPDATE t SET {', '.join(f't.{q(c)} = s.{q(c)}' for c in rest)} FROM "
        f"{q(table)} t JOIN {q(stage)} s ON {match}"
    )
    insert = (
        f"INSERT INTO {q(table)} ({names}) SELECT {', '.join(f's.{q(c)}' for c in columns)}"
        f" FROM {q(stage)} s WHERE NOT EXISTS (SELECT 1 FROM {q(table)} t WHERE {match})"
    )
    return [*([update] if rest else []), insert, f"DROP TABLE {q(stage)}"]


_UPSERTS: dict[str, Callable[[Database, sa.Connection, str, _Batch, list[str]], None]] = {
    "postgresql": _pg_upsert,
    "mysql": _my_upsert,
    "sqlite": _lite_upsert,
    "mssql": _ms_upsert,
}
_INSERTS: dict[str, Callable[[Database, sa.Connection, str, _Batch], None]] = {
    "sqlite": _lite_insert,
    "mssql": _ms_insert,
}
_REPLACES: dict[str, Callable[[Database, str, _Batch, TableSchema | None], None]] = {
    "postgresql": _pg_replace,
    "mysql": _my_replace,
    "sqlite": _in_place_replace,
    "mssql": _in_place_replace,
}
