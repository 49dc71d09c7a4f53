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

from .http import MAX_SERVER_WAIT, ApiError, HttpClient, parse_retry_after
from .http import _jitter as _jitter
from .monday import MAX_CURSOR_RESTARTS as MAX_CURSOR_RESTARTS
from .monday import BoardItems, MondayClient
from .monday_errors import (
    MondayArgumentError,
    MondayAuthError,
    MondayCursorExpiredError,
    MondayError,
    MondayNotFoundError,
    MondayRateLimitError,
    classify_monday_response,
)
from .monday_pages import BOARDS_PAGE as BOARDS_PAGE
from .monday_pages import ITEMS_BY_ID_CHUNK as ITEMS_BY_ID_CHUNK
from .monday_pages import ItemSink, RawItemSink

# The paging constants and _jitter are importable from here as before the split, though not in
# __all__; a test seeds _jitter (patch its attributes: rebinding the name here has no effect).
__all__ = [
    "MAX_SERVER_WAIT",
    "ApiError",
    "BoardItems",
    "HttpClient",
    "ItemSink",
    "MondayArgumentError",
    "MondayAuthError",
    "MondayClient",
    "MondayCursorExpiredError",
    "MondayError",
    "MondayNotFoundError",
    "MondayRateLimitError",
    "RawItemSink",
    "classify_monday_response",
    "parse_retry_after",
]

# Public classes and functions name the package as their module, as before the split:
# tracebacks print shared.api_client.MondayAuthError, reprs and pickles use the public path.
for _public in __all__:
    if callable(globals()[_public]):
        globals()[_public].__module__ = __name__
del _public
