"""Reading a board's pages ahead: each page is requested as soon as the previous one arrived.

Cursor pagination is a chain: page n+1 needs the cursor of page n. Decoding a page of 500 items
x 150 columns takes longer than fetching it, so waiting for the decode before the next request
leaves the server and the other core idle. The cursor comes first in every page body (GraphQL
answers fields in the order the query asks for them: ``complexity``, then ``cursor``, then
``items``), so it is read off the raw bytes (``peek_cursor``) the moment they arrive and the next
request goes out while this page is decoded. With a decoder that releases the GIL (the Arrow
one of monday_boards) two pages decode at once.

Rules that keep this safe:
- one request in flight at a time (the client's send lock): never more concurrency than a
  plain read, so no concurrency-limit errors;
- a page read ahead is used only when its cursor is the one the decoded page really gave;
  anything else (a peek that was wrong, a page after a failure) is discarded unread;
- only while the complexity budget has room for the pages in flight: near the budget the
  read falls back to one page at a time, with its waits;
- a page read ahead is one attempt of a whole ``_execute`` call (error shapes, budget
  accounting); when it fails, the reader retries that page itself within the same retry budget
  (the failed attempt counts) and stops reading ahead for the rest of the pass, so faults meet
  the same retries, in the same order, as in a plain read.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self

from .http import ApiError, loads_json

# "cursor":"..." within the first bytes of a body (a JSON string; null and absent: no cursor)
_CURSOR = re.compile(rb'"cursor"\s*:\s*("(?:[^"\\]|\\.)*")')
PEEK_BYTES = 4096
DEPTH = 2  # pages in flight or decoding beyond the one being taken

# (variables, context, on_body, retries, failed) -> the page's data (MondayClient._execute)
Fetch = Callable[..., dict[str, Any]]


def peek_cursor(body: bytes) -> str | None:
    """The first cursor in a page body's first bytes, or None."""
    found = _CURSOR.search(body, 0, PEEK_BYTES)
    if found is None:
        return None
    try:
        value = loads_json(found.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) and value else None


class ReadAhead:
    """Next pages of one pass over a board, requested as soon as their cursor is seen."""

    def __init__(
        self,
        fetch: Fetch,
        variables: Callable[[str], dict[str, Any]],
        context: Callable[[str], str],
        room: Callable[[int], bool],
    ) -> None:
        self._fetch, self._variables, self._context, self._room = fetch, variables, context, room
        self._pool = ThreadPoolExecutor(max_workers=DEPTH, thread_name_prefix="monday-ahead")
        self._lock = threading.Lock()
        self._pending: dict[str, Future[dict[str, Any]]] = {}
        self._seen: list[str] = []  # peeked cursors not yet requested, oldest first
        self._closed = False
        self.used = self.discarded = 0

    def on_body(self, body: bytes) -> None:
        """A page body arrived (any thread): request the page its cursor points to."""
        cursor = peek_cursor(body)
        if cursor is None:
            return
        with self._lock:
            if cursor not in self._pending and cursor not in self._seen:
                self._seen.append(cursor)
        self._launch()

    def get(self, cursor: str) -> dict[str, Any]:
        """The page at ``cursor`` (read ahead when it was, else read now)."""
        with self._lock:
            future = self._pending.pop(cursor, None)
            if cursor in self._seen:
                self._seen.remove(cursor)
        if future is None:
            return self._fetch(self._variables(cursor), self._context(cursor), self.on_body)
        try:
            data = future.result()
        except ApiError as exc:  # retried here, the failed attempt counted; no more reading ahead
            self._stop()
            return self._fetch(self._variables(cursor), self._context(cursor), None, failed=exc)
        self.used += 1
        self._launch()
        return data

    def _launch(self) -> None:
        with self._lock:
            while self._seen and not self._closed and len(self._pending) < DEPTH:
                if not self._room(len(self._pending) + 1):
                    return
                cursor = self._seen.pop(0)
                self._pending[cursor] = self._pool.submit(
                    self._fetch,
                    self._variables(cursor),
                    self._context(cursor),
                    self.on_body,
                    retries=False,
                )

    def _stop(self) -> None:
        """No more reading ahead; what is in flight finishes and is dropped unread."""
        with self._lock:
            self._closed = True
            self.discarded += len(self._pending)
            self._pending.clear()
            self._seen.clear()

    def close(self) -> None:
        """Stop, and wait for what is in flight (its results and errors are dropped)."""
        self._stop()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
