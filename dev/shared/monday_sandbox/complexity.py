"""Complexity: what a query costs before it runs, and the sliding 60-second budget it spends."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from graphql.language import FieldNode, OperationDefinitionNode, SelectionNode

from .board import Board
from .executor import DEFAULT_PAGE, MAX_PAGE, Context, as_list, select_boards
from .query import sub_selections

BOARD_COST, SUBITEMS_FACTOR = 10, 10


class ComplexityBudget:
    """Points spent in the last ``window`` seconds count against ``limit``."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._spent: deque[tuple[float, int]] = deque()
        self._total = 0
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._spent and self._spent[0][0] + self.window <= now:
            self._total -= self._spent.popleft()[1]

    def left(self, now: float) -> int:
        """Points available now."""
        with self._lock:
            self._expire(now)
            return self.limit - self._total

    def try_charge(self, cost: int, now: float) -> tuple[int, int] | None:
        """Spend ``cost``: (before, after), or None when the budget cannot cover it."""
        with self._lock:
            self._expire(now)
            before = self.limit - self._total
            if cost > before:
                return None
            self._spent.append((now, cost))
            self._total += cost
            return before, before - cost

    def retry_in(self, cost: int, now: float) -> int:
        """Whole seconds until enough points leave the window to cover ``cost``."""
        with self._lock:
            self._expire(now)
            free = self.limit - self._total
            for stamp, spent in self._spent:
                free += spent
                if free >= cost:
                    return max(1, math.ceil(stamp + self.window - now))
            return math.ceil(self.window)

    def reset_in(self, now: float) -> int:
        """Whole seconds until the oldest spend in the window expires."""
        with self._lock:
            self._expire(now)
            if not self._spent:
                return math.ceil(self.window)
            return max(1, math.ceil(self._spent[0][0] + self.window - now))

    def clear(self) -> None:
        """Forget every spend."""
        with self._lock:
            self._spent.clear()
            self._total = 0


def estimate_cost(op: OperationDefinitionNode, ctx: Context) -> int:
    """Complexity of a query before it runs (see the package docstring for the formula)."""
    cost = 1
    for nodes in ctx.fields(op.selection_set.selections, "Query").values():
        name, args = nodes[0].name.value, ctx.args(nodes[0])
        if name == "boards":
            cost += sum(
                _board_cost(b, sub_selections(nodes), ctx) for b in select_boards(args, ctx)
            )
        elif name == "next_items_page":
            board = ctx.boards.get(ctx.cursors.board_of(str(args.get("cursor") or "")) or "")
            cost += _clamped(args.get("limit")) * _item_cost(board, _page_items(nodes, ctx), ctx)
        elif name == "items":
            for hit in map(ctx.find_item, [str(i) for i in as_list(args.get("ids") or [])]):
                cost += _item_cost(hit[0] if hit else None, sub_selections(nodes), ctx)
    return cost


def _clamped(limit: Any) -> int:
    return min(max(int(DEFAULT_PAGE if limit is None else limit), 1), MAX_PAGE)


def _page_items(nodes: list[FieldNode], ctx: Context) -> list[SelectionNode]:
    fields = ctx.fields(sub_selections(nodes), "ItemsResponse")
    return sub_selections(fields.get("items", []))


def _board_cost(board: Board, selections: Sequence[SelectionNode], ctx: Context) -> int:
    cost = BOARD_COST
    for nodes in ctx.fields(selections, "Board").values():
        name = nodes[0].name.value
        if name in ("columns", "groups"):
            cost += len(board.columns if name == "columns" else board.groups)
        elif name == "items_page":
            limit = _clamped(ctx.args(nodes[0]).get("limit"))
            cost += limit * _item_cost(board, _page_items(nodes, ctx), ctx)
    return cost


def _item_cost(board: Board | None, selections: Sequence[SelectionNode], ctx: Context) -> int:
    cost = 1
    for nodes in ctx.fields(selections, "Item").values():
        name = nodes[0].name.value
        if name == "column_values" and board is not None:
            args = ctx.args(nodes[0])
            ids = args.get("ids")
            cost += len(board.columns) if ids is None else len(as_list(ids))
        elif name == "subitems" and board is not None and board.subitems_board is not None:
            cost += SUBITEMS_FACTOR * _item_cost(board.subitems_board, sub_selections(nodes), ctx)
    return cost
