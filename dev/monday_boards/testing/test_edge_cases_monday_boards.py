"""Edge cases of monday_boards: every documented API error shape through the sandbox, budget
waits, cursor expiry, failures mid-board, empty boards, awkward titles and values, bad starts.

Each API case syncs through a real MondayClient over HTTP to the sandbox with a recorded
(instant) sleep, so retry waits are asserted without waiting.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: repo root importable, then relative imports work
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import pandas as pd
import pytest

from dev.shared.monday_sandbox import Fault, ManualClock
from shared.api_client import MondayClient
from shared.config import Config
from shared.db_helper import DatabaseError, LoadError
from shared.db_stream import TableWriter

from .helpers import SANDBOX_TOKEN

pytestmark = pytest.mark.edge
DEALS, DELIVERY, ALL_TYPES = "1234567890", "2000000001", "3000000001"
REGISTRY = {
    "boards": [
        {"id": ALL_TYPES, "table": "all_types"},
        {"id": DEALS, "table": "deals"},
    ]
}


class Modules:
    def __init__(self, workflow: Any) -> None:
        self._workflow = workflow

    def __getattr__(self, name: str) -> Any:
        return importlib.import_module(f"{self._workflow.package}.{name}")


@pytest.fixture
def mb(workflow: Any) -> Modules:
    return Modules(workflow)


class Waits(list[float]):
    """The client's sleep: records each wait and moves the sandbox clock instead of sleeping."""

    def __init__(self, clock: ManualClock | None = None) -> None:
        super().__init__()
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)


def run_sync(
    mb: Modules,
    db: Any,
    sandbox: Any,
    registry: dict[str, Any] | None = None,
    waits: Waits | None = None,
    **client: Any,
) -> list[Any]:
    settings = mb.settings.load_settings(Config(env="testing", values=registry or REGISTRY))
    sleep = waits if waits is not None else Waits()
    with MondayClient(sandbox.url, SANDBOX_TOKEN, sleep=sleep, **client) as monday:
        return mb.sync.sync_boards(db, monday, settings, settings.selected(None), "run-edge")


def by_board(outcomes: list[Any]) -> dict[str, Any]:
    return {o.board_id: o for o in outcomes}


# ----------------------------------------------------------------------------- retried shapes

RETRIED = [
    pytest.param(Fault("complexity_exhausted", version="2025-07", retry_in_seconds=7), 7.0, id="budget-2025-07-trimmed"),
    pytest.param(Fault("complexity_exhausted", version="2025-01", retry_in_seconds=6), 6.0, id="budget-2025-01-full"),
    pytest.param(Fault("complexity_exhausted", version="2024-10", retry_in_seconds=3), 3.0, id="budget-legacy-ComplexityException"),
    pytest.param(Fault("complexity_exhausted", version="2024-10", legacy_code="complexityBudgetExhausted", retry_in_seconds=2), 2.0, id="budget-legacy-camelCase"),
    pytest.param(Fault("max_concurrency"), None, id="maxConcurrencyExceeded"),
    pytest.param(Fault("ip_rate_limit", retry_in_seconds=4), 4.0, id="IP_RATE_LIMIT_EXCEEDED"),
    pytest.param(Fault("field_limit", retry_in_seconds=5), 5.0, id="FIELD_LIMIT_EXCEEDED"),
    pytest.param(Fault("rate_limit", retry_in_seconds=9), 9.0, id="RATE_LIMIT_EXCEEDED"),
    pytest.param(Fault("rate_limit_legacy", retry_after=8), 8.0, id="legacy-rate-limit-Retry-After"),
    pytest.param(Fault("http_429", retry_after=1), 1.0, id="http-429-Retry-After"),
    pytest.param(Fault("internal_error"), None, id="500-internal-error"),
    pytest.param(Fault("status_500"), None, id="500-documented-body"),
    pytest.param(Fault("status_502"), None, id="502-html"),
    pytest.param(Fault("status_503"), None, id="503-html"),
    pytest.param(Fault("status_504"), None, id="504-html"),
    pytest.param(Fault("locked"), None, id="423-locked"),
    pytest.param(Fault("truncated_json"), None, id="truncated-json"),
    pytest.param(Fault("malformed_json"), None, id="malformed-json"),
    pytest.param(Fault("connection_reset"), None, id="connection-reset"),
    pytest.param(Fault("delay", seconds=0.05), None, id="slow-answer"),
]  # fmt: skip


@pytest.mark.requirement("REQ-MB-004")
@pytest.mark.parametrize("where", ["items_page", "next_items_page"])
@pytest.mark.parametrize(("fault", "wait"), RETRIED)
def test_transient_errors_are_retried_and_the_board_syncs_completely(
    mb, sqlite_database, monday_sandbox, fault, wait, where
):
    fault.on = where
    monday_sandbox.inject(fault)
    waits = Waits()
    outcome = by_board(run_sync(mb, sqlite_database, monday_sandbox, waits=waits, page_limit=2))[
        ALL_TYPES
    ]
    assert outcome.status == "success", outcome.error
    assert sqlite_database.read_table("all_types")["item_id"].tolist() == [
        "3000000101", "3000000102", "3000000103"
    ]  # fmt: skip
    assert not monday_sandbox.pending_faults
    if wait is not None:
        assert wait in waits  # the wait the server asked for, not a guess


# ----------------------------------------------------------------------------- failing shapes

FAILING = [
    pytest.param(Fault("error_code", code="InvalidBoardIdException", message="Board not found"), "MondayNotFoundError", id="InvalidBoardIdException"),
    pytest.param(Fault("error_code", code="ResourceNotFoundException", message="gone"), "MondayNotFoundError", id="ResourceNotFoundException"),
    pytest.param(Fault("error_code", code="InvalidArgumentException", message="bad limit"), "MondayArgumentError", id="InvalidArgumentException"),
    pytest.param(Fault("error_code", code="ColumnValueException", message="bad JSON"), "MondayArgumentError", id="ColumnValueException"),
    pytest.param(Fault("error_code", code="InvalidColumnIdException", message="no col"), "MondayArgumentError", id="InvalidColumnIdException"),
    pytest.param(Fault("max_complexity"), "shrink the query", id="maxComplexityExceeded"),
    pytest.param(Fault("daily_limit"), "daily call limit", id="DAILY_LIMIT_EXCEEDED"),
    pytest.param(Fault("api_version_required"), "MondayArgumentError", id="API_VERSION_REQUIRED"),
    pytest.param(Fault("status_500", times=10), "gave up after", id="retry-budget-used-up"),
]  # fmt: skip


@pytest.mark.requirement("REQ-MB-004")
@pytest.mark.requirement("REQ-MB-010")
@pytest.mark.parametrize(("fault", "says"), FAILING)
def test_permanent_errors_fail_the_board_clearly_and_leave_its_table_unchanged(
    mb, sqlite_database, monday_sandbox, fault, says
):
    run_sync(mb, sqlite_database, monday_sandbox, page_limit=2)  # a good sync first
    before = sqlite_database.table_checksum("all_types")
    fault.on = "next_items_page"  # page 1 of the first board read fine: it fails mid-board
    monday_sandbox.inject(fault)
    outcomes = by_board(run_sync(mb, sqlite_database, monday_sandbox, page_limit=2))
    failed = outcomes[ALL_TYPES]
    assert failed.status == "failed"
    assert says in failed.error
    assert f"board {ALL_TYPES}" in failed.error  # names the board
    assert sqlite_database.table_checksum("all_types") == before  # never a partial board
    assert outcomes[DEALS].status == "success"  # the other boards still sync
    log = sqlite_database.read_sql(
        "SELECT status, error FROM monday_sync_log WHERE run_id = 'run-edge'"
    )
    assert sorted(log["status"]) == ["failed", "success"]


@pytest.mark.requirement("REQ-MB-004")
def test_auth_error_fails_the_board_and_skips_the_rest(mb, sqlite_database, monday_sandbox):
    monday_sandbox.inject(Fault("user_unauthorized", on="items_page"))
    outcomes = by_board(run_sync(mb, sqlite_database, monday_sandbox))
    assert outcomes[ALL_TYPES].status == "failed"
    assert "MONDAY_API_TOKEN" in outcomes[ALL_TYPES].error
    assert outcomes[DEALS].status == "skipped"
    assert "authentication error" in outcomes[DEALS].error
    assert not sqlite_database.table_exists("deals")


@pytest.mark.requirement("REQ-MB-004")
def test_a_failing_boards_query_fails_every_board(mb, sqlite_database, monday_sandbox):
    monday_sandbox.inject(Fault("user_unauthorized", on="boards"))
    outcomes = run_sync(mb, sqlite_database, monday_sandbox)
    assert [o.status for o in outcomes] == ["failed", "failed"]
    log = sqlite_database.read_table("monday_sync_log")
    assert len(log) == 2
    assert log["error"].str.contains("MondayAuthError").all()


@pytest.mark.requirement("REQ-MB-004")
def test_a_wrong_token_is_refused_with_the_fix(mb, sqlite_database, monday_sandbox):
    settings = mb.settings.load_settings(Config(env="testing", values=REGISTRY))
    with MondayClient(monday_sandbox.url, "not-the-token", sleep=Waits()) as monday:
        outcomes = mb.sync.sync_boards(sqlite_database, monday, settings, settings.boards, "r")
    assert all(o.status == "failed" for o in outcomes)
    assert "check MONDAY_API_TOKEN" in outcomes[0].error


@pytest.mark.requirement("REQ-MB-004")
def test_an_unknown_board_fails_alone_with_a_clear_message(mb, sqlite_database, monday_sandbox):
    registry = {"boards": [{"id": "9999999999"}, {"id": DEALS, "table": "deals"}]}
    outcomes = by_board(run_sync(mb, sqlite_database, monday_sandbox, registry))
    assert outcomes["9999999999"].status == "failed"
    assert "board 9999999999 not found" in outcomes["9999999999"].error
    assert outcomes[DEALS].status == "success"


# ----------------------------------------------------------------------------- pagination


@pytest.mark.requirement("REQ-MB-005")
def test_an_expired_cursor_restarts_the_board_from_page_one(mb, sqlite_database, monday_sandbox):
    monday_sandbox.inject(Fault("expire_cursors", on="next_items_page"))
    outcome = by_board(run_sync(mb, sqlite_database, monday_sandbox, page_limit=1))[ALL_TYPES]
    assert outcome.status == "success", outcome.error
    assert outcome.extract.restarts == 1
    assert outcome.extract.pages == 3
    assert len(sqlite_database.read_table("all_types")) == 3
    log = sqlite_database.read_table("monday_sync_log").set_index("board_id")
    assert log.loc[ALL_TYPES, "restarts"] == 1


@pytest.mark.requirement("REQ-MB-005")
def test_cursors_expired_by_time_restart_too(mb, sqlite_database, monday_sandbox_factory):
    clock = ManualClock()
    sandbox = monday_sandbox_factory(None, clock=clock, cursor_ttl_seconds=60)
    waits = Waits(clock)
    sandbox.inject(
        Fault("complexity_exhausted", version="2025-07", retry_in_seconds=61, on="next_items_page")
    )
    outcome = by_board(run_sync(mb, sqlite_database, sandbox, waits=waits, page_limit=1))[ALL_TYPES]
    assert outcome.status == "success", outcome.error
    assert outcome.extract.restarts == 1  # the wait outlived the cursor: read again from page 1
    assert 61.0 in waits


@pytest.mark.requirement("REQ-MB-002")
@pytest.mark.requirement("REQ-MB-003")
def test_pages_follow_the_cursor_and_complexity_is_read_on_every_call(
    mb, sqlite_database, monday_sandbox
):
    outcomes = run_sync(mb, sqlite_database, monday_sandbox, page_limit=1)
    reads = [r for r in monday_sandbox.requests if "items_page" in (r.query or "")]
    assert sum("next_items_page" in (r.query or "") for r in reads) == 2 + 2  # 3 items per board
    assert all("complexity" in (r.query or "") for r in monday_sandbox.requests)
    assert sum(o.extract.complexity_used for o in outcomes) == sum(r.complexity or 0 for r in reads)
    log = sqlite_database.read_table("monday_sync_log").set_index("board_id")
    assert log.loc[ALL_TYPES, "pages"] == 3
    assert (
        log.loc[ALL_TYPES, "complexity_used"]
        == by_board(outcomes)[ALL_TYPES].extract.complexity_used
    )


@pytest.mark.requirement("REQ-MB-003")
def test_a_low_budget_makes_the_client_wait_before_the_next_call(
    mb, sqlite_database, monday_sandbox_factory
):
    clock = ManualClock()
    sandbox = monday_sandbox_factory(None, clock=clock, complexity_budget=200)
    waits = Waits(clock)
    outcomes = run_sync(mb, sqlite_database, sandbox, waits=waits, page_limit=1, min_budget=150)
    assert [o.status for o in outcomes] == ["success", "success"], [o.error for o in outcomes]
    assert waits  # waited for the window to reset instead of hammering the API
    assert len(sqlite_database.read_table("deals")) == 3


# ----------------------------------------------------------------------------- boards and data


@pytest.mark.requirement("REQ-MB-008")
def test_an_empty_board_syncs_to_an_empty_table_with_every_column(
    mb, sqlite_database, monday_sandbox_factory
):
    boards = {"boards": [{"id": "7100000001", "name": "Empty", "columns": [
        {"id": "s", "title": "Stage", "type": "status", "settings": {"labels": {"0": "New"}}},
        {"id": "t", "title": "When", "type": "timeline"}], "items": []}]}  # fmt: skip
    registry = {"boards": [{"id": "7100000001", "table": "empty_board"}]}
    outcome = run_sync(mb, sqlite_database, monday_sandbox_factory(boards), registry)[0]
    assert outcome.status == "success", outcome.error
    assert outcome.items == 0
    assert set(sqlite_database.columns("empty_board")) >= {"stage", "when_from", "when_to"}
    assert sqlite_database.read_table("empty_board").empty


@pytest.mark.requirement("REQ-MB-009")
def test_special_characters_and_duplicate_titles_round_trip_through_the_database(
    mb, sqlite_database, monday_sandbox
):
    run_sync(mb, sqlite_database, monday_sandbox)
    table = sqlite_database.read_table("all_types").set_index("item_id")
    assert table.loc["3000000103", "name"] == "Unicode 💥 and 'quotes'"
    assert table.loc["3000000103", "owner_s_quote"] == "DROP TABLE items; --"
    assert table.loc["3000000101", "notes_details"] == "Line one\nLine two ✓"
    assert table.loc["3000000101", "status_2"] == "Low"  # the second "Status" column
    mapping = sqlite_database.read_table("monday_column_mapping")
    titles = mapping.loc[mapping["board_id"] == ALL_TYPES].set_index("sql_column")["column_title"]
    assert titles["team"] == "🚀 Team"
    assert titles["drop_table_x"] == "drop table x; --"


@pytest.mark.requirement("REQ-MB-006")
def test_archived_boards_are_not_synced_unless_configured(mb, sqlite_database, monday_sandbox):
    registry = {"boards": [{"id": "3000000099", "table": "old_pipeline"}]}
    assert run_sync(mb, sqlite_database, monday_sandbox, registry)[0].status == "failed"
    registry["board_state"] = "archived"
    outcome = run_sync(mb, sqlite_database, monday_sandbox, registry)[0]
    assert outcome.status == "success", outcome.error
    assert sqlite_database.read_table("old_pipeline")["text"].tolist() == ["old"]


@pytest.mark.requirement("REQ-MB-010")
def test_a_failed_load_leaves_the_table_as_it_was(mb, sqlite_database, monday_sandbox, monkeypatch):
    run_sync(mb, sqlite_database, monday_sandbox)
    before = sqlite_database.table_checksum("deals")

    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise LoadError("deals: disk full; the table is unchanged")

    monkeypatch.setattr(mb.store, "write_board_table", broken)  # the whole-frame load
    monkeypatch.setattr(TableWriter, "commit", broken)  # the part-by-part load
    outcomes = by_board(run_sync(mb, sqlite_database, monday_sandbox))
    assert outcomes[DEALS].status == "failed"
    assert "disk full" in outcomes[DEALS].error
    assert sqlite_database.table_checksum("deals") == before


@pytest.mark.requirement("REQ-MB-012")
def test_kept_columns_keep_their_values_for_known_items_only(
    mb, sqlite_database, monday_sandbox_factory
):
    def board(columns: list[dict[str, Any]], items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"boards": [{"id": "7200000001", "name": "K", "columns": columns, "items": items}]}

    first = board([{"id": "a", "title": "A", "type": "date"}],
                  [{"id": "7200000101", "name": "x", "values": {"a": "2024-01-02 10:00"}}])  # fmt: skip
    second = board([], [{"id": "7200000101", "name": "x"}, {"id": "7200000102", "name": "y"}])
    registry = {"boards": [{"id": "7200000001", "table": "kept"}]}
    run_sync(mb, sqlite_database, monday_sandbox_factory(first), registry)
    outcome = run_sync(mb, sqlite_database, monday_sandbox_factory(second), registry)[0]
    assert outcome.drift.summary() == "removed: a, a_at"
    table = sqlite_database.read_table("kept", order_by=["item_id"])
    assert table["a"].tolist()[0] == pd.Timestamp("2024-01-02")
    assert table["a_at"].tolist()[0] == pd.Timestamp("2024-01-02 10:00")
    assert table[["a", "a_at"]].iloc[1].isna().all()


# ----------------------------------------------------------------------------- the run


@pytest.mark.requirement("REQ-MB-013")
def test_run_reports_failure_when_any_board_fails(workflow, tmp_path, monkeypatch, monday_sandbox):
    monkeypatch.setenv("MONDAY_API_TOKEN", SANDBOX_TOKEN)
    summary = workflow.module.run(
        database_url=f"sqlite:///{tmp_path / 'f.sqlite'}", env="testing",
        boards=[DEALS, "9999999999"], api_url=monday_sandbox.url,
    )  # fmt: skip
    assert summary.status == "failed"
    assert summary.counts["boards_success"] == 1
    assert summary.counts["boards_failed"] == 1
    assert "board 9999999999" in summary.error


@pytest.mark.requirement("REQ-MB-013")
@pytest.mark.parametrize(
    ("url", "says"),
    [("oracle://x/y", "unsupported database URL"), ("sqlite:////proc/nope/x.sqlite", "/proc/nope")],
)
def test_run_fails_cleanly_when_the_database_is_unusable(
    workflow, monkeypatch, monday_sandbox, url, says
):
    monkeypatch.setenv("MONDAY_API_TOKEN", SANDBOX_TOKEN)
    summary = workflow.module.run(
        database_url=url, env="testing", boards=[DEALS], api_url=monday_sandbox.url
    )
    assert summary.status == "failed"
    assert says in summary.error


@pytest.mark.requirement("REQ-MB-013")
def test_run_fails_cleanly_when_the_database_fails_mid_run(
    workflow, mb, tmp_path, monkeypatch, monday_sandbox
):
    monkeypatch.setenv("MONDAY_API_TOKEN", SANDBOX_TOKEN)

    def down(*_args: Any, **_kwargs: Any) -> None:
        raise DatabaseError("upsert into 'monday_sync_log' failed: server closed the connection")

    monkeypatch.setattr(mb.store, "upsert", down)
    summary = workflow.module.run(
        database_url=f"sqlite:///{tmp_path / 'd.sqlite'}", env="testing", boards=[DEALS],
        api_url=monday_sandbox.url,
    )  # fmt: skip
    assert summary.status == "failed"
    assert "server closed the connection" in summary.error


@pytest.mark.requirement("REQ-MB-013")
def test_run_fails_cleanly_on_a_bad_registry(workflow, tmp_path, monkeypatch):
    monkeypatch.setenv("MONDAY_API_TOKEN", SANDBOX_TOKEN)
    monkeypatch.setenv("CONFIG__board_state", "sleeping")
    summary = workflow.module.run(database_url=f"sqlite:///{tmp_path / 'b.sqlite'}", env="testing")
    assert summary.status == "failed"
    assert "board_state" in summary.error


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
