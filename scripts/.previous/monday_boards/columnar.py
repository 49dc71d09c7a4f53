"""Pages of items straight from response bytes to Arrow columns: the fast path of a board read.

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
import io
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from .casting import cast
from .cells import KINDS, NAT_D, NAT_S, parse_dates, parse_times, parse_timestamps
from .columns import BoardPlan, OutputColumn
from .transform import EXAMPLES, BoardFrame, ItemCollector, Unreadable, log, unreadable_found

S = pa.string()
_IDS = pa.list_(pa.struct([("id", S)]))
CELL = pa.struct([
    ("id", S), ("text", S), ("label", S), ("date", S), ("time", S), ("number", pa.float64()),
    ("from", S), ("to", S), ("checked", pa.bool_()), ("country", pa.struct([("code", S)])),
    ("persons_and_teams", _IDS), ("values", pa.list_(pa.struct([("label", S)]))),
    ("display_value", S), ("linked_item_ids", pa.list_(S)), ("subitems_ids", pa.list_(S)),
    ("item_id", S), ("updated_at", S),
])  # fmt: skip
ITEM = pa.struct([
    ("id", S), ("name", S), ("state", S), ("created_at", S), ("updated_at", S),
    ("group", pa.struct([("id", S), ("title", S)])), ("column_values", pa.list_(CELL)),
])  # fmt: skip
_PAGE = pa.struct([("cursor", S), ("items", pa.list_(ITEM))])
_COMPLEXITY = pa.struct(
    [(k, pa.int64()) for k in ("before", "after", "query", "reset_in_x_seconds")]
)
# Top-level keys of error answers (contracts.md): a body with any of them set is the client's
# to classify. Fields of the page not declared here are ignored, at every depth.
_ERROR_KEYS = (
    ("errors", pa.list_(pa.struct([("message", S)]))), ("error_code", S),
    ("error_message", S), ("error", S), ("status_code", pa.int64()),
)  # fmt: skip
RESPONSE = pa.schema([
    ("data", pa.struct([
        ("complexity", _COMPLEXITY), ("next_items_page", _PAGE),
        ("boards", pa.list_(pa.struct([("id", S), ("items_page", _PAGE)]))),
    ])),
    *_ERROR_KEYS,
])  # fmt: skip
_PARSE = pa_json.ParseOptions(
    explicit_schema=RESPONSE, unexpected_field_behavior="ignore", newlines_in_values=True
)
Positions = dict[str, np.ndarray]  # column id -> position of its cell in each item, -1: none
_ITEM_COLUMNS = {  # item field kind -> path in the item struct
    "item.id": ("id",), "item.name": ("name",), "item.state": ("state",),
    "item.created_at": ("created_at",), "item.updated_at": ("updated_at",),
    "item.group_id": ("group", "id"), "item.group_title": ("group", "title"),
}  # fmt: skip


class ArrowItems:
    """One page of items as an Arrow struct array (what ``decode`` puts under ``items``)."""

    def __init__(self, items: pa.StructArray) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)


def decode_page(body: bytes) -> dict[str, Any] | None:
    """A response body as the client's dict, its items as ArrowItems; None if not a clean page."""
    try:
        table = pa_json.read_json(
            io.BytesIO(body),
            read_options=pa_json.ReadOptions(block_size=len(body) + 1, use_threads=False),
            parse_options=_PARSE,
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != 1 or any(table.column(key)[0].is_valid for key, _ in _ERROR_KEYS):
        return None  # an error answer, or not one answer: the client decides
    data = table.column("data").combine_chunks()
    if data.null_count:
        return None
    page = _page_of(data)
    if page is None:
        return None
    complexity = data.field("complexity")[0].as_py()
    out: dict[str, Any] = {} if complexity is None else {"complexity": complexity}
    return {"data": out | page}


def _page_of(data: pa.StructArray) -> dict[str, Any] | None:
    nxt, boards = data.field("next_items_page"), data.field("boards")
    if nxt.is_valid()[0].as_py():
        return {"next_items_page": _page(nxt)}
    if boards.is_valid()[0].as_py():
        flat = boards.flatten()
        if len(flat) == 0:
            return {"boards": []}
        pages = flat.field("items_page")
        if len(flat) != 1 or not pages.is_valid()[0].as_py():
            return None
        return {"boards": [{"id": flat.field("id")[0].as_py(), "items_page": _page(pages)}]}
    return None


def _page(page: pa.StructArray) -> dict[str, Any]:
    items = page.field("items")
    return {
        "cursor": page.field("cursor")[0].as_py(),
        "items": ArrowItems(items.flatten() if items.is_valid()[0].as_py() else _empty()),
    }


def _empty() -> pa.StructArray:
    return pa.array([], type=ITEM)


def _no_items() -> pa.StructArray:
    return _without_cells(_empty())


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
        self._items.append(_without_cells(array))
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
            **{c: _arrow_text(result.frame[c]) for c, t in self.plan.schema.items() if t == "text"}
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
        items = pa.concat_arrays(self._items) if self._items else _no_items()
        cells = _columns(self._pages, self._cells)
        self._items, self._pages = [], []
        ids = _text(items.field("id"))
        data: dict[str, pd.Series[Any]] = {}
        unreadable: list[Unreadable] = []
        for out in self.plan.outputs:
            if out.kind.startswith("item."):
                values, bad = _item_field(items, out.kind), np.zeros(len(items), dtype=bool)
                raw = None
            else:
                raw = cells[out.column_id]
                values, bad = EXTRACT[out.kind](raw, out.separator)
            if out.cast_from is not None:
                values, lost = cast(_as_numpy(values), out.sql_type)
                bad = bad | lost
            if bad.any():
                unreadable.append(_report(out, bad, ids, raw))
            data[out.sql_name] = _series(values)
        return pd.DataFrame(data, copy=False), unreadable


def _without_cells(items: pa.StructArray) -> pa.StructArray:
    """The item fields alone (keeping column_values would copy every page again at the end)."""
    names = [f.name for f in ITEM if f.name != "column_values"]
    return pa.StructArray.from_arrays(
        [items.field(name) for name in names], fields=[ITEM.field(n) for n in names]
    )


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


# ----------------------------------------------------------------------------- extractors
Extracted = tuple[Any, np.ndarray]  # values (Arrow string array or numpy) and unreadable mask


def _text(values: pa.Array) -> pa.Array:
    """Strings with '' (Monday's empty text) as null."""
    values = values.cast(S)
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, S), values)


def _none(values: pa.Array) -> np.ndarray:
    return np.zeros(len(values), dtype=bool)


def _field(cells: pa.StructArray, *path: str) -> pa.Array:
    out: pa.Array = cells
    for name in path:
        out = pc.struct_field(out, name)
    return out


def _parsed(raw: pa.Array, parse: Callable[[np.ndarray], np.ndarray], empty: Any) -> np.ndarray:
    """``parse`` on the distinct strings only (the dict path's parsers), spread to every row."""
    encoded = raw.dictionary_encode()
    return by_unique_codes(encoded, parse, empty)


def by_unique_codes(
    encoded: pa.DictionaryArray, parse: Callable[[np.ndarray], np.ndarray], empty: Any
) -> np.ndarray:
    parsed = np.asarray(parse(encoded.dictionary.to_numpy(zero_copy_only=False)))
    codes = encoded.indices.fill_null(-1).to_numpy()
    return np.concatenate([parsed, np.array([empty], dtype=parsed.dtype)])[codes]


def _unreadable(raw: pa.Array, result: np.ndarray) -> np.ndarray:
    present = pc.fill_null(pc.not_equal(raw, ""), False).to_numpy(zero_copy_only=False)
    return np.asarray(present & pd.isna(result), dtype=bool)


def _kind_text(*path: str) -> Callable[[pa.StructArray, str | None], Extracted]:
    def extract(cells: pa.StructArray, _sep: str | None) -> Extracted:
        values = _text(_field(cells, *path))
        return values, _none(values)

    return extract


def _number(cells: pa.StructArray, _sep: str | None) -> Extracted:
    values = _field(cells, "number").to_numpy(zero_copy_only=False).astype("float64")
    return values, _none(values)


def _dates(key: str) -> Callable[[pa.StructArray, str | None], Extracted]:
    def extract(cells: pa.StructArray, _sep: str | None) -> Extracted:
        raw = _text(_field(cells, key))
        dates = _parsed(raw, parse_dates, NAT_D)
        return dates, _unreadable(raw, dates)

    return extract


def _date_time(cells: pa.StructArray, _sep: str | None) -> Extracted:
    day = _parsed(_text(_field(cells, "date")), parse_dates, NAT_D).astype("datetime64[s]")
    times = _text(_field(cells, "time"))
    stamps = day + _parsed(times, parse_times, np.timedelta64("NaT", "s"))
    return stamps, _unreadable(times, stamps)


def _checked(cells: pa.StructArray, _sep: str | None) -> Extracted:
    flags = pc.fill_null(_field(cells, "checked"), False).to_numpy(zero_copy_only=False)
    return np.asarray(flags, dtype=bool), _none(flags)


def _joined(key: str, sub: str | None, default: str) -> Callable[..., Extracted]:
    """List fields joined (ids by ',', labels by ', ' unless a separator is set); null
    elements left out; [] (or nothing left) -> null, as the dict path (cells._joined)."""

    def extract(cells: pa.StructArray, sep: str | None) -> Extracted:
        lists = _field(cells, key)
        values = pc.list_flatten(lists)
        if sub is not None:
            values = pc.struct_field(values, sub)
        keep = pc.is_valid(values).to_numpy(zero_copy_only=False)
        parents = pc.list_parent_indices(lists).to_numpy()
        counts = np.bincount(parents[keep], minlength=len(lists))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        rebuilt = pa.ListArray.from_arrays(
            pa.array(offsets), values.filter(pa.array(keep)), mask=lists.is_null()
        )
        joined = _text(pc.binary_join(rebuilt, sep or default))
        return joined, _none(joined)

    return extract


def _updated_at(cells: pa.StructArray, _sep: str | None) -> Extracted:
    raw = _text(_field(cells, "updated_at"))
    stamps = _parsed(raw, parse_timestamps, NAT_S)
    return stamps, _unreadable(raw, stamps)


EXTRACT: Mapping[str, Callable[[pa.StructArray, str | None], Extracted]] = {
    "text": _kind_text("text"),
    "display": _kind_text("display_value"),
    "label": _kind_text("label"),
    "number": _number,
    "date": _dates("date"),
    "date_time": _date_time,
    "timeline_from": _dates("from"),
    "timeline_to": _dates("to"),
    "checked": _checked,
    "country_code": _kind_text("country", "code"),
    "people_ids": _joined("persons_and_teams", "id", ","),
    "linked_ids": _joined("linked_item_ids", None, ","),
    "subitem_ids": _joined("subitems_ids", None, ","),
    "dropdown": _kind_text("text"),
    "dropdown_joined": _joined("values", "label", ", "),
    "item_id": _kind_text("item_id"),
    "updated_at": _updated_at,
}
# the cell fields each kind reads (the first choice of cells.KINDS: the lean query's fields)
READS: Mapping[str, tuple[str, ...]] = {kind: spec.prefer[0] for kind, spec in KINDS.items()}
assert set(EXTRACT) == set(KINDS), "every kind of the dict path has an Arrow extractor"


def _item_field(items: pa.StructArray, kind: str) -> Any:
    if kind == "item.id":
        return items.field("id").cast(S)
    values = _text(_field(items, *_ITEM_COLUMNS[kind]))
    if kind in ("item.created_at", "item.updated_at"):
        return _parsed(values, parse_timestamps, NAT_S)
    return values


def _as_numpy(values: Any) -> np.ndarray:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)
    return np.asarray(values)


def _arrow_text(column: pd.Series[Any]) -> pd.Series[Any]:
    """A text column of the dict path (str / None) as the Arrow path gives it."""
    try:
        values = pa.array(column.to_numpy(dtype=object), type=S, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return column
    return pd.Series(pd.arrays.ArrowExtensionArray(values), index=column.index, copy=False)


def _series(values: Any) -> pd.Series[Any]:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return pd.Series(pd.arrays.ArrowExtensionArray(values), copy=False)
    return pd.Series(values, dtype=object if values.dtype == object else None, copy=False)


def _report(out: OutputColumn, bad: np.ndarray, ids: pa.Array, raw: Any) -> Unreadable:
    rows = np.flatnonzero(bad)[:EXAMPLES].tolist()
    examples = [
        {"item_id": ids[r].as_py(), **(raw[r].as_py() if raw is not None else {})} for r in rows
    ]
    return unreadable_found(out, int(bad.sum()), examples)
