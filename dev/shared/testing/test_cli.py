"""Tests for dev.shared.cli: the gates / promote / rollback / deploy / report commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dev.shared import cli

pytestmark = pytest.mark.integration


def _cli(repo: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "dev.shared.cli", *args],
        cwd=repo,
        env=dict(os.environ, PYTHONPATH=str(repo), **(env or {})),
        capture_output=True,
        text=True,
        check=False,
    )


def test_unknown_workflow_and_missing_name_are_one_line(capsys):
    assert cli.main(["gates", "no_such_workflow"]) == 2
    assert "unknown workflow 'no_such_workflow'" in capsys.readouterr().err
    assert cli.main(["rollback"]) == 2
    assert "rollback needs a workflow name" in capsys.readouterr().err


def test_promote_refuses_when_gates_fail_and_leaves_scripts_untouched(demo_repo):
    result = _cli(demo_repo, "promote", "demo", "--reuse")
    assert result.returncode == 1
    assert "refused" in result.stdout
    assert "gates failed" in result.stdout
    assert not (demo_repo / "scripts" / "demo").exists()
    assert (demo_repo / "reports" / "demo" / "gates.json").exists()
    assert "<!-- gates:demo:begin -->" not in (demo_repo / "README.md").read_text()


def test_bare_promote_reports_every_workflow(demo_repo):
    result = _cli(demo_repo, "promote", "--reuse")
    assert "demo" in result.stdout
    assert "skipped" in result.stdout


def test_rollback_without_previous_version(demo_repo):
    result = _cli(demo_repo, "rollback", "demo")
    assert result.returncode == 1
    assert "no previous version" in result.stderr


def test_deploy_needs_kestra_url(demo_repo):
    result = _cli(demo_repo, "deploy", "demo", env={"KESTRA_URL": ""})
    assert result.returncode == 1
    assert "KESTRA_URL" in result.stderr


def test_report_writes_the_dashboard(demo_repo):
    result = _cli(demo_repo, "report")
    assert result.returncode == 0
    assert (demo_repo / "reports" / "dashboard.html").exists()


def test_deploy_of_an_unpromoted_workflow_says_promote_first(demo_repo):
    result = _cli(demo_repo, "deploy", "demo", env={"KESTRA_URL": "http://127.0.0.1:9"})
    assert result.returncode == 1
    assert "not promoted yet: nox -s promote -- demo" in result.stderr
