"""HttpClient: one httpx.Client with timeouts and retries of transient failures; ApiError."""

from __future__ import annotations

import email.utils
import functools
import json
import logging
import random
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

try:  # orjson decodes Monday's multi-megabyte pages ~3x faster; json when it is missing
    import orjson
except ImportError:  # pragma: no cover - orjson is a runtime dependency
    orjson = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from types import TracebackType

_log = logging.getLogger(__package__)  # the package logger: records keep their old name
_T = TypeVar("_T")
_jitter = random.Random()  # module-level so a test can seed it
MAX_SERVER_WAIT = 900.0  # seconds; a longer server-requested wait fails fast instead of hanging


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
    """An ``httpx.Client`` with timeouts and retries of transient failures (package doc)."""

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

    def call_with_retries(
        self, attempt: Callable[[], _T], what: str, *, failed: ApiError | None = None
    ) -> _T:
        """Run ``attempt`` until it returns, retrying retryable ApiErrors within the budget.

        ``failed``: the first attempt was made elsewhere and raised this; it counts against
        the budget as if made here (a page read ahead in another thread, see monday_ahead).
        """
        number = 1
        if failed is not None:
            delay = self._next_delay(failed, number, what)
            _log.warning(
                "%s failed (%s); retry %d/%d in %.2fs", what, failed, number, self.max_retries,
                delay, extra={"attempt": number, "wait_seconds": round(delay, 3)},
            )  # fmt: skip
            self._sleep(delay)
            number += 1
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


def loads_json(content: bytes) -> Any:
    """``json.loads(content)``, through orjson when installed.

    What orjson refuses (non-UTF-8 encodings, NaN/Infinity, lone surrogates, invalid JSON)
    goes through json.loads, so the result and the errors are json's own. One difference:
    orjson reads an integer beyond 64 bits as a float (Monday sends ids as strings).
    """
    if orjson is not None:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return json.loads(content)


def _json_body(response: httpx.Response) -> Any:
    try:
        return loads_json(response.content)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        request = response.request
        raise ApiError(
            f"{request.method} {request.url} returned HTTP {response.status_code} with a body "
            f"that is not valid JSON: {_snippet(response, 120)} (treated as transient)",
            status=response.status_code,
            code="INVALID_JSON",
            retryable=True,
        ) from None
