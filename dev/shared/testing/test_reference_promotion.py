"""End to end on a reference workflow: promote, change, break the dev copy, refuse, roll back.

Runs in a temporary copy of the repository with the real stages (at BENCH_SCALE 0.05, so the
performance gate is asked to hold at that scale with --min-perf-scale) and the real gates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dev.shared import promotion

pytestmark = pytest.mark.integration

WORKFLOW = "customer_master_schedule"


def _cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(repo), BENCH_SCALE="0.05")
    return subprocess.run(
        [sys.executable, "-m", "dev.shared.cli", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1500,
    )


def _pytest(repo: Path, path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(repo))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def test_promote_break_refuse_and_roll_back(repo_copy):
    first = _cli(repo_copy, "promote", WORKFLOW, "--min-perf-scale", "0.05")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    live = repo_copy / "scripts" / WORKFLOW
    v1 = promotion.checksums(live)
    assert promotion.record_of(live)["version"] == 1
    assert (live / f"{WORKFLOW}.flow.yaml").exists()
    assert (live / "test_production.py").exists()

    main = repo_copy / "dev" / WORKFLOW / f"{WORKFLOW}.py"
    main.write_text(main.read_text() + "\n# a harmless change\n")
    second = _cli(repo_copy, "promote", WORKFLOW, "--reuse", "--min-perf-scale", "0.05")
    assert second.returncode == 0, second.stdout[-3000:]
    assert promotion.record_of(live)["version"] == 2

    priority = repo_copy / "dev" / WORKFLOW / "priority.py"
    priority.write_text(priority.read_text().replace("ascending=", "ascending=not "))
    dev_tests = repo_copy / "dev" / WORKFLOW / "testing" / f"test_{WORKFLOW}.py"
    assert _pytest(repo_copy, dev_tests).returncode != 0  # the dev copy is broken
    assert _pytest(repo_copy, live / "test_production.py").returncode == 0  # production is not
    before = promotion.checksums(live)
    env = dict(os.environ, PYTHONPATH=str(repo_copy))
    subprocess.run(
        [sys.executable, "-m", "dev.shared.stages", "unit", WORKFLOW],
        cwd=repo_copy,
        env=env,
        capture_output=True,
        check=False,
        timeout=900,
    )
    gates = _cli(repo_copy, "gates", WORKFLOW, "--reuse", "--min-perf-scale", "0.05")
    assert gates.returncode == 1
    assert "unit_tests" in gates.stdout
    refused = _cli(repo_copy, "promote", WORKFLOW, "--reuse", "--min-perf-scale", "0.05")
    assert refused.returncode == 1
    assert "refused" in refused.stdout
    assert promotion.checksums(live) == before  # scripts/ untouched

    back = _cli(repo_copy, "rollback", WORKFLOW)
    assert back.returncode == 0, back.stderr
    assert promotion.checksums(live) == v1  # byte for byte
    actions = [h["action"] for h in promotion.read_history(repo_copy)]
    assert actions == ["promote", "promote", "rollback"]
