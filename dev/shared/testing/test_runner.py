"""Tests for dev.shared.runner: lineage order, environment check, sandbox wiring."""

from __future__ import annotations

import pytest

from dev.shared import runner
from dev.shared.workflow_spec import SpecError, parse_spec

pytestmark = pytest.mark.unit


def _spec(name: str, sources: list[str], targets: list[str]):
    text = (
        f"name: {name}\nowner: o\ndescription: d\n"
        f"sources: {[{'name': s} for s in sources]}\ntargets: {[{'name': t} for t in targets]}\n"
    )
    return parse_spec(text, name)


def test_producers_run_before_consumers():
    schedule = _spec("schedule", ["orders_validated", "boards"], ["schedule"])
    orders = _spec("orders", ["inbox"], ["orders_validated"])
    boards = _spec("boards", ["monday"], ["boards"])
    order = [s.name for s in runner.lineage_order([schedule, orders, boards])]
    assert order.index("orders") < order.index("schedule")
    assert order.index("boards") < order.index("schedule")


def test_cycle_is_reported():
    a = _spec("a", ["tb"], ["ta"])
    b = _spec("b", ["ta"], ["tb"])
    with pytest.raises(SpecError, match="cycle"):
        runner.lineage_order([a, b])


def test_environment_check_without_workflows(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dev.sqlite'}")
    assert runner.check_environment() == 0
    out = capsys.readouterr().out
    assert "database reachable" in out
    assert "nox -s new -- <name>" in out


def test_unknown_workflow_is_one_line(capsys):
    assert runner.main(["no_such_workflow"]) == 2
    assert "no_such_workflow" in capsys.readouterr().err


def test_real_token_skips_the_sandbox(capsys):
    env = {"MONDAY_API_TOKEN": "t"}
    with runner.monday_sandbox(env) as out:
        assert out is env
    assert "real Monday.com API" in capsys.readouterr().out
