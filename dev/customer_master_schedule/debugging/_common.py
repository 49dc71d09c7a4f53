"""What the debugging scripts share: where the inputs come from and how to print frames."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shared.db_helper import Database

from ..inputs import ScheduleInputs
from ..samples import SAMPLE_FILES, load_samples
from ..settings import ScheduleSettings, load_settings
from ..storage import read_inputs

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent / "testing" / "test_data_samples"
LOGS = HERE / "logs"
SAMPLE_RUN_DATE = dt.date(2026, 12, 1)
SNAPSHOT_FILES = {role: name for name, (role, _) in SAMPLE_FILES.items()}


@dataclass
class Source:
    """Inputs to schedule, the settings to use and, from a database, what it stores now."""

    inputs: ScheduleInputs
    settings: ScheduleSettings
    label: str
    stored_schedule: pd.DataFrame | None = None


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """--database-url / --inputs-dir / (default) the samples; --run-date; --env."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url", help="read the input tables (and the stored schedule) from this database"
    )
    where.add_argument(
        "--inputs-dir",
        type=Path,
        help="read a snapshot written by "
        "debug_replay.py --save-inputs (CSV files named like the samples)",
    )
    parser.add_argument(
        "--run-date",
        type=dt.date.fromisoformat,
        default=None,
        help="run date of the schedule (default: today; samples: 2026-12-01)",
    )
    parser.add_argument("--env", default=None, help="configuration environment")


def load_source(args: argparse.Namespace) -> Source:
    """The inputs the arguments point at; the samples when none is given."""
    if args.database_url:
        settings = load_settings(args.env, args.run_date)
        db = Database(args.database_url)
        try:
            inputs = read_inputs(db, settings)
            table = settings.tables.schedule
            stored = db.read_table(table) if db.table_exists(table) else None
        finally:
            db.dispose()
        return Source(inputs, settings, f"database {db!r}", stored)
    folder = args.inputs_dir or SAMPLES
    run_date = args.run_date or (SAMPLE_RUN_DATE if args.inputs_dir is None else None)
    return Source(load_samples(folder), load_settings(args.env, run_date), f"files in {folder}")


def save_inputs(inputs: ScheduleInputs, folder: Path) -> list[Path]:
    """Write the inputs as CSV files a later `--inputs-dir` run reads back."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for role, name in SNAPSHOT_FILES.items():
        frame = getattr(inputs, role)
        if frame is not None:
            frame.to_csv(folder / name, index=False, date_format="%Y-%m-%d")
            written.append(folder / name)
    return written


def show(frame: pd.DataFrame, rows: int = 20) -> str:
    """A frame as text, dates without times, at most `rows` rows."""
    out = frame.head(rows).copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d").fillna("")
    more = f"\n... {len(frame) - rows} more rows" if len(frame) > rows else ""
    return (out.to_string(index=False) if len(out) else "(none)") + more
