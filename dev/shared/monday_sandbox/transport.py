"""HTTP transport of the sandbox: a threading HTTP/1.1 server that hands requests to a handler."""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class SandboxResponse:
    """What the HTTP layer sends back."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    delay: float = 0.0
    reset: bool = False


Handle = Callable[[str, str, Mapping[str, str], bytes], SandboxResponse]


class HttpServer(ThreadingHTTPServer):
    """Serves ``handle(method, path, headers, body)`` on its own thread per connection."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handle: Handle) -> None:
        self.handle = handle
        self.open_sockets: set[socket.socket] = set()
        super().__init__(address, _Handler)

    def close_connections(self) -> None:
        """Shut down open keep-alive connections (their threads then end)."""
        for sock in list(self.open_sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002 - stdlib hook
        # socketserver calls this inside its except block, so exc_info is the live exception.
        logger.debug("sandbox connection from %s failed", client_address, exc_info=True)  # noqa: LOG014


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        self.server.open_sockets.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.handle(method, self.path, dict(self.headers.items()), body)
        if response.delay:
            time.sleep(response.delay)
        if response.reset:
            self._reset()
            return
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except OSError:  # the client gave up (timeout) before the answer
            self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), as a crashing proxy would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox %s - %s", self.address_string(), format % args)
