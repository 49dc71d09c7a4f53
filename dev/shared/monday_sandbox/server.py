"""MondaySandbox: the Monday.com GraphQL API stand-in, served over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from . import errors as e
from .board import Board
from .complexity import ComplexityBudget, estimate_cost
from .cursors import CursorStore
from .executor import Context, execute
from .faults import Fault, FaultAction, action, api_version_required_body, to_json
from .loading import load_boards, sample_boards
from .query import Document, QueryError, coerce_variables, parse_document
from .transport import HttpServer, SandboxResponse

logger = logging.getLogger(__name__)
API_VERSIONS = ("2024-10", "2025-01", "2025-04", "2025-07", "2025-10")
CURRENT_VERSION = "2025-07"
_VERSION = re.compile(r"\d{4}-\d{2}")
BoardsSource = Iterable[Board] | Mapping[str, Any] | str | Path | None


@dataclass(frozen=True)
class RecordedRequest:
    """One request the sandbox received, and what it answered."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    status: int
    fault: str | None
    complexity: int | None


class ManualClock:
    """A clock tests move by hand: ``clock.advance(3600)`` expires cursors without sleeping."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class MondaySandbox:
    """A local Monday.com API: ``with MondaySandbox(boards) as sandbox: httpx.post(sandbox.url, ...)``."""

    def __init__(
        self,
        boards: BoardsSource = None,
        *,
        token: str = "sandbox-token",
        complexity_budget: int = 10_000_000,
        cursor_ttl_seconds: float = 3600,
        api_versions: Sequence[str] = API_VERSIONS,
        current_version: str = CURRENT_VERSION,
        max_query_complexity: int = 5_000_000,
        require_api_version: bool = False,
        account_id: int = 12_345_678,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token, self.account_id = token, account_id
        self.api_versions, self.current_version = tuple(api_versions), current_version
        self.max_query_complexity, self.require_api_version = (
            max_query_complexity,
            require_api_version,
        )
        self.clock, self._address = clock, (host, port)
        self.budget = ComplexityBudget(complexity_budget)
        self.cursors = CursorStore(cursor_ttl_seconds, clock)
        self.requests: list[RecordedRequest] = []
        self._faults: list[tuple[Fault, list[int]]] = []  # fault, [times left, skips left]
        self._lock = threading.Lock()
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.boards: dict[str, Board] = {}
        self.listed: list[Board] = []
        self._items: dict[str, tuple[Board, int]] | None = None
        for board in _boards(boards):
            self.add_board(board)

    # -- lifecycle ----------------------------------------------------------------------------

    def add_board(self, board: Board) -> None:
        """Serve ``board`` (and its subitems board)."""
        if board.id in self.boards:
            raise ValueError(f"board id {board.id} is served already; give boards distinct ids")
        self.boards[board.id] = board
        self.listed.append(board)
        if board.subitems_board is not None:
            self.boards[board.subitems_board.id] = board.subitems_board
        self._items = None

    def start(self) -> str:
        """Start serving on an ephemeral port; returns the API URL (ending in /v2)."""
        if self._server is None:
            self._server = HttpServer(self._address, self.handle)
            # A short poll interval makes stop() quick (shutdown waits for the next poll).
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="monday-sandbox",
                daemon=True,
            )
            self._thread.start()
            logger.info("Monday sandbox serving %d boards at %s", len(self.listed), self.url)
        return self.url

    def stop(self) -> None:
        """Stop serving and close open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/v2``; raises when the sandbox is not started."""
        if self._server is None:
            raise RuntimeError(
                "the sandbox is not running: call start() or use it as a context manager"
            )
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v2"

    # -- test controls ------------------------------------------------------------------------

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each request consumes the first queued fault that targets it."""
        with self._lock:
            self._faults.extend((f, [f.times, f.after]) for f in faults)

    @property
    def pending_faults(self) -> list[Fault]:
        """Faults not consumed yet."""
        with self._lock:
            return [f for f, _ in self._faults]

    def faults_left(self) -> int:
        """How many more requests the queued faults would strike."""
        with self._lock:
            return sum(times for _, (times, _after) in self._faults)

    def expire_cursors(self) -> None:
        """Expire every cursor issued so far."""
        self.cursors.expire_all()

    def reset(self) -> None:
        """Clear the request log, queued faults, the complexity window and all cursors."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
        self.budget.clear()
        self.cursors.clear()

    def find_item(self, item_id: str) -> tuple[Board, int] | None:
        """The board and row of an item id on any served board."""
        if self._items is None:
            self._items = {
                i: (b, r) for b in self.boards.values() for r, i in enumerate(b.item_ids)
            }
        return self._items.get(item_id)

    def _take_fault(self, names: frozenset[str]) -> Fault | None:
        with self._lock:
            for n, (fault, left) in enumerate(self._faults):
                if not fault.matches(names):
                    continue
                if left[1] > 0:
                    left[1] -= 1
                    continue
                left[0] -= 1
                if left[0] == 0:
                    del self._faults[n]
                return fault
        return None

    # -- request handling ---------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> SandboxResponse:
        """Answer one HTTP request (transport-independent; the HTTP handler calls this)."""
        request = _Request(method, path, {k.lower(): v for k, v in headers.items()})
        try:
            response = self._answer(request, body)
        except Exception:  # a sandbox bug must show up as a 500 with a logged traceback, not a hang
            logger.exception("Monday sandbox failed on %s %s", method, path)
            response = _json(500, e.INTERNAL_ERROR)
        with self._lock:
            self.requests.append(request.record(response.status))
        return response

    def _answer(self, request: _Request, body: bytes) -> SandboxResponse:
        if path_error := self._check_path(request):
            return path_error
        try:
            payload = json.loads(body or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _legacy(400, f'request body is not JSON ({exc}); send {{"query": ...}}')
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _legacy(400, 'request body must be a JSON object with a "query" string')
        request.query, request.operation_name = payload["query"], payload.get("operationName")
        request.variables = (
            payload.get("variables") if isinstance(payload.get("variables"), dict) else None
        )
        doc: Document | QueryError
        try:
            doc = parse_document(request.query)
        except QueryError as exc:
            doc = exc
        version = request.headers.get("api-version") or self.current_version
        fault = self._take_fault(doc.field_names if isinstance(doc, Document) else frozenset())
        act = FaultAction()
        if fault is not None:
            request.fault = fault.kind
            act = action(fault, version=version, account_id=self.account_id)
            if act.expire_cursors:
                self.cursors.expire_all()
            if (canned := _canned(act)) is not None:
                return canned
        response = self._checked(request, doc)
        if act.mangle is not None:
            response.body = act.mangle(response.body)
        response.delay = act.delay
        return response

    def _check_path(self, request: _Request) -> SandboxResponse | None:
        if request.path.split("?")[0].rstrip("/") != "/v2":
            return _legacy(404, f"no route {request.path}; the API lives at POST /v2")
        if request.method != "POST":
            return _legacy(405, f"{request.method} is not supported; POST a JSON body to /v2")
        return None

    def _checked(self, request: _Request, doc: Document | QueryError) -> SandboxResponse:
        token = request.headers.get("authorization", "").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if token != self.token:
            entry = e.modern_error("UserUnauthorizedException", status_code=401)
            return _json(401, {"errors": [entry], "account_id": self.account_id})
        version = request.headers.get("api-version", "").strip() or None  # empty = not sent
        if version is None and self.require_api_version:
            return _json(400, api_version_required_body(self.account_id))
        if version is not None and (
            not _VERSION.fullmatch(version) or version not in self.api_versions
        ):
            message = (
                f"API-Version {version!r} is not available; use one of {list(self.api_versions)}"
            )
            entry = e.modern_error("API_VERSION_INVALID", message, status_code=400)
            return _json(400, {"errors": [entry], "account_id": self.account_id})
        if isinstance(doc, QueryError):
            return self._query_error(doc)
        return self._run(request, doc, version or self.current_version)

    def _query_error(self, exc: QueryError) -> SandboxResponse:
        entry: dict[str, Any] = {"message": exc.message}
        if exc.locations:
            entry["locations"] = exc.locations
        entry["extensions"] = {"code": exc.code}
        return _json(200, {"errors": [entry], "account_id": self.account_id})

    def _run(self, request: _Request, doc: Document, version: str) -> SandboxResponse:
        try:
            op = doc.operation(request.operation_name)
            variables = coerce_variables(op, request.variables)
        except QueryError as exc:
            return self._query_error(exc)
        ctx = Context(doc, variables, self.boards, self.listed, self.cursors, self.find_item)
        try:
            cost = estimate_cost(op, ctx)
        except (TypeError, ValueError) as exc:
            return _json(
                200,
                self._field_error(e.FieldError("InvalidArgumentException", f"bad argument: {exc}")),
            )
        request.complexity = cost
        if cost > self.max_query_complexity:
            return _failure(
                e.max_complexity_exceeded(cost, self.max_query_complexity, self.account_id)
            )
        now = self.clock()
        charged = self.budget.try_charge(cost, now)
        if charged is None:
            left, retry = self.budget.left(now), self.budget.retry_in(cost, now)
            return _failure(
                e.complexity_exhausted(
                    version,
                    cost=cost,
                    left=left,
                    limit=self.budget.limit,
                    retry_in=retry,
                    account_id=self.account_id,
                )
            )
        ctx.complexity = {
            "before": charged[0], "after": charged[1], "query": cost,
            "reset_in_x_seconds": self.budget.reset_in(now),
        }  # fmt: skip
        try:
            data = execute(op, ctx)
        except e.FieldError as exc:
            return _json(200, self._field_error(exc))
        except (TypeError, ValueError) as exc:  # an argument of the wrong type
            return _json(
                200,
                self._field_error(e.FieldError("InvalidArgumentException", f"bad argument: {exc}")),
            )
        tail = f',"account_id":{self.account_id},"extensions":{{"request_id":"{uuid.uuid4()}"}}}}'
        return SandboxResponse(200, "".join(['{"data":', *data, tail]).encode())

    def _field_error(self, exc: e.FieldError) -> dict[str, Any]:
        entry = e.modern_error(
            exc.code, exc.message, path=exc.path, locations=exc.locations, error_data=exc.error_data
        )
        return {"data": None, "errors": [entry], "account_id": self.account_id}


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    query: str | None = None
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    fault: str | None = None
    complexity: int | None = None

    def record(self, status: int) -> RecordedRequest:
        return RecordedRequest(
            self.method, self.path, self.headers, self.query, self.variables,
            self.operation_name, status, self.fault, self.complexity,
        )  # fmt: skip


def _boards(source: BoardsSource) -> list[Board]:
    if source is None:
        return list(sample_boards())
    if isinstance(source, Mapping | str | Path):
        return load_boards(source)
    return list(source)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> SandboxResponse:
    return SandboxResponse(status, to_json(body), headers or {})


def _failure(failure: e.ApiFailure) -> SandboxResponse:
    return _json(failure.status, failure.body, failure.headers)


def _legacy(status: int, message: str) -> SandboxResponse:
    return _json(status, {"error_message": message, "status_code": status})


def _canned(act: FaultAction) -> SandboxResponse | None:
    if act.failure is not None:
        response = _failure(act.failure)
    elif act.raw is not None:
        status, content_type, body = act.raw
        response = SandboxResponse(status, body, content_type=content_type)
    elif act.reset_connection:
        response = SandboxResponse(0, b"", reset=True)
    else:
        return None
    response.delay = act.delay
    return response
