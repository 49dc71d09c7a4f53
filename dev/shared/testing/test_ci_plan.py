"""Tests for dev.shared.ci_plan and the GitHub Actions workflows."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from dev.shared import ci_plan
from dev.shared.noxkit import ROOT
from dev.shared.testing.conftest import git
from dev.shared.workflow_spec import parse_spec

pytestmark = pytest.mark.unit


def _spec(name: str, sources: Sequence[str] = (), targets: Sequence[str] = ()):
    return parse_spec(
        f"name: {name}\nowner: o\ndescription: d\n"
        f"sources: {[{'name': s} for s in sources]}\n"
        f"targets: {[{'name': t} for t in targets]}\n",
        name,
    )


SPECS = [
    _spec("boards", ["monday"], ["delivery_schedules"]),
    _spec("orders", ["inbox"], ["orders_validated"]),
    _spec("schedule", ["orders_validated", "delivery_schedules"], ["schedule"]),
    _spec("report", ["schedule"], ["report"]),
    _spec("alone", ["x"], ["y"]),
]


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["dev/orders/orders.py"], ["orders", "report", "schedule"]),  # transitively downstream
        (["scripts/boards/test_production.py"], ["boards", "report", "schedule"]),
        (["dev/alone/workflow.yaml"], ["alone"]),
        (["dev/report/x.py", "README.md"], ["report"]),
        (["README.md", "checklists/testing_checklist.md"], []),
        (["shared/db_helper.py"], ["alone", "boards", "orders", "report", "schedule"]),
        (["dev/shared/x.py"], ["alone", "boards", "orders", "report", "schedule"]),
        (["pyproject.toml"], ["alone", "boards", "orders", "report", "schedule"]),
        (["noxfile.py"], ["alone", "boards", "orders", "report", "schedule"]),
        (["dev/gone/x.py"], []),  # a deleted workflow
    ],
)
def test_affected_selection(changed, expected):
    assert ci_plan.affected(changed, SPECS) == expected


def test_downstream_ignores_self_loops():
    spec = _spec("self", ["t"], ["t"])
    assert ci_plan.downstream([spec]) == {"self": set()}


def _plan(repo: Path, *args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "dev.shared.ci_plan", "--root", str(repo), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def _add_workflow(repo: Path, name: str, sources: list[str], targets: list[str]) -> None:
    folder = repo / "dev" / name
    folder.mkdir(parents=True)
    (folder / "workflow.yaml").write_text(
        f"name: {name}\nowner: o\ndescription: d\nsources: {[{'name': s} for s in sources]}\n"
        f"targets: {[{'name': t} for t in targets]}\n"
    )


def test_new_workflow_appears_in_matrix_and_pr_selects_downstream(repo_copy):
    _add_workflow(repo_copy, "zz_upstream", ["api"], ["zz_table"])
    _add_workflow(repo_copy, "zz_downstream", ["zz_table"], ["zz_out"])
    git(repo_copy, "add", "-A")
    git(repo_copy, "commit", "-qm", "wfs")
    everything = _plan(repo_copy)
    assert {"zz_upstream", "zz_downstream"} <= set(everything)
    git(repo_copy, "checkout", "-q", "-b", "feature")
    (repo_copy / "dev" / "zz_upstream" / "zz_upstream.py").write_text("x = 1\n")
    git(repo_copy, "add", "-A")
    git(repo_copy, "commit", "-qm", "change")
    assert _plan(repo_copy, "--changed-since", "main") == ["zz_downstream", "zz_upstream"]


def test_bad_base_ref_is_a_clear_error(repo_copy):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dev.shared.ci_plan",
            "--root",
            str(repo_copy),
            "--changed-since",
            "no-such-ref",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "no-such-ref" in result.stderr


def test_github_workflows_pass_actionlint():
    exe = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert exe, "actionlint is part of the test dependency group"
    files = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    result = subprocess.run([exe, *files], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_matrix_comes_from_discovery():
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "fromJSON(needs.plan.outputs.workflows)" in text
    assert "fail-fast: false" in text
    assert "nox -s matrix" in text
