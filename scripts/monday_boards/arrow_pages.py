"""Monday page bodies -> Arrow: the GraphQL types of the lean item fields and the decoder.

``decode_page`` parses a response body with Arrow's JSON reader against ``RESPONSE`` (the types
the GraphQL schema gives the fields the lean query asks for; other fields are ignored at every
depth, without a Python object per cell and with the GIL released). Error answers and other
shapes give None: the client decodes and classifies those itself.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.json as pa_json

S = pa.string()
_IDS = pa.list_(pa.struct([("id", S)]))
CELL = pa.struct([
    ("id", S), ("text", S), ("label", S), ("date", S), ("time", S), ("number", pa.float64()),
    ("from", S), ("to", S), ("checked", pa.bool_()), ("country", pa.struct([("code", S)])),
    ("persons_and_teams", _IDS), ("values", pa.list_(pa.struct([("label", S)]))),
    ("display_value", S), ("linked_item_ids", pa.list_(S)), ("subitems_ids", pa.list_(S)),
    ("item_id", S), ("updated_at", S),
])  # fmt: skip
ITEM = pa.struct([
    ("id", S), ("name", S), ("state", S), ("created_at", S), ("updated_at", S),
    ("group", pa.struct([("id", S), ("title", S)])), ("column_values", pa.list_(CELL)),
])  # fmt: skip
_PAGE = pa.struct([("cursor", S), ("items", pa.list_(ITEM))])
_COMPLEXITY = pa.struct(
    [(k, pa.int64()) for k in ("before", "after", "query", "reset_in_x_seconds")]
)
# Top-level keys of error answers (contracts.md): a body with any of them set is the client's
# to classify. Fields of the page not declared here are ignored, at every depth.
_ERROR_KEYS = (
    ("errors", pa.list_(pa.struct([("message", S)]))), ("error_code", S),
    ("error_message", S), ("error", S), ("status_code", pa.int64()),
)  # fmt: skip
RESPONSE = pa.schema([
    ("data", pa.struct([
        ("complexity", _COMPLEXITY), ("next_items_page", _PAGE),
        ("boards", pa.list_(pa.struct([("id", S), ("items_page", _PAGE)]))),
    ])),
    *_ERROR_KEYS,
])  # fmt: skip
_PARSE = pa_json.ParseOptions(
    explicit_schema=RESPONSE, unexpected_field_behavior="ignore", newlines_in_values=True
)


class ArrowItems:
    """One page of items as an Arrow struct array (what ``decode`` puts under ``items``)."""

    def __init__(self, items: pa.StructArray) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)


def decode_page(body: bytes) -> dict[str, Any] | None:
    """A response body as the client's dict, its items as ArrowItems; None if not a clean page."""
    try:
        table = pa_json.read_json(
            io.BytesIO(body),
            read_options=pa_json.ReadOptions(block_size=len(body) + 1, use_threads=False),
            parse_options=_PARSE,
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != 1 or any(table.column(key)[0].is_valid for key, _ in _ERROR_KEYS):
        return None  # an error answer, or not one answer: the client decides
    data = table.column("data").combine_chunks()
    if data.null_count:
        return None
    page = _page_of(data)
    if page is None:
        return None
    complexity = data.field("complexity")[0].as_py()
    out: dict[str, Any] = {} if complexity is None else {"complexity": complexity}
    return {"data": out | page}


def _page_of(data: pa.StructArray) -> dict[str, Any] | None:
    nxt, boards = data.field("next_items_page"), data.field("boards")
    if nxt.is_valid()[0].as_py():
        return {"next_items_page": _page(nxt)}
    if boards.is_valid()[0].as_py():
        flat = boards.flatten()
        if len(flat) == 0:
            return {"boards": []}
        pages = flat.field("items_page")
        if len(flat) != 1 or not pages.is_valid()[0].as_py():
            return None
        return {"boards": [{"id": flat.field("id")[0].as_py(), "items_page": _page(pages)}]}
    return None


def _page(page: pa.StructArray) -> dict[str, Any]:
    items = page.field("items")
    return {
        "cursor": page.field("cursor")[0].as_py(),
        "items": ArrowItems(items.flatten() if items.is_valid()[0].as_py() else _empty()),
    }


def _empty() -> pa.StructArray:
    return pa.array([], type=ITEM)


def no_items() -> pa.StructArray:
    return without_cells(_empty())


def without_cells(items: pa.StructArray) -> pa.StructArray:
    """The item fields alone (keeping column_values would copy every page again at the end)."""
    names = [f.name for f in ITEM if f.name != "column_values"]
    return pa.StructArray.from_arrays(
        [items.field(name) for name in names], fields=[ITEM.field(n) for n in names]
    )
