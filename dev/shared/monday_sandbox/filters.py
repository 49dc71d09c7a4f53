"""items_page(query_params:) filters and ordering, evaluated once per distinct cell value."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .board import PER_ITEM_TYPES, Board
from .errors import FieldError
from .model import Column
from .render import render_cell

Rows = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]
_STATES = ("active", "archived", "deleted", "all")
_SPECIAL = {
    "name": "item_names",
    "__creation_log__": "created_at",
    "__last_updated__": "updated_at",
}


def _argument_error(message: str) -> FieldError:
    return FieldError("InvalidArgumentException", message)


def select_rows(board: Board, query_params: Mapping[str, Any] | None, state: str | None) -> Rows:
    """Rows of ``board`` an items_page read returns: state, ids, rules, order_by applied."""
    state = state or "active"
    if state not in _STATES:
        raise _argument_error(f"state {state!r} is not one of {_STATES}")
    mask = np.ones(board.n_items, dtype=bool) if state == "all" else board.item_states == state
    params = dict(query_params or {})
    if params.get("ids") is not None:
        ids = [str(i) for i in params["ids"]]
        if len(ids) > 100:
            raise _argument_error(f"query_params.ids has {len(ids)} ids; at most 100 are allowed")
        mask &= np.isin(np.asarray(board.item_ids), ids)
    rules = params.get("rules") or []
    if rules:
        matches = [_rule_mask(board, rule) for rule in rules]
        combine = np.logical_or if params.get("operator", "and") == "or" else np.logical_and
        mask &= combine.reduce(matches)
    rows = np.flatnonzero(mask)
    return _ordered(board, rows, params.get("order_by") or [])


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def _cell_facts(board: Board, column: Column, value: Any) -> tuple[str, set[str], Any]:
    """(lower-cased text, match keys, comparable) of one simple value."""
    cell = render_cell(column, value, board)
    text = str(cell.get("display_value") or cell["text"] or "")
    keys = {text}
    if column.type == "status" and cell["index"] is not None:
        keys |= {str(cell["index"]), str(cell["label"])}
    elif column.type == "dropdown":
        keys |= {o["id"] for o in cell["values"]} | {o["label"] for o in cell["values"]}
    elif column.type == "people":
        keys |= {p["id"] for p in cell["persons_and_teams"]}
        keys |= {f"{p['kind']}-{p['id']}" for p in cell["persons_and_teams"]}
    comparable = cell.get("number") if column.type == "numbers" else text
    return text.lower(), keys, comparable


def _rule_mask(board: Board, rule: Mapping[str, Any]) -> Mask:
    column_id = str(rule.get("column_id", ""))
    column = board.column(column_id)
    if column is None and column_id != "name":
        raise _argument_error(
            f"query_params rule column_id {column_id!r} is not a column of board {board.id}"
        )
    test = _predicate(
        str(rule.get("operator", "any_of")), [str(v) for v in _values(rule.get("compare_value"))]
    )
    if column is None or column.type in PER_ITEM_TYPES:
        values = (
            board.item_ids if column is not None and column.type == "item_id" else board.item_names
        )
        return np.fromiter((test(v.lower(), {v}, v, False) for v in values), bool, len(values))
    cells = board.cells[column.id]
    per_code = [
        test(*_cell_facts(board, column, v), code == 0) for code, v in enumerate(cells.pool)
    ]
    return np.asarray(per_code, dtype=bool)[cells.codes]


Predicate = Callable[[str, set[str], Any, bool], bool]


def _predicate(operator: str, wanted: list[str]) -> Predicate:
    lowered = [w.lower() for w in wanted]

    def compare(op: Callable[[Any, Any], bool]) -> Predicate:
        def run(_t: str, _k: set[str], value: Any, empty: bool) -> bool:
            if empty or value is None or not wanted:
                return False
            other: Any = float(wanted[0]) if isinstance(value, int | float) else wanted[0]
            return bool(op(value, other))

        return run

    simple: dict[str, Predicate] = {
        "any_of": lambda _t, k, _v, e: bool(k & set(wanted)) or (e and "" in wanted),
        "not_any_of": lambda _t, k, _v, e: not (k & set(wanted)) and not (e and "" in wanted),
        "is_empty": lambda _t, _k, _v, e: e,
        "is_not_empty": lambda _t, _k, _v, e: not e,
        "contains_text": lambda t, _k, _v, _e: any(w in t for w in lowered),
        "not_contains_text": lambda t, _k, _v, _e: not any(w in t for w in lowered),
        "contains_terms": lambda t, _k, _v, _e: all(w in t for w in " ".join(lowered).split()),
        "starts_with": lambda t, _k, _v, _e: any(t.startswith(w) for w in lowered),
        "ends_with": lambda t, _k, _v, _e: any(t.endswith(w) for w in lowered),
        "greater_than": compare(lambda a, b: a > b),
        "greater_than_or_equals": compare(lambda a, b: a >= b),
        "lower_than": compare(lambda a, b: a < b),
        "lower_than_or_equal": compare(lambda a, b: a <= b),
    }
    if operator == "between":
        if len(wanted) != 2:
            raise _argument_error(f"operator 'between' needs two compare values, got {wanted}")
        low, high = compare(lambda a, b: a >= b), _between_high(wanted[1])
        return lambda t, k, v, e: low(t, k, v, e) and high(v)
    if operator not in simple:
        raise _argument_error(
            f"query_params operator {operator!r} is not supported by the sandbox; use one of "
            f"{sorted([*simple, 'between'])}"
        )
    return simple[operator]


def _between_high(bound: str) -> Callable[[Any], bool]:
    return lambda v: v is not None and v <= (float(bound) if isinstance(v, int | float) else bound)


def _ordered(board: Board, rows: Rows, order_by: Sequence[Mapping[str, Any]]) -> Rows:
    if not order_by or len(rows) == 0:
        return rows
    keys = []
    for spec in reversed(list(order_by)):
        ranks, empty = _ranks(board, str(spec.get("column_id", "")))
        ranks, empty = ranks[rows], empty[rows]
        if str(spec.get("direction", "asc")).lower() == "desc":
            ranks = np.where(empty, ranks, -ranks)  # empty cells stay last
        keys.append(ranks)
    return rows[np.lexsort(keys)]


def _ranks(board: Board, column_id: str) -> tuple[npt.NDArray[np.intp], Mask]:
    """A sortable rank per row of the board for ``column_id`` (empty cells last), and emptiness."""
    column = board.column(column_id)
    if column is None or column.type in PER_ITEM_TYPES:
        if column is None and column_id not in _SPECIAL:
            raise _argument_error(
                f"order_by column_id {column_id!r} is not a column of board {board.id}"
            )
        attr = (
            "item_ids"
            if column is not None and column.type == "item_id"
            else _SPECIAL.get(column_id, "item_names")
        )
        _, inverse = np.unique(np.asarray(getattr(board, attr)), return_inverse=True)
        return inverse.astype(np.intp), np.zeros(board.n_items, dtype=bool)
    cells = board.cells[column.id]
    facts = [_sort_key(_cell_facts(board, column, v)[2]) for v in cells.pool]
    order = sorted(range(len(facts)), key=facts.__getitem__)
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    empty = np.asarray([key[0] for key in facts], dtype=bool)
    return rank[cells.codes], empty[cells.codes]


def _sort_key(fact: Any) -> tuple[bool, float, str]:
    """Numbers by value, text alphabetically, empty cells last."""
    if isinstance(fact, int | float):
        return False, float(fact), ""
    return fact in (None, ""), 0.0, str(fact or "")
