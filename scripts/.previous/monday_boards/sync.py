"""Sync boards: extract a board completely, map and transform it, detect drift, load it.

One board at a time, in this order: read every page (nothing is written if the API fails
mid-board), plan the columns (overrides > previous names > titles), transform, compare with
the table (drift), replace the board table atomically, then its metadata rows, then its
sync log row. A board that fails is logged as failed and the others still sync; an auth
error skips the remaining boards (each would fail the same way).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from shared.api_client import ApiError, MondayAuthError, MondayClient
from shared.config import ConfigError
from shared.db_helper import Database, DatabaseError

from . import store
from .columnar import ArrowCollector
from .columns import BoardPlan, plan_board
from .drift import Drift, detect_drift, mapping_with_drift, table_schema, with_kept_types
from .extract import BoardExtract, extract_board, read_boards, subitem_columns
from .settings import BoardConfig, SyncSettings
from .transform import ItemCollector, groups_frame

log = logging.getLogger(__name__)


def now() -> pd.Timestamp:
    """Naive UTC now, to the millisecond (what every backend stores alike)."""
    return pd.Timestamp.now(tz="UTC").tz_localize(None).floor("ms")


@dataclass
class TableResult:
    """One table written for a board (its items table or its subitems table)."""

    table: str
    rows: int
    drift: Drift
    unreadable_cells: int
    items_dropped: int
    transform_seconds: float
    load_seconds: float
    group_ids: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"group_id": []}))


@dataclass
class BoardOutcome:
    """What syncing one board did: one monday_sync_log row."""

    board_id: str
    table: str
    status: str = "success"  # success | failed | skipped
    error: str | None = None
    auth_failed: bool = False
    extract: BoardExtract | None = None
    tables: list[TableResult] = field(default_factory=list)
    started_at: pd.Timestamp = field(default_factory=now)
    seconds: float = 0.0

    @property
    def items(self) -> int:
        return self.tables[0].rows if self.tables else 0

    @property
    def subitems(self) -> int:
        return sum(t.rows for t in self.tables[1:])

    @property
    def drift(self) -> Drift:
        merged = Drift()
        for result in self.tables:
            merged.changes.extend(result.drift.changes)
        return merged

    def fail(self, exc: Exception, status: str = "failed") -> None:
        self.status, self.error = status, f"{type(exc).__name__}: {exc}"
        self.auth_failed = isinstance(exc, MondayAuthError)
        log.error("board %s: %s", self.board_id, self.error)

    def log_row(self, run_id: str) -> dict[str, Any]:
        ext = self.extract
        finished = (self.started_at + pd.Timedelta(seconds=self.seconds)).floor("ms")
        return {
            "run_id": run_id, "board_id": self.board_id, "table_name": self.table,
            "started_at": self.started_at, "finished_at": finished,
            "duration_seconds": round(self.seconds, 3), "items": self.items,
            "subitems": self.subitems, "pages": ext.pages if ext else 0,
            "complexity_used": ext.complexity_used if ext else 0,
            "restarts": ext.restarts if ext else 0, "status": self.status,
            "drift_found": self.drift.found, "drift": self.drift.summary() or None,
            "unreadable_cells": sum(t.unreadable_cells for t in self.tables), "error": self.error,
        }  # fmt: skip


def sync_boards(
    db: Database,
    client: MondayClient,
    settings: SyncSettings,
    boards: Sequence[BoardConfig],
    run_id: str,
) -> list[BoardOutcome]:
    """Sync each board in turn; every board gets a sync log row whatever happened."""
    outcomes: list[BoardOutcome] = []
    try:
        found = read_boards(client, [b.board_id for b in boards], settings.board_state)
    except ApiError as exc:
        for board in boards:
            outcome = BoardOutcome(board.board_id, board.table)
            outcome.fail(exc)
            outcomes.append(outcome)
        store.upsert(db, store.SYNC_LOG, pd.DataFrame([o.log_row(run_id) for o in outcomes]))
        return outcomes
    stop: str | None = None
    for board in boards:
        if stop is not None:
            outcome = BoardOutcome(board.board_id, board.table, "skipped", stop)
        else:
            outcome = sync_board(db, client, settings, board, found.get(board.board_id), run_id)
            if outcome.auth_failed:
                stop = f"not attempted after an authentication error on board {board.board_id}"
        store.upsert(db, store.SYNC_LOG, pd.DataFrame([outcome.log_row(run_id)]))
        outcomes.append(outcome)
    return outcomes


def sync_board(
    db: Database,
    client: MondayClient,
    settings: SyncSettings,
    config: BoardConfig,
    board: Mapping[str, Any] | None,
    run_id: str,
) -> BoardOutcome:
    """Extract one board completely, then load its tables and metadata.

    The items table is planned first, so each page read keeps only what the plan needs
    (columnar.ArrowCollector decodes pages straight into columns); a board with subitems is
    read whole as dicts (transform.ItemCollector), its subitems attached to their parents.
    """
    outcome = BoardOutcome(config.board_id, config.table)
    started = time.perf_counter()
    try:
        board = _found(board, config, settings)
        with no_cycle_collection(), ExitStack() as undo:
            table = prepare_table(db, config, board)
            collector = collector_for(db, table, settings, subitems=config.subitems)
            if collector.writer is not None:  # a failure before commit() rolls the load back
                undo.enter_context(collector.writer)
            outcome.extract = extract_board(
                client,
                board,
                subitems=config.subitems,
                state=settings.board_state,
                sink=None if config.subitems else collector,
            )
            # the pages were transformed (and loaded) inside the read: that time is theirs
            outcome.extract.seconds -= collector.seconds + collector.load_seconds
            collector.add(outcome.extract.items)  # subitems: the whole board; else nothing
            load_extract(db, settings, config, outcome, table, collector, run_id)
    except (ApiError, DatabaseError, ConfigError, LookupError) as exc:
        outcome.fail(exc)
    outcome.extract = None if outcome.extract is None else outcome.extract.summary()
    outcome.seconds = time.perf_counter() - started
    return outcome


def collector_for(
    db: Database, table: TablePlan, settings: SyncSettings, *, subitems: bool
) -> ItemCollector | ArrowCollector:
    """The Arrow collector, loading the table part by part while the board is read; the
    dict one when subitems need the whole board. Kept columns (drift) need every item id
    before anything is loaded: then the Arrow collector keeps the whole frame."""
    if subitems:
        return ItemCollector(table.collect_plan, settings.item_states)
    writer = None
    if not table.drift.kept:
        writer = store.board_writer(db, table.config.table, table_schema(table.plan, table.drift))
    return ArrowCollector(table.collect_plan, settings.item_states, writer=writer)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector while a board is read and loaded.

    A board's JSON becomes millions of dicts and strings that form no reference cycles; every
    full collection would walk all of them again (measured: ~30% of a 20,000-item read). The
    collector's previous state is restored afterwards; memory is freed by reference counting.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _found(
    board: Mapping[str, Any] | None, config: BoardConfig, settings: SyncSettings
) -> Mapping[str, Any]:
    if board is None:
        raise LookupError(
            f"board {config.board_id} not found (state={settings.board_state}): check the id "
            "and that the token's user can see the board"
        )
    return board


def load_extract(
    db: Database,
    settings: SyncSettings,
    config: BoardConfig,
    outcome: BoardOutcome,
    table: TablePlan,
    collector: ItemCollector | ArrowCollector,
    run_id: str,
) -> None:
    """Load an extract: the items table, the subitems table (if configured), metadata."""
    extract = outcome.extract
    assert extract is not None
    outcome.tables.append(load_table(db, table, collector, run_id))
    if config.subitems:
        subitems = extract.subitems
        sub_board = {"id": f"{config.board_id}:subitems", "columns": subitem_columns(subitems)}
        sub_config = BoardConfig(f"{config.board_id}:subitems", config.subitems_table)
        sub_table = prepare_table(db, sub_config, sub_board, subitems=True)
        sub_collector = ItemCollector(sub_table.collect_plan, settings.item_states)
        sub_collector.add(subitems)
        outcome.tables.append(load_table(db, sub_table, sub_collector, run_id))
    frame_groups = groups_frame(extract.board, outcome.tables[0].group_ids)
    store.replace_board_rows(db, store.GROUPS, config.board_id, frame_groups)
    store.upsert(db, store.BOARDS, _board_row(config, extract, outcome, run_id))


@dataclass
class TablePlan:
    """How one table of a board is written: its plan, the drift found, the last mapping."""

    config: BoardConfig
    plan: BoardPlan
    drift: Drift
    previous: pd.DataFrame | None
    seconds: float  # planning time (part of the transform)

    @property
    def collect_plan(self) -> BoardPlan:
        """The plan the transform follows: kept columns keep their table's type."""
        return with_kept_types(self.plan, self.drift)


def prepare_table(
    db: Database, config: BoardConfig, board: Mapping[str, Any], *, subitems: bool = False
) -> TablePlan:
    """Plan a table from the board's columns and the table as it is (names, drift)."""
    started = time.perf_counter()
    existing = store.table_columns(db, config.table)
    previous = store.previous_mapping(db, config.board_id) if existing else None
    names = _previous_names(previous, existing)
    plan = plan_board(config, board.get("columns") or [], names, subitems=subitems)
    drift = detect_drift(plan, existing, previous)
    return TablePlan(config, plan, drift, previous, time.perf_counter() - started)


def load_table(
    db: Database, table: TablePlan, collector: ItemCollector | ArrowCollector, run_id: str
) -> TableResult:
    """Transform what the collector gathered, then atomically replace the table."""
    config, plan, drift = table.config, table.plan, table.drift
    result = collector.frame()  # with a writer: the last part is written, key columns back
    frame = result.frame
    started = time.perf_counter()
    if drift.kept:
        kept = store.kept_values(db, config.table, list(drift.kept), frame["item_id"])
        frame = frame.assign(**{name: kept[name].to_numpy() for name in drift.kept})
    transformed = time.perf_counter()
    if collector.writer is not None:
        rows = collector.writer.commit()
    else:
        rows = store.write_board_table(db, frame, config.table, table_schema(plan, drift))
    loaded = time.perf_counter()
    mapping = mapping_with_drift(plan, drift, table.previous)
    store.replace_board_rows(db, store.MAPPING, config.board_id, mapping)
    if drift.found:
        log.warning("table %s: schema drift: %s", config.table, drift.summary())
        store.upsert(db, store.CHANGES, drift.frame(config.board_id, config.table, run_id, now()))
    groups = frame[["group_id"]] if "group_id" in frame else pd.DataFrame({"group_id": []})
    return TableResult(
        config.table, rows, drift, result.unreadable_cells, result.items_dropped,
        table.seconds + collector.seconds + transformed - started,
        collector.load_seconds + loaded - transformed, groups,
    )  # fmt: skip


def _previous_names(
    previous: pd.DataFrame | None, existing: Mapping[str, str] | None
) -> dict[tuple[str, str], str]:
    """(column id, part) -> SQL name, for names that still exist in the table."""
    if previous is None or existing is None:
        return {}
    rows = previous.dropna(subset=["sql_column"])
    rows = rows[rows["sql_column"].isin(list(existing)) & ~rows["column_id"].str.startswith("@")]
    keys = zip(rows["column_id"].astype(str), rows["part"].fillna("").astype(str), strict=True)
    return dict(zip(keys, rows["sql_column"].astype(str), strict=True))


def _board_row(
    config: BoardConfig, extract: BoardExtract, outcome: BoardOutcome, run_id: str
) -> pd.DataFrame:
    board = extract.board
    return pd.DataFrame([{
        "board_id": config.board_id, "board_name": board.get("name"),
        "board_state": board.get("state"), "table_name": config.table,
        "subitems_table": config.subitems_table if config.subitems else None,
        "columns": len(board.get("columns") or []), "groups": len(board.get("groups") or []),
        "items": outcome.items, "last_synced_at": now(), "last_status": "success",
        "last_run_id": run_id,
    }])  # fmt: skip
