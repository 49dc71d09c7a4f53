"""Tests for dev.shared.reports: gate outputs, ticked checklists, the dashboard."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from dev.shared import promotion, reports
from dev.shared.gates import GateReport, GateResult

pytestmark = pytest.mark.unit

REPORT = GateReport(
    "demo",
    [
        GateResult("unit_tests", True, "3 passed"),
        GateResult("branch_coverage", False, "80% < 90%", ["a.py: 80%"]),
    ],
    commit="abc123",
)


def test_gate_outputs_are_written(tmp_path):
    json_path, html_path = reports.write_gate_outputs(REPORT, tmp_path)
    data = json.loads(json_path.read_text())
    assert data["passed"] is False
    assert [g["name"] for g in data["gates"]] == ["unit_tests", "branch_coverage"]
    page = html_path.read_text()
    assert "branch_coverage" in page
    assert "a.py: 80%" in page
    assert "| branch_coverage | **FAIL** |" in (tmp_path / "demo" / "gates.md").read_text()
    history = (tmp_path / "gates_history.jsonl").read_text().splitlines()
    assert json.loads(history[0])["gates"] == {"unit_tests": "pass", "branch_coverage": "FAIL"}


def test_terminal_table_shows_every_gate():
    console = Console(record=True, width=120)
    reports.print_gate_table(REPORT, console)
    text = console.export_text()
    assert "unit_tests" in text
    assert "FAIL" in text
    assert "a.py: 80%" in text


def test_markers_tick_only_passing_gates_and_replace_in_place(tmp_path):
    plans = tmp_path / "checklists" / "workflow_plans"
    plans.mkdir(parents=True)
    plan = plans / "demo_plan.md"
    plan.write_text("# Plan\n\nbody\n")
    checklist = tmp_path / reports.CHECKLIST
    checklist.write_text("# Development checklist\n")
    touched = reports.update_markers(REPORT, tmp_path)
    assert touched == [plan, checklist]
    text = plan.read_text()
    assert "- [x] **unit_tests**: 3 passed" in text
    assert "- [ ] **branch_coverage**: 80% < 90%" in text
    later = GateReport("demo", [GateResult("unit_tests", True, "4 passed")], commit="def")
    reports.update_markers(later, tmp_path)
    text = plan.read_text()
    assert text.count("<!-- gates:demo:begin -->") == 1
    assert "4 passed" in text
    assert "3 passed" not in text
    assert text.startswith("# Plan\n\nbody\n")


def test_dashboard_has_matrix_trends_history_and_metrics(tmp_path):
    root, out = tmp_path / "repo", tmp_path / "reports"
    (root / "dev" / "demo").mkdir(parents=True)
    (root / "dev" / "demo" / "workflow.yaml").write_text("name: demo\nowner: o\ndescription: d\n")
    (root / "scripts").mkdir()
    reports.write_gate_outputs(REPORT, out)
    for entry in (
        {
            "workflow": "demo",
            "action": "promote",
            "ok": True,
            "version": 1,
            "coverage": 91.0,
            "throughput": 1000.0,
            "at": "2026-11-01T00:00:00+00:00",
        },
        {"workflow": "demo", "action": "deploy", "ok": False, "at": "2026-11-02T00:00:00+00:00"},
        {
            "workflow": "demo",
            "action": "rollback",
            "ok": True,
            "version": 1,
            "at": "2026-11-03T00:00:00+00:00",
        },
        {
            "workflow": "demo",
            "action": "promote",
            "ok": True,
            "version": 2,
            "coverage": 93.0,
            "at": "2026-11-03T06:00:00+00:00",
        },
    ):
        with promotion.history_path(root).open("a") as handle:
            handle.write(json.dumps(entry) + "\n")
    page = reports.render_dashboard(root, out).read_text()
    assert "<svg" in page
    assert "branch_coverage" in page
    metrics = reports.success_metrics(promotion.read_history(root), "demo")
    assert metrics == {
        "days_to_first_promotion": None,
        "promotions": 2,
        "deployments_ok": 0,
        "deployments_failed": 1,
        "rollbacks": 1,
        "hours_to_recover": 6.0,
    }


def test_empty_trend_says_so():
    assert "no data" in reports._svg_line([])
