"""Monday GraphQL reads: the queries, boards page by page, items by cursor, subitems by id."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence, Sized
from typing import Any, Protocol

from .monday_ahead import ReadAhead
from .monday_errors import _ADVICE, MondayNotFoundError, _as_dict

_log = logging.getLogger(__package__)  # the package logger: records keep their old name
ITEMS_BY_ID_CHUNK = 100  # root items(ids:) takes at most 100 ids
BOARDS_PAGE = 100

# MondayClient._execute: (query, variables, context for messages[, decode]) -> the data
_Execute = Callable[..., dict[str, Any]]
# A sink's own decoder of a response body (RawItemSink.decode)
Decode = Callable[[bytes], "dict[str, Any] | None"]


class ItemSink(Protocol):
    """Takes a board's items page by page instead of one list (MondayClient.board_items)."""

    def add(self, items: Any) -> None:
        """One page of items, in board order: a list of item dicts, or (RawItemSink) whatever
        its ``decode`` put under ``items``."""

    def reset(self) -> None:
        """Forget every page added: the board is read again from page 1 (cursor expired)."""


class RawItemSink(ItemSink, Protocol):
    """A sink that also decodes the body of each page itself (e.g. straight into columns)."""

    def decode(self, body: bytes) -> dict[str, Any] | None:
        """The response as the client reads it (``data`` with cursor and complexity), its
        ``items`` in the sink's own form (anything with a length, given back to ``add``);
        None when the body is not a clean page: the client decodes it as JSON instead."""


_COMPLEXITY = "complexity { before after query reset_in_x_seconds }"
# Formula and mirror cells carry their result only in display_value, board_relation and
# subtasks cells their links only in linked_item_ids / subitems_ids (value is null since 2025):
# without these fragments those columns read as null.
_TYPED_VALUES = """
    ... on StatusValue { index label }
    ... on DateValue { date time }
    ... on NumbersValue { number }
    ... on PeopleValue { persons_and_teams { id kind } }
    ... on DropdownValue { values { id label } }
    ... on TimelineValue { from to }
    ... on CheckboxValue { checked }
    ... on CountryValue { country { code name } }
    ... on FormulaValue { display_value }
    ... on MirrorValue { display_value }
    ... on BoardRelationValue { display_value linked_item_ids }
    ... on SubtasksValue { display_value subitems_ids }
    ... on ItemIdValue { item_id }
    ... on LastUpdatedValue { updated_at }"""
# The lean read (raw_values=False): the same typed fields less what nobody reads beside them
# (status index, people kind, dropdown value ids, country name); cells also drop `type`.
_LEAN_VALUES = (
    _TYPED_VALUES.replace("{ index label }", "{ label }")
    .replace("{ id kind }", "{ id }")
    .replace("values { id label }", "values { label }")
    .replace("country { code name }", "country { code }")
)
_BOARDS_QUERY = (
    "query ($ids: [ID!], $state: State, $limit: Int!, $page: Int!) {\n"
    f"  {_COMPLEXITY}\n"
    "  boards(ids: $ids, state: $state, limit: $limit, page: $page) {\n"
    "    id name state columns { id title type settings_str } groups { id title }\n  }\n}"
)


def _item_fragment(*, filtered: bool, subitem_ids: bool, raw_values: bool = True) -> str:
    """The Item fields read; without ``raw_values`` the lean read (MondayClient.board_items):
    cells omit ``value`` (the raw JSON string, about half of a page's bytes), ``type`` and the
    typed fields nothing reads."""
    columns = "column_values(ids: $columns)" if filtered else "column_values"
    subitems = " subitems { id }" if subitem_ids else ""
    cell = f"id type text value{_TYPED_VALUES}" if raw_values else f"id text{_LEAN_VALUES}"
    return (
        "fragment ItemFields on Item {\n"
        "  id name state created_at updated_at group { id title }" + subitems + "\n"
        f"  {columns} {{\n    {cell}\n  }}\n}}"
    )


def _columns_var(filtered: bool) -> str:
    return ", $columns: [String!]" if filtered else ""


def _first_page_query(*, filtered: bool, subitems: bool, raw_values: bool = True) -> str:
    return (
        f"query ($board: [ID!], $state: State, $limit: Int!{_columns_var(filtered)}) {{\n"
        f"  {_COMPLEXITY}\n  boards(ids: $board, state: $state) {{\n"
        "    id items_page(limit: $limit) { cursor items { ...ItemFields } }\n  }\n}\n"
        + _item_fragment(filtered=filtered, subitem_ids=subitems, raw_values=raw_values)
    )


def _next_page_query(*, filtered: bool, subitems: bool, raw_values: bool = True) -> str:
    return (
        f"query ($c: String!, $limit: Int!{_columns_var(filtered)}) {{\n  {_COMPLEXITY}\n"
        "  next_items_page(cursor: $c, limit: $limit) { cursor items { ...ItemFields } }\n}\n"
        + _item_fragment(filtered=filtered, subitem_ids=subitems, raw_values=raw_values)
    )


_SUBITEMS_QUERY = (
    f"query ($ids: [ID!], $limit: Int!) {{\n  {_COMPLEXITY}\n"
    "  items(ids: $ids, limit: $limit) { ...ItemFields parent_item { id } }\n}\n"
    + _item_fragment(filtered=False, subitem_ids=False)
)


def _chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _read_boards(execute: _Execute, ids: Sequence[str] | None, state: str) -> list[dict[str, Any]]:
    """Boards (all, or ``ids`` BOARDS_PAGE at a time); ids not found are logged."""
    wanted = [str(board_id) for board_id in ids] if ids is not None else None
    chunks: list[list[str] | None] = (
        list(_chunks(wanted, BOARDS_PAGE)) if wanted is not None else [None]
    )
    found = [board for chunk in chunks for board in _boards_pages(execute, chunk, state)]
    if wanted is not None:
        missing = sorted(set(wanted) - {str(board.get("id")) for board in found})
        if missing:
            _log.warning("boards not found (state=%s): %s", state, ", ".join(missing))
    return found


def _boards_pages(execute: _Execute, ids: list[str] | None, state: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        variables = {"ids": ids, "state": state, "limit": BOARDS_PAGE, "page": page}
        batch = execute(_BOARDS_QUERY, variables, f"boards page {page}").get("boards")
        batch = batch if isinstance(batch, list) else []
        found.extend(batch)
        if len(batch) < BOARDS_PAGE:
            return found
        page += 1


def _read_items(
    execute: _Execute,
    board_id: str,
    column_ids: Sequence[str] | None,
    state: str,
    subitems: bool,
    page_limit: int,
    raw_values: bool = True,
    sink: ItemSink | None = None,
    room: Callable[[int], bool] | None = None,
) -> tuple[list[dict[str, Any]], int, int]:
    """(items, pages, item count) of one pass over a board: items_page, then next_items_page
    to the end; with a ``sink`` every page goes to it and the list stays empty. A sink that
    decodes pages itself gets them read ahead (monday_ahead) while ``room`` says the
    complexity budget has room for them."""
    filtered = column_ids is not None
    extra = {"columns": [str(c) for c in column_ids]} if column_ids is not None else {}
    queries = (
        _first_page_query(filtered=filtered, subitems=subitems, raw_values=raw_values),
        _next_page_query(filtered=filtered, subitems=subitems, raw_values=raw_values),
    )
    decode: Decode | None = getattr(sink, "decode", None)
    if decode is None or room is None:
        return _one_pass(execute, board_id, state, page_limit, queries, extra, decode, sink, None)
    ahead = ReadAhead(
        functools.partial(_fetch_next, execute, queries[1], decode),
        lambda cursor: {"c": cursor, "limit": page_limit, **extra},
        lambda cursor: f"board {board_id} page (cursor {cursor[:24]}..., read ahead)",
        room,
    )
    with ahead:
        return _one_pass(execute, board_id, state, page_limit, queries, extra, decode, sink, ahead)


def _fetch_next(
    execute: _Execute,
    query: str,
    decode: Decode,
    variables: dict[str, Any],
    context: str,
    on_body: Callable[[bytes], None] | None,
    **options: Any,
) -> dict[str, Any]:
    return execute(query, variables, context, decode, on_body=on_body, **options)


def _one_pass(
    execute: _Execute,
    board_id: str,
    state: str,
    page_limit: int,
    queries: tuple[str, str],
    extra: dict[str, Any],
    decode: Decode | None,
    sink: ItemSink | None,
    ahead: ReadAhead | None,
) -> tuple[list[dict[str, Any]], int, int]:
    """One pass: the first page (``queries[0]``), then the cursor to the end (``queries[1]``,
    or the pages read ahead)."""
    variables = {"board": [board_id], "state": state, "limit": page_limit, **extra}
    on_body = None if ahead is None else ahead.on_body
    context = f"board {board_id} page 1"
    boards = execute(queries[0], variables, context, decode, on_body=on_body).get("boards")
    if not isinstance(boards, list) or not boards:
        raise MondayNotFoundError(
            f"Monday API board {board_id}: no such board with state={state!r} visible to "
            f"this token ({_ADVICE[MondayNotFoundError]})",
            code="BOARD_NOT_FOUND",
        )
    page = _as_dict(_as_dict(boards[0]).get("items_page"))
    read_next: Callable[[dict[str, Any], str], dict[str, Any]] = (
        functools.partial(execute, queries[1], decode=decode)
        if ahead is None
        else _ahead_reader(ahead)
    )
    return _follow_cursor(read_next, board_id, page, page_limit, extra, sink)


def _ahead_reader(ahead: ReadAhead) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    def read(variables: dict[str, Any], _context: str) -> dict[str, Any]:
        return ahead.get(str(variables["c"]))

    return read


def _follow_cursor(
    read_next: Callable[[dict[str, Any], str], dict[str, Any]],
    board_id: str,
    page: dict[str, Any],
    page_limit: int,
    extra: dict[str, Any],
    sink: ItemSink | None,
) -> tuple[list[dict[str, Any]], int, int]:
    items: list[dict[str, Any]] = []
    take: Callable[[Any], None] = items.extend if sink is None else sink.add
    pages = count = 0
    while True:
        got: Any = page.get("items")
        if not isinstance(got, Sized) or isinstance(got, str | dict):
            got = []  # a list of items, or a raw sink's own page (anything with a length)
        pages, count = pages + 1, count + len(got)
        take(got)
        cursor = page.get("cursor")
        if not (cursor and got):
            return items, pages, count
        context = f"board {board_id} page {pages + 1} (cursor {str(cursor)[:24]}...)"
        variables = {"c": cursor, "limit": page_limit, **extra}
        page = _as_dict(read_next(variables, context).get("next_items_page"))


def _attach_subitems(execute: _Execute, board_id: str, parents: list[dict[str, Any]]) -> None:
    """Replace each parent's ``subitems [{id}]`` with full subitems read by id, 100 a call."""
    ids = [str(sub["id"]) for p in parents for sub in p.get("subitems") or [] if "id" in sub]
    by_id: dict[str, dict[str, Any]] = {}
    for number, chunk in enumerate(_chunks(ids, ITEMS_BY_ID_CHUNK), start=1):
        variables = {"ids": chunk, "limit": len(chunk)}
        data = execute(_SUBITEMS_QUERY, variables, f"board {board_id} subitems batch {number}")
        by_id.update({str(item["id"]): item for item in data.get("items") or []})
    for parent in parents:
        wanted = [str(sub["id"]) for sub in parent.get("subitems") or [] if "id" in sub]
        parent["subitems"] = [by_id[sub_id] for sub_id in wanted if sub_id in by_id]
    if missing := sorted(set(ids) - set(by_id)):
        _log.warning("board %s: subitems gone before they were read: %s", board_id, missing)
