"""Pages of items straight from response bytes to Arrow columns: the fast path of a board read
(the decoder and its types: arrow_pages.py; the extractors per kind: arrow_cells.py).

``ArrowCollector`` is the client's sink (shared.api_client.ItemSink) for a board read with the
lean query: ``decode`` parses each page's response body with Arrow's JSON reader against the
GraphQL types of the fields asked for (no Python object per cell, and the GIL is released while
parsing), ``add`` keeps the columns the plan reads, ``frame`` builds the typed frame. The
result is the same as ``transform.ItemCollector`` (the dict path, used for subitems and replays)
gives for the same items: dates and timestamps are parsed by the same functions on the
distinct values, and equivalence is tested on every sample board.

A body that is not a clean page (GraphQL errors, another shape, values of other JSON types
than the GraphQL schema gives those fields) is left to the client (``decode`` returns None):
it decodes it as JSON, classifies the errors, and hands a page it accepts to ``add`` as a list
of dicts. Such a page is read by the dict path (transform.ItemCollector), cell by cell: what
it cannot read becomes null and is reported as unreadable, as for any other page.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_cells import EXTRACT, READS, arrow_text, as_numpy, as_series, item_field, text_or_null
from .arrow_pages import CELL, ITEM, ArrowItems, S, decode_page, no_items, without_cells
from .casting import cast
from .columns import BoardPlan, OutputColumn
from .transform import EXAMPLES, BoardFrame, ItemCollector, Unreadable, log, unreadable_found

__all__ = ["ArrowCollector", "ArrowItems", "FrameWriter", "decode_page"]
Positions = dict[str, np.ndarray]  # column id -> position of its cell in each item, -1: none


class FrameWriter(Protocol):
    """Where the collector sends the typed frame part by part (shared.db_stream.TableWriter)."""

    def write(self, frame: pd.DataFrame) -> None: ...

    def restart(self) -> None: ...


class ArrowCollector:
    """The Arrow form of transform.ItemCollector: a client sink with ``decode`` (module doc).

    With a ``writer``, every ``part_rows`` items become a typed part handed to it at once (the
    database loads it while the next pages are read); ``frame`` then returns the item_id and
    group_id columns only. Without one, ``frame`` returns the whole typed frame.
    """

    decode = staticmethod(decode_page)

    def __init__(
        self,
        plan: BoardPlan,
        item_states: Sequence[str] = ("active",),
        *,
        writer: FrameWriter | None = None,
        part_rows: int = 10_000,
    ) -> None:
        self.plan = plan
        self.item_states = tuple(item_states)
        self.writer, self.part_rows = writer, part_rows
        self._cells: dict[str, list[str]] = {}  # column id -> the cell fields its kinds read
        for out in plan.outputs:
            if not out.kind.startswith("item."):
                needed = self._cells.setdefault(out.column_id, [])
                needed += [f for f in READS[out.kind] if f not in needed]
        self.seconds = 0.0  # time spent transforming (add, parts, frame)
        self.load_seconds = 0.0  # time spent in writer.write
        self.reset()

    def reset(self) -> None:
        """Forget every page (the client restarts a board whose cursor expired)."""
        self.received = 0
        self._items: list[pa.StructArray] = []  # pending items, without column_values
        self._pages: list[tuple[pa.StructArray, Positions]] = []  # their cells, by column
        self._parts: list[pd.DataFrame] = []  # parts kept (no writer) or their key columns
        self._unreadable: dict[str, Unreadable] = {}
        self._kept = 0
        if self.writer is not None:
            self.writer.restart()

    def add(self, items: ArrowItems | Sequence[Mapping[str, Any]]) -> None:
        """Keep the plan's columns of one page (items in the states synced)."""
        started = time.perf_counter()
        if isinstance(items, ArrowItems):
            array = items.items
        else:
            try:
                array = pa.array(list(items), type=ITEM)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                self.seconds += time.perf_counter() - started
                self._add_odd_page(items)
                return
        self.received += len(array)
        array = _keep_states(array, self.item_states)
        self._items.append(without_cells(array))
        self._pages.append(_positions(array, list(self._cells)))
        self.seconds += time.perf_counter() - started
        if self.writer is not None and sum(map(len, self._items)) >= self.part_rows:
            self._emit()

    def _add_odd_page(self, items: Sequence[Mapping[str, Any]]) -> None:
        """A page whose values do not have the GraphQL types asked for (a broken answer): read
        by the dict path, which keeps what it can read and reports the rest as unreadable."""
        if self._items:
            self._emit()  # the pages before it first: rows stay in board order
        started = time.perf_counter()
        fallback = ItemCollector(self.plan, self.item_states)
        fallback.add(items)
        result = fallback.frame()
        self.received += len(items)
        log.warning(
            "a page of %d item(s) does not match the GraphQL types asked for: read value by value",
            len(items),
        )
        part = result.frame.assign(
            **{c: arrow_text(result.frame[c]) for c, t in self.plan.schema.items() if t == "text"}
        )
        self.seconds += time.perf_counter() - started
        self._take_part(part, result.unreadable)

    def frame(self) -> BoardFrame:
        """The typed frame of every item added (the same as transform.ItemCollector's)."""
        if self._items or not self._parts:
            self._emit()
        started = time.perf_counter()
        frame = (
            self._parts[0] if len(self._parts) == 1 else pd.concat(self._parts, ignore_index=True)
        )
        self.seconds += time.perf_counter() - started
        return BoardFrame(frame, list(self._unreadable.values()), self.received - self._kept)

    def _emit(self) -> None:
        """The pending pages as one typed part: to the writer, or kept for ``frame``."""
        started = time.perf_counter()
        part, unreadable = self._part()
        self.seconds += time.perf_counter() - started
        self._take_part(part, unreadable)

    def _take_part(self, part: pd.DataFrame, unreadable: list[Unreadable]) -> None:
        started = time.perf_counter()
        self._kept += len(part)
        for found in unreadable:
            self._merge(found)
        self.seconds += time.perf_counter() - started
        if self.writer is None:
            self._parts.append(part)
            return
        self._parts.append(part[[c for c in ("item_id", "group_id") if c in part]])
        started = time.perf_counter()
        self.writer.write(part)
        self.load_seconds += time.perf_counter() - started

    def _merge(self, found: Unreadable) -> None:
        seen = self._unreadable.get(found.sql_column)
        if seen is None:
            self._unreadable[found.sql_column] = found
        else:
            examples = (seen.examples + found.examples)[:EXAMPLES]
            self._unreadable[found.sql_column] = replace(
                seen, count=seen.count + found.count, examples=examples
            )

    def _part(self) -> tuple[pd.DataFrame, list[Unreadable]]:
        items = pa.concat_arrays(self._items) if self._items else no_items()
        cells = _columns(self._pages, self._cells)
        self._items, self._pages = [], []
        ids = text_or_null(items.field("id"))
        data: dict[str, pd.Series[Any]] = {}
        unreadable: list[Unreadable] = []
        for out in self.plan.outputs:
            if out.kind.startswith("item."):
                values, bad = item_field(items, out.kind), np.zeros(len(items), dtype=bool)
                raw = None
            else:
                raw = cells[out.column_id]
                values, bad = EXTRACT[out.kind](raw, out.separator)
            if out.cast_from is not None:
                values, lost = cast(as_numpy(values), out.sql_type)
                bad = bad | lost
            if bad.any():
                unreadable.append(_report(out, bad, ids, raw))
            data[out.sql_name] = as_series(values)
        return pd.DataFrame(data, copy=False), unreadable


def _keep_states(items: pa.StructArray, states: Sequence[str]) -> pa.StructArray:
    if "all" in states or len(items) == 0:
        return items
    state = pc.fill_null(items.field("state"), "active")
    state = pc.if_else(pc.equal(state, ""), "active", state)
    keep = pc.is_in(state, value_set=pa.array(list(states), type=S))
    return items if pc.all(keep).as_py() else items.filter(keep)


def _positions(items: pa.StructArray, wanted: Sequence[str]) -> tuple[pa.StructArray, Positions]:
    """The page's cells (flattened) and, per wanted column id, the position of its cell in
    every item (-1 where an item has none). Items that all list the same ids in the same
    order (what the API does) are checked as a whole and need no search."""
    lists = items.field("column_values")
    cells = lists.flatten()
    rows, width = len(items), len(cells) // max(len(items), 1)
    ids = cells.field("id")
    if (
        rows
        and width
        and len(cells) == rows * width
        and pc.all(pc.equal(pc.list_value_length(lists), width)).as_py()
    ):
        order = tuple(ids.slice(0, width).to_pylist())
        if len(set(order)) == width and ids.equals(_repeated(order, rows)):
            at = {cid: j for j, cid in enumerate(order)}
            base = np.arange(rows, dtype=np.int64) * width
            missing = np.full(rows, -1, dtype=np.int64)
            return cells, {cid: base + at[cid] if cid in at else missing for cid in wanted}
    return cells, _by_lookup(lists, ids, wanted, rows)


@functools.lru_cache(maxsize=4)
def _repeated(order: tuple[str, ...], rows: int) -> pa.Array:
    """The ids of ``rows`` items that all list ``order`` (the same for most pages of a board)."""
    return pa.array(order * rows, type=S)


def _by_lookup(lists: pa.ListArray, ids: pa.Array, wanted: Sequence[str], rows: int) -> Positions:
    """Items whose cells differ in order or number: each column found by id (last one wins)."""
    parent = pc.list_parent_indices(lists).to_numpy()
    ids_np = ids.to_numpy(zero_copy_only=False)
    out: Positions = {}
    for cid in wanted:
        where = np.full(rows, -1, dtype=np.int64)
        found = np.flatnonzero(ids_np == cid)
        where[parent[found]] = found
        out[cid] = where
    return out


def _columns(
    pages: list[tuple[pa.StructArray, Positions]], wanted: Mapping[str, list[str]]
) -> dict[str, pa.StructArray]:
    """Column id -> its cells (the fields it reads) over all pages: per field, one concat of
    the pages' values and one take for every column reading it (not one per page and column:
    measured 3x faster on a 150-column board)."""
    offsets = np.cumsum([0] + [len(cells) for cells, _ in pages[:-1]])
    at = {
        cid: np.concatenate(
            [
                np.where(pos[cid] < 0, -1, pos[cid] + off)
                for (_, pos), off in zip(pages, offsets, strict=True)
            ]
        )
        if pages
        else np.zeros(0, dtype=np.int64)
        for cid in wanted
    }
    rows = sum(len(next(iter(pos.values()))) if pos else 0 for _, pos in pages)
    fields = dict.fromkeys(f for needed in wanted.values() for f in needed)
    taken: dict[tuple[str, str], pa.Array] = {}
    for name in fields:
        readers = [cid for cid, needed in wanted.items() if name in needed]
        values = _concat([cells.field(name) for cells, _ in pages], CELL.field(name).type)
        index = np.concatenate([at[cid] for cid in readers])
        got = values.take(pa.array(index, mask=index < 0))
        for n, cid in enumerate(readers):
            taken[(cid, name)] = got.slice(n * rows, rows)
    return {
        cid: pa.StructArray.from_arrays(
            [taken[(cid, name)] for name in needed], fields=[CELL.field(n) for n in needed]
        )
        for cid, needed in wanted.items()
    }


def _concat(chunks: list[pa.Array], kind: pa.DataType) -> pa.Array:
    if not chunks:
        return pa.array([], type=kind)
    return chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks)


def _report(out: OutputColumn, bad: np.ndarray, ids: pa.Array, raw: Any) -> Unreadable:
    rows = np.flatnonzero(bad)[:EXAMPLES].tolist()
    examples = [
        {"item_id": ids[r].as_py(), **(raw[r].as_py() if raw is not None else {})} for r in rows
    ]
    return unreadable_found(out, int(bad.sum()), examples)
