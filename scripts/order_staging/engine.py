"""Evaluate the business rules (rules.py) over one batch, vectorised over whole frames.

``evaluate(batch, reference, settings, open_orders)`` types the text columns, joins the
reference tables by index lookups, runs one check per rule and returns an :class:`Outcome`:
typed lines with ``staged``/``backorder`` and one error row per (line, violated rule).
Invariant, asserted: rows in = staged + rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import arrowtext as at
from . import checks, header_checks
from .batch import Batch
from .canonical import frame_of
from .checks import Violation
from .reference import Reference
from .rules import RULES

ERROR_COLUMNS = (
    "file_checksum",
    "order_seq",
    "row_no",
    "rule_id",
    "file_name",
    "source",
    "order_id",
    "line_no",
    "level",
    "action",
    "field",
    "value",
    "message",
)


@dataclass(frozen=True)
class Settings:
    """Tolerances and currency conversion for the rules (config ``tolerances``, ``fx_to_base``)."""

    price_tolerance: float = 0.01
    total_tolerance: float = 0.01
    fx_to_base: Mapping[str, float] = field(default_factory=lambda: {"EUR": 1.0})


@dataclass
class Outcome:
    """The result of the rules over a batch."""

    headers: pd.DataFrame  # typed headers (index = order_pos)
    lines: pd.DataFrame  # typed lines + header fields, staged, backorder
    errors: pd.DataFrame  # ERROR_COLUMNS, one row per violated rule per line

    @property
    def rows_in(self) -> int:
        return len(self.lines)

    @property
    def staged(self) -> int:
        return int(self.lines["staged"].sum())

    @property
    def rejected(self) -> int:
        return self.rows_in - self.staged


def evaluate(
    batch: Batch,
    reference: Reference,
    settings: Settings | None = None,
    open_orders: pd.DataFrame | None = None,
) -> Outcome:
    """Run every rule; open_orders (customer_id, source, order_id, currency, amount) are staged
    orders already in the database, counted against credit limits."""
    settings = settings or Settings()
    heads = checks.type_headers(batch.headers, reference)
    lines = checks.type_lines(batch.lines, heads, reference)
    line_v = checks.line_violations(lines, heads, settings.price_tolerance)
    superseded = next(v.mask for v in line_v if v.rule_id == "OS-L08")
    header_v = header_checks.header_violations(heads, lines, superseded, settings.total_tolerance)
    line_rejected = _any(line_v, len(lines))
    header_rejected = _any(header_v, len(heads))
    credit = header_checks.credit_violation(
        heads, lines, line_rejected | header_rejected[_pos(lines)], settings.fx_to_base, open_orders
    )
    header_rejected |= credit.mask
    staged = ~line_rejected & ~header_rejected[_pos(lines)]
    backorder = header_checks.backorder_violation(lines, staged)
    lines = lines.assign(staged=staged, backorder=backorder.mask)
    errors = build_errors(heads, lines, [*line_v, backorder], [*header_v, credit])
    outcome = Outcome(heads, lines, errors)
    assert outcome.staged + int((~staged).sum()) == outcome.rows_in == batch.rows_in, (
        "rows in != staged + rejected"
    )
    rejected_rows = errors.loc[
        errors["action"] == "reject", ["file_checksum", "order_seq", "row_no"]
    ].drop_duplicates()
    assert len(rejected_rows) == outcome.rejected, "a rejected line has no error row"
    return outcome


def _pos(lines: pd.DataFrame) -> np.ndarray:
    return lines["order_pos"].to_numpy(dtype=np.int64)


def _any(violations: list[Violation], size: int) -> np.ndarray:
    out = np.zeros(size, dtype=bool)
    for v in violations:
        if RULES[v.rule_id].action == "reject":
            out |= v.mask
    return out


def build_errors(
    heads: pd.DataFrame, lines: pd.DataFrame, line_v: list[Violation], header_v: list[Violation]
) -> pd.DataFrame:
    """One row per (line, violated rule); header violations repeat on every line of the order."""
    pos = _pos(lines)
    parts = [(np.flatnonzero(v.mask), v, np.arange(int(v.mask.sum()))) for v in line_v]
    for v in header_v:
        slot = np.full(len(heads), -1)
        slot[np.flatnonzero(v.mask)] = np.arange(int(v.mask.sum()))
        rows = np.flatnonzero(v.mask[pos])
        parts.append((rows, v, slot[pos[rows]]))
    parts = [p for p in parts if len(p[0])]
    if not parts:
        empty = {c: pd.Series(dtype=object) for c in ERROR_COLUMNS}
        return pd.DataFrame(empty).astype({"order_seq": "int64", "row_no": "int64"})
    rows = np.concatenate([p[0] for p in parts])
    at_pos = pos[rows]
    frame = {
        "file_checksum": heads["file_checksum"].to_numpy(dtype=object)[at_pos],
        "order_seq": lines["order_seq"].to_numpy(dtype=np.int64)[rows],
        "row_no": lines["row_no"].to_numpy(dtype=np.int64)[rows],
        "rule_id": np.concatenate([np.repeat(v.rule_id, len(r)) for r, v, _ in parts]),
        "file_name": heads["file_name"].to_numpy(dtype=object)[at_pos],
        "source": heads["source"].to_numpy(dtype=object)[at_pos],
        "order_id": heads["order_id"].to_numpy(dtype=object)[at_pos],
        "line_no": at.objects(lines["line_no_text"], rows),
    }
    for name in ("level", "action"):
        frame[name] = np.concatenate(
            [np.repeat(getattr(RULES[v.rule_id], name), len(r)) for r, v, _ in parts]
        )
    for name, default in (("field", None), ("value", ""), ("message", None)):
        frame[name] = np.concatenate(
            [_take(getattr(v, name), slots, _default(v, name, default)) for _, v, slots in parts]
        )
    return frame_of({c: frame[c] for c in ERROR_COLUMNS}, len(rows))


def _default(v: Violation, name: str, default: str | None) -> str:
    if default is not None:
        return default
    rule = RULES[v.rule_id]
    return rule.field if name == "field" else rule.text


def _take(values: object, slots: np.ndarray, default: str) -> np.ndarray:
    if values is None:
        values = default
    if isinstance(values, str):
        return np.full(len(slots), values, dtype=object)
    return np.asarray(values, dtype=object)[slots]
