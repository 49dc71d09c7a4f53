"""API faults in the Monday sandbox through the real monday_boards run() and MondayClient.

Every error shape of contracts.md section 1, 429 with and without Retry-After, 5xx bursts
(inside and beyond the retry budget), timeouts, truncated and malformed JSON, connection resets
and expired cursors, each on the first page of a board and in the middle of one. A retried fault
must end in a successful run whose database equals a clean run (checksums per table); a
permanent one must fail the run with a message naming the code, and leave every board table as
it was before that run (never a partial board).

Each case starts from a copy of one clean synced SQLite file (the clean run is done once), so a
case costs one run of the workflow over one board (11 items, 6 pages). Retries are made fast through CONFIG__ variables: the
testing environment's 0.01 s backoff, a 0.5 s client timeout, 2 items per page.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dev.shared.monday_sandbox import Fault, MondaySandbox, sample_boards
from shared.api_client.monday_ahead import DEPTH as AHEAD
from shared.db_helper import Database

pytestmark = pytest.mark.integration

monday_boards = importlib.import_module("dev.monday_boards.monday_boards")

TOKEN = "sandbox-token"  # secret-scan: allow (a fixed test value, not a secret)
TIMEOUT = 0.2  # seconds: the client's timeout; the `delay` fault waits longer
RETRIES = 3  # the testing environment's http.max_retries
# per-run columns of the metadata tables (the run's id and clock); everything else must match
VOLATILE = {
    "monday_boards": ("last_synced_at", "last_run_id"),
    "monday_schema_changes": ("run_id", "detected_at"),
}
LOGS = ("monday_sync_log",)
TABLES = {  # the registry of dev/monday_boards/workflow.yaml
    "2000000001": "monday_customer_delivery_schedules",
    "1234567890": "monday_deals",
    "3000000001": "monday_all_column_types",
}  # one row per board and run: compared by its own rule

RETRIED = [
    Fault("complexity_exhausted", version="2025-07", retry_in_seconds=0),
    Fault("complexity_exhausted", version="2025-01", retry_in_seconds=0),
    Fault("complexity_exhausted", version="2024-10", retry_in_seconds=0),
    Fault(
        "complexity_exhausted",
        version="2024-10",
        legacy_code="complexityBudgetExhausted",
        retry_in_seconds=0,
    ),
    Fault("max_concurrency"),
    Fault("ip_rate_limit", retry_in_seconds=0),
    Fault("field_limit", retry_in_seconds=0),
    Fault("rate_limit", retry_in_seconds=0),
    Fault("rate_limit_legacy"),  # 429 without Retry-After: the client's own backoff
    Fault("http_429"),
    Fault("http_429", retry_after=1),
    Fault("internal_error"),
    Fault("status_500"),
    Fault("status_502"),
    Fault("status_503"),
    Fault("status_504"),
    Fault("status_503", times=RETRIES),  # a burst the retry budget still covers
    Fault("status_502", times=2),
    Fault("locked"),
    Fault("truncated_json"),
    Fault("truncated_json", times=2),
    Fault("malformed_json"),
    Fault("connection_reset"),
    Fault("delay", seconds=0.6),  # beyond the client timeout: a timeout, retried
    Fault("delay", seconds=0.05),  # slow but inside the timeout
    Fault("expire_cursors"),  # the board restarts from page 1
    Fault("expire_cursors", times=3),  # three restarts: the client's limit
]

# (fault, the text the run's error must contain): the code, or what the client says it means
FAILING = [
    (Fault("user_unauthorized"), "UserUnauthorizedException"),
    (Fault("max_complexity"), "maxComplexityExceeded"),
    (Fault("daily_limit"), "DAILY_LIMIT_EXCEEDED"),
    (Fault("api_version_required"), "API_VERSION_REQUIRED"),
    *[
        (Fault("error_code", code=code), code)
        for code in (
            "InvalidBoardIdException",
            "InvalidItemIdException",
            "InvalidColumnIdException",
            "ResourceNotFoundException",
            "InvalidArgumentException",
            "ColumnValueException",
            "CorrectedValueException",
            "ItemsLimitationException",
        )
    ],
    (Fault("status_503", times=RETRIES + 1), "HTTP_503"),  # a burst beyond the retry budget
    (Fault("status_500", times=RETRIES + 1), "gave up"),
    (Fault("http_429", times=RETRIES + 1), "429"),
    (Fault("truncated_json", times=RETRIES + 1), "not valid JSON"),
    (Fault("delay", seconds=0.6, times=RETRIES + 1), "timed out"),
    (Fault("expire_cursors", times=4), "CursorExpiredError"),  # restarted 3 times, then fails
]
# where a fault strikes: the first page of a board, or mid-board (page 1 read, page 3 fails)
# (an expired cursor only shows when a cursor is used: its first placement is page 2)
WHERE: dict[str, dict[str, Any]] = {
    "first-page": {"on": "items_page"},
    "mid-board": {"on": "next_items_page", "after": 2},
}
BOARD = "2000000001"  # delivery schedules: 11 items, 6 pages of 2; the run syncs only this board


def _fault_id(fault: Fault) -> str:
    extra = "-".join(f"{k}{v}" for k, v in fault.params.items())
    return f"{fault.kind}x{fault.times}" + (f"-{extra}" if extra else "")


# Mid-board, pages are read ahead (shared.api_client.monday_ahead): a cut 200 body still shows
# its page's cursor, so the next pages are asked for before it is found broken, and a request
# read ahead when cursors expire meets the expiry too. Each request in flight takes one of the
# faults, so a burst that outlasts a plain read's budget must be that much longer; the run has
# to fail all the same, and a plain read's worth of faults must have struck.
AHEAD_SENSITIVE = frozenset({"truncated_json", "expire_cursors"})


def placed(fault: Fault, where: str, *, outlast_read_ahead: bool = False) -> Fault:
    """A copy of ``fault`` aimed at ``where`` (first page or mid-board); made longer, for
    failures that must outlast pages read ahead (see AHEAD_SENSITIVE)."""
    place = dict(WHERE[where])
    if fault.kind == "expire_cursors" and where == "first-page":
        place = {"on": "next_items_page"}
    times = fault.times
    ahead = place.get("on") == "next_items_page"  # pages after the first are read ahead
    if outlast_read_ahead and ahead and fault.kind in AHEAD_SENSITIVE:
        times *= 1 + AHEAD
    return Fault(fault.kind, times=times, status=fault.status, **place, **fault.params)


def table_digests(db: Database) -> dict[str, Any]:
    """Checksum per business table; the sync log's rows per status (compared separately)."""
    tables = sorted(
        str(name)
        for name in db.read_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'monday%'"
        )["name"]
    )
    out: dict[str, Any] = {}
    for table in tables:
        if table in LOGS:
            continue
        if table in VOLATILE:
            frame = db.read_table(table)
            out[table] = frame_digest(frame.drop(columns=list(VOLATILE[table])))
        else:
            out[table] = db.table_checksum(table)
    return out


def frame_digest(frame: pd.DataFrame) -> str:
    """Order-independent hash of a frame's columns and rows."""
    canon = frame[sorted(frame.columns)].astype(str)
    rows = sorted(pd.util.hash_pandas_object(canon, index=False).tolist())
    return hashlib.sha256(repr((list(canon.columns), rows)).encode()).hexdigest()


def sync_log(db: Database) -> pd.DataFrame:
    return db.read_sql("SELECT run_id, board_id, status, error FROM monday_sync_log")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[MondaySandbox]:
    with MondaySandbox(sample_boards()) as started:
        yield started


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, sandbox: MondaySandbox) -> dict[str, Any]:
    """One clean sync: its SQLite file, its checksums, and a second clean run's checksums."""
    folder = tmp_path_factory.mktemp("api_faults")
    path = folder / "clean.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        fast_env(mp, folder)
        first = run_workflow(path, sandbox)
        assert first.status == "success", first.error
        db = Database(f"sqlite:///{path}")
        digests = table_digests(db)
        db.dispose()
    return {"path": path, "digests": digests, "boards": len(sync_log_rows(path))}


def sync_log_rows(path: Path) -> pd.DataFrame:
    db = Database(f"sqlite:///{path}")
    try:
        return sync_log(db)
    finally:
        db.dispose()


def fast_env(mp: pytest.MonkeyPatch, folder: Path) -> None:
    mp.setenv("MONDAY_API_TOKEN", TOKEN)
    mp.setenv("WORKFLOW_ENV", "testing")  # 3 retries, 0.01 s backoff (shared/config/testing.yaml)
    mp.setenv("CONFIG__monday__timeout_seconds", str(TIMEOUT))
    mp.setenv("CONFIG__monday__page_limit", "2")
    mp.setenv("CONFIG__output_dir", str(folder))
    mp.delenv("MONDAY_API_URL", raising=False)


def run_workflow(path: Path, sandbox: MondaySandbox) -> Any:
    return monday_boards.run(database_url=f"sqlite:///{path}", api_url=sandbox.url, boards=[BOARD])


@pytest.fixture
def case_db(clean: dict[str, Any], sandbox: MondaySandbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the clean synced database for one case (the environment set fast)."""
    folder = clean["path"].parent
    fast_env(monkeypatch, folder)
    sandbox.reset()  # no fault or cursor left over from another case
    copy = folder / "case.sqlite"
    shutil.copyfile(clean["path"], copy)
    return copy


def test_a_second_clean_run_changes_no_business_table(clean, case_db, sandbox, tally):
    summary = run_workflow(case_db, sandbox)
    assert summary.status == "success", summary.error
    db = Database(f"sqlite:///{case_db}")
    try:
        after = table_digests(db)
        tally.add("rows_compared", sum(len(db.read_table(t)) for t in after))
    finally:
        db.dispose()
    tally.add("cases_tried")
    assert after == clean["digests"]


@pytest.mark.parametrize("where", list(WHERE))
@pytest.mark.parametrize("fault", RETRIED, ids=_fault_id)
def test_retried_faults_end_in_the_clean_state(clean, case_db, sandbox, fault, where, tally):
    sandbox.inject(placed(fault, where))
    summary = run_workflow(case_db, sandbox)
    tally.add("cases_tried")
    tally.add("faults_injected", fault.times)
    pending = sandbox.pending_faults
    assert not pending, f"fault never struck: {pending}"
    assert summary.status == "success", f"{fault} at {where}: {summary.error}"
    db = Database(f"sqlite:///{case_db}")
    try:
        after = table_digests(db)
        tally.add("rows_compared", sum(len(db.read_table(t)) for t in after))
        log = sync_log(db)
    finally:
        db.dispose()
    assert after == clean["digests"]
    assert (log["status"] == "success").all()
    assert len(log) == 2 * clean["boards"]  # one row per board and run, both runs kept


@pytest.mark.parametrize("where", list(WHERE))
@pytest.mark.parametrize(("fault", "says"), FAILING, ids=[_fault_id(f) for f, _ in FAILING])
def test_permanent_faults_fail_clearly_and_leave_every_board_as_before(
    clean, case_db, sandbox, fault, says, where, tally
):
    aimed = placed(fault, where, outlast_read_ahead=True)
    sandbox.inject(aimed)
    summary = run_workflow(case_db, sandbox)
    tally.add("cases_tried")
    struck = aimed.times - sandbox.faults_left()
    tally.add("faults_injected", struck)
    assert struck >= fault.times, f"fault struck {struck} of {fault.times} times"
    assert summary.status == "failed", f"{fault} at {where} did not fail the run"
    assert says.lower() in (summary.error or "").lower(), summary.error
    assert "board " in (summary.error or "")  # says which board
    db = Database(f"sqlite:///{case_db}")
    try:
        after = table_digests(db)
        tally.add("rows_compared", sum(len(db.read_table(t)) for t in after))
        log = sync_log(db)
    finally:
        db.dispose()
    assert after == clean["digests"]  # never a partial board: every table as before the run
    latest = log[log["run_id"] == summary.run_id]
    assert len(latest) == clean["boards"]  # the failed run still logged every board
    assert (latest["status"] != "success").any()
    failed = latest[latest["status"] == "failed"]
    assert failed["error"].str.lower().str.contains(says.lower(), regex=False).all()


@pytest.mark.usefixtures("case_db")  # the fast environment and a reset sandbox
def test_a_fault_on_a_fresh_database_leaves_no_board_table(sandbox, tmp_path, tally):
    """A board whose first read fails has no table at all afterwards (nothing half-created)."""
    fresh = tmp_path / "fresh.sqlite"
    sandbox.inject(Fault("error_code", code="InvalidBoardIdException", on="next_items_page"))
    summary = run_workflow(fresh, sandbox)
    tally.add("cases_tried")
    tally.add("faults_injected")
    assert summary.status == "failed"
    failed_board = BOARD
    assert f"board {BOARD}" in (summary.error or "")
    db = Database(f"sqlite:///{fresh}")
    try:
        registered = (
            db.read_sql("SELECT board_id FROM monday_boards")["board_id"].tolist()
            if db.table_exists("monday_boards")
            else []
        )
        assert failed_board not in registered  # no metadata row for the failed board
        assert not db.table_exists(TABLES[failed_board])  # and no table, not even an empty one
        log = sync_log(db)
    finally:
        db.dispose()
    assert log.loc[log["board_id"] == failed_board, "status"].tolist() == ["failed"]
