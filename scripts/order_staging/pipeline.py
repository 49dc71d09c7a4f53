"""One staging run: read the inbox, validate the batch, write the four tables.

The steps are public so the profiler and the debugging tools can run them one by one:
``read_inbox`` -> ``assemble`` -> ``evaluate_batch`` -> ``build_frames`` / ``outputs.raw_frame``
-> ``store.write_outputs``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from shared.db_helper import Database

from . import inbox, outputs, store
from .batch import Batch, SourceFile, assemble
from .canonical import MalformedFile
from .engine import Outcome, Settings, evaluate
from .parsers import parse_bytes
from .reference import empty_reference, read_reference

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StagingOptions:
    """Where files come from and go, and the rule settings."""

    inbox: Path
    quarantine: Path
    settings: Settings = field(default_factory=Settings)
    reference_tables: Mapping[str, str] = field(default_factory=dict)
    x12_default_currency: str = "EUR"


@dataclass
class InboxRead:
    """The files of one run: parsed, quarantined (with reasons) and skipped (seen before)."""

    parsed: list[SourceFile] = field(default_factory=list)
    reports: list[dict[str, object]] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class StagingResult:
    """What a run read, decided and wrote."""

    batch_id: str
    files: InboxRead
    batch: Batch
    outcome: Outcome
    frames: dict[str, pd.DataFrame]
    written: dict[str, int]
    seconds: dict[str, float]

    def counts(self) -> dict[str, int]:
        o = self.outcome
        return {
            "files_processed": len(self.files.parsed),
            "files_quarantined": len(self.files.quarantined),
            "files_skipped": len(self.files.skipped),
            "orders": len(o.headers),
            "lines_in": o.rows_in,
            "lines_staged": o.staged,
            "lines_rejected": o.rejected,
            "lines_backordered": int(o.lines["backorder"].sum()),
            "error_rows": len(o.errors),
        }


def read_inbox(options: StagingOptions, done: set[str], batch_id: str) -> InboxRead:
    """Parse every new file; malformed ones are quarantined, known checksums skipped."""
    result = InboxRead()
    seen = set(done)
    for path in inbox.scan(options.inbox):
        item = inbox.read(path)
        if item.checksum in seen:
            result.skipped.append(item.name)
            continue
        seen.add(item.checksum)
        start = time.perf_counter()
        try:
            parsed = parse_bytes(item.data, item.name, options.x12_default_currency)
        except MalformedFile as exc:
            _quarantine(result, item, str(exc), options, batch_id)
            continue
        result.parsed.append(SourceFile(item.name, item.checksum, parsed))
        result.reports.append(
            {
                "file_checksum": item.checksum,
                "file_name": item.name,
                "format": parsed.fmt,
                "status": "processed",
                "reason": "",
                "parse_seconds": time.perf_counter() - start,
            }
        )
    return result


def _quarantine(
    result: InboxRead, item: inbox.InboxFile, reason: str, options: StagingOptions, batch_id: str
) -> None:
    where = inbox.quarantine(item, reason, options.quarantine, batch_id)
    log.warning("quarantined %s: %s (copy in %s)", item.name, reason, where)
    result.quarantined.append((item.name, reason))
    result.reports.append(
        {
            "file_checksum": item.checksum,
            "file_name": item.name,
            "format": "",
            "status": "quarantined",
            "reason": reason,
            "parse_seconds": 0.0,
            "orders": 0,
            "lines_in": 0,
            "staged": 0,
            "rejected": 0,
            "flagged": 0,
        }
    )


def evaluate_batch(db: Database, options: StagingOptions, batch: Batch) -> Outcome:
    """Run the rules over a batch against the database's reference data and open orders."""
    if not batch.rows_in:  # nothing new: no need to read reference data or open orders
        return evaluate(batch, empty_reference(), options.settings)
    reference = read_reference(db, options.reference_tables)
    return evaluate(batch, reference, options.settings, store.open_orders(db))


def build_frames(outcome: Outcome, files: InboxRead, batch_id: str) -> dict[str, pd.DataFrame]:
    """validated and errors frames; per-file counts are merged into the file reports."""
    counts = outputs.file_counts(outcome, len(files.parsed))
    processed = [r for r in files.reports if r["status"] == "processed"]
    for report, row in zip(processed, counts.to_dict("records"), strict=True):
        report.update(row)
    return {
        store.VALIDATED.name: outputs.validated_frame(outcome, batch_id),
        store.ERRORS.name: outputs.errors_frame(outcome, batch_id),
    }


def stage_inbox(
    db: Database,
    options: StagingOptions,
    batch_id: str,
    *,
    write: bool = True,
    reprocess: bool = False,
) -> StagingResult:
    """The whole run; with write=False nothing is written (a dry run for debugging), with
    reprocess=True files already in the processing log are read again (a replay).

    The raw payloads are known once the files are parsed: on a server database they load on a
    second connection while the rules run, and the errors follow them there while this
    connection loads the validated lines (SQLite allows one writer: there the loads take turns).
    The processing log is written last, after every other table committed.
    """
    clock = time.perf_counter()
    seconds: dict[str, float] = {}
    if write:
        store.ensure_tables(db)
    done = set() if reprocess else store.processed_checksums(db)
    files = read_inbox(options, done, batch_id)
    batch = assemble(files.parsed)
    seconds["read"] = time.perf_counter() - clock
    raw = {store.RAW.name: outputs.raw_frame(batch, batch_id)}
    parallel = write and db.dialect != "sqlite"
    with ThreadPoolExecutor(max_workers=1) as background:
        loads = [background.submit(store.write_outputs, db, raw)] if parallel else []
        outcome = evaluate_batch(db, options, batch)
        seconds["validate"] = time.perf_counter() - clock - seconds["read"]
        frames = build_frames(outcome, files, batch_id)
        written: dict[str, int] = {}
        if parallel:  # errors after raw on the second connection, validated on this one
            errors = {store.ERRORS.name: frames[store.ERRORS.name]}
            loads.append(background.submit(store.write_outputs, db, errors))
            written = store.write_outputs(db, {store.VALIDATED.name: frames[store.VALIDATED.name]})
        elif write:
            written = store.write_outputs(db, {**raw, **frames})
        for load in loads:
            written |= load.result()
    frames |= raw
    frames[store.LOG.name] = outputs.log_frame(files.reports, batch_id, time.perf_counter() - clock)
    if write:
        written |= store.write_outputs(db, {store.LOG.name: frames[store.LOG.name]})
    seconds["load"] = time.perf_counter() - clock - seconds["read"] - seconds["validate"]
    seconds["total"] = time.perf_counter() - clock
    return StagingResult(batch_id, files, batch, outcome, frames, written, seconds)
