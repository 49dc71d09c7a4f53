"""Tests for shared.api_client against a scripted HTTP server on 127.0.0.1 (real sockets)."""

from __future__ import annotations

import email.utils
import json
import logging
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import graphql
import pytest

from shared import api_client as ac
from shared.api_client import (
    ApiError,
    HttpClient,
    MondayArgumentError,
    MondayAuthError,
    MondayClient,
    MondayCursorExpiredError,
    MondayError,
    MondayNotFoundError,
    MondayRateLimitError,
    classify_monday_response,
    parse_retry_after,
)
from shared.config import Config, ConfigError

pytestmark = pytest.mark.unit

# ------------------------------------------------------------------ scripted server


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str/bytes -> as is
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the test ends): provokes a client timeout
    truncate: bool = False  # promise more bytes than sent, then close


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


Script = Reply | Callable[[Seen], Reply]


class ScriptedServer:
    """Answers each request with the next scripted Reply (or callable); records requests."""

    def __init__(self) -> None:
        self.script: deque[Script] = deque()
        self.default: Callable[[Seen], Reply] | None = None
        self.requests: list[Seen] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                outer._serve(self)

            do_POST = do_GET

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # the client hung up on a hanging/truncated reply: expected

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def add(self, *replies: Script) -> None:
        self.script.extend(replies)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw
        seen = Seen(handler.command, handler.path, dict(handler.headers.items()), payload)
        self.requests.append(seen)
        if self.script:
            step = self.script.popleft()
        elif self.default is not None:
            step = self.default
        else:
            step = Reply(599, {"error": "test script exhausted"})
        reply = step(seen) if callable(step) else step
        self._write(handler, reply)

    def _write(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.hang:
            self.release.wait(10)
            return
        body = reply.body
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data) + (500 if reply.truncate else 0)))
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2] if reply.truncate else data)
        handler.wfile.flush()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    yield srv
    srv.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def _http(server: ScriptedServer, sleeps: list[float], **kwargs: Any) -> HttpClient:
    options: dict[str, Any] = {"timeout": 2.0, "max_retries": 3, "sleep": sleeps.append}
    options.update(kwargs)
    return HttpClient(server.url, **options)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------ HttpClient


def test_success_passes_headers_and_payload(server, sleeps):
    server.add(Reply(200, {"ok": True}))
    with _http(server, sleeps, headers={"X-Team": "data"}) as http:
        assert http.post_json("/v1/things", {"a": 1}) == {"ok": True}
    seen = server.requests[0]
    assert (seen.method, seen.path, seen.json) == ("POST", "/v1/things", {"a": 1})
    assert seen.headers["X-Team"] == "data"
    assert sleeps == []


def test_request_returns_response(server, sleeps):
    server.add(Reply(204))
    with _http(server, sleeps) as http:
        assert http.request("GET", "/ping").status_code == 204


def test_429_with_retry_after_seconds_waits_that_long(server, sleeps):
    server.add(Reply(429, {"e": 1}, {"Retry-After": "7"}), Reply(200, {"ok": 1}))
    with _http(server, sleeps) as http:
        assert http.post_json("/x", {}) == {"ok": 1}
    assert sleeps == [7.0]


def test_429_with_retry_after_http_date(server, sleeps):
    when = datetime.now(UTC) + timedelta(seconds=30)
    header = email.utils.format_datetime(when, usegmt=True)
    server.add(Reply(429, headers={"Retry-After": header}), Reply(200, {"ok": 1}))
    with _http(server, sleeps) as http:
        http.post_json("/x", {})
    assert len(sleeps) == 1
    assert 25 <= sleeps[0] <= 30  # the date has 1 s resolution


def test_429_without_retry_after_uses_jittered_backoff(server, sleeps):
    server.add(Reply(429), Reply(429), Reply(200, {"ok": 1}))
    with _http(server, sleeps, backoff_base=0.5, backoff_max=60) as http:
        http.post_json("/x", {})
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5  # full jitter: uniform(0, base * 2**0)
    assert 0 <= sleeps[1] <= 1.0  # then uniform(0, base * 2**1)


def test_backoff_is_capped_by_backoff_max(server, sleeps):
    server.add(*[Reply(503)] * 4, Reply(200, {"ok": 1}))
    with _http(server, sleeps, max_retries=5, backoff_base=10, backoff_max=1.5) as http:
        http.post_json("/x", {})
    assert len(sleeps) == 4
    assert all(0 <= s <= 1.5 for s in sleeps)


def test_full_jitter_draws_from_the_whole_range(server, sleeps, monkeypatch):
    calls: list[tuple[float, float]] = []

    def half(lo: float, hi: float) -> float:
        calls.append((lo, hi))
        return hi / 2

    monkeypatch.setattr(ac._jitter, "uniform", half)
    server.add(Reply(500), Reply(502), Reply(504), Reply(200, {"ok": 1}))
    with _http(server, sleeps, backoff_base=0.5, backoff_max=60) as http:
        http.post_json("/x", {})
    assert calls == [(0, 0.5), (0, 1.0), (0, 2.0)]
    assert sleeps == [0.25, 0.5, 1.0]


def test_5xx_burst_then_success(server, sleeps):
    server.add(Reply(500, "oops"), Reply(502), Reply(503), Reply(200, {"ok": 2}))
    with _http(server, sleeps) as http:
        assert http.post_json("/x", {}) == {"ok": 2}
    assert len(server.requests) == 4
    assert len(sleeps) == 3


def test_5xx_exhausts_retry_budget(server, sleeps):
    server.add(*[Reply(500, "down")] * 3)
    with _http(server, sleeps, max_retries=2) as http, pytest.raises(ApiError) as info:
        http.post_json("/x", {})
    err = info.value
    assert (err.status, err.code, err.retryable, err.attempts) == (500, "HTTP_500", True, 3)
    assert "gave up after 3 attempt(s)" in str(err)
    assert "/x" in str(err)
    assert len(server.requests) == 3
    assert len(sleeps) == 2


def test_408_is_retried(server, sleeps):
    server.add(Reply(408), Reply(200, {"ok": 1}))
    with _http(server, sleeps) as http:
        http.post_json("/x", {})
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    ("status", "advice"),
    [(400, "fix the request"), (401, "credentials"), (403, "credentials"), (404, "base URL"),
     (422, "fix the request")],
)  # fmt: skip
def test_4xx_is_not_retried(server, sleeps, status, advice):
    server.add(Reply(status, {"detail": "no"}))
    with _http(server, sleeps) as http, pytest.raises(ApiError) as info:
        http.request("GET", "/thing")
    assert info.value.status == status
    assert not info.value.retryable
    assert advice in str(info.value)
    assert len(server.requests) == 1
    assert sleeps == []


def test_read_timeout_is_retried(server, sleeps):
    server.add(Reply(hang=True), Reply(200, {"ok": 1}))
    with _http(server, sleeps, timeout=0.5) as http:
        assert http.post_json("/slow", {}) == {"ok": 1}
    assert len(sleeps) == 1


def test_read_timeout_exhausted_names_timeout(server, sleeps):
    server.add(Reply(hang=True), Reply(hang=True))
    with _http(server, sleeps, timeout=0.2, max_retries=1) as http, pytest.raises(ApiError) as e:
        http.post_json("/slow", {})
    assert e.value.code == "ReadTimeout"
    assert e.value.retryable
    assert "0.2s timeout" in str(e.value)


def test_connect_error_is_retried_then_raised(sleeps):
    http = HttpClient(f"http://127.0.0.1:{_free_port()}", max_retries=2, sleep=sleeps.append)
    with http, pytest.raises(ApiError) as info:
        http.request("GET", "/")
    assert info.value.code == "ConnectError"
    assert info.value.retryable
    assert len(sleeps) == 2


def test_unsupported_protocol_is_not_retried(sleeps):
    http = HttpClient("ftp://example.invalid", sleep=sleeps.append)
    with http, pytest.raises(ApiError) as info:
        http.request("GET", "/file")
    assert not info.value.retryable
    assert "check the URL" in str(info.value)
    assert sleeps == []


def test_truncated_body_is_retried(server, sleeps):
    server.add(Reply(200, {"data": "x" * 200}, truncate=True), Reply(200, {"ok": 1}))
    with _http(server, sleeps) as http:
        assert http.post_json("/x", {}) == {"ok": 1}
    assert len(sleeps) == 1


@pytest.mark.parametrize("body", ['{"ok": 1', "<html>gateway</html>", ""])
def test_malformed_json_in_2xx_is_retried(server, sleeps, body):
    server.add(Reply(200, body), Reply(200, {"ok": 1}))
    with _http(server, sleeps) as http:
        assert http.post_json("/x", {}) == {"ok": 1}
    assert len(sleeps) == 1


def test_malformed_json_every_time_raises_invalid_json(server, sleeps):
    server.add(*[Reply(200, '{"half":')] * 2)
    with _http(server, sleeps, max_retries=1) as http, pytest.raises(ApiError) as info:
        http.post_json("/x", {})
    assert info.value.code == "INVALID_JSON"
    assert "not valid JSON" in str(info.value)


def test_server_wait_over_cap_fails_fast(server, sleeps):
    server.add(Reply(429, headers={"Retry-After": str(int(ac.MAX_SERVER_WAIT) + 1)}))
    with _http(server, sleeps) as http, pytest.raises(ApiError) as info:
        http.post_json("/x", {})
    assert "run again later" in str(info.value)
    assert sleeps == []


def test_retry_is_logged(server, sleeps, caplog):
    server.add(Reply(503), Reply(200, {"ok": 1}))
    with caplog.at_level(logging.WARNING, logger="shared.api_client"), _http(server, sleeps) as h:
        h.post_json("/x", {})
    assert "retry 1/3" in caplog.text


@pytest.mark.parametrize(
    "kwargs", [{"max_retries": -1}, {"timeout": 0}, {"backoff_base": -1}, {"backoff_max": -2}]
)
def test_client_rejects_bad_settings(kwargs):
    with pytest.raises(ValueError, match="HttpClient"):
        HttpClient("http://127.0.0.1", **kwargs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("  ", None), ("12", 12.0), ("1.5", 1.5), ("-3", 0.0),
     ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
     ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0)],
)  # fmt: skip
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_future_date():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:01:30 GMT", now=now) == 90.0


# ------------------------------------------------------------------ Monday fixtures (contracts.md)

CURSOR = "MSwxMjM0NTY3ODkwLGlfWHJsSW9KdVRHWHNVVnhpcXhfZCwyLDJ8NDE0NTc1NTExOQ"
RESPONSE_1 = json.loads(r"""
{"data":{"complexity":{"before":10000000,"after":9997460,"query":2540,"reset_in_x_seconds":60},
 "boards":[{"items_page":{"cursor":"MSwxMjM0NTY3ODkwLGlfWHJsSW9KdVRHWHNVVnhpcXhfZCwyLDJ8NDE0NTc1NTExOQ",
  "items":[
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
     {"id":"person","type":"people","text":"Sales Team","value":"{\"changed_at\":\"2024-10-01T10:00:00.000Z\",\"personsAndTeams\":[{\"id\":665845,\"kind\":\"team\"}]}","persons_and_teams":[{"id":"665845","kind":"team"}]}]}]}}]},
 "account_id":12345678}
""")  # fmt: skip
RESPONSE_2 = json.loads(r"""
{"data":{"next_items_page":{"cursor":null,"items":[
  {"id":"9001000003","name":"Initech pilot","state":"active","created_at":"2024-10-04T07:45:00Z","updated_at":"2024-10-04T07:45:00Z",
   "group":{"id":"new_group","title":"Backlog"},
   "column_values":[
    {"id":"status","type":"status","text":null,"value":null,"index":null,"label":null},
    {"id":"date4","type":"date","text":"","value":null,"date":null,"time":null},
    {"id":"numbers","type":"numbers","text":"","value":null,"number":null},
    {"id":"person","type":"people","text":"","value":null,"persons_and_teams":[]}]}]}},
 "account_id":12345678}
""")  # fmt: skip
TOKEN = "eyJhbGciOiJIUzI1NiJ9.test-token"  # secret-scan: allow (a fixed test value, not a secret)


def _monday(server: ScriptedServer, sleeps: list[float], **kwargs: Any) -> MondayClient:
    http = HttpClient(server.url, timeout=2.0, max_retries=3, sleep=sleeps.append)
    options: dict[str, Any] = {"page_limit": 2, "http": http, "sleep": sleeps.append}
    options.update(kwargs)
    return MondayClient(server.url + "/v2", TOKEN, **options)


def _fixture_pages(seen: Seen) -> Reply:
    return Reply(200, RESPONSE_2 if "next_items_page" in seen.json["query"] else RESPONSE_1)


def _item(n: int) -> dict[str, Any]:
    return {"id": str(9000 + n), "name": f"item {n}", "column_values": []}


def _page(items: list[dict[str, Any]], cursor: str | None, first: bool) -> dict[str, Any]:
    page = {"cursor": cursor, "items": items}
    data = {"boards": [{"id": "42", "items_page": page}]} if first else {"next_items_page": page}
    return {"data": data}


def _board(n_items: int, size: int) -> Callable[[Seen], Reply]:
    """A board of n_items served `size` per page; cursors are 'c<offset>'."""

    def serve(seen: Seen) -> Reply:
        cursor = seen.json["variables"].get("c")
        start = int(cursor[1:]) if cursor else 0
        items = [_item(n) for n in range(start, min(start + size, n_items))]
        nxt = f"c{start + size}" if start + size < n_items else None
        return Reply(200, _page(items, nxt, first=cursor is None))

    return serve


# ------------------------------------------------------------------ MondayClient: transport, pages


def test_pagination_over_the_contract_fixture(server, sleeps):
    server.default = _fixture_pages
    with _monday(server, sleeps) as monday:
        result = monday.board_items(
            "1234567890", column_ids=["status", "date4", "numbers", "person"]
        )
    assert [item["id"] for item in result.items] == ["9001000001", "9001000002", "9001000003"]
    assert result.items[0]["column_values"][2]["number"] == 1250.5
    assert result.items[2]["column_values"][0]["text"] is None  # empty status cell, API shape
    assert (result.pages, result.restarts, result.complexity_used) == (2, 0, 2540)
    assert monday.last_complexity == {
        "before": 10000000, "after": 9997460, "query": 2540, "reset_in_x_seconds": 60
    }  # fmt: skip
    first, second = server.requests
    assert first.path == "/v2"
    assert first.json["variables"] == {
        "board": ["1234567890"], "state": "active", "limit": 2,
        "columns": ["status", "date4", "numbers", "person"],
    }  # fmt: skip
    assert "boards(ids: $board, state: $state)" in first.json["query"]
    assert "items_page(limit: $limit)" in first.json["query"]
    assert "column_values(ids: $columns)" in first.json["query"]
    assert second.json["variables"] == {
        "c": CURSOR,
        "limit": 2,
        "columns": first.json["variables"]["columns"],
    }
    assert "next_items_page(cursor: $c, limit: $limit)" in second.json["query"]
    assert "boards" not in second.json["query"]
    for seen in server.requests:  # every query is valid GraphQL and reads the budget
        document = graphql.parse(seen.json["query"])
        assert document.definitions
        assert "complexity { before after query reset_in_x_seconds }" in seen.json["query"]
    assert sleeps == []


def test_monday_sends_raw_token_and_version_headers(server, sleeps):
    server.default = _fixture_pages
    with _monday(server, sleeps, api_version="2024-10") as monday:
        monday.board_items("1234567890")
    for seen in server.requests:
        assert seen.headers["Authorization"] == TOKEN  # raw: no "Bearer"
        assert seen.headers["API-Version"] == "2024-10"
        assert seen.headers["Content-Type"] == "application/json"


def test_board_items_without_column_filter_reads_all_columns(server, sleeps):
    server.default = _fixture_pages
    with _monday(server, sleeps) as monday:
        monday.board_items("1234567890")
    query = server.requests[0].json["query"]
    assert "column_values {" in query
    assert "$columns" not in query
    assert "columns" not in server.requests[0].json["variables"]


def _typed_fragments(query: str) -> dict[str, set[str]]:
    """Type condition -> selected field paths of every inline fragment in ``query``."""
    found: dict[str, set[str]] = {}

    def paths(selections: Any, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for sel in selections.selections:
            name = prefix + sel.name.value
            out |= paths(sel.selection_set, name + ".") if sel.selection_set else {name}
        return out

    class Visitor(graphql.Visitor):
        def enter_inline_fragment(self, node: Any, *_: Any) -> None:
            found[node.type_condition.name.value] = paths(node.selection_set)

    graphql.visit(graphql.parse(query), Visitor())
    return found


WANTED_FRAGMENTS = {
    "FormulaValue": {"display_value"},
    "MirrorValue": {"display_value"},
    "BoardRelationValue": {"display_value", "linked_item_ids"},
    "CountryValue": {"country.code", "country.name"},
    "ItemIdValue": {"item_id"},
    "LastUpdatedValue": {"updated_at"},
    "SubtasksValue": {"display_value", "subitems_ids"},
    "StatusValue": {"index", "label"},
    "NumbersValue": {"number"},
}


@pytest.mark.parametrize("subitems", [False, True])
def test_every_query_of_items_requests_the_typed_fragments(server, sleeps, subitems):
    # formula/mirror/relation cells carry their data only in these fields: without them the
    # columns synced as null through the client
    server.default = _fixture_pages
    with _monday(server, sleeps) as monday:
        monday.board_items("1234567890", column_ids=["status"], subitems=subitems)
    queries = [seen.json["query"] for seen in server.requests]
    assert len(queries) == 2  # first page, next page
    for query in queries:
        fragments = _typed_fragments(query)
        for type_name, fields in WANTED_FRAGMENTS.items():
            assert fields <= fragments.get(type_name, set()), (type_name, query)


@pytest.mark.parametrize("raw_values", [True, False])
def test_raw_values_false_leaves_value_out_of_the_item_queries(server, sleeps, raw_values):
    server.default = _fixture_pages
    with _monday(server, sleeps) as monday:
        monday.board_items("1234567890", raw_values=raw_values)
    for seen in server.requests:
        document = graphql.parse(seen.json["query"])
        cells = [
            sel
            for definition in document.definitions
            if isinstance(definition, graphql.FragmentDefinitionNode)
            for sel in definition.selection_set.selections
            if isinstance(sel, graphql.FieldNode) and sel.name.value == "column_values"
        ]
        assert len(cells) == 1
        assert cells[0].selection_set is not None
        names = {
            sel.name.value
            for sel in cells[0].selection_set.selections
            if isinstance(sel, graphql.FieldNode)
        }
        assert ("value" in names) is raw_values
        assert ("type" in names) is raw_values  # the lean read leaves out what it repeats
        assert {"id", "text"} <= names
        fragments = _typed_fragments(seen.json["query"])
        assert set(fragments) >= set(WANTED_FRAGMENTS)
        lean = {"StatusValue": {"label"}, "CountryValue": {"country.code"}}
        for type_name, fields in (WANTED_FRAGMENTS | ({} if raw_values else lean)).items():
            wanted = fields if raw_values or type_name not in lean else lean[type_name]
            assert wanted <= fragments[type_name], (type_name, fragments[type_name])
        if not raw_values:
            assert fragments["StatusValue"] == {"label"}
            assert fragments["CountryValue"] == {"country.code"}


def test_subitems_query_requests_the_typed_fragments():
    from shared.api_client.monday_pages import _SUBITEMS_QUERY

    fragments = _typed_fragments(_SUBITEMS_QUERY)
    for type_name, fields in WANTED_FRAGMENTS.items():
        assert fields <= fragments.get(type_name, set()), type_name


def test_pages_follow_cursor_until_null(server, sleeps):
    server.default = _board(n_items=7, size=2)
    with _monday(server, sleeps) as monday:
        result = monday.board_items("42")
    assert [item["id"] for item in result.items] == [str(9000 + n) for n in range(7)]
    assert result.pages == 4
    assert len(server.requests) == 4


def test_pages_stop_on_empty_items_even_with_a_cursor(server, sleeps):
    server.add(
        Reply(200, _page([_item(1)], "c1", first=True)), Reply(200, _page([], "c2", first=False))
    )
    with _monday(server, sleeps) as monday:
        result = monday.board_items("42")
    assert len(result.items) == 1
    assert result.pages == 2
    assert len(server.requests) == 2


def test_missing_board_raises_not_found_naming_it(server, sleeps):
    server.add(Reply(200, {"data": {"boards": []}}))
    with _monday(server, sleeps) as monday, pytest.raises(MondayNotFoundError) as info:
        monday.board_items("777", state="archived")
    assert "board 777" in str(info.value)
    assert "state='archived'" in str(info.value)


def test_complexity_budget_low_waits_before_next_call(server, sleeps):
    events: list[str] = []
    low = {"before": 150_000, "after": 50_000, "query": 100_000, "reset_in_x_seconds": 42}
    page1 = _page([_item(1)], "c1", first=True)
    page1["data"]["complexity"] = low
    page2 = _page([_item(2)], None, first=False)
    page2["data"]["complexity"] = {"before": 10_000_000, "after": 9_990_000, "query": 10_000,
                                   "reset_in_x_seconds": 60}  # fmt: skip

    def record(reply: dict[str, Any]) -> Callable[[Seen], Reply]:
        def serve(seen: Seen) -> Reply:
            events.append("request")
            return Reply(200, reply)

        return serve

    server.add(record(page1), record(page2))

    def sleep(seconds: float) -> None:
        events.append(f"sleep {seconds:g}")

    with _monday(server, sleeps, sleep=sleep, min_budget=100_000) as monday:
        result = monday.board_items("42")
    assert events == ["request", "sleep 42", "request"]  # the wait comes before the next call
    assert result.complexity_used == 110_000
    assert monday.complexity_used == 110_000
    assert monday.last_complexity is not None
    assert monday.last_complexity["after"] == 9_990_000


def test_complexity_budget_above_minimum_never_waits(server, sleeps):
    server.default = _fixture_pages
    with _monday(server, sleeps, min_budget=9_000_000) as monday:
        monday.board_items("1234567890")
    assert sleeps == []


def test_query_returns_data_and_tracks_complexity(server, sleeps):
    body = {"data": {"me": {"id": "1"}, "complexity": {"query": 7, "after": 5, "junk": "x"}}}
    server.add(Reply(200, body))
    with _monday(server, sleeps, min_budget=0) as monday:
        data = monday.query("query { me { id } complexity { query after } }", {"a": 1})
    assert data["me"] == {"id": "1"}
    assert monday.last_complexity == {"query": 7, "after": 5}
    assert monday.complexity_used == 7
    assert server.requests[0].json == {"query": "query { me { id } complexity { query after } }",
                                       "variables": {"a": 1}}  # fmt: skip


def test_query_without_complexity_leaves_tracking_alone(server, sleeps):
    server.add(Reply(200, {"data": {"me": None}}))
    with _monday(server, sleeps) as monday:
        monday.query("query { me { id } }")
    assert monday.last_complexity is None
    assert monday.complexity_used == 0


# ------------------------------------------------------------------ MondayClient: error shapes

COMPLEXITY_2025_01 = {"errors": [{"message": "Complexity budget exhausted", "extensions": {
    "code": "COMPLEXITY_BUDGET_EXHAUSTED", "complexity": 6182, "complexity_budget_left": 100,
    "complexity_budget_limit": 5000000, "retry_in_seconds": 60, "status_code": 429}}]}  # fmt: skip
COMPLEXITY_2025_07 = {"errors": [{"message": "Complexity budget exhausted",
    "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 15}}]}  # fmt: skip
COMPLEXITY_LEGACY = {"error_code": "ComplexityException", "status_code": 429,
    "error_message": "Complexity budget exhausted, query cost 30001 budget remaining 19986 out of "
    "1000000 reset in 3 seconds", "error_data": {},
    "errors": ["Complexity budget exhausted, ..."], "account_id": 1}  # fmt: skip
COMPLEXITY_LEGACY_CAMEL = {**COMPLEXITY_LEGACY, "error_code": "complexityBudgetExhausted",
    "error_message": "Complexity budget exhausted, query cost 5 budget remaining 1 out of "
    "1000000 reset in 8 seconds"}  # fmt: skip
UNAUTHORIZED = {"errors": [{"message": "User unauthorized to perform action",
    "locations": [{"line": 2, "column": 3}], "path": ["me"], "extensions": {
    "code": "UserUnauthorizedException", "error_data": {}, "status_code": 403}}],
    "account_id": 123456}  # fmt: skip


def _code(code: str, message: str = "failed", **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


# (status, body, headers, expected class, expected wait or None when not retried)
RETRIED = [
    pytest.param(200, COMPLEXITY_2025_01, {}, MondayRateLimitError, 60.0, id="budget-2025-01"),
    pytest.param(429, COMPLEXITY_2025_01, {}, MondayRateLimitError, 60.0, id="budget-2025-01-429"),
    pytest.param(200, COMPLEXITY_2025_07, {}, MondayRateLimitError, 15.0, id="budget-2025-07"),
    pytest.param(429, COMPLEXITY_LEGACY, {}, MondayRateLimitError, 3.0, id="budget-legacy"),
    pytest.param(429, COMPLEXITY_LEGACY_CAMEL, {}, MondayRateLimitError, 8.0, id="budget-camel"),
    pytest.param(429, _code("maxConcurrencyExceeded", "Concurrency limit exceeded"),
                 {"Retry-After": "5"}, MondayRateLimitError, 5.0, id="concurrency"),
    pytest.param(429, _code("IP_RATE_LIMIT_EXCEEDED", retry_in_seconds=20), {},
                 MondayRateLimitError, 20.0, id="ip-rate"),
    pytest.param(429, _code("FIELD_LIMIT_EXCEEDED", error_data={"retry_in_seconds": 30}), {},
                 MondayRateLimitError, 30.0, id="field-limit"),
    pytest.param(429, _code("RATE_LIMIT_EXCEEDED"), {"Retry-After": "11"}, MondayRateLimitError,
                 11.0, id="rate-limit"),
    pytest.param(200, _code("rateLimitExceeded", retry_in_seconds=4), {}, MondayRateLimitError,
                 4.0, id="rate-limit-camel"),
    pytest.param(429, {"error_message": "Rate Limit Exceeded.", "status_code": 429},
                 {"Retry-After": "9"}, MondayRateLimitError, 9.0, id="rate-limit-legacy"),
    pytest.param(500, {"error_message": "Internal server error", "status_code": 500}, {},
                 MondayError, None, id="internal-500"),
    pytest.param(423, {"error_message": "Resource is currently locked", "status_code": 423},
                 {"Retry-After": "2"}, MondayRateLimitError, 2.0, id="locked-423"),
    pytest.param(502, "<html>bad gateway</html>", {}, MondayError, None, id="gateway-html"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "body", "headers", "cls", "wait"), RETRIED)
def test_retryable_error_shapes_wait_then_succeed(server, sleeps, status, body, headers, cls, wait):
    server.add(Reply(status, body, headers), Reply(200, {"data": {"ok": True}}))
    with _monday(server, sleeps) as monday:
        assert monday.query("query { ok }") == {"ok": True}
    assert len(sleeps) == 1
    if wait is None:
        assert 0 <= sleeps[0] <= 0.5  # no server hint: jittered backoff
    else:
        assert sleeps[0] == wait


@pytest.mark.parametrize(("status", "body", "headers", "cls", "wait"), RETRIED)
def test_retryable_error_shapes_raise_when_budget_runs_out(
    server, sleeps, status, body, headers, cls, wait
):
    server.default = lambda seen: Reply(status, body, headers)
    with _monday(server, sleeps) as monday, pytest.raises(cls) as info:
        monday.query("query { ok }")
    err = info.value
    assert type(err) is cls
    assert err.retryable
    assert "gave up after 4 attempt(s)" in str(err)
    assert "Monday API query" in str(err)
    assert len(server.requests) == 4
    if cls is MondayRateLimitError:
        assert err.retry_in == wait


NOT_RETRIED = [
    pytest.param(200, UNAUTHORIZED, MondayAuthError, "MONDAY_API_TOKEN", id="unauthorized"),
    pytest.param(401, "", MondayAuthError, "MONDAY_API_TOKEN", id="http-401"),
    pytest.param(403, {"errors": [{"message": "Forbidden"}]}, MondayAuthError, "token", id="http-403"),
    pytest.param(200, _code("InvalidBoardIdException"), MondayNotFoundError, "board/item id", id="board-id"),
    pytest.param(200, _code("ResourceNotFoundException"), MondayNotFoundError, "board/item id", id="resource"),
    pytest.param(200, _code("InvalidItemIdException"), MondayNotFoundError, "board/item id", id="item-id"),
    pytest.param(200, _code("InvalidArgumentException"), MondayArgumentError, "fix the arguments", id="argument"),
    pytest.param(200, _code("InvalidColumnIdException"), MondayArgumentError, "column ids", id="column-id"),
    pytest.param(200, _code("ColumnValueException"), MondayArgumentError, "column value JSON", id="column-value"),
    pytest.param(400, _code("API_VERSION_REQUIRED"), MondayArgumentError, "fix the arguments", id="version"),
    pytest.param(429, _code("DAILY_LIMIT_EXCEEDED", "Daily limit exceeded"), MondayRateLimitError,
                 "midnight UTC", id="daily-limit"),
    pytest.param(200, _code("maxComplexityExceeded"), MondayError, "shrink the query", id="max-complexity"),
    pytest.param(200, {"errors": [{"message": "Query has complexity of 1016020, which exceeds max "
                 "complexity of 1000000"}]}, MondayError, "shrink the query", id="max-complexity-old"),
    pytest.param(200, {"errors": [{"message": "Field 'nope' doesn't exist on type 'Query'"}]},
                 MondayError, "fix the query", id="graphql-validation"),
    pytest.param(404, "not here", MondayNotFoundError, "monday.api_url", id="http-404"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "body", "cls", "advice"), NOT_RETRIED)
def test_permanent_error_shapes_fail_at_once(server, sleeps, status, body, cls, advice):
    server.add(Reply(status, body))
    with _monday(server, sleeps) as monday, pytest.raises(cls) as info:
        monday.query("query { ok }")
    assert type(info.value) is cls
    assert not info.value.retryable
    assert advice in str(info.value)
    assert len(server.requests) == 1
    assert sleeps == []


def test_error_message_names_board_page_and_code(server, sleeps):
    server.add(Reply(200, _page([_item(1)], "c1", first=True)),
               Reply(200, _code("InvalidColumnIdException", "bad column")))  # fmt: skip
    with _monday(server, sleeps) as monday, pytest.raises(MondayArgumentError) as info:
        monday.board_items("42", column_ids=["nope"])
    text = str(info.value)
    assert "board 42 page 2 (cursor c1" in text
    assert "InvalidColumnIdException: bad column" in text
    assert info.value.code == "InvalidColumnIdException"


def test_errors_with_partial_data_still_raise(server, sleeps):
    body = {"data": {"boards": [{"id": "1"}]}, **_code("ColumnValueException", "bad json")}
    server.add(Reply(200, body))
    with _monday(server, sleeps) as monday, pytest.raises(MondayArgumentError):
        monday.query("query { boards { id } }")


def test_permanent_error_wins_over_retryable_one():
    body = {"errors": [
        {"message": "x", "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 3}},
        {"message": "y", "extensions": {"code": "InvalidBoardIdException"}}]}  # fmt: skip
    error = classify_monday_response(200, body)
    assert isinstance(error, MondayNotFoundError)


def test_longest_retry_wins_among_retryable_errors():
    body = {"errors": [
        {"message": "x", "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 3}},
        {"message": "y", "extensions": {"code": "maxConcurrencyExceeded", "retry_in_seconds": 9}},
    ]}  # fmt: skip
    error = classify_monday_response(200, body)
    assert isinstance(error, MondayRateLimitError)
    assert error.retry_in == 9


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, {"data": {}}), (200, None), (200, {"errors": []}), (204, "text")],
)
def test_classify_success_shapes(status, body):
    assert classify_monday_response(status, body) is None


def test_classify_legacy_code_without_message_and_string_status():
    body = {"error_code": "RATE_LIMIT_EXCEEDED", "status_code": "429",
            "error_data": {"retry_in_seconds": "6"}}  # fmt: skip
    error = classify_monday_response(429, body)
    assert isinstance(error, MondayRateLimitError)
    assert (error.retry_in, error.status, error.code) == (6.0, 429, "RATE_LIMIT_EXCEEDED")


def test_classify_error_data_beside_extensions():
    body = {"errors": [{"message": "Field limit exceeded", "error_data": {"retry_in_seconds": 13},
                        "extensions": {"code": "FIELD_LIMIT_EXCEEDED"}}]}  # fmt: skip
    error = classify_monday_response(200, body)
    assert isinstance(error, MondayRateLimitError)
    assert error.retry_in == 13


def test_classify_bare_error_dict_without_message():
    error = classify_monday_response(200, {"errors": [{"code": "InvalidItemIdException"}]})
    assert isinstance(error, MondayNotFoundError)
    assert "InvalidItemIdException" in str(error)


def test_classify_plain_string_errors_are_permanent():
    error = classify_monday_response(200, {"errors": ["Something went wrong"]})
    assert type(error) is MondayError
    assert not error.retryable
    assert "Something went wrong" in str(error)


def test_classify_unknown_code_on_429_is_a_rate_limit():
    error = classify_monday_response(429, _code("SOME_NEW_LIMIT"), retry_after=12)
    assert isinstance(error, MondayRateLimitError)
    assert error.retryable
    assert error.retry_in == 12


def test_invalid_json_in_2xx_is_retried(server, sleeps):
    server.add(Reply(200, '{"data": {"ok"'), Reply(200, {"data": {"ok": 1}}))
    with _monday(server, sleeps) as monday:
        assert monday.query("query { ok }") == {"ok": 1}
    assert len(sleeps) == 1


def test_truncated_monday_response_is_retried(server, sleeps):
    server.add(Reply(200, RESPONSE_1, truncate=True), Reply(200, RESPONSE_1))
    with _monday(server, sleeps) as monday:
        assert monday.query("query { x }")["boards"]
    assert len(sleeps) == 1


def test_response_without_data_is_retried_then_named(server, sleeps):
    server.default = lambda seen: Reply(200, {"account_id": 1})
    with _monday(server, sleeps) as monday, pytest.raises(MondayError) as info:
        monday.query("query { ok }")
    assert info.value.code == "NO_DATA"
    assert len(server.requests) == 4


def test_transport_error_keeps_monday_error_family(sleeps):
    http = HttpClient(f"http://127.0.0.1:{_free_port()}", max_retries=1, sleep=sleeps.append)
    monday = MondayClient(http.base_url + "/v2", TOKEN, http=http)
    with http, monday, pytest.raises(MondayError) as info:
        monday.query("query { ok }")
    assert info.value.code == "ConnectError"
    assert info.value.retryable
    assert len(sleeps) == 1


# ------------------------------------------------------------------ cursor expiry


def _expired(kind: str) -> Reply:
    if kind == "code":
        return Reply(200, _code("CursorException", "The cursor provided has expired"))
    return Reply(200, {"errors": [{"message": "Cursor is invalid or expired; start again"}]})


@pytest.mark.parametrize("kind", ["code", "message"])
def test_cursor_expiry_mid_board_restarts_from_page_one(server, sleeps, kind):
    board = _board(n_items=6, size=2)
    # pass 1: page 1 ok, page 2 expired; pass 2: pages 1-3 ok
    server.add(board, _expired(kind))
    server.default = board
    with _monday(server, sleeps) as monday:
        result = monday.board_items("42")
    assert [item["id"] for item in result.items] == [str(9000 + n) for n in range(6)]  # no dupes
    assert (result.restarts, result.pages) == (1, 3)
    cursors = [seen.json["variables"].get("c") for seen in server.requests]
    assert cursors == [None, "c2", None, "c2", "c4"]
    assert sleeps == []  # an expired cursor is not waited on, the board restarts at once


def test_cursor_expiry_more_than_three_times_raises(server, sleeps):
    board = _board(n_items=6, size=2)
    for _ in range(4):
        server.add(board, _expired("code"))
    with _monday(server, sleeps) as monday, pytest.raises(MondayCursorExpiredError) as info:
        monday.board_items("42")
    assert "board 42" in str(info.value)
    assert "expired 4 times" in str(info.value)
    assert len(server.requests) == 8


def test_cursor_restart_is_logged(server, sleeps, caplog):
    board = _board(n_items=4, size=2)
    server.add(board, _expired("code"))
    server.default = board
    with caplog.at_level(logging.WARNING, logger="shared.api_client"), _monday(server, sleeps) as m:
        m.board_items("42")
    assert "restart 1 from page 1" in caplog.text


# ------------------------------------------------------------------ subitems


def test_subitems_are_read_by_id_in_chunks_of_100(server, sleeps, caplog):
    parents: list[dict[str, Any]] = [{"id": f"p{n}", "subitems": [{"id": f"s{n}-{k}"} for k in range(60)]}
               for n in range(3)]  # 180 subitems  # fmt: skip
    parents.append({"id": "p-none", "subitems": None})

    def items_by_id(seen: Seen) -> Reply:
        ids = seen.json["variables"]["ids"]
        found = [{"id": i, "name": i, "parent_item": {"id": i.split("-")[0][1:]}}
                 for i in ids if i != "s2-59"]  # one subitem deleted meanwhile  # fmt: skip
        return Reply(200, {"data": {"items": list(reversed(found))}})

    server.add(Reply(200, _page(parents, None, first=True)), items_by_id, items_by_id)
    with caplog.at_level(logging.WARNING, logger="shared.api_client"), _monday(server, sleeps) as m:
        result = m.board_items("42", column_ids=["status"], subitems=True)
    assert "subitems { id }" in server.requests[0].json["query"]
    batches = [seen.json["variables"] for seen in server.requests[1:]]
    assert [len(b["ids"]) for b in batches] == [100, 80]
    assert [b["limit"] for b in batches] == [100, 80]
    query = server.requests[1].json["query"]
    assert "items(ids: $ids, limit: $limit)" in query
    assert "parent_item { id }" in query
    assert "$columns" not in query  # subitems live on another board with other column ids
    graphql.parse(query)
    first = result.items[0]["subitems"]
    assert [sub["id"] for sub in first] == [f"s0-{k}" for k in range(60)]  # parent order kept
    assert len(result.items[2]["subitems"]) == 59
    assert result.items[3]["subitems"] == []
    assert "s2-59" in caplog.text


def test_no_subitem_query_without_subitems(server, sleeps):
    server.default = _fixture_pages
    with _monday(server, sleeps) as monday:
        monday.board_items("1234567890", subitems=True)
    assert len(server.requests) == 2  # the fixture's items carry no subitems


# ------------------------------------------------------------------ boards()


def _boards_reply(ids: list[str]) -> dict[str, Any]:
    boards = [{"id": i, "name": f"Board {i}", "state": "active",
               "columns": [{"id": "status", "title": "Status", "type": "status",
                            "settings_str": "{}"}],
               "groups": [{"id": "topics", "title": "Topics"}]} for i in ids]  # fmt: skip
    return {"data": {"boards": boards}}


def test_boards_reads_columns_and_groups(server, sleeps, caplog):
    server.add(Reply(200, _boards_reply(["1", "2"])))
    with caplog.at_level(logging.WARNING, logger="shared.api_client"), _monday(server, sleeps) as m:
        boards = m.boards(["1", "2", "3"], state="all")
    assert [b["id"] for b in boards] == ["1", "2"]
    seen = server.requests[0]
    assert seen.json["variables"] == {
        "ids": ["1", "2", "3"],
        "state": "all",
        "limit": 100,
        "page": 1,
    }
    assert "columns { id title type settings_str } groups { id title }" in seen.json["query"]
    graphql.parse(seen.json["query"])
    assert "boards not found (state=all): 3" in caplog.text


def test_boards_without_ids_pages_until_a_short_page(server, sleeps):
    server.add(Reply(200, _boards_reply([str(n) for n in range(100)])),
               Reply(200, _boards_reply(["100"])))  # fmt: skip
    with _monday(server, sleeps) as monday:
        boards = monday.boards()
    assert len(boards) == 101
    assert [seen.json["variables"]["page"] for seen in server.requests] == [1, 2]
    assert server.requests[0].json["variables"]["ids"] is None


def test_boards_with_empty_id_list_asks_nothing(server, sleeps):
    with _monday(server, sleeps) as monday:
        assert monday.boards([]) == []
    assert server.requests == []


def test_boards_tolerates_null_boards(server, sleeps):
    server.add(Reply(200, {"data": {"boards": None}}))
    with _monday(server, sleeps) as monday:
        assert monday.boards(["5"]) == []


# ------------------------------------------------------------------ construction


def test_monday_client_rejects_empty_token():
    with pytest.raises(MondayAuthError, match="MONDAY_API_TOKEN"):
        MondayClient("http://127.0.0.1/v2", "  ")


@pytest.mark.parametrize("limit", [0, 501])
def test_monday_client_rejects_page_limit_out_of_range(limit):
    with pytest.raises(ValueError, match=r"1\.\.500"):
        MondayClient("http://127.0.0.1/v2", TOKEN, page_limit=limit)


def test_monday_client_closes_only_the_http_client_it_owns(server, sleeps):
    server.add(Reply(200, {"data": {"ok": 1}}))
    monday = MondayClient(server.url + "/v2", TOKEN, sleep=sleeps.append)
    assert monday.query("query { ok }") == {"ok": 1}
    monday.close()
    assert monday.http._client.is_closed
    shared_http = HttpClient(server.url)
    with MondayClient(server.url + "/v2", TOKEN, http=shared_http):
        pass
    assert not shared_http._client.is_closed  # the caller's client stays open
    shared_http.close()


def test_from_config_reads_keys_and_secret(server, sleeps, monkeypatch):
    monkeypatch.setenv("MONDAY_API_TOKEN", TOKEN)
    values = {"monday": {"api_url": server.url + "/v2", "api_version": "2025-01",
                         "page_limit": 50, "timeout_seconds": 5, "min_budget": 7},
              "http": {"max_retries": 2, "backoff_base_seconds": 0.01,
                       "backoff_max_seconds": 0.02}}  # fmt: skip
    server.add(Reply(200, {"data": {"ok": 1}}))
    with MondayClient.from_config(Config(env="testing", values=values)) as monday:
        monday.query("query { ok }")
        assert (monday.page_limit, monday.min_budget, monday.http.max_retries) == (50, 7, 2)
        assert monday.http.timeout == 5
    assert server.requests[0].headers["API-Version"] == "2025-01"
    assert server.requests[0].headers["Authorization"] == TOKEN


# ------------------------------------------------------------------ JSON decoding


@pytest.mark.parametrize(
    "content",
    [
        b'{"data":{"items":[{"id":"1","text":"\\ud83d\\ude80 \xc3\xa9","n":1.5e3}]}}',
        b'{"status_code": NaN, "retry": Infinity}',  # json accepts these, orjson does not
        b'{"id": 18446744073709551615, "neg": -9223372036854775808}',  # 64-bit limits
        '{"utf16": "\u00e9"}'.encode("utf-16"),
        b'["lone \\ud800 surrogate"]',
    ],
)
@pytest.mark.parametrize("with_orjson", [True, False])
def test_loads_json_matches_json_loads(content, with_orjson, monkeypatch):
    if not with_orjson:
        monkeypatch.setattr(ac.http, "orjson", None)
    expected = json.loads(content)
    got = ac.http.loads_json(content)
    assert json.dumps(got) == json.dumps(expected)  # NaN-safe equality


@pytest.mark.parametrize("with_orjson", [True, False])
@pytest.mark.parametrize("content", [b'{"data": {"a": 1', b"", b"<html>502</html>"])
def test_loads_json_rejects_invalid_json_with_a_value_error(content, with_orjson, monkeypatch):
    if not with_orjson:
        monkeypatch.setattr(ac.http, "orjson", None)
    with pytest.raises(ValueError, match=r"Expecting|char 0"):
        ac.http.loads_json(content)


def test_from_config_client_closes_the_http_client_it_created(server, sleeps, monkeypatch):
    monkeypatch.setenv("MONDAY_API_TOKEN", TOKEN)
    cfg = Config(env="testing", values={"monday": {"api_url": server.url + "/v2"}})
    server.add(Reply(200, {"data": {"ok": 1}}))
    with MondayClient.from_config(cfg) as monday:
        monday.query("query { ok }")
        assert not monday.http._client.is_closed
    assert monday.http._client.is_closed  # no unclosed-socket ResourceWarning


def test_from_config_with_a_blank_token_leaves_no_http_client_open(monkeypatch):
    monkeypatch.setenv("MONDAY_API_TOKEN", "   ")
    created: list[HttpClient] = []
    real_init = HttpClient.__init__

    def spy(self: HttpClient, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        created.append(self)

    monkeypatch.setattr(HttpClient, "__init__", spy)
    cfg = Config(env="testing", values={"monday": {"api_url": "http://127.0.0.1/v2"}})
    with pytest.raises(MondayAuthError, match="MONDAY_API_TOKEN"):
        MondayClient.from_config(cfg)
    assert all(http._client.is_closed for http in created)


def test_from_config_without_token_names_the_secret(monkeypatch):
    monkeypatch.delenv("MONDAY_API_TOKEN", raising=False)
    cfg = Config(env="testing", values={"monday": {"api_url": "http://127.0.0.1/v2"}})
    with pytest.raises(ConfigError, match="MONDAY_API_TOKEN"):
        MondayClient.from_config(cfg)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))


@pytest.mark.parametrize("status_code", [float("inf"), float("nan"), "1e999", "-inf"])
def test_non_finite_numbers_in_error_bodies_are_ignored(status_code):
    # found by the reliability suite's fuzzing: int(inf) raised OverflowError
    error = classify_monday_response(500, {"error_code": "X", "status_code": status_code})
    assert isinstance(error, MondayError)
    assert error.status == 500
