"""Tests for dev.shared.traceability: plan requirements traced to passing tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from dev.shared import traceability as tr

pytestmark = pytest.mark.unit

JUNIT = """<?xml version="1.0"?><testsuites><testsuite>
<testcase classname="t" name="ok1"><properties><property name="requirement" value="REQ-AB-001"/></properties></testcase>
<testcase classname="t" name="bad"><properties><property name="requirement" value="REQ-AB-002"/></properties><failure/></testcase>
<testcase classname="t" name="ok2"><properties><property name="requirement" value="REQ-AB-002"/></properties></testcase>
<testcase classname="t" name="skip"><properties><property name="requirement" value="REQ-AB-004"/></properties><skipped/></testcase>
</testsuite></testsuites>"""


def _setup(tmp_path: Path, plan: str) -> Path:
    plans = tmp_path / "checklists" / "workflow_plans"
    plans.mkdir(parents=True)
    (plans / "demo_plan.md").write_text(plan)
    reports = tmp_path / "reports"
    reports.mkdir()
    return reports


def test_every_requirement_passing(tmp_path, capsys):
    reports = _setup(tmp_path, "- REQ-AB-001 stage orders\n- REQ-AB-001 again\n")
    (reports / "unit.xml").write_text(JUNIT)
    assert tr.check_requirements("demo", root=tmp_path, reports=reports) == 0
    assert "1/1 requirements" in capsys.readouterr().out


def test_failing_untested_and_skipped_requirements_fail(tmp_path, capsys):
    reports = _setup(tmp_path, "REQ-AB-001 REQ-AB-002 REQ-AB-003 REQ-AB-004")
    (reports / "unit.xml").write_text(JUNIT)
    assert tr.check_requirements("demo", root=tmp_path, reports=reports) == 1
    out = capsys.readouterr().out
    assert "REQ-AB-002       FAILING" in out
    assert "REQ-AB-003       NO TEST" in out
    assert "REQ-AB-004       NO TEST" in out  # a skipped test proves nothing


@pytest.mark.parametrize(
    ("plan", "junit", "message"),
    [
        (None, True, "missing plan"),
        ("no ids here", True, "no REQ-"),
        ("REQ-AB-001", False, "no test results"),
    ],
)
def test_cannot_evaluate_fails_with_reason(tmp_path, capsys, plan, junit, message):
    reports = _setup(tmp_path, plan or "")
    if plan is None:
        (tmp_path / "checklists" / "workflow_plans" / "demo_plan.md").unlink()
    if junit:
        (reports / "unit.xml").write_text(JUNIT)
    assert tr.check_requirements("demo", root=tmp_path, reports=reports) == 1
    assert message in capsys.readouterr().err


def test_main_usage():
    assert tr.main([]) == 2


@pytest.mark.requirement("REQ-FW-001")
def test_requirement_marker_becomes_junit_property(request):
    assert ("requirement", "REQ-FW-001") in request.node.user_properties
