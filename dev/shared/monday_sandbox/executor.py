"""Resolve a validated query against the boards, writing JSON text directly (the fast path).

Item pages are rendered column by column: each distinct cell value is rendered once per field
selection and cached on the board, so a page of 500 items x 150 columns costs list lookups and
string joins, not 75,000 renders. A page is a sequence of per-row pieces (fields, cells with
their separators baked in) that the response body joins once: no per-item or per-page copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from graphql.language import FieldNode, OperationDefinitionNode, SelectionNode

from .board import PER_ITEM_TYPES, Board
from .cursors import CursorStore, Session
from .errors import FieldError
from .filters import select_rows
from .model import Column
from .query import (
    Document,
    Tree,
    arguments,
    collect_fields,
    field_tree,
    project,
    sub_selections,
)
from .render import dumps, render_cell
from .schema import CELL_TYPENAMES

MAX_PAGE = 500
DEFAULT_PAGE = 25
MAX_ITEM_IDS = 100
CREATOR_ID = "10000001"
_SENTINEL = "\x00"
Rows = npt.NDArray[np.intp]


@dataclass
class Context:
    """Everything one request's resolvers read."""

    doc: Document
    variables: dict[str, Any]
    boards: Mapping[str, Board]  # every board by id, subitems boards included
    listed: Sequence[Board]  # top-level boards, in listing order
    cursors: CursorStore
    find_item: Callable[[str], tuple[Board, int] | None]
    complexity: dict[str, int] = field(default_factory=dict)
    memo: dict[Any, Any] = field(default_factory=dict)

    def fields(
        self, selections: Sequence[SelectionNode], type_name: str
    ) -> dict[str, list[FieldNode]]:
        """collect_fields with this request's document and variables."""
        return collect_fields(selections, type_name, self.doc, self.variables)

    def tree(self, nodes: Sequence[FieldNode], type_name: str) -> Tree:
        """The (memoised) field tree of the sub-selections of ``nodes`` on ``type_name``."""
        key = (tuple(map(id, nodes)), type_name)
        if key not in self.memo:
            self.memo[key] = field_tree(sub_selections(nodes), type_name, self.doc, self.variables)
        tree: Tree = self.memo[key]
        return tree

    def args(self, node: FieldNode) -> dict[str, Any]:
        """The field's arguments."""
        return arguments(node, self.variables)


def execute(op: OperationDefinitionNode, ctx: Context) -> list[str]:
    """The ``data`` object as JSON text chunks (join them); raises FieldError with its path.

    Resolvers append to one chunk list so a page of many megabytes is copied once, at the end.
    """
    out = ["{"]
    for n, (key, nodes) in enumerate(ctx.fields(op.selection_set.selections, "Query").items()):
        out.append(f'{"," if n else ""}"{key}":')
        try:
            _ROOT[nodes[0].name.value](nodes, ctx, out)
        except FieldError as exc:
            exc.path = exc.path or [key]
            token = nodes[0].loc.start_token if nodes[0].loc else None
            exc.locations = [{"line": token.line, "column": token.column}] if token else []
            raise
    out.append("}")
    return out


# -- root fields ------------------------------------------------------------------------------


def _complexity(nodes: list[FieldNode], ctx: Context, out: list[str]) -> None:
    obj = {"__typename": "Complexity", **ctx.complexity}
    out.append(dumps(project(obj, ctx.tree(nodes, "Complexity"))))


def select_boards(args: Mapping[str, Any], ctx: Context) -> list[Board]:
    """Boards picked by ``boards(ids:, state:, board_kind:, limit:, page:)``."""
    if args.get("ids") is not None:
        wanted = {str(i) for i in as_list(args["ids"])}
        chosen = [b for b in ctx.boards.values() if b.id in wanted]
    else:
        chosen = list(ctx.listed)
    state = args.get("state") or "active"
    chosen = [b for b in chosen if state in ("all", b.state)]
    if args.get("board_kind"):
        chosen = [b for b in chosen if b.board_kind == args["board_kind"]]
    limit = int(args.get("limit") or DEFAULT_PAGE)
    page = max(int(args.get("page") or 1), 1)
    return chosen[(page - 1) * limit : page * limit]


def _boards(nodes: list[FieldNode], ctx: Context, out: list[str]) -> None:
    selections = sub_selections(nodes)
    out.append("[")
    for n, board in enumerate(select_boards(ctx.args(nodes[0]), ctx)):
        out.append("," if n else "")
        _board(board, selections, ctx, out)
    out.append("]")


def _next_items_page(nodes: list[FieldNode], ctx: Context, out: list[str]) -> None:
    args = ctx.args(nodes[0])
    if not args.get("cursor"):
        raise FieldError(
            "InvalidArgumentException", "next_items_page needs a cursor from items_page"
        )
    session, offset = ctx.cursors.resume(str(args["cursor"]))
    board = ctx.boards[session.board_id]
    _page(board, session, offset, page_limit(args.get("limit")), nodes, ctx, out)


def _items(nodes: list[FieldNode], ctx: Context, out: list[str]) -> None:
    args = ctx.args(nodes[0])
    ids = [str(i) for i in as_list(args.get("ids") or [])]
    if len(ids) > MAX_ITEM_IDS:
        raise FieldError(
            "ItemsLimitationException",
            f"items(ids:) got {len(ids)} ids; ask for at most {MAX_ITEM_IDS} per call",
        )
    found = [hit for hit in map(ctx.find_item, ids) if hit is not None]
    if args.get("exclude_nonactive"):
        found = [(b, r) for b, r in found if b.item_states[r] == "active"]
    rendered: list[str] = [""] * len(found)
    selections = sub_selections(nodes)
    for board in {id(b): b for b, _ in found}.values():
        positions = [n for n, (b, _) in enumerate(found) if b is board]
        rows = np.asarray([found[n][1] for n in positions], dtype=np.intp)
        for n, text in zip(positions, render_items(board, rows, selections, ctx), strict=True):
            rendered[n] = text
    out.append("[" + ",".join(rendered) + "]")


# -- boards and pages -------------------------------------------------------------------------


def _board(board: Board, selections: Sequence[SelectionNode], ctx: Context, out: list[str]) -> None:
    out.append("{")
    for n, (key, nodes) in enumerate(ctx.fields(selections, "Board").items()):
        out.append(f'{"," if n else ""}"{key}":')
        name = nodes[0].name.value
        if name == "items_page":
            _items_page(board, nodes, ctx, out)
        elif name in ("columns", "groups"):
            out.append(_columns_or_groups(board, name, nodes, ctx))
        else:
            out.append(dumps(_board_scalar(board, name)))
    out.append("}")


def _board_scalar(board: Board, name: str) -> Any:
    if name == "items_count":
        return int(np.count_nonzero(board.item_states == "active"))
    if name == "description":
        return ""
    return "Board" if name == "__typename" else getattr(board, name)


def _columns_or_groups(board: Board, name: str, nodes: list[FieldNode], ctx: Context) -> str:
    args = ctx.args(nodes[0])
    ids = {str(i) for i in as_list(args["ids"])} if args.get("ids") is not None else None
    types = set(as_list(args["types"])) if args.get("types") is not None else None
    objects: list[Column] | list[Any] = board.columns if name == "columns" else board.groups
    kept = [
        o.as_object()
        for o in objects
        if (ids is None or o.id in ids) and (types is None or getattr(o, "type", None) in types)
    ]
    return dumps(project(kept, ctx.tree(nodes, "Column" if name == "columns" else "Group")))


def page_limit(value: Any) -> int:
    """A page size argument checked against the API's bounds."""
    limit = DEFAULT_PAGE if value is None else int(value)
    if limit > MAX_PAGE:
        raise FieldError(
            "InvalidArgumentException",
            f"limit {limit} is above the maximum of {MAX_PAGE} items per page; ask for at most {MAX_PAGE}",
            {"limit": limit, "max": MAX_PAGE},
        )
    if limit < 1:
        raise FieldError("InvalidArgumentException", f"limit {limit} must be at least 1")
    return limit


def _items_page(board: Board, nodes: list[FieldNode], ctx: Context, out: list[str]) -> None:
    args = ctx.args(nodes[0])
    limit = page_limit(args.get("limit"))
    if args.get("cursor"):
        if args.get("query_params"):
            raise FieldError(
                "InvalidArgumentException",
                "query_params can't be combined with a cursor: filters ride inside the cursor; "
                "pass query_params only on the first page",
            )
        session, offset = ctx.cursors.resume(str(args["cursor"]))
        if session.board_id != board.id:
            raise FieldError(
                "InvalidArgumentException",
                f"cursor belongs to board {session.board_id}, not board {board.id}",
            )
    else:
        rows = select_rows(board, args.get("query_params"), args.get("state"))
        session, offset = ctx.cursors.open(board.id, rows), 0
    _page(board, session, offset, limit, nodes, ctx, out)


def _page(
    board: Board,
    session: Session,
    offset: int,
    limit: int,
    nodes: list[FieldNode],
    ctx: Context,
    out: list[str],
) -> None:
    rows = session.rows[offset : offset + limit]
    more = offset + limit < len(session.rows)
    out.append("{")
    for n, (key, fields) in enumerate(ctx.fields(sub_selections(nodes), "ItemsResponse").items()):
        out.append(f'{"," if n else ""}"{key}":')
        name = fields[0].name.value
        if name == "cursor":
            out.append(dumps(ctx.cursors.cursor(session, offset + limit) if more else None))
        elif name == "items":
            out.extend(page_pieces(board, rows, sub_selections(fields), ctx))
        else:
            out.append('"ItemsResponse"')
    out.append("}")


# -- items ------------------------------------------------------------------------------------

ItemField = Callable[[Board, Rows, str, list[FieldNode], Context], list[str]]
# Per-row text pieces: piece sequence k holds the k-th piece of every row (or repeats one piece);
# a row's JSON is the concatenation of its pieces, so a page is one join, with no per-item copy.
Pieces = list[Iterable[str]]


def item_pieces(
    board: Board, rows: Rows, selections: Sequence[SelectionNode], ctx: Context
) -> Pieces:
    """The pieces of each item's JSON body (between its braces), fields in query order."""
    pieces: Pieces = []
    for n, (key, nodes) in enumerate(ctx.fields(selections, "Item").items()):
        prefix = f'{"," if n else ""}"{key}":'
        if nodes[0].name.value == "column_values":
            pieces.extend(_column_value_pieces(board, rows, prefix, nodes, ctx))
        else:
            pieces.append(_ITEM_FIELDS[nodes[0].name.value](board, rows, prefix, nodes, ctx))
    return pieces


def render_items(
    board: Board, rows: Rows, selections: Sequence[SelectionNode], ctx: Context
) -> list[str]:
    """JSON text of each item in ``rows`` with the fields the query selects."""
    pieces = item_pieces(board, rows, selections, ctx)
    return ["".join(parts) + "}" for parts in zip(repeat("{", len(rows)), *pieces, strict=True)]


def page_pieces(
    board: Board, rows: Rows, selections: Sequence[SelectionNode], ctx: Context
) -> Iterable[str]:
    """The JSON array of the items in ``rows`` as pieces: the response body joins them once."""
    if not len(rows):
        return ("[]",)
    opens = ["[{", *repeat("},{", len(rows) - 1)]
    items = zip(opens, *item_pieces(board, rows, selections, ctx), strict=True)
    return chain(chain.from_iterable(items), ("}]",))


def _attribute(name: str) -> ItemField:
    def render(
        board: Board, rows: Rows, prefix: str, _n: list[FieldNode], _c: Context
    ) -> list[str]:
        encoded = board.encoded(name)
        return [prefix + encoded[r] for r in rows.tolist()]

    return render


def _constant(value: Callable[[Board], Any]) -> ItemField:
    def render(
        board: Board, rows: Rows, prefix: str, _n: list[FieldNode], _c: Context
    ) -> list[str]:
        return [prefix + dumps(value(board))] * len(rows)

    return render


def _url(board: Board, rows: Rows, prefix: str, _n: list[FieldNode], _c: Context) -> list[str]:
    base = f"https://sandbox.monday.com/boards/{board.id}/pulses/"
    return [f'{prefix}"{base}{board.item_ids[r]}"' for r in rows.tolist()]


def _group(
    board: Board, rows: Rows, prefix: str, nodes: list[FieldNode], ctx: Context
) -> list[str]:
    tree = ctx.tree(nodes, "Group")
    texts = [prefix + dumps(project(g.as_object(), tree)) for g in board.groups]
    return [texts[g] for g in board.item_groups[rows].tolist()]


def _item_board(
    board: Board, rows: Rows, prefix: str, nodes: list[FieldNode], ctx: Context
) -> list[str]:
    out = [prefix]
    _board(board, sub_selections(nodes), ctx, out)
    return ["".join(out)] * len(rows)


def _parent(
    board: Board, rows: Rows, prefix: str, nodes: list[FieldNode], ctx: Context
) -> list[str]:
    if board.parent_board is None or board.parent_rows is None:
        return [prefix + "null"] * len(rows)
    parents = board.parent_rows[rows].astype(np.intp)
    return [
        prefix + t for t in render_items(board.parent_board, parents, sub_selections(nodes), ctx)
    ]


def _subitems(
    board: Board, rows: Rows, prefix: str, nodes: list[FieldNode], ctx: Context
) -> list[str]:
    sub, children = board.subitems_board, board.subitem_rows
    if sub is None or children is None:
        return [prefix + "[]"] * len(rows)
    lists = [children[r] for r in rows.tolist()]
    flat = np.asarray([r for rs in lists for r in rs], dtype=np.intp)
    rendered = iter(render_items(sub, flat, sub_selections(nodes), ctx))
    return [prefix + "[" + ",".join(next(rendered) for _ in rs) + "]" for rs in lists]


def _column_value_pieces(
    board: Board, rows: Rows, prefix: str, nodes: list[FieldNode], ctx: Context
) -> Pieces:
    args = ctx.args(nodes[0])
    ids = {str(i) for i in as_list(args["ids"])} if args.get("ids") is not None else None
    types = set(as_list(args["types"])) if args.get("types") is not None else None
    columns = [
        c
        for c in board.columns
        if (ids is None or c.id in ids) and (types is None or c.type in types)
    ]
    row_list = rows.tolist()
    if not columns:
        return [repeat(prefix + "[]", len(rows))]
    # Cells after the first carry their leading comma (cached so): one piece per cell.
    pieces: Pieces = [repeat(prefix + "[", len(rows))]
    pieces.extend(
        _cells(board, c, rows, row_list, ctx.tree(nodes, CELL_TYPENAMES[c.type]), "," if n else "")
        for n, c in enumerate(columns)
    )
    pieces.append(repeat("]", len(rows)))
    return pieces


def _cells(
    board: Board, column: Column, rows: Rows, row_list: list[int], tree: Tree, sep: str = ""
) -> Sequence[str]:
    """The JSON text (after ``sep``) of one column's cells for ``rows``; each value rendered once."""
    if column.type in PER_ITEM_TYPES:
        head, *rest = _template(board, column, tree)
        return _fill(
            [sep + head, *rest], board.encoded("name" if column.type == "name" else "id"), row_list
        )
    cells, key = board.cells[column.id], (sep, tree)
    texts = cells.fragments.get(key)
    if texts is None:
        texts = cells.fragments.setdefault(key, [None] * len(cells.pool))
    codes = _take(cells.codes, rows)
    if key not in cells.complete:
        # Small pools are rendered whole at once; big ones (per-item values) as rows need them.
        small = len(texts) <= 2 * len(codes)
        for code in range(len(texts)) if small else {c for c in codes if texts[c] is None}:
            if texts[code] is None:
                cell = project(render_cell(column, cells.pool[code], board), tree)
                texts[code] = sep + dumps(cell)
        if small or None not in texts:
            cells.complete.add(key)
    if len(codes) < 2:
        return [cast(str, texts[c]) for c in codes]
    return cast("tuple[str, ...]", itemgetter(*codes)(texts))  # C-speed gather; all filled above


def _take(codes: npt.NDArray[np.int32], rows: Rows) -> list[int]:
    """``codes[rows]`` as a list; a contiguous run of rows (the unfiltered read) is sliced."""
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
        return codes[rows[0] : rows[-1] + 1].tolist()  # type: ignore[no-any-return]
    return codes[rows].tolist()  # type: ignore[no-any-return]


def _fill(parts: list[str], encoded: list[str], row_list: list[int]) -> list[str]:
    """Per-row cells of a template: plain concatenation for the usual one or two slots."""
    if len(parts) == 2:
        head, tail = parts
        return [head + encoded[r] + tail for r in row_list]
    if len(parts) == 3:
        head, middle, tail = parts
        return [head + encoded[r] + middle + encoded[r] + tail for r in row_list]
    return [encoded[r].join(parts) for r in row_list]


def _template(board: Board, column: Column, tree: Tree) -> list[str]:
    """A name / item_id cell split around its per-item value (JSON text joins the parts)."""
    key = (column.id, tree)
    if key not in board.templates:
        text = dumps(project(render_cell(column, _SENTINEL, board), tree))
        board.templates[key] = text.split(dumps(_SENTINEL))
    return board.templates[key]


def as_list(value: Any) -> list[Any]:
    """A list argument (GraphQL coerces a single value to a list)."""
    return list(value) if isinstance(value, list | tuple) else [value]


_ITEM_FIELDS: dict[str, ItemField] = {
    "id": _attribute("id"),
    "name": _attribute("name"),
    "state": _attribute("state"),
    "created_at": _attribute("created_at"),
    "updated_at": _attribute("updated_at"),
    "creator_id": _constant(lambda _b: CREATOR_ID),
    "__typename": _constant(lambda _b: "Item"),
    "url": _url,
    "group": _group,
    "board": _item_board,
    "parent_item": _parent,
    "subitems": _subitems,
}
_ROOT: dict[str, Callable[[list[FieldNode], Context, list[str]], None]] = {
    "complexity": _complexity,
    "boards": _boards,
    "next_items_page": _next_items_page,
    "items": _items,
    "__typename": lambda _n, _c, out: out.append('"Query"'),
}
