"""What a validation found: Failure, ValidationResult (table, JSON, frames), ValidationFailed."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import numpy.typing as npt


@dataclass(frozen=True, eq=False)
class Failure:
    """One failed rule on one column: counts, every failing index label and a few examples."""

    rule_id: str
    check: str
    column: str | None
    failed_rows: int
    rows: npt.NDArray[Any]
    examples: list[dict[str, Any]]
    message: str = ""

    def to_dict(self, *, include_rows: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "check": self.check,
            "column": self.column,
            "failed_rows": self.failed_rows,
            "message": self.message,
            "examples": self.examples,
        }
        if include_rows:
            out["rows"] = [_plain(v) for v in self.rows.tolist()]
        return out


class ValidationFailed(Exception):
    """Raised by ValidationResult.raise_if_failed(); ``result`` holds every failure."""

    def __init__(self, result: ValidationResult) -> None:
        super().__init__(result.table())
        self.result = result


@dataclass(frozen=True)
class ValidationResult:
    """Every failure of one validate() call, renderable as a table, JSON or a frame."""

    name: str
    rows_checked: int
    failures: list[Failure]
    rule_ids: tuple[str, ...]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def failures_for(self, rule_id: str) -> list[Failure]:
        if rule_id not in self.rule_ids:
            raise KeyError(
                f"validator {self.name!r} has no rule {rule_id!r}; its rules are "
                f"{', '.join(self.rule_ids)}"
            )
        return [f for f in self.failures if f.rule_id == rule_id]

    def failed_rows(self, rule_id: str) -> npt.NDArray[Any]:
        """Index labels failing ``rule_id`` (union over its columns, first-seen order)."""
        arrays = [f.rows for f in self.failures_for(rule_id)]
        if not arrays:
            return np.empty(0, dtype=object)
        if len(arrays) == 1:
            return arrays[0]
        return np.asarray(pd.unique(np.concatenate(arrays)))

    def row_failures(self) -> pd.DataFrame:
        """One row per (failing row, failure): columns row, rule_id, check, column."""
        with_rows = [f for f in self.failures if f.failed_rows]
        counts = [f.failed_rows for f in with_rows]
        return pd.DataFrame(
            {
                "row": np.concatenate([f.rows for f in with_rows]) if with_rows else [],
                "rule_id": np.repeat([f.rule_id for f in with_rows], counts),
                "check": np.repeat([f.check for f in with_rows], counts),
                "column": np.repeat([f.column or "" for f in with_rows], counts),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per failure: rule_id, check, column, failed_rows, message, rows."""
        columns = ["rule_id", "check", "column", "failed_rows", "message", "rows"]
        records = [
            (f.rule_id, f.check, f.column, f.failed_rows, f.message, f.rows) for f in self.failures
        ]
        return pd.DataFrame.from_records(records, columns=columns)

    def to_dict(self, *, include_rows: bool = False) -> dict[str, Any]:
        return {
            "validator": self.name,
            "ok": self.ok,
            "rows_checked": self.rows_checked,
            "rules": len(self.rule_ids),
            "failed_rules": len({f.rule_id for f in self.failures}),
            "seconds": round(self.seconds, 6),
            "failures": [f.to_dict(include_rows=include_rows) for f in self.failures],
        }

    def to_json(self, *, include_rows: bool = False, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(include_rows=include_rows), indent=indent, default=str)

    def table(self) -> str:
        """A text table of the failures (or one line saying all rules passed)."""
        head = f"{self.name}: {self.rows_checked:,} rows, {len(self.rule_ids)} rules"
        if self.ok:
            return f"{head}, all passed"
        header = ("rule_id", "check", "column", "failed", "detail")
        body = [
            (f.rule_id, f.check, f.column or "-", f"{f.failed_rows:,}", _detail(f))
            for f in self.failures
        ]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body
        ]
        rule = "  ".join("-" * w for w in widths)
        top = "  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()
        failed = len({f.rule_id for f in self.failures})
        return "\n".join([f"{head}, {failed} failed", top, rule, *lines]).rstrip()

    def __str__(self) -> str:
        return self.table()

    def raise_if_failed(self) -> None:
        if not self.ok:
            raise ValidationFailed(self)


def _detail(failure: Failure) -> str:
    labels = ", ".join(str(e["row"]) for e in failure.examples[:3])
    return f"{failure.message}; e.g. rows {labels}" if labels else failure.message


def _plain(value: Any) -> Any:
    """A JSON-friendly Python value (None for any null, ISO strings for times)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, timedelta | pd.Timedelta):
        return str(value)
    return value
