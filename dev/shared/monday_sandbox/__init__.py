"""A local stand-in of the Monday.com GraphQL API (contracts.md section 1), over real HTTP.

    from dev.shared.monday_sandbox import Fault, MondaySandbox, make_wide_board, sample_boards

    with MondaySandbox(sample_boards()) as sandbox:          # 127.0.0.1, ephemeral port
        sandbox.inject(Fault("status_500", times=2), Fault("http_429", retry_after=1))
        httpx.post(sandbox.url, json={"query": q, "variables": v},
                   headers={"Authorization": "sandbox-token", "API-Version": "2025-07"})
        sandbox.requests[-1].variables

Served: ``boards(ids, state, limit, page, board_kind)`` {id name state board_kind description
items_count columns(ids, types) groups(ids) items_page(limit, cursor, query_params)}, root
``next_items_page(cursor, limit)``, root ``items(ids, exclude_nonactive)`` (at most 100 ids),
``complexity {before after query reset_in_x_seconds}``; Item {id name state created_at updated_at
creator_id url group board parent_item subitems column_values(ids, types)} and the typed cells
StatusValue, DateValue, NumbersValue, TextValue, LongTextValue, PeopleValue, DropdownValue,
TimelineValue, CheckboxValue, CountryValue, FormulaValue, MirrorValue, BoardRelationValue,
ItemIdValue, LastUpdatedValue, SubtasksValue. Variables, named and inline fragments, aliases,
``@include``/``@skip`` and ``__typename`` work; only the requested fields come back. Unknown
fields or arguments fail validation like a real GraphQL server (HTTP 200, ``errors``, code
GRAPHQL_VALIDATION_FAILED; syntax errors GRAPHQL_PARSE_FAILED); fragments on real cell types the
sandbox does not serve (``... on EmailValue``) are accepted and never match. Reads only.

Behaviour (where the public docs are silent, the choice is stated):
- Auth: ``Authorization: <token>`` or ``Bearer <token>``; missing/wrong -> HTTP 401 with the
  documented UserUnauthorizedException shape (``extensions.status_code`` 401).
- ``API-Version: YYYY-MM`` from ``api_versions`` (missing = ``current_version``, or HTTP 400
  API_VERSION_REQUIRED with ``require_api_version=True``); other values -> HTTP 400
  API_VERSION_INVALID.
- Envelope: ``{"data": ..., "account_id": ..., "extensions": {"request_id": ...}}``. Field errors
  (bad argument, expired cursor...) -> HTTP 200 ``{"data": null, "errors": [modern shape with
  path and locations], "account_id": ...}``.
- Pages: ``limit`` defaults to 25; above 500 (or below 1) -> InvalidArgumentException. The last
  page has ``cursor: null``. ``query_params`` (rules with any_of, not_any_of, is_empty,
  is_not_empty, contains_text, not_contains_text, contains_terms, starts_with, ends_with,
  greater_than[_or_equals], lower_than[_or_equal], between; operator and/or; ids; order_by on a
  column, ``name``, ``__creation_log__`` or ``__last_updated__``) only on the first page: with a
  cursor -> InvalidArgumentException. Items: items_page returns ``active`` items (as the real
  API); the sandbox-only argument ``items_page(state: "archived" | "deleted" | "all")`` reads the
  others. ``boards(state:)`` defaults to active too.
- Cursors: opaque, signed, valid ``cursor_ttl_seconds`` (3600) from the first items_page call of
  the read. An expired cursor (or after ``Fault("expire_cursors")`` / ``expire_cursors()``) answers
  HTTP 200 ``{"data": null, "errors": [{"message": "cursor has expired: cursors live 60 minutes
  from the first items_page request; start again from page 1 with items_page", "path":
  ["next_items_page"], "extensions": {"code": "CursorExpiredError", "error_data": {"cursor": ...,
  "ttl_seconds": 3600}, "status_code": 400}}]}``: match the code CursorExpiredError, restart the
  read. A cursor this server never issued -> InvalidArgumentException.
- Complexity (points per query, charged before it runs)::

      query  = 1 + sum(root fields)          complexity {...} costs 0
      boards = per board returned: 10 + columns (if selected) + groups (if selected)
               + items_page: limit x item
      next_items_page = limit x item;   items(ids:) = sum of item over the ids
      item   = 1 + columns requested by column_values (all board columns, or len(ids:))
               + 10 x subitem item when subitems are selected (potential rows, as the docs say)

  ``limit`` is the requested page size (potential rows), so 500 items x 150 columns cost 75,501
  per page. A query above ``max_query_complexity`` (5M) -> maxComplexityExceeded (HTTP 200).
  Budget: ``complexity_budget`` (10M) over a sliding 60 s window; ``complexity`` reports
  before/after/query/reset_in_x_seconds. Exhausted -> COMPLEXITY_BUDGET_EXHAUSTED in the request
  version's shape: < 2025-01 the legacy top-level ``error_code: ComplexityException`` body with
  HTTP 200; 2025-01 .. 2025-04 the full extensions (complexity, budget left/limit,
  retry_in_seconds, status_code 429) with HTTP 429; 2025-07+ trimmed ``{code, retry_in_seconds}``
  with HTTP 429. 429s carry ``Retry-After``. (The real limit of five formula columns per query is
  not enforced.)
- Cells: contracts.md shapes (``value`` a JSON string, empty cells ``value`` null and ``text`` ""
  -- null for status, dropdown; mirror and board_relation ``text`` always null; ``value`` null on
  board_relation, subtasks, mirror, formula, item_id, name, last_updated). Formula results are in
  ``display_value`` (``text`` ""), as the 2025-01 changelog says.

Faults (``sandbox.inject(Fault(kind, times=1, on=None, after=0, status=None, **params))``):
user_unauthorized, complexity_exhausted(version, complexity, left, limit, retry_in_seconds,
legacy_code), max_complexity(complexity, limit), max_concurrency, ip_rate_limit(retry_in_seconds),
field_limit(retry_in_seconds), daily_limit, rate_limit(retry_in_seconds) [all 429 but the first
two], rate_limit_legacy / http_429(retry_after) ('Rate Limit Exceeded.', 429, Retry-After only
when given), internal_error / status_500 (documented 500 body), status_502/503/504 (HTML bodies),
error_code(code, message, status_code, error_data) (HTTP 200 modern shape, e.g.
InvalidBoardIdException, ResourceNotFoundException, InvalidArgumentException,
ColumnValueException), locked (HTTP 423 ``{"error_message": "Resource is currently locked",
"status_code": 423}``), api_version_required (400), delay(seconds) (then a normal answer),
truncated_json (the real answer cut in half, consistent Content-Length), malformed_json,
expire_cursors (then a normal answer, which fails if it uses a cursor), connection_reset (TCP
RST, no answer). ``on="next_items_page"`` (any field name) targets requests selecting that field;
``after=N`` lets N matching requests through first.
"""

from __future__ import annotations

from .board import Board, ColumnCells
from .faults import FAULT_KINDS, Fault
from .loading import (
    SANDBOX_DATA,
    board_from_dict,
    board_to_dict,
    dump_boards,
    load_boards,
    sample_boards,
)
from .model import BoardDataError, Column, Group, People, Person
from .render import render_cell
from .server import API_VERSIONS, CURRENT_VERSION, ManualClock, MondaySandbox, RecordedRequest
from .wide import WIDE_TYPES, make_wide_board

__all__ = [
    "API_VERSIONS",
    "CURRENT_VERSION",
    "FAULT_KINDS",
    "SANDBOX_DATA",
    "WIDE_TYPES",
    "Board",
    "BoardDataError",
    "Column",
    "ColumnCells",
    "Fault",
    "Group",
    "ManualClock",
    "MondaySandbox",
    "People",
    "Person",
    "RecordedRequest",
    "board_from_dict",
    "board_to_dict",
    "dump_boards",
    "load_boards",
    "make_wide_board",
    "render_cell",
    "sample_boards",
]
