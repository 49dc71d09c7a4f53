"""Test helpers: an in-process transport to the sandbox, wide-board extracts, table readers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from dev.shared.monday_sandbox import MondaySandbox, make_wide_board
from shared.api_client import HttpClient, MondayClient

SANDBOX_TOKEN = "sandbox-token"  # secret-scan: allow (a fixed test value, not a secret)
WIDE_BOARD = "5000000001"


class SandboxHttp(HttpClient):
    """An HttpClient answered by ``sandbox.handle`` in-process: the bytes HTTP would carry,
    without a socket (for measuring what happens after the response arrives)."""

    def __init__(self, sandbox: MondaySandbox, **options: Any) -> None:
        super().__init__("http://sandbox.invalid/v2", **options)
        self.sandbox = sandbox

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        body = json.dumps(kwargs.get("json")).encode()
        answer = self.sandbox.handle(method, "/v2", dict(kwargs.get("headers") or {}), body)
        headers = answer.headers | {"content-type": answer.content_type}
        request = httpx.Request(method, "http://sandbox.invalid/v2")
        return httpx.Response(answer.status, headers=headers, content=answer.body, request=request)


def in_process_client(sandbox: MondaySandbox, **options: Any) -> MondayClient:
    """A MondayClient reading the sandbox without HTTP (no retries wait)."""
    http = SandboxHttp(sandbox, sleep=lambda _s: None)
    return MondayClient(http.base_url, SANDBOX_TOKEN, http=http, sleep=lambda _s: None, **options)


def wide_extract(
    items: int, columns: int = 150, seed: int = 0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Board metadata and items of a wide board, in the API's shape as MondayClient returns them."""
    sandbox = MondaySandbox([make_wide_board(WIDE_BOARD, items, columns, seed)])
    with in_process_client(sandbox) as client:
        board = client.boards([WIDE_BOARD])[0]
        return board, client.board_items(WIDE_BOARD).items
