"""The frame being damaged: free cells, picks, recorded edits applied in order."""

from __future__ import annotations

import logging
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .base import Mask, Positions
from .edits import _as_text, _put, _set_null
from .text import _string_mode

log = logging.getLogger(__package__)  # the package logger: records keep their old name


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


def _last_edits(changes: list[_Change]) -> Mask:
    """Over all edits' positions in order: True where no later edit hits the same cell."""
    positions = np.concatenate([c.positions for c in changes])
    _, last_rev = np.unique(positions[::-1], return_index=True)
    keep = np.zeros(len(positions), dtype=np.bool_)
    keep[len(positions) - 1 - last_rev] = True
    return keep


def _apply(values: pd.Series[Any], changes: list[_Change]) -> pd.Series[Any]:
    """Apply edits in order; where two edits hit one cell the later one wins."""
    if not changes:
        return values
    keep = _last_edits(changes)
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
