"""Load boards from JSON/YAML (and write them back); the sample boards of sandbox_data/.

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
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .board import DEFAULT_TIMESTAMP, ITEM_STATES, PER_ITEM_TYPES, Board, ColumnCells, IntArray
from .model import BoardDataError, Column, Group, People, Person
from .render import render_cell
from .schema import COLUMN_TYPES

SANDBOX_DATA = Path(__file__).resolve().parents[1] / "sandbox_data"


def board_from_dict(data: Mapping[str, Any], people: People | None = None) -> Board:
    """Build a board from the file format above; errors name the board, item and column."""
    board_id = _required(data, "id", "board")
    columns = [_column(c, board_id) for c in data.get("columns", [])]
    groups = [Group(str(g["id"]), str(g.get("title", g["id"]))) for g in data.get("groups", [])]
    groups = groups or [Group("topics", "Group Title")]
    items = list(data.get("items", []))
    rows = _ItemRows.read(items, board_id, groups, {c.id: c for c in columns})
    board = Board(
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


def board_to_dict(self: Board) -> dict[str, Any]:
    """The board in the file format (subitems included)."""
    data: dict[str, Any] = {
        "id": self.id, "name": self.name, "state": self.state, "board_kind": self.board_kind,
        "columns": [{"id": c.id, "title": c.title, "type": c.type,
                     "settings_str": c.settings_str} for c in self.columns],
        "groups": [{"id": g.id, "title": g.title} for g in self.groups],
        "items": [_item_dict(self, row) for row in range(self.n_items)],
    }  # fmt: skip
    if self.subitems_board is not None:
        sub = board_to_dict(self.subitems_board)
        data["subitems_board"] = {k: sub[k] for k in ("id", "name", "columns")}
    return data


def _item_dict(self: Board, row: int) -> dict[str, Any]:
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
        item["subitems"] = [_item_dict(sub, r) for r in self.subitem_rows[row]]
    return item


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
    sub = board_from_dict(sub_spec, board.people)
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
    return [board_from_dict(b, people) for b in data["boards"]]


def dump_boards(boards: Iterable[Board]) -> dict[str, Any]:
    """The file format for these boards (people directory included)."""
    boards = list(boards)
    people = {
        pid: {"name": p.name, "kind": p.kind} for b in boards for pid, p in b.people.by_id.items()
    }
    return {"people": people, "boards": [board_to_dict(b) for b in boards]}


@cache
def sample_boards() -> tuple[Board, ...]:
    """The sample boards of dev/shared/sandbox_data/ (every *.yaml / *.json file)."""
    files = sorted(p for p in SANDBOX_DATA.iterdir() if p.suffix in {".yaml", ".yml", ".json"})
    return tuple(board for path in files for board in load_boards(path))
