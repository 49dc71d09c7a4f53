"""Shared by the debugging tools: repo root on sys.path, database and options from config."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd

from dev.order_staging import order_staging
from dev.order_staging.pipeline import StagingOptions
from dev.order_staging.rules import RULES
from shared.config import load_config
from shared.db_helper import Database

HERE = Path(__file__).resolve().parents[1]
SAMPLES = HERE / "testing" / "test_data_samples"
LOGS = Path(__file__).resolve().parent / "logs"


def add_database_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="database to read (default: DATABASE_URL / config)")
    parser.add_argument("--env", default=None, help="configuration environment")


def open_database(args: argparse.Namespace) -> Database:
    cfg = load_config(HERE, args.env)
    return Database(args.database_url or cfg.database_url())


def options(args: argparse.Namespace, inbox: Path | None = None) -> StagingOptions:
    cfg = load_config(HERE, args.env)
    return order_staging.options_from_config(cfg, inbox, LOGS / "quarantine")


def rule_summary(errors: pd.DataFrame) -> pd.DataFrame:
    """Per rule: level, action, lines, orders, files, and the first value and message."""
    if errors.empty:
        return pd.DataFrame(
            columns=["rule_id", "level", "action", "lines", "orders", "files", "rule", "example"]
        )
    order = errors["file_checksum"].astype(str) + "/" + errors["order_seq"].astype(str)
    grouped = errors.assign(order=order).groupby("rule_id", sort=True)
    out = pd.DataFrame(
        {
            "lines": grouped.size(),
            "orders": grouped["order"].nunique(),
            "files": grouped["file_checksum"].nunique(),
            "example": grouped.apply(_example, include_groups=False),
        }
    ).reset_index()
    out["level"] = out["rule_id"].map(lambda r: RULES[r].level if r in RULES else "?")
    out["action"] = out["rule_id"].map(lambda r: RULES[r].action if r in RULES else "?")
    out["rule"] = out["rule_id"].map(lambda r: RULES[r].text if r in RULES else "unknown rule")
    return out[["rule_id", "level", "action", "lines", "orders", "files", "rule", "example"]]


def _example(group: pd.DataFrame) -> str:
    first = group.iloc[0]
    value = f" value {first['value']!r}" if str(first["value"]) else ""
    return f"{first['order_id']} line {first['line_no']}{value}: {first['message']}"


def print_frame(frame: pd.DataFrame, limit: int | None = None) -> None:
    with pd.option_context(
        "display.max_colwidth", 90, "display.width", 250, "display.max_columns", 20
    ):
        shown = frame if limit is None else frame.head(limit)
        print(shown.to_string(index=False) if len(shown) else "(none)")
        if limit is not None and len(frame) > limit:
            print(f"... {len(frame) - limit} more (use --limit)")
