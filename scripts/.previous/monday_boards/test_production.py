"""Unit tests of monday_boards: registry, naming, column plans, every column type, drift, sync.

Self-contained on purpose: promotion copies this file as scripts/monday_boards/test_production.py,
so the workflow's modules are reached through the `workflow` fixture (`mb.<module>`), never
through a hard-coded dev. path. The API is the local sandbox (`monday_sandbox` fixture, HTTP on
127.0.0.1); databases are SQLite files.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: the repo root (holding pyproject.toml) first
    sys.path.insert(
        0, str(next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()))
    )

import numpy as np
import pandas as pd
import pytest

from shared.api_client import MondayClient
from shared.config import Config, ConfigError

pytestmark = pytest.mark.unit
TOKEN = "sandbox-token"  # secret-scan: allow (a fixed test value, not a secret)
DEALS, DELIVERY, ALL_TYPES = "1234567890", "2000000001", "3000000001"


class Modules:
    """The workflow's modules by attribute (`mb.columns`), from the tested folder's package."""

    def __init__(self, workflow: Any) -> None:
        self._workflow = workflow

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return importlib.import_module(f"{self._workflow.package}.{name}")


@pytest.fixture
def mb(workflow: Any) -> Modules:
    return Modules(workflow)


def config(values: dict[str, Any]) -> Config:
    return Config(env="testing", values=values)


def extract(workflow: Any, mb: Modules, name: str) -> Any:
    return mb.extract.load_extract(workflow.sample_path(name))


def plan_of(mb: Modules, board: dict[str, Any], **overrides: Any) -> Any:
    cfg = mb.settings.BoardConfig(str(board["id"]), "t", **overrides)
    return mb.columns.plan_board(cfg, board["columns"])


def frame_of(workflow: Any, mb: Modules, sample: str, **overrides: Any) -> pd.DataFrame:
    ext = extract(workflow, mb, sample)
    return mb.transform.board_frame(ext.items, plan_of(mb, ext.board, **overrides)).frame


def client_for(sandbox: Any, waits: list[float] | None = None) -> MondayClient:
    sleeps = waits if waits is not None else []
    return MondayClient(sandbox.url, TOKEN, sleep=sleeps.append)


def sync(
    mb: Modules, db: Any, sandbox: Any, values: dict[str, Any], run_id: str = "run-1"
) -> list[Any]:
    settings = mb.settings.load_settings(config(values))
    with client_for(sandbox) as client:
        return mb.sync.sync_boards(db, client, settings, settings.selected(None), run_id)


# ----------------------------------------------------------------------------- registry


@pytest.mark.requirement("REQ-MB-001")
def test_registry_reads_boards_tables_and_overrides(workflow, mb):
    values = workflow.sample("mock_configurations.yaml")["valid"]["deals_renamed"]
    settings = mb.settings.load_settings(config(values))
    board = settings.boards[0]
    assert (board.board_id, board.table, board.subitems) == (DEALS, "crm_deals", False)
    assert board.columns["status"].name == "stage"
    assert board.columns["numbers"].type == "float"
    assert board.columns["person"].exclude is True
    assert settings.item_states == ("active",)


@pytest.mark.requirement("REQ-MB-001")
def test_workflow_yaml_registry_is_valid_and_feeds_the_schedule(workflow, mb):
    settings = mb.settings.load_settings(config(workflow.spec["config"]))
    delivery = settings.board(DELIVERY)
    assert delivery.table == "monday_customer_delivery_schedules"
    assert delivery.columns["delivery_weekdays"].separator == ","
    targets = {t["name"] for t in workflow.spec["targets"]}
    assert {b.table for b in settings.boards} <= targets


@pytest.mark.requirement("REQ-MB-001")
@pytest.mark.parametrize(
    "case",
    [
        "not_a_list", "missing_id", "bad_id", "bad_table", "unknown_key", "bad_type",
        "bad_override", "duplicate_board", "duplicate_table", "duplicate_override_name",
        "bad_state", "bad_item_states", "exclude_not_bool", "subitems_not_bool",
        "columns_not_mapping",
    ],
)  # fmt: skip
def test_registry_rejects_bad_entries_with_a_clear_message(workflow, mb, case):
    bad = workflow.sample("mock_configurations.yaml")["invalid"][case]
    with pytest.raises(ConfigError) as info:
        mb.settings.load_settings(config(bad["config"]))
    assert bad["error"] in str(info.value)


@pytest.mark.requirement("REQ-MB-001")
def test_unregistered_board_gets_the_default_table_and_empty_selection_is_refused(mb):
    settings = mb.settings.load_settings(config({"boards": [], "table_prefix": "mon_"}))
    assert [b.table for b in settings.selected(["42", "42", "7"])] == ["mon_42", "mon_7"]
    with pytest.raises(ConfigError, match="no boards to sync"):
        settings.selected(None)


@pytest.mark.requirement("REQ-MB-001")
def test_null_override_means_automatic_mapping(mb):
    settings = mb.settings.load_settings(config({"boards": [{"id": "1", "columns": {"a": None}}]}))
    assert settings.boards[0].columns["a"] == mb.settings.ColumnOverride()


def test_bad_table_prefix_is_refused(mb):
    with pytest.raises(ConfigError, match="table_prefix"):
        mb.settings.load_settings(config({"table_prefix": "Mon Boards"}))


# ----------------------------------------------------------------------------- naming


@pytest.mark.requirement("REQ-MB-009")
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Status", "status"),
        ("Amount (€)", "amount"),
        ("🚀 Team", "team"),
        ("SELECT", "select_"),  # reserved word: trailing underscore
        ("group", "group_"),
        ("100% done?", "c_100_done"),  # leading digit
        ("Ünïcödé ✓", "unicode"),  # accents folded, symbols dropped
        ("drop table x; --", "drop_table_x"),
        ("  spaced  title ", "spaced_title"),
        ("tab\there", "tab_here"),
        ('Owner\'s "quote"', "owner_s_quote"),
        ("a/b\\c path", "a_b_c_path"),
        ("✓✓✓", "col_7"),  # nothing left: the column id
    ],
)
def test_titles_become_safe_sql_names(mb, title, expected):
    assert mb.naming.safe_sql_name(title, "col_7") == expected


@pytest.mark.requirement("REQ-MB-009")
def test_long_titles_are_cut_to_fit_every_backend(mb):
    name = mb.naming.safe_sql_name("x" * 200)
    assert len(name) == mb.naming.MAX_BASE
    assert mb.naming.safe_sql_name("", "") == "column_"  # `column` is reserved


@pytest.mark.requirement("REQ-MB-009")
def test_name_collisions_get_numbered_suffixes_for_every_part(mb):
    names = mb.naming.NameAllocator(["status", "blackout_to"])
    assert names.allocate("status", [""]) == "status_2"
    assert names.allocate("status", [""]) == "status_3"
    assert names.allocate("blackout", ["from", "to"]) == "blackout_2"  # blackout_to was taken
    long = "y" * mb.naming.MAX_BASE
    names.claim([long])
    assert len(names.allocate(long, [""])) == mb.naming.MAX_BASE


# ----------------------------------------------------------------------------- column plans


@pytest.mark.requirement("REQ-MB-007")
def test_every_column_type_gets_typed_sql_columns(workflow, mb):
    board = extract(workflow, mb, "sample_all_column_types_response.json").board
    schema = plan_of(mb, board).schema
    assert schema == {
        "item_id": "text", "name": "text", "group_id": "text", "group_title": "text",
        "state": "text", "created_at": "timestamp", "updated_at": "timestamp",
        "item_id_2": "text", "status": "text", "status_2": "text", "due_date": "date",
        "due_date_at": "timestamp", "amount": "float", "owner_s_quote": "text",
        "notes_details": "text", "team": "text", "team_ids": "text", "select_": "text",
        "timeline_from": "date", "timeline_to": "date", "drop_table_x": "bool",
        "country": "text", "formula": "text", "mirror": "text", "related_deals": "text",
        "related_deals_ids": "text", "subitems": "text", "subitems_ids": "text",
        "last_updated": "timestamp",
    }  # fmt: skip


@pytest.mark.requirement("REQ-MB-009")
def test_duplicate_titles_resolve_in_board_order_and_the_mapping_keeps_titles(workflow, mb):
    board = extract(workflow, mb, "sample_all_column_types_response.json").board
    mapping = plan_of(mb, board).mapping_frame().set_index(["column_id", "part"])
    assert mapping.loc[("status", ""), "sql_column"] == "status"
    assert mapping.loc[("status_1", ""), "sql_column"] == "status_2"
    assert mapping.loc[("status_1", ""), "column_title"] == "Status"
    assert "'status' was taken" in mapping.loc[("status_1", ""), "reason"]
    assert mapping.loc[("numbers", ""), "column_title"] == "Amount (€)"
    assert mapping.loc[("name", ""), "status"] == "excluded"  # the item name is `name`


@pytest.mark.requirement("REQ-MB-001")
def test_overrides_rename_retype_exclude_and_join(workflow, mb):
    board = extract(workflow, mb, "sample_api_response.json").board
    cols = mb.settings.ColumnOverride
    plan = plan_of(
        mb,
        board,
        columns={
            "status": cols(name="stage"),
            "numbers": cols(type="text"),
            "date4": cols(name="close_on"),
            "person": cols(exclude=True),
        },
    )
    assert plan.schema == {
        "item_id": "text", "name": "text", "group_id": "text", "group_title": "text",
        "state": "text", "created_at": "timestamp", "updated_at": "timestamp", "stage": "text",
        "close_on": "date", "close_on_at": "timestamp", "deal_value": "text",
    }  # fmt: skip
    excluded = {e.column_id: e.reason for e in plan.excluded}
    assert excluded["person"] == "excluded in config"
    by_name = plan.by_name()
    assert by_name["stage"].source == "override"
    assert "type float -> text by config" in by_name["deal_value"].reason


@pytest.mark.requirement("REQ-MB-001")
def test_override_names_that_clash_are_config_errors(mb):
    board = {"id": "1", "columns": [{"id": "a", "title": "A", "type": "text"}]}
    cols = mb.settings.ColumnOverride
    with pytest.raises(ConfigError, match="clash with an item field"):
        plan_of(mb, board, columns={"a": cols(name="name")})


@pytest.mark.requirement("REQ-MB-009")
def test_previous_names_stay_when_titles_change_and_are_never_reused(mb):
    board = {
        "id": "1",
        "columns": [
            {"id": "a", "title": "Renamed title", "type": "text"},
            {"id": "b", "title": "Old", "type": "text"},  # would auto-name `old`
            {"id": "c", "title": "Date", "type": "date"},
        ],
    }
    previous = {("a", ""): "old", ("gone", ""): "date", ("c", "at"): "when_at"}
    plan = plan_of(mb, board)
    plan = mb.columns.plan_board(mb.settings.BoardConfig("1", "t"), board["columns"], previous)
    names = {(o.column_id, o.part): o.sql_name for o in plan.outputs}
    assert names[("a", "")] == "old"  # stable although the title changed
    assert names[("b", "")] == "old_2"  # `old` belongs to column a
    assert names[("c", "")] == "when"  # the base of its previous part name
    assert names[("c", "at")] == "when_at"
    assert names[("c", "")] != "date"  # a removed column's name is not handed out again


@pytest.mark.requirement("REQ-MB-007")
def test_unknown_column_types_keep_their_text(mb):
    board = {"id": "1", "columns": [{"id": "e", "title": "Email", "type": "email"}]}
    plan = plan_of(mb, board)
    assert plan.by_name()["email"].kind == "text"
    items = [
        {"id": "1", "column_values": [{"id": "e", "type": "email", "text": "a@b.c", "value": "{}"}]}
    ]
    assert mb.transform.board_frame(items, plan).frame["email"].tolist() == ["a@b.c"]


# ----------------------------------------------------------------------------- transform


@pytest.mark.requirement("REQ-MB-002")
@pytest.mark.requirement("REQ-MB-007")
def test_sample_api_response_becomes_the_expected_table(workflow, mb):
    ext = extract(workflow, mb, "sample_api_response.json")
    assert (ext.pages, ext.complexity_used, len(ext.items)) == (2, 3790, 3)
    frame = frame_of(workflow, mb, "sample_api_response.json")
    expected = workflow.sample("sample_database_data.csv")
    shown = pd.DataFrame(
        {
            c: ["" if pd.isna(v) else str(v).removesuffix(" 00:00:00") for v in frame[c].tolist()]
            for c in frame.columns
        }
    )
    shown["deal_value"] = [f"{v:.1f}" if not pd.isna(v) else "" for v in frame["deal_value"]]
    workflow.assert_frame_equal(shown, expected, keys=["item_id"])


@pytest.mark.requirement("REQ-MB-007")
def test_every_column_type_is_read_into_its_typed_value(workflow, mb):
    frame = frame_of(workflow, mb, "sample_all_column_types_response.json").set_index("item_id")
    filled = frame.loc["3000000101"]
    assert filled["item_id_2"] == "3000000101"
    assert (filled["status"], filled["status_2"]) == ("Done", "Low")
    assert filled["due_date"] == pd.Timestamp("2024-06-15")
    assert filled["due_date_at"] == pd.Timestamp("2024-06-15 14:30:00")
    assert filled["amount"] == -12.75
    assert filled["owner_s_quote"] == 'He said "hi" / bye'
    assert filled["notes_details"] == "Line one\nLine two ✓"
    assert (filled["team"], filled["team_ids"]) == ("Ana Lopez, Sales Team", "4616627,665845")
    assert filled["select_"] == "Red, Blue, dark"
    assert (filled["timeline_from"], filled["timeline_to"]) == (
        pd.Timestamp("2024-07-01"),
        pd.Timestamp("2024-07-14"),
    )
    assert filled["drop_table_x"] is True or filled["drop_table_x"] == np.True_
    assert filled["country"] == "DE"
    assert (filled["formula"], filled["mirror"]) == ("42.5", "Mirrored text")
    assert filled["related_deals"] == "Onboard ACME, Renew Globex"
    assert filled["related_deals_ids"] == "9001000001,9001000002"
    assert (filled["subitems"], filled["subitems_ids"]) == ("Only subitem", "3000000201")
    assert filled["last_updated"] == pd.Timestamp("2024-05-02 11:30:00")
    other = frame.loc["3000000103"]
    assert (other["country"], other["related_deals_ids"]) == ("XK", "42")
    assert other["owner_s_quote"] == "DROP TABLE items; --"


@pytest.mark.requirement("REQ-MB-008")
def test_empty_cells_of_every_type_are_null_and_checkbox_false(workflow, mb):
    frame = frame_of(workflow, mb, "sample_all_column_types_response.json").set_index("item_id")
    empty = frame.loc["3000000102"].drop(
        ["name", "group_id", "group_title", "state", "created_at", "updated_at", "item_id_2"]
    )
    assert not bool(empty["drop_table_x"])
    assert empty.drop("drop_table_x").isna().all(), empty[empty.notna()].to_dict()


def _untyped(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("id", "type", "text", "value")
    return [
        {**item, "column_values": [{k: c[k] for k in keep} for c in item["column_values"]]}
        for item in items
    ]


@pytest.mark.requirement("REQ-MB-007")
def test_without_typed_fragments_values_come_from_text_and_value(workflow, mb):
    ext = extract(workflow, mb, "sample_all_column_types_response.json")
    plan = plan_of(mb, ext.board)
    frame = mb.transform.board_frame(_untyped(ext.items), plan).frame.set_index("item_id")
    row = frame.loc["3000000101"]
    assert row["status"] == "Done"
    assert row["due_date_at"] == pd.Timestamp("2024-06-15 14:30:00")
    assert row["amount"] == -12.75
    assert row["team_ids"] == "4616627,665845"
    assert row["timeline_to"] == pd.Timestamp("2024-07-14")
    assert bool(row["drop_table_x"])
    assert row["country"] == "DE"
    assert row["last_updated"] == pd.Timestamp("2024-05-02 11:30:00")
    assert row["item_id_2"] == "3000000101"
    assert frame.loc["3000000102"][["due_date", "amount", "country"]].isna().all()


@pytest.mark.requirement("REQ-MB-007")
def test_legacy_relation_values_give_linked_ids(mb):
    board = {"id": "1", "columns": [{"id": "r", "title": "Rel", "type": "board_relation"},
                                    {"id": "s", "title": "Subs", "type": "subtasks"}]}  # fmt: skip
    linked = json.dumps({"linkedPulseIds": [{"linkedPulseId": 11}, {"linkedPulseId": 12}]})
    items = [{"id": "1", "column_values": [
        {"id": "r", "type": "board_relation", "text": None, "value": linked},
        {"id": "s", "type": "subtasks", "text": "A", "value": linked}]}]  # fmt: skip
    frame = mb.transform.board_frame(items, plan_of(mb, board)).frame
    assert frame.loc[0, "rel_ids"] == "11,12"
    assert frame.loc[0, "subs_ids"] == "11,12"


@pytest.mark.requirement("REQ-MB-001")
def test_separator_override_joins_labels_and_ids(workflow, mb):
    cols = mb.settings.ColumnOverride
    frame = frame_of(
        workflow,
        mb,
        "sample_delivery_schedules_response.json",
        columns={"delivery_weekdays": cols(separator=",")},
    ).set_index("customer_id")
    assert frame.loc["C010", "delivery_weekdays"] == "MON,TUE,WED,THU,FRI"
    ext = extract(workflow, mb, "sample_delivery_schedules_response.json")
    plan = plan_of(mb, ext.board, columns={"delivery_weekdays": cols(separator=";")})
    untyped = mb.transform.board_frame(_untyped(ext.items), plan).frame.set_index("customer_id")
    assert untyped.loc["C001", "delivery_weekdays"] == "MON;WED;FRI"


@pytest.mark.requirement("REQ-MB-007")
def test_column_order_differing_per_item_is_read_by_id(workflow, mb):
    ext = extract(workflow, mb, "sample_all_column_types_response.json")
    plan = plan_of(mb, ext.board)
    expected = mb.transform.board_frame(ext.items, plan).frame
    shuffled = [dict(item) for item in ext.items]
    shuffled[1]["column_values"] = list(reversed(shuffled[1]["column_values"]))
    shuffled[2]["column_values"] = shuffled[2]["column_values"][:-1]  # a missing cell reads null
    got = mb.transform.board_frame(shuffled, plan).frame
    pd.testing.assert_frame_equal(
        got.drop(columns="last_updated"), expected.drop(columns="last_updated")
    )
    assert pd.isna(got.loc[2, "last_updated"])


@pytest.mark.requirement("REQ-MB-006")
def test_only_configured_item_states_are_kept(mb):
    board = {"id": "1", "columns": []}
    items = [{"id": str(n), "state": state, "column_values": []}
             for n, state in enumerate(["active", "archived", "deleted", None])]  # fmt: skip
    plan = plan_of(mb, board)
    kept = mb.transform.board_frame(items, plan)
    assert kept.frame["item_id"].tolist() == ["0", "3"]
    assert kept.items_dropped == 2
    both = mb.transform.board_frame(items, plan, ("active", "archived"))
    assert both.frame["item_id"].tolist() == ["0", "1", "3"]
    assert len(mb.transform.board_frame(items, plan, ("all",)).frame) == 4


@pytest.mark.requirement("REQ-MB-018")
def test_unreadable_cells_become_null_and_are_reported(mb):
    board = {"id": "1", "columns": [{"id": "d", "title": "D", "type": "date"},
                                    {"id": "n", "title": "N", "type": "numbers"},
                                    {"id": "t", "title": "T", "type": "text"}]}  # fmt: skip
    items = [{"id": "7", "column_values": [
        {"id": "d", "type": "date", "text": "31/12/2024", "value": None},
        {"id": "n", "type": "numbers", "text": "12 pcs", "value": None},
        {"id": "t", "type": "text", "text": "maybe", "value": None}]}]  # fmt: skip
    plan = plan_of(mb, board, columns={"t": mb.settings.ColumnOverride(type="bool")})
    result = mb.transform.board_frame(items, plan)
    assert result.frame[["d", "n", "t"]].isna().all(axis=None)
    found = {u.sql_column: u for u in result.unreadable}
    assert set(found) == {"d", "n", "t"}
    assert found["n"].examples == [{"item_id": "7", "text": "12 pcs"}]
    assert result.unreadable_cells == 3


@pytest.mark.requirement("REQ-MB-008")
def test_an_empty_board_gives_every_column_and_no_rows(workflow, mb):
    board = extract(workflow, mb, "sample_all_column_types_response.json").board
    plan = plan_of(mb, board)
    frame = mb.transform.board_frame([], plan).frame
    assert list(frame.columns) == list(plan.schema)
    assert frame.empty


@pytest.mark.parametrize(
    ("values", "to", "expected", "lost"),
    [
        (np.array([1.0, 2.5, np.nan]), "text", ["1", "2.5", None], [False, False, False]),
        (np.array([True, False]), "text", ["true", "false"], [False, False]),
        (np.array(["2024-01-02", "NaT"], dtype="datetime64[D]"), "text", ["2024-01-02", None], [False, False]),
        (np.array(["1,200.5", "x", None], dtype=object), "float", [1200.5, None, None], [False, True, False]),
        (np.array(["3", "3.5"], dtype=object), "int", [3, None], [False, True]),
        (np.array(["yes", "No", "v", "perhaps"], dtype=object), "bool", [True, False, True, None], [False, False, False, True]),
        (np.array([True], dtype=bool), "bool", [True], [False]),
        (np.array(["2024-05-01", "bad"], dtype=object), "date", [pd.Timestamp("2024-05-01"), None], [False, True]),
        (np.array(["2024-05-01T10:00:00Z"], dtype=object), "timestamp", [pd.Timestamp("2024-05-01 10:00")], [False]),
        (np.array(["2024-05-01"], dtype="datetime64[D]"), "timestamp", [pd.Timestamp("2024-05-01")], [False]),
        (np.array(["2024-05-01"], dtype="datetime64[s]"), "date", [pd.Timestamp("2024-05-01")], [False]),
        (np.array(["2024-05-01"], dtype="datetime64[D]"), "float", [None], [True]),
        (np.array([1, 2]), "float", [1.0, 2.0], [False, False]),
        (np.array([1.5]), "json", ["1.5"], [False]),
        (np.array(["a"], dtype=object), "json", ["a"], [False]),
        (np.array(["7"], dtype=object), "decimal", [7.0], [False]),
        (np.array([7], dtype=object), "uuid", ["7"], [False]),
    ],
)  # fmt: skip
def test_cast_converts_or_flags(mb, values, to, expected, lost):
    converted, flagged = mb.casting.cast(values, to)
    got = [None if pd.isna(v) else v for v in pd.Series(converted, dtype=object)]
    assert got == expected
    assert flagged.tolist() == lost


@pytest.mark.requirement("REQ-MB-007")
def test_cells_missing_fields_or_holding_bad_values_are_read_safely(mb):
    board = {"id": "1", "columns": [{"id": "s", "title": "S", "type": "status"},
                                    {"id": "n", "title": "N", "type": "numbers"},
                                    {"id": "c", "title": "C", "type": "country"}]}  # fmt: skip
    items = [
        {"id": "1", "column_values": [
            {"id": "s", "type": "status", "text": "Done", "value": None, "label": "Done"},
            {"id": "n", "type": "numbers", "text": "abc", "value": None, "number": "abc"},
            {"id": "c", "type": "country"}]},  # a bare cell: no text, no value
        {"id": "2", "column_values": [
            {"id": "s", "type": "status", "text": "Stuck", "value": None},  # no `label` here
            {"id": "n", "type": "numbers", "text": "2", "value": None, "number": "2"},
            {"id": "c", "type": "country", "text": "Germany", "value": "{not json"}]},
    ]  # fmt: skip
    result = mb.transform.board_frame(items, plan_of(mb, board))
    frame = result.frame
    assert frame["s"].tolist() == ["Done", None]  # a cell without the field reads null
    assert frame["n"].tolist()[1] == 2.0
    assert pd.isna(frame["n"].tolist()[0])
    assert frame["c"].isna().all()
    assert {u.sql_column for u in result.unreadable} == {"n", "c"}


@pytest.mark.requirement("REQ-MB-007")
@pytest.mark.parametrize(
    "rows",
    [
        [[{"id": "a"}, {"id": "b"}], [{"id": "b"}, {"id": "a"}]],  # same length, other order
        [
            [{"id": "a"}, {"id": "b"}, {"id": "c"}],
            [{"id": "a"}, {"id": "x"}, {"id": "c"}],
        ],  # middle
        [[{"id": "a"}, {"id": "a"}]],  # an id twice
        [[{"id": "a"}], [{"id": "a"}, {"id": "b"}]],  # other lengths
    ],
)
def test_rows_not_sharing_one_column_order_are_detected(mb, rows):
    assert mb.cells.common_order(rows) is None


def test_rows_sharing_one_column_order_are_recognised(mb):
    rows = [[{"id": "a"}, {"id": "b"}]] * 3
    assert mb.cells.common_order(rows) == ["a", "b"]
    assert mb.cells.common_order([]) == []


@pytest.mark.requirement("REQ-MB-002")
def test_extracts_are_saved_and_replayed_and_bad_files_refused(workflow, mb, tmp_path):
    ext = extract(workflow, mb, "sample_api_response.json")
    assert ext.board_id == DEALS
    saved = mb.extract.save_extract(ext, tmp_path / "deals" / "extract.json")
    again = mb.extract.load_extract(saved)
    assert (again.board_id, len(again.items), again.pages) == (DEALS, 3, 2)
    (tmp_path / "bad.json").write_text('{"data": {}}')
    with pytest.raises(ValueError, match=r"record one with debugging/debug_extract\.py"):
        mb.extract.load_extract(tmp_path / "bad.json")
    (tmp_path / "empty.json").write_text(
        '{"boards_response": {"data": {"boards": []}}, "items_responses": []}'
    )
    with pytest.raises(ValueError, match=r"no data\.boards"):
        mb.extract.load_extract(tmp_path / "empty.json")


@pytest.mark.requirement("REQ-MB-009")
def test_a_lost_mapping_table_gives_the_same_names_again(
    workflow, mb, sqlite_database, monday_sandbox
):
    values = {"boards": [{"id": ALL_TYPES, "table": "every_type"}]}
    sync(mb, sqlite_database, monday_sandbox, values, "run-1")
    before = sqlite_database.table_checksum("every_type")
    sqlite_database.execute("DROP TABLE monday_column_mapping")
    outcome = sync(mb, sqlite_database, monday_sandbox, values, "run-2")[0]
    assert outcome.status == "success"
    assert not outcome.drift.found
    assert sqlite_database.table_checksum("every_type") == before


# ----------------------------------------------------------------------------- drift


def _board(*columns: tuple[str, str, str]) -> dict[str, Any]:
    return {"id": "9", "columns": [{"id": c, "title": t, "type": k} for c, t, k in columns]}


@pytest.mark.requirement("REQ-MB-012")
def test_no_table_means_no_drift(mb):
    plan = plan_of(mb, _board(("a", "A", "text")))
    drift = mb.drift.detect_drift(plan, None)
    assert not drift.found
    assert drift.summary() == ""


@pytest.mark.requirement("REQ-MB-012")
def test_drift_added_removed_retyped_renamed_and_type_changed(mb):
    before = plan_of(mb, _board(("a", "A", "text"), ("b", "B", "numbers"), ("c", "C", "text")))
    previous = before.mapping_frame()
    existing = before.schema | {"legacy": "uuid"}
    after_board = _board(("a", "Alpha", "numbers"), ("c", "C", "long_text"), ("d", "D", "date"))
    names = {("a", ""): "a", ("c", ""): "c"}
    after = mb.columns.plan_board(mb.settings.BoardConfig("9", "t"), after_board["columns"], names)
    drift = mb.drift.detect_drift(after, existing, previous)
    kinds = {(c.change, c.sql_column) for c in drift.changes}
    assert kinds == {
        ("added", "d"), ("added", "d_at"), ("retyped", "a"), ("removed", "b"),
        ("removed", "legacy"), ("renamed", "a"), ("type_changed", "a"), ("type_changed", "c"),
    }  # fmt: skip
    assert drift.kept == {"b": "float", "legacy": "text"}  # unknown native types kept as text
    assert drift.retyped == {"a": "text"}
    removed = {c.sql_column: c for c in drift.of("removed")}
    assert removed["b"].column_id == "b"
    assert removed["b"].action == "column kept with its last synced values"
    assert drift.summary().startswith("added: d, d_at; removed: b, legacy; retyped: a")
    schema = mb.drift.table_schema(after, drift)
    assert (schema["a"], schema["b"], schema["d"]) == ("text", "float", "date")
    mapping = mb.drift.mapping_with_drift(after, drift, previous).set_index("sql_column")
    assert mapping.loc["a", "status"] == "retyped"
    assert mapping.loc["b", "status"] == "removed"
    assert mapping.loc["b", "column_title"] == "B"
    assert mapping.loc["legacy", "column_id"] == "?legacy"
    kept_plan = mb.drift.with_kept_types(after, drift)
    assert kept_plan.by_name()["a"].cast_from == "float"
    rows = drift.frame("9", "t", "run-1", pd.Timestamp("2026-01-01"))
    assert len(rows) == len(drift.changes)


# ----------------------------------------------------------------------------- sync + load


@pytest.mark.requirement("REQ-MB-010")
@pytest.mark.requirement("REQ-MB-011")
def test_sync_loads_board_tables_and_every_metadata_table(
    workflow, mb, sqlite_database, monday_sandbox
):
    outcomes = sync(mb, sqlite_database, monday_sandbox, workflow.spec["config"])
    assert [(o.board_id, o.status, o.items) for o in outcomes] == [
        (DELIVERY, "success", 11), (DEALS, "success", 3), (ALL_TYPES, "success", 3)
    ]  # fmt: skip
    db = sqlite_database
    deals = db.read_table("monday_deals", order_by=["item_id"])
    assert deals["status"].tolist()[:2] == ["Working on it", "Done"]
    subitems = db.read_table("monday_deals_subitems", order_by=["item_id"])
    assert subitems["parent_item_id"].tolist() == ["9001000001", "9001000001"]
    log = db.read_table("monday_sync_log").set_index("board_id")
    assert log.loc[DEALS, "items"] == 3
    assert log.loc[DEALS, "subitems"] == 2
    assert log.loc[DEALS, "pages"] == 1
    assert log.loc[DEALS, "complexity_used"] > 0
    assert (log["status"] == "success").all()
    assert not log["drift_found"].any()
    groups = db.read_table("monday_groups").set_index(["board_id", "group_id"])
    assert groups.loc[(DEALS, "topics"), "items"] == 2
    boards = db.read_table("monday_boards").set_index("board_id")
    assert boards.loc[DEALS, "subitems_table"] == "monday_deals_subitems"
    mapping = db.read_table("monday_column_mapping")
    assert set(mapping["board_id"]) == {DELIVERY, DEALS, f"{DEALS}:subitems", ALL_TYPES}


def test_the_cycle_collector_pauses_during_a_board_and_is_restored(mb):
    import gc

    assert gc.isenabled()
    with mb.sync.no_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with mb.sync.no_cycle_collection():
            pass
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_a_synced_board_does_not_keep_its_items_in_memory(
    workflow, mb, sqlite_database, monday_sandbox
):
    outcome = sync(mb, sqlite_database, monday_sandbox, {"boards": [{"id": DEALS}]})[0]
    assert outcome.status == "success"
    assert outcome.extract.items == []
    assert outcome.extract.pages == 1


@pytest.mark.requirement("REQ-MB-017")
def test_a_second_sync_changes_nothing(workflow, mb, sqlite_database, monday_sandbox):
    values = workflow.spec["config"]
    sync(mb, sqlite_database, monday_sandbox, values, "run-1")
    tables = ["monday_deals", "monday_all_column_types", "monday_column_mapping", "monday_groups"]
    before = {t: sqlite_database.table_checksum(t) for t in tables}
    outcomes = sync(mb, sqlite_database, monday_sandbox, values, "run-2")
    assert not any(o.drift.found for o in outcomes)
    assert {t: sqlite_database.table_checksum(t) for t in tables} == before


@pytest.mark.requirement("REQ-MB-014")
def test_delivery_board_table_has_the_columns_the_schedule_reads(
    workflow, mb, sqlite_database, monday_sandbox
):
    values = {"boards": [b for b in workflow.spec["config"]["boards"] if b["id"] == DELIVERY]}
    sync(mb, sqlite_database, monday_sandbox, values)
    table = sqlite_database.read_table("monday_customer_delivery_schedules", order_by=["item_id"])
    types = sqlite_database.columns("monday_customer_delivery_schedules")
    assert {k: types[k] for k in ("customer_id", "delivery_weekdays", "blackout_from", "blackout_to")} == {
        "customer_id": "text", "delivery_weekdays": "text", "blackout_from": "date", "blackout_to": "date"
    }  # fmt: skip
    c007 = table[table["customer_id"] == "C007"]
    assert c007["delivery_weekdays"].tolist() == ["MON,FRI", "MON,FRI"]  # one row per blackout
    assert c007["blackout_from"].dt.strftime("%Y-%m-%d").tolist() == ["2026-12-14", "2026-12-28"]


@pytest.mark.requirement("REQ-MB-012")
def test_schema_drift_adds_keeps_and_converts_on_the_next_sync(
    mb, sqlite_database, monday_sandbox_factory
):
    first = {"boards": [{"id": "7000000001", "name": "Drifting", "columns": [
        {"id": "a", "title": "Alpha", "type": "text"},
        {"id": "b", "title": "Beta", "type": "numbers"}],
        "items": [{"id": "7000000101", "name": "One", "values": {"a": "12", "b": 5}}]}]}  # fmt: skip
    second = {"boards": [{"id": "7000000001", "name": "Drifting", "columns": [
        {"id": "a", "title": "Alpha renamed", "type": "numbers"},
        {"id": "c", "title": "Gamma", "type": "checkbox"}],
        "items": [{"id": "7000000101", "name": "One", "values": {"a": 12, "c": True}},
                  {"id": "7000000102", "name": "Two", "values": {"a": 3.5}}]}]}  # fmt: skip
    registry = {"boards": [{"id": "7000000001", "table": "drifting"}]}
    sync(mb, sqlite_database, monday_sandbox_factory(first), registry, "run-1")
    outcome = sync(mb, sqlite_database, monday_sandbox_factory(second), registry, "run-2")[0]
    assert outcome.status == "success"
    assert outcome.drift.summary() == (
        "added: gamma; removed: beta; retyped: alpha; renamed: alpha; type_changed: alpha"
    )
    table = sqlite_database.read_table("drifting", order_by=["item_id"])
    assert table["alpha"].tolist() == ["12", "3.5"]  # kept as text, new numbers converted
    assert table["beta"].tolist()[0] == 5.0
    assert pd.isna(table["beta"].tolist()[1])
    assert table["gamma"].tolist() == [True, False]
    changes = sqlite_database.read_table("monday_schema_changes")
    assert set(changes["change"]) == {"added", "removed", "retyped", "renamed", "type_changed"}
    assert set(changes["run_id"]) == {"run-2"}
    mapping = sqlite_database.read_table("monday_column_mapping").set_index("sql_column")
    assert mapping.loc["beta", "status"] == "removed"
    log = sqlite_database.read_table("monday_sync_log").set_index("run_id")
    assert bool(log.loc["run-2", "drift_found"])
    assert "added: gamma" in log.loc["run-2", "drift"]
    # a third sync: the kept and retyped columns stay as they are, and are not reported again
    checksum = sqlite_database.table_checksum("drifting")
    mapping_sum = sqlite_database.table_checksum("monday_column_mapping")
    third = sync(mb, sqlite_database, monday_sandbox_factory(second), registry, "run-3")[0]
    assert not third.drift.found
    assert sqlite_database.table_checksum("drifting") == checksum
    assert sqlite_database.table_checksum("monday_column_mapping") == mapping_sum


@pytest.mark.requirement("REQ-MB-013")
def test_run_syncs_boards_and_main_exits_zero(workflow, mb, tmp_path, monkeypatch, monday_sandbox):
    url = f"sqlite:///{tmp_path / 'mb.sqlite'}"
    monkeypatch.setenv("MONDAY_API_TOKEN", TOKEN)
    monkeypatch.setenv("MONDAY_API_URL", monday_sandbox.url)
    monkeypatch.setenv("CONFIG__output_dir", str(tmp_path / "out"))
    summary = workflow.module.run(database_url=url, env="testing", boards=[DEALS, "3000000001"])
    assert summary.status == "success", summary.error
    assert summary.counts["boards_success"] == 2
    assert summary.counts["items"] == 6
    assert summary.metrics["items_per_second"] > 0
    code = workflow.module.main(["--database-url", url, "--env", "testing", "--boards", DEALS])
    assert code == 0
    written = json.loads((tmp_path / "out" / "run_summary.json").read_text())
    assert written["status"] == "success"
    assert written["counts"]["items"] == 3


@pytest.mark.requirement("REQ-MB-013")
def test_api_url_flag_wins_over_config(workflow, tmp_path, monkeypatch, monday_sandbox):
    monkeypatch.setenv("MONDAY_API_TOKEN", TOKEN)
    monkeypatch.setenv("MONDAY_API_URL", "http://127.0.0.1:9/v2")  # nothing listens there
    summary = workflow.module.run(
        database_url=f"sqlite:///{tmp_path / 'a.sqlite'}", env="testing",
        boards=[DEALS], api_url=monday_sandbox.url,
    )  # fmt: skip
    assert summary.status == "success", summary.error


@pytest.mark.requirement("REQ-MB-013")
def test_main_exits_one_with_a_clear_error_without_a_token(workflow, tmp_path, monkeypatch):
    monkeypatch.delenv("MONDAY_API_TOKEN", raising=False)
    monkeypatch.setenv("CONFIG__output_dir", str(tmp_path))
    code = workflow.module.main(
        ["--database-url", f"sqlite:///{tmp_path / 'x.sqlite'}", "--env", "testing"]
    )
    assert code == 1
    written = json.loads((tmp_path / "run_summary.json").read_text())
    assert "MONDAY_API_TOKEN" in written["error"]


def test_summary_dir_falls_back_when_config_is_broken(workflow, monkeypatch):
    monkeypatch.setenv("WORKFLOW_ENV", "nonsense")
    assert workflow.module._summary_dir(None) is None


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))


# ----------------------------------------------------------------------------- the Arrow path


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Arrow-backed text columns as object columns of str/None, to compare with the dict path."""
    return pd.DataFrame(
        {
            c: pd.Series(frame[c].to_numpy(dtype=object, na_value=None), dtype=object)
            if isinstance(frame[c].dtype, pd.ArrowDtype)
            else frame[c]
            for c in frame.columns
        }
    )


def _both_paths(mb: Modules, plan: Any, pages: list[Any], states: Any = ("active",)) -> Any:
    dict_path, arrow_path = (
        mb.transform.ItemCollector(plan, states),
        mb.columnar.ArrowCollector(plan, states),
    )
    for page in pages:
        dict_path.add(page)
        arrow_path.add(page)
    return dict_path.frame(), arrow_path.frame()


def _assert_same(expected: Any, got: Any) -> None:
    pd.testing.assert_frame_equal(_comparable(got.frame), _comparable(expected.frame))
    assert [(u.sql_column, u.count) for u in got.unreadable] == [
        (u.sql_column, u.count) for u in expected.unreadable
    ]
    assert got.items_dropped == expected.items_dropped


@pytest.mark.requirement("REQ-MB-007")
@pytest.mark.parametrize("board_id", [DEALS, DELIVERY, ALL_TYPES, "wide"])
def test_arrow_pages_give_the_dict_paths_frame(mb, monday_sandbox_factory, board_id):
    # the sync reads pages straight into Arrow columns (columnar.py); the dict path is the
    # reference: same columns, dtypes, values, nulls and unreadable counts
    from dev.shared.monday_sandbox import make_wide_board

    wide = board_id == "wide"
    sandbox = monday_sandbox_factory(
        [make_wide_board("5000000001", 700, 48, seed=5)] if wide else None
    )
    board_id = "5000000001" if wide else board_id
    with client_for(sandbox) as client:
        board = client.boards([board_id])[0]
        plan = plan_of(mb, board)
        arrow = mb.columnar.ArrowCollector(plan)
        read = client.board_items(board_id, raw_values=False, sink=arrow)
        items = client.board_items(board_id, raw_values=False).items
    assert read.count == len(items)
    assert read.items == []
    expected = mb.transform.board_frame(items, plan)
    _assert_same(expected, arrow.frame())
    assert len(expected.frame) == len(items) > 0


@pytest.mark.requirement("REQ-MB-007")
def test_arrow_path_reads_cells_in_any_order_and_missing_cells_as_null(workflow, mb):
    ext = extract(workflow, mb, "sample_all_column_types_response.json")
    shuffled = [dict(item) for item in ext.items]
    shuffled[1]["column_values"] = list(reversed(shuffled[1]["column_values"]))
    shuffled[2]["column_values"] = shuffled[2]["column_values"][:-1]
    plan = plan_of(mb, ext.board)
    _assert_same(*_both_paths(mb, plan, [shuffled[:2], shuffled[2:]]))


@pytest.mark.requirement("REQ-MB-018")
def test_arrow_path_reports_unreadable_cells_and_keeps_states_like_the_dict_path(mb):
    board = {"id": "1", "columns": [{"id": "d", "title": "D", "type": "date"},
                                    {"id": "u", "title": "U", "type": "last_updated"},
                                    {"id": "t", "title": "T", "type": "text"}]}  # fmt: skip
    items = [{"id": str(n), "state": state, "column_values": [
        {"id": "d", "text": "x", "date": date},
        {"id": "u", "text": "", "updated_at": stamp},
        {"id": "t", "text": text}]}
        for n, (state, date, stamp, text) in enumerate([
            ("active", "31/12/2024", "2024-05-02T11:30:00Z", "yes"),
            ("archived", "2024-12-31", "not a time", ""),
            (None, None, None, "no"), ("", "2024-02-30", "2024-05-02 11:30:00 UTC", None)])
    ]  # fmt: skip
    plan = plan_of(mb, board, columns={"t": mb.settings.ColumnOverride(type="bool")})
    for states in (("active",), ("active", "archived"), ("all",)):
        expected, got = _both_paths(mb, plan, [items[:1], items[1:]], states)
        _assert_same(expected, got)
        assert expected.unreadable_cells > 0


@pytest.mark.requirement("REQ-MB-018")
def test_arrow_path_reads_pages_that_break_the_graphql_types_cell_by_cell(mb):
    # a number that is an object, a checkbox and a text that are of other JSON types: the page
    # is read by the dict path, between Arrow pages, in board order, bad cells null + reported
    columns = [{"id": c, "title": c.upper(), "type": t}
               for c, t in (("n", "numbers"), ("c", "checkbox"), ("t", "text"))]  # fmt: skip
    plan = plan_of(mb, {"id": "1", "columns": columns})
    good = [{"id": "1", "column_values": [
        {"id": "n", "number": 2.5}, {"id": "c", "checked": True}, {"id": "t", "text": "x"}]}]  # fmt: skip
    odd = [{"id": "2", "column_values": [
        {"id": "n", "number": {"not": "a float"}}, {"id": "c", "checked": "true"},
        {"id": "t", "text": 7}]}]  # fmt: skip
    expected, got = _both_paths(mb, plan, [good, odd, good])
    _assert_same(expected, got)
    assert got.frame["item_id"].tolist() == ["1", "2", "1"]
    assert got.frame["t"].tolist() == ["x", 7, "x"]  # as it came: the load writes '7'
    assert [(u.sql_column, u.count) for u in got.unreadable] == [("n", 1)]


@pytest.mark.parametrize(
    "body",
    [
        b'{"errors":[{"message":"boom","extensions":{"code":"X"}}],"account_id":1}',
        b'{"data":null,"errors":[{"message":"boom"}]}',
        b'{"data":{"complexity":{"query":1}}}',
        b'{"data":{"next_items_page":{"cursor":null,"items":[{"id":1.5e999}]}}}',
        b"not json",
        b'{"data":{"boards":[{"id":"1"},{"id":"2"}]}}',
    ],
)
def test_arrow_decoder_leaves_what_is_not_a_clean_page_to_the_client(mb, body):
    assert mb.columnar.decode_page(body) is None


def test_arrow_decoder_reads_first_and_next_pages_and_empty_boards(mb):
    first = mb.columnar.decode_page(
        b'{"data":{"complexity":{"before":9,"after":8,"query":1,"reset_in_x_seconds":60},'
        b'"boards":[{"id":"7","items_page":{"cursor":"c1","items":[{"id":"1","name":"A",'
        b'"column_values":[{"id":"t","text":"x"}]}]}}]},"account_id":5}'
    )
    page = first["data"]["boards"][0]["items_page"]
    assert (page["cursor"], len(page["items"])) == ("c1", 1)
    assert first["data"]["complexity"] == {
        "before": 9, "after": 8, "query": 1, "reset_in_x_seconds": 60
    }  # fmt: skip
    nxt = mb.columnar.decode_page(b'{"data":{"next_items_page":{"cursor":null,"items":[]}}}')
    assert (
        nxt["data"]["next_items_page"]["cursor"],
        len(nxt["data"]["next_items_page"]["items"]),
    ) == (None, 0)
    assert mb.columnar.decode_page(b'{"data":{"boards":[]}}') == {"data": {"boards": []}}
