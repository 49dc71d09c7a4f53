"""Reading board pages ahead (shared.api_client.monday_ahead) against a scripted HTTP server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dev.shared.testing.test_api_client import Reply, ScriptedServer, Seen, _expired, _monday
from shared.api_client import MondayAuthError
from shared.api_client.http import loads_json
from shared.api_client.monday_ahead import PEEK_BYTES, peek_cursor

PAGES, SIZE = 8, 2


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    yield srv
    srv.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


class Sink:
    """A RawItemSink decoding pages itself (as JSON); add() can be made slow."""

    def __init__(self, delay: float = 0.0) -> None:
        self.items: list[dict[str, Any]] = []
        self.added: list[float] = []  # when each page was taken
        self.resets = 0
        self.delay = delay

    def decode(self, body: bytes) -> dict[str, Any] | None:
        data = loads_json(body)
        return None if "errors" in data else data

    def add(self, items: Any) -> None:
        time.sleep(self.delay)
        self.items.extend(items)
        self.added.append(time.monotonic())

    def reset(self) -> None:
        self.items.clear()
        self.resets += 1


class Board:
    """A board of PAGES x SIZE items with cursors 'c<offset>', a budget, concurrency watch."""

    def __init__(self, after: int = 10_000_000, decoy: bool = False) -> None:
        self.after, self.decoy = after, decoy
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        self.arrived: dict[str | None, float] = {}  # cursor asked for -> when

    def __call__(self, seen: Seen) -> Reply:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        cursor = seen.json["variables"].get("c")
        self.arrived[cursor] = time.monotonic()
        time.sleep(0.01)
        start = int(cursor[1:]) if cursor else 0
        items = [{"id": str(n), "column_values": []} for n in range(start, start + SIZE)]
        nxt = f"c{start + SIZE}" if start + SIZE < PAGES * SIZE else None
        page = {"cursor": nxt, "items": items}
        data: dict[str, Any] = {
            "complexity": {"before": self.after + 100, "after": self.after, "query": 100}
        }
        if self.decoy:  # a "cursor" before the real one: the peek reads the wrong one
            data["decoy"] = {"cursor": "bogus"}
        data |= (
            {"boards": [{"id": "42", "items_page": page}]}
            if not cursor
            else {"next_items_page": page}
        )
        with self.lock:
            self.in_flight -= 1
        return Reply(200, {"data": data})


def test_peek_reads_the_first_cursor_of_a_body():
    assert peek_cursor(b'{"data":{"next_items_page":{"cursor":"MSw\\"x","items":[]}}}') == 'MSw"x'
    assert peek_cursor(b'{"data":{"next_items_page":{"cursor":null}}}') is None
    assert peek_cursor(b'{"data":{"next_items_page":{"cursor": ""}}}') is None
    assert peek_cursor(b" " * PEEK_BYTES + b'"cursor":"late"') is None
    assert peek_cursor(b'{"cursor":"unterminated') is None


def test_pages_are_read_ahead_one_request_at_a_time(server, sleeps):
    board, sink = Board(), Sink(delay=0.05)
    server.default = board
    with _monday(server, sleeps, page_limit=SIZE) as monday:
        result = monday.board_items("42", raw_values=False, sink=sink)
    assert [item["id"] for item in sink.items] == [str(n) for n in range(PAGES * SIZE)]
    assert (result.count, result.pages, len(server.requests)) == (PAGES * SIZE, PAGES, PAGES)
    assert result.complexity_used == 100 * PAGES
    assert board.most_in_flight == 1
    # page n+1 was asked for before page n was taken (its add() sleeps 50 ms)
    asked = [board.arrived[f"c{SIZE * n}"] for n in range(1, PAGES)]
    assert sum(a < t for a, t in zip(asked, sink.added, strict=False)) >= PAGES - 2


def test_near_the_budget_pages_are_read_one_after_the_other(server, sleeps):
    board, sink = Board(after=100_150), Sink(delay=0.02)  # min_budget 100,000: no room ahead
    server.default = board
    with _monday(server, sleeps, page_limit=SIZE) as monday:
        monday.board_items("42", raw_values=False, sink=sink)
    asked = [board.arrived[f"c{SIZE * n}"] for n in range(1, PAGES)]
    assert all(a > t for a, t in zip(asked, sink.added, strict=False))
    assert len(sink.items) == PAGES * SIZE


def test_a_wrong_peek_is_discarded_and_the_real_page_read(server, sleeps):
    board, sink = Board(decoy=True), Sink()
    server.default = board
    with _monday(server, sleeps, page_limit=SIZE) as monday:
        monday.board_items("42", raw_values=False, sink=sink)
    assert [item["id"] for item in sink.items] == [str(n) for n in range(PAGES * SIZE)]
    assert "bogus" in board.arrived  # asked for, never used


def test_an_error_on_a_page_read_ahead_surfaces_where_that_page_is_taken(server, sleeps):
    board, sink = Board(), Sink()

    def serve(seen: Seen) -> Reply:
        if seen.json["variables"].get("c") == f"c{3 * SIZE}":
            return Reply(401, {"errors": [{"message": "Not Authenticated"}]})
        return board(seen)

    server.default = serve
    with (
        _monday(server, sleeps, page_limit=SIZE) as monday,
        pytest.raises(MondayAuthError),
    ):
        monday.board_items("42", raw_values=False, sink=sink)
    assert len(sink.items) == 3 * SIZE  # pages 1-3 taken, page 4 failed
    assert max(int(c[1:]) for c in board.arrived if c) <= 4 * SIZE  # no reading on after it


def test_an_expired_cursor_on_a_page_read_ahead_restarts_the_board(server, sleeps):
    board, sink = Board(), Sink()
    expired = {"done": False}

    def serve(seen: Seen) -> Reply:
        if seen.json["variables"].get("c") == f"c{2 * SIZE}" and not expired["done"]:
            expired["done"] = True
            return _expired("code")
        return board(seen)

    server.default = serve
    with _monday(server, sleeps, page_limit=SIZE) as monday:
        result = monday.board_items("42", raw_values=False, sink=sink)
    assert result.restarts == 1
    assert sink.resets == 1
    assert [item["id"] for item in sink.items] == [str(n) for n in range(PAGES * SIZE)]
