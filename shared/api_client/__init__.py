"""HTTP client with retries, and a Monday.com GraphQL client with pagination and budget tracking."""

from __future__ import annotations

from .http import BOARDS_PAGE as BOARDS_PAGE
from .http import ITEMS_BY_ID_CHUNK as ITEMS_BY_ID_CHUNK
from .http import MAX_CURSOR_RESTARTS as MAX_CURSOR_RESTARTS
from .http import (
    MAX_SERVER_WAIT,
    ApiError,
    BoardItems,
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
from .http import _jitter as _jitter

# The paging constants and _jitter are importable from here as before the split, though not in
# __all__; a test seeds _jitter (patch its attributes: rebinding the name here has no effect).
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
