"""Error bodies of the Monday API, exactly as contracts.md section 1 documents them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: extensions.status_code the modern shape carries for each application error code
ERROR_STATUS = {
    "UserUnauthorizedException": 403,
    "InvalidBoardIdException": 400,
    "InvalidItemIdException": 400,
    "InvalidColumnIdException": 400,
    "InvalidArgumentException": 400,
    "ColumnValueException": 400,
    "CorrectedValueException": 400,
    "ItemsLimitationException": 400,
    "ResourceNotFoundException": 404,
    "CursorExpiredError": 400,
    "maxComplexityExceeded": 400,
}
_DEFAULT_MESSAGES = {
    "UserUnauthorizedException": "User unauthorized to perform action",
    "InvalidBoardIdException": "Board not found",
    "InvalidItemIdException": "Item not found in board",
    "InvalidColumnIdException": "This column ID doesn't exist for the board",
    "InvalidArgumentException": "Argument is invalid",
    "ColumnValueException": "invalid value, please check our API documentation for the correct data structure for this column",
    "CorrectedValueException": "The value was corrected",
    "ItemsLimitationException": "You have exceeded the limit of items allowed for this query",
    "ResourceNotFoundException": "The resource you requested was not found",
    "CursorExpiredError": "cursor has expired: cursors live 60 minutes from the first items_page call; start again from page 1",
}


@dataclass
class ApiFailure(Exception):
    """An error response: HTTP status, JSON body and headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def modern_error(
    code: str,
    message: str | None = None,
    *,
    path: list[str] | None = None,
    locations: list[dict[str, int]] | None = None,
    error_data: dict[str, Any] | None = None,
    status_code: int | None = None,
) -> dict[str, Any]:
    """One entry of the ``errors`` array in the modern shape (all API versions)."""
    entry: dict[str, Any] = {"message": message or _DEFAULT_MESSAGES.get(code, code)}
    if locations:
        entry["locations"] = locations
    if path:
        entry["path"] = path
    entry["extensions"] = {
        "code": code,
        "error_data": error_data or {},
        "status_code": status_code or ERROR_STATUS.get(code, 400),
    }
    return entry


def unauthorized_body(account_id: int) -> dict[str, Any]:
    """The documented UserUnauthorizedException body, verbatim."""
    entry = modern_error(
        "UserUnauthorizedException",
        path=["me"],
        locations=[{"line": 2, "column": 3}],
        status_code=403,
    )
    return {"errors": [entry], "account_id": account_id}


def complexity_exhausted(
    version: str,
    *,
    cost: int,
    left: int,
    limit: int,
    retry_in: int,
    account_id: int,
    legacy_code: str = "ComplexityException",
) -> ApiFailure:
    """COMPLEXITY_BUDGET_EXHAUSTED in the shape of ``version`` (legacy < 2025-01 < trimmed 2025-07)."""
    headers = {"Retry-After": str(retry_in)}
    if version < "2025-01":
        message = (
            f"Complexity budget exhausted, query cost {cost} budget remaining {left} "
            f"out of {limit} reset in {retry_in} seconds"
        )
        body = {
            "error_code": legacy_code,
            "status_code": 429,
            "error_message": message,
            "error_data": {},
            "errors": [message],
            "account_id": account_id,
        }
        return ApiFailure(200, body, headers)
    extensions: dict[str, Any] = {"code": "COMPLEXITY_BUDGET_EXHAUSTED"}
    if version < "2025-07":
        extensions |= {
            "complexity": cost,
            "complexity_budget_left": left,
            "complexity_budget_limit": limit,
            "retry_in_seconds": retry_in,
            "status_code": 429,
        }
    else:
        extensions["retry_in_seconds"] = retry_in
    body = {"errors": [{"message": "Complexity budget exhausted", "extensions": extensions}]}
    return ApiFailure(429, body | {"account_id": account_id}, headers)


def max_complexity_exceeded(cost: int, limit: int, account_id: int) -> ApiFailure:
    """A single query above the per-query cap (not retryable: shrink the query)."""
    message = f"Query has complexity of {cost}, which exceeds max complexity of {limit}"
    entry = modern_error(
        "maxComplexityExceeded", message, error_data={"complexity": cost, "max_complexity": limit}
    )
    return ApiFailure(200, {"errors": [entry], "account_id": account_id})


def rate_limited(code: str, account_id: int, retry_in: int | None = None) -> ApiFailure:
    """The 429 family: maxConcurrencyExceeded, IP/field/daily/minute limits."""
    messages = {
        "maxConcurrencyExceeded": "Concurrency limit exceeded",
        "IP_RATE_LIMIT_EXCEEDED": "IP rate limit exceeded",
        "FIELD_LIMIT_EXCEEDED": "Field limit exceeded",
        "DAILY_LIMIT_EXCEEDED": "Daily limit exceeded",
        "RATE_LIMIT_EXCEEDED": "Rate limit exceeded",
    }
    extensions: dict[str, Any] = {"code": code}
    if code in {"IP_RATE_LIMIT_EXCEEDED", "RATE_LIMIT_EXCEEDED"}:
        extensions["retry_in_seconds"] = retry_in
    elif code == "FIELD_LIMIT_EXCEEDED":
        extensions["error_data"] = {"retry_in_seconds": retry_in}
    headers = {"Retry-After": str(retry_in)} if retry_in is not None else {}
    body = {
        "errors": [{"message": messages[code], "extensions": extensions}],
        "account_id": account_id,
    }
    return ApiFailure(429, body, headers)


LEGACY_RATE_LIMIT = {"error_message": "Rate Limit Exceeded.", "status_code": 429}
INTERNAL_ERROR = {"error_message": "Internal server error", "status_code": 500}
LOCKED = {"error_message": "Resource is currently locked", "status_code": 423}


class FieldError(Exception):
    """An application error while resolving a field (HTTP 200, modern shape, ``data`` null)."""

    def __init__(self, code: str, message: str, error_data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.error_data = code, message, error_data or {}
        self.path: list[str] = []
        self.locations: list[dict[str, int]] = []
