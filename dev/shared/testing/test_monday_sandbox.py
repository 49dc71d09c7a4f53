"""Tests of the Monday sandbox, spoken to over real HTTP with plain httpx."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from dev.shared.monday_sandbox import (
    API_VERSIONS,
    FAULT_KINDS,
    SANDBOX_DATA,
    WIDE_TYPES,
    BoardDataError,
    Column,
    Fault,
    ManualClock,
    MondaySandbox,
    People,
    board_to_dict,
    dump_boards,
    load_boards,
    make_wide_board,
    render_cell,
    sample_boards,
)
from dev.shared.monday_sandbox import executor as executor_module
from dev.shared.monday_sandbox.__main__ import main as cli_main

# The fixtures under test (the plugin may register them too; the module wins either way).
pytest_plugins = ["dev.shared.sandbox_fixtures"]
ROOT = Path(__file__).resolve().parents[3]
TOKEN = "sandbox-token"  # secret-scan: allow (a fixed test value, not a secret)
DEALS, SCHEDULES, ALL_TYPES, ARCHIVED_BOARD = "1234567890", "2000000001", "3000000001", "3000000099"

# contracts.md section 1, "Fixture: 2-page read, 3 items, 4 column types"
FIXTURE_FRAGMENT = """
fragment F on Item {
  id name state created_at updated_at group { id title }
  column_values(ids: ["status","date4","numbers","person"]) {
    id type text value
    ... on StatusValue { index label }
    ... on DateValue { date time }
    ... on NumbersValue { number }
    ... on PeopleValue { persons_and_teams { id kind } }
  }
}"""
FIXTURE_Q1 = (
    "query ($board: [ID!], $limit: Int!) {\n"
    "  complexity { before after query reset_in_x_seconds }\n"
    "  boards(ids: $board) { items_page(limit: $limit) { cursor items { ...F } } }\n}"
    + FIXTURE_FRAGMENT
)
FIXTURE_Q2 = (
    "query ($c: String!, $limit: Int!) { next_items_page(cursor: $c, limit: $limit) "
    "{ cursor items { ...F } } }" + FIXTURE_FRAGMENT
)
FIXTURE_PAGE1 = json.loads(r"""[
 {"id":"9001000001","name":"Onboard ACME","state":"active","created_at":"2024-09-30T14:02:11Z","updated_at":"2024-10-02T09:14:11Z",
  "group":{"id":"topics","title":"Q4 Pipeline"},
  "column_values":[
   {"id":"status","type":"status","text":"Working on it","value":"{\"index\":0,\"post_id\":null,\"changed_at\":\"2024-10-02T09:14:11.000Z\"}","index":0,"label":"Working on it"},
   {"id":"date4","type":"date","text":"2024-11-15","value":"{\"date\":\"2024-11-15\",\"icon\":null,\"changed_at\":\"2024-10-01T08:00:00.000Z\"}","date":"2024-11-15","time":null},
   {"id":"numbers","type":"numbers","text":"1250.5","value":"\"1250.5\"","number":1250.5},
   {"id":"person","type":"people","text":"Ana Lopez","value":"{\"changed_at\":\"2024-09-30T14:05:00.000Z\",\"personsAndTeams\":[{\"id\":4616627,\"kind\":\"person\"}]}","persons_and_teams":[{"id":"4616627","kind":"person"}]}]},
 {"id":"9001000002","name":"Renew Globex","state":"active","created_at":"2024-09-30T14:03:40Z","updated_at":"2024-10-03T16:20:05Z",
  "group":{"id":"topics","title":"Q4 Pipeline"},
  "column_values":[
   {"id":"status","type":"status","text":"Done","value":"{\"index\":1,\"post_id\":null,\"changed_at\":\"2024-10-03T16:20:05.000Z\"}","index":1,"label":"Done"},
   {"id":"date4","type":"date","text":"2024-10-31 09:30","value":"{\"date\":\"2024-10-31\",\"time\":\"09:30:00\",\"icon\":null,\"changed_at\":\"2024-10-03T16:19:00.000Z\"}","date":"2024-10-31","time":"09:30:00"},
   {"id":"numbers","type":"numbers","text":"800","value":"\"800\"","number":800},
   {"id":"person","type":"people","text":"Sales Team","value":"{\"changed_at\":\"2024-10-01T10:00:00.000Z\",\"personsAndTeams\":[{\"id\":665845,\"kind\":\"team\"}]}","persons_and_teams":[{"id":"665845","kind":"team"}]}]}]""")  # fmt: skip
FIXTURE_PAGE2 = json.loads(r"""[
  {"id":"9001000003","name":"Initech pilot","state":"active","created_at":"2024-10-04T07:45:00Z","updated_at":"2024-10-04T07:45:00Z",
   "group":{"id":"new_group","title":"Backlog"},
   "column_values":[
    {"id":"status","type":"status","text":null,"value":null,"index":null,"label":null},
    {"id":"date4","type":"date","text":"","value":null,"date":null,"time":null},
    {"id":"numbers","type":"numbers","text":"","value":null,"number":null},
    {"id":"person","type":"people","text":"","value":null,"persons_and_teams":[]}]}]""")  # fmt: skip

ALL_FRAGMENTS = """
  ... on StatusValue { index label is_done label_style { color border } updated_at }
  ... on DateValue { date time icon updated_at }
  ... on NumbersValue { number symbol direction }
  ... on PeopleValue { persons_and_teams { id kind } updated_at }
  ... on DropdownValue { values { id label } }
  ... on TimelineValue { from to visualization_type updated_at }
  ... on CheckboxValue { checked updated_at }
  ... on CountryValue { country { code name } updated_at }
  ... on FormulaValue { display_value }
  ... on MirrorValue { display_value }
  ... on BoardRelationValue { display_value linked_item_ids }
  ... on ItemIdValue { item_id }
  ... on LastUpdatedValue { updated_at }
  ... on LongTextValue { text updated_at }
  ... on SubtasksValue { display_value subitems_ids }"""
PAGE_QUERY = (
    "query ($b: [ID!], $limit: Int) { boards(ids: $b) { items_page(limit: $limit) "
    "{ cursor items { id } } } }"
)
NEXT_QUERY = (
    "query ($c: String!, $limit: Int) { next_items_page(cursor: $c, limit: $limit) "
    "{ cursor items { id } } }"
)


def gql(
    sandbox: MondaySandbox,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = TOKEN,
    version: str | None = "2025-07",
    client: httpx.Client | None = None,
    **extra: Any,
) -> httpx.Response:
    """POST a GraphQL request the way a client would."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = token
    if version is not None:
        headers["API-Version"] = version
    payload = {"query": query, "variables": variables or {}, **extra}
    return (client or _HTTP).post(sandbox.url, json=payload, headers=headers)


# One client for the module: httpx.post() would build an SSL context per call (~0.2 s).
_HTTP = httpx.Client(timeout=30)


@pytest.fixture(scope="module", autouse=True)
def _close_http():
    yield
    _HTTP.close()


def data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


def error(response: httpx.Response) -> dict[str, Any]:
    """The single error entry of a modern error body."""
    body = response.json()
    assert len(body["errors"]) == 1, body
    entry: dict[str, Any] = body["errors"][0]
    return entry


def read_all(sandbox: MondaySandbox, board: str, limit: int = 500, **args: Any) -> list[str]:
    first = data(gql(sandbox, PAGE_QUERY, {"b": [board], "limit": limit}, **args))
    page = first["boards"][0]["items_page"]
    ids = [i["id"] for i in page["items"]]
    while page["cursor"]:
        page = data(gql(sandbox, NEXT_QUERY, {"c": page["cursor"], "limit": limit}, **args))[
            "next_items_page"
        ]
        ids += [i["id"] for i in page["items"]]
    return ids


@pytest.fixture
def wide_sandbox(monday_sandbox_factory):
    return monday_sandbox_factory([make_wide_board("5000000001", 1234, 40, seed=3)])


# -- the contract fixture ---------------------------------------------------------------------


def test_fixture_read_matches_the_contract_two_pages(monday_sandbox):
    first = gql(monday_sandbox, FIXTURE_Q1, {"board": [DEALS], "limit": 2})
    body = first.json()
    assert body["account_id"] == 12345678
    assert body["extensions"]["request_id"]
    page = data(first)["boards"][0]["items_page"]
    assert page["items"] == FIXTURE_PAGE1
    assert isinstance(page["cursor"], str)
    second = data(gql(monday_sandbox, FIXTURE_Q2, {"c": page["cursor"], "limit": 2}))
    assert second == {"next_items_page": {"cursor": None, "items": FIXTURE_PAGE2}}


def test_fixture_complexity_follows_the_documented_formula(monday_sandbox):
    # 1 per query + 10 per board + limit x (1 item + 4 requested columns)
    complexity = data(gql(monday_sandbox, FIXTURE_Q1, {"board": [DEALS], "limit": 2}))["complexity"]
    assert complexity == {
        "before": 10_000_000,
        "after": 10_000_000 - 21,
        "query": 21,
        "reset_in_x_seconds": 60,
    }


# -- pagination -------------------------------------------------------------------------------


def test_pagination_reads_every_item_once_in_board_order(wide_sandbox):
    ids = read_all(wide_sandbox, "5000000001", limit=500)
    assert ids == [str(50000000010 + n) for n in range(1234)]
    pages = [r for r in wide_sandbox.requests if r.status == 200]
    assert len(pages) == 3  # 500 + 500 + 234


def test_page_items_join_into_valid_json_for_any_selection(wide_sandbox):
    # A page is joined from per-row pieces: items, fields and cells must keep their separators
    # whatever the selection (none, an empty column_values, one cell, a typename) and when empty.
    query = """query ($b: [ID!], $qp: ItemsQuery) { boards(ids: $b) {
      all: items_page(limit: 3) { items { id } }
      bare: items_page(limit: 2) { items { __typename } }
      none: items_page(limit: 2) { items { column_values(ids: ["nope"]) { id } } }
      one: items_page(limit: 2) { items { name column_values(ids: ["numbers_001"]) { id } } }
      empty: items_page(limit: 5, query_params: $qp) { cursor items { id } }
    } }"""
    no_match = {"rules": [{"column_id": "text_003", "compare_value": ["no such text"]}]}
    board = data(gql(wide_sandbox, query, {"b": ["5000000001"], "qp": no_match}))["boards"][0]
    assert [i["id"] for i in board["all"]["items"]] == ["50000000010", "50000000011", "50000000012"]
    assert board["bare"]["items"] == [{"__typename": "Item"}] * 2
    assert board["none"]["items"] == [{"column_values": []}] * 2
    assert board["one"]["items"] == [
        {"name": "Item 000000", "column_values": [{"id": "numbers_001"}]},
        {"name": "Item 000001", "column_values": [{"id": "numbers_001"}]},
    ]
    assert board["empty"] == {"cursor": None, "items": []}


def test_page_limit_defaults_to_25(wide_sandbox):
    page = data(gql(wide_sandbox, PAGE_QUERY, {"b": ["5000000001"], "limit": None}))
    assert len(page["boards"][0]["items_page"]["items"]) == 25
    cursor = page["boards"][0]["items_page"]["cursor"]
    following = data(gql(wide_sandbox, NEXT_QUERY, {"c": cursor, "limit": None}))
    assert following["next_items_page"]["items"][0]["id"] == "50000000035"


def test_last_page_that_is_exactly_full_has_a_null_cursor(monday_sandbox_factory):
    sandbox = monday_sandbox_factory([make_wide_board("5000000001", 50, 3)])
    page = data(gql(sandbox, PAGE_QUERY, {"b": ["5000000001"], "limit": 50}))
    assert page["boards"][0]["items_page"]["cursor"] is None


@pytest.mark.parametrize("limit", [501, 0, -3])
def test_page_limit_rejects_out_of_range(monday_sandbox, limit):
    response = gql(monday_sandbox, PAGE_QUERY, {"b": [DEALS], "limit": limit})
    assert response.status_code == 200
    entry = error(response)
    assert entry["extensions"]["code"] == "InvalidArgumentException"
    assert entry["path"] == ["boards"]
    assert entry["locations"][0]["line"] == 1
    assert response.json()["data"] is None


def test_next_items_page_rejects_limit_over_500(monday_sandbox):
    cursor = data(gql(monday_sandbox, PAGE_QUERY, {"b": [DEALS], "limit": 1}))["boards"][0][
        "items_page"
    ]["cursor"]
    entry = error(gql(monday_sandbox, NEXT_QUERY, {"c": cursor, "limit": 1000}))
    assert entry["extensions"]["code"] == "InvalidArgumentException"
    assert "500" in entry["message"]


def test_items_page_with_cursor_continues_and_rejects_query_params(monday_sandbox):
    first = data(gql(monday_sandbox, PAGE_QUERY, {"b": [DEALS], "limit": 1}))
    cursor = first["boards"][0]["items_page"]["cursor"]
    query = (
        "query ($c: String, $qp: ItemsQuery) { boards(ids: [1234567890]) "
        "{ items_page(limit: 1, cursor: $c, query_params: $qp) { cursor items { id } } } }"
    )
    again = data(gql(monday_sandbox, query, {"c": cursor}))
    assert again["boards"][0]["items_page"]["items"] == [{"id": "9001000002"}]
    qp = {"rules": [{"column_id": "status", "compare_value": [1]}]}
    entry = error(gql(monday_sandbox, query, {"c": cursor, "qp": qp}))
    assert entry["extensions"]["code"] == "InvalidArgumentException"
    assert "query_params" in entry["message"]


def test_cursor_of_another_board_is_rejected(monday_sandbox):
    cursor = data(gql(monday_sandbox, PAGE_QUERY, {"b": [DEALS], "limit": 1}))["boards"][0][
        "items_page"
    ]["cursor"]
    query = (
        f"query ($c: String) {{ boards(ids: [{SCHEDULES}]) {{ items_page(cursor: $c) "
        "{ items { id } } } }"
    )
    entry = error(gql(monday_sandbox, query, {"c": cursor}))
    assert entry["extensions"]["code"] == "InvalidArgumentException"
    assert DEALS in entry["message"]


@pytest.mark.parametrize("cursor", ["garbage", "MSwxLDEyMzQ1Njc4OTAsMnxiYWQ", ""])
def test_cursor_not_issued_by_the_server_is_rejected(monday_sandbox, cursor):
    entry = error(gql(monday_sandbox, NEXT_QUERY, {"c": cursor}))
    assert entry["extensions"]["code"] == "InvalidArgumentException"


# -- cursor expiry ----------------------------------------------------------------------------


def test_cursor_expires_after_ttl_from_the_first_page(monday_sandbox_factory):
    clock = ManualClock()
    sandbox = monday_sandbox_factory(cursor_ttl_seconds=3600, clock=clock)
    cursor = data(gql(sandbox, PAGE_QUERY, {"b": [DEALS], "limit": 1}))["boards"][0]["items_page"][
        "cursor"
    ]
    clock.advance(3000)
    page = data(gql(sandbox, NEXT_QUERY, {"c": cursor, "limit": 1}))["next_items_page"]
    clock.advance(601)  # 3601 s after the first page, though the second cursor is newer
    response = gql(sandbox, NEXT_QUERY, {"c": page["cursor"], "limit": 1})
    assert response.status_code == 200
    entry = error(response)
    assert entry["extensions"]["code"] == "CursorExpiredError"
    assert entry["message"].startswith("cursor has expired")
    assert entry["path"] == ["next_items_page"]
    assert entry["extensions"]["error_data"]["ttl_seconds"] == 3600


def test_expired_sessions_are_purged_but_their_cursors_still_read_as_expired(
    monday_sandbox_factory,
):
    clock = ManualClock()
    sandbox = monday_sandbox_factory(cursor_ttl_seconds=10, clock=clock)
    cursor = data(gql(sandbox, PAGE_QUERY, {"b": [DEALS], "limit": 1}))["boards"][0]["items_page"][
        "cursor"
    ]
    clock.advance(100)
    data(gql(sandbox, PAGE_QUERY, {"b": [DEALS], "limit": 1}))  # opening a read purges old ones
    assert error(gql(sandbox, NEXT_QUERY, {"c": cursor}))["extensions"]["code"] == (
        "CursorExpiredError"
    )


def test_expire_cursors_fault_breaks_a_board_mid_way(wide_sandbox):
    wide_sandbox.inject(Fault("expire_cursors", on="next_items_page", after=1))
    first = data(gql(wide_sandbox, PAGE_QUERY, {"b": ["5000000001"], "limit": 100}))
    cursor = first["boards"][0]["items_page"]["cursor"]
    second = data(gql(wide_sandbox, NEXT_QUERY, {"c": cursor, "limit": 100}))["next_items_page"]
    entry = error(gql(wide_sandbox, NEXT_QUERY, {"c": second["cursor"], "limit": 100}))
    assert entry["extensions"]["code"] == "CursorExpiredError"
    assert wide_sandbox.requests[-1].fault == "expire_cursors"
    assert read_all(wide_sandbox, "5000000001")[:2] == ["50000000010", "50000000011"]


def test_expire_cursors_method(monday_sandbox):
    cursor = data(gql(monday_sandbox, PAGE_QUERY, {"b": [DEALS], "limit": 1}))["boards"][0][
        "items_page"
    ]["cursor"]
    monday_sandbox.expire_cursors()
    assert error(gql(monday_sandbox, NEXT_QUERY, {"c": cursor}))["extensions"]["code"] == (
        "CursorExpiredError"
    )


# -- field selection --------------------------------------------------------------------------


def test_only_the_requested_fields_come_back_under_their_aliases(monday_sandbox):
    query = """query ($skip: Boolean!) {
      boards(ids: [1234567890]) {
        title: name
        __typename
        items_page(limit: 1) {
          items {
            __typename
            key: id
            name @skip(if: $skip)
            state @include(if: $skip)
            ... { created_at }
            column_values(ids: ["status"]) { text ... on StatusValue { label } }
          }
        }
      }
    }"""
    board = data(gql(monday_sandbox, query, {"skip": True}))["boards"][0]
    assert list(board) == ["title", "__typename", "items_page"]
    assert board["title"] == "Deals"
    item = board["items_page"]["items"][0]
    assert item == {
        "__typename": "Item",
        "key": "9001000001",
        "state": "active",
        "created_at": "2024-09-30T14:02:11Z",
        "column_values": [{"text": "Working on it", "label": "Working on it"}],
    }


def test_column_values_filter_by_ids_and_types_in_board_order(monday_sandbox):
    query = """{ items(ids: [3000000101]) {
      a: column_values(ids: ["numbers", "status"]) { id }
      b: column_values(types: [status, date]) { id }
      c: column_values(ids: ["nope"]) { id }
    } }"""
    item = data(gql(monday_sandbox, query))["items"][0]
    assert item["a"] == [{"id": "status"}, {"id": "numbers"}]
    assert item["b"] == [{"id": "status"}, {"id": "status_1"}, {"id": "date"}]
    assert item["c"] == []


def _all_types(sandbox: MondaySandbox, item_id: str) -> dict[str, dict[str, Any]]:
    query = (
        "query ($i: [ID!]) { items(ids: $i) { column_values { id type text value column { id title }"
        + ALL_FRAGMENTS
        + " } } }"
    )
    cells = data(gql(sandbox, query, {"i": [item_id]}))["items"][0]["column_values"]
    return {c["id"]: c for c in cells}


FILLED: dict[str, dict[str, Any]] = {
    "name": {"text": "Everything filled", "value": None},
    "item_id": {"text": "3000000101", "value": None, "item_id": "3000000101"},
    "status": {"text": "Done", "index": 1, "label": "Done", "is_done": True,
               "value": {"index": 1, "post_id": None, "changed_at": "2024-10-01T08:00:00.000Z"}},
    "date": {"text": "2024-06-15 14:30", "date": "2024-06-15", "time": "14:30:00",
             "value": {"date": "2024-06-15", "time": "14:30:00", "icon": None,
                       "changed_at": "2024-10-01T08:00:00.000Z"}},
    "numbers": {"text": "-12.75", "value": "-12.75", "number": -12.75, "symbol": "€",
                "direction": "right"},
    "text": {"text": 'He said "hi" / bye', "value": 'He said "hi" / bye'},
    "long_text": {"text": "Line one\nLine two ✓",
                  "value": {"text": "Line one\nLine two ✓", "changed_at": "2024-10-01T08:00:00.000Z"}},
    "people": {"text": "Ana Lopez, Sales Team",
               "persons_and_teams": [{"id": "4616627", "kind": "person"}, {"id": "665845", "kind": "team"}],
               "value": {"changed_at": "2024-10-01T08:00:00.000Z", "personsAndTeams": [
                   {"id": 4616627, "kind": "person"}, {"id": 665845, "kind": "team"}]}},
    "dropdown": {"text": "Red, Blue, dark", "values": [{"id": "1", "label": "Red"}, {"id": "3", "label": "Blue, dark"}],
                 "value": {"ids": [1, 3], "changed_at": "2024-10-01T08:00:00.000Z"}},
    "timeline": {"text": "2024-07-01 - 2024-07-14", "from": "2024-07-01", "to": "2024-07-14",
                 "visualization_type": "milestone",
                 "value": {"to": "2024-07-14", "from": "2024-07-01",
                           "changed_at": "2024-10-01T08:00:00.000Z", "visualization_type": "milestone"}},
    "checkbox": {"text": "v", "checked": True,
                 "value": {"checked": "true", "changed_at": "2024-10-01T08:00:00.000Z"}},
    "country": {"text": "Germany", "country": {"code": "DE", "name": "Germany"},
                "value": {"countryCode": "DE", "countryName": "Germany",
                          "changed_at": "2024-10-01T08:00:00.000Z"}},
    "formula": {"text": "", "value": None, "display_value": "42.5"},
    "mirror": {"text": None, "value": None, "display_value": "Mirrored text"},
    "board_relation": {"text": None, "value": None, "display_value": "Onboard ACME, Renew Globex",
                       "linked_item_ids": ["9001000001", "9001000002"]},
    "subtasks": {"text": "Only subitem", "value": None, "display_value": "Only subitem",
                 "subitems_ids": ["3000000201"]},
    "last_updated": {"text": "2024-05-02 11:30:00 UTC", "value": None,
                     "updated_at": "2024-05-02T11:30:00Z"},
}  # fmt: skip


@pytest.mark.parametrize("column_id", sorted(FILLED))
def test_every_column_type_renders_the_documented_shape(monday_sandbox, column_id):
    cell = _all_types(monday_sandbox, "3000000101")[column_id]
    expected = FILLED[column_id]
    for key, want in expected.items():
        got = cell[key]
        if key == "value" and isinstance(want, dict | str) and got is not None:
            got = json.loads(got)  # value is a string holding JSON
        assert got == want, (column_id, key)
    assert cell["column"]["id"] == column_id


# contracts.md "Empty cells": value null; text "" except status/dropdown (null) and
# mirror/board_relation (always null).
EMPTY_TEXT = {
    "status": None,
    "status_1": None,
    "dropdown": None,
    "mirror": None,
    "board_relation": None,
}


def test_empty_cells_follow_the_contract(monday_sandbox):
    cells = _all_types(monday_sandbox, "3000000102")
    for column_id, cell in cells.items():
        if column_id in ("name", "item_id"):
            continue
        assert cell["value"] is None, column_id
        assert cell["text"] == EMPTY_TEXT.get(column_id, ""), column_id
    assert cells["status"]["index"] is None
    assert cells["people"]["persons_and_teams"] == []
    assert cells["dropdown"]["values"] == []
    assert cells["board_relation"]["linked_item_ids"] == []
    assert cells["checkbox"]["checked"] is None


def test_special_characters_survive_json(monday_sandbox):
    cells = _all_types(monday_sandbox, "3000000103")
    assert cells["name"]["text"] == "Unicode 💥 and 'quotes'"
    assert cells["text"]["text"] == "DROP TABLE items; --"
    assert cells["checkbox"] == {**cells["checkbox"], "text": "", "checked": False, "value": None}
    assert cells["country"]["country"] == {"code": "XK", "name": "Kosovo"}


def test_named_fragment_on_the_interface_and_on_the_board(monday_sandbox):
    query = """{ boards(ids: [1234567890]) { ...B } }
      fragment B on Board { id items_page(limit: 1) { items { column_values(ids: ["numbers"]) { ...C } } } }
      fragment C on ColumnValue { id ...N }
      fragment N on NumbersValue { number }"""
    board = data(gql(monday_sandbox, query))["boards"][0]
    assert board["items_page"]["items"][0]["column_values"] == [{"id": "numbers", "number": 1250.5}]


def test_fragments_on_column_types_the_sandbox_does_not_serve_are_accepted(monday_sandbox):
    query = '{ items(ids: [9001000001]) { column_values(ids: ["status"]) { id ... on EmailValue { email } } } }'
    assert data(gql(monday_sandbox, query))["items"][0]["column_values"] == [{"id": "status"}]


def test_subitems_parent_item_and_items_by_id(monday_sandbox):
    query = """{ boards(ids: [1234567890]) { items_page(limit: 3) { items {
        id subitems { id name parent_item { id } board { id board_kind }
                      column_values { id text } }
        parent_item { id } } } } }"""
    items = data(gql(monday_sandbox, query))["boards"][0]["items_page"]["items"]
    first = items[0]
    assert first["parent_item"] is None
    assert [s["id"] for s in first["subitems"]] == ["9001000101", "9001000102"]
    assert first["subitems"][0]["parent_item"] == {"id": "9001000001"}
    assert first["subitems"][0]["board"] == {"id": "1234567891", "board_kind": "sub_items_board"}
    assert first["subitems"][0]["column_values"] == [
        {"id": "sub_status", "text": "Done"},
        {"id": "sub_date", "text": "2024-10-07"},
    ]
    assert items[1]["subitems"] == []
    by_id = data(
        gql(
            monday_sandbox,
            "query ($i: [ID!]) { items(ids: $i) { id name url creator_id } }",
            {"i": ["9001000102", "nope", "9001000001"]},
        )
    )["items"]
    assert [i["id"] for i in by_id] == ["9001000102", "9001000001"]
    assert by_id[1]["url"].endswith("/boards/1234567890/pulses/9001000001")
    assert by_id[0]["creator_id"]


def test_subtasks_column_lists_the_items_subitems(monday_sandbox):
    query = '{ items(ids: [9001000001]) { column_values(ids: ["subitems"]) { text ... on SubtasksValue { subitems_ids } } } }'
    cell = data(gql(monday_sandbox, query))["items"][0]["column_values"][0]
    assert cell == {
        "text": "Kick-off call, Data migration",
        "subitems_ids": ["9001000101", "9001000102"],
    }


def test_items_by_id_limits_and_filters(monday_sandbox):
    ids = [str(n) for n in range(101)]
    entry = error(gql(monday_sandbox, "query ($i: [ID!]) { items(ids: $i) { id } }", {"i": ids}))
    assert entry["extensions"]["code"] == "ItemsLimitationException"
    query = "query ($i: [ID!], $x: Boolean) { items(ids: $i, exclude_nonactive: $x) { id state } }"
    both = data(gql(monday_sandbox, query, {"i": ["9001000004", "9001000001"]}))["items"]
    assert [i["state"] for i in both] == ["archived", "active"]
    active = data(gql(monday_sandbox, query, {"i": ["9001000004", "9001000001"], "x": True}))
    assert active["items"] == [{"id": "9001000001", "state": "active"}]


def test_board_fields_columns_and_groups(monday_sandbox):
    query = """{ boards(ids: [1234567890]) {
        id name state board_kind description items_count
        columns(types: [status, people]) { id title type settings_str }
        all: columns { id }
        groups(ids: ["new_group"]) { id title } } }"""
    board = data(gql(monday_sandbox, query))["boards"][0]
    assert board["items_count"] == 3  # the archived item does not count
    assert board["board_kind"] == "public"
    assert board["description"] == ""
    assert [c["id"] for c in board["columns"]] == ["status", "person"]
    assert json.loads(board["columns"][0]["settings_str"])["labels"]["1"] == "Done"
    assert len(board["all"]) == 6
    assert board["groups"] == [{"id": "new_group", "title": "Backlog"}]


def test_boards_state_kind_limit_and_page(monday_sandbox):
    listed = data(gql(monday_sandbox, "{ boards { id } }"))["boards"]
    assert {b["id"] for b in listed} == {ALL_TYPES, SCHEDULES, DEALS}
    archived = data(gql(monday_sandbox, "{ boards(state: archived) { id state } }"))["boards"]
    assert archived == [{"id": ARCHIVED_BOARD, "state": "archived"}]
    every = data(gql(monday_sandbox, "{ boards(state: all, limit: 2, page: 2) { id } }"))
    assert len(every["boards"]) == 2
    sub = data(
        gql(monday_sandbox, "{ boards(ids: [1234567891], board_kind: sub_items_board) { id } }")
    )
    assert sub["boards"] == [{"id": "1234567891"}]
    assert data(gql(monday_sandbox, "{ boards(ids: [999]) { id } }"))["boards"] == []
    assert data(gql(monday_sandbox, "{ __typename }")) == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (None, ["3000000101", "3000000102", "3000000103"]),
        ("archived", ["3000000104"]),
        ("deleted", ["3000000105"]),
        ("all", ["3000000101", "3000000102", "3000000103", "3000000104", "3000000105"]),
    ],
)
def test_items_page_returns_active_items_unless_asked(monday_sandbox, state, expected):
    query = "query ($s: String) { boards(ids: [3000000001]) { items_page(state: $s) { items { id } } } }"
    items = data(gql(monday_sandbox, query, {"s": state}))["boards"][0]["items_page"]["items"]
    assert [i["id"] for i in items] == expected


def test_items_page_rejects_an_unknown_state(monday_sandbox):
    query = '{ boards(ids: [3000000001]) { items_page(state: "gone") { items { id } } } }'
    assert error(gql(monday_sandbox, query))["extensions"]["code"] == "InvalidArgumentException"


# -- query_params -----------------------------------------------------------------------------

RULE_QUERY = (
    "query ($qp: ItemsQuery, $b: [ID!]) { boards(ids: $b) "
    "{ items_page(limit: 500, query_params: $qp) { items { id } } } }"
)


def _filtered(sandbox: MondaySandbox, board: str, qp: dict[str, Any]) -> list[str]:
    result = data(gql(sandbox, RULE_QUERY, {"qp": qp, "b": [board]}))
    return [i["id"] for i in result["boards"][0]["items_page"]["items"]]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([{"column_id": "status", "compare_value": ["Done"]}], ["9001000002"]),
        ([{"column_id": "status", "compare_value": [0]}], ["9001000001"]),
        ([{"column_id": "status", "compare_value": [], "operator": "is_empty"}], ["9001000003"]),
        ([{"column_id": "status", "compare_value": ["Done"], "operator": "not_any_of"}], ["9001000001", "9001000003"]),
        ([{"column_id": "status", "compare_value": ["", "Done"]}], ["9001000002", "9001000003"]),
        ([{"column_id": "numbers", "compare_value": [1000], "operator": "greater_than"}], ["9001000001"]),
        ([{"column_id": "numbers", "compare_value": [800], "operator": "lower_than_or_equal"}], ["9001000002"]),
        ([{"column_id": "numbers", "compare_value": [800, 900], "operator": "between"}], ["9001000002"]),
        ([{"column_id": "date4", "compare_value": ["2024-11-01"], "operator": "greater_than_or_equals"}], ["9001000001"]),
        ([{"column_id": "date4", "compare_value": ["2024-11-01"], "operator": "lower_than"}], ["9001000002"]),
        ([{"column_id": "name", "compare_value": ["globex"], "operator": "contains_text"}], ["9001000002"]),
        ([{"column_id": "name", "compare_value": ["acme"], "operator": "not_contains_text"}], ["9001000002", "9001000003"]),
        ([{"column_id": "name", "compare_value": ["onboard"], "operator": "starts_with"}], ["9001000001"]),
        ([{"column_id": "name", "compare_value": ["pilot"], "operator": "ends_with"}], ["9001000003"]),
        ([{"column_id": "name", "compare_value": ["renew globex"], "operator": "contains_terms"}], ["9001000002"]),
        ([{"column_id": "person", "compare_value": ["team-665845"]}], ["9001000002"]),
        ([{"column_id": "person", "compare_value": [], "operator": "is_not_empty"}], ["9001000001", "9001000002"]),
        ([{"column_id": "name", "compare_value": ["Onboard ACME"]}], ["9001000001"]),
    ],
)  # fmt: skip
def test_query_params_rules(monday_sandbox, rules, expected):
    assert _filtered(monday_sandbox, DEALS, {"rules": rules}) == expected


def test_query_params_on_dropdown_ids_or_and_order(monday_sandbox):
    friday = {"column_id": "delivery_weekdays", "compare_value": ["FRI"]}
    tuesday = {"column_id": "delivery_weekdays", "compare_value": [2]}
    both = _filtered(monday_sandbox, SCHEDULES, {"rules": [friday, tuesday]})
    assert both == ["2000000109", "2000000110"]
    either = _filtered(monday_sandbox, SCHEDULES, {"rules": [friday, tuesday], "operator": "or"})
    assert either == [
        "2000000101",
        "2000000103",
        "2000000107",
        "2000000117",
        "2000000109",
        "2000000110",
    ]
    ids = _filtered(monday_sandbox, DEALS, {"ids": [9001000003, 9001000001]})
    assert ids == ["9001000001", "9001000003"]
    by_value = _filtered(
        monday_sandbox, DEALS, {"order_by": [{"column_id": "numbers", "direction": "desc"}]}
    )
    assert by_value == ["9001000001", "9001000002", "9001000003"]
    by_name = _filtered(monday_sandbox, DEALS, {"order_by": [{"column_id": "name"}]})
    assert by_name == ["9001000003", "9001000001", "9001000002"]
    newest = _filtered(
        monday_sandbox,
        DEALS,
        {"order_by": [{"column_id": "__creation_log__", "direction": "desc"}]},
    )
    assert newest == ["9001000003", "9001000002", "9001000001"]
    by_status = _filtered(monday_sandbox, DEALS, {"order_by": [{"column_id": "status"}]})
    assert by_status == ["9001000002", "9001000001", "9001000003"]  # Done, Working on it, empty
    by_item = _filtered(
        monday_sandbox, ALL_TYPES, {"order_by": [{"column_id": "item_id", "direction": "desc"}]}
    )
    assert by_item == ["3000000103", "3000000102", "3000000101"]


@pytest.mark.parametrize(
    "qp",
    [
        {"rules": [{"column_id": "nope", "compare_value": [1]}]},
        {"rules": [{"column_id": "status", "compare_value": [1], "operator": "within_the_next"}]},
        {"rules": [{"column_id": "numbers", "compare_value": [1], "operator": "between"}]},
        {"order_by": [{"column_id": "nope"}]},
        {"ids": list(range(101))},
    ],
)
def test_query_params_reject_what_they_cannot_do(monday_sandbox, qp):
    entry = error(gql(monday_sandbox, RULE_QUERY, {"qp": qp, "b": [DEALS]}))
    assert entry["extensions"]["code"] == "InvalidArgumentException"


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ("{ boards { nope } }", "GRAPHQL_VALIDATION_FAILED", 'Cannot query field "nope" on type "Board"'),
        ("{ items_page { cursor } }", "GRAPHQL_VALIDATION_FAILED", 'field "items_page" on type "Query"'),
        ("{ boards(idz: [1]) { id } }", "GRAPHQL_VALIDATION_FAILED", 'Unknown argument "idz"'),
        ("{ boards { id { x } } }", "GRAPHQL_VALIDATION_FAILED", "must not have a selection"),
        ("{ boards { columns } }", "GRAPHQL_VALIDATION_FAILED", "must have a selection"),
        ("{ boards { ...Missing } }", "GRAPHQL_VALIDATION_FAILED", 'Unknown fragment "Missing"'),
        ("{ boards { ...on Item { id } } }", "GRAPHQL_VALIDATION_FAILED", "can never be of type"),
        ("{ boards { ...A } } fragment A on Board { ...A }", "GRAPHQL_VALIDATION_FAILED", "within itself"),
        ("mutation { create_item(board_id: 1) { id } }", "GRAPHQL_VALIDATION_FAILED", "reads only"),
        ("query ($c: String!) { next_items_page(cursor: $c) { cursor } }", "GRAPHQL_VALIDATION_FAILED", '"$c"'),
        ("{ boards { id }", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
    ],
)  # fmt: skip
def test_invalid_queries_fail_like_a_graphql_server(monday_sandbox, query, code, words):
    response = gql(monday_sandbox, query)
    assert response.status_code == 200
    entry = error(response)
    assert entry["extensions"]["code"] == code
    assert words in entry["message"]
    assert entry["locations"]


def test_operation_name_picks_the_operation(monday_sandbox):
    query = (
        "query A { boards(ids: [1234567890]) { id } } query B { boards(ids: [2000000001]) { id } }"
    )
    assert data(gql(monday_sandbox, query, operationName="B"))["boards"] == [{"id": SCHEDULES}]
    entry = error(gql(monday_sandbox, query))
    assert "operationName" in entry["message"]


def test_argument_of_the_wrong_type_is_an_argument_error(monday_sandbox):
    entry = error(
        gql(
            monday_sandbox, '{ boards(ids: [1234567890]) { items_page(limit: "many") { cursor } } }'
        )
    )
    assert entry["extensions"]["code"] == "InvalidArgumentException"
    entry = error(gql(monday_sandbox, '{ boards(limit: "x") { id } }'))
    assert entry["extensions"]["code"] == "InvalidArgumentException"


def test_next_items_page_without_cursor_is_an_argument_error(monday_sandbox):
    entry = error(gql(monday_sandbox, '{ next_items_page(cursor: "") { cursor } }'))
    assert entry["extensions"]["code"] == "InvalidArgumentException"


# -- auth, version, transport -----------------------------------------------------------------

BOARD_IDS = "{ boards(ids: [1234567890]) { id } }"


@pytest.mark.parametrize("token", [TOKEN, f"Bearer {TOKEN}", f"bearer  {TOKEN}"])
def test_auth_accepts_raw_and_bearer_tokens(monday_sandbox, token):
    assert data(gql(monday_sandbox, BOARD_IDS, token=token))["boards"] == [{"id": DEALS}]


@pytest.mark.parametrize("token", [None, "", "wrong", "Bearer wrong"])
def test_auth_rejects_missing_or_wrong_tokens(monday_sandbox, token):
    response = gql(monday_sandbox, BOARD_IDS, token=token)
    assert response.status_code == 401
    entry = error(response)
    assert entry["message"] == "User unauthorized to perform action"
    assert entry["extensions"]["code"] == "UserUnauthorizedException"
    assert entry["extensions"]["status_code"] == 401
    assert response.json()["account_id"] == 12345678


@pytest.mark.parametrize("version", [*API_VERSIONS, None, ""])  # none / empty = current
def test_api_versions_served(monday_sandbox, version):
    assert data(gql(monday_sandbox, BOARD_IDS, version=version))["boards"] == [{"id": DEALS}]


@pytest.mark.parametrize("version", ["2023-10", "2025-7", "latest"])
def test_api_version_rejects_unknown_values(monday_sandbox, version):
    response = gql(monday_sandbox, BOARD_IDS, version=version)
    assert response.status_code == 400
    assert error(response)["extensions"]["code"] == "API_VERSION_INVALID"


def test_api_version_can_be_required(monday_sandbox_factory):
    sandbox = monday_sandbox_factory(require_api_version=True)
    response = gql(sandbox, BOARD_IDS, version=None)
    assert response.status_code == 400
    assert error(response)["extensions"]["code"] == "API_VERSION_REQUIRED"
    assert gql(sandbox, BOARD_IDS).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/v1", b"{}", 404),
        ("GET", "/v2", b"", 405),
        ("POST", "/v2", b"{not json", 400),
        ("POST", "/v2", b'{"variables": {}}', 400),
        ("POST", "/v2", b"[1, 2]", 400),
        ("POST", "/v2/", b'{"query": "{ __typename }"}', 200),
    ],
)
def test_transport_errors(monday_sandbox, method, path, body, status):
    url = monday_sandbox.url.removesuffix("/v2") + path
    response = _HTTP.request(method, url, content=body, headers={"Authorization": TOKEN})
    assert response.status_code == status
    if status != 200:
        assert response.json()["status_code"] == status


def test_requests_are_logged_with_headers_query_and_variables(monday_sandbox):
    monday_sandbox.inject(Fault("status_503"))
    gql(monday_sandbox, BOARD_IDS)
    gql(monday_sandbox, FIXTURE_Q1, {"board": [DEALS], "limit": 2}, version="2025-01")
    first, second = monday_sandbox.requests
    assert (first.status, first.fault) == (503, "status_503")
    assert second.headers["api-version"] == "2025-01"
    assert second.headers["authorization"] == TOKEN
    assert second.query == FIXTURE_Q1
    assert second.variables == {"board": [DEALS], "limit": 2}
    assert (second.status, second.fault, second.complexity) == (200, None, 21)
    monday_sandbox.reset()
    assert monday_sandbox.requests == []


def test_concurrent_clients_are_served(wide_sandbox):
    results: list[list[str]] = []

    def read() -> None:
        results.append(read_all(wide_sandbox, "5000000001", limit=300))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(len(ids) == 1234 and len(set(ids)) == 1234 for ids in results)


def test_a_sandbox_bug_answers_500_and_logs_the_traceback(monday_sandbox, monkeypatch, caplog):
    def explode(*_args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(executor_module, "_ROOT", {"boards": explode})
    response = gql(monday_sandbox, BOARD_IDS)
    assert response.status_code == 500
    assert response.json() == {"error_message": "Internal server error", "status_code": 500}
    assert "boom" in caplog.text


def test_lifecycle(monday_sandbox_factory):
    sandbox = MondaySandbox(sample_boards())
    with pytest.raises(RuntimeError, match="not running"):
        _ = sandbox.url
    url = sandbox.start()
    assert sandbox.start() == url  # idempotent
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/v2")
    with httpx.Client() as client:  # a kept-alive connection is closed by stop()
        assert (
            client.post(
                url, json={"query": "{ __typename }"}, headers={"Authorization": TOKEN}
            ).status_code
            == 200
        )
        sandbox.stop()
        sandbox.stop()
        with pytest.raises(httpx.TransportError):
            client.post(url, json={"query": "{ __typename }"})
    with pytest.raises(ValueError, match="served already"):
        sandbox.add_board(sample_boards()[0])


# -- complexity -------------------------------------------------------------------------------

COMPLEXITY = "{ complexity { before after query reset_in_x_seconds } }"


def test_complexity_budget_slides_over_60_seconds(monday_sandbox_factory):
    clock = ManualClock()
    sandbox = monday_sandbox_factory(complexity_budget=100, clock=clock)
    variables = {"board": [DEALS], "limit": 2}
    first = data(gql(sandbox, FIXTURE_Q1, variables))["complexity"]
    assert (first["before"], first["after"], first["query"]) == (100, 79, 21)
    clock.advance(30)
    second = data(gql(sandbox, FIXTURE_Q1, variables))["complexity"]
    assert (second["before"], second["after"], second["reset_in_x_seconds"]) == (79, 58, 30)
    clock.advance(31)  # the first query left the window
    third = data(gql(sandbox, COMPLEXITY))["complexity"]
    assert (third["before"], third["query"]) == (79, 1)


def test_complexity_of_next_items_page_items_and_subitems(monday_sandbox):
    cursor = data(gql(monday_sandbox, FIXTURE_Q1, {"board": [DEALS], "limit": 2}))["boards"][0][
        "items_page"
    ]["cursor"]
    gql(monday_sandbox, FIXTURE_Q2, {"c": cursor, "limit": 2})
    assert monday_sandbox.requests[-1].complexity == 1 + 2 * (1 + 4)
    gql(monday_sandbox, "{ items(ids: [9001000001, 404]) { id column_values { id } } }")
    assert monday_sandbox.requests[-1].complexity == 1 + (1 + 6) + 1
    query = "{ boards(ids: [1234567890]) { columns { id } groups { id } items_page(limit: 5) { items { id subitems { id column_values { id } } } } } }"
    gql(monday_sandbox, query)
    # 1 + board 10 + 6 columns + 2 groups + 5 x (1 + 10 x (1 + 2 subitem columns))
    assert monday_sandbox.requests[-1].complexity == 1 + 10 + 6 + 2 + 5 * (1 + 10 * 3)


@pytest.mark.parametrize(
    ("version", "status", "shape"),
    [
        ("2024-10", 200, "legacy"),
        ("2025-01", 429, "full"),
        ("2025-04", 429, "full"),
        ("2025-07", 429, "trimmed"),
        ("2025-10", 429, "trimmed"),
    ],
)
def test_exhausted_budget_answers_in_the_versions_shape(
    monday_sandbox_factory, version, status, shape
):
    clock = ManualClock()
    sandbox = monday_sandbox_factory(complexity_budget=30, clock=clock)
    data(gql(sandbox, FIXTURE_Q1, {"board": [DEALS], "limit": 2}, version=version))
    clock.advance(20)
    response = gql(sandbox, FIXTURE_Q1, {"board": [DEALS], "limit": 2}, version=version)
    assert response.status_code == status
    assert response.headers["Retry-After"] == "40"
    body = response.json()
    if shape == "legacy":
        assert body["error_code"] == "ComplexityException"
        assert body["status_code"] == 429
        assert body["error_message"] == (
            "Complexity budget exhausted, query cost 21 budget remaining 9 out of 30 reset in 40 seconds"
        )
        assert body["errors"] == [body["error_message"]]
        return
    ext = error(response)["extensions"]
    assert ext["code"] == "COMPLEXITY_BUDGET_EXHAUSTED"
    assert ext["retry_in_seconds"] == 40
    if shape == "full":
        assert ext == {
            "code": "COMPLEXITY_BUDGET_EXHAUSTED",
            "complexity": 21,
            "complexity_budget_left": 9,
            "complexity_budget_limit": 30,
            "retry_in_seconds": 40,
            "status_code": 429,
        }
    else:
        assert ext == {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 40}
    clock.advance(40)
    assert data(gql(sandbox, FIXTURE_Q1, {"board": [DEALS], "limit": 2}, version=version))


def test_query_cost_above_the_budget_limit_waits_a_full_window(monday_sandbox_factory):
    sandbox = monday_sandbox_factory(complexity_budget=10)
    response = gql(sandbox, FIXTURE_Q1, {"board": [DEALS], "limit": 2})
    assert error(response)["extensions"]["retry_in_seconds"] == 60


def test_single_query_above_the_cap_is_max_complexity_exceeded(monday_sandbox_factory):
    sandbox = monday_sandbox_factory(max_query_complexity=20)
    response = gql(sandbox, FIXTURE_Q1, {"board": [DEALS], "limit": 2})
    assert response.status_code == 200
    entry = error(response)
    assert entry["extensions"]["code"] == "maxComplexityExceeded"
    assert entry["message"] == "Query has complexity of 21, which exceeds max complexity of 20"
    assert sandbox.budget.left(0) == sandbox.budget.limit  # nothing was charged


# -- faults -----------------------------------------------------------------------------------


def _ext(body: dict[str, Any]) -> dict[str, Any]:
    ext: dict[str, Any] = body["errors"][0]["extensions"]
    return ext


# kind/params -> (HTTP status, Retry-After header or None, check of the JSON body)
FAULT_CASES: list[tuple[Fault, int, str | None, Any]] = [
    (Fault("user_unauthorized"), 200, None, lambda b: b == {
        "errors": [{"message": "User unauthorized to perform action", "locations": [{"line": 2, "column": 3}],
                    "path": ["me"], "extensions": {"code": "UserUnauthorizedException", "error_data": {},
                                                   "status_code": 403}}],
        "account_id": 12345678}),
    (Fault("complexity_exhausted", version="2025-01"), 429, "60", lambda b: _ext(b) == {
        "code": "COMPLEXITY_BUDGET_EXHAUSTED", "complexity": 6182, "complexity_budget_left": 100,
        "complexity_budget_limit": 5000000, "retry_in_seconds": 60, "status_code": 429}),
    (Fault("complexity_exhausted", version="2025-07", retry_in_seconds=3), 429, "3",
     lambda b: _ext(b) == {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 3}),
    (Fault("complexity_exhausted", version="2024-10", complexity=30001, left=19986, limit=1000000,
           retry_in_seconds=3), 200, "3", lambda b: b["error_message"] == (
        "Complexity budget exhausted, query cost 30001 budget remaining 19986 out of 1000000 reset in 3 seconds")
     and b["error_code"] == "ComplexityException" and b["error_data"] == {}),
    (Fault("complexity_exhausted", version="2024-01", legacy_code="complexityBudgetExhausted"), 200, "60",
     lambda b: b["error_code"] == "complexityBudgetExhausted"),
    (Fault("max_complexity"), 200, None, lambda b: b["errors"][0]["message"] == (
        "Query has complexity of 1016020, which exceeds max complexity of 1000000")
     and _ext(b)["code"] == "maxComplexityExceeded"),
    (Fault("max_concurrency"), 429, None, lambda b: b["errors"] == [
        {"message": "Concurrency limit exceeded", "extensions": {"code": "maxConcurrencyExceeded"}}]),
    (Fault("ip_rate_limit", retry_in_seconds=7), 429, "7",
     lambda b: _ext(b) == {"code": "IP_RATE_LIMIT_EXCEEDED", "retry_in_seconds": 7}),
    (Fault("field_limit", retry_in_seconds=5), 429, "5",
     lambda b: _ext(b) == {"code": "FIELD_LIMIT_EXCEEDED", "error_data": {"retry_in_seconds": 5}}),
    (Fault("daily_limit"), 429, None, lambda b: _ext(b) == {"code": "DAILY_LIMIT_EXCEEDED"}),
    (Fault("rate_limit"), 429, "10", lambda b: _ext(b) == {"code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 10}),
    (Fault("rate_limit_legacy"), 429, None,
     lambda b: b == {"error_message": "Rate Limit Exceeded.", "status_code": 429}),
    (Fault("http_429", retry_after=1), 429, "1", lambda b: b["status_code"] == 429),
    (Fault("http_429"), 429, None, lambda b: b["status_code"] == 429),
    (Fault("internal_error"), 500, None, lambda b: b == {"error_message": "Internal server error", "status_code": 500}),
    (Fault("status_500"), 500, None, lambda b: b == {"error_message": "Internal server error", "status_code": 500}),
    (Fault("error_code", code="InvalidBoardIdException"), 200, None,
     lambda b: _ext(b) == {"code": "InvalidBoardIdException", "error_data": {}, "status_code": 400}),
    (Fault("error_code", code="ResourceNotFoundException"), 200, None,
     lambda b: _ext(b)["code"] == "ResourceNotFoundException" and _ext(b)["status_code"] == 404),
    (Fault("error_code", code="InvalidArgumentException", message="bad limit"), 200, None,
     lambda b: b["errors"][0]["message"] == "bad limit"),
    (Fault("error_code", code="ColumnValueException", error_data={"column_type": "status"}), 200, None,
     lambda b: _ext(b)["error_data"] == {"column_type": "status"}),
    (Fault("error_code", code="InvalidBoardIdException", status=400), 400, None,
     lambda b: _ext(b)["code"] == "InvalidBoardIdException"),
    (Fault("locked"), 423, None, lambda b: b == {"error_message": "Resource is currently locked", "status_code": 423}),
    (Fault("api_version_required"), 400, None, lambda b: _ext(b)["code"] == "API_VERSION_REQUIRED"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "status", "retry_after", "check"), FAULT_CASES, ids=repr)
def test_fault_answers_its_documented_shape(monday_sandbox, fault, status, retry_after, check):
    monday_sandbox.inject(fault)
    response = gql(monday_sandbox, BOARD_IDS)
    assert response.status_code == status
    assert response.headers.get("Retry-After") == retry_after
    assert check(response.json()), response.text
    assert data(gql(monday_sandbox, BOARD_IDS))  # consumed once
    assert monday_sandbox.requests[0].fault == fault.kind


@pytest.mark.parametrize("status", [502, 503, 504, 418])
def test_status_faults_answer_a_proxy_page(monday_sandbox, status):
    monday_sandbox.inject(Fault(f"status_{status}"))
    response = gql(monday_sandbox, BOARD_IDS)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html"
    assert str(status) in response.text


def test_fault_times_on_and_after(wide_sandbox):
    wide_sandbox.inject(Fault("status_500", times=3), Fault("daily_limit", on="next_items_page"))
    assert [gql(wide_sandbox, BOARD_IDS).status_code for _ in range(4)] == [500, 500, 500, 200]
    assert [f.kind for f in wide_sandbox.pending_faults] == ["daily_limit"]
    first = data(gql(wide_sandbox, PAGE_QUERY, {"b": ["5000000001"], "limit": 10}))  # not targeted
    cursor = first["boards"][0]["items_page"]["cursor"]
    assert gql(wide_sandbox, NEXT_QUERY, {"c": cursor}).status_code == 429
    assert wide_sandbox.pending_faults == []
    wide_sandbox.inject(Fault("locked", after=2))
    assert [gql(wide_sandbox, BOARD_IDS).status_code for _ in range(4)] == [200, 200, 423, 200]


def test_delay_fault_lets_a_client_time_out(monday_sandbox):
    monday_sandbox.inject(Fault("delay", seconds=1.0))
    with httpx.Client(timeout=0.2) as client, pytest.raises(httpx.ReadTimeout):
        gql(monday_sandbox, BOARD_IDS, client=client)
    assert data(gql(monday_sandbox, BOARD_IDS))["boards"] == [{"id": DEALS}]


def test_delay_fault_then_answers_normally(monday_sandbox):
    monday_sandbox.inject(Fault("delay", seconds=0.01))
    assert data(gql(monday_sandbox, BOARD_IDS))["boards"] == [{"id": DEALS}]


def test_truncated_json_is_half_of_the_real_answer(monday_sandbox):
    query = "{ boards(ids: [1234567890]) { id name columns { id title } } }"
    whole = gql(monday_sandbox, query).content
    monday_sandbox.inject(Fault("truncated_json"))
    response = gql(monday_sandbox, query)
    assert response.status_code == 200
    assert len(response.content) == len(whole) // 2
    assert whole.startswith(response.content[:40])
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_malformed_json(monday_sandbox):
    monday_sandbox.inject(Fault("malformed_json"))
    response = gql(monday_sandbox, BOARD_IDS)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_connection_reset(monday_sandbox):
    monday_sandbox.inject(Fault("connection_reset", on="boards"))
    with httpx.Client() as client, pytest.raises(httpx.TransportError):
        gql(monday_sandbox, BOARD_IDS, client=client)
    assert monday_sandbox.requests[-1].fault == "connection_reset"
    assert data(gql(monday_sandbox, BOARD_IDS))


def test_faults_on_unparseable_queries_still_fire(monday_sandbox):
    monday_sandbox.inject(Fault("status_500"))
    assert gql(monday_sandbox, "{ broken").status_code == 500


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        (("nope",), {}, "unknown fault kind"),
        (("delay",), {"secs": 1}, "takes no parameter"),
        (("error_code",), {}, "needs code"),
        (("status_500",), {"times": 0}, "times must be"),
        (("status_500",), {"after": -1}, "times must be"),
    ],
)
def test_fault_rejects_bad_arguments(args, kwargs, words):
    with pytest.raises(ValueError, match=words):
        Fault(*args, **kwargs)


def test_every_fault_kind_is_covered():
    covered = {case[0].kind for case in FAULT_CASES} - {"status_500"}
    covered |= {"delay", "truncated_json", "malformed_json", "expire_cursors", "connection_reset"}
    assert covered == set(FAULT_KINDS)
    assert "times=2" in repr(Fault("delay", times=2, seconds=1))


# -- board data -------------------------------------------------------------------------------

TINY = """
people: {"7": Ana}
boards:
  - id: "77"
    name: Tiny
    columns:
      - {id: s, title: S, type: status, settings: {labels: {"0": A, "1": B}}}
      - {id: d, title: D, type: date}
    items:
      - {id: "701", name: one, created_at: 2024-01-02T03:04:05Z, values: {s: B, d: 2024-05-06}}
"""


def test_sample_boards_cover_the_three_required_boards():
    boards = {b.id: b for b in sample_boards()}
    assert boards[DEALS].name == "Deals"
    schedules = boards[SCHEDULES]
    assert [c.type for c in schedules.columns] == ["text", "dropdown", "timeline", "status"]
    customer_ids = {
        schedules.simple_value(schedules.columns[0], r) for r in range(schedules.n_items)
    }
    assert customer_ids == {f"C{n:03d}" for n in range(1, 11)}
    all_types = boards[ALL_TYPES]
    assert {c.type for c in all_types.columns} == set(WIDE_TYPES) | {"timeline"}
    assert len(sorted(SANDBOX_DATA.glob("*.yaml"))) >= 3


def test_load_boards_from_text_path_mapping_and_list(tmp_path):
    (board,) = load_boards(TINY)
    assert board.created_at == ["2024-01-02T03:04:05Z"]  # YAML datetimes come back as ISO text
    assert board.people.get("7").name == "Ana"
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    assert load_boards(path)[0].item_ids == ["701"]
    assert load_boards(str(path))[0].item_ids == ["701"]
    single = {"id": "5", "columns": [], "items": [{"id": "51", "name": "x"}]}
    assert load_boards(single)[0].groups[0].id == "topics"
    assert load_boards([single])[0].item_names == ["x"]
    with pytest.raises(BoardDataError, match="mapping"):
        load_boards("just text")


def test_dump_and_load_round_trip_every_sample_board():
    dumped = dump_boards(sample_boards())
    again = load_boards(json.loads(json.dumps(dumped)))
    assert [board_to_dict(b) for b in again] == dumped["boards"]


@pytest.mark.parametrize(
    ("board", "words"),
    [
        ({"columns": []}, "missing 'id'"),
        ({"id": "1", "state": "gone"}, "state 'gone'"),
        ({"id": "1", "columns": [{"id": "c", "type": "color"}]}, "type 'color'"),
        ({"id": "1", "columns": [{"id": "c"}]}, "missing 'type'"),
        ({"id": "1", "items": [{"id": "a"}, {"id": "a"}]}, "duplicate item ids"),
        ({"id": "1", "items": [{"id": "a", "group_id": "nope"}]}, "group_id 'nope'"),
        ({"id": "1", "items": [{"id": "a", "values": {"x": 1}}]}, "unknown columns"),
        ({"id": "1", "columns": [{"id": "s", "type": "status", "settings": {"labels": {"0": "A"}}}],
          "items": [{"id": "a", "values": {"s": "Z"}}]}, "item a: column 's'"),
    ],
)  # fmt: skip
def test_bad_board_data_is_refused_with_a_useful_message(board, words):
    with pytest.raises(BoardDataError, match=words):
        load_boards({"boards": [board]})


class _Ctx:
    people = People()

    def item_name(self, item_id: str) -> str | None:
        return {"1": "One"}.get(item_id)


@pytest.mark.parametrize(
    ("column_type", "value", "settings"),
    [
        ("date", "2024-13-01", {}),
        ("date", "2024-01-01 25:00", {}),
        ("numbers", "abc", {}),
        ("numbers", True, {}),
        ("text", ["a"], {}),
        ("people", ["abc"], {}),
        ("dropdown", ["Nope"], {"labels": [{"id": 1, "name": "A"}]}),
        ("timeline", "2024-01-01", {}),
        ("checkbox", "yes", {}),
        ("country", "ZZ", {}),
        ("last_updated", "yesterday", {}),
        ("status", 7, {"labels": {"0": "A"}}),
    ],
)
def test_render_cell_rejects_values_that_do_not_fit(column_type, value, settings):
    column = Column("c", "C", column_type, json.dumps(settings))
    with pytest.raises(BoardDataError, match=f"column 'c' \\({column_type}\\)"):
        render_cell(column, value, _Ctx())


@pytest.mark.parametrize(
    ("column_type", "value", "settings", "expected"),
    [
        ("date", "2024-01-02T10:11:12Z", {}, {"text": "2024-01-02 10:11", "time": "10:11:12"}),
        ("numbers", "7.0", {}, {"text": "7", "number": 7}),
        ("numbers", 1e20, {}, {"text": "1e+20"}),
        ("text", 42, {}, {"text": "42"}),
        ("long_text", {"text": "hi"}, {}, {"text": "hi"}),
        ("people", 5, {}, {"text": "User 5", "persons_and_teams": [{"__typename": "PeopleEntity", "id": "5", "kind": "person"}]}),
        ("dropdown", "A", {"labels": [{"id": 1, "name": "A"}]}, {"text": "A"}),
        ("dropdown", {"labels": [1]}, {"labels": [{"id": 1, "name": "A"}]}, {"text": "A"}),
        ("timeline", ["2024-01-01", "2024-01-03"], {}, {"text": "2024-01-01 - 2024-01-03"}),
        ("checkbox", {"checked": True}, {}, {"text": "v"}),
        ("country", {"code": "FR"}, {}, {"text": "France"}),
        ("formula", "x", {}, {"display_value": "x"}),
        ("formula", 3, {}, {"display_value": "3"}),
        ("board_relation", ["1", "2"], {}, {"display_value": "One, 2"}),
        ("subtasks", ["1"], {}, {"text": "One", "subitems_ids": ["1"]}),
        ("last_updated", {"updated_at": "2024-01-01T00:00:00Z"}, {}, {"text": "2024-01-01 00:00:00 UTC"}),
        ("status", {"index": 0}, {"labels": {"0": "A"}, "labels_colors": {"0": {"color": "#111111", "border": "#222222"}}},
         {"text": "A", "label_style": {"__typename": "StatusLabelStyle", "color": "#111111", "border": "#222222"}}),
    ],
)  # fmt: skip
def test_render_cell_accepts_every_simple_form(column_type, value, settings, expected):
    cell = render_cell(Column("c", "C", column_type, json.dumps(settings)), value, _Ctx())
    assert {k: cell[k] for k in expected} == expected


def test_datetime_values_from_yaml_are_accepted():
    import datetime as dt

    column = Column("d", "D", "date")
    assert (
        render_cell(column, dt.datetime(2024, 1, 2, 3, 4, 5), _Ctx())["text"] == "2024-01-02 03:04"
    )
    assert render_cell(column, dt.date(2024, 1, 2), _Ctx())["text"] == "2024-01-02"
    stamp = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    last = render_cell(Column("l", "L", "last_updated"), stamp, _Ctx())
    assert last["updated_at"] == "2024-01-02T03:04:05Z"


# -- wide boards ------------------------------------------------------------------------------


def test_wide_board_cycles_every_type_with_awkward_titles_and_empty_cells():
    board = make_wide_board("5000000001", items=2_000, columns=48, seed=7)
    assert [c.type for c in board.columns[:16]] == list(WIDE_TYPES)
    assert [c.type for c in board.columns[16:32]] == list(WIDE_TYPES)
    titles = [c.title for c in board.columns]
    assert len(set(titles)) < len(titles)  # duplicate titles
    assert any('"' in t for t in titles)
    assert any("/" in t for t in titles)
    assert any("🚀" in t for t in titles)
    assert "SELECT" in titles
    empty = np.mean([np.mean(cells.codes == 0) for cells in board.cells.values()])
    assert 0.10 < empty < 0.20
    again = make_wide_board("5000000001", items=2_000, columns=48, seed=7)
    assert [c.pool for c in again.cells.values()] == [c.pool for c in board.cells.values()]
    assert [c.codes.tolist() for c in again.cells.values()] == [
        c.codes.tolist() for c in board.cells.values()
    ]
    assert board_to_dict(make_wide_board("9", items=3, columns=16))["items"][0]["id"] == "90"


def test_wide_board_pages_parse_with_every_typed_field(monday_sandbox_factory):
    sandbox = monday_sandbox_factory([make_wide_board("5000000001", 600, 150, seed=2)])
    query = (
        "query ($b: [ID!]) { boards(ids: $b) { items_page(limit: 500) { cursor items { id name "
        "column_values { id type text value" + ALL_FRAGMENTS + " } } } } }"
    )
    page = data(gql(sandbox, query, {"b": ["5000000001"]}))["boards"][0]["items_page"]
    assert len(page["items"]) == 500
    cells = page["items"][0]["column_values"]
    assert len(cells) == 150
    assert {c["type"] for c in cells} == set(WIDE_TYPES)
    for cell in cells:
        if cell["value"] is not None:
            json.loads(cell["value"])
    by_type = {c["type"]: c for c in page["items"][7]["column_values"]}
    assert by_type["item_id"]["item_id"] == page["items"][7]["id"]
    assert by_type["name"]["text"] == page["items"][7]["name"]


# -- CLI and fixtures -------------------------------------------------------------------------


def test_cli_prints_the_url_then_serves_until_terminated(tmp_path):
    board_file = tmp_path / "tiny.yaml"
    board_file.write_text(TINY, encoding="utf-8")
    command = [
        sys.executable, "-m", "dev.shared.monday_sandbox", "--port", "0",
        "--boards", str(board_file), "--wide-items", "20", "--wide-columns", "16",
    ]  # fmt: skip
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            assert url.endswith("/v2")
            response = _HTTP.post(
                url, json={"query": "{ boards { id } }"}, headers={"Authorization": TOKEN}
            )
            assert response.json()["data"]["boards"] == [{"id": "77"}, {"id": "5000000001"}]
        finally:
            proc.terminate()
            assert proc.wait(timeout=20) == 0


def test_cli_refuses_a_missing_board_file(tmp_path, capsys):
    assert cli_main(["--boards", str(tmp_path / "missing.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_fixtures_serve_sample_boards_and_build_custom_ones(monday_sandbox, monday_sandbox_factory):
    assert {b.id for b in monday_sandbox.listed} == {ALL_TYPES, ARCHIVED_BOARD, SCHEDULES, DEALS}
    custom = monday_sandbox_factory(TINY, token="other")
    assert data(gql(custom, "{ boards { id } }", token="other"))["boards"] == [{"id": "77"}]
    assert custom.url != monday_sandbox.url


# -- end to end through shared.api_client.MondayClient ----------------------------------------


@contextlib.contextmanager
def _client(sandbox: MondaySandbox, sleeps: list[float], **kwargs: Any):
    from shared.api_client import HttpClient, MondayClient

    # MondayClient closes only an HttpClient it built itself: this one is closed here.
    with HttpClient(sandbox.url, timeout=10, max_retries=5, sleep=sleeps.append) as http:
        token = kwargs.pop("token", TOKEN)
        with MondayClient(sandbox.url, token, http=http, sleep=sleeps.append, **kwargs) as client:
            yield client


def test_monday_client_pages_a_wide_board_end_to_end(wide_sandbox):
    sleeps: list[float] = []
    with _client(wide_sandbox, sleeps) as client:
        result = client.board_items("5000000001")
    assert [i["id"] for i in result.items] == [str(50000000010 + n) for n in range(1234)]
    assert result.pages == 3
    assert result.restarts == 0
    assert result.complexity_used == sum(r.complexity or 0 for r in wide_sandbox.requests)
    assert len(result.items[0]["column_values"]) == 40
    assert sleeps == []


def test_monday_client_survives_faults_and_a_cursor_expiry_mid_board(wide_sandbox):
    wide_sandbox.inject(
        Fault("status_500", times=2),
        Fault("http_429", retry_after=1),
        Fault("complexity_exhausted", retry_in_seconds=2, on="next_items_page"),
        Fault("expire_cursors", on="next_items_page", after=1),
        Fault("truncated_json", on="next_items_page"),
        Fault("connection_reset", on="next_items_page"),
    )
    sleeps: list[float] = []
    with _client(wide_sandbox, sleeps) as client:
        result = client.board_items("5000000001")
    ids = [i["id"] for i in result.items]
    assert len(ids) == len(set(ids)) == 1234
    assert result.restarts == 1
    assert 1 in sleeps
    assert 2 in sleeps
    assert wide_sandbox.pending_faults == []


def test_monday_client_reads_subitems_and_boards(monday_sandbox):
    sleeps: list[float] = []
    with _client(monday_sandbox, sleeps) as client:
        deals = client.board_items(DEALS, subitems=True)
        boards = client.boards([DEALS, SCHEDULES])
    subitems = deals.items[0]["subitems"]
    assert [s["id"] for s in subitems] == ["9001000101", "9001000102"]
    assert subitems[0]["parent_item"] == {"id": "9001000001"}
    assert {b["id"] for b in boards} == {DEALS, SCHEDULES}
    assert any("items(ids:" in (r.query or "") for r in monday_sandbox.requests)


def test_monday_client_sees_auth_errors(monday_sandbox):
    from shared.api_client import MondayAuthError

    with _client(monday_sandbox, [], token="wrong") as client, pytest.raises(MondayAuthError):
        client.board_items(DEALS)
