"""Faults a test injects into the sandbox: error bodies, throttling, broken transport, delays."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import errors as e

#: kind -> parameters it accepts (besides times / on / after / status)
FAULT_KINDS: Mapping[str, frozenset[str]] = {
    "user_unauthorized": frozenset(),
    "complexity_exhausted": frozenset(
        {"version", "complexity", "left", "limit", "retry_in_seconds", "legacy_code"}
    ),
    "max_complexity": frozenset({"complexity", "limit"}),
    "max_concurrency": frozenset(),
    "ip_rate_limit": frozenset({"retry_in_seconds"}),
    "field_limit": frozenset({"retry_in_seconds"}),
    "daily_limit": frozenset(),
    "rate_limit": frozenset({"retry_in_seconds"}),
    "rate_limit_legacy": frozenset({"retry_after"}),
    "http_429": frozenset({"retry_after"}),
    "internal_error": frozenset(),
    "error_code": frozenset({"code", "message", "status_code", "error_data"}),
    "locked": frozenset(),
    "api_version_required": frozenset(),
    "delay": frozenset({"seconds"}),
    "truncated_json": frozenset(),
    "malformed_json": frozenset(),
    "expire_cursors": frozenset(),
    "connection_reset": frozenset(),
}
_STATUS_KIND = re.compile(r"status_([45]\d\d)")
_REASONS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class Fault:
    """One fault, consumed by the next ``times`` matching requests.

    ``on``: only requests whose query selects a field of that name match (``"next_items_page"``,
    ``"items_page"``, ``"boards"``, ``"items"``...); ``after``: let that many matching requests
    through first; ``status``: override the HTTP status of a canned error response.
    Kinds: FAULT_KINDS, plus ``status_<4xx|5xx>`` (``status_500`` is the documented 500 body).
    """

    def __init__(
        self,
        kind: str,
        *,
        times: int = 1,
        on: str | None = None,
        after: int = 0,
        status: int | None = None,
        **params: Any,
    ) -> None:
        allowed = FAULT_KINDS.get(kind, frozenset() if _STATUS_KIND.fullmatch(kind) else None)
        if allowed is None:
            raise ValueError(
                f"unknown fault kind {kind!r}; use one of {[*FAULT_KINDS, 'status_5xx']}"
            )
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ValueError(
                f"fault {kind!r} takes no parameter {unknown}; it takes {sorted(allowed)}"
            )
        if times < 1 or after < 0:
            raise ValueError(
                f"fault {kind!r}: times must be >= 1 and after >= 0 (got {times}, {after})"
            )
        if kind == "error_code" and "code" not in params:
            raise ValueError(
                "fault 'error_code' needs code=..., e.g. code='InvalidBoardIdException'"
            )
        self.kind, self.times, self.on, self.after, self.status = kind, times, on, after, status
        self.params = params

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Fault({self.kind!r}, times={self.times}, on={self.on!r}{extra})"

    def matches(self, field_names: frozenset[str]) -> bool:
        """Whether a request selecting ``field_names`` is one this fault targets."""
        return self.on is None or self.on in field_names


@dataclass
class FaultAction:
    """What the server does for a fault: a canned response, or a change to normal serving."""

    failure: e.ApiFailure | None = None
    raw: tuple[int, str, bytes] | None = None  # status, content type, body (not JSON-encoded)
    delay: float = 0.0
    expire_cursors: bool = False
    reset_connection: bool = False
    mangle: Callable[[bytes], bytes] | None = None


def action(fault: Fault, *, version: str, account_id: int) -> FaultAction:
    """The FaultAction of ``fault`` for a request made with API ``version``."""
    p = fault.params
    match = _STATUS_KIND.fullmatch(fault.kind)
    act = _status(int(match.group(1))) if match else _BUILDERS[fault.kind](p, version, account_id)
    if fault.status is not None and act.failure is not None:
        act.failure.status = fault.status
    return act


def _status(code: int) -> FaultAction:
    if code == 500:
        return FaultAction(e.ApiFailure(500, e.INTERNAL_ERROR))
    reason = _REASONS.get(code, "Error")
    html = f"<html><head><title>{code} {reason}</title></head><body><h1>{code} {reason}</h1></body></html>"
    return FaultAction(raw=(code, "text/html", html.encode()))


def _error_code(p: Mapping[str, Any], _v: str, account: int) -> FaultAction:
    entry = e.modern_error(
        p["code"],
        p.get("message"),
        error_data=p.get("error_data"),
        status_code=p.get("status_code"),
    )
    return FaultAction(e.ApiFailure(200, {"errors": [entry], "account_id": account}))


def _exhausted(p: Mapping[str, Any], version: str, account: int) -> FaultAction:
    return FaultAction(
        e.complexity_exhausted(
            p.get("version", version),
            cost=p.get("complexity", 6182),
            left=p.get("left", 100),
            limit=p.get("limit", 5_000_000),
            retry_in=p.get("retry_in_seconds", 60),
            account_id=account,
            legacy_code=p.get("legacy_code", "ComplexityException"),
        )
    )


def _legacy_429(p: Mapping[str, Any], _v: str, _account: int) -> FaultAction:
    retry = p.get("retry_after")
    headers = {} if retry is None else {"Retry-After": str(retry)}
    return FaultAction(e.ApiFailure(429, dict(e.LEGACY_RATE_LIMIT), headers))


def _truncate(body: bytes) -> bytes:
    return body[: max(1, len(body) // 2)]


_Builder = Callable[[Mapping[str, Any], str, int], FaultAction]
_BUILDERS: Mapping[str, _Builder] = {
    "user_unauthorized": lambda _p, _v, a: FaultAction(e.ApiFailure(200, e.unauthorized_body(a))),
    "complexity_exhausted": _exhausted,
    "max_complexity": lambda p, _v, a: FaultAction(
        e.max_complexity_exceeded(p.get("complexity", 1_016_020), p.get("limit", 1_000_000), a)
    ),
    "max_concurrency": lambda _p, _v, a: FaultAction(e.rate_limited("maxConcurrencyExceeded", a)),
    "ip_rate_limit": lambda p, _v, a: FaultAction(
        e.rate_limited("IP_RATE_LIMIT_EXCEEDED", a, p.get("retry_in_seconds", 10))
    ),
    "field_limit": lambda p, _v, a: FaultAction(
        e.rate_limited("FIELD_LIMIT_EXCEEDED", a, p.get("retry_in_seconds", 10))
    ),
    "daily_limit": lambda _p, _v, a: FaultAction(e.rate_limited("DAILY_LIMIT_EXCEEDED", a)),
    "rate_limit": lambda p, _v, a: FaultAction(
        e.rate_limited("RATE_LIMIT_EXCEEDED", a, p.get("retry_in_seconds", 10))
    ),
    "rate_limit_legacy": _legacy_429,
    "http_429": _legacy_429,
    "internal_error": lambda _p, _v, _a: _status(500),
    "error_code": _error_code,
    "locked": lambda _p, _v, _a: FaultAction(e.ApiFailure(423, dict(e.LOCKED))),
    "api_version_required": lambda _p, _v, a: FaultAction(
        e.ApiFailure(400, api_version_required_body(a))
    ),
    "delay": lambda p, _v, _a: FaultAction(delay=float(p.get("seconds", 1.0))),
    "truncated_json": lambda _p, _v, _a: FaultAction(mangle=_truncate),
    "malformed_json": lambda _p, _v, _a: FaultAction(
        raw=(200, "application/json", b'{"data": {"boards": [{"id": "1",, }]}')
    ),
    "expire_cursors": lambda _p, _v, _a: FaultAction(expire_cursors=True),
    "connection_reset": lambda _p, _v, _a: FaultAction(reset_connection=True),
}


def api_version_required_body(account_id: int) -> dict[str, Any]:
    """The body announced for requests without API-Version once the header is mandatory."""
    entry = e.modern_error(
        "API_VERSION_REQUIRED",
        "The API-Version header is required; send API-Version: YYYY-MM",
        status_code=400,
    )
    return {"errors": [entry], "account_id": account_id}


def to_json(value: Any) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(value, separators=(",", ":")).encode()
