"""Monday API errors: the MondayError family, and which one a response means."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .http import ApiError


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
_DAILY_LIMIT_ADVICE = (
    "the account's daily call limit is used up; it resets at midnight UTC: "
    "run again after that or make fewer calls"
)
_QUERY_TOO_COMPLEX_ADVICE = (
    "one query costs more than the per-query complexity cap: shrink the query "
    "(lower page_limit, fewer column_ids, no nested subitems)"
)
_RATE_LIMIT_ADVICE = (
    "rate or complexity limit: waited as asked and retried; if it persists, lower "
    "page_limit or concurrency, or run later"
)
_Verdict = tuple[type[MondayError], bool, str]  # (error class, retryable, advice)


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
        return [_legacy_entry(body)]
    errors = body.get("errors")
    return [_entry(error) for error in errors] if isinstance(errors, list) else []


def _legacy_entry(body: dict[str, Any]) -> _ErrorEntry:
    """The entry of a legacy top-level error (error_code, error_message, error_data)."""
    message = str(body.get("error_message") or body.get("error_code"))
    found = _RESET_IN.search(message)
    retry_in = _number(_as_dict(body.get("error_data")).get("retry_in_seconds"))
    if retry_in is None and found:
        retry_in = float(found.group(1))
    code = body.get("error_code")
    status = _number(body.get("status_code"))
    return _ErrorEntry(
        str(code) if code else None, message, int(status) if status else None, retry_in
    )


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


def _classify_entry(entry: _ErrorEntry, http_status: int) -> _Verdict:
    """(error class, retryable, advice) for one error entry."""
    key, text = _norm(entry.code), entry.message.lower()
    status = entry.status or http_status
    limit = _classify_cursor_or_limit(key, text)
    if limit is not None:
        return limit
    if key in _AUTH_CODES or status in (401, 403):
        return MondayAuthError, False, _ADVICE[MondayAuthError]
    if key in _NOT_FOUND_CODES:
        return MondayNotFoundError, False, _ADVICE[MondayNotFoundError]
    if key in _ARGUMENT_CODES:
        return MondayArgumentError, False, _ADVICE[MondayArgumentError]
    return _classify_status(status, text)


def _classify_cursor_or_limit(key: str, text: str) -> _Verdict | None:
    """An expired cursor, or a daily, per-query or rate/budget limit; None when neither."""
    if "cursor" in key or ("cursor" in text and ("expired" in text or "invalid" in text)):
        return MondayCursorExpiredError, False, _ADVICE[MondayCursorExpiredError]
    if key == "dailylimitexceeded" or "daily limit" in text:
        return MondayRateLimitError, False, _DAILY_LIMIT_ADVICE
    if key == "maxcomplexityexceeded" or "exceeds max complexity" in text:
        return MondayError, False, _QUERY_TOO_COMPLEX_ADVICE
    if key in _RATE_CODES or "rate limit exceeded" in text or "budget exhausted" in text:
        return MondayRateLimitError, True, _RATE_LIMIT_ADVICE
    return None


def _classify_status(status: int, text: str) -> _Verdict:
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
