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

import dataclasses
import functools
import json
import logging
import math
import os
import re
import weakref
import zlib
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Sequence as Seq
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

if TYPE_CHECKING:
    from shared.db_helper import Database, TableSchema

log = logging.getLogger(__name__)

Positions = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
StringMode = Literal["pyarrow", "python"]
DAY_US = 86_400_000_000
SECOND_US = 1_000_000
_INT64_SPACE = 2**62
_STRING_DTYPES: dict[str, Any] = {  # pandas-stubs cannot express the storage literal
    "pyarrow": pd.StringDtype("pyarrow", na_value=np.nan),
    "python": pd.StringDtype("python", na_value=np.nan),
}


class SchemaError(ValueError):
    """A schema or its related frames are invalid; the message names schema, column, problem."""


class DefectError(ValueError):
    """A defect cannot be injected; the message names the defect, the column and the fix."""


# --------------------------------------------------------------------------- value pools


def _words(text: str) -> list[str]:
    return text.split()


_FIRST_NAMES = _words(
    """James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David
Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa
Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna
Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald
Rebecca Edward Sharon Jason Laura Jeffrey Cynthia Ryan Kathleen Jacob Amy Gary Angela Nicholas
Shirley Eric Anna Jonathan Brenda Stephen Pamela Larry Emma Justin Nicole Scott Helen Brandon
Samantha Benjamin Katherine Samuel Christine Gregory Debra Alexander Rachel Frank Carolyn Patrick
Janet Raymond Catherine Jack Maria Dennis Heather Jerry Diane Tyler Ruth Aaron Julie Jose Olivia
Adam Joyce Nathan Virginia Henry Victoria Douglas Kelly Zachary Lauren Peter Christina Kyle Joan
Noah Evelyn Ethan Judith Jeremy Megan Walter Andrea Christian Cheryl Keith Hannah Roger Jacqueline
Terry Martha Austin Gloria Sean Teresa Gerald Ann Carl Sara Harold Madison Dylan Frances Arthur
Kathryn Lawrence Janice Jordan Jean Jesse Abigail Bryan Alice Billy Judy Bruce Sophia Gabriel
Grace Joe Denise Logan Amber Alan Doris Juan Marilyn Albert Danielle Elijah Isabella Wayne Theresa
Randy Diana Vincent Natalie Mason Brittany Roy Charlotte Ralph Marie Bobby Kayla Russell Alexis
Bradley Lori Philip Lena Lukas Sofia Mateo Chloe Hugo Ines Luca Elena Felix Klara Jonas Mila Leon
Freya Omar Aisha Ravi Priya Wei Mei Kenji Yuki Carlos Lucia Pedro Camila Ahmed Fatima Ivan Olga
"""
)
_LAST_NAMES = _words(
    """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson
White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres
Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez
Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook
Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez
Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell
Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander
Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran
Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods
Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson
Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner
Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson
Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce
Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane
Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras
Willis Carpenter Lawrence Sandoval Becker Fischer Weber Wagner Schulz Keller Richter Wolf Neumann
"""
)
_COMPANY_PREFIXES = _words(
    """Acme Apex Atlas Blue Bright Cedar Coastal Crown Delta Eagle Evergreen
First Global Golden Granite Harbor Horizon Iron Keystone Liberty Lunar Maple Meridian Metro Nordic
North Northwind Oak Pacific Pinnacle Pioneer Prime Quantum Red Redwood Riverside Silver Solar
Summit Sterling Sun Titan Union United Vertex Vista West Zenith"""
)
_COMPANY_NOUNS = _words(
    """Analytics Bakery Brands Builders Capital Chemicals Consulting Designs
Dynamics Electronics Energy Engineering Foods Freight Goods Holdings Industries Labs Logistics
Machines Manufacturing Media Metals Motors Networks Outfitters Packaging Partners Pharma Plastics
Retail Robotics Services Shipping Software Solutions Supply Systems Technologies Textiles Tools
Trading Traders Ventures Works"""
)
_COMPANY_SUFFIXES = _words("Inc LLC Ltd GmbH Co Corp AG SA BV Group")
# Share of addresses per domain, roughly as consumer mailboxes are spread.
_EMAIL_DOMAINS = {
    "gmail.com": 0.28,
    "outlook.com": 0.12,
    "yahoo.com": 0.10,
    "hotmail.com": 0.07,
    "icloud.com": 0.06,
    "example.com": 0.08,
    "example.org": 0.05,
    "gmx.de": 0.05,
    "web.de": 0.04,
    "proton.me": 0.03,
    "mail.com": 0.04,
    "aol.com": 0.02,
    "fastmail.com": 0.02,
    "orange.fr": 0.04,
}
_EMAIL_POOL_SIZE = 150_000
_PLACEHOLDERS = ("N/A", "-", "???", "n.a.", "#REF!", "null?")


def _large(values: Iterable[str]) -> Any:
    return pa.array(list(values), type=pa.large_string())


def _join(*parts: Any, sep: str = "") -> Any:
    """Element-wise concatenation of arrow string arrays and str literals (vectorised in C++)."""
    args = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar(sep, pa.large_string()))


@functools.cache
def _name_pools() -> dict[str, Any]:
    first, last = _large(_FIRST_NAMES), _large(_LAST_NAMES)
    fi = np.repeat(np.arange(len(first)), len(last))
    li = np.tile(np.arange(len(last)), len(first))
    full = _join(first.take(fi), last.take(li), sep=" ")
    return {"first": first, "last": last, "full": full}


@functools.cache
def _company_pool() -> Any:
    words = [_COMPANY_PREFIXES, _COMPANY_NOUNS, _COMPANY_SUFFIXES]
    grids = np.meshgrid(*(np.arange(len(w)) for w in words), indexing="ij")
    parts = [_large(w).take(g.ravel()) for w, g in zip(words, grids, strict=True)]
    return _join(*parts, sep=" ")


@functools.cache
def _local_parts() -> Any:
    """Mailbox names like anna.smith, a.smith, anna_smith42, built once per process."""
    rng = np.random.default_rng(20_260_101)
    size = _EMAIL_POOL_SIZE
    first = pc.ascii_lower(_large(_FIRST_NAMES)).take(rng.integers(0, len(_FIRST_NAMES), size))
    last = pc.ascii_lower(_large(_LAST_NAMES)).take(rng.integers(0, len(_LAST_NAMES), size))
    digits = _large(str(d) for d in range(10, 100)).take(rng.integers(0, 90, size))
    variants = [
        _join(first, ".", last),
        _join(first, last),
        _join(pc.utf8_slice_codeunits(first, 0, 1), ".", last),
        _join(first, "_", last),
        _join(first, ".", last, digits),
        _join(first, digits),
    ]
    pick = rng.integers(0, len(variants), size) * size + np.arange(size)
    return pa.concat_arrays(variants).take(pick)


@functools.cache
def _email_pool(domains: tuple[str, ...]) -> Any:
    """Distinct addresses (local part @ domain); default domains weighted like real mailboxes."""
    rng = np.random.default_rng(20_260_102)
    local = _local_parts()
    names = domains or tuple(_EMAIL_DOMAINS)
    weights = None if domains else np.array([_EMAIL_DOMAINS[d] for d in names])
    chosen = rng.choice(
        len(names), len(local), p=None if weights is None else weights / weights.sum()
    )
    return pc.unique(_join(local, _large("@" + d for d in names).take(chosen)))


@functools.cache
def _lut(alphabet: bytes, length: int) -> npt.NDArray[np.uint8]:
    """Every `length`-character string over `alphabet` as rows of bytes, in counting order."""
    base = len(alphabet)
    digits = np.arange(base**length)[:, None] // base ** np.arange(length - 1, -1, -1) % base
    return np.frombuffer(alphabet, dtype=np.uint8)[digits]


# --------------------------------------------------------------------------- string helpers


def _fixed_width_strings(data: npt.NDArray[Any], width: int) -> Any:
    """An arrow string array of consecutive `width`-byte values of `data` (no Python objects)."""
    rows = data.nbytes // width if width else 0
    offsets = np.arange(rows + 1, dtype=np.int64) * width
    return pa.Array.from_buffers(
        pa.large_string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _string_series(values: Any, mode: str, index: pd.Index | None = None) -> pd.Series[Any]:
    """A pandas `str` Series (pyarrow or Python storage) from an arrow string array."""
    dtype = _STRING_DTYPES[mode]
    if mode == "pyarrow":
        return pd.Series(dtype.__from_arrow__(values), index=index, copy=False)
    return pd.Series(pd.array(values.to_numpy(zero_copy_only=False), dtype=dtype), index=index)


def _arrow_text(values: pd.Series[Any]) -> Any:
    """The values of a text (or categorical text) Series as one arrow large_string array."""
    arr = pa.array(values.array, from_pandas=True)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr.cast(pa.large_string())


def _string_mode(values: pd.Series[Any]) -> str | None:
    """'pyarrow' / 'python' for string columns, 'object' for object-of-str, else None."""
    if isinstance(values.dtype, pd.StringDtype):
        return "pyarrow" if values.dtype.storage == "pyarrow" else "python"
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string":
        return "object"
    return None


def _text_series(
    values: Any, like: pd.Series[Any], index: pd.Index | None = None
) -> pd.Series[Any]:
    """Arrow text as a Series of the same string flavour as `like`."""
    mode = _string_mode(like)
    if mode in _STRING_DTYPES:
        return _string_series(values, str(mode), index)
    return pd.Series(values.to_numpy(zero_copy_only=False), index=index, dtype=object)


def _by_strategy(
    values: Any, choice: npt.NDArray[np.int64], strategies: Seq[Callable[[Any], Any]]
) -> Any:
    """Apply strategies[choice[i]] to values[i], vectorised per strategy, order preserved."""
    parts, order = [], []
    for number, strategy in enumerate(strategies):
        picked = np.flatnonzero(choice == number)
        parts.append(strategy(values.take(picked)).cast(pa.large_string()))
        order.append(picked)
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[np.concatenate(order)] = np.arange(len(values))
    return pa.concat_arrays(parts).take(inverse)


def _placeholder(rng: np.random.Generator) -> Callable[[Any], Any]:
    pool = _large(_PLACEHOLDERS)
    return lambda v: pool.take(rng.integers(0, len(_PLACEHOLDERS), len(v)))


def _ensure_changed(new: Any, original: Any, invalid: Callable[[Any], Any] | None = None) -> Any:
    """Append '?' where a malformed value equals its original (or is still valid)."""
    for _ in range(8):
        same = pc.fill_null(pc.equal(new, original), False)
        if invalid is not None:
            same = pc.or_(same, pc.invert(invalid(new)))
        if not pc.any(same).as_py():
            return new
        new = pc.if_else(same, _join(new, "?"), new)
    return new  # pragma: no cover - eight appended characters always leave the valid set


def _text_strategies(rng: np.random.Generator) -> list[Callable[[Any], Any]]:
    """Generic ways text goes wrong: case, stray whitespace, placeholder junk."""
    return [pc.utf8_lower, lambda v: _join(" ", v, " "), _placeholder(rng)]


def _malform_text(values: Any, rng: np.random.Generator, valid: Any = None) -> Any:
    """Generic malformed text; with `valid` (arrow array) the results are never among it."""
    new = _by_strategy(values, rng.integers(0, 3, len(values)), _text_strategies(rng))
    invalid = None if valid is None else (lambda v: pc.invert(pc.is_in(v, valid)))
    return _ensure_changed(new, values, invalid)


# --------------------------------------------------------------------------- column kinds


@dataclass(frozen=True)
class _GenContext:
    rows: int
    rng: np.random.Generator
    strings: str
    frame: Mapping[str, pd.Series[Any]]
    related: Mapping[str, pd.DataFrame]

    def text(self, values: Any) -> pd.Series[Any]:
        return _string_series(values, self.strings)

    def sample(self, pool: Any) -> pd.Series[Any]:
        return self.text(pool.take(self.rng.integers(0, len(pool), self.rows)))


def _require_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _is_count(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer) and bool(value >= 0)


def _names(value: object) -> tuple[str, ...]:
    """One name or an iterable of names as a tuple (YAML gives lists, people give strings)."""
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, Iterable) else (str(value),)


def _require_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return value


def _require_order(low: float | np.datetime64, high: float | np.datetime64, what: str) -> None:
    if low > high:
        raise ValueError(f"{what} min {low} > max {high}; declare min <= max")


@dataclass(frozen=True)
class _RangeRequest:
    """Rows that need values outside their column's declared range."""

    frame: pd.DataFrame
    positions: Positions
    rng: np.random.Generator


def _side_offsets(rng: np.random.Generator, k: int, span: int) -> tuple[Mask, Positions]:
    """For out-of-range values: which side (True = below min) and a distance 1..span."""
    return rng.random(k) < 0.5, rng.integers(1, max(span, 1) + 1, k)


@dataclass(frozen=True)
class Column:
    """Base of the column kinds; `null_rate` (0..1) is the share of cells left empty."""

    kind: ClassVar[str] = ""
    null_rate: float = field(default=0.0, kw_only=True)

    @property
    def format_regex(self) -> str | None:
        """A regex every clean value matches as text (None: no text format)."""
        return None

    def check(self, columns: Mapping[str, Column]) -> None:  # noqa: ARG002 - hook
        """Raise ValueError naming the problem; `columns` is the whole schema."""
        rate = _require_number("null_rate", self.null_rate)
        if not 0 <= rate <= 1:
            raise ValueError(f"null_rate {rate} is outside 0..1")

    def depends_on(self) -> tuple[str, ...]:
        return ()

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        raise NotImplementedError

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any] | None:  # noqa: ARG002 - hook
        """Values outside the declared range for these rows (None: the kind has no range)."""
        return None

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        """Text values that break this kind's format (arrow in, arrow out)."""
        return _malform_text(values, rng)


@dataclass(frozen=True)
class Id(Column):
    """Unique integer ids start, start+1, ...; `shuffle` puts them in random row order."""

    kind: ClassVar[str] = "id"
    start: int = 1
    shuffle: bool = False

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        _require_int("start", self.start)

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        values = np.arange(self.start, self.start + ctx.rows, dtype=np.int64)
        return pd.Series(ctx.rng.permutation(values) if self.shuffle else values)


@dataclass(frozen=True)
class Sequence(Column):
    """start, start+step, ...; with `cycle` the sequence restarts every `cycle` rows (1,2,3,1,..)."""

    kind: ClassVar[str] = "sequence"
    start: int = 1
    step: int = 1
    cycle: int | None = None

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        _require_int("start", self.start)
        _require_int("step", self.step)
        if self.cycle is not None and _require_int("cycle", self.cycle) < 1:
            raise ValueError(f"cycle must be >= 1, got {self.cycle}")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        counter = np.arange(ctx.rows, dtype=np.int64)
        if self.cycle is not None:
            counter %= self.cycle
        return pd.Series(self.start + self.step * counter)


@dataclass(frozen=True)
class Name(Column):
    """A person's name from a pool of common first x last names; `part` full, first or last."""

    kind: ClassVar[str] = "name"
    part: str = "full"

    @property
    def format_regex(self) -> str:
        return r"^[A-Z][A-Za-z]+ [A-Z][A-Za-z]+$" if self.part == "full" else r"^[A-Z][A-Za-z]+$"

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if self.part not in ("full", "first", "last"):
            raise ValueError(f"part {self.part!r} is not one of full, first, last")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return ctx.sample(_name_pools()[self.part])

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        digit = _large("0123456789")
        strategies = [
            pc.utf8_lower,
            lambda v: _join(" ", v, " "),
            lambda v: _join(v, digit.take(rng.integers(0, 10, len(v)))),
        ]
        return _ensure_changed(
            _by_strategy(values, rng.integers(0, 3, len(values)), strategies), values
        )


@dataclass(frozen=True)
class Company(Column):
    """A company name like 'Northwind Logistics GmbH' from a pool of word combinations."""

    kind: ClassVar[str] = "company"

    @property
    def format_regex(self) -> str:
        return r"^[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)+$"

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return ctx.sample(_company_pool())


@dataclass(frozen=True)
class Email(Column):
    """An e-mail address; `domains` replaces the default consumer domains; `unique` per frame."""

    kind: ClassVar[str] = "email"
    domains: tuple[str, ...] = ()
    unique: bool = False

    @property
    def format_regex(self) -> str:
        return r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"

    def __post_init__(self) -> None:
        object.__setattr__(self, "domains", _names(self.domains))

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        bad = [d for d in self.domains if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", d)]
        if bad:
            raise ValueError(f"domains {bad} are not domain names like 'example.com'")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        pool = _email_pool(self.domains)
        if not self.unique:
            return ctx.sample(pool)
        if ctx.rows <= len(pool):
            return ctx.text(pool.take(ctx.rng.choice(len(pool), ctx.rows, replace=False)))
        # More rows than distinct addresses: make each local part unique with its row number.
        sampled = pool.take(ctx.rng.integers(0, len(pool), ctx.rows))
        parts = pc.split_pattern(sampled, "@", max_splits=1)
        local, domain = pc.list_element(parts, 0), pc.list_element(parts, 1)
        row = pc.cast(pa.array(np.arange(ctx.rows)), pa.large_string())
        return ctx.text(_join(local, ".", row, "@", domain))

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        strategies = [
            lambda v: pc.replace_substring(v, "@", ""),
            lambda v: pc.replace_substring(v, "@", "@@"),
            lambda v: pc.replace_substring_regex(v, "@.*$", "@"),
            lambda v: pc.replace_substring(v, "@", " at "),
        ]
        return _by_strategy(values, rng.integers(0, 4, len(values)), strategies)


def _parse_moment(name: str, value: object, unit: str) -> np.datetime64:
    if isinstance(value, date | datetime | str):
        try:
            parsed: np.datetime64 = np.datetime64(value).astype(f"datetime64[{unit}]")
        except ValueError:
            pass
        else:
            return parsed
    expected = "YYYY-MM-DD" if unit == "D" else "YYYY-MM-DDTHH:MM:SS"
    raise ValueError(
        f"{name} {value!r} is not a {'date' if unit == 'D' else 'datetime'} ({expected})"
    )


def _us(values: npt.NDArray[np.int64]) -> pd.Series[Any]:
    return pd.Series(values.view("datetime64[us]"))


@dataclass(frozen=True)
class DateRange(Column):
    """Calendar dates (midnight, datetime64[us]) uniformly between start and end inclusive."""

    kind: ClassVar[str] = "date"
    start: str | date
    end: str | date

    def _days(self) -> tuple[int, int]:
        start, end = _parse_moment("start", self.start, "D"), _parse_moment("end", self.end, "D")
        _require_order(start, end, "date range")
        return int(start.astype(np.int64)), int(end.astype(np.int64))

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        self._days()

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        start, end = self._days()
        return _us(ctx.rng.integers(start, end + 1, ctx.rows) * DAY_US)

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        start, end = self._days()
        below, dist = _side_offsets(req.rng, len(req.positions), max(end - start, 30))
        return _us(np.where(below, start - dist, end + dist) * DAY_US)


@dataclass(frozen=True)
class DatetimeRange(Column):
    """Timestamps (whole seconds, datetime64[us]) uniformly between start and end inclusive."""

    kind: ClassVar[str] = "datetime"
    start: str | datetime
    end: str | datetime

    def _seconds(self) -> tuple[int, int]:
        start, end = _parse_moment("start", self.start, "s"), _parse_moment("end", self.end, "s")
        _require_order(start, end, "datetime range")
        return int(start.astype(np.int64)), int(end.astype(np.int64))

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        self._seconds()

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        start, end = self._seconds()
        return _us(ctx.rng.integers(start, end + 1, ctx.rows) * SECOND_US)

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        start, end = self._seconds()
        below, dist = _side_offsets(req.rng, len(req.positions), max(end - start, 86_400))
        return _us(np.where(below, start - dist, end + dist) * SECOND_US)


_MOMENT_KINDS = ("date", "datetime", "date_after")


@dataclass(frozen=True)
class DateAfter(Column):
    """Another date column plus min_days..max_days (e.g. ship_date after order_date)."""

    kind: ClassVar[str] = "date_after"
    column: str
    min_days: int = 0
    max_days: int = 30

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        base = columns.get(self.column)
        if base is None or base.kind not in _MOMENT_KINDS:
            raise ValueError(f"column {self.column!r} is not a date/datetime column of this schema")
        low, high = _require_int("min_days", self.min_days), _require_int("max_days", self.max_days)
        _require_order(low, high, "days")

    def depends_on(self) -> tuple[str, ...]:
        return (self.column,)

    def _shift(self, base: pd.Series[Any], days: npt.NDArray[np.int64]) -> pd.Series[Any]:
        moments = base.to_numpy(dtype="datetime64[us]")
        return pd.Series(moments + (days * DAY_US).astype("timedelta64[us]"))

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        days = ctx.rng.integers(self.min_days, self.max_days + 1, ctx.rows)
        return self._shift(ctx.frame[self.column], days)

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        below, dist = _side_offsets(req.rng, len(req.positions), 30)
        days = np.where(below, self.min_days - dist, self.max_days + dist)
        return self._shift(req.frame[self.column].iloc[req.positions], days)


@dataclass(frozen=True)
class IntRange(Column):
    """Integers uniformly in min..max inclusive (int64; Int64 when null_rate > 0)."""

    kind: ClassVar[str] = "integer"
    min: int
    max: int

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        _require_order(_require_int("min", self.min), _require_int("max", self.max), "integer")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return pd.Series(ctx.rng.integers(self.min, self.max + 1, ctx.rows))

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        below, dist = _side_offsets(req.rng, len(req.positions), self.max - self.min)
        return pd.Series(np.where(below, self.min - dist, self.max + dist))


@dataclass(frozen=True)
class Money(Column):
    """Amounts with two decimals uniformly in min..max (float64, whole cents)."""

    kind: ClassVar[str] = "money"
    min: float
    max: float

    def _cents(self) -> tuple[int, int]:
        low, high = _require_number("min", self.min), _require_number("max", self.max)
        _require_order(low, high, "money")
        return math.ceil(round(low * 100, 6)), math.floor(round(high * 100, 6))

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        low, high = self._cents()
        if low > high:
            raise ValueError(f"money range {self.min}..{self.max} holds no whole cent")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        low, high = self._cents()
        return pd.Series(ctx.rng.integers(low, high + 1, ctx.rows) / 100)

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        low, high = self._cents()
        below, dist = _side_offsets(req.rng, len(req.positions), high - low)
        return pd.Series(np.where(below, low - dist, high + dist) / 100)


@dataclass(frozen=True)
class FloatRange(Column):
    """Floats uniformly in [min, max], rounded to `decimals` when given."""

    kind: ClassVar[str] = "float"
    min: float
    max: float
    decimals: int | None = None

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        _require_order(_require_number("min", self.min), _require_number("max", self.max), "float")
        if self.decimals is not None and _require_int("decimals", self.decimals) < 0:
            raise ValueError(f"decimals must be >= 0, got {self.decimals}")

    def _round(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return values if self.decimals is None else np.round(values, self.decimals)

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        values = self._round(ctx.rng.uniform(self.min, self.max, ctx.rows))
        return pd.Series(np.clip(values, self.min, self.max))

    def out_of_range(self, req: _RangeRequest) -> pd.Series[Any]:
        step = 10.0 ** -(self.decimals or 0) if self.decimals is not None else 1e-9
        dist = (1.0 - req.rng.random(len(req.positions))) * max(self.max - self.min, 1.0) + step
        below = req.rng.random(len(req.positions)) < 0.5
        values = self._round(np.where(below, self.min - dist, self.max + dist))
        # rounding may pull a value back onto the boundary: push it one step further out
        values = np.where(below & (values >= self.min), values - step, values)
        return pd.Series(np.where(~below & (values <= self.max), values + step, values))


_SCALAR_TYPES: dict[type, str] = {str: "text", bool: "bool", int: "number", float: "number"}


def _family(value: object) -> str | None:
    return _SCALAR_TYPES.get(type(value))


@dataclass(frozen=True)
class Category(Column):
    """Values drawn with weights ({value: weight}) or uniformly (a list of values).

    Strings come out as the generator's string dtype, or as a pandas category when
    `categorical` is true; numbers and booleans keep their numpy dtype.
    """

    kind: ClassVar[str] = "category"
    weights: Mapping[Any, float] | Seq[Any]
    categorical: bool = False

    def items(self) -> tuple[list[Any], npt.NDArray[np.float64]]:
        if isinstance(self.weights, Mapping):
            values = list(self.weights)
            raw = [_require_number(f"weight of {v!r}", w) for v, w in self.weights.items()]
        else:
            values, raw = list(self.weights), [1.0] * len(self.weights)
        return values, np.asarray(raw, dtype=np.float64)

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if isinstance(self.weights, str) or not isinstance(self.weights, Mapping | Seq):
            raise TypeError("weights must be {value: weight} or a list of values")
        values, weights = self.items()
        families = {_family(v) for v in values}
        if not values or None in families or len(families) > 1:
            raise ValueError(
                f"values {values!r} must be non-empty and all str, all numbers or all bools"
            )
        if len(set(values)) < len(values):
            raise ValueError(f"values {values!r} repeat; list each value once")
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"weights {weights.tolist()} must be >= 0 with a positive sum")

    def codes(self, rows: int, rng: np.random.Generator) -> npt.NDArray[np.integer[Any]]:
        _, weights = self.items()
        cumulative = np.cumsum(weights)
        thresholds = cumulative[:-1] / cumulative[-1]  # the last category ends exactly at 1
        draws = rng.random(rows)
        if len(thresholds) > 16:
            return np.searchsorted(thresholds, draws, side="right")
        codes = np.zeros(rows, dtype=np.int8)  # small codes: less memory traffic for the take
        for threshold in thresholds:  # one vectorised pass per category, not per row
            codes += draws >= threshold
        return codes

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        values, _ = self.items()
        codes = self.codes(ctx.rows, ctx.rng)
        if self.categorical:
            return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(values)))
        if isinstance(values[0], str):
            return ctx.text(_large(values).take(codes))
        return pd.Series(np.asarray(values)[codes])

    @property
    def format_regex(self) -> str:
        return "^(?:" + "|".join(re.escape(str(v)) for v in self.items()[0]) + ")$"

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        return _malform_text(values, rng, _large(str(v) for v in self.items()[0]))


@dataclass(frozen=True)
class Boolean(Column):
    """True with `probability`, else False."""

    kind: ClassVar[str] = "boolean"
    probability: float = 0.5

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if not 0 <= _require_number("probability", self.probability) <= 1:
            raise ValueError(f"probability {self.probability} is outside 0..1")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return pd.Series(ctx.rng.random(ctx.rows) < self.probability)


@dataclass(frozen=True)
class Constant(Column):
    """The same value in every row (str, number or bool)."""

    kind: ClassVar[str] = "constant"
    value: Any

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if _family(self.value) is None:
            raise ValueError(f"value {self.value!r} must be a str, number or bool")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        if isinstance(self.value, str):
            return ctx.text(pa.repeat(pa.scalar(self.value, pa.large_string()), ctx.rows))
        return pd.Series(np.full(ctx.rows, self.value))

    @property
    def format_regex(self) -> str:
        return "^" + re.escape(str(self.value)) + "$"

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        return _malform_text(values, rng, _large([str(self.value)]))


@dataclass(frozen=True)
class _PatternPlan:
    template: npt.NDArray[np.uint8]
    groups: tuple[tuple[int, int, bytes], ...]  # (byte offset, length, alphabet)
    regex: str
    first_variable: tuple[int, str] | None  # (character index, '#' or '?')


_DIGITS, _LETTERS = b"0123456789", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _add_variable(runs: list[list[Any]], offset: int, alphabet: bytes) -> None:
    """Extend the last run of this alphabet when adjacent and short enough for one lookup table."""
    chunk = 4 if alphabet == _DIGITS else 3
    last = runs[-1] if runs else None
    if last is not None and last[2] == alphabet and last[0] + last[1] == offset and last[1] < chunk:
        last[1] += 1
    else:
        runs.append([offset, 1, alphabet])


@functools.cache
def _plan_pattern(pattern: str) -> _PatternPlan:
    """Compile 'ORD-########' ('#' digit, '?' letter, '\\' escapes) into byte groups."""
    template, regex = bytearray(), []
    runs: list[list[Any]] = []  # [byte offset, length, alphabet]
    first: tuple[int, str] | None = None
    escaped, index = False, 0
    for char in pattern:  # the pattern's characters, not the data's rows
        if char == "\\" and not escaped:
            escaped = True
            continue
        alphabet = None if escaped else {"#": _DIGITS, "?": _LETTERS}.get(char)
        escaped = False
        if alphabet is None:
            template += char.encode()
            regex.append(re.escape(char))
        else:
            first = first or (index, char)
            _add_variable(runs, len(template), alphabet)
            template += b"0"
            regex.append(r"\d" if alphabet == _DIGITS else "[A-Z]")
        index += 1
    if escaped:  # a trailing backslash stands for itself
        template += b"\\"
        regex.append(re.escape("\\"))
    groups = tuple((int(o), int(n), bytes(a)) for o, n, a in runs)
    plan = np.frombuffer(bytes(template), dtype=np.uint8)
    return _PatternPlan(plan, groups, "^" + "".join(regex) + "$", first)


@functools.cache
def _record_layout(pattern: str) -> tuple[np.dtype[np.void], dict[str, bytes | int]]:
    """A structured dtype covering the pattern's bytes: literal runs and variable groups.

    Writing whole fields of a record array is ~8x faster than writing byte columns of a 2-D
    uint8 matrix (strided one-byte copies).
    """
    plan = _plan_pattern(pattern)
    pieces: list[tuple[int, int, bytes | int]] = []
    cursor = 0
    for number, (offset, length, _) in enumerate(plan.groups):
        if offset > cursor:
            pieces.append((cursor, offset - cursor, plan.template[cursor:offset].tobytes()))
        pieces.append((offset, length, number))
        cursor = offset + length
    if cursor < len(plan.template):
        pieces.append((cursor, len(plan.template) - cursor, plan.template[cursor:].tobytes()))
    names = [f"f{i}" for i in range(len(pieces))]
    layout = np.dtype(
        {
            "names": names,
            "formats": [f"V{length}" for _, length, _ in pieces],
            "offsets": [offset for offset, _, _ in pieces],
            "itemsize": len(plan.template),
        }
    )
    return layout, {name: source for name, (_, _, source) in zip(names, pieces, strict=True)}


@functools.cache
def _void_lut(alphabet: bytes, length: int) -> npt.NDArray[np.void]:
    return np.ascontiguousarray(_lut(alphabet, length)).view(f"V{length}").ravel()


def _unique_block(radices: list[int], rows: int, where: str) -> int:
    """How many trailing groups jointly get distinct values (their space must fit int64)."""
    space, count = 1, 0
    for radix in reversed(radices):
        if space * radix > _INT64_SPACE:
            break
        space, count = space * radix, count + 1
    if count == len(radices) and rows > space:
        raise ValueError(
            f"{where} has only {space} distinct values; cannot make {rows} unique ones"
        )
    return count


@dataclass(frozen=True)
class Pattern(Column):
    """Strings shaped by a pattern: '#' a digit, '?' an upper-case letter, '\\' escapes, else literal."""

    kind: ClassVar[str] = "pattern"
    pattern: str
    unique: bool = False

    @property
    def plan(self) -> _PatternPlan:
        return _plan_pattern(self.pattern)

    @property
    def format_regex(self) -> str:
        return self.plan.regex

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if not _is_text(self.pattern):
            raise ValueError(f"pattern must be a non-empty string, got {self.pattern!r}")

    def _group_values(self, rows: int, rng: np.random.Generator) -> list[npt.NDArray[np.int64]]:
        radices = [len(a) ** n for _, n, a in self.plan.groups]
        values = [rng.integers(0, r, rows) for r in radices]
        if not self.unique:
            return values
        if not radices:
            raise ValueError(f"pattern {self.pattern!r} has no '#' or '?' to make values unique")
        block = _unique_block(radices, rows, f"pattern {self.pattern!r}")
        # Jittered strata: row k gets one value from its own slice of the space, slices in
        # random order. Distinct by construction, evenly spread, and ~3x cheaper than
        # rng.choice(space, rows, replace=False).
        stride = math.prod(radices[-block:]) // max(rows, 1)
        code = rng.permutation(rows).astype(np.int64) * stride + rng.integers(0, stride, rows)
        for group in range(len(radices) - 1, len(radices) - block - 1, -1):
            code, values[group] = np.divmod(code, radices[group])
        return values

    def strings(self, rows: int, rng: np.random.Generator) -> Any:
        """Values as one record per row whose fields are the literal and variable byte runs."""
        layout, sources = _record_layout(self.pattern)
        values = self._group_values(rows, rng)
        records = np.empty(rows, dtype=layout)
        for name, source in sources.items():
            if isinstance(source, bytes):
                records[name] = np.frombuffer(source, dtype=f"V{len(source)}")[0]
            else:
                _, length, alphabet = self.plan.groups[source]
                records[name] = _void_lut(alphabet, length)[values[source]]
        return _fixed_width_strings(records, layout.itemsize)

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return ctx.text(self.strings(ctx.rows, ctx.rng))

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        """Wrong length (one character short / long) or a letter where a digit belongs."""
        digit = _large("0123456789")
        strategies = [
            lambda v: pc.utf8_slice_codeunits(v, 0, -1),
            lambda v: _join(v, digit.take(rng.integers(0, 10, len(v)))),
        ]
        if self.plan.first_variable is not None:
            at, char = self.plan.first_variable
            wrong = "O" if char == "#" else "0"  # the classic O-for-zero typo, and its reverse
            strategies.append(
                lambda v: pc.utf8_replace_slice(v, start=at, stop=at + 1, replacement=wrong)
            )
        return _by_strategy(values, rng.integers(0, len(strategies), len(values)), strategies)


@dataclass(frozen=True)
class ForeignKey(Column):
    """Values of `column` in the related frame `frame` (pass it as related={frame: df})."""

    kind: ClassVar[str] = "foreign_key"
    frame: str
    column: str

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        for name in ("frame", "column"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} must name the parent {name}, got {getattr(self, name)!r}")

    def parent_keys(self, related: Mapping[str, pd.DataFrame], where: str) -> pd.Series[Any]:
        parent = related.get(self.frame)
        if parent is None:
            raise SchemaError(
                f"{where}: foreign key into frame {self.frame!r}, but related= has no "
                f"{self.frame!r} (has {sorted(related)}); pass related={{{self.frame!r}: <DataFrame>}}"
            )
        if self.column not in parent.columns:
            raise SchemaError(
                f"{where}: frame {self.frame!r} has no column {self.column!r}; "
                f"its columns are {list(parent.columns)}"
            )
        keys = parent[self.column].dropna().reset_index(drop=True)
        if keys.empty:
            raise SchemaError(
                f"{where}: frame {self.frame!r} column {self.column!r} has no values to refer to"
            )
        return keys

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        keys = self.parent_keys(ctx.related, "foreign key")
        return pd.Series(keys.array.take(ctx.rng.integers(0, len(keys), ctx.rows)))

    def orphans(
        self, keys: pd.Series[Any], like: pd.Series[Any], rng: np.random.Generator
    ) -> pd.Series[Any]:
        """Values that look like keys of the parent but are not among `keys`."""
        if pd.api.types.is_integer_dtype(keys.dtype):
            top = int(keys.max())
            values = top + 1 + rng.integers(0, max(len(keys), 1000), len(like))
            return pd.Series(values).astype(like.dtype)
        if _string_mode(keys) is None:
            raise DefectError(
                f"orphans need integer or text keys; {self.frame}.{self.column} is {keys.dtype}"
            )
        known = _arrow_text(keys)
        picked = known.take(rng.integers(0, len(known), len(like)))
        alphabet = _large(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))
        new = picked
        for _ in range(8):
            clash = pc.is_in(new, known)
            if not pc.any(clash).as_py():
                return _text_series(new, like)
            tail = alphabet.take(rng.integers(0, len(alphabet), len(new)))
            new = pc.if_else(clash, _join(pc.utf8_slice_codeunits(picked, 0, -1), tail), new)
            picked = pc.if_else(clash, _join(picked, tail), picked)
        return _text_series(pc.if_else(pc.is_in(new, known), _join(new, "-ORPHAN"), new), like)


KINDS: dict[str, type[Column]] = {
    cls.kind: cls
    for cls in (
        Id,
        Sequence,
        Name,
        Company,
        Email,
        DateRange,
        DatetimeRange,
        DateAfter,
        Money,
        IntRange,
        FloatRange,
        Category,
        Boolean,
        Pattern,
        Constant,
        ForeignKey,
    )
}


# --------------------------------------------------------------------------- schema


def _column_from_dict(where: str, spec: object) -> Column:
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, Mapping) or "kind" not in spec:
        raise SchemaError(
            f"{where}: expected a mapping with 'kind' (one of {', '.join(KINDS)}), got {spec!r}"
        )
    params = dict(spec)
    kind = params.pop("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SchemaError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - set(fields))
    missing = [n for n, f in fields.items() if n not in params and f.default is dataclasses.MISSING]
    if unknown or missing:
        problem = (
            f"unknown parameter(s) {unknown}" if unknown else f"missing parameter(s) {missing}"
        )
        raise SchemaError(f"{where} ({kind}): {problem}; parameters are {list(fields)}")
    return cls(**params)


def _column_to_dict(spec: Column) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": spec.kind}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.default is dataclasses.MISSING or value != f.default:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    if isinstance(spec, Category) and isinstance(spec.weights, Mapping):
        out["weights"] = dict(spec.weights)
    return out


@dataclass(frozen=True)
class Schema:
    """A named frame layout: column name -> column kind, validated when built."""

    name: str
    columns: Mapping[str, Column]

    def __post_init__(self) -> None:
        if not _is_text(self.name):
            raise SchemaError(f"schema name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "columns", dict(self.columns))
        if not self.columns:
            raise SchemaError(f"schema {self.name!r} declares no columns")
        for column, spec in self.columns.items():
            where = f"schema {self.name!r}, column {column!r}"
            if not isinstance(spec, Column):
                raise SchemaError(
                    f"{where}: expected a column kind such as IntRange(1, 9), got {spec!r}"
                )
            try:
                spec.check(self.columns)
            except (ValueError, TypeError) as exc:
                raise SchemaError(f"{where} ({spec.kind}): {exc}") from None
        self.generation_order()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """{'name': ..., 'columns': {column: {'kind': ..., params...} or 'kind'}}."""
        if not isinstance(data, Mapping):
            raise SchemaError(
                f"a schema must be a mapping with 'name' and 'columns', got {type(data).__name__}"
            )
        unknown = sorted(set(data) - {"name", "columns"})
        name, columns = data.get("name"), data.get("columns")
        if not isinstance(name, str) or not name:
            raise SchemaError(f"schema: 'name' must be a non-empty string, got {name!r}")
        if unknown or not isinstance(columns, Mapping):
            raise SchemaError(
                f"schema {name!r}: needs 'name' and a 'columns' mapping"
                + (f"; unknown keys {unknown}" if unknown else "")
            )
        specs = {
            str(col): _column_from_dict(f"schema {name!r}, column {col!r}", spec)
            for col, spec in columns.items()
        }
        return cls(name, specs)

    @classmethod
    def from_yaml(cls, source: str | Path) -> Schema:
        """A schema from a YAML file path or YAML text."""
        text = source
        if isinstance(source, Path) or ("\n" not in source and source.endswith((".yaml", ".yml"))):
            try:
                text = Path(source).read_text(encoding="utf-8")
            except OSError as exc:
                raise SchemaError(
                    f"cannot read schema file {str(source)!r}: {exc.strerror}"
                ) from None
        try:
            data = yaml.safe_load(str(text))
        except yaml.YAMLError as exc:
            raise SchemaError(f"schema YAML does not parse: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": {c: _column_to_dict(s) for c, s in self.columns.items()},
        }

    @property
    def parents(self) -> set[str]:
        """Names of the related frames the foreign keys point into."""
        return {s.frame for s in self.columns.values() if isinstance(s, ForeignKey)}

    def generation_order(self) -> list[str]:
        """Columns ordered so that every column comes after the ones it depends on."""
        order: list[str] = []
        pending = dict(self.columns)
        while pending:
            ready = [c for c, s in pending.items() if all(d in order for d in s.depends_on())]
            if not ready:
                raise SchemaError(
                    f"schema {self.name!r}: columns {sorted(pending)} depend on each other in a cycle"
                )
            order += ready
            for column in ready:
                del pending[column]
        return order


# --------------------------------------------------------------------------- nulls and edits


def _set_null(values: pd.Series[Any], mask: Mask) -> pd.Series[Any]:
    """`values` with the cells under `mask` missing; ints/bools become nullable Int64/boolean."""
    if not mask.any():
        return values
    mode = _string_mode(values)
    if mode == "pyarrow":
        return _string_series(_null_where(_arrow_text(values), mask), "pyarrow", values.index)
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        array_type = pd.arrays.BooleanArray if dtype.kind == "b" else pd.arrays.IntegerArray
        data = values.to_numpy(copy=True)
        return pd.Series(array_type(data, mask.copy()), index=values.index, name=values.name)
    array = values.array.copy()
    array[mask] = None
    return pd.Series(array, index=values.index, name=values.name, dtype=values.dtype)


def _null_where(values: Any, mask: Mask) -> Any:
    """An arrow array with the masked cells null: a new validity bitmap, data buffers shared."""
    if values.offset != 0:  # a sliced array: its bitmap is not byte-aligned with the mask
        return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)
    valid = ~mask
    if values.null_count:
        valid &= values.is_valid().to_numpy(zero_copy_only=False)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    nulls = len(values) - int(np.count_nonzero(valid))
    return pa.Array.from_buffers(values.type, len(values), [bitmap, *values.buffers()[1:]], nulls)


def _put(values: pd.Series[Any], positions: Positions, new: pd.Series[Any]) -> pd.Series[Any]:
    """`values` with new[i] written at positions[i] (positions unique)."""
    if _string_mode(values) == "pyarrow":
        combined = pa.concat_arrays([_arrow_text(values), _arrow_text(new)])
        take = np.arange(len(values), dtype=np.int64)
        take[positions] = len(values) + np.arange(len(positions))
        return _string_series(combined.take(take), "pyarrow", values.index)
    if isinstance(values.dtype, pd.CategoricalDtype):
        array = values.array.copy()
        extra = pd.Index(new.dropna().unique()).difference(array.categories)
        array = array.add_categories(extra) if len(extra) else array
        array[positions] = new.to_numpy(dtype=object)
        return pd.Series(array, index=values.index, name=values.name)
    if isinstance(values.dtype, np.dtype):
        data = values.to_numpy(copy=True)
        data[positions] = new.to_numpy(dtype=values.dtype)
        return pd.Series(data, index=values.index, name=values.name, dtype=values.dtype, copy=False)
    array = values.array.copy()
    array[positions] = new.to_numpy(dtype=object)
    return pd.Series(array, index=values.index, name=values.name, dtype=values.dtype, copy=False)


def _as_text(values: pd.Series[Any], mode: str) -> pd.Series[Any]:
    """A non-text column rendered as text: ISO dates (time only when any), plain numbers."""
    arrow = pa.array(values.array, from_pandas=True)
    if pa.types.is_timestamp(arrow.type):
        stamps = values.to_numpy(dtype="datetime64[us]").view(np.int64)[values.notna().to_numpy()]
        if (stamps % SECOND_US).any():  # keep the fraction only where there is one
            text = pc.strftime(arrow, format="%Y-%m-%dT%H:%M:%S")
        else:
            fmt = "%Y-%m-%d" if not (stamps % DAY_US).any() else "%Y-%m-%dT%H:%M:%S"
            text = pc.strftime(arrow.cast(pa.timestamp("s")), format=fmt)
    elif pa.types.is_boolean(arrow.type):
        text = pc.if_else(arrow, "true", "false")
    else:
        text = pc.cast(arrow, pa.string())
    return _string_series(text.cast(pa.large_string()), mode, values.index)


def _decimal_comma(values: Any) -> Any:
    """12.5 -> 12,5 and 12 -> 12,00: the decimal comma of European spreadsheets."""
    has_point = pc.match_substring(values, ".")
    return pc.if_else(has_point, pc.replace_substring(values, ".", ","), _join(values, ",00"))


def _malform_converted(text: Any, origin: str, rng: np.random.Generator) -> Any:
    """Unparseable versions of text rendered from numbers ('number'), dates or booleans."""
    junk = _placeholder(rng)
    if origin == "date":
        strategies = [
            lambda v: pc.replace_substring_regex(
                v, pattern=r"^(\d{4})-(\d{2})-(\d{2})", replacement=r"\3/\2/\1"
            ),
            lambda v: pc.replace_substring_regex(
                v, pattern=r"^(\d{4})-\d{2}", replacement=r"\1-13"
            ),
            junk,
        ]
    elif origin == "number":
        strategies = [_decimal_comma, lambda v: _join("~", v), junk]
    else:
        strategies = [junk]
    return _by_strategy(text, rng.integers(0, len(strategies), len(text)), strategies)


# --------------------------------------------------------------------------- defects

DEFECT_KINDS = ("nulls", "duplicates", "out_of_range", "malformed", "orphans")


@dataclass(frozen=True)
class Defect:
    """Damage `rate` (0..1) of the rows of `column` in one way (see DEFECT_KINDS).

    `column="*"` with kind "duplicates" copies whole rows. `allow_overlap` lets this defect
    pick cells an earlier defect already damaged (its value then wins).
    """

    kind: str
    column: str
    rate: float
    allow_overlap: bool = False

    def check(self, frame: pd.DataFrame) -> None:
        if self.kind not in DEFECT_KINDS:
            raise DefectError(
                f"unknown defect kind {self.kind!r}; use one of {', '.join(DEFECT_KINDS)}"
            )
        if self.column == "*" and self.kind != "duplicates":
            raise DefectError(
                f"column '*' (whole rows) only works with duplicates, not {self.kind}"
            )
        if self.column != "*" and self.column not in frame.columns:
            raise DefectError(
                f"defect {self.kind} names column {self.column!r}, which the frame does not "
                f"have; columns are {list(frame.columns)}"
            )
        if not 0 <= _require_number("rate", self.rate) <= 1:
            raise DefectError(
                f"defect {self.kind} on {self.column!r}: rate {self.rate} is outside 0..1"
            )


def _labels(labels: np.ndarray[Any, Any]) -> list[Any]:
    """Index labels as JSON values (timestamps and dates as ISO text)."""
    if labels.dtype.kind == "M":
        return list(np.datetime_as_string(labels).tolist())
    if labels.dtype.kind in "biufU":
        return list(labels.tolist())
    return [v.isoformat() if hasattr(v, "isoformat") else v for v in labels.tolist()]


@dataclass(frozen=True)
class DefectEntry:
    """One injected defect: the index labels of the damaged cells (and duplicate sources)."""

    kind: str
    column: str
    rate: float
    requested: int
    rows: np.ndarray[Any, Any]
    sources: np.ndarray[Any, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "column": self.column,
            "rate": self.rate,
            "requested": self.requested,
            "damaged": len(self.rows),
            "rows": _labels(self.rows),
        }
        if self.sources is not None:
            out["sources"] = _labels(self.sources)
        return out


@dataclass(frozen=True)
class DefectReport:
    """Which rows each defect damaged; `to_json()` for the record."""

    seed: int
    total_rows: int
    entries: tuple[DefectEntry, ...]

    def rows(self, kind: str, column: str) -> np.ndarray[Any, Any]:
        """Index labels damaged by `kind` on `column` (all such defects together)."""
        found = [e.rows for e in self.entries if e.kind == kind and e.column == column]
        if not found:
            have = sorted({(e.kind, e.column) for e in self.entries})
            raise KeyError(f"no {kind} defect on column {column!r} was injected; injected: {have}")
        return np.concatenate(found)

    def damaged_rows(self, column: str | None = None) -> np.ndarray[Any, Any]:
        """Distinct labels of rows damaged in `column` (any column when None; '*' counts)."""
        found = [e.rows for e in self.entries if column is None or e.column in (column, "*")]
        return pd.unique(np.concatenate(found)) if found else np.array([], dtype=np.int64)

    def counts(self) -> dict[str, int]:
        """Damaged cells per 'kind:column'."""
        out: dict[str, int] = {}
        for entry in self.entries:
            key = f"{entry.kind}:{entry.column}"
            out[key] = out.get(key, 0) + len(entry.rows)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "total_rows": self.total_rows,
            "entries": [e.to_dict() for e in self.entries],
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DefectReport:
        entries = tuple(
            DefectEntry(
                e["kind"],
                e["column"],
                e["rate"],
                e["requested"],
                np.asarray(e["rows"]),
                np.asarray(e["sources"]) if "sources" in e else None,
            )
            for e in data["entries"]
        )
        return cls(int(data["seed"]), int(data["total_rows"]), entries)


@dataclass
class _Change:
    positions: Positions
    new: pd.Series[Any] | None  # None: set missing


class _Damage:
    """The frame being damaged: current column values, damaged / reserved cells, edits."""

    def __init__(self, frame: pd.DataFrame, strings: str) -> None:
        self.frame, self.rows, self.strings = frame, len(frame), strings
        self.current: dict[str, pd.Series[Any]] = {c: frame[c] for c in frame.columns}
        self.damaged: dict[str, Mask] = {}
        self.reserved: dict[str, Mask] = {}
        self.changes: dict[str, list[_Change]] = {}
        self.converted: dict[str, str] = {}  # column -> "date" | "number" | "bool"

    def _mask(self, masks: dict[str, Mask], column: str) -> Mask:
        if column not in masks:
            masks[column] = np.zeros(self.rows, dtype=np.bool_)
        return masks[column]

    def free(self, columns: Seq[str], *, overlap: bool, values_only: bool) -> Mask:
        """Cells that may be picked in all of `columns` (not reserved, not damaged, not null)."""
        ok = np.ones(self.rows, dtype=np.bool_)
        for column in columns:
            ok &= ~self._mask(self.reserved, column)
            if not overlap:
                ok &= ~self._mask(self.damaged, column)
            if values_only:
                ok &= self.current[column].notna().to_numpy()
        return ok

    def pick(self, mask: Mask, k: int, rng: np.random.Generator, what: str) -> Positions:
        candidates = np.flatnonzero(mask)
        if len(candidates) < k:
            log.warning(
                "%s: only %d of %d requested cells are free to damage", what, len(candidates), k
            )
            k = len(candidates)
        return candidates[rng.choice(len(candidates), k, replace=False)]

    def reserve(self, column: str, positions: Positions) -> None:
        """Protect cells (duplicate sources) from later defects without counting them damaged."""
        self._mask(self.reserved, column)[positions] = True

    def record(self, column: str, positions: Positions, values: pd.Series[Any] | None) -> None:
        if values is not None and column in self.converted and _string_mode(values) is None:
            values = _as_text(values, self.strings)
        self.changes.setdefault(column, []).append(_Change(positions, values))
        self._mask(self.damaged, column)[positions] = True

    def to_text(self, column: str) -> None:
        """Turn a non-text column into text (earlier edits too) so malformed text fits in."""
        values = self.current[column]
        kinds = {"M": "date", "b": "bool"}
        self.converted[column] = kinds.get(values.dtype.kind, "number")
        self.current[column] = _as_text(values, self.strings)
        for change in self.changes.get(column, []):
            if change.new is not None:
                change.new = _as_text(change.new, self.strings)

    def result(self) -> pd.DataFrame:
        out = self.frame.copy(deep=False)
        for column in {*self.changes, *self.converted}:
            out[column] = _apply(self.current[column], self.changes.get(column, []))
        return out


def _apply(values: pd.Series[Any], changes: list[_Change]) -> pd.Series[Any]:
    """Apply edits in order; where two edits hit one cell the later one wins."""
    if not changes:
        return values
    positions = np.concatenate([c.positions for c in changes])
    _, last_rev = np.unique(positions[::-1], return_index=True)
    keep = np.zeros(len(positions), dtype=np.bool_)
    keep[len(positions) - 1 - last_rev] = True
    nulls, put_pos, put_values, start = [], [], [], 0
    for change in changes:
        kept = keep[start : start + len(change.positions)]
        start += len(change.positions)
        if change.new is None:
            nulls.append(change.positions[kept])
        else:
            put_pos.append(change.positions[kept])
            put_values.append(change.new.reset_index(drop=True)[kept])
    if put_pos:
        values = _put(values, np.concatenate(put_pos), pd.concat(put_values, ignore_index=True))
    if nulls:
        mask = np.zeros(len(values), dtype=np.bool_)
        mask[np.concatenate(nulls)] = True
        values = _set_null(values, mask)
    return values


@dataclass(frozen=True)
class _DefectContext:
    specs: Mapping[str, Column]
    related: Mapping[str, pd.DataFrame]
    schema_known: bool

    def spec(self, defect: Defect) -> Column:
        spec = self.specs.get(defect.column)
        if spec is None:
            hint = "pass schema=" if not self.schema_known else "the schema does not declare it"
            raise DefectError(
                f"{defect.kind} on column {defect.column!r} needs the column's declared kind: {hint}"
            )
        return spec


def _differs(a: pd.Series[Any], b: pd.Series[Any]) -> Mask:
    left, right = a.reset_index(drop=True), b.reset_index(drop=True)
    equal = left.eq(right).fillna(value=False).to_numpy(dtype=np.bool_)
    return ~(equal | (left.isna() & right.isna()).to_numpy())


def _inject_nulls(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, _ctx: _DefectContext
) -> DefectEntry:
    mask = state.free([d.column], overlap=d.allow_overlap, values_only=True)
    positions = np.sort(state.pick(mask, k, rng, f"nulls on {d.column!r}"))
    state.record(d.column, positions, None)
    return DefectEntry(d.kind, d.column, d.rate, k, state.frame.index[positions].to_numpy())


def _inject_duplicates(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, _ctx: _DefectContext
) -> DefectEntry:
    columns = list(state.current) if d.column == "*" else [d.column]
    single = d.column != "*"
    targets = state.pick(
        state.free(columns, overlap=d.allow_overlap, values_only=single),
        k,
        rng,
        f"duplicates on {d.column!r}",
    )
    source_ok = state.free(columns, overlap=False, values_only=single)
    source_ok[targets] = False
    sources = state.pick(source_ok, len(targets), rng, f"duplicate sources for {d.column!r}")
    targets = targets[: len(sources)]
    changed = np.zeros(len(targets), dtype=np.bool_)
    for column in columns:  # a copy equal to the value it replaces damages nothing: drop it
        current = state.current[column]
        changed |= _differs(current.iloc[targets], current.iloc[sources])
    order = np.argsort(targets[changed])
    targets, sources = targets[changed][order], sources[changed][order]
    for column in columns:
        state.record(column, targets, state.current[column].iloc[sources])
        state.reserve(column, sources)
    index = state.frame.index
    return DefectEntry(
        d.kind, d.column, d.rate, k, index[targets].to_numpy(), index[sources].to_numpy()
    )


def _inject_out_of_range(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, ctx: _DefectContext
) -> DefectEntry:
    spec = ctx.spec(d)
    positions = np.sort(
        state.pick(
            state.free([d.column], overlap=d.allow_overlap, values_only=True),
            k,
            rng,
            f"out_of_range on {d.column!r}",
        )
    )
    values = spec.out_of_range(_RangeRequest(state.frame, positions, rng))
    if values is None:
        raise DefectError(
            f"out_of_range on column {d.column!r}: kind {spec.kind!r} declares no range; "
            "use it on integer, float, money, date, datetime or date_after columns"
        )
    state.record(
        d.column,
        positions,
        values.astype(state.frame[d.column].dtype) if values.dtype.kind != "M" else values,
    )
    return DefectEntry(d.kind, d.column, d.rate, k, state.frame.index[positions].to_numpy())


def _inject_malformed(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, ctx: _DefectContext
) -> DefectEntry:
    current = state.current[d.column]
    if _string_mode(current) is None and not isinstance(current.dtype, pd.CategoricalDtype):
        state.to_text(d.column)
    positions = np.sort(
        state.pick(
            state.free([d.column], overlap=d.allow_overlap, values_only=True),
            k,
            rng,
            f"malformed on {d.column!r}",
        )
    )
    current = state.current[d.column]
    text = _arrow_text(current.iloc[positions])
    if d.column in state.converted:
        new = _malform_converted(text, state.converted[d.column], rng)
    else:
        spec = ctx.specs.get(d.column)
        new = spec.malform(text, rng) if spec is not None else _malform_text(text, rng)
    state.record(d.column, positions, _text_series(new, current))
    return DefectEntry(d.kind, d.column, d.rate, k, state.frame.index[positions].to_numpy())


def _inject_orphans(
    state: _Damage, d: Defect, k: int, rng: np.random.Generator, ctx: _DefectContext
) -> DefectEntry:
    spec = ctx.spec(d)
    if not isinstance(spec, ForeignKey):
        raise DefectError(
            f"orphans on column {d.column!r}: kind {spec.kind!r} is not a foreign_key"
        )
    try:
        keys = spec.parent_keys(ctx.related, f"orphans on column {d.column!r}")
    except SchemaError as exc:
        raise DefectError(str(exc)) from None
    positions = np.sort(
        state.pick(
            state.free([d.column], overlap=d.allow_overlap, values_only=True),
            k,
            rng,
            f"orphans on {d.column!r}",
        )
    )
    values = spec.orphans(keys, state.current[d.column].iloc[positions], rng)
    state.record(d.column, positions, values)
    return DefectEntry(d.kind, d.column, d.rate, k, state.frame.index[positions].to_numpy())


_INJECTORS: dict[
    str, Callable[[_Damage, Defect, int, np.random.Generator, _DefectContext], DefectEntry]
] = {
    "nulls": _inject_nulls,
    "duplicates": _inject_duplicates,
    "out_of_range": _inject_out_of_range,
    "malformed": _inject_malformed,
    "orphans": _inject_orphans,
}


# --------------------------------------------------------------------------- generator


class MockDataGenerator:
    """Seeded generator of frames from schemas, and of damaged copies of them."""

    def __init__(self, seed: int | None = None, *, string_dtype: StringMode = "pyarrow") -> None:
        if string_dtype not in _STRING_DTYPES:
            raise ValueError(f"string_dtype {string_dtype!r} is not 'pyarrow' or 'python'")
        self.seed = (
            int(np.random.SeedSequence().generate_state(1)[0]) if seed is None else int(seed)
        )
        self.string_dtype: StringMode = string_dtype
        self._origins: dict[
            int, tuple[weakref.ref[pd.DataFrame], Schema, dict[str, pd.DataFrame]]
        ] = {}
        if seed is None:
            log.info("mock data seed %d (pass seed=%d to reproduce)", self.seed, self.seed)

    def _rng(self, *parts: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, *(zlib.crc32(p.encode()) for p in parts)])

    def generate(
        self, schema: Schema, rows: int, *, related: Mapping[str, pd.DataFrame] | None = None
    ) -> pd.DataFrame:
        """A frame of `rows` rows; foreign keys sample the key columns of `related` frames."""
        if not _is_count(rows):
            raise ValueError(f"rows must be a non-negative integer, got {rows!r}")
        related = dict(related or {})
        for column, spec in schema.columns.items():
            if isinstance(spec, ForeignKey):
                spec.parent_keys(related, f"schema {schema.name!r}, column {column!r}")
        out: dict[str, pd.Series[Any]] = {}
        for column in schema.generation_order():
            spec = schema.columns[column]
            rng = self._rng(schema.name, column)
            values = spec.generate(_GenContext(int(rows), rng, self.string_dtype, out, related))
            if spec.null_rate > 0:
                values = _set_null(values, rng.random(int(rows)) < spec.null_rate)
            out[column] = values
        frame = pd.DataFrame({c: out[c] for c in schema.columns}, copy=False)
        self._remember(frame, schema, related)
        return frame

    def _remember(
        self, frame: pd.DataFrame, schema: Schema, related: dict[str, pd.DataFrame]
    ) -> None:
        self._origins = {k: v for k, v in self._origins.items() if v[0]() is not None}
        self._origins[id(frame)] = (weakref.ref(frame), schema, related)

    def _origin(self, df: pd.DataFrame) -> tuple[Schema | None, dict[str, pd.DataFrame]]:
        """The schema and related frames `df` was generated with, when this generator made it."""
        origin = self._origins.get(id(df))
        if origin is None or origin[0]() is not df:
            return None, {}
        return origin[1], origin[2]

    def inject_defects(
        self,
        df: pd.DataFrame,
        defects: Iterable[Defect],
        *,
        schema: Schema | None = None,
        related: Mapping[str, pd.DataFrame] | None = None,
    ) -> tuple[pd.DataFrame, DefectReport]:
        """A damaged copy of `df` and the report of exactly which cells changed.

        out_of_range, orphans and kind-aware malformed values need the column kinds: they are
        known for frames this generator made, else pass `schema=` (and `related=` for orphans).
        """
        known_schema, known_related = self._origin(df)
        chosen = schema or known_schema
        specs = chosen.columns if chosen is not None else {}
        ctx = _DefectContext(specs, {**known_related, **(related or {})}, chosen is not None)
        state = _Damage(df, self.string_dtype)
        entries = []
        for number, defect in enumerate(defects):
            defect.check(df)
            rng = self._rng("defects", str(number), defect.kind, defect.column)
            k = round(defect.rate * len(df))
            entries.append(_INJECTORS[defect.kind](state, defect, k, rng, ctx))
        return state.result(), DefectReport(self.seed, len(df), tuple(entries))


# --------------------------------------------------------------------------- writers


def _write_csv(df: pd.DataFrame, path: Path, index: bool) -> None:
    df.to_csv(path, index=index)


def _write_json(df: pd.DataFrame, path: Path, index: bool) -> None:
    frame = df.reset_index() if index else df
    stamps = [
        frame[c].to_numpy(dtype="datetime64[us]") for c in frame if frame[c].dtype.kind == "M"
    ]
    fractions = any((s[~np.isnat(s)].view(np.int64) % SECOND_US).any() for s in stamps)
    # whole seconds read best without a fraction; anything finer keeps its microseconds
    frame.to_json(path, orient="records", date_format="iso", date_unit="us" if fractions else "s")


def _write_parquet(df: pd.DataFrame, path: Path, index: bool) -> None:
    df.to_parquet(path, engine="pyarrow", index=index)


_WRITERS: dict[str, Callable[[pd.DataFrame, Path, bool], None]] = {
    ".csv": _write_csv,
    ".json": _write_json,
    ".parquet": _write_parquet,
}


def write_frame(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write by suffix (.csv, .json records, .parquet); atomic: readers never see half a file."""
    target = Path(path)
    writer = _WRITERS.get(target.suffix.lower())
    if writer is None:
        raise ValueError(
            f"write_frame: cannot write {target.name!r}: unknown suffix {target.suffix!r}; "
            f"use one of {', '.join(_WRITERS)}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        writer(df, partial, index)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def read_frame(path: str | Path, *, like: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read what write_frame wrote; with `like`, columns get `like`'s dtypes back."""
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in _WRITERS:
        raise ValueError(
            f"read_frame: unknown suffix {source.suffix!r} of {source.name!r}; use one of {', '.join(_WRITERS)}"
        )
    if suffix == ".parquet":
        frame = pd.read_parquet(source, engine="pyarrow")
    elif suffix == ".csv":
        frame = pd.read_csv(source)
    else:
        frame = pd.read_json(source, orient="records", dtype=False)
    if like is None:
        return frame
    for column, dtype in like.dtypes.items():
        if column in frame.columns and frame[column].dtype != dtype:
            values = frame[column]
            if dtype.kind == "M":
                values = pd.to_datetime(values, format="ISO8601")
            frame[column] = values.astype(dtype)
    return frame


def write_table(
    df: pd.DataFrame,
    database: Database,
    table: str,
    *,
    keys: Seq[str] | None = None,
    schema: TableSchema | None = None,
) -> int:
    """Load into a table: upsert on `keys` when given, else replace the table atomically."""
    if keys:
        return database.upsert_frame(df, table, keys, schema=schema).rows
    return database.replace_table_atomically(df, table, schema=schema)
