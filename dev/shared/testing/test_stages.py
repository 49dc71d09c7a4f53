"""Tests for dev.shared.stages: routing, clear refusals, the stage record the gates read."""

from __future__ import annotations

import json

import pytest

from dev.shared import stages
from dev.shared.noxkit import discover_workflows

pytestmark = pytest.mark.unit


def test_usage_and_unknown_stage_are_refused(capsys):
    assert stages.main(["unit"]) == 2
    assert "usage" in capsys.readouterr().err
    workflow = discover_workflows()[0]
    assert stages.main(["deploy", workflow]) == 2
    assert "unknown stage 'deploy'" in capsys.readouterr().err


def test_missing_workflow_is_a_spec_error(capsys):
    assert stages.main(["unit", "no_such_workflow"]) == 3
    assert "workflow.yaml" in capsys.readouterr().err


def test_stage_record_is_written_for_the_gates(tmp_path, monkeypatch):
    monkeypatch.setattr(stages, "REPORTS", tmp_path)
    monkeypatch.setenv("BENCH_SCALE", "0.5")
    stages.record_stage("demo", "validation", 1, 2.5)
    record = json.loads((tmp_path / "demo" / "stage_validation.json").read_text())
    assert record["exit_code"] == 1
    assert record["bench_scale"] == 0.5
    assert record["seconds"] == 2.5


def test_missing_stage_file_is_reported(tmp_path, monkeypatch, capsys):
    workflow = discover_workflows()[0]
    monkeypatch.setattr(stages, "ROOT", tmp_path)
    (tmp_path / "dev" / workflow / "testing").mkdir(parents=True)
    assert stages._single(workflow, "integration", []) == 4
    assert "missing" in capsys.readouterr().err
    assert stages.validation(workflow, []) == 4
    assert "no validation scripts" in capsys.readouterr().err
    assert stages.unit(workflow, []) == 4
