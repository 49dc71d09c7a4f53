"""Schema drift between a board and its table: added columns are added, others are kept.

Compared: the plan's SQL columns with the table's columns (types as db_helper reports them)
and, per board column, its title and Monday type with the previous sync's mapping.

- added:        a SQL column the table lacks -> added to the table, reported
- removed:      a table column the board no longer gives -> kept with its last synced values
- retyped:      same SQL column, other type -> the table's type is kept, values converted
- renamed:      a board column's title changed -> reported; the SQL name stays (stable)
- type_changed: a board column's Monday type changed -> reported
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from shared.db_helper import PORTABLE_TYPES

from .columns import BoardPlan

ACTIONS = {
    "added": "column added to the table",
    "removed": "column kept with its last synced values",
    "retyped": "table type kept; values converted to it",
    "renamed": "SQL name kept",
    "type_changed": "mapped by the new type",
}


@dataclass(frozen=True)
class Change:
    """One drift finding."""

    change: str
    column_id: str
    sql_column: str
    old: str | None
    new: str | None

    @property
    def action(self) -> str:
        return ACTIONS[self.change]


@dataclass
class Drift:
    """Every change found for one board table, and what the load must do about it."""

    changes: list[Change] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # removed SQL column -> table type
    retyped: dict[str, str] = field(default_factory=dict)  # SQL column -> table type kept

    @property
    def found(self) -> bool:
        return bool(self.changes)

    def of(self, change: str) -> list[Change]:
        return [c for c in self.changes if c.change == change]

    def summary(self) -> str:
        """'added: a, b; removed: c' (empty when nothing changed)."""
        parts = []
        for kind in ACTIONS:
            names = [c.sql_column for c in self.of(kind)]
            if names:
                parts.append(f"{kind}: {', '.join(names)}")
        return "; ".join(parts)

    def frame(
        self, board_id: str, table: str, run_id: str, detected_at: pd.Timestamp
    ) -> pd.DataFrame:
        """Rows for monday_schema_changes."""
        return pd.DataFrame(
            {
                "run_id": run_id,
                "change_key": [f"{board_id}/{c.sql_column}/{c.change}" for c in self.changes],
                "board_id": board_id, "table_name": table,
                "detected_at": detected_at, "change": [c.change for c in self.changes],
                "column_id": [c.column_id for c in self.changes],
                "sql_column": [c.sql_column for c in self.changes],
                "old": [c.old for c in self.changes], "new": [c.new for c in self.changes],
                "action": [c.action for c in self.changes],
            },
            columns=SCHEMA_CHANGE_COLUMNS,
        )  # fmt: skip


SCHEMA_CHANGE_COLUMNS = [
    "run_id", "change_key", "board_id", "table_name", "detected_at", "change", "column_id", "sql_column",
    "old", "new", "action",
]  # fmt: skip


def detect_drift(
    plan: BoardPlan, existing: Mapping[str, str] | None, previous: pd.DataFrame | None = None
) -> Drift:
    """Compare the plan with the table's columns (None: no table yet, no drift)."""
    drift = Drift()
    if existing is None:
        return drift
    # types db_helper cannot recreate (a hand-made uuid column...) are kept as text
    existing = {n: k if k in PORTABLE_TYPES else "text" for n, k in existing.items()}
    planned = plan.schema
    owner = _owners(previous)
    known = _known(previous)  # reported by an earlier sync: still applied, not reported again
    for name, kind in planned.items():
        if name not in existing:
            drift.changes.append(Change("added", plan.by_name()[name].column_id, name, None, kind))
        elif existing[name] != kind:
            drift.retyped[name] = existing[name]
            if known.get(name) != "retyped":
                column_id = plan.by_name()[name].column_id
                drift.changes.append(Change("retyped", column_id, name, existing[name], kind))
    for name, kind in existing.items():
        if name not in planned:
            drift.kept[name] = kind
            if known.get(name) != "removed":
                drift.changes.append(Change("removed", owner.get(name, ""), name, kind, None))
    drift.changes.extend(_column_changes(plan, previous))
    return drift


def _owners(previous: pd.DataFrame | None) -> dict[str, str]:
    if previous is None or previous.empty:
        return {}
    rows = previous.dropna(subset=["sql_column"])
    return dict(zip(rows["sql_column"], rows["column_id"], strict=True))


def _known(previous: pd.DataFrame | None) -> dict[str, str]:
    if previous is None or previous.empty:
        return {}
    rows = previous.dropna(subset=["sql_column"])
    return dict(zip(rows["sql_column"], rows["status"], strict=True))


def _column_changes(plan: BoardPlan, previous: pd.DataFrame | None) -> list[Change]:
    if previous is None or previous.empty:
        return []
    before = previous.drop_duplicates("column_id").set_index("column_id")
    changes = []
    seen: set[str] = set()
    for out in plan.outputs:
        if out.source == "item" or out.column_id in seen or out.column_id not in before.index:
            continue
        seen.add(out.column_id)
        old = before.loc[out.column_id]
        if str(old["column_title"]) != out.title:
            changes.append(
                Change("renamed", out.column_id, out.sql_name, str(old["column_title"]), out.title)
            )
        if str(old["column_type"]) != out.monday_type:
            changes.append(
                Change(
                    "type_changed",
                    out.column_id,
                    out.sql_name,
                    str(old["column_type"]),
                    out.monday_type,
                )
            )
    return changes


def mapping_with_drift(
    plan: BoardPlan, drift: Drift, previous: pd.DataFrame | None
) -> pd.DataFrame:
    """The plan's mapping rows with retyped and kept columns marked; a name kept from the
    previous sync keeps the source and reason it was first given (re-syncs change nothing)."""
    mapping = plan.mapping_frame()
    if previous is not None and not previous.empty:
        mapping = _first_reasons(mapping, previous)
    for name, kind in drift.retyped.items():
        row = mapping["sql_column"] == name
        note = f"; table keeps type {kind}"
        mapping.loc[row, "reason"] = [
            r if r.endswith(note) else r + note for r in mapping.loc[row, "reason"]
        ]
        mapping.loc[row, "sql_type"] = kind
        mapping.loc[row, "status"] = "retyped"
    if drift.kept:
        kept = _kept_rows(plan, drift, previous)
        mapping = pd.concat([mapping, kept], ignore_index=True) if not mapping.empty else kept
    return mapping


def _first_reasons(mapping: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    before = previous.set_index(["column_id", "part"])[["source", "reason", "sql_column"]]
    keys = pd.MultiIndex.from_frame(mapping[["column_id", "part"]].fillna(""))
    found = before.reindex(keys)
    same = (mapping["source"] == "previous").to_numpy() & (
        found["sql_column"].to_numpy() == mapping["sql_column"].to_numpy()
    )
    for column in ("source", "reason"):
        mapping.loc[same, column] = found[column].to_numpy()[same]
    return mapping


def _kept_rows(plan: BoardPlan, drift: Drift, previous: pd.DataFrame | None) -> pd.DataFrame:
    known = (
        previous.set_index("sql_column") if previous is not None and not previous.empty else None
    )
    rows = []
    for name, kind in drift.kept.items():
        base = known.loc[name] if known is not None and name in known.index else None
        rows.append({
            "board_id": plan.board_id, "table_name": plan.table,
            "column_id": str(base["column_id"]) if base is not None else f"?{name}",
            "part": str(base["part"]) if base is not None else "",
            "column_title": None if base is None else base["column_title"],
            "column_type": None if base is None else base["column_type"],
            "sql_column": name, "sql_type": kind,
            "holds": "" if base is None else base["holds"], "source": "kept", "status": "removed",
            "reason": "no longer on the board: column kept with its last synced values",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=plan.mapping_frame().columns)


def table_schema(plan: BoardPlan, drift: Drift) -> dict[str, str]:
    """The table's columns after this sync: the plan's (retyped ones keep the table's type),
    then the kept ones."""
    schema = {name: drift.retyped.get(name, kind) for name, kind in plan.schema.items()}
    return schema | drift.kept


def with_kept_types(plan: BoardPlan, drift: Drift) -> BoardPlan:
    """The plan with retyped columns converted to the table's type (transform casts them)."""
    outputs = [
        replace(o, sql_type=drift.retyped[o.sql_name], cast_from=o.sql_type)
        if o.sql_name in drift.retyped else o
        for o in plan.outputs
    ]  # fmt: skip
    return BoardPlan(plan.board_id, plan.table, outputs, plan.excluded)
