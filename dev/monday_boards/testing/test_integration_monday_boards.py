"""Integration tests of monday_boards: the sandbox over real HTTP into SQLite, PostgreSQL and
MariaDB (the `database` fixture runs each test once per available backend).

With MONDAY_API_TOKEN and MONDAY_TEST_BOARDS (comma-separated ids) set, the generic sync test
reads the real Monday.com API instead (read-only); the others always use the sandbox.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: repo root importable, then relative imports work
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import pandas as pd
import pytest

from dev.shared.monday_sandbox import Fault
from shared.api_client import MondayClient
from shared.config import Config

from .helpers import SANDBOX_TOKEN

pytestmark = pytest.mark.integration
DEALS, DELIVERY, ALL_TYPES = "1234567890", "2000000001", "3000000001"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def mb(workflow: Any) -> Any:
    class Modules:
        def __getattr__(self, name: str) -> Any:
            return importlib.import_module(f"{workflow.package}.{name}")

    return Modules()


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, monday_sandbox: Any) -> tuple[str, list[str] | None]:
    """(API URL, board ids): the real API when configured, else the sandbox and the registry."""
    boards = os.environ.get("MONDAY_TEST_BOARDS")
    if os.environ.get("MONDAY_API_TOKEN") and boards:
        return os.environ.get("MONDAY_API_URL", "https://api.monday.com/v2"), boards.split(",")
    monkeypatch.setenv("MONDAY_API_TOKEN", SANDBOX_TOKEN)
    return monday_sandbox.url, None


def sync(workflow: Any, database: Any, url: str, boards: list[str] | None = None) -> Any:
    return workflow.module.run(database_url=database.url, env="testing", boards=boards, api_url=url)


@pytest.mark.requirement("REQ-MB-016")
@pytest.mark.requirement("REQ-MB-011")
def test_boards_sync_over_http_into_every_backend(workflow, database, api):
    url, boards = api
    summary = sync(workflow, database, url, boards)
    assert summary.status == "success", summary.error
    log = database.read_table("monday_sync_log")
    assert (log["status"] == "success").all()
    assert (log["pages"] >= 1).all()
    synced = database.read_table("monday_boards")
    mapping = database.read_table("monday_column_mapping")
    for board, table, items in zip(
        synced["board_id"], synced["table_name"], synced["items"], strict=True
    ):
        assert len(database.read_table(table)) == items
        mapped = set(mapping.loc[mapping["board_id"] == board, "sql_column"].dropna())
        assert set(database.columns(table)) == mapped  # every column says where it came from


@pytest.mark.requirement("REQ-MB-007")
@pytest.mark.requirement("REQ-MB-016")
def test_every_column_type_lands_typed_on_every_backend(workflow, database, api):
    url, boards = api
    if boards is not None:
        pytest.skip("sandbox boards only: the real account's boards are not known here")
    assert sync(workflow, database, url, [ALL_TYPES]).status == "success"
    types = database.columns("monday_all_column_types")
    assert (types["amount"], types["due_date"], types["due_date_at"]) == (
        "float",
        "date",
        "timestamp",
    )
    assert (types["drop_table_x"], types["timeline_from"], types["last_updated"]) == (
        "bool",
        "date",
        "timestamp",
    )
    row = database.read_table("monday_all_column_types").set_index("item_id").loc["3000000101"]
    assert row["amount"] == -12.75
    assert row["due_date_at"] == pd.Timestamp("2024-06-15 14:30:00")
    assert bool(row["drop_table_x"]) is True
    assert row["team_ids"] == "4616627,665845"
    assert row["owner_s_quote"] == 'He said "hi" / bye'


@pytest.mark.requirement("REQ-MB-007")
def test_display_only_and_linked_columns_arrive_with_values(workflow, database, api):
    # formula / mirror results live only in display_value, links only in linked_item_ids /
    # subitems_ids (value is null): the client's typed fragments must request them
    url, boards = api
    if boards is not None:
        pytest.skip("sandbox boards only: the real account's boards are not known here")
    assert sync(workflow, database, url, [ALL_TYPES]).status == "success"
    table = database.read_table("monday_all_column_types").set_index("item_id")
    filled, empty = table.loc["3000000101"], table.loc["3000000102"]
    assert filled["formula"] == "42.5"
    assert filled["mirror"] == "Mirrored text"
    assert filled["related_deals"] == "Onboard ACME, Renew Globex"
    assert filled["related_deals_ids"] == "9001000001,9001000002"
    assert (filled["subitems"], filled["subitems_ids"]) == ("Only subitem", "3000000201")
    assert (filled["country"], filled["item_id_2"]) == ("DE", "3000000101")
    assert filled["last_updated"] == pd.Timestamp("2024-05-02 11:30:00")
    assert table.loc["3000000103", "related_deals_ids"] == "42"
    assert empty[["formula", "mirror", "related_deals", "related_deals_ids"]].isna().all()


@pytest.mark.requirement("REQ-MB-014")
def test_the_delivery_board_lands_as_the_schedule_expects(workflow, database, api):
    url, boards = api
    if boards is not None:
        pytest.skip("sandbox boards only")
    assert sync(workflow, database, url, [DELIVERY]).status == "success"
    table = database.read_table("monday_customer_delivery_schedules", order_by=["item_id"])
    assert {"customer_id", "delivery_weekdays", "blackout_from", "blackout_to"} <= set(
        table.columns
    )
    c005 = table.set_index("customer_id").loc["C005"]
    assert c005["delivery_weekdays"] == "MON,THU"
    assert (c005["blackout_from"], c005["blackout_to"]) == (
        pd.Timestamp("2026-12-21"),
        pd.Timestamp("2027-01-06"),
    )
    assert (
        table["delivery_weekdays"]
        .dropna()
        .str.fullmatch(r"(MON|TUE|WED|THU|FRI|SAT|SUN)(,[A-Z]{3})*")
        .all()
    )


@pytest.mark.requirement("REQ-MB-017")
@pytest.mark.requirement("REQ-MB-016")
def test_a_resync_leaves_every_table_identical(workflow, database, api):
    url, boards = api
    assert sync(workflow, database, url, boards).status == "success"
    tables = [
        *database.read_table("monday_boards")["table_name"],
        "monday_groups",
        "monday_column_mapping",
    ]
    before = {t: database.table_checksum(t) for t in tables}
    assert sync(workflow, database, url, boards).status == "success"
    assert {t: database.table_checksum(t) for t in tables} == before
    assert not database.read_table("monday_sync_log")["drift_found"].any()


@pytest.mark.requirement("REQ-MB-010")
@pytest.mark.requirement("REQ-MB-016")
def test_an_api_failure_mid_board_leaves_the_old_table_on_every_backend(
    workflow, mb, database, monday_sandbox
):
    registry = Config(env="testing", values={"boards": [{"id": ALL_TYPES, "table": "all_types"}]})
    settings = mb.settings.load_settings(registry)
    with MondayClient(
        monday_sandbox.url, SANDBOX_TOKEN, page_limit=1, sleep=lambda _s: None
    ) as client:
        first = mb.sync.sync_boards(database, client, settings, settings.boards, "run-1")
        assert first[0].status == "success"
        before = database.table_checksum("all_types")
        monday_sandbox.inject(
            Fault("error_code", code="InvalidArgumentException", on="next_items_page", after=1)
        )
        second = mb.sync.sync_boards(database, client, settings, settings.boards, "run-2")
    assert second[0].status == "failed"
    assert database.table_checksum("all_types") == before
    log = database.read_table("monday_sync_log").set_index("run_id")
    assert log.loc["run-2", "status"] == "failed"
    assert "InvalidArgumentException" in log.loc["run-2", "error"]


@pytest.mark.requirement("REQ-MB-012")
@pytest.mark.requirement("REQ-MB-016")
def test_schema_drift_on_every_backend(workflow, mb, database, monday_sandbox_factory):
    def board(columns: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
        return {"boards": [{"id": "7300000001", "name": "D", "columns": columns,
                            "items": [{"id": "7300000101", "name": "i", "values": values}]}]}  # fmt: skip

    registry = Config(env="testing", values={"boards": [{"id": "7300000001", "table": "drift_t"}]})
    settings = mb.settings.load_settings(registry)
    steps = [
        board([{"id": "n", "title": "Amount", "type": "numbers"},
               {"id": "x", "title": "Gone soon", "type": "text"}], {"n": 4.5, "x": "keep me"}),
        board([{"id": "n", "title": "Amount", "type": "text"},
               {"id": "y", "title": "New", "type": "checkbox"}], {"n": "four", "y": True}),
    ]  # fmt: skip
    outcomes = []
    for n, step in enumerate(steps):
        with MondayClient(monday_sandbox_factory(step).url, SANDBOX_TOKEN) as client:
            outcomes += mb.sync.sync_boards(database, client, settings, settings.boards, f"r{n}")
    assert [o.status for o in outcomes] == ["success", "success"], [o.error for o in outcomes]
    assert (
        outcomes[1].drift.summary()
        == "added: new; removed: gone_soon; retyped: amount; type_changed: amount"
    )
    table = database.read_table("drift_t").iloc[0]
    assert pd.isna(table["amount"])  # "four" cannot be a float: the table keeps its type
    assert table["gone_soon"] == "keep me"
    assert bool(table["new"]) is True
    assert database.columns("drift_t")["amount"] == "float"
    changes = database.read_table("monday_schema_changes")
    assert sorted(changes["change"]) == ["added", "removed", "retyped", "type_changed"]


@pytest.mark.requirement("REQ-MB-013")
def test_the_command_line_syncs_and_prints_the_summary(sqlite_database, monday_sandbox, tmp_path):
    env = dict(
        os.environ,
        MONDAY_API_TOKEN=SANDBOX_TOKEN,
        CONFIG__output_dir=str(tmp_path),
        PYTHONPATH=str(ROOT),
    )
    env.pop("MONDAY_API_URL", None)
    script = Path(__file__).resolve().parents[1] / "monday_boards.py"
    done = subprocess.run(
        [sys.executable, str(script), "--env", "testing", "--boards", f"{DEALS},{DELIVERY}",
         "--api-url", monday_sandbox.url, "--database-url", sqlite_database.url],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "status:   success" in done.stderr
    assert "items: 14" in done.stderr
    assert (tmp_path / "run_summary.json").exists()
    failed = subprocess.run(
        [sys.executable, str(script), "--env", "testing", "--boards", "9999999999",
         "--api-url", monday_sandbox.url, "--database-url", sqlite_database.url],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert failed.returncode == 1
    assert "board 9999999999 not found" in failed.stderr


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
