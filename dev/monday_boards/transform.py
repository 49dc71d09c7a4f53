"""Items of one board (API shape) -> the board's typed frame, following its BoardPlan.

Reads: items' id, name, state, created_at, updated_at, group {id title}, parent_item {id},
column_values. Writes: one column per OutputColumn of the plan, typed by its sql_type
(text -> object str/None, float64, bool, datetime64), empty cells null.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from .casting import cast
from .cells import Fields, by_unique, extract, gather, objects, parse_timestamps, text_array
from .columns import BoardPlan, OutputColumn

log = logging.getLogger(__name__)
EXAMPLES = 3


@dataclass(frozen=True)
class Unreadable:
    """Cells of one SQL column that held something that could not be read (now null)."""

    sql_column: str
    column_id: str
    count: int
    examples: list[dict[str, Any]]  # item_id and the raw cell


@dataclass
class BoardFrame:
    """The typed frame of a board and what the transform could not read."""

    frame: pd.DataFrame
    unreadable: list[Unreadable] = field(default_factory=list)
    items_dropped: int = 0  # items whose state is not synced

    @property
    def unreadable_cells(self) -> int:
        return sum(u.count for u in self.unreadable)


def board_frame(
    items: Sequence[Mapping[str, Any]], plan: BoardPlan, item_states: Sequence[str] = ("active",)
) -> BoardFrame:
    """The plan's columns for every item whose state is in ``item_states`` (see module doc)."""
    kept = _keep_states(items, item_states)
    kinds: dict[str, list[str]] = {}
    for out in plan.outputs:
        if not out.kind.startswith("item."):
            kinds.setdefault(out.column_id, []).append(out.kind)
    fields = gather(kept, kinds)
    ids = objects([str(item["id"]) for item in kept])
    data: dict[str, pd.Series[Any]] = {}
    unreadable: list[Unreadable] = []
    for out in plan.outputs:
        if out.kind.startswith("item."):
            values, bad = ITEM_FIELDS[out.kind](kept), np.zeros(len(kept), dtype=bool)
        else:
            values, bad = extract(out.kind, fields[out.column_id], out.separator)
        if out.cast_from is not None:
            values, lost = cast(values, out.sql_type)
            bad = bad | lost
        if bad.any():
            unreadable.append(_report(out, bad, ids, fields.get(out.column_id)))
        data[out.sql_name] = _series(values)
    frame = pd.DataFrame(data, copy=False)
    return BoardFrame(frame, unreadable, len(items) - len(kept))


def _keep_states(
    items: Sequence[Mapping[str, Any]], states: Sequence[str]
) -> list[Mapping[str, Any]]:
    wanted = set(states)
    if "all" in wanted:
        return list(items)
    return [item for item in items if (item.get("state") or "active") in wanted]


def _series(values: np.ndarray) -> pd.Series[Any]:
    # explicit object dtype: letting pandas infer `str` for text costs ~15 ms per column
    return pd.Series(values, dtype=object if values.dtype == object else None, copy=False)


def _report(
    out: OutputColumn, bad: np.ndarray, ids: np.ndarray, fields: Fields | None
) -> Unreadable:
    rows = np.flatnonzero(bad)[:EXAMPLES].tolist()
    examples = [
        {"item_id": ids[r], **{key: values[r] for key, values in (fields or {}).items()}}
        for r in rows
    ]
    count = int(bad.sum())
    log.warning(
        "column %s (%s) -> %s: %d cell(s) could not be read as %s and are null, e.g. %s",
        out.column_id, out.monday_type, out.sql_name, count, out.sql_type, examples[:1],
    )  # fmt: skip
    return Unreadable(out.sql_name, out.column_id, count, examples)


def _group(key: str) -> Any:
    def read(items: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return text_array([(item.get("group") or {}).get(key) for item in items])

    return read


def _plain(key: str) -> Any:
    getter = itemgetter(key)

    def read(items: Sequence[Mapping[str, Any]]) -> np.ndarray:
        try:
            return text_array(list(map(getter, items)))
        except KeyError:
            return text_array([item.get(key) for item in items])

    return read


def _stamps(key: str) -> Any:
    def read(items: Sequence[Mapping[str, Any]]) -> np.ndarray:
        raw = _plain(key)(items)
        return by_unique(raw, parse_timestamps, np.datetime64("NaT", "s"))

    return read


def _parent(items: Sequence[Mapping[str, Any]]) -> np.ndarray:
    return text_array([(item.get("parent_item") or {}).get("id") for item in items])


def _ids(items: Sequence[Mapping[str, Any]]) -> np.ndarray:
    return objects([str(item["id"]) for item in items])


ITEM_FIELDS = {
    "item.id": _ids,
    "item.name": _plain("name"),
    "item.group_id": _group("id"),
    "item.group_title": _group("title"),
    "item.state": _plain("state"),
    "item.created_at": _stamps("created_at"),
    "item.updated_at": _stamps("updated_at"),
    "item.parent_id": _parent,
}


def groups_frame(board: Mapping[str, Any], frame: pd.DataFrame) -> pd.DataFrame:
    """board_id, group_id, title, position, items: the board's groups and their item counts."""
    groups = board.get("groups") or []
    counts = frame["group_id"].value_counts() if "group_id" in frame else pd.Series(dtype="int64")
    out = pd.DataFrame(
        {
            "board_id": [str(board["id"])] * len(groups),
            "group_id": [str(g["id"]) for g in groups],
            "title": [str(g.get("title") or "") for g in groups],
            "position": np.arange(len(groups), dtype="int64"),
        }
    )
    out["items"] = out["group_id"].map(counts).fillna(0).astype("int64")
    return out.astype({"board_id": object, "group_id": object, "title": object})
