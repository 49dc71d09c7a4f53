"""Defect specs and the DefectReport of exactly which cells they damaged."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .base import DefectError, _require_number

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
