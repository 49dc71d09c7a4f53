"""Opaque items_page cursors that expire ``ttl`` seconds after the first page of a read."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .errors import FieldError


@dataclass
class Session:
    """One paginated read: the filtered rows of a board, fixed at the first page."""

    id: int
    board_id: str
    rows: npt.NDArray[np.intp]
    created: float
    expired: bool = False


class CursorStore:
    """Issues and resumes cursors; a cursor names its session and offset, signed by the server."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float]) -> None:
        self.ttl, self._clock = ttl_seconds, clock
        self._sessions: dict[int, Session] = {}
        self._secret = secrets.token_bytes(16)
        self._lock = threading.Lock()
        self._next_id = 1

    def open(self, board_id: str, rows: npt.NDArray[np.intp]) -> Session:
        """Start a read of ``rows`` of a board."""
        now = self._clock()
        with self._lock:
            stale = [k for k, s in self._sessions.items() if now - s.created > 2 * self.ttl]
            for key in stale:
                del self._sessions[key]
            session = Session(self._next_id, board_id, rows, now)
            self._sessions[session.id] = session
            self._next_id += 1
        return session

    def cursor(self, session: Session, offset: int) -> str:
        """The cursor of the page of ``session`` that starts at ``offset``."""
        payload = f"{session.id},{session.board_id},{offset}"
        token = f"1,{payload}|{self._sign(payload)}".encode()
        return base64.urlsafe_b64encode(token).decode().rstrip("=")

    def _sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()[:12]

    def _decode(self, cursor: str) -> tuple[int, str, int] | None:
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            payload, _, signature = text.removeprefix("1,").partition("|")
            session_id, board_id, offset = payload.split(",")
            if hmac.compare_digest(signature, self._sign(payload)):
                return int(session_id), board_id, int(offset)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pass
        return None

    def board_of(self, cursor: str) -> str | None:
        """The board a cursor reads, or None when it is not one of ours."""
        decoded = self._decode(cursor)
        return decoded[1] if decoded else None

    def resume(self, cursor: str) -> tuple[Session, int]:
        """The session and offset of ``cursor``; raises FieldError when invalid or expired."""
        decoded = self._decode(cursor)
        if decoded is None:
            raise FieldError(
                "InvalidArgumentException",
                f"cursor {cursor[:40]!r} was not issued by this server; pass the cursor of the "
                "previous page unchanged",
                {"cursor": cursor[:40]},
            )
        session = self._sessions.get(decoded[0])
        if session is None or session.expired or self._clock() - session.created > self.ttl:
            minutes = f"{self.ttl / 60:g}"
            raise FieldError(
                "CursorExpiredError",
                f"cursor has expired: cursors live {minutes} minutes from the first items_page "
                "request; start again from page 1 with items_page",
                {"cursor": cursor[:40], "ttl_seconds": self.ttl},
            )
        return session, decoded[2]

    def expire_all(self) -> None:
        """Expire every cursor issued so far (the next page request fails as if time ran out)."""
        with self._lock:
            for session in self._sessions.values():
                session.expired = True

    def clear(self) -> None:
        """Forget every session."""
        with self._lock:
            self._sessions.clear()
