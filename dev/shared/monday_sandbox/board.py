"""Boards of the sandbox: columns, groups and items stored column-wise.

Cells are dictionary-encoded: per column an int32 code per item into a pool of distinct simple
values (code 0 = empty cell). The executor renders each pool entry once per field selection, so
serving a page costs a list lookup per cell, not a render.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .model import BoardDataError, Column, Group, People
from .render import dumps

PER_ITEM_TYPES = frozenset({"name", "item_id"})
ITEM_STATES = ("active", "archived", "deleted")
DEFAULT_TIMESTAMP = "2024-01-01T00:00:00Z"
IntArray = npt.NDArray[np.int32]


@dataclass
class ColumnCells:
    """A column's cells: ``codes[row]`` indexes ``pool`` (``pool[0]`` is the empty cell)."""

    codes: IntArray
    pool: list[Any]
    fragments: dict[Hashable, list[str | None]] = field(default_factory=dict, repr=False)
    complete: set[Hashable] = field(default_factory=set, repr=False)  # fragments fully rendered


class Board:
    """One board; item attributes are parallel lists indexed by row."""

    def __init__(
        self,
        *,
        id: str,
        name: str,
        columns: Sequence[Column],
        groups: Sequence[Group],
        item_ids: list[str],
        item_names: list[str],
        item_states: Sequence[str],
        item_groups: IntArray,
        created_at: list[str],
        updated_at: list[str],
        cells: dict[str, ColumnCells],
        state: str = "active",
        board_kind: str = "public",
        people: People | None = None,
    ) -> None:
        self.id, self.name, self.state, self.board_kind = id, name, state, board_kind
        self.columns, self.groups = list(columns), list(groups)
        self.item_ids, self.item_names = item_ids, item_names
        self.item_states = np.asarray(item_states, dtype="U8")
        self.item_groups = np.asarray(item_groups, dtype=np.int32)
        self.created_at, self.updated_at = created_at, updated_at
        self.cells = cells
        self.people = people or People()
        self.parent_board: Board | None = None
        self.parent_rows: IntArray | None = None
        self.subitems_board: Board | None = None
        self.subitem_rows: list[list[int]] | None = None
        self._row_of: dict[str, int] | None = None
        self._encoded: dict[str, list[str]] = {}
        self.templates: dict[Hashable, list[str]] = {}  # name / item_id cells, per field selection
        self._check_shapes()

    def _check_shapes(self) -> None:
        sizes = {len(self.item_ids), len(self.item_names), len(self.item_states)}
        sizes |= {len(self.item_groups), len(self.created_at), len(self.updated_at)}
        sizes |= {len(c.codes) for c in self.cells.values()}
        if len(sizes) > 1:
            raise BoardDataError(f"board {self.id}: item attributes have different lengths {sizes}")

    def __repr__(self) -> str:
        return f"Board(id={self.id!r}, name={self.name!r}, items={self.n_items}, columns={len(self.columns)})"

    @property
    def n_items(self) -> int:
        """Number of items (any state)."""
        return len(self.item_ids)

    def row_of(self, item_id: str) -> int | None:
        """The row of an item id on this board, or None."""
        if self._row_of is None:
            self._row_of = {item: row for row, item in enumerate(self.item_ids)}
        return self._row_of.get(item_id)

    def item_name(self, item_id: str) -> str | None:
        """Name of an item of this board or of its subitems board (used by relation cells)."""
        row = self.row_of(item_id)
        if row is not None:
            return self.item_names[row]
        return self.subitems_board.item_name(item_id) if self.subitems_board else None

    def encoded(self, attribute: str) -> list[str]:
        """Per-row JSON text of an item attribute (id, name, state, created_at, updated_at)."""
        if attribute not in self._encoded:
            values: Sequence[str] = (
                self.item_states.tolist()
                if attribute == "state"
                else getattr(self, _ATTRS[attribute])
            )
            self._encoded[attribute] = [dumps(v) for v in values]
        return self._encoded[attribute]

    def column(self, column_id: str) -> Column | None:
        """The column with this id, or None."""
        return next((c for c in self.columns if c.id == column_id), None)

    def simple_value(self, column: Column, row: int) -> Any:
        """The simple value of one cell (derived for name / item_id columns)."""
        if column.type == "name":
            return self.item_names[row]
        if column.type == "item_id":
            return self.item_ids[row]
        cells = self.cells[column.id]
        return cells.pool[int(cells.codes[row])]


_ATTRS = {
    "id": "item_ids",
    "name": "item_names",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
