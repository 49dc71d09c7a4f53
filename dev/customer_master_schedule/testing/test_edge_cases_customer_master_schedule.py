"""Edge cases: holidays, blackouts, zero-capacity days, oversized lines, unknown SKU, inactive
customer, per-date overrides, ties, configuration variants and input errors."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import datetime as dt
import json
from dataclasses import replace

import pandas as pd
import pytest

from .builders import RUN_DATE, blackout, cap, customer, day, order, row, scenario

pytestmark = pytest.mark.edge


# -- holidays and closures ------------------------------------------------------------------------
@pytest.mark.requirement("REQ-CMS-007")
def test_production_skips_a_holiday(schedule):
    # ordered for 2026-12-08 (Immaculate Conception, a Spanish holiday) -> starts 12-09
    line = row(schedule(scenario([order(order_date="2026-12-08")])), "A")
    assert line["earliest_start"] == day("2026-12-09")
    assert line["production_start"] == day("2026-12-09")


@pytest.mark.requirement("REQ-CMS-007")
def test_ship_date_skips_christmas_and_a_closure(schedule):
    # production on Thursday 12-24; 12-25 is Christmas, 12-28 a plant closure -> ship 12-29
    inputs = scenario([order(order_date="2026-12-24")])
    line = row(schedule(inputs, closures=(dt.date(2026, 12, 28),)), "A")
    assert line["production_end"] == day("2026-12-24")
    assert line["ship_date"] == day("2026-12-29")


# -- blackouts --------------------------------------------------------------------------------------
@pytest.mark.requirement("REQ-CMS-005")
def test_ship_date_jumps_over_a_blackout_range(schedule):
    inputs = scenario([order()], board=[blackout("C1", "2026-12-02", "2026-12-07")])
    assert row(schedule(inputs), "A")["ship_date"] == day("2026-12-09")  # 12-08 is a holiday


@pytest.mark.requirement("REQ-CMS-005")
def test_blackout_without_end_is_one_day(schedule):
    inputs = scenario([order()], board=[blackout("C1", "2026-12-02", None)])
    assert row(schedule(inputs), "A")["ship_date"] == day("2026-12-03")


@pytest.mark.requirement("REQ-CMS-015")
def test_reversed_blackout_is_rejected_with_the_customer(cms, schedule):
    inputs = scenario([order()], board=[blackout("C1", "2026-12-09", "2026-12-02")])
    with pytest.raises(cms.settings.ScheduleInputError, match=r"customer 'C1' has a blackout"):
        schedule(inputs)


@pytest.mark.requirement("REQ-CMS-009")
def test_customer_without_any_delivery_day_gets_a_reason(schedule):
    inputs = scenario([order()], customers=[customer(delivery_weekdays="SAT")])
    line = row(schedule(inputs), "A")
    assert line["reason"] == "no_delivery_day"
    assert pd.isna(line["ship_date"])
    assert line["late"]


# -- capacity ---------------------------------------------------------------------------------------
@pytest.mark.requirement("REQ-CMS-004")
def test_zero_capacity_override_day_is_skipped(schedule):
    inputs = scenario([order(quantity=150)], capacity=[cap("L1", 100), cap("L1", 0, "2026-12-02")])
    line = row(schedule(inputs), "A")
    assert (line["production_start"], line["production_end"]) == (
        day("2026-12-01"),
        day("2026-12-03"),
    )


@pytest.mark.requirement("REQ-CMS-004")
def test_saturday_overtime_override_adds_capacity(schedule):
    inputs = scenario([order(quantity=480)], capacity=[cap("L1", 100), cap("L1", 60, "2026-12-05")])
    result = schedule(inputs)
    util = result.utilisation.set_index("production_date")
    assert util.loc[day("2026-12-05"), "allocated_units"] == 60
    assert row(result, "A")["production_end"] == day("2026-12-07")  # 400 by Fri, 60 Sat, 0 Sun


@pytest.mark.requirement("REQ-CMS-009")
def test_production_line_with_zero_capacity_is_no_capacity(schedule):
    inputs = scenario(
        [order("A"), order("B", sku="S2")],
        products={"S1": "L1", "S2": "L9"},
        capacity=[cap("L1", 0)],
    )
    result = schedule(inputs)
    assert row(result, "A")["reason"] == "no_capacity"  # a capacity row of zero
    assert row(result, "B")["reason"] == "no_capacity"  # no capacity row at all


@pytest.mark.requirement("REQ-CMS-003")
def test_quantity_larger_than_a_day_spans_days(schedule):
    result = schedule(scenario([order(quantity=350)]))
    line = row(result, "A")
    assert (line["production_start"], line["production_end"]) == (
        day("2026-12-01"),
        day("2026-12-04"),
    )
    assert result.allocations["units"].tolist() == [100, 100, 100, 50]


@pytest.mark.requirement("REQ-CMS-009")
def test_line_larger_than_the_horizon_keeps_capacity_and_blocks_later_lines(schedule):
    inputs = scenario([order("A", quantity=2000), order("B", quantity=5)])
    result = schedule(inputs, horizon_days=14)
    first, second = row(result, "A"), row(result, "B")
    assert first["reason"] == "beyond_horizon"
    assert first["allocated_units"] == 900  # nine working days of 100 (12-08 is a holiday)
    assert pd.isna(first["production_end"])
    assert second["reason"] == "beyond_horizon"
    assert second["allocated_units"] == 0


@pytest.mark.requirement("REQ-CMS-009")
def test_line_starting_after_the_horizon_is_beyond_horizon(schedule):
    line = row(schedule(scenario([order(order_date="2027-06-01")]), horizon_days=30), "A")
    assert line["reason"] == "beyond_horizon"
    assert pd.isna(line["production_start"])


# -- master data ------------------------------------------------------------------------------------
@pytest.mark.requirement("REQ-CMS-009")
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sku": "NOPE"}, "unknown_sku"),
        ({"customer_id": "C404"}, "unknown_customer"),
        ({"customer_id": None}, "unknown_customer"),
        ({"quantity": 0}, "invalid_quantity"),
        ({"quantity": 2.5}, "invalid_quantity"),
        ({"quantity": None}, "invalid_quantity"),
    ],
)
def test_unschedulable_lines_are_listed_with_a_reason(schedule, changes, reason):
    result = schedule(scenario([order("A", **changes), order("B")]))
    assert row(result, "A")["reason"] == reason
    assert row(result, "B")["reason"] is None
    assert len(result.schedule) == 2


@pytest.mark.requirement("REQ-CMS-009")
def test_inactive_customer_is_listed_and_consumes_nothing(schedule):
    inputs = scenario(
        [order("A", customer_id="C2", quantity=100), order("B", quantity=100)],
        customers=[customer("C1", tier=2), customer("C2", active=False)],
    )
    result = schedule(inputs)
    assert row(result, "A")["reason"] == "inactive_customer"
    assert row(result, "B")["production_start"] == day("2026-12-01")


# -- ties and determinism ---------------------------------------------------------------------------
@pytest.mark.requirement("REQ-CMS-002")
def test_equal_business_keys_are_ordered_by_order_id_then_line(schedule):
    inputs = scenario(
        [order("B", 1, quantity=100), order("A", 2, quantity=100), order("A", 1, quantity=100)]
    )
    result = schedule(inputs)
    ranks = {(r.order_id, r.line_no): r.priority_rank for r in result.schedule.itertuples()}
    assert ranks == {("A", 1): 1, ("A", 2): 2, ("B", 1): 3}
    assert row(result, "B")["production_start"] == day("2026-12-03")


@pytest.mark.requirement("REQ-CMS-001")
def test_one_order_id_from_two_sources_is_two_lines(schedule):
    # order_staging keys lines by source + order_id + line_no: both lines are scheduled
    inputs = scenario([order("A", source="edi", quantity=100), order("A", source="csv")])
    result = schedule(inputs)
    ranks = dict(zip(result.schedule["source"], result.schedule["priority_rank"], strict=True))
    assert ranks == {"csv": 1, "edi": 2}  # equal business keys: source breaks the tie


@pytest.mark.requirement("REQ-CMS-015")
def test_the_same_line_twice_from_one_source_is_rejected(cms, schedule):
    inputs = scenario([order("A", source="edi"), order("A", source="edi")])
    with pytest.raises(cms.settings.ScheduleInputError, match="rows sharing a key"):
        schedule(inputs)


@pytest.mark.requirement("REQ-CMS-011")
def test_input_row_order_does_not_change_the_schedule(schedule, samples):
    shuffled = type(samples)(
        samples.orders.sample(frac=1, random_state=3),
        samples.customers,
        samples.products,
        samples.capacity.iloc[::-1],
        samples.board,
    )
    first = schedule(samples).schedule
    second = schedule(shuffled).schedule
    pd.testing.assert_frame_equal(first, second)


def test_empty_orders_give_an_empty_schedule_and_full_utilisation_grid(schedule):
    result = schedule(scenario([]), horizon_days=7)
    assert result.schedule.empty
    assert list(result.schedule.columns)[:3] == ["source", "order_id", "line_no"]
    assert result.utilisation["allocated_units"].sum() == 0
    assert len(result.utilisation) == 5  # 12-01..12-07 minus the weekend


# -- configuration ----------------------------------------------------------------------------------
def _apply(monkeypatch, workflow, variant):
    for section, values in workflow.sample("mock_configurations.yaml")[variant].items():
        for key, value in values.items():
            monkeypatch.setenv(f"CONFIG__{section}__{key}", json.dumps(value))


@pytest.mark.requirement("REQ-CMS-007")
def test_config_country_and_closures_reach_the_calendar(cms, workflow, monkeypatch):
    _apply(monkeypatch, workflow, "us_calendar")
    settings = cms.settings.load_settings("testing", RUN_DATE)
    assert settings.country == "US"
    assert settings.closures == (dt.date(2026, 12, 24),)


def test_config_without_country_uses_weekend_and_closures_only(cms, workflow, monkeypatch):
    _apply(monkeypatch, workflow, "no_country")
    settings = cms.settings.load_settings("testing", RUN_DATE)
    calendar = cms.work_calendar.build_calendar(settings)
    assert settings.weekend == ("SUN",)
    assert calendar.working[4]  # Saturday 12-05
    assert calendar.working[7]  # 12-08: no holiday calendar
    assert not calendar.working[5]  # Sunday


@pytest.mark.requirement("REQ-CMS-006")
def test_board_columns_follow_the_config_mapping(cms, workflow, monkeypatch):
    _apply(monkeypatch, workflow, "custom_board_columns")
    settings = cms.settings.load_settings("testing", RUN_DATE)
    assert settings.board.table == "cds_board"
    board = pd.DataFrame(
        {
            "customer_text": ["C1"],
            "delivery_days": ["Thursday"],
            "blackout_start": ["2026-12-03"],
            "blackout_end": ["2026-12-03"],
        }
    )
    inputs = scenario([order()])
    inputs = type(inputs)(inputs.orders, inputs.customers, inputs.products, inputs.capacity, board)
    result = cms.scheduler.build_schedule(inputs, settings)
    assert row(result, "A")["ship_date"] == day("2026-12-10")  # next Thursday after blackout


@pytest.mark.requirement("REQ-CMS-015")
def test_board_missing_a_mapped_column_is_rejected(cms, schedule):
    inputs = scenario([order()])
    board = pd.DataFrame({"customer_id": ["C1"], "delivery_weekdays": ["MON"]})
    inputs = type(inputs)(inputs.orders, inputs.customers, inputs.products, inputs.capacity, board)
    with pytest.raises(
        cms.settings.ScheduleInputError,
        match=r"monday_customer_delivery_sched"
        r"ules.*blackout_from",
    ):
        schedule(inputs)


def test_open_statuses_need_a_status_column(cms):
    settings = cms.settings.load_settings("testing", RUN_DATE)  # open_statuses: [staged]
    inputs = scenario([order()])
    inputs = replace(inputs, orders=inputs.orders.drop(columns="status"))
    with pytest.raises(cms.settings.ScheduleInputError, match=r"no column\(s\) \['status'\]"):
        cms.scheduler.build_schedule(inputs, settings)


@pytest.mark.requirement("REQ-CMS-001")
def test_only_open_statuses_are_scheduled(workflow, monkeypatch, cms):
    _apply(monkeypatch, workflow, "open_statuses")  # [validated] instead of [staged]
    settings = cms.settings.load_settings("testing", RUN_DATE)
    inputs = scenario([order("A", status="validated"), order("B"), order("C", status=None)])
    assert cms.scheduler.build_schedule(inputs, settings).schedule["order_id"].tolist() == ["A"]


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("bad_weekday", r"unknown weekday\(s\) \['FUN'\]"),
        ("bad_closure", "closures must be dates"),
        ("unknown_board_key", r"unknown entries \['colour'\]"),
    ],
)
def test_bad_configuration_is_rejected_with_the_key(cms, workflow, monkeypatch, variant, message):
    _apply(monkeypatch, workflow, variant)
    with pytest.raises(cms.settings.ConfigError, match=message):
        cms.settings.load_settings("testing", RUN_DATE)


def test_unknown_country_is_rejected(cms):
    settings = cms.settings.ScheduleSettings(run_date=RUN_DATE, country="XX")
    with pytest.raises(cms.settings.ScheduleInputError, match="not known to the holidays"):
        cms.work_calendar.build_calendar(settings)


def test_short_horizon_from_config(cms, workflow, monkeypatch):
    _apply(monkeypatch, workflow, "short_horizon")
    settings = cms.settings.load_settings("testing", RUN_DATE)
    assert (settings.horizon_days, settings.ship_search_days) == (10, 14)


def test_main_refuses_a_bad_environment_with_one_line(cms, monkeypatch, capsys):
    monkeypatch.setenv("WORKFLOW_ENV", "staging")
    assert cms.main.main([]) == 2
    assert "WORKFLOW_ENV='staging'" in capsys.readouterr().err


def test_main_reports_a_crash_as_a_failed_run(cms, monkeypatch, tmp_path):
    def crash(**_: object) -> None:
        raise RuntimeError("unexpected bug")

    monkeypatch.setattr(cms.main, "run", crash)
    assert cms.main.main(["--summary-dir", str(tmp_path)]) == 1
    assert "unexpected bug" in (tmp_path / "run_summary.json").read_text()


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
