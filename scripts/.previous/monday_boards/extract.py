"""Read boards through shared's MondayClient: board metadata, then every item of a board.

A board is read completely (every page) before anything is written, so an API failure in the
middle of a board never leaves a partial board in the database. Responses can be saved and
replayed (debugging/debug_extract.py) in the same shape.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shared.api_client import ItemSink, MondayClient

log = logging.getLogger(__name__)


@dataclass
class BoardExtract:
    """One board as the API returned it: metadata, items (API shape) and what reading cost."""

    board: dict[str, Any]  # id name state columns{id title type settings_str} groups{id title}
    items: list[dict[str, Any]]
    pages: int = 0
    complexity_used: int = 0
    restarts: int = 0
    seconds: float = 0.0

    @property
    def board_id(self) -> str:
        return str(self.board["id"])

    def summary(self) -> BoardExtract:
        """The same read without its items (what the sync log needs; frees the memory)."""
        return BoardExtract(
            self.board, [], self.pages, self.complexity_used, self.restarts, self.seconds
        )

    @property
    def subitems(self) -> list[dict[str, Any]]:
        """Every item's subitems (present when read with subitems=True), parent ids attached."""
        out = []
        for item in self.items:
            for sub in item.get("subitems") or []:
                out.append({**sub, "parent_item": sub.get("parent_item") or {"id": item["id"]}})
        return out


def read_boards(
    client: MondayClient, ids: Sequence[str], state: str = "active"
) -> dict[str, dict[str, Any]]:
    """Board id -> metadata (columns and groups) for the ids the token can see."""
    return {str(board["id"]): board for board in client.boards(list(ids), state=state)}


def extract_board(
    client: MondayClient,
    board: Mapping[str, Any],
    *,
    subitems: bool = False,
    state: str = "active",
    sink: ItemSink | None = None,
) -> BoardExtract:
    """Every item of a board (all pages; an expired cursor restarts it from page 1); with a
    ``sink`` (transform.ItemCollector) the pages go to it and ``items`` stays empty."""
    started = time.perf_counter()
    # the lean read: no raw `value` strings, no repeated fields; the typed fields carry
    # everything the transform reads (cells.KINDS), at under half the bytes to send and decode
    result = client.board_items(
        str(board["id"]), subitems=subitems, state=state, raw_values=False, sink=sink
    )
    seconds = time.perf_counter() - started
    log.info(
        "board %s: read %d items in %d page(s), complexity %d, %d restart(s), %.2fs",
        board["id"], result.count, result.pages, result.complexity_used, result.restarts,
        seconds,
    )  # fmt: skip
    return BoardExtract(
        dict(board), result.items, result.pages, result.complexity_used, result.restarts, seconds
    )


def subitem_columns(subitems: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The subitems board's columns as seen in its items (id and type; the id is the title)."""
    seen: dict[str, str] = {}
    for sub in subitems:
        for cell in sub.get("column_values") or []:
            seen.setdefault(str(cell["id"]), str(cell.get("type") or "text"))
    return [{"id": cid, "title": cid, "type": kind} for cid, kind in seen.items()]


def save_extract(extract: BoardExtract, path: Path) -> Path:
    """Write an extract as JSON (board, items, pages...) for replay."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(extract), ensure_ascii=False), encoding="utf-8")
    return path


def load_extract(path: Path) -> BoardExtract:
    """A saved extract ({board, items, ...}) or recorded API responses::

    {"boards_response": {"data": {"boards": [{id, name, columns, groups}]}},
     "items_responses": [{"data": {"boards": [{"items_page": {cursor, items}}]}},
                         {"data": {"next_items_page": {cursor, items}}}, ...]}
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if "board" in data and "items" in data:
        return BoardExtract(**data)
    if "boards_response" not in data or "items_responses" not in data:
        raise ValueError(
            f"{path}: neither a saved extract {{board, items}} nor recorded responses "
            "{boards_response, items_responses}; record one with debugging/debug_extract.py --save"
        )
    boards = (data["boards_response"].get("data") or {}).get("boards") or []
    if not boards:
        raise ValueError(f"{path}: boards_response has no data.boards[0]")
    items: list[dict[str, Any]] = []
    complexity = 0
    for response in data["items_responses"]:
        body = response.get("data") or {}
        page = body.get("next_items_page") or (
            (body.get("boards") or [{}])[0].get("items_page") or {}
        )
        items.extend(page.get("items") or [])
        complexity += int((body.get("complexity") or {}).get("query") or 0)
    return BoardExtract(dict(boards[0]), items, len(data["items_responses"]), complexity)
