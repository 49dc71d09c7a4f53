"""Serve the Monday sandbox: prints its URL on one line, then serves until terminated.

python -m dev.shared.monday_sandbox [--port 0] [--boards FILE] [--wide-items N]
    [--wide-columns 150] [--token sandbox-token] [--complexity-budget 10000000]
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .loading import load_boards, sample_boards
from .server import MondaySandbox
from .wide import make_wide_board


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dev.shared.monday_sandbox", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument(
        "--boards", type=Path, help="board file (YAML/JSON); default: the sample boards"
    )
    parser.add_argument(
        "--wide-items", type=int, default=0, help="also serve a wide board of N items"
    )
    parser.add_argument("--wide-columns", type=int, default=150, help="columns of the wide board")
    parser.add_argument("--token", default="sandbox-token", help="the API token clients must send")
    parser.add_argument(
        "--complexity-budget", type=int, default=10_000_000, help="points per sliding minute"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until SIGTERM / SIGINT."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.boards is not None and not args.boards.is_file():
        sys.stderr.write(
            f"error: --boards {args.boards} does not exist; pass a YAML/JSON board file\n"
        )
        return 2
    boards = load_boards(args.boards) if args.boards is not None else list(sample_boards())
    if args.wide_items > 0:
        boards.append(make_wide_board("5000000001", args.wide_items, args.wide_columns))
    stop = threading.Event()

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    with MondaySandbox(
        boards, token=args.token, port=args.port, complexity_budget=args.complexity_budget
    ) as sandbox:
        sys.stdout.write(sandbox.url + "\n")
        sys.stdout.flush()
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
