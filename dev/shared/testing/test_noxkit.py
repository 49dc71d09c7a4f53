"""Tests for dev.shared.noxkit and the noxfile's command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dev.shared import noxkit

pytestmark = pytest.mark.unit


def _make_workflows(root: Path, names: list[str]) -> None:
    for name in names:
        (root / "dev" / name).mkdir(parents=True)
        (root / "dev" / name / "workflow.yaml").write_text(f"name: {name}\n")


def test_discovery_finds_folders_with_workflow_yaml(tmp_path):
    _make_workflows(tmp_path, ["beta", "alpha", "shared", "Bad-Name"])
    (tmp_path / "dev" / "no_yaml").mkdir()
    assert noxkit.discover_workflows(tmp_path) == ["alpha", "beta"]


def test_parse_args_selects_named_or_all():
    known = ["a", "b"]
    assert noxkit.parse_args([], known).workflows == ["a", "b"]
    args = noxkit.parse_args(["b", "--scale", "0.1", "-k", "x"], known)
    assert args.workflows == ["b"]
    assert args.scale == 0.1
    assert args.extra == ["-k", "x"]
    assert noxkit.parse_args(["--scale=2"], known).scale == 2.0


def test_parse_args_framework_pseudo_target():
    known = ["a"]
    only = noxkit.parse_args(["framework"], known, allow_framework=True)
    assert only.include_framework
    assert only.workflows == []
    everything = noxkit.parse_args([], known, allow_framework=True)
    assert everything.include_framework
    assert everything.workflows == ["a"]
    with pytest.raises(noxkit.UsageError, match="unknown workflow 'framework'"):
        noxkit.parse_args(["framework"], known)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "unknown workflow 'nope'; known workflows: a, b"),
        (["--scale", "x"], "--scale needs a number"),
        (["--scale", "0"], "--scale must be above 0"),
        (["--scale"], "--scale needs a number"),
    ],
)
def test_parse_args_rejects_with_one_line(argv, message):
    with pytest.raises(noxkit.UsageError) as info:
        noxkit.parse_args(argv, ["a", "b"])
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_workflow_message_when_none_exist():
    with pytest.raises(noxkit.UsageError, match="none yet"):
        noxkit.parse_args(["x"], [])


def test_requirements_expand_nested_groups():
    reqs = noxkit.requirements()
    assert any(r.startswith("SQLAlchemy") for r in reqs)  # runtime
    assert any(r.startswith("pytest") for r in reqs)  # test, through dev
    assert any(r.startswith("ruff") for r in reqs)  # lint, through dev
    assert len(reqs) == len(set(reqs))


def test_fingerprint_is_stable_and_tracks_dependencies(tmp_path):
    shutil.copy(noxkit.ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    first = noxkit.env_fingerprint(tmp_path)
    assert first == noxkit.env_fingerprint(tmp_path)
    text = (tmp_path / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        text.replace('lint = ["ruff>=0.8"]', 'lint = ["ruff>=0.9"]')
    )
    assert noxkit.env_fingerprint(tmp_path) != first


def test_ensure_env_reuses_a_current_environment(tmp_path):
    env_dir = tmp_path / "env"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "bin" / "python").write_text("")
    (env_dir / ".fingerprint").write_text(noxkit.env_fingerprint())
    logged: list[str] = []
    assert noxkit.ensure_env(logged.append, env_dir=env_dir) == env_dir / "bin" / "python"
    assert logged == []  # nothing rebuilt


def test_summary_table_lists_every_row():
    table = noxkit.summary_table([("a", "unit", "pass", 1.25), ("b", "integration", "fail", 2)])
    assert "a" in table.splitlines()[1]
    assert "fail" in table.splitlines()[2]


def test_stage_env_passes_scale():
    assert noxkit.stage_env(0.5)["BENCH_SCALE"] == "0.5"
    assert "BENCH_SCALE" not in noxkit.stage_env()


def _nox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", *args],
        cwd=noxkit.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_nox_unknown_workflow_is_one_clear_line():
    result = _nox("-s", "unit", "--", "no_such_workflow")
    assert result.returncode != 0
    assert "unknown workflow 'no_such_workflow'; known workflows:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_nox_lists_every_session_with_a_description():
    result = _nox("-l")
    for name in (
        "test",
        "unit",
        "integration",
        "performance",
        "validation",
        "lint",
        "typecheck",
        "framework",
        "matrix",
        "ci",
        "run",
    ):
        assert any(
            line.startswith(("* ", "- ")) and f" {name} -> " in f" {line[2:]}"
            for line in result.stdout.splitlines()
        ), name


def test_nox_matrix_is_the_discovered_workflows():
    result = _nox("-s", "matrix")
    assert result.returncode == 0
    assert json.loads(result.stdout.strip().splitlines()[-1]) == noxkit.discover_workflows()
