"""Boards of the sandbox: columns, groups and items stored column-wise, loaded from JSON/YAML.

Board file format (YAML or JSON)::

    people: {"4616627": {name: Ana Lopez, kind: person}, "665845": {name: Sales Team, kind: team}}
    boards:
      - id: "1234567890"
        name: Deals
        state: active                      # active | archived | deleted
        columns: [{id: status, title: Status, type: status, settings: {labels: {"0": Working on it}}}]
        groups: [{id: topics, title: Q4 Pipeline}]
        items:
          - {id: "9001000001", name: Onboard ACME, group_id: topics, state: active,
             created_at: "2024-09-30T14:02:11Z", updated_at: "2024-10-02T09:14:11Z",
             values: {status: Working on it, date4: "2024-11-15"},
             subitems: [{id: "9001000101", name: Kick-off, values: {...}}]}
        subitems_board: {id: "1234567891", columns: [...]}   # only when items have subitems

Cells are dictionary-encoded: per column an int32 code per item into a pool of distinct simple
values (code 0 = empty cell). The executor renders each pool entry once per field selection, so
serving a page costs a list lookup per cell, not a render.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from .model import BoardDataError, Column, Group, People, Person
from .render import dumps, render_cell
from .schema import COLUMN_TYPES

SANDBOX_DATA = Path(__file__).resolve().parents[1] / "sandbox_data"
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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], people: People | None = None) -> Board:
        """Build a board from the file format above; errors name the board, item and column."""
        board_id = _required(data, "id", "board")
        columns = [_column(c, board_id) for c in data.get("columns", [])]
        groups = [Group(str(g["id"]), str(g.get("title", g["id"]))) for g in data.get("groups", [])]
        groups = groups or [Group("topics", "Group Title")]
        items = list(data.get("items", []))
        rows = _ItemRows.read(items, board_id, groups, {c.id: c for c in columns})
        board = cls(
            id=board_id, name=str(data.get("name", board_id)), columns=columns, groups=groups,
            item_ids=rows.ids, item_names=rows.names, item_states=rows.states,
            item_groups=rows.groups, created_at=rows.created, updated_at=rows.updated,
            cells={}, state=_state(data.get("state", "active"), f"board {board_id}"),
            board_kind=str(data.get("board_kind", "public")), people=people,
        )  # fmt: skip
        if any(item.get("subitems") for item in items):
            _attach_subitems(board, items, data.get("subitems_board") or {})
        board.cells = {
            c.id: _encode_column([row.get("values", {}).get(c.id) for row in items])
            for c in columns
            if c.type not in PER_ITEM_TYPES
        }
        _derive_subtasks(board, items)
        _check_renders(board)
        return board

    def to_dict(self) -> dict[str, Any]:
        """The board in the file format (subitems included)."""
        data: dict[str, Any] = {
            "id": self.id, "name": self.name, "state": self.state, "board_kind": self.board_kind,
            "columns": [{"id": c.id, "title": c.title, "type": c.type,
                         "settings_str": c.settings_str} for c in self.columns],
            "groups": [{"id": g.id, "title": g.title} for g in self.groups],
            "items": [self._item_dict(row) for row in range(self.n_items)],
        }  # fmt: skip
        if self.subitems_board is not None:
            sub = self.subitems_board.to_dict()
            data["subitems_board"] = {k: sub[k] for k in ("id", "name", "columns")}
        return data

    def _item_dict(self, row: int) -> dict[str, Any]:
        values = {
            cid: cells.pool[int(cells.codes[row])]
            for cid, cells in self.cells.items()
            if cells.codes[row]
        }
        item: dict[str, Any] = {
            "id": self.item_ids[row], "name": self.item_names[row],
            "state": str(self.item_states[row]),
            "group_id": self.groups[int(self.item_groups[row])].id,
            "created_at": self.created_at[row], "updated_at": self.updated_at[row], "values": values,
        }  # fmt: skip
        if self.subitems_board is not None and self.subitem_rows is not None:
            sub = self.subitems_board
            item["subitems"] = [sub._item_dict(r) for r in self.subitem_rows[row]]
        return item


_ATTRS = {
    "id": "item_ids",
    "name": "item_names",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


def _required(data: Mapping[str, Any], key: str, where: str) -> str:
    if data.get(key) in (None, ""):
        raise BoardDataError(f"{where}: missing {key!r} (got keys {sorted(data)}); add it")
    return str(data[key])


def _state(value: Any, where: str) -> str:
    if value not in ITEM_STATES:
        raise BoardDataError(f"{where}: state {value!r} is not one of {ITEM_STATES}")
    return str(value)


def _column(data: Mapping[str, Any], board_id: str) -> Column:
    where = f"board {board_id} column {data.get('id')!r}"
    column_id, column_type = _required(data, "id", where), _required(data, "type", where)
    if column_type not in COLUMN_TYPES:
        raise BoardDataError(f"{where}: type {column_type!r} is not one of {list(COLUMN_TYPES)}")
    settings = data.get("settings_str") or json.dumps(data.get("settings") or {})
    return Column(column_id, str(data.get("title", column_id)), column_type, settings)


def timestamp(value: Any) -> str:
    """An ISO-8601 UTC timestamp string (YAML may hand over datetime objects)."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC) if value.tzinfo else value
        return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return str(value)


@dataclass
class _ItemRows:
    ids: list[str]
    names: list[str]
    states: list[str]
    groups: IntArray
    created: list[str]
    updated: list[str]

    @classmethod
    def read(
        cls, items: list[Any], board_id: str, groups: list[Group], columns: Mapping[str, Column]
    ) -> _ItemRows:
        group_index = {g.id: i for i, g in enumerate(groups)}
        rows = cls([], [], [], np.zeros(len(items), dtype=np.int32), [], [])
        for row, item in enumerate(items):
            where = f"board {board_id} item {item.get('id')!r}"
            rows.ids.append(_required(item, "id", where))
            rows.names.append(str(item.get("name", "")))
            rows.states.append(_state(item.get("state", "active"), where))
            group = str(item.get("group_id", groups[0].id))
            if group not in group_index:
                raise BoardDataError(
                    f"{where}: group_id {group!r} is not one of {list(group_index)}"
                )
            rows.groups[row] = group_index[group]
            rows.created.append(timestamp(item.get("created_at", DEFAULT_TIMESTAMP)))
            rows.updated.append(timestamp(item.get("updated_at", rows.created[-1])))
            unknown = sorted(set(item.get("values", {})) - set(columns))
            if unknown:
                raise BoardDataError(
                    f"{where}: values for unknown columns {unknown}; add the columns"
                )
        duplicates = sorted({i for i in rows.ids if rows.ids.count(i) > 1})
        if duplicates:
            raise BoardDataError(f"board {board_id}: duplicate item ids {duplicates}")
        return rows


def _encode_column(values: Sequence[Any]) -> ColumnCells:
    """Dictionary-encode simple values; None and "" are the empty cell (code 0)."""
    pool: list[Any] = [None]
    index: dict[str, int] = {}
    codes = np.zeros(len(values), dtype=np.int32)
    for row, value in enumerate(values):
        if value is None or value in ("", []):
            continue
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in index:
            index[key] = len(pool)
            pool.append(value)
        codes[row] = index[key]
    return ColumnCells(codes, pool)


def _attach_subitems(board: Board, items: list[Any], spec: Mapping[str, Any]) -> None:
    flat = [
        dict(sub, group_id=sub.get("group_id", "topics"))
        for i in items
        for sub in i.get("subitems") or []
    ]
    default_id = str(int(board.id) + 1) if board.id.isdigit() else f"{board.id}_subitems"
    sub_spec = {"name": f"Subitems of {board.name}", "id": default_id, **spec, "items": flat}
    sub_spec.setdefault("groups", [{"id": "topics", "title": "Subitems"}])
    sub = Board.from_dict(sub_spec, board.people)
    sub.board_kind = "sub_items_board"
    sub.parent_board, board.subitems_board = board, sub
    parents = np.repeat(
        np.arange(len(items), dtype=np.int32), [len(i.get("subitems") or []) for i in items]
    )
    sub.parent_rows = parents
    board.subitem_rows = [[] for _ in items]
    for sub_row, parent in enumerate(parents.tolist()):
        board.subitem_rows[parent].append(sub_row)


def _derive_subtasks(board: Board, items: list[Any]) -> None:
    """Subtasks cells list the item's subitems unless the data gives them explicitly."""
    sub, rows = board.subitems_board, board.subitem_rows
    if sub is None or rows is None:
        return
    for column in (c for c in board.columns if c.type == "subtasks"):
        values = [
            item.get("values", {}).get(column.id)
            or ({"ids": [sub.item_ids[r] for r in rows[n]], "names": [sub.item_names[r] for r in rows[n]]}
                if rows[n] else None)
            for n, item in enumerate(items)
        ]  # fmt: skip
        board.cells[column.id] = _encode_column(values)


def _check_renders(board: Board) -> None:
    """Render every distinct value once so bad data fails at load, naming item and column."""
    for column in board.columns:
        if column.type in PER_ITEM_TYPES:
            continue
        cells = board.cells[column.id]
        for code, value in enumerate(cells.pool):
            try:
                render_cell(column, value, board)
            except BoardDataError as exc:
                row = int(np.argmax(cells.codes == code))
                raise BoardDataError(
                    f"board {board.id} item {board.item_ids[row]}: {exc}"
                ) from None


def _people(data: Mapping[str, Any] | None) -> People:
    people = People()
    for person_id, entry in (data or {}).items():
        if isinstance(entry, Mapping):
            people.by_id[str(person_id)] = Person(
                str(entry.get("name", person_id)), str(entry.get("kind", "person"))
            )
        else:
            people.by_id[str(person_id)] = Person(str(entry))
    return people


def load_boards(source: str | Path | Mapping[str, Any] | Sequence[Any]) -> list[Board]:
    """Boards from a file path, YAML/JSON text, a ``{people, boards}`` mapping or a list of boards."""
    data: Any = source
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and Path(source).is_file()
    ):
        path = Path(source)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    elif isinstance(source, str):
        data = yaml.safe_load(source)
    if isinstance(data, Mapping) and "boards" not in data:
        data = {"boards": [data]}
    if isinstance(data, Sequence) and not isinstance(data, str):
        data = {"boards": list(data)}
    if not isinstance(data, Mapping):
        raise BoardDataError(
            f"board data must be a mapping with 'boards', got {type(data).__name__}"
        )
    people = _people(data.get("people"))
    return [Board.from_dict(b, people) for b in data["boards"]]


def dump_boards(boards: Iterable[Board]) -> dict[str, Any]:
    """The file format for these boards (people directory included)."""
    boards = list(boards)
    people = {
        pid: {"name": p.name, "kind": p.kind} for b in boards for pid, p in b.people.by_id.items()
    }
    return {"people": people, "boards": [b.to_dict() for b in boards]}


@cache
def sample_boards() -> tuple[Board, ...]:
    """The sample boards of dev/shared/sandbox_data/ (every *.yaml / *.json file)."""
    files = sorted(p for p in SANDBOX_DATA.iterdir() if p.suffix in {".yaml", ".yml", ".json"})
    return tuple(board for path in files for board in load_boards(path))
