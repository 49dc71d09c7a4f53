"""Show how a board is read: every page, its cursor, items and complexity; save or replay it.

    python dev/monday_boards/debugging/debug_extract.py                      # sample deals board
    python dev/monday_boards/debugging/debug_extract.py --board 3000000001 --page-limit 2
    python dev/monday_boards/debugging/debug_extract.py --api-url URL --board ID --save x.json
    python dev/monday_boards/debugging/debug_extract.py --replay x.json     # no API at all

Live reads go through shared's MondayClient (token from MONDAY_API_TOKEN; without --api-url a
local sandbox with the sample boards is started). --save writes the recorded responses in the
format testing/test_data_samples/sample_api_response.json uses, so a failed run's input can be
replayed by debug_transform.py / debug_compare.py without the API.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SANDBOX_TOKEN, RecordingHttp, dump, local_sandbox, module

from shared.api_client import ApiError, MondayClient


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="1234567890", help="board id (default: sample deals)")
    parser.add_argument("--api-url", help="Monday API URL (default: a local sandbox)")
    parser.add_argument("--page-limit", type=int, default=500, help="items per page (1..500)")
    parser.add_argument("--subitems", action="store_true", help="read subitems too")
    parser.add_argument("--save", type=Path, help="write the recorded responses here")
    parser.add_argument("--replay", type=Path, help="show a saved extract / recorded responses")
    parser.add_argument("--items", type=int, default=2, help="items to print in full")
    return parser.parse_args(argv)


def show_pages(exchanges: list[tuple[dict[str, Any], Any]]) -> None:
    print(f"{'call':>4}  {'kind':16} {'items':>6} {'cursor':26} {'cost':>8} {'budget after':>13}")
    for n, (request, body) in enumerate(exchanges, start=1):
        data = (body or {}).get("data") or {}
        if "next_items_page" in data:
            kind, page = "next_items_page", data["next_items_page"] or {}
        elif data.get("boards") and "items_page" in (data["boards"][0] or {}):
            kind, page = "items_page", data["boards"][0]["items_page"] or {}
        else:
            kind, page = ("boards" if "boards" in data else "error"), {}
        cost = data.get("complexity") or {}
        cursor = str(page.get("cursor"))[:24] if page else ""
        print(
            f"{n:>4}  {kind:16} {len(page.get('items') or []):>6} {cursor:26} "
            f"{cost.get('query', '-'):>8} {cost.get('after', '-'):>13}"
        )
        if body and ("errors" in body or "error_code" in body):
            print(f"      error: {dump(body.get('errors') or body)[:300]}")
        del request


def show_extract(extract: Any, items: int) -> None:
    board = extract.board
    print(
        f"\nboard {board.get('id')} {board.get('name')!r}: {len(extract.items)} items, "
        f"{extract.pages} page(s), complexity {extract.complexity_used}, "
        f"{extract.restarts} restart(s)"
    )
    print("columns: " + ", ".join(f"{c['id']}:{c['type']}" for c in board.get("columns") or []))
    for item in extract.items[:items]:
        print(json.dumps(item, ensure_ascii=False, indent=1)[:3000])


def live(args: argparse.Namespace) -> int:
    extract_mod = module("extract")
    token = os.environ.get("MONDAY_API_TOKEN", SANDBOX_TOKEN)

    def read(url: str) -> int:
        http = RecordingHttp(url)
        with MondayClient(url, token, http=http, page_limit=args.page_limit) as client:
            try:
                boards = extract_mod.read_boards(client, [args.board])
                extract = extract_mod.extract_board(
                    client, boards[args.board], subitems=args.subitems
                )
            except (ApiError, KeyError) as exc:
                show_pages(http.exchanges)
                print(f"\nthe read failed: {type(exc).__name__}: {exc}")
                return 1
            finally:
                http.close()
        show_pages(http.exchanges)
        show_extract(extract, args.items)
        if args.save:
            bodies = [body for _request, body in http.exchanges]
            recorded = {"boards_response": bodies[0], "items_responses": bodies[1:]}
            args.save.parent.mkdir(parents=True, exist_ok=True)
            args.save.write_text(
                json.dumps(recorded, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            print(f"\nsaved {len(bodies)} responses to {args.save} (replay with --replay)")
        return 0

    if args.api_url:
        return read(args.api_url)
    with local_sandbox() as sandbox:
        print(f"local sandbox at {sandbox.url} (sample boards)")
        return read(sandbox.url)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.replay:
        show_extract(module("extract").load_extract(args.replay), args.items)
        return 0
    return live(args)


if __name__ == "__main__":
    raise SystemExit(main())
