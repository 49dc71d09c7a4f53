"""Which SQL columns each board column becomes, and why: the mapping plan of one board.

Every Monday column type maps to one or more *parts* (catalogue below); a part is one SQL
column with a portable type and an extractor kind (cells.py). Names come, in this order, from a
config override, the previous sync's mapping (names are stable across syncs and title
changes), or the title (naming.py). Item fields (id, name, group, state, timestamps) are
columns of every table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from shared.config import ConfigError

from .naming import NameAllocator, derived, safe_sql_name
from .settings import BoardConfig, ColumnOverride


@dataclass(frozen=True)
class Part:
    """One SQL column a Monday column type produces."""

    suffix: str  # '' (the base name) or from / to / ids / at
    sql_type: str
    kind: str  # extractor in cells.py
    holds: str  # what the column holds, for the mapping table


_TEXT = (Part("", "text", "text", "the cell's text"),)
CATALOGUE: Mapping[str, tuple[Part, ...]] = {
    "status": (Part("", "text", "label", "status label"),),
    "date": (
        Part("", "date", "date", "date"),
        Part("at", "timestamp", "date_time", "date and time (UTC) when a time is set"),
    ),
    "numbers": (Part("", "float", "number", "number"),),
    "text": _TEXT,
    "long_text": _TEXT,
    "people": (
        Part("", "text", "text", "people and team names"),
        Part("ids", "text", "people_ids", "people and team ids, comma-separated"),
    ),
    "dropdown": (Part("", "text", "dropdown", "dropdown labels"),),
    "timeline": (
        Part("from", "date", "timeline_from", "timeline start"),
        Part("to", "date", "timeline_to", "timeline end"),
    ),
    "checkbox": (Part("", "bool", "checked", "checked (unchecked = false)"),),
    "country": (Part("", "text", "country_code", "ISO country code"),),
    "formula": (Part("", "text", "display", "formula result as displayed"),),
    "mirror": (Part("", "text", "display", "mirrored values as displayed"),),
    "board_relation": (
        Part("", "text", "display", "linked item names"),
        Part("ids", "text", "linked_ids", "linked item ids, comma-separated"),
    ),
    "subtasks": (
        Part("", "text", "display", "subitem names"),
        Part("ids", "text", "subitem_ids", "subitem ids, comma-separated"),
    ),
    "item_id": (Part("", "text", "item_id", "item id"),),
    "last_updated": (Part("", "timestamp", "updated_at", "last update (UTC)"),),
    "name": (),  # the item name is the table's `name` column
}
VALUE_SUFFIXES = ("", "from", "to")  # parts a `type` override converts
SEPARATED = ("dropdown", "people_ids", "linked_ids", "subitem_ids")  # parts a `separator` joins
ITEM_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    # column_id, sql name, type, extractor kind
    ("@id", "item_id", "text", "item.id"),
    ("@name", "name", "text", "item.name"),
    ("@group.id", "group_id", "text", "item.group_id"),
    ("@group.title", "group_title", "text", "item.group_title"),
    ("@state", "state", "text", "item.state"),
    ("@created_at", "created_at", "timestamp", "item.created_at"),
    ("@updated_at", "updated_at", "timestamp", "item.updated_at"),
)
PARENT_FIELD = ("@parent_item.id", "parent_item_id", "text", "item.parent_id")


@dataclass(frozen=True)
class OutputColumn:
    """One SQL column of a board table and where it comes from."""

    column_id: str
    part: str
    title: str
    monday_type: str
    sql_name: str
    sql_type: str
    kind: str
    source: str  # item | override | previous | auto
    reason: str
    holds: str = ""
    separator: str | None = None
    cast_from: str | None = None  # the extractor's type when an override changes it


@dataclass(frozen=True)
class Excluded:
    column_id: str
    title: str
    monday_type: str
    reason: str


@dataclass
class BoardPlan:
    """The SQL columns of one board table (item fields first, then board order)."""

    board_id: str
    table: str
    outputs: list[OutputColumn]
    excluded: list[Excluded] = field(default_factory=list)

    @property
    def schema(self) -> dict[str, str]:
        return {o.sql_name: o.sql_type for o in self.outputs}

    def by_name(self) -> dict[str, OutputColumn]:
        return {o.sql_name: o for o in self.outputs}

    def mapping_frame(self) -> pd.DataFrame:
        """One row per SQL column (status active) and per excluded board column."""
        rows = [_mapping_row(self, o) for o in self.outputs]
        rows += [
            {"board_id": self.board_id, "table_name": self.table, "column_id": e.column_id,
             "part": "", "column_title": e.title, "column_type": e.monday_type,
             "sql_column": None, "sql_type": None, "holds": "", "source": "config",
             "status": "excluded", "reason": e.reason}
            for e in self.excluded
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=MAPPING_COLUMNS)


MAPPING_COLUMNS = [
    "board_id", "table_name", "column_id", "part", "column_title", "column_type", "sql_column",
    "sql_type", "holds", "source", "status", "reason",
]  # fmt: skip


def _mapping_row(plan: BoardPlan, o: OutputColumn) -> dict[str, Any]:
    return {
        "board_id": plan.board_id, "table_name": plan.table, "column_id": o.column_id,
        "part": o.part, "column_title": o.title, "column_type": o.monday_type,
        "sql_column": o.sql_name, "sql_type": o.sql_type, "holds": o.holds, "source": o.source,
        "status": "active", "reason": o.reason,
    }  # fmt: skip


def parts_of(monday_type: str) -> tuple[Part, ...]:
    """The parts of a column type; unknown types (email, link, rating...) keep their text."""
    return CATALOGUE.get(monday_type, _TEXT)


def plan_board(
    board: BoardConfig,
    columns: Sequence[Mapping[str, Any]],
    previous: Mapping[tuple[str, str], str] | None = None,
    *,
    table: str | None = None,
    subitems: bool = False,
) -> BoardPlan:
    """Map a board's columns (id, title, type) to SQL columns.

    ``previous`` maps (column id, part) to the SQL name the last sync gave it; those names
    are kept (and never handed to another column) unless an override takes them.
    """
    items = (*ITEM_FIELDS, PARENT_FIELD) if subitems else ITEM_FIELDS
    outputs = [
        OutputColumn(cid, "", cid[1:], "item", name, kind_type, kind, "item", "item field",
                     f"item {cid[1:]}")
        for cid, name, kind_type, kind in items
    ]  # fmt: skip
    names = NameAllocator(o.sql_name for o in outputs)
    overrides = _claim_overrides(board, columns, names)
    kept = {key: name for key, name in (previous or {}).items() if name not in overrides.values()}
    names.claim(kept.values())
    plan = BoardPlan(board.board_id, table or board.table, outputs)
    for column in columns:
        cid, title, kind = str(column["id"]), str(column.get("title") or ""), str(column["type"])
        override = board.columns.get(cid, ColumnOverride())
        if override.exclude or not parts_of(kind):
            why = "excluded in config" if override.exclude else "the item name is column `name`"
            plan.excluded.append(Excluded(cid, title, kind, why))
            continue
        plan.outputs.extend(_column_outputs(cid, title, kind, override, overrides, kept, names))
    return plan


def _claim_overrides(
    board: BoardConfig, columns: Sequence[Mapping[str, Any]], names: NameAllocator
) -> dict[tuple[str, str], str]:
    """(column id, part) -> name for every override name; clashes are config errors."""
    claimed: dict[tuple[str, str], str] = {}
    for column in columns:
        cid = str(column["id"])
        override = board.columns.get(cid)
        if override is None or override.name is None or override.exclude:
            continue
        suffixes = [p.suffix for p in parts_of(str(column["type"]))]
        wanted = derived(override.name, suffixes)
        if not names.free(wanted):
            raise ConfigError(
                f"board {board.board_id} column {cid!r}: override name {override.name!r} "
                f"gives {wanted}, which clash with an item field or another override; "
                "choose another name"
            )
        names.claim(wanted)
        claimed.update({(cid, s): n for s, n in zip(suffixes, wanted, strict=True)})
    return claimed


def _column_outputs(
    cid: str,
    title: str,
    kind: str,
    override: ColumnOverride,
    overrides: Mapping[tuple[str, str], str],
    kept: Mapping[tuple[str, str], str],
    names: NameAllocator,
) -> list[OutputColumn]:
    parts = parts_of(kind)
    chosen: dict[str, tuple[str, str, str]] = {}  # suffix -> (name, source, reason)
    for part in parts:
        if (cid, part.suffix) in overrides:
            chosen[part.suffix] = (overrides[cid, part.suffix], "override", "name set in config")
        elif (cid, part.suffix) in kept:
            reason = "name kept from the previous sync (names never move)"
            chosen[part.suffix] = (kept[cid, part.suffix], "previous", reason)
    missing = [p.suffix for p in parts if p.suffix not in chosen]
    if missing:
        wanted = _base_hint(cid, kept) or safe_sql_name(title, cid)
        base = names.allocate(wanted, missing)
        why = f"from title {title!r}" + (f"; {wanted!r} was taken" if base != wanted else "")
        for suffix, name in zip(missing, derived(base, missing), strict=True):
            chosen[suffix] = (name, "auto", why)
    return [_output(cid, title, kind, part, override, *chosen[part.suffix]) for part in parts]


def _base_hint(cid: str, kept: Mapping[tuple[str, str], str]) -> str | None:
    """The base name a column had before (when it gains a part, e.g. after a type change)."""
    for (column_id, suffix), name in kept.items():
        if column_id == cid:
            return name[: -len(suffix) - 1] if suffix and name.endswith(f"_{suffix}") else name
    return None


def _output(
    cid: str, title: str, kind: str, part: Part, override: ColumnOverride,
    name: str, source: str, reason: str,
) -> OutputColumn:  # fmt: skip
    out = OutputColumn(
        cid, part.suffix, title, kind, name, part.sql_type, part.kind, source, reason, part.holds
    )
    if override.separator is not None and part.kind in SEPARATED:
        kind = "dropdown_joined" if part.kind == "dropdown" else part.kind
        why = f"{reason}; joined with {override.separator!r}"
        out = replace(out, kind=kind, separator=override.separator, reason=why)
    if (
        override.type is not None
        and part.suffix in VALUE_SUFFIXES
        and override.type != part.sql_type
    ):
        out = replace(
            out, sql_type=override.type, cast_from=part.sql_type,
            reason=f"{out.reason}; type {part.sql_type} -> {override.type} by config",
        )  # fmt: skip
    return out
