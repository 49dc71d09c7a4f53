"""MondayClient: Monday.com GraphQL calls with retries, budget waits and complete board reads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from .http import ApiError, HttpClient, _snippet, loads_json, parse_retry_after
from .monday_errors import (
    MondayAuthError,
    MondayCursorExpiredError,
    MondayError,
    _as_dict,
    _number,
    classify_monday_response,
)
from .monday_pages import Decode, ItemSink, _attach_subitems, _read_boards, _read_items

if TYPE_CHECKING:
    from types import TracebackType

    import httpx

    from shared.config import Config

_log = logging.getLogger(__package__)  # the package logger: records keep their old name
MAX_CURSOR_RESTARTS = 3


@dataclass
class BoardItems:
    """Every item of one board, in the API's shape, and what reading it cost."""

    board_id: str
    items: list[dict[str, Any]]  # empty when read into a sink
    pages: int  # pages of the final, complete pass
    complexity_used: int  # summed over every call, restarts and subitems included
    restarts: int  # times the board was restarted from page 1 after a cursor expired
    count: int = -1  # items read (those in ``items``, or given to the sink)

    def __post_init__(self) -> None:
        if self.count < 0:
            self.count = len(self.items)


class MondayClient:
    """Monday.com GraphQL client: queries, boards, and complete board reads (package doc)."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        api_version: str = "2025-07",
        page_limit: int = 500,
        http: HttpClient | None = None,
        min_budget: int = 100_000,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token or not token.strip():
            raise MondayAuthError("no Monday API token: set the MONDAY_API_TOKEN secret")
        if not 1 <= page_limit <= 500:
            raise ValueError(f"page_limit={page_limit}: Monday's items_page takes 1..500")
        self.api_url = api_url
        self.page_limit = page_limit
        self.min_budget = min_budget
        self._headers = {"Authorization": token, "API-Version": api_version}
        self._owns_http = http is None
        self.http = http or HttpClient(api_url, sleep=sleep)
        self._sleep = sleep
        self._pending_wait = 0.0
        self.last_complexity: dict[str, int] | None = None
        self.complexity_used = 0  # summed over the client's life
        # pages read ahead (monday_ahead) run in worker threads: one request at a time, and
        # the budget bookkeeping under a lock
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()

    @classmethod
    def from_config(cls, cfg: Config) -> MondayClient:
        """Client from config keys monday.* and http.* plus the MONDAY_API_TOKEN secret.

        The client owns the HttpClient it builds here: ``close()`` (or ``with``) closes it.
        """
        api_url = cfg.get_str("monday.api_url")
        token = cfg.secret("MONDAY_API_TOKEN") or ""
        settings: dict[str, Any] = {
            "api_version": cfg.get_str("monday.api_version", "2025-07"),
            "page_limit": cfg.get_int("monday.page_limit", 500, minimum=1),
            "min_budget": cfg.get_int("monday.min_budget", 100_000, minimum=0),
        }
        http = HttpClient(
            api_url,
            timeout=cfg.get_float("monday.timeout_seconds", 60),
            max_retries=cfg.get_int("http.max_retries", 5, minimum=0),
            backoff_base=cfg.get_float("http.backoff_base_seconds", 0.5),
            backoff_max=cfg.get_float("http.backoff_max_seconds", 60),
        )
        try:
            client = cls(api_url, token, http=http, **settings)
        except BaseException:
            http.close()  # a rejected token or page_limit leaves no socket behind
            raise
        client._owns_http = True
        return client

    def query(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one GraphQL query or mutation and return its ``data``."""
        return self._execute(query, variables, "query")

    def boards(
        self, ids: Sequence[str] | None = None, state: str = "active"
    ) -> list[dict[str, Any]]:
        """Boards with their columns (id title type settings_str) and groups (id title)."""
        return _read_boards(self._execute, ids, state)

    def board_items(
        self,
        board_id: str,
        *,
        column_ids: Sequence[str] | None = None,
        state: str = "active",
        subitems: bool = False,
        raw_values: bool = True,
        sink: ItemSink | None = None,
    ) -> BoardItems:
        """Every item of a board; an expired cursor restarts it from page 1 (3 times at most).

        ``raw_values=False`` leaves out each cell's ``value`` (its raw JSON string) and the
        fields its typed fragments repeat (``type``, status ``index``, people ``kind``,
        dropdown value ids, country names): under half the bytes of a page, and nothing the
        typed fields (``label``, ``number``, ``date``, ``display_value``...) do not carry.
        Subitems keep every field.

        ``sink`` takes the items page by page (``add``; ``reset`` on a restart) instead of one
        list, so a large board never sits in memory as dicts; not with ``subitems``, which
        needs every parent at the end.
        """
        if sink is not None and subitems:
            raise ValueError("board_items: a sink cannot be used with subitems=True")
        board_id = str(board_id)
        spent_before = self.complexity_used
        items, pages, restarts, count = self._read_with_restarts(
            board_id, column_ids, state, subitems, raw_values, sink
        )
        if subitems:
            _attach_subitems(self._execute, board_id, items)
        spent = self.complexity_used - spent_before
        return BoardItems(board_id, items, pages, spent, restarts, count)

    def _read_with_restarts(
        self,
        board_id: str,
        column_ids: Sequence[str] | None,
        state: str,
        subitems: bool,
        raw_values: bool,
        sink: ItemSink | None,
    ) -> tuple[list[dict[str, Any]], int, int, int]:
        """(items, pages, restarts, count): read again from page 1 while the cursor expires."""
        restarts = 0
        while True:
            if restarts and sink is not None:
                sink.reset()
            try:
                items, pages, count = _read_items(
                    self._execute,
                    board_id,
                    column_ids,
                    state,
                    subitems,
                    self.page_limit,
                    raw_values,
                    sink,
                    self._room,
                )
            except MondayCursorExpiredError as exc:
                restarts += 1
                if restarts > MAX_CURSOR_RESTARTS:
                    raise MondayCursorExpiredError(
                        f"board {board_id}: the cursor expired {restarts} times ({exc}); a full "
                        "read takes longer than the 60-minute cursor lifetime: raise page_limit, "
                        "read fewer columns, or check the budget waits",
                        code=exc.code,
                    ) from exc
                _log.warning("board %s: %s; restart %d from page 1", board_id, exc, restarts)
            else:
                return items, pages, restarts, count

    def _execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        context: str,
        decode: Decode | None = None,
        *,
        on_body: Callable[[bytes], None] | None = None,
        retries: bool = True,
        failed: ApiError | None = None,
    ) -> dict[str, Any]:
        """One GraphQL call: budget wait, attempts with retries, complexity bookkeeping.

        ``retries=False`` makes a single attempt (a page read ahead: its failure is retried by
        the reader, ``failed=`` the error, within the same budget: monday_ahead).
        """
        self._wait_for_budget()
        payload = {"query": query, "variables": dict(variables or {})}
        if retries:
            data = self.http.call_with_retries(
                lambda: self._attempt(payload, context, decode, on_body),
                f"Monday {context}",
                failed=failed,
            )
        else:
            data = self._attempt(payload, context, decode, on_body)
        self._track_complexity(data, context)
        return data

    def _attempt(
        self,
        payload: dict[str, Any],
        context: str,
        decode: Decode | None = None,
        on_body: Callable[[bytes], None] | None = None,
    ) -> dict[str, Any]:
        response = self._post(payload, context)
        if on_body is not None and response.is_success:
            on_body(response.content)  # the next page can be asked for before this one decodes
        body = decode(response.content) if decode is not None and response.is_success else None
        if body is None:  # no decoder, or it left this body (errors, another shape) to us
            body = _json_or_none(response, context)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        error = classify_monday_response(
            response.status_code, body, retry_after=retry_after, context=context
        )
        if error is not None:
            raise error
        return _data(response, body, context)

    def _post(self, payload: dict[str, Any], context: str) -> httpx.Response:
        try:
            with self._send_lock:
                return self.http.send("POST", self.api_url, json=payload, headers=self._headers)
        except ApiError as exc:  # transport failure: keep the Monday error family
            raise MondayError(
                f"Monday API {context}: {exc}", code=exc.code, retryable=exc.retryable
            ) from exc

    def _track_complexity(self, data: dict[str, Any], context: str) -> None:
        raw = _as_dict(data.get("complexity"))
        numbers = {key: _number(value) for key, value in raw.items()}
        complexity = {key: int(value) for key, value in numbers.items() if value is not None}
        if not complexity:
            return
        with self._state_lock:
            self.last_complexity = complexity
            self.complexity_used += complexity.get("query", 0)
            after = complexity.get("after")
            low = after is not None and after < self.min_budget
            if low:
                self._pending_wait = float(complexity.get("reset_in_x_seconds", 0))
        if low:
            _log.info(
                "Monday %s: complexity budget %d under min_budget %d: waiting %.0fs before "
                "the next call",
                context,
                after,
                self.min_budget,
                self._pending_wait,
            )

    def _wait_for_budget(self) -> None:
        with self._state_lock:
            wait, self._pending_wait = self._pending_wait, 0.0
        if wait > 0:
            self._sleep(wait)

    def _room(self, pages: int) -> bool:
        """Whether ``pages`` more item pages fit in the budget seen last, above min_budget (the
        gate for reading ahead; unknown budget or a wait pending: no)."""
        with self._state_lock:
            last, waiting = self.last_complexity, self._pending_wait > 0
        if last is None or waiting or "after" not in last or "query" not in last:
            return False
        return last["after"] - (pages + 1) * last["query"] >= self.min_budget

    def close(self) -> None:
        """Close the HTTP client when this MondayClient created it."""
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _json_or_none(response: httpx.Response, context: str) -> Any:
    """The decoded body; None for an error status without JSON, MondayError for a 2xx one."""
    try:
        return loads_json(response.content)
    except ValueError:
        if response.status_code < 400:
            raise MondayError(
                f"Monday API {context}: HTTP {response.status_code} with a body that is "
                f"not valid JSON: {_snippet(response, 120)} (truncated? retried as transient)",
                status=response.status_code,
                code="INVALID_JSON",
                retryable=True,
            ) from None
        return None


def _data(response: httpx.Response, body: Any, context: str) -> dict[str, Any]:
    """The ``data`` object of a response that carries no error (MondayError when absent)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise MondayError(
            f"Monday API {context}: HTTP {response.status_code} without `data` or `errors`: "
            f"{_snippet(response, 120)} (retried as transient)",
            status=response.status_code,
            code="NO_DATA",
            retryable=True,
        )
    return data
