"""The board registry and sync options, read from the layered config (workflow.yaml `config:`).

boards:
  - id: "2000000001"
    table: monday_customer_delivery_schedules
    subitems: false
    columns:                                   # per-column overrides, keyed by column id
      delivery_weekdays: {name: delivery_weekdays, type: text, separator: ","}
      status: {exclude: true}
board_state: active          # boards(state:) of the API
item_states: [active]        # items kept (the API's items_page returns active items)
table_prefix: monday_board_  # default table: <prefix><board id>
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.config import Config, ConfigError

PORTABLE = ("text", "int", "float", "bool", "date", "timestamp", "json")
SQL_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,49}$")
BOARD_STATES = ("active", "archived", "deleted", "all")
_OVERRIDE_KEYS = {"name", "type", "exclude", "separator"}
_BOARD_KEYS = {"id", "table", "subitems", "columns", "name"}


@dataclass(frozen=True)
class ColumnOverride:
    """How one board column is mapped instead of automatically."""

    name: str | None = None  # SQL base name; derived columns add _from/_to/_ids/_at
    type: str | None = None  # portable type of the column's value part(s)
    exclude: bool = False
    separator: str | None = None  # dropdown labels / ids joined with this


@dataclass(frozen=True)
class BoardConfig:
    """One registry entry: a board id, its table and its column overrides."""

    board_id: str
    table: str
    subitems: bool = False
    columns: Mapping[str, ColumnOverride] = field(default_factory=dict)

    @property
    def subitems_table(self) -> str:
        return f"{self.table}_subitems"


@dataclass(frozen=True)
class SyncSettings:
    """Everything a sync run needs from config."""

    boards: tuple[BoardConfig, ...]
    board_state: str = "active"
    item_states: tuple[str, ...] = ("active",)
    table_prefix: str = "monday_board_"

    def board(self, board_id: str) -> BoardConfig:
        """The registry entry of a board, or the automatic one for an unregistered id."""
        for board in self.boards:
            if board.board_id == board_id:
                return board
        return BoardConfig(board_id, default_table(board_id, self.table_prefix))

    def selected(self, ids: Sequence[str] | None) -> list[BoardConfig]:
        """The boards to sync: ``ids`` when given (registry entry or automatic), else all."""
        chosen = (
            list(self.boards)
            if ids is None
            else [self.board(str(board_id)) for board_id in dict.fromkeys(ids)]
        )
        if not chosen:
            raise ConfigError(
                "no boards to sync: list them under `config.boards` in workflow.yaml or pass "
                "--boards ID,ID"
            )
        return chosen


def default_table(board_id: str, prefix: str = "monday_board_") -> str:
    return f"{prefix}{re.sub(r'[^0-9a-zA-Z_]', '_', board_id).lower()}"


def load_settings(cfg: Config) -> SyncSettings:
    """SyncSettings from `boards`, `board_state`, `item_states`, `table_prefix`."""
    prefix = cfg.get_str("table_prefix", "monday_board_")
    _check_name(prefix.rstrip("_") or "x", "config key 'table_prefix'")
    raw = cfg.get("boards", [])
    if not isinstance(raw, list):
        raise ConfigError("config key 'boards' must be a list of {id, table, columns} entries")
    boards = tuple(_board(entry, n, prefix) for n, entry in enumerate(raw))
    _check_unique([b.board_id for b in boards], "board id")
    _check_unique([t for b in boards for t in (b.table, b.subitems_table)], "table")
    state = cfg.get_str("board_state", "active")
    if state not in BOARD_STATES:
        raise ConfigError(f"config key 'board_state' = {state!r}: use one of {BOARD_STATES}")
    items = tuple(str(s) for s in cfg.get_list("item_states", ["active"]))
    if not items or set(items) - set(BOARD_STATES):
        raise ConfigError(f"config key 'item_states' = {list(items)}: use values of {BOARD_STATES}")
    return SyncSettings(boards, state, items, prefix)


def _board(entry: Any, n: int, prefix: str) -> BoardConfig:
    where = f"config boards[{n}]"
    if not isinstance(entry, Mapping) or "id" not in entry:
        raise ConfigError(f"{where}: each board needs at least an `id` (got {entry!r})")
    unknown = set(entry) - _BOARD_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; use {sorted(_BOARD_KEYS)}")
    board_id = str(entry["id"]).strip()
    if not board_id.isdigit():
        raise ConfigError(f"{where}: id {board_id!r} is not a Monday board id (digits only)")
    table = str(entry.get("table") or default_table(board_id, prefix))
    _check_name(table, f"{where} table")
    columns = entry.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise ConfigError(
            f"{where} columns: map column ids to overrides, e.g. {{status: {{name: stage}}}}"
        )
    overrides = {str(cid): _override(raw, f"{where} columns.{cid}") for cid, raw in columns.items()}
    names = [o.name for o in overrides.values() if o.name and not o.exclude]
    _check_unique(names, f"{where} override name")
    subitems = entry.get("subitems", False)
    if not isinstance(subitems, bool):
        raise ConfigError(f"{where} subitems: must be true or false (got {subitems!r})")
    return BoardConfig(board_id, table, subitems, overrides)


def _override(raw: Any, where: str) -> ColumnOverride:
    if raw is None:
        return ColumnOverride()
    if not isinstance(raw, Mapping) or set(raw) - _OVERRIDE_KEYS:
        raise ConfigError(f"{where}: an override is a mapping of {sorted(_OVERRIDE_KEYS)}")
    name = raw.get("name")
    if name is not None:
        _check_name(str(name), f"{where} name")
    kind = raw.get("type")
    if kind is not None and kind not in PORTABLE:
        raise ConfigError(f"{where} type: {kind!r} is not one of {', '.join(PORTABLE)}")
    exclude = raw.get("exclude", False)
    if not isinstance(exclude, bool):
        raise ConfigError(f"{where} exclude: must be true or false (got {exclude!r})")
    separator = raw.get("separator")
    return ColumnOverride(
        None if name is None else str(name),
        kind,
        exclude,
        None if separator is None else str(separator),
    )


def _check_name(name: str, where: str) -> None:
    if not SQL_NAME.match(name):
        raise ConfigError(
            f"{where}: {name!r} is not a safe SQL name; use lower-case letters, digits and _, "
            "starting with a letter or _, at most 50 characters"
        )


def _check_unique(values: Sequence[str], what: str) -> None:
    repeated = sorted(value for value, count in Counter(values).items() if count > 1)
    if repeated:
        raise ConfigError(
            f"config boards: {what}(s) {repeated} used more than once; make them unique"
        )
