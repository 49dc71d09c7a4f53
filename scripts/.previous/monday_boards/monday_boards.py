"""Sync Monday.com boards into typed tables: one table per board, drift detected, sync logged.

    python dev/monday_boards/monday_boards.py [--boards ID,ID] [--api-url URL] [--env ENV]
                                              [--database-url URL]

Boards come from the registry (workflow.yaml `config.boards`) or --boards (ids outside the
registry are mapped automatically). The API URL and token come from MONDAY_API_URL (or
--api-url / config monday.api_url) and MONDAY_API_TOKEN. Each board is read completely, then
its table is replaced atomically; monday_boards, monday_groups, monday_column_mapping,
monday_schema_changes and monday_sync_log say what happened. The exit code is non-zero only
when the run failed (a board could not be synced, or config/database/API were unusable).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (
    None,
    "",
):  # run as a file: make the repo root importable, then relative imports work
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[1]))
    __package__ = f"{_here.parent.name}.{_here.name}"

import argparse
import logging
from collections.abc import Sequence

from shared.api_client import ApiError, MondayClient
from shared.config import Config, ConfigError, load_config
from shared.db_helper import Database, DatabaseError
from shared.log_helper import RunSummary, configure_logging

from .settings import load_settings
from .sync import BoardOutcome, sync_boards

WORKFLOW = "monday_boards"
HERE = Path(__file__).resolve().parent
log = logging.getLogger(WORKFLOW)


def run(
    *,
    database_url: str | None = None,
    env: str | None = None,
    boards: Sequence[str] | None = None,
    api_url: str | None = None,
) -> RunSummary:
    """Sync the registry's boards (or ``boards``); the summary says what happened."""
    summary = RunSummary(WORKFLOW)
    try:
        cfg = load_config(HERE, env)
        configure_logging(cfg, secrets=["MONDAY_API_TOKEN"])
        settings = load_settings(cfg)
        selected = settings.selected(boards)
        client = MondayClient.from_config(_with_api_url(cfg, api_url))
        db = Database(database_url or cfg.database_url())
    except (ConfigError, ApiError, DatabaseError, OSError) as exc:
        log.error("monday_boards cannot start: %s", exc)  # noqa: TRY400 - one line, no trace
        return summary.finish("failed", error=str(exc))
    try:
        outcomes = sync_boards(db, client, settings, selected, summary.run_id)
    except DatabaseError as exc:
        log.error("monday_boards failed: %s", exc)  # noqa: TRY400
        return summary.finish("failed", error=str(exc))
    finally:
        client.close()
        client.http.close()  # from_config hands the client an HttpClient it does not close
        db.dispose()
    return _finish(summary, outcomes)


def _with_api_url(cfg: Config, api_url: str | None) -> Config:
    """The command line's --api-url is the top configuration layer."""
    if api_url:
        cfg.values.setdefault("monday", {})["api_url"] = api_url
        cfg.sources["monday.api_url"] = "command line --api-url"
    return cfg


def _finish(summary: RunSummary, outcomes: list[BoardOutcome]) -> RunSummary:
    for status in ("success", "failed", "skipped"):
        summary.count(f"boards_{status}", sum(o.status == status for o in outcomes))
    done = [o for o in outcomes if o.status == "success"]
    summary.count("items", sum(o.items for o in done))
    summary.count("subitems", sum(o.subitems for o in done))
    summary.count("pages", sum(o.extract.pages for o in outcomes if o.extract))
    summary.count("complexity_used", sum(o.extract.complexity_used for o in outcomes if o.extract))
    summary.count("drift_changes", sum(len(o.drift.changes) for o in done))
    summary.count("unreadable_cells", sum(t.unreadable_cells for o in done for t in o.tables))
    seconds = sum(o.seconds for o in outcomes)
    summary.metric("sync_seconds", round(seconds, 3))
    summary.metric(
        "extract_seconds", round(sum(o.extract.seconds for o in outcomes if o.extract), 3)
    )
    for stage in ("transform", "load"):
        spent = sum(getattr(t, f"{stage}_seconds") for o in done for t in o.tables)
        summary.metric(f"{stage}_seconds", round(spent, 3))
    summary.metric(
        "items_per_second", round(summary.counts["items"] / seconds, 1) if seconds else 0.0
    )
    for outcome in done:
        drift = outcome.drift.summary()
        log.info(
            "board %s -> %s: %d items%s",
            outcome.board_id,
            outcome.table,
            outcome.items,
            f"; drift: {drift}" if drift else "",
        )
    failed = [o for o in outcomes if o.status != "success"]
    if failed:
        errors = "; ".join(f"board {o.board_id}: {o.error}" for o in failed)
        return summary.finish("failed", error=errors)
    return summary.finish("success")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="monday_boards.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--env",
        choices=("development", "testing", "production"),
        help="configuration environment (default: WORKFLOW_ENV or development)",
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL / config)")
    parser.add_argument(
        "--boards",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        metavar="ID,ID",
        help="board ids to sync (default: every board of config.boards)",
    )
    parser.add_argument("--api-url", help="Monday API URL (default: MONDAY_API_URL / config)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary = run(
        database_url=args.database_url, env=args.env, boards=args.boards, api_url=args.api_url
    )
    summary.emit(_summary_dir(args.env))  # logs the readable summary, writes run_summary.json
    return 0 if summary.status == "success" else 1


def _summary_dir(env: str | None) -> Path | None:
    try:
        return load_config(HERE, env).get_path("output_dir", ".")
    except ConfigError:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
