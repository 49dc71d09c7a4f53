"""Tests for dev.shared.scaffold: names, the generated workflow, and that it passes its stages."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dev.shared import scaffold
from dev.shared.noxkit import ROOT
from dev.shared.workflow_spec import load_spec

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("shared", "reserved"),
        ("../x", "is a path"),
        ("a/b", "is a path"),
        ("wörkflow", "non-ASCII"),
        ("Order-Staging", "not a snake_case identifier"),
        ("order-staging", "not a snake_case identifier"),  # kebab only in the shell form
        ("9lives", "not a snake_case identifier"),
        ("existing", "already exists"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(tmp_path, name, message):
    (tmp_path / "dev" / "existing").mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(scaffold.ScaffoldError, match=message) as info:
        scaffold.create(name, root=tmp_path)
    assert "\n" not in str(info.value)
    assert sorted(tmp_path.rglob("*")) == before


def test_kebab_case_is_converted_in_the_shell_form(tmp_path):
    written = scaffold.create("invoice-sync", root=tmp_path, kebab=True)
    assert (tmp_path / "dev" / "invoice_sync" / "invoice_sync.py") in written


def test_layout_spec_and_plan(tmp_path):
    (tmp_path / "checklists").mkdir()
    (tmp_path / scaffold.CHECKLIST).write_text("# Development checklist\n")
    options = scaffold.Options(owner="finance", cron="0 */4 * * *", timezone="Europe/Madrid")
    scaffold.create("invoice_sync", options, root=tmp_path, today=dt.date(2026, 11, 30))
    folder = tmp_path / "dev" / "invoice_sync"
    for rel in (
        "invoice_sync.py",
        "workflow.yaml",
        "testing/test_invoice_sync.py",
        "testing/test_edge_cases_invoice_sync.py",
        "testing/test_integration_invoice_sync.py",
        "testing/test_performance_invoice_sync.py",
        "testing/test_data_samples/sample_api_response.json",
        "testing/test_data_samples/sample_database_data.csv",
        "testing/test_data_samples/mock_configurations.yaml",
        "debugging/debug_rules.py",
        "debugging/profile_performance.py",
        "validation/validate_data_quality.py",
        "validation/validate_business_rules.py",
        "validation/validate_schema_changes.py",
        "validation/check_requirements.py",
    ):
        assert (folder / rel).is_file(), rel
    spec = load_spec("invoice_sync", tmp_path)
    assert (spec.owner, spec.schedule.cron, spec.schedule.timezone) == (
        "finance",
        "0 */4 * * *",
        "Europe/Madrid",
    )
    assert spec.created == dt.date(2026, 11, 30)
    assert spec.template_version == scaffold.TEMPLATE_VERSION
    plan = (tmp_path / "checklists" / "workflow_plans" / "invoice_sync_plan.md").read_text()
    for section in (
        "## Goals and requirements",
        "## API documentation",
        "## Data flow",
        "## Business rules",
        "## Deployment guide",
        "## Rollback procedure",
    ):
        assert section in plan
    assert "```mermaid\nflowchart LR" in plan
    assert 'src0[/"invoice_sync_source"/]' in plan
    assert "src0 --> wf" in plan
    assert "wf --> dst0" in plan
    assert "REQ-IS-008" in plan
    assert "## invoice_sync" in (tmp_path / scaffold.CHECKLIST).read_text()
    for path in folder.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")  # every file is valid Python
    yaml.safe_load((folder / "testing/test_data_samples/mock_configurations.yaml").read_text())


def test_dataflow_is_rerendered_from_workflow_yaml(tmp_path):
    scaffold.create("invoice_sync", root=tmp_path)
    spec_file = tmp_path / "dev" / "invoice_sync" / "workflow.yaml"
    spec_file.write_text(
        spec_file.read_text().replace("targets:\n", "targets:\n  - {name: ledger, kind: table}\n")
    )
    assert scaffold.refresh_dataflow("invoice_sync", tmp_path)
    plan = (tmp_path / "checklists" / "workflow_plans" / "invoice_sync_plan.md").read_text()
    assert 'dst0[("ledger")]' in plan
    assert not scaffold.refresh_dataflow("invoice_sync", tmp_path)  # nothing new to render
    assert not scaffold.refresh_dataflow("ghost", tmp_path)


def test_req_prefix():
    assert scaffold.req_prefix("order_staging") == "OS"
    assert scaffold.req_prefix("customer_master_schedule") == "CMS"
    assert scaffold.req_prefix("inventory") == "INV"


def test_cli_refuses_with_one_line(capsys):
    assert scaffold.main(["../escape"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("create_new_workflow: ")
    assert err.count("\n") == 1


def _run(repo: Path, *cmd: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=repo,
        env=dict(os.environ, PYTHONPATH=str(repo), **env),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def test_scaffolded_workflow_passes_every_stage_untouched(repo_copy):
    (repo_copy / ".nox").mkdir()
    (repo_copy / ".nox" / "env").symlink_to(ROOT / ".nox" / "env")  # the shared environment
    shell = _run(
        repo_copy, "bash", "dev/shared/create_new_workflow.sh", "invoice-sync", "--owner", "finance"
    )
    assert shell.returncode == 0, shell.stderr
    assert "nox -s test -- invoice_sync" in shell.stdout
    for stage in ("unit", "integration", "performance", "validation"):
        done = _run(
            repo_copy,
            sys.executable,
            "-m",
            "dev.shared.stages",
            stage,
            "invoice_sync",
            BENCH_SCALE="0.05",
        )
        assert done.returncode == 0, f"{stage}:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    coverage = json.loads((repo_copy / "reports/invoice_sync/coverage.json").read_text())
    assert coverage["totals"]["percent_covered"] >= 90
    matrix = _run(repo_copy, sys.executable, "-m", "dev.shared.ci_plan")
    assert "invoice_sync" in json.loads(matrix.stdout)
    listing = _run(repo_copy, sys.executable, "-m", "nox", "-l")
    assert "invoice_sync" in listing.stdout


def test_template_files_are_all_used():
    used = {t for t in scaffold.LAYOUT.values() if t}
    on_disk = {
        p.relative_to(scaffold.TEMPLATES).as_posix()
        for p in scaffold.TEMPLATES.rglob("*")
        if p.is_file()
    }
    framework_only = {"kestra_flow.yaml.j2", "gates.html.j2", "dashboard.html.j2"}
    assert on_disk - framework_only == used
    assert ROOT in scaffold.TEMPLATES.parents
