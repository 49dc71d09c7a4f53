"""Schema-driven, seeded, vectorised mock data with deliberate defect injection.

A `Schema` names its columns and each column's kind (declared in Python or YAML)::

    schema = Schema("orders", {"order_id": Pattern("ORD-########", unique=True),
                               "customer_id": ForeignKey("customers", "customer_id"),
                               "email": Email(null_rate=0.02), "quantity": IntRange(1, 50)})
    gen = MockDataGenerator(seed=42)
    df = gen.generate(schema, rows=1_000_000, related={"customers": customers_df})
    damaged, report = gen.inject_defects(df, [Defect("nulls", "email", 0.01)])

Every column is drawn from its own random stream seeded by (seed, schema name, column name), so
the same seed gives the same frame, and adding a column does not change the others. Strings are
sampled from pools built once per process (names, companies, e-mail addresses) or assembled as
fixed-width byte matrices (patterns), then handed to pandas as pyarrow strings without ever
creating a Python object per row.

Defects damage a copy of the frame; the `DefectReport` lists, per (kind, column), the index
labels of exactly the cells that changed. A cell is damaged at most once across defects (unless
`allow_overlap=True`, where the later defect's value wins) and cells that are null in the clean
frame are never picked. `duplicates` on a column copies another row's value into it (the copied
rows are `sources` in the report and are protected from later defects); on column "*" it
overwrites whole rows with copies of other rows, keeping the frame's length and index.
`malformed` on a non-text column turns that column into text (ISO dates, plain numbers) and
writes unparseable values into the picked cells.
"""

from __future__ import annotations

import logging

from .base import DAY_US, SECOND_US, Column, DefectError, Mask, Positions, SchemaError
from .contacts import Company, Email, Name
from .defects import DEFECT_KINDS, Defect, DefectEntry, DefectReport
from .generator import MockDataGenerator
from .kinds import Boolean, Category, Constant, ForeignKey, Id, Sequence
from .pattern import Pattern
from .ranges import DateAfter, DateRange, DatetimeRange, FloatRange, IntRange, Money
from .schema import KINDS, Schema
from .text import StringMode
from .writers import read_frame, write_frame, write_table

log = logging.getLogger(__name__)  # the package logger, as before the split

__all__ = [
    "DAY_US",
    "DEFECT_KINDS",
    "KINDS",
    "SECOND_US",
    "Boolean",
    "Category",
    "Column",
    "Company",
    "Constant",
    "DateAfter",
    "DateRange",
    "DatetimeRange",
    "Defect",
    "DefectEntry",
    "DefectError",
    "DefectReport",
    "Email",
    "FloatRange",
    "ForeignKey",
    "Id",
    "IntRange",
    "Mask",
    "MockDataGenerator",
    "Money",
    "Name",
    "Pattern",
    "Positions",
    "Schema",
    "SchemaError",
    "Sequence",
    "StringMode",
    "read_frame",
    "write_frame",
    "write_table",
]

# Public classes and functions name the package as their module, as before the split
# (tracebacks, reprs and pickles use the public path).
for _public in __all__:
    if getattr(globals()[_public], "__module__", "").startswith(f"{__name__}."):
        globals()[_public].__module__ = __name__
del _public
