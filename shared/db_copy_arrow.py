"""PostgreSQL binary COPY data built from Arrow record batches: db_helper's fast load path.

psycopg's ``Copy.write_row`` dumps every value through Python, which dominates loads of wide
frames. Here each column is converted to one Arrow array of exactly the type the target column
expects, and pgpq encodes whole record batches into PostgreSQL's binary COPY format.

Values go through the same converters as the row path (db_helper's ``_convert``), on the same
chunks of rows, so the stored values and the LoadError raised for a bad value (naming table,
column and row, with the count in that chunk) are identical. Only plain numpy number/boolean
columns skip the converters, whose output for them is the values themselves.

Optional: pyarrow and pgpq are not runtime dependencies of ``shared/``. Without them, or when a
column has no exact Arrow twin (json, decimal, types without binary COPY), or a value does not
fit a narrow PostgreSQL column (int2/int4/float4, which psycopg's dumpers wrap silently),
:func:`binary_copy_data` returns None and db_helper writes rows as before.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from shared.db_helper import _Batch

log = logging.getLogger(__name__)

#: False: every load writes rows (tests switch it off to compare both paths).
ENABLED = True
#: Rows per record batch handed to the encoder, so each buffer written to COPY stays small.
BATCH_ROWS = 20_000

# (portable type, PostgreSQL binary COPY type) -> Arrow type; pgpq encodes each Arrow type as
# exactly that PostgreSQL type (timestamp also serves timestamptz: both send UTC microseconds).
_ARROW_TYPES = {
    ("text", "text"): "large_string",
    ("int", "int2"): "int16",
    ("int", "int4"): "int32",
    ("int", "int8"): "int64",
    ("float", "float4"): "float32",
    ("float", "float8"): "float64",
    ("bool", "bool"): "bool_",
    ("date", "date"): "date32",
    ("timestamp", "timestamp"): "timestamp",
}
_INT_LIMITS: dict[str, Any] = {
    "int2": np.iinfo(np.int16),
    "int4": np.iinfo(np.int32),
    "int8": np.iinfo(np.int64),
}
# portable type -> numpy kinds whose values the converter passes through unchanged
_DIRECT_KINDS = {"int": "iub", "float": "fiub", "bool": "b"}

Convert = Callable[["pd.Series[Any]", str, str], Any]


@cache
def _modules() -> tuple[ModuleType, ModuleType] | None:
    """pyarrow and pgpq, imported on first use; None when either is missing."""
    try:
        return importlib.import_module("pyarrow"), importlib.import_module("pgpq")
    except ImportError:
        log.info("pyarrow/pgpq not importable: PostgreSQL loads write COPY rows one by one")
        return None


def _arrow_type(pa: ModuleType, name: str) -> Any:
    """The Arrow type named in _ARROW_TYPES (timestamps: naive microseconds, as we store)."""
    return pa.timestamp("us") if name == "timestamp" else getattr(pa, name)()


def _fits(series: pd.Series[Any], copy_type: str) -> bool:
    """Whether every value is stored alike by both paths (decided for the whole frame).

    A value beyond int2/int4/float4 (or a uint64 beyond int8) is wrapped by psycopg's dumpers
    but refused or turned into infinity by Arrow: such columns, and narrow columns that are not
    plain numbers, leave the load to the row path.
    """
    if copy_type == "float4":
        if not pd.api.types.is_numeric_dtype(series.dtype):
            return False
        wide = series.to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(over="ignore"):
            return not bool((np.isinf(wide.astype("float32")) & np.isfinite(wide)).any())
    narrow = copy_type in ("int2", "int4")
    if not narrow and not (copy_type == "int8" and series.dtype.kind == "u"):
        return True  # any other value reaching the encoder is one the converter checked
    if pd.api.types.is_bool_dtype(series.dtype):
        return True
    if not pd.api.types.is_integer_dtype(series.dtype):
        return False
    limits = _INT_LIMITS[copy_type]
    low, high = series.min(), series.max()
    return bool(pd.isna(low) or (limits.min <= int(low) and int(high) <= limits.max))


def _arrow_column(
    pa: ModuleType,
    series: pd.Series[Any],
    portable: str,
    arrow_type: Any,
    where: str,
    convert: Convert,
) -> Any:
    """One column as an Arrow array of ``arrow_type``; NaN/None/NaT/NA become nulls."""
    if portable == "text" and _arrow_strings(series):
        # already Arrow strings (pd.ArrowDtype): what the converter would produce, no copy out
        values = pa.array(series)  # the array itself (a ChunkedArray when it has chunks)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        return values.cast(arrow_type)
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else ""
    if kind and kind in _DIRECT_KINDS.get(portable, ""):
        values = series.to_numpy(dtype="float64" if portable == "float" else None)
        if kind == "b" and portable == "int":
            values = values.astype("int64")
        return pa.array(values, from_pandas=True).cast(arrow_type)
    converted = convert(series, portable, where)
    if isinstance(converted, np.ndarray):  # dates and timestamps: datetime64 with NaT
        return pa.array(converted, from_pandas=True).cast(arrow_type)
    return pa.array(converted, type=arrow_type)


def _arrow_strings(series: pd.Series[Any]) -> bool:
    dtype = series.dtype
    return isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype) in (
        "string",
        "large_string",
    )


def binary_copy_data(batch: _Batch, convert: Convert, chunk_rows: int) -> Iterator[bytes] | None:
    """The batch's whole binary COPY stream, produced chunk by chunk; None: write rows instead.

    ``convert(series, portable, where)`` is the row path's converter and ``chunk_rows`` its
    chunk size: a bad value raises the same LoadError at the same point of the stream.
    """
    encoder = CopyEncoder.for_batch(batch)
    if encoder is None or not encoder.fits(batch):
        return None
    return _stream(encoder.pa, encoder.pgpq, encoder.schema, batch, convert, chunk_rows)


class CopyEncoder:
    """One binary COPY stream in parts: header, the record batches of any number of batches
    (frames with the same columns and target types), trailer. Used whole by
    binary_copy_data and part by part by db_stream.TableWriter."""

    def __init__(self, pa: ModuleType, pgpq: ModuleType, schema: Any, copy_types: list[str]):
        self.pa, self.pgpq, self.schema, self.copy_types = pa, pgpq, schema, copy_types
        self._encoder = pgpq.ArrowToPostgresBinaryEncoder(schema)

    @classmethod
    def for_batch(cls, batch: _Batch) -> CopyEncoder | None:
        """An encoder for batches like this one; None when the row path must load it."""
        modules = _modules() if ENABLED and batch.copy_types is not None else None
        if modules is None or batch.copy_types is None:
            return None
        portables = [t.portable for t in batch.targets]
        names = [_ARROW_TYPES.get(pair) for pair in zip(portables, batch.copy_types, strict=True)]
        if None in names:
            return None
        pa, pgpq = modules
        schema = pa.schema(
            [pa.field(f"c{i}", _arrow_type(pa, str(name))) for i, name in enumerate(names)]
        )
        return cls(pa, pgpq, schema, list(batch.copy_types))

    def fits(self, batch: _Batch) -> bool:
        """Whether this batch can be encoded here alike the row path (same types, values fit)."""
        return batch.copy_types == self.copy_types and all(
            _fits(batch.frame[c], t) for c, t in zip(batch.columns, self.copy_types, strict=True)
        )

    def header(self) -> bytes:
        return bytes(self._encoder.write_header())

    def encode(self, batch: _Batch, convert: Convert, chunk_rows: int) -> Iterator[bytes]:
        """The batch's record batches (at most BATCH_ROWS rows each), converted chunk by chunk."""
        for record in self.records(batch, convert, chunk_rows):
            yield self.encode_record(record)

    def records(self, batch: _Batch, convert: Convert, chunk_rows: int) -> Iterator[Any]:
        """The batch as Arrow record batches of the target types (BATCH_ROWS rows at most)."""
        pa, schema = self.pa, self.schema
        for start in range(0, len(batch), chunk_rows):
            part = batch.frame.iloc[start : start + chunk_rows]
            arrays = [
                _arrow_column(pa, part[c], t.portable, field.type, f"{batch.table}.{c}", convert)
                for c, t, field in zip(batch.columns, batch.targets, schema, strict=True)
            ]
            record = pa.RecordBatch.from_arrays(arrays, schema=schema)
            for offset in range(0, record.num_rows, BATCH_ROWS):
                yield record.slice(offset, BATCH_ROWS)

    def encode_record(self, record: Any) -> bytes:
        """One record batch in binary COPY format."""
        return bytes(self._encoder.write_batch(record))

    def finish(self) -> bytes:
        return bytes(self._encoder.finish())


def _stream(
    pa: ModuleType, pgpq: ModuleType, schema: Any, batch: _Batch, convert: Convert, chunk_rows: int
) -> Iterator[bytes]:
    """Header, record batches of at most BATCH_ROWS rows, trailer."""
    encoder = CopyEncoder(pa, pgpq, schema, list(batch.copy_types or []))
    yield encoder.header()
    yield from encoder.encode(batch, convert, chunk_rows)
    yield encoder.finish()
