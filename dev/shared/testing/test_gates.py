"""Tests for dev.shared.gates: every gate passes on evidence and fails with a reason.

secret-scan: allow-file (the fake secrets below are what the scanner must find)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dev.shared import gates
from dev.shared.testing.conftest import write_demo

pytestmark = pytest.mark.unit

JUNIT_OK = """<testsuites><testsuite>
<testcase classname="t" name="test_a[sqlite]"><properties>
<property name="requirement" value="REQ-DM-001"/></properties></testcase>
<testcase classname="t" name="test_a[postgresql]"/>
<testcase classname="t" name="test_b"><skipped/></testcase>
</testsuite></testsuites>"""
JUNIT_FAIL = """<testsuites><testsuite>
<testcase classname="t" name="test_a"><failure message="boom"/></testcase>
</testsuite></testsuites>"""
PLAN = """# Plan
- REQ-DM-001: stage the demo.

## Rollback procedure
Run `nox -s rollback -- demo`; the previous version comes back byte for byte.
"""


def _coverage(root: Path, percent: float, executed: list[int]) -> dict:
    main = "dev/demo/demo.py"
    return {
        "totals": {"percent_covered": percent, "covered_branches": 9, "num_branches": 10},
        "files": {main: {"summary": {"percent_covered": percent}, "executed_lines": executed}},
    }


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, Path]:
    """A demo workflow whose every gate passes, with its reports."""
    root = tmp_path
    folder = write_demo(root)
    main = folder / "demo.py"
    main.write_text(
        main.read_text()
        .replace(
            "from .helpers import double\n",
            "from .helpers import double\nfrom shared.log_helper import RunSummary, "
            "configure_logging\n",
        )
        .replace(
            "def run() -> int:\n    return double(21)",
            "def run() -> int:\n    try:\n        return double(21)\n    except ValueError:\n"
            "        return 0\n\n\ndef _emit(summary: RunSummary) -> None:\n"
            "    configure_logging()\n    summary.emit()",
        )
    )
    (folder / "workflow.yaml").write_text(
        "name: demo\nowner: o\ndescription: d\ntargets: [{name: demo_table}]\n"
        "performance: {scale_rows: 10, budgets: {rows_per_second: {min: 5}}}\n"
    )
    (folder / "validation").mkdir()
    (folder / "validation" / "validate_data_quality.py").write_text("TABLE = 'demo_table'\n")
    plans = root / "checklists" / "workflow_plans"
    plans.mkdir(parents=True)
    (plans / "demo_plan.md").write_text(PLAN)
    reports = root / "reports" / "demo"
    reports.mkdir(parents=True)
    (reports / "unit.xml").write_text(JUNIT_OK)
    (reports / "integration.xml").write_text(JUNIT_OK)
    handler_line = next(
        i
        for i, line in enumerate(main.read_text().splitlines(), 1)
        if line.strip() == "return 0" and i > 15
    )
    (reports / "coverage.json").write_text(json.dumps(_coverage(root, 95.0, [handler_line])))
    (reports / "performance.json").write_text(
        json.dumps(
            {
                "scale": 1.0,
                "measured": {"rows_per_second": 9.0},
                "checks": [
                    {
                        "metric": "rows_per_second",
                        "value": 9.0,
                        "min": 5,
                        "max": None,
                        "passed": True,
                        "enforced": True,
                    }
                ],
            }
        )
    )
    (reports / "stage_validation.json").write_text(json.dumps({"exit_code": 0}))
    return root, reports


def _result(report: gates.GateReport, name: str) -> gates.GateResult:
    return next(r for r in report.results if r.name == name)


def test_every_gate_passes_on_evidence(demo):
    root, reports = demo
    report = gates.evaluate("demo", root=root, reports=reports)
    assert [r.name for r in report.results if not r.passed] == []
    assert report.passed
    assert "95.0%" in _result(report, "branch_coverage").evidence
    assert "postgresql 1" in _result(report, "integration_real_database").evidence
    assert json.loads(report.to_json())["passed"] is True


@pytest.mark.parametrize(
    ("file", "content", "gate", "reason"),
    [
        ("unit.xml", None, "unit_tests", "missing: run `nox -s unit -- demo`"),
        ("unit.xml", JUNIT_FAIL, "unit_tests", "1 of 1 failed"),
        ("integration.xml", None, "integration_tests", "missing"),
        ("coverage.json", None, "branch_coverage", "missing"),
        ("performance.json", None, "performance_budget", "missing"),
        (
            "stage_validation.json",
            json.dumps({"exit_code": 1}),
            "validation_scripts",
            "exit code 1",
        ),
        (
            "performance.json",
            json.dumps(
                {
                    "scale": 0.05,
                    "measured": {},
                    "checks": [
                        {
                            "metric": "rows_per_second",
                            "value": 1.0,
                            "min": 5,
                            "max": None,
                            "passed": False,
                            "enforced": False,
                        }
                    ],
                }
            ),
            "performance_budget",
            "measured at scale 0.05 only",
        ),
        (
            "performance.json",
            json.dumps(
                {
                    "scale": 1,
                    "measured": {},
                    "checks": [
                        {
                            "metric": "rows_per_second",
                            "value": 1.0,
                            "min": 5,
                            "max": None,
                            "passed": False,
                            "enforced": True,
                        }
                    ],
                }
            ),
            "performance_budget",
            "rows_per_second=1",
        ),
        (
            "performance.json",
            json.dumps({"scale": 1, "measured": {}, "checks": []}),
            "performance_budget",
            "no budget declared",
        ),
    ],
)
def test_gate_fails_with_the_reason(demo, file, content, gate, reason):
    root, reports = demo
    if content is None:
        (reports / file).unlink()
    else:
        (reports / file).write_text(content)
    report = gates.evaluate("demo", root=root, reports=reports)
    result = _result(report, gate)
    assert not result.passed
    assert reason in result.evidence
    assert not report.passed


def test_low_coverage_and_untested_except_fail(demo):
    root, reports = demo
    (reports / "coverage.json").write_text(json.dumps(_coverage(root, 80.0, [])))
    report = gates.evaluate("demo", root=root, reports=reports)
    assert not _result(report, "branch_coverage").passed
    untested = _result(report, "except_branches_tested")
    assert not untested.passed
    assert untested.details[0].startswith("dev/demo/demo.py:")


def test_sqlite_only_integration_is_not_a_real_database(demo):
    root, reports = demo
    (reports / "integration.xml").write_text(JUNIT_OK.replace("[postgresql]", "[sqlite2]"))
    assert not _result(
        gates.evaluate("demo", root=root, reports=reports), "integration_real_database"
    ).passed


def test_plan_problems_fail_requirements_and_rollback(demo):
    root, reports = demo
    plan = root / "checklists" / "workflow_plans" / "demo_plan.md"
    plan.write_text("# Plan\n- REQ-DM-001\n- REQ-DM-002 untested\n")
    report = gates.evaluate("demo", root=root, reports=reports)
    assert _result(report, "requirements_traced").details == ["REQ-DM-002"]
    assert not _result(report, "rollback_procedure").passed
    plan.unlink()
    assert (
        "missing plan"
        in _result(
            gates.evaluate("demo", root=root, reports=reports), "requirements_traced"
        ).evidence
    )


def test_undeclared_target_and_secret_in_tree_fail(demo):
    root, reports = demo
    (root / "dev" / "demo" / "validation" / "validate_data_quality.py").write_text("x = 1\n")
    (root / "dev" / "demo" / "notes.txt").write_text("url = postgresql://me:hunter22@db/x\n")
    report = gates.evaluate("demo", root=root, reports=reports)
    assert _result(report, "data_quality_declared").details == ["demo_table"]
    secrets = _result(report, "no_secrets")
    assert secrets.details == ["dev/demo/notes.txt:1: password in a URL"]
    assert "hunter22" not in json.dumps(report.to_json())


def test_logging_gate_needs_the_run_summary(demo):
    root, reports = demo
    main = root / "dev" / "demo" / "demo.py"
    main.write_text(main.read_text().replace("summary.emit()", "pass"))
    result = _result(gates.evaluate("demo", root=root, reports=reports), "structured_logging")
    assert not result.passed
    assert "summary.emit()" in result.evidence


def test_invalid_spec_is_a_failing_gate(tmp_path):
    report = gates.evaluate("ghost", root=tmp_path)
    assert not report.passed
    assert report.results[0].name == "workflow_spec"


def test_unreadable_report_cannot_pass(demo):
    root, reports = demo
    (reports / "unit.xml").write_text("<not xml")
    result = gates.evaluate("demo", root=root, reports=reports).results[0]
    assert not result.passed
    assert "could not be evaluated" in result.evidence


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("import sqlalchemy\n", "database access outside shared.db_helper"),
        ("from psycopg import connect\n", "database access outside shared.db_helper"),
        ("import os\nx = os.environ['A']\n", "configuration outside shared.config"),
        ("import os\nx = os.getenv('A')\n", "configuration outside shared.config"),
        ("print('hi')\n", "print in workflow code"),
        ("try:\n    pass\nexcept:\n    pass\n", "bare except"),
        ("API_TOKEN = 'abcdefgh12345'\n", "secret value in code"),
        ("password: str = 'correct-horse'\n", "secret value in code"),
    ],
)
def test_pattern_rules(source, rule):
    found = [why for _, why in gates.pattern_problems(source)]
    assert len(found) == 1
    assert found[0].startswith(rule)


def test_clean_code_has_no_pattern_problems():
    source = (
        "from shared.db_helper import Database\nfrom shared.config import load_config\n"
        "TOKEN_NAME = 'MONDAY_API_TOKEN'[:3]\ntry:\n    pass\nexcept ValueError:\n    pass\n"
    )
    assert gates.pattern_problems(source) == []


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
        ("key = AKIAABCDEFGHIJKLMNOP", "AWS"),
        ("token: eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOjEyMzQ1Njc4fQ.sig", "JWT"),
        ('db_password = "s3cr3t-value-1"', "secret assignment"),
    ],
)
def test_secret_scan_finds(line, kind):
    assert kind in gates.secret_hits(line)[0][1]


def test_secret_scan_ignores_references():
    text = "env:\n  DATABASE_URL: \"{{ secret('DATABASE_URL') }}\"\npassword = cfg.secret('X')\n"
    assert gates.secret_hits(text) == []


def test_secret_scan_honours_allow_markers():
    fake = 'api_token = "abcdefgh12345678"'
    assert gates.secret_hits(fake)
    assert gates.secret_hits(f"{fake}  # {gates.ALLOW_LINE}") == []
    assert gates.secret_hits(f'"""{gates.ALLOW_FILE} (fixtures)"""\n{fake}\n') == []
    assert gates.secret_hits("url = postgresql://u:***@h/db") == []  # already redacted
