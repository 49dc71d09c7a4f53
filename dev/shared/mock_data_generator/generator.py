"""MockDataGenerator: seeded frames from schemas, and damaged copies of them."""

from __future__ import annotations

import logging
import weakref
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .base import _GenContext, _is_count
from .damage import _Damage
from .defects import Defect, DefectReport
from .edits import _set_null
from .injectors import _INJECTORS, _DefectContext
from .kinds import ForeignKey
from .schema import Schema
from .text import _STRING_DTYPES, StringMode

log = logging.getLogger(__package__)  # the package logger: records keep their old name


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
        _check_parents(schema, related)
        out: dict[str, pd.Series[Any]] = {}
        for column in schema.generation_order():  # later columns may read earlier ones in out
            out[column] = self._column(schema, column, int(rows), out, related)
        frame = pd.DataFrame({c: out[c] for c in schema.columns}, copy=False)
        self._remember(frame, schema, related)
        return frame

    def _column(
        self,
        schema: Schema,
        column: str,
        rows: int,
        frame: Mapping[str, pd.Series[Any]],
        related: Mapping[str, pd.DataFrame],
    ) -> pd.Series[Any]:
        """One column's values from its own random stream, then its share of nulls."""
        spec = schema.columns[column]
        rng = self._rng(schema.name, column)
        values = spec.generate(_GenContext(rows, rng, self.string_dtype, frame, related))
        if spec.null_rate > 0:
            values = _set_null(values, rng.random(rows) < spec.null_rate)
        return values

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


def _check_parents(schema: Schema, related: Mapping[str, pd.DataFrame]) -> None:
    """Raise SchemaError before generating when a foreign key's parent frame is unusable."""
    for column, spec in schema.columns.items():
        if isinstance(spec, ForeignKey):
            spec.parent_keys(related, f"schema {schema.name!r}, column {column!r}")
