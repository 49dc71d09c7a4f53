"""Unit tests of the customer master schedule: each rule on tiny inline inputs, the samples,
the business-rule checker itself (it must catch broken schedules) and a hypothesis property."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .testing.builders import RUN_DATE, blackout, cap, customer, day, order, row, scenario

pytestmark = pytest.mark.unit


# -- calendar -------------------------------------------------------------------------------
@pytest.mark.requirement("REQ-CMS-007")
def test_working_days_skip_weekends_holidays_and_closures(cms):
    settings = cms.settings.ScheduleSettings(
        run_date=RUN_DATE, horizon_days=30, closures=(dt.date(2026, 12, 10),)
    )
    calendar = cms.work_calendar.build_calendar(settings)
    off = {str(d)[:10] for d, ok in zip(calendar.days, calendar.working, strict=True) if not ok}
    assert {"2026-12-05", "2026-12-06", "2026-12-08", "2026-12-10", "2026-12-25"} <= off
    assert "2026-12-09" not in off  # an ordinary Wednesday
    assert calendar.weekday[0] == 1  # 2026-12-01 is a Tuesday


@pytest.mark.requirement("REQ-CMS-007")
def test_working_days_follow_the_configured_country(cms):
    us = cms.settings.ScheduleSettings(run_date=RUN_DATE, horizon_days=30, country="US")
    working = cms.work_calendar.build_calendar(us).working
    assert working[7]  # 2026-12-08 is a holiday in Spain, not in the US
    assert not working[24]  # Christmas


def test_next_true_finds_the_next_set_position(cms):
    mask = np.array([[False, True, False, False], [False, False, False, False]])
    assert cms.work_calendar.next_true(mask).tolist() == [[1, 1, 4, 4, 4], [4, 4, 4, 4, 4]]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("mon, Wed", "MON,WED"),
        ("Friday;monday", "MON,FRI"),
        ("", ""),
        (None, ""),
        ("SUN,SAT,SUN", "SAT,SUN"),
    ],
)
def test_parse_weekdays_normalises_labels(cms, raw, expected):
    parsed = cms.work_calendar.parse_weekdays(pd.Series([raw], dtype=object), "test")
    assert parsed.tolist() == [expected]


def test_parse_weekdays_rejects_unknown_labels(cms):
    with pytest.raises(cms.settings.ScheduleInputError, match=r"unknown delivery weekday.*XYZ"):
        cms.work_calendar.parse_weekdays(pd.Series(["MON,XYZ"]), "table 'customers'")


# -- priority (CMS-R1) --------------------------------------------------------------------------
@pytest.mark.requirement("REQ-CMS-002")
def test_rank_orders_rush_then_tier_then_dates_then_ids(cms):
    lines = pd.DataFrame(
        {
            "source": "",
            "order_id": ["E", "D", "C", "B", "A", "A"],
            "line_no": [1, 1, 1, 1, 2, 1],
            "rush": [False, False, False, False, False, True],
            "tier": [2.0, 1.0, 1.0, 1.0, 1.0, 3.0],
            "requested_delivery_date": pd.to_datetime(
                ["2026-12-01", "2026-12-09", "2026-12-05", "2026-12-05", "2026-12-05", "2026-12-31"]
            ),
            "order_date": pd.to_datetime(
                ["2026-11-01", "2026-11-01", "2026-11-02", "2026-11-01", "2026-11-01", "2026-11-30"]
            ),
        }
    )
    rank = cms.priority.rank_lines(lines)
    # rush A/1 first; tier 1 before tier 2; earlier requested; earlier ordered; id; line
    assert rank.tolist() == [6, 5, 4, 3, 2, 1]


@pytest.mark.requirement("REQ-CMS-002")
def test_rank_puts_missing_tier_and_dates_last(cms):
    lines = pd.DataFrame(
        {
            "source": ["x", "x"],
            "order_id": ["A", "B"],
            "line_no": [1, 1],
            "rush": [False, False],
            "tier": [np.nan, 3.0],
            "requested_delivery_date": pd.to_datetime([None, "2027-01-01"]),
            "order_date": pd.to_datetime([None, None]),
        }
    )
    assert cms.priority.rank_lines(lines).tolist() == [2, 1]


# -- allocation (CMS-R2, CMS-R3) --------------------------------------------------------------
def _allocate(cms, capacity, starts, quantities):
    return cms.allocation.allocate(np.array(capacity), np.array(starts), np.array(quantities))


@pytest.mark.requirement("REQ-CMS-003")
def test_allocate_spans_days_and_shares_leftovers(cms):
    result = _allocate(cms, [100, 100, 100], [0, 0], [150, 30])
    assert result.first_day.tolist() == [0, 1]
    assert result.last_day.tolist() == [1, 1]
    assert list(
        zip(result.owner.tolist(), result.days.tolist(), result.units.tolist(), strict=True)
    ) == [(0, 0, 100), (0, 1, 50), (1, 1, 30)]


@pytest.mark.requirement("REQ-CMS-003")
def test_allocate_lets_a_later_line_use_capacity_an_earlier_line_could_not(cms):
    # line 0 may only start on day 2; line 1 (lower priority) may start on day 0 and takes it
    result = _allocate(cms, [100, 100, 100, 100], [2, 0], [150, 120])
    assert result.first_day.tolist() == [2, 0]
    assert result.last_day.tolist() == [3, 1]


@pytest.mark.requirement("REQ-CMS-004")
def test_allocate_skips_zero_capacity_days_and_exhausted_days(cms):
    result = _allocate(cms, [50, 0, 0, 80], [0, 0, 1], [50, 30, 10])
    assert result.first_day.tolist() == [0, 3, 3]
    assert result.last_day.tolist() == [0, 3, 3]


@pytest.mark.requirement("REQ-CMS-009")
def test_allocate_reports_lines_that_do_not_finish_in_the_horizon(cms):
    result = _allocate(cms, [100, 100], [0, 1, 5], [250, 10, 10])
    assert result.last_day.tolist() == [-1, -1, -1]
    assert result.allocated.tolist() == [200, 0, 0]
    assert result.first_day.tolist() == [0, -1, -1]


# -- inputs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["true", "YES", "1", "t"])
def test_to_bool_reads_true_spellings(cms, text):
    assert cms.inputs.to_bool(pd.Series([text]), "t", "c").tolist() == [True]


@pytest.mark.requirement("REQ-CMS-015")
def test_to_bool_rejects_other_text(cms):
    with pytest.raises(cms.settings.ScheduleInputError, match="'rush' holds"):
        cms.inputs.to_bool(pd.Series(["maybe"]), "orders", "rush")


@pytest.mark.requirement("REQ-CMS-015")
def test_normalise_orders_rejects_missing_columns(cms):
    with pytest.raises(cms.settings.ScheduleInputError, match=r"no column\(s\) \['sku'"):
        cms.inputs.normalise_orders(pd.DataFrame([order()]).drop(columns="sku"), "orders")


def test_normalise_orders_filters_open_statuses(cms):
    frame = pd.DataFrame([order("A") | {"status": "validated"}, order("B") | {"status": "held"}])
    lines = cms.inputs.normalise_orders(frame, "orders", ("validated",))
    assert lines["order_id"].tolist() == ["A"]


@pytest.mark.requirement("REQ-CMS-015")
def test_normalise_orders_rejects_duplicate_keys(cms):
    with pytest.raises(cms.settings.ScheduleInputError, match=r"2 rows sharing a key"):
        cms.inputs.normalise_orders(pd.DataFrame([order("A"), order("A")]), "orders")


@pytest.mark.requirement("REQ-CMS-015")
@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("order_date", "31/12/2026x", "is not a date"),
        ("quantity", "ten", "is not a number"),
        ("order_id", None, "no order_id or line_no"),
    ],
)
def test_normalise_orders_rejects_bad_values(cms, column, value, message):
    with pytest.raises(cms.settings.ScheduleInputError, match=message):
        cms.inputs.normalise_orders(pd.DataFrame([order() | {column: value}]), "orders")


@pytest.mark.requirement("REQ-CMS-015")
@pytest.mark.parametrize("units", [-1, 2.5, None])
def test_normalise_capacity_rejects_non_whole_units(cms, units):
    with pytest.raises(cms.settings.ScheduleInputError, match="not a whole number"):
        cms.inputs.normalise_capacity(pd.DataFrame([cap("L1", units)]), "capacity")


# -- schedules of tiny scenarios ------------------------------------------------------------------
@pytest.mark.requirement("REQ-CMS-003")
def test_schedule_starts_after_lead_time_on_a_working_day(schedule):
    # ordered Thursday 2026-12-03 + 2 days = Saturday -> Monday 2026-12-07
    inputs = scenario([order(order_date="2026-12-03")], customers=[customer(lead_time_days=2)])
    line = row(schedule(inputs), "A")
    assert line["earliest_start"] == day("2026-12-07")
    assert line["production_start"] == day("2026-12-07")


@pytest.mark.requirement("REQ-CMS-003")
def test_schedule_never_starts_before_the_run_date(schedule):
    line = row(schedule(scenario([order(order_date="2026-10-01")])), "A")
    assert line["production_start"] == day("2026-12-01")


@pytest.mark.requirement("REQ-CMS-005")
def test_ship_date_is_the_next_delivery_weekday_after_production(schedule):
    # production ends Tuesday 12-01; customer takes deliveries on Tuesdays and Fridays only
    inputs = scenario([order()], customers=[customer(delivery_weekdays="TUE,FRI")])
    line = row(schedule(inputs), "A")
    assert line["production_end"] == day("2026-12-01")
    assert line["ship_date"] == day("2026-12-04")  # strictly after production, a Friday


@pytest.mark.requirement("REQ-CMS-008")
def test_days_late_and_late_flag(schedule):
    inputs = scenario(
        [
            order("A", requested_delivery_date="2026-11-30"),
            order("B", requested_delivery_date="2026-12-20"),
            order("C", requested_delivery_date=None),
        ]
    )
    result = schedule(inputs)
    assert (row(result, "A")["days_late"], row(result, "A")["late"]) == (2, True)
    assert (row(result, "B")["days_late"], row(result, "B")["late"]) == (0, False)
    assert pd.isna(row(result, "C")["days_late"])
    assert not row(result, "C")["late"]


@pytest.mark.requirement("REQ-CMS-006")
def test_board_overrides_customer_row_which_overrides_default(cms, schedule):
    inputs = scenario(
        [order("A", customer_id="C1"), order("B", customer_id="C2"), order("C", customer_id="C3")],
        customers=[
            customer("C1", delivery_weekdays="WED"),
            customer("C2", delivery_weekdays="WED"),
            customer("C3"),
        ],
        board=[blackout("C1", None, weekdays="MON")],
    )
    result = schedule(inputs, default_weekdays="THU")
    assert row(result, "A")["ship_date"] == day("2026-12-07")  # board: Monday
    assert row(result, "B")["ship_date"] == day("2026-12-02")  # customers row: Wednesday
    assert row(result, "C")["ship_date"] == day("2026-12-03")  # config default: Thursday


@pytest.mark.requirement("REQ-CMS-006")
def test_board_with_conflicting_weekdays_is_rejected(cms, schedule):
    inputs = scenario(
        [order()],
        board=[blackout("C1", None, weekdays="MON"), blackout("C1", None, weekdays="TUE")],
    )
    with pytest.raises(cms.settings.ScheduleInputError, match="conflicting delivery weekdays"):
        schedule(inputs)


@pytest.mark.requirement("REQ-CMS-001")
def test_samples_schedule_matches_the_expected_schedule(workflow, schedule, samples):
    result = schedule(samples)
    expected = workflow.sample("expected_schedule.csv")
    actual = result.schedule.astype(object).where(result.schedule.notna(), "")
    actual = actual.map(lambda v: v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else v)
    actual = actual.astype(str).replace({"True": "true", "False": "false"})
    actual["quantity"] = actual["quantity"].str.replace(r"\.0$", "", regex=True)
    workflow.assert_frame_equal(actual, expected, keys=["source", "order_id", "line_no"])


@pytest.mark.requirement("REQ-CMS-010")
def test_utilisation_reports_capacity_and_allocation_per_line_and_day(schedule, samples):
    util = schedule(samples).utilisation
    first = util[(util["production_line"] == "PACKING-2")].head(5)
    assert first["production_date"].dt.strftime("%m-%d").tolist() == [
        "12-01",
        "12-02",
        "12-04",
        "12-05",
        "12-07",
    ]  # 12-03 maintenance (0), 12-05 overtime
    assert first["capacity_units"].tolist() == [100, 100, 100, 50, 100]
    assert (util["allocated_units"] <= util["capacity_units"]).all()
    assert util.duplicated(["production_line", "production_date"]).sum() == 0


# -- history ------------------------------------------------------------------------------------
@pytest.mark.requirement("REQ-CMS-010")
def test_schedule_changes_lists_moved_ship_dates_only(cms):
    previous = pd.DataFrame(
        {
            "order_id": ["A", "B", "C", "D"],
            "line_no": [1, 1, 1, 1],
            "ship_date": ["2026-12-04", "2026-12-04", None, "2026-12-09"],
        }
    )
    current = pd.DataFrame(
        {
            "source": "",
            "order_id": ["A", "B", "C", "E"],
            "line_no": [1, 1, 1, 1],
            "ship_date": pd.to_datetime(["2026-12-04", "2026-12-07", "2026-12-08", "2026-12-09"]),
        }
    )
    changes = cms.history.schedule_changes(previous, current, run_id="r2", run_date=RUN_DATE)
    assert changes["order_id"].tolist() == ["B", "C"]
    assert changes["old_ship_date"].iloc[0] == day("2026-12-04")
    assert pd.isna(changes["old_ship_date"].iloc[1])
    assert set(changes["run_id"]) == {"r2"}


def test_schedule_changes_is_empty_on_the_first_run(cms):
    current = pd.DataFrame(
        {"source": [""], "order_id": ["A"], "line_no": [1], "ship_date": [pd.NaT]}
    )
    changes = cms.history.schedule_changes(None, current, run_id="r1", run_date=RUN_DATE)
    assert changes.empty
    assert list(changes.columns) == list(cms.history.HISTORY_COLUMNS)


# -- the main script on SQLite ---------------------------------------------------------------------
def _run(cms, db, **kwargs):
    return cms.main.run(database_url=db.url, run_date=RUN_DATE, **kwargs)


@pytest.mark.requirement("REQ-CMS-010")
@pytest.mark.requirement("REQ-CMS-014")
def test_run_seeds_samples_and_writes_the_outputs(cms, rules, sqlite_database, workflow):
    summary = _run(cms, sqlite_database, seed=True)
    assert summary.status == "success", summary.error
    assert summary.counts["lines"] == 26  # 27 sample rows, one already shipped
    assert summary.counts["tables_seeded"] == 5
    assert summary.counts["late_lines"] == 14
    assert summary.counts["unscheduled_no_delivery_day"] == 1
    assert 0 < summary.metrics["utilisation_next_28_days_pct"] <= 100
    stored = sqlite_database.read_table("customer_master_schedule")
    stored["ship_date"] = stored["ship_date"].dt.strftime("%Y-%m-%d").fillna("")
    stored["line_no"] = stored["line_no"].astype(str)
    expected = workflow.sample("expected_schedule.csv")
    columns = ["source", "order_id", "line_no", "ship_date"]
    workflow.assert_frame_equal(stored[columns], expected[columns], keys=columns[:3])
    settings = cms.settings.load_settings(None, RUN_DATE)
    rules.assert_ok(rules.module.context_from_database(sqlite_database, settings))


@pytest.mark.requirement("REQ-CMS-011")
def test_rerun_with_the_same_inputs_changes_nothing(cms, sqlite_database):
    _run(cms, sqlite_database, seed=True)
    tables = (
        "customer_master_schedule",
        "customer_master_schedule_utilisation",
        "schedule_history",
    )
    before = {t: sqlite_database.table_checksum(t) for t in tables}
    summary = _run(cms, sqlite_database, seed=True)
    assert summary.counts["tables_seeded"] == 0  # existing inputs are never overwritten
    assert summary.counts["ship_dates_moved"] == 0
    assert {t: sqlite_database.table_checksum(t) for t in tables} == before


@pytest.mark.requirement("REQ-CMS-010")
def test_moved_ship_dates_are_recorded_with_the_run_id(cms, sqlite_database):
    _run(cms, sqlite_database, seed=True)
    sqlite_database.execute(
        "UPDATE capacity SET units_per_day = 100 "
        "WHERE production_line = 'ASSEMBLY-1' AND override_date IS NULL"
    )
    summary = _run(cms, sqlite_database, run_id="second-run")
    history = sqlite_database.read_table("schedule_history")
    assert summary.counts["ship_dates_moved"] == len(history) > 0
    assert set(history["run_id"]) == {"second-run"}
    moved = history.set_index(["source", "order_id", "line_no"])
    assert (
        moved.loc[("edi", "SO-2026-0002", 1), "new_ship_date"]
        > moved.loc[("edi", "SO-2026-0002", 1), "old_ship_date"]
    )


def test_run_id_defaults_to_the_kestra_execution_id(cms, sqlite_database, monkeypatch):
    monkeypatch.setenv("KESTRA_EXECUTION_ID", "4Hq2xExec")
    assert _run(cms, sqlite_database, seed=True).run_id == "4Hq2xExec"


@pytest.mark.requirement("REQ-CMS-014")
def test_run_without_inputs_fails_naming_the_table_and_the_fix(cms, sqlite_database):
    summary = _run(cms, sqlite_database)
    assert summary.status == "failed"
    assert "'order_staging_validated' does not exist" in summary.error
    assert "--seed-samples" in summary.error


@pytest.mark.requirement("REQ-CMS-014")
def test_main_prints_the_summary_and_exits_zero(
    cms, sqlite_database, capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("KESTRA_EMIT", "0")
    code = cms.main.main(
        [
            "--database-url",
            sqlite_database.url,
            "--seed-samples",
            "--run-date",
            "2026-12-01",
            "--run-id",
            "cli-run",
            "--summary-dir",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "customer_master_schedule (cli-run)" in out
    assert "late_lines: 14" in out
    assert "utilisation_pct" in out
    assert (tmp_path / "run_summary.json").exists()


@pytest.mark.requirement("REQ-CMS-014")
def test_main_exits_one_when_the_run_fails(cms, sqlite_database, capsys, tmp_path):
    argv = ["--database-url", sqlite_database.url, "--summary-dir", str(tmp_path)]
    assert cms.main.main(argv) == 1
    assert "does not exist" in capsys.readouterr().out


def test_main_reports_a_crash_as_a_failed_run(cms, sqlite_database, capsys, monkeypatch, tmp_path):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cms.main, "_run", crash)
    argv = ["--database-url", sqlite_database.url, "--summary-dir", str(tmp_path)]
    assert cms.main.main(argv) == 1
    assert "RuntimeError: boom" in capsys.readouterr().out


def test_main_rejects_a_bad_run_date(cms):
    with pytest.raises(SystemExit) as exit_info:
        cms.main.main(["--run-date", "01/12/2026"])
    assert exit_info.value.code == 2


def test_run_with_a_bad_database_url_fails_cleanly(cms):
    summary = cms.main.run(database_url="oracle://scott@db/orcl", run_date=RUN_DATE)
    assert summary.status == "failed"
    assert "unsupported database URL" in summary.error


def test_run_rejects_bad_configuration(cms, monkeypatch):
    monkeypatch.setenv("CONFIG__schedule__horizon_days", "soon")
    summary = cms.main.run(database_url="sqlite://", run_date=RUN_DATE)
    assert summary.status == "failed"
    assert "horizon_days" in summary.error


# -- the checker catches broken schedules ---------------------------------------------------------
def _broken(rules, inputs, result, settings, mutate):
    schedule = result.schedule.copy()
    utilisation = result.utilisation.copy()
    mutate(schedule, utilisation)
    return {
        r.rule_id
        for r in rules.check(rules.RuleContext(inputs, schedule, utilisation, settings))
        if not r.ok
    }


def _shift(frame, column, days, where=None):
    mask = frame[column].notna() if where is None else where
    frame.loc[mask, column] = frame.loc[mask, column] + pd.Timedelta(days=days)


MUTATIONS = {
    "CMS-R1": lambda s, u: s.__setitem__("priority_rank", s["priority_rank"][::-1].to_numpy()),
    "CMS-R2": lambda s, u: _shift(s, "production_start", -1, s["order_id"].eq("SO-2026-0017")),
    "CMS-R3": lambda s, u: u.__setitem__("allocated_units", u["allocated_units"] * 2),
    "CMS-R4": lambda s, u: _shift(s, "ship_date", 7),
    "CMS-R5": lambda s, u: s.__setitem__("late", False),
    "CMS-R6": lambda s, u: (
        s.loc[s.index[0], "order_id"].__class__
        and s.__setitem__("line_no", s["line_no"].where(s.index != 0, 99))
    ),
}


@pytest.mark.requirement("REQ-CMS-001")
@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_business_rule_checker_catches_a_broken_schedule(cms, rules, samples, rule_id):
    settings = cms.settings.ScheduleSettings(run_date=RUN_DATE)
    result = cms.scheduler.build_schedule(samples, settings)
    assert rule_id in _broken(rules, samples, result, settings, MUTATIONS[rule_id])


def test_business_rule_checker_catches_an_overtaking_line(cms, rules):
    # B (lower priority) is moved onto day 1 that A (higher priority, same start) had to use
    inputs = scenario([order("A", quantity=150), order("B", quantity=50)])
    settings = cms.settings.ScheduleSettings(run_date=RUN_DATE)
    result = cms.scheduler.build_schedule(inputs, settings)

    def swap(s, u):
        s.loc[s["order_id"].eq("B"), ["production_start", "production_end"]] = day("2026-12-01")

    assert "CMS-R2" in _broken(rules, inputs, result, settings, swap)


# -- property: rules 3, 4 and 6 hold on random inputs -----------------------------------------------
WEEKDAY_SETS = ["", "MON", "TUE,THU", "MON,WED,FRI", "SAT", "MON,TUE,WED,THU,FRI"]


@st.composite
def random_inputs(draw):
    n_lines = draw(st.integers(1, 25))
    n_customers = draw(st.integers(1, 4))
    customers = [
        customer(
            f"C{i}",
            tier=draw(st.integers(1, 3)),
            lead_time_days=draw(st.integers(0, 10)),
            delivery_weekdays=draw(st.sampled_from(WEEKDAY_SETS)),
            active=draw(st.booleans()) or i == 0,
        )
        for i in range(n_customers)
    ]
    capacity = [cap("L1", draw(st.integers(0, 60))), cap("L2", draw(st.integers(1, 40)))]
    capacity += [
        cap(
            draw(st.sampled_from(["L1", "L2"])),
            draw(st.integers(0, 80)),
            str(RUN_DATE + dt.timedelta(days=offset)),
        )
        for offset in draw(st.sets(st.integers(0, 40), max_size=4))
    ]
    board = [
        blackout(
            f"C{draw(st.integers(0, n_customers))}",
            str(RUN_DATE + dt.timedelta(days=start)),
            str(RUN_DATE + dt.timedelta(days=start + length)),
            weekdays=draw(st.sampled_from(WEEKDAY_SETS)),
        )
        for start, length in draw(
            st.lists(st.tuples(st.integers(-5, 50), st.integers(0, 9)), max_size=3)
        )
    ]
    board = [
        b
        for i, b in enumerate(board)
        if b["customer_id"] not in {o["customer_id"] for o in board[:i]}
    ]  # one weekday value per customer
    orders = [
        order(
            f"O{draw(st.integers(0, 8))}",
            i,
            customer_id=f"C{draw(st.integers(0, n_customers))}",
            sku=draw(st.sampled_from(["S1", "S2", "S3"])),
            quantity=draw(st.integers(0, 200)),
            rush=draw(st.booleans()),
            order_date=str(RUN_DATE + dt.timedelta(days=draw(st.integers(-10, 40)))),
            requested_delivery_date=str(RUN_DATE + dt.timedelta(days=draw(st.integers(0, 60)))),
        )
        for i in range(n_lines)
    ]
    return scenario(
        orders,
        customers=customers,
        products={"S1": "L1", "S2": "L2"},
        capacity=capacity,
        board=board,
    )


@pytest.mark.requirement("REQ-CMS-004")
@pytest.mark.requirement("REQ-CMS-005")
@pytest.mark.requirement("REQ-CMS-001")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(inputs=random_inputs(), horizon=st.integers(5, 60))
def test_rules_3_4_6_hold_on_random_inputs(cms, rules, inputs, horizon):
    config = cms.settings.ScheduleSettings(
        run_date=RUN_DATE, horizon_days=horizon, ship_search_days=30
    )
    result = cms.scheduler.build_schedule(inputs, config)
    context = rules.RuleContext(inputs, result.schedule, result.utilisation, config)
    rules.assert_ok(context, rules=("CMS-R3", "CMS-R4", "CMS-R6"))


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
