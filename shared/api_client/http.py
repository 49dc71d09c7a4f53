"""HTTP client with retries, and a Monday.com GraphQL client with pagination and budget tracking.

``HttpClient`` wraps one ``httpx.Client`` (timeouts, redirects followed) and retries what is
transient: transport errors (connect errors, timeouts, dropped connections, truncated bodies),
HTTP 408/429/5xx and, in ``post_json``, a 2xx body that is not valid JSON. Waits use exponential
backoff with full jitter (``uniform(0, min(backoff_max, backoff_base * 2**n))``) unless the server
names a wait (``Retry-After`` in seconds or as an HTTP date, Monday's ``retry_in_seconds``); a
server wait longer than ``MAX_SERVER_WAIT`` is not slept through but raised at once. Other 4xx
are raised at once. Everything raised is an ``ApiError`` (``status``, ``code``, ``retryable``).

``MondayClient`` speaks Monday's GraphQL API (../reference contracts, section 1): raw token in
``Authorization``, ``API-Version`` always sent, ``items_page`` under ``boards`` for page 1 then
root ``next_items_page`` until the cursor is null or a page is empty, ``complexity`` read on
every call (when ``after`` drops under ``min_budget`` the next call first waits
``reset_in_x_seconds``), every documented error shape classified into ``MondayError``
subclasses, and an expired cursor restarting the board from page 1 (at most 3 times).

Example::

    with MondayClient.from_config(cfg) as monday:
        result = monday.board_items("1234567890", column_ids=["status", "date4"])
        log.info("read %d items in %d pages", len(result.items), result.pages)
"""

from __future__ import annotations

import email.utils
import functools
import logging
import math
import random
import re
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

if TYPE_CHECKING:
    from types import TracebackType

    from shared.config import Config

__all__ = [
    "MAX_SERVER_WAIT",
    "ApiError",
    "BoardItems",
    "HttpClient",
    "MondayArgumentError",
    "MondayAuthError",
    "MondayClient",
    "MondayCursorExpiredError",
    "MondayError",
    "MondayNotFoundError",
    "MondayRateLimitError",
    "classify_monday_response",
    "parse_retry_after",
]

_log = logging.getLogger(__package__)  # the package logger: records keep their old name
_T = TypeVar("_T")
_jitter = random.Random()  # module-level so a test can seed it
MAX_SERVER_WAIT = 900.0  # seconds; a longer server-requested wait fails fast instead of hanging
MAX_CURSOR_RESTARTS = 3
ITEMS_BY_ID_CHUNK = 100  # root items(ids:) takes at most 100 ids
BOARDS_PAGE = 100


class ApiError(Exception):
    """A failed HTTP/API call; ``retryable`` says whether trying again later can help."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retryable: bool = False,
        retry_in: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable
        self.retry_in = retry_in  # the wait the server asked for, when it named one
        self.attempts = 1

    def gave_up(self, attempts: int, why: str) -> Self:
        """Record that retrying stopped, and say so in the message."""
        self.attempts = attempts
        self.args = (f"{self.args[0]} [gave up after {attempts} attempt(s): {why}]",)
        return self


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verified SSL context for every client: building one costs ~0.1 s (CA bundle load)."""
    return httpx.create_ssl_context()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    """An ``httpx.Client`` with timeouts and retries of transient failures (see module doc)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 60,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_retries < 0 or backoff_base < 0 or backoff_max < 0 or timeout <= 0:
            raise ValueError(
                f"HttpClient({base_url!r}): max_retries, backoff_base and backoff_max must be "
                f">= 0 and timeout > 0 (got {max_retries}, {backoff_base}, {backoff_max}, {timeout})"
            )
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=base_url,
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            verify=_ssl_context(),
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request with retries; returns the (< 400) response or raises ApiError."""
        return self.call_with_retries(
            lambda: _check_status(self.send(method, path, **kwargs)), f"{method} {path}"
        )

    def post_json(self, path: str, payload: Any) -> Any:
        """POST ``payload`` as JSON and return the decoded JSON body (bad JSON is retried)."""

        def attempt() -> Any:
            return _json_body(_check_status(self.send("POST", path, json=payload)))

        return self.call_with_retries(attempt, f"POST {path}")

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One attempt, no retry and no status check; transport failures become ApiError."""
        try:
            return self._client.request(method, path, **kwargs)
        except httpx.RequestError as exc:
            raise self._transport_error(method, path, exc) from exc

    def call_with_retries(self, attempt: Callable[[], _T], what: str) -> _T:
        """Run ``attempt`` until it returns, retrying retryable ApiErrors within the budget."""
        number = 1
        while True:
            try:
                return attempt()
            except ApiError as exc:
                delay = self._next_delay(exc, number, what)
                _log.warning(
                    "%s failed (%s); retry %d/%d in %.2fs",
                    what,
                    exc,
                    number,
                    self.max_retries,
                    delay,
                    extra={"attempt": number, "wait_seconds": round(delay, 3)},
                )
                self._sleep(delay)
                number += 1

    def _next_delay(self, exc: ApiError, number: int, what: str) -> float:
        """The wait before retry ``number``, or re-raise ``exc`` when retrying must stop."""
        if not exc.retryable:
            raise exc
        if number > self.max_retries:
            raise exc.gave_up(number, f"retry budget of {self.max_retries} used up on {what}")
        if exc.retry_in is not None:
            if exc.retry_in > MAX_SERVER_WAIT:
                why = (
                    f"the server asked to wait {exc.retry_in:.0f}s, more than the "
                    f"{MAX_SERVER_WAIT:.0f}s cap; run again later"
                )
                raise exc.gave_up(number, why)
            return exc.retry_in
        cap = min(self.backoff_max, self.backoff_base * 2 ** (number - 1))
        return _jitter.uniform(0, cap)

    def _transport_error(self, method: str, path: str, exc: httpx.RequestError) -> ApiError:
        retryable = isinstance(exc, httpx.TransportError | httpx.DecodingError) and not isinstance(
            exc, httpx.UnsupportedProtocol
        )
        if isinstance(exc, httpx.TimeoutException):
            hint = f"no answer within the {self.timeout}s timeout"
        elif retryable:
            hint = "network or server dropped the connection"
        else:
            hint = "the request cannot work as written: check the URL"
        return ApiError(
            f"{method} {self.base_url}{path} failed: {type(exc).__name__}: {exc} ({hint})",
            code=type(exc).__name__,
            retryable=retryable,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _snippet(response: httpx.Response, limit: int = 300) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "") if text else "(empty body)"


def _check_status(response: httpx.Response) -> httpx.Response:
    status = response.status_code
    if status < 400:
        return response
    retryable = status in (408, 429) or status >= 500
    if retryable:
        advice = "transient: retried"
    elif status in (401, 403):
        advice = "check the credentials and their permissions"
    elif status == 404:
        advice = "check the base URL and path"
    else:
        advice = "the server rejected the request: fix the request"
    request = response.request
    raise ApiError(
        f"{request.method} {request.url} returned HTTP {status} {response.reason_phrase}: "
        f"{_snippet(response)} ({advice})",
        status=status,
        code=f"HTTP_{status}",
        retryable=retryable,
        retry_in=parse_retry_after(response.headers.get("Retry-After")),
    )


def _json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        request = response.request
        raise ApiError(
            f"{request.method} {request.url} returned HTTP {response.status_code} with a body "
            f"that is not valid JSON: {_snippet(response, 120)} (treated as transient)",
            status=response.status_code,
            code="INVALID_JSON",
            retryable=True,
        ) from None


# --------------------------------------------------------------------------------------------
# Monday.com


class MondayError(ApiError):
    """A Monday API error; ``code`` is Monday's error code as sent (or HTTP_<status>)."""


class MondayAuthError(MondayError):
    """401/403 or UserUnauthorizedException: the token is missing, wrong or lacks access."""


class MondayNotFoundError(MondayError):
    """A board, item or resource id does not exist or is not visible to the token."""


class MondayArgumentError(MondayError):
    """The request's arguments are wrong: column ids, column value JSON, argument values."""


class MondayRateLimitError(MondayError):
    """Budget, rate, concurrency, daily limit or lock: the server asked to come back later."""


class MondayCursorExpiredError(MondayError):
    """The items_page cursor expired (60 minute lifetime) or is invalid."""


@dataclass
class BoardItems:
    """Every item of one board, in the API's shape, and what reading it cost."""

    board_id: str
    items: list[dict[str, Any]]
    pages: int  # pages of the final, complete pass
    complexity_used: int  # summed over every call, restarts and subitems included
    restarts: int  # times the board was restarted from page 1 after a cursor expired


@dataclass(frozen=True)
class _ErrorEntry:
    code: str | None
    message: str
    status: int | None
    retry_in: float | None


_RATE_CODES = {
    "complexitybudgetexhausted",
    "complexityexception",
    "maxconcurrencyexceeded",
    "ipratelimitexceeded",
    "fieldlimitexceeded",
    "ratelimitexceeded",
    "resourcelocked",
}
_AUTH_CODES = {"userunauthorizedexception", "userunauthorized", "unauthorized", "forbidden"}
_NOT_FOUND_CODES = {
    "invalidboardidexception",
    "resourcenotfoundexception",
    "invaliditemidexception",
    "notfound",
}
_ARGUMENT_CODES = {
    "invalidargumentexception",
    "invalidcolumnidexception",
    "columnvalueexception",
    "correctedvalueexception",
    "itemslimitationexception",
    "apiversionrequired",
}
_ADVICE = {
    MondayAuthError: "check MONDAY_API_TOKEN (a personal v2 token, sent raw) and that its user "
    "can read this board",
    MondayNotFoundError: "check the board/item id and that the token's user can see it",
    MondayArgumentError: "fix the arguments: column ids, column value JSON or argument values",
    MondayCursorExpiredError: "cursors live 60 minutes: the board is read again from page 1",
}
_RESET_IN = re.compile(r"reset in (\d+(?:\.\d+)?) second", re.IGNORECASE)


def _norm(code: str | None) -> str:
    return re.sub(r"[^a-z]", "", (code or "").lower())


def _number(value: Any) -> float | None:
    """A finite number from a response field, else None (inf/nan would poison waits and codes)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _entries(body: Any) -> list[_ErrorEntry]:
    """Error entries of every documented shape: modern errors[], legacy top-level, strings."""
    if not isinstance(body, dict):
        return []
    if body.get("error_code") is not None or body.get("error_message") is not None:
        message = str(body.get("error_message") or body.get("error_code"))
        found = _RESET_IN.search(message)
        retry_in = _number(_as_dict(body.get("error_data")).get("retry_in_seconds"))
        if retry_in is None and found:
            retry_in = float(found.group(1))
        code = body.get("error_code")
        status = _number(body.get("status_code"))
        return [
            _ErrorEntry(
                str(code) if code else None, message, int(status) if status else None, retry_in
            )
        ]
    errors = body.get("errors")
    return [_entry(error) for error in errors] if isinstance(errors, list) else []


def _entry(error: Any) -> _ErrorEntry:
    if not isinstance(error, dict):
        return _ErrorEntry(None, str(error), None, None)
    ext = _as_dict(error.get("extensions"))
    places = (ext, _as_dict(ext.get("error_data")), _as_dict(error.get("error_data")), error)
    waits = [_number(place.get("retry_in_seconds")) for place in places]
    retry_in = next((wait for wait in waits if wait is not None), None)
    status = _number(ext.get("status_code"))
    code = ext.get("code") or error.get("code")
    return _ErrorEntry(
        str(code) if code else None,
        str(error.get("message") or code or "unknown error"),
        int(status) if status else None,
        retry_in,
    )


def _classify_entry(entry: _ErrorEntry, http_status: int) -> tuple[type[MondayError], bool, str]:
    """(error class, retryable, advice) for one error entry."""
    key, text = _norm(entry.code), entry.message.lower()
    status = entry.status or http_status
    if "cursor" in key or ("cursor" in text and ("expired" in text or "invalid" in text)):
        return MondayCursorExpiredError, False, _ADVICE[MondayCursorExpiredError]
    if key == "dailylimitexceeded" or "daily limit" in text:
        return (
            MondayRateLimitError,
            False,
            (
                "the account's daily call limit is used up; it resets at midnight UTC: "
                "run again after that or make fewer calls"
            ),
        )
    if key == "maxcomplexityexceeded" or "exceeds max complexity" in text:
        return (
            MondayError,
            False,
            (
                "one query costs more than the per-query complexity cap: shrink the query "
                "(lower page_limit, fewer column_ids, no nested subitems)"
            ),
        )
    if key in _RATE_CODES or "rate limit exceeded" in text or "budget exhausted" in text:
        return (
            MondayRateLimitError,
            True,
            (
                "rate or complexity limit: waited as asked and retried; if it persists, lower "
                "page_limit or concurrency, or run later"
            ),
        )
    if key in _AUTH_CODES or status in (401, 403):
        return MondayAuthError, False, _ADVICE[MondayAuthError]
    if key in _NOT_FOUND_CODES:
        return MondayNotFoundError, False, _ADVICE[MondayNotFoundError]
    if key in _ARGUMENT_CODES:
        return MondayArgumentError, False, _ADVICE[MondayArgumentError]
    return _classify_status(status, text)


def _classify_status(status: int, text: str) -> tuple[type[MondayError], bool, str]:
    if status == 423 or "locked" in text:
        return MondayRateLimitError, True, "the resource is locked: waited and retried"
    if status == 429:
        return MondayRateLimitError, True, "rate limited: waited and retried"
    if status >= 500 or status == 408 or "internal server error" in text:
        return (
            MondayError,
            True,
            (
                "server error, retried as transient; a persistent 500 usually means a nonexistent "
                "board/item id or malformed column JSON: check them"
            ),
        )
    if status == 404:
        return MondayNotFoundError, False, "check monday.api_url (the endpoint is .../v2)"
    return MondayError, False, "Monday rejected the request: fix the query or its variables"


def classify_monday_response(
    status: int, body: Any, *, retry_after: float | None = None, context: str = "request"
) -> MondayError | None:
    """The MondayError a response means (any documented shape), or None when it is a success."""
    entries = _entries(body)
    if not entries and status < 400:
        return None
    if not entries:
        entries = [_ErrorEntry(None, f"HTTP {status}", status, None)]
    errors = [_make_error(entry, status, retry_after, context) for entry in entries]
    fatal = [error for error in errors if not error.retryable]
    if fatal:
        return fatal[0]  # retrying cannot help when any part of the answer is permanent
    return max(errors, key=lambda error: error.retry_in or 0.0)


def _make_error(
    entry: _ErrorEntry, status: int, retry_after: float | None, context: str
) -> MondayError:
    cls, retryable, advice = _classify_entry(entry, status)
    code = entry.code or f"HTTP_{entry.status or status}"
    retry_in = entry.retry_in if entry.retry_in is not None else retry_after
    return cls(
        f"Monday API {context}: {code}: {entry.message} ({advice})",
        status=entry.status or status,
        code=code,
        retryable=retryable,
        retry_in=retry_in,
    )


_COMPLEXITY = "complexity { before after query reset_in_x_seconds }"
_TYPED_VALUES = """
    ... on StatusValue { index label }
    ... on DateValue { date time }
    ... on NumbersValue { number }
    ... on PeopleValue { persons_and_teams { id kind } }
    ... on DropdownValue { values { id label } }
    ... on TimelineValue { from to }
    ... on CheckboxValue { checked }"""


def _item_fragment(*, filtered: bool, subitem_ids: bool) -> str:
    columns = "column_values(ids: $columns)" if filtered else "column_values"
    subitems = " subitems { id }" if subitem_ids else ""
    return (
        "fragment ItemFields on Item {\n"
        "  id name state created_at updated_at group { id title }" + subitems + "\n"
        f"  {columns} {{\n    id type text value{_TYPED_VALUES}\n  }}\n}}"
    )


def _chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


class MondayClient:
    """Monday.com GraphQL client: queries, boards, and complete board reads (see module doc)."""

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

    @classmethod
    def from_config(cls, cfg: Config) -> MondayClient:
        """Client from config keys monday.* and http.* plus the MONDAY_API_TOKEN secret."""
        api_url = cfg.get_str("monday.api_url")
        http = HttpClient(
            api_url,
            timeout=cfg.get_float("monday.timeout_seconds", 60),
            max_retries=cfg.get_int("http.max_retries", 5, minimum=0),
            backoff_base=cfg.get_float("http.backoff_base_seconds", 0.5),
            backoff_max=cfg.get_float("http.backoff_max_seconds", 60),
        )
        return cls(
            api_url,
            cfg.secret("MONDAY_API_TOKEN") or "",
            api_version=cfg.get_str("monday.api_version", "2025-07"),
            page_limit=cfg.get_int("monday.page_limit", 500, minimum=1),
            http=http,
            min_budget=cfg.get_int("monday.min_budget", 100_000, minimum=0),
        )

    def query(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one GraphQL query or mutation and return its ``data``."""
        return self._execute(query, variables, "query")

    def boards(
        self, ids: Sequence[str] | None = None, state: str = "active"
    ) -> list[dict[str, Any]]:
        """Boards with their columns (id title type settings_str) and groups (id title)."""
        query = (
            "query ($ids: [ID!], $state: State, $limit: Int!, $page: Int!) {\n"
            f"  {_COMPLEXITY}\n"
            "  boards(ids: $ids, state: $state, limit: $limit, page: $page) {\n"
            "    id name state columns { id title type settings_str } groups { id title }\n  }\n}"
        )
        wanted = [str(board_id) for board_id in ids] if ids is not None else None
        chunks: list[list[str] | None] = (
            list(_chunks(wanted, BOARDS_PAGE)) if wanted is not None else [None]
        )
        found = [board for chunk in chunks for board in self._boards_pages(query, chunk, state)]
        if wanted is not None:
            missing = sorted(set(wanted) - {str(board.get("id")) for board in found})
            if missing:
                _log.warning("boards not found (state=%s): %s", state, ", ".join(missing))
        return found

    def _boards_pages(self, query: str, ids: list[str] | None, state: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            variables = {"ids": ids, "state": state, "limit": BOARDS_PAGE, "page": page}
            batch = self._execute(query, variables, f"boards page {page}").get("boards")
            batch = batch if isinstance(batch, list) else []
            found.extend(batch)
            if len(batch) < BOARDS_PAGE:
                return found
            page += 1

    def board_items(
        self,
        board_id: str,
        *,
        column_ids: Sequence[str] | None = None,
        state: str = "active",
        subitems: bool = False,
    ) -> BoardItems:
        """Every item of a board; an expired cursor restarts it from page 1 (3 times at most)."""
        board_id = str(board_id)
        spent_before = self.complexity_used
        restarts = 0
        while True:
            try:
                items, pages = self._read_pages(board_id, column_ids, state, subitems)
                break
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
        if subitems:
            self._attach_subitems(board_id, items)
        spent = self.complexity_used - spent_before
        return BoardItems(board_id, items, pages, spent, restarts)

    def _read_pages(
        self, board_id: str, column_ids: Sequence[str] | None, state: str, subitems: bool
    ) -> tuple[list[dict[str, Any]], int]:
        filtered = column_ids is not None
        fragment = _item_fragment(filtered=filtered, subitem_ids=subitems)
        columns_var = ", $columns: [String!]" if filtered else ""
        extra = {"columns": [str(c) for c in column_ids]} if column_ids is not None else {}
        first = (
            f"query ($board: [ID!], $state: State, $limit: Int!{columns_var}) {{\n"
            f"  {_COMPLEXITY}\n  boards(ids: $board, state: $state) {{\n"
            "    id items_page(limit: $limit) { cursor items { ...ItemFields } }\n  }\n}\n"
            + fragment
        )
        variables = {"board": [board_id], "state": state, "limit": self.page_limit, **extra}
        boards = self._execute(first, variables, f"board {board_id} page 1").get("boards")
        if not isinstance(boards, list) or not boards:
            raise MondayNotFoundError(
                f"Monday API board {board_id}: no such board with state={state!r} visible to "
                f"this token ({_ADVICE[MondayNotFoundError]})",
                code="BOARD_NOT_FOUND",
            )
        page = _as_dict(_as_dict(boards[0]).get("items_page"))
        return self._follow_cursor(board_id, page, fragment, columns_var, extra)

    def _follow_cursor(
        self,
        board_id: str,
        page: dict[str, Any],
        fragment: str,
        columns_var: str,
        extra: dict[str, Any],
    ) -> tuple[list[dict[str, Any]], int]:
        nxt = (
            f"query ($c: String!, $limit: Int!{columns_var}) {{\n  {_COMPLEXITY}\n"
            "  next_items_page(cursor: $c, limit: $limit) { cursor items { ...ItemFields } }\n}\n"
            + fragment
        )
        items: list[dict[str, Any]] = list(page.get("items") or [])
        pages = 1
        cursor, got_items = page.get("cursor"), bool(page.get("items"))
        while cursor and got_items:
            context = f"board {board_id} page {pages + 1} (cursor {str(cursor)[:24]}...)"
            variables = {"c": cursor, "limit": self.page_limit, **extra}
            page = _as_dict(self._execute(nxt, variables, context).get("next_items_page"))
            pages += 1
            items.extend(page.get("items") or [])
            cursor, got_items = page.get("cursor"), bool(page.get("items"))
        return items, pages

    def _attach_subitems(self, board_id: str, parents: list[dict[str, Any]]) -> None:
        """Replace each parent's ``subitems [{id}]`` with full subitems read by id, 100 a call."""
        ids = [str(sub["id"]) for p in parents for sub in p.get("subitems") or [] if "id" in sub]
        query = (
            f"query ($ids: [ID!], $limit: Int!) {{\n  {_COMPLEXITY}\n"
            "  items(ids: $ids, limit: $limit) { ...ItemFields parent_item { id } }\n}\n"
            + _item_fragment(filtered=False, subitem_ids=False)
        )
        by_id: dict[str, dict[str, Any]] = {}
        for number, chunk in enumerate(_chunks(ids, ITEMS_BY_ID_CHUNK), start=1):
            variables = {"ids": chunk, "limit": len(chunk)}
            data = self._execute(query, variables, f"board {board_id} subitems batch {number}")
            by_id.update({str(item["id"]): item for item in data.get("items") or []})
        for parent in parents:
            wanted = [str(sub["id"]) for sub in parent.get("subitems") or [] if "id" in sub]
            parent["subitems"] = [by_id[sub_id] for sub_id in wanted if sub_id in by_id]
        if missing := sorted(set(ids) - set(by_id)):
            _log.warning("board %s: subitems gone before they were read: %s", board_id, missing)

    def _execute(
        self, query: str, variables: Mapping[str, Any] | None, context: str
    ) -> dict[str, Any]:
        self._wait_for_budget()
        payload = {"query": query, "variables": dict(variables or {})}
        data = self.http.call_with_retries(
            lambda: self._attempt(payload, context), f"Monday {context}"
        )
        self._track_complexity(data, context)
        return data

    def _attempt(self, payload: dict[str, Any], context: str) -> dict[str, Any]:
        try:
            response = self.http.send("POST", self.api_url, json=payload, headers=self._headers)
        except ApiError as exc:  # transport failure: keep the Monday error family
            raise MondayError(
                f"Monday API {context}: {exc}", code=exc.code, retryable=exc.retryable
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
            if response.status_code < 400:
                raise MondayError(
                    f"Monday API {context}: HTTP {response.status_code} with a body that is "
                    f"not valid JSON: {_snippet(response, 120)} (truncated? retried as transient)",
                    status=response.status_code,
                    code="INVALID_JSON",
                    retryable=True,
                ) from None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        error = classify_monday_response(
            response.status_code, body, retry_after=retry_after, context=context
        )
        if error is not None:
            raise error
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

    def _track_complexity(self, data: dict[str, Any], context: str) -> None:
        raw = _as_dict(data.get("complexity"))
        numbers = {key: _number(value) for key, value in raw.items()}
        complexity = {key: int(value) for key, value in numbers.items() if value is not None}
        if not complexity:
            return
        self.last_complexity = complexity
        self.complexity_used += complexity.get("query", 0)
        after = complexity.get("after")
        if after is not None and after < self.min_budget:
            self._pending_wait = float(complexity.get("reset_in_x_seconds", 0))
            _log.info(
                "Monday %s: complexity budget %d under min_budget %d: waiting %.0fs before "
                "the next call",
                context,
                after,
                self.min_budget,
                self._pending_wait,
            )

    def _wait_for_budget(self) -> None:
        if self._pending_wait > 0:
            wait, self._pending_wait = self._pending_wait, 0.0
            self._sleep(wait)

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
