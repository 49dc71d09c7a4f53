"""Stage multi-channel orders (CSV, JSON, X12 850) from an inbox into validated tables.

    python dev/order_staging/order_staging.py --inbox DIR [--env ENV] [--database-url URL]
                                              [--quarantine DIR] [--seed-reference DIR]

Every new file of the inbox (tracked by checksum) is parsed to canonical headers + lines,
checked against the business rules (rules.py) and the reference tables in the database, and
written to order_staging_validated / _raw / _errors and order_processing_log. Rows in =
staged + rejected, always. Malformed files are quarantined with a reason. The exit code is
non-zero only when the run itself failed: rejected lines are an outcome, not a failure.
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
from collections.abc import Mapping
from datetime import UTC, datetime
from uuid import uuid4

from shared.config import Config, ConfigError, load_config
from shared.db_helper import Database, DatabaseError
from shared.log_helper import RunSummary, configure_logging

from .engine import Settings
from .pipeline import StagingOptions, StagingResult, stage_inbox
from .reference import load_reference_samples

WORKFLOW = "order_staging"
HERE = Path(__file__).resolve().parent
log = logging.getLogger(WORKFLOW)


def options_from_config(
    cfg: Config, inbox: Path | None = None, quarantine: Path | None = None
) -> StagingOptions:
    """StagingOptions from the layered config; explicit paths win over config keys."""
    return StagingOptions(
        inbox=inbox or cfg.get_path("inbox"),
        quarantine=quarantine or cfg.get_path("quarantine"),
        settings=Settings(
            price_tolerance=cfg.get_float("tolerances.price", 0.01),
            total_tolerance=cfg.get_float("tolerances.total", 0.01),
            fx_to_base=_rates(cfg),
        ),
        reference_tables=_names(cfg.get("reference_tables", {})),
        x12_default_currency=cfg.get_str("x12_default_currency", "EUR"),
    )


def _rates(cfg: Config) -> dict[str, float]:
    raw = cfg.get("fx_to_base", {"EUR": 1.0})
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(
            f"config key 'fx_to_base' (from {cfg.where('fx_to_base')}) must map "
            "currency codes to rates, e.g. {EUR: 1.0, USD: 0.93}"
        )
    return {str(k).upper(): cfg.get_float(f"fx_to_base.{k}") for k in raw}


def _names(raw: object) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "config key 'reference_tables' must map customers/products/inventory/"
            "price_list to table names"
        )
    return {str(k): str(v) for k, v in raw.items()}


def run(
    *,
    database_url: str | None = None,
    env: str | None = None,
    inbox: Path | None = None,
    quarantine: Path | None = None,
    seed_reference: Path | None = None,
) -> RunSummary:
    """Stage every new inbox file; the summary says what happened (status failed on errors)."""
    # the run id is the batch id on every staged, rejected and raw row: kept short
    summary = RunSummary(WORKFLOW, run_id=f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid4().hex[:8]}")
    try:
        cfg = load_config(HERE, env)
        configure_logging(cfg)
        options = options_from_config(cfg, inbox, quarantine)
        db = Database(database_url or cfg.database_url())
    except ConfigError as exc:
        return summary.finish("failed", error=str(exc))
    try:
        if seed_reference is not None:
            loaded = load_reference_samples(db, seed_reference, options.reference_tables)
            log.info("reference tables loaded from %s: %s", seed_reference, loaded)
        result = stage_inbox(db, options, summary.run_id)
    except (DatabaseError, OSError, LookupError) as exc:
        log.error("order staging failed: %s", exc)  # noqa: TRY400  (expected: one line, no trace)
        return summary.finish("failed", error=str(exc))
    finally:
        db.dispose()
    _record(summary, result)
    return summary.finish("success")


def _record(summary: RunSummary, result: StagingResult) -> None:
    for name, value in result.counts().items():
        summary.count(name, value)
    for stage, seconds in result.seconds.items():
        summary.metric(f"{stage}_seconds", seconds)
    total = result.seconds["total"]
    summary.metric("lines_per_second", result.outcome.rows_in / total if total else 0.0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="order_staging.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--env",
        choices=("development", "testing", "production"),
        help="configuration environment (default: WORKFLOW_ENV or development)",
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL / config)")
    parser.add_argument("--inbox", type=Path, help="folder of order files (config: inbox)")
    parser.add_argument(
        "--quarantine", type=Path, help="folder for malformed files (config: quarantine)"
    )
    parser.add_argument(
        "--seed-reference",
        type=Path,
        metavar="DIR",
        help="load customers/products/inventory/price_list sample CSVs first",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary = run(
        database_url=args.database_url,
        env=args.env,
        inbox=args.inbox,
        quarantine=args.quarantine,
        seed_reference=args.seed_reference,
    )
    summary.emit(_summary_dir(args.env))
    return 0 if summary.status == "success" else 1


def _summary_dir(env: str | None) -> Path | None:
    try:
        return load_config(HERE, env).get_path("output_dir")
    except ConfigError:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
