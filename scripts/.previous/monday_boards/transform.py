"""Items of one board (API shape) -> the board's typed frame, following its BoardPlan.

Reads: items' id, name, state, created_at, updated_at, group {id title}, parent_item {id},
column_values. Writes: one column per OutputColumn of the plan, typed by its sql_type
(text -> object str/None, float64, bool, datetime64), empty cells null.

Items arrive page by page: ``ItemCollector.add`` keeps, from each page, only the fields the plan
reads (one list per field) and lets the page's dicts go. A 50,000 x 150 board decoded into
dicts at once is ~7.5M dicts and ~5 GB; gathered page by page while the page is still in the
CPU caches, it is the strings alone (measured: gathering 4.8 s -> well under 1 s).
``board_frame`` is the one-shot form for a list of items.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from .casting import cast
from .cells import FieldLists, Fields, by_unique, extract, objects, parse_timestamps, text_array
from .columns import BoardPlan, OutputColumn

log = logging.getLogger(__name__)
EXAMPLES = 3
Items = Sequence[Mapping[str, Any]]


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


class ItemCollector:
    """Pages of items in, the plan's typed frame out (module doc); usable as a client sink."""

    def __init__(self, plan: BoardPlan, item_states: Sequence[str] = ("active",)) -> None:
        self.plan = plan
        self.item_states = tuple(item_states)
        kinds: dict[str, list[str]] = {}
        for out in plan.outputs:
            if not out.kind.startswith("item."):
                kinds.setdefault(out.column_id, []).append(out.kind)
        self._kinds = kinds
        self.seconds = 0.0  # time spent in add() and frame(): the transform's share of a read
        self.writer = None  # the dict path keeps the whole frame (see columnar.ArrowCollector)
        self.load_seconds = 0.0
        self.reset()

    def reset(self) -> None:
        """Forget every item added (the client restarts a board whose cursor expired)."""
        self.received = 0
        self._cells = FieldLists(self._kinds)
        self._item_fields: dict[str, list[Any]] = {
            out.kind: [] for out in self.plan.outputs if out.kind.startswith("item.")
        }
        self._item_fields.setdefault("item.id", [])

    @property
    def kept(self) -> int:
        return len(self._item_fields["item.id"])

    def add(self, items: Items) -> None:
        """Keep the fields the plan reads from one page of items (in the states synced)."""
        started = time.perf_counter()
        self.received += len(items)
        kept = _keep_states(items, self.item_states)
        for kind, values in self._item_fields.items():
            values.extend(ITEM_FIELDS[kind][0](kept))
        self._cells.add(kept)
        self.seconds += time.perf_counter() - started

    def frame(self) -> BoardFrame:
        """The typed frame of every item added so far."""
        started = time.perf_counter()
        ids = objects(self._item_fields["item.id"])
        data: dict[str, pd.Series[Any]] = {}
        unreadable: list[Unreadable] = []
        for out in self.plan.outputs:
            fields = self._cells.fields.get(out.column_id)
            if out.kind.startswith("item."):
                values = ITEM_FIELDS[out.kind][1](self._item_fields[out.kind])
                bad = np.zeros(len(ids), dtype=bool)
            else:
                assert fields is not None  # every planned column is gathered
                values, bad = extract(out.kind, fields, out.separator)
            if out.cast_from is not None:
                values, lost = cast(values, out.sql_type)
                bad = bad | lost
            if bad.any():
                unreadable.append(_report(out, bad, ids, fields))
            data[out.sql_name] = _series(values)
        result = BoardFrame(pd.DataFrame(data, copy=False), unreadable, self.received - len(ids))
        self.seconds += time.perf_counter() - started
        return result


def board_frame(
    items: Items, plan: BoardPlan, item_states: Sequence[str] = ("active",)
) -> BoardFrame:
    """The plan's columns for every item whose state is in ``item_states`` (see module doc)."""
    collector = ItemCollector(plan, item_states)
    collector.add(items)
    return collector.frame()


def _keep_states(items: Items, states: Sequence[str]) -> Items:
    wanted = set(states)
    if "all" in wanted or not items:
        return items
    if wanted == {"active"} and all(item.get("state") in ("active", "", None) for item in items):
        return items  # the usual page: nothing to drop, no copy
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
    return unreadable_found(out, int(bad.sum()), examples)


def unreadable_found(out: OutputColumn, count: int, examples: list[dict[str, Any]]) -> Unreadable:
    """Log and describe ``count`` cells of ``out`` that could not be read (now null)."""
    log.warning(
        "column %s (%s) -> %s: %d cell(s) could not be read as %s and are null, e.g. %s",
        out.column_id, out.monday_type, out.sql_name, count, out.sql_type, examples[:1],
    )  # fmt: skip
    return Unreadable(out.sql_name, out.column_id, count, examples)


# ----------------------------------------------------------------------------- item fields
# kind -> (read the raw values of one page of items, turn all of them into the column)
Read = Callable[[Items], list[Any]]


def _group(key: str) -> Read:
    def read(items: Items) -> list[Any]:
        return [(item.get("group") or {}).get(key) for item in items]

    return read


def _plain(key: str) -> Read:
    getter = itemgetter(key)

    def read(items: Items) -> list[Any]:
        try:
            return list(map(getter, items))
        except KeyError:
            return [item.get(key) for item in items]

    return read


def _parent(items: Items) -> list[Any]:
    return [(item.get("parent_item") or {}).get("id") for item in items]


def _ids(items: Items) -> list[Any]:
    return [str(item["id"]) for item in items]


def _stamps(raw: list[Any]) -> np.ndarray:
    return by_unique(text_array(raw), parse_timestamps, np.datetime64("NaT", "s"))


ITEM_FIELDS: Mapping[str, tuple[Read, Callable[[list[Any]], np.ndarray]]] = {
    "item.id": (_ids, objects),
    "item.name": (_plain("name"), text_array),
    "item.group_id": (_group("id"), text_array),
    "item.group_title": (_group("title"), text_array),
    "item.state": (_plain("state"), text_array),
    "item.created_at": (_plain("created_at"), _stamps),
    "item.updated_at": (_plain("updated_at"), _stamps),
    "item.parent_id": (_parent, text_array),
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
