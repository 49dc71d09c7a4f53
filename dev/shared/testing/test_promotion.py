"""Tests for dev.shared.promotion: the promotion transaction, rollback, locks, recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dev.shared import promotion
from dev.shared.gates import GateReport, GateResult
from dev.shared.testing.conftest import write_demo

pytestmark = pytest.mark.integration

PASSING = GateReport("demo", [GateResult("unit_tests", True, "1 passed")])


def _versions(root: Path) -> tuple[dict, dict | None]:
    live = promotion.record_of(root / "scripts" / "demo")
    previous = promotion.read_record(root / "scripts" / ".previous" / "demo")
    return live, previous


def test_first_promotion_builds_the_production_copy(demo_repo):
    result = promotion.promote("demo", PASSING, root=demo_repo)
    live = demo_repo / "scripts" / "demo"
    assert result.version == 1
    assert result.previous_version is None
    assert {
        "demo.py",
        "helpers.py",
        "__init__.py",
        "workflow.yaml",
        "test_production.py",
        "demo.flow.yaml",
        "requirements.txt",
        "promotion.json",
    } <= {p.name for p in live.iterdir()}
    record = promotion.record_of(live)
    assert record["gates"] == {"unit_tests": "pass"}
    assert record["checksums"] == promotion.checksums(live)
    assert promotion.verify(live) == []
    assert not (demo_repo / "scripts" / "_staging_demo").exists()
    history = promotion.read_history(demo_repo)
    assert [h["action"] for h in history] == ["promote"]


def test_failing_gates_refuse_and_leave_scripts_untouched(demo_repo):
    failing = GateReport("demo", [GateResult("branch_coverage", False, "40%")])
    with pytest.raises(promotion.PromotionError, match="branch_coverage"):
        promotion.promote("demo", failing, root=demo_repo)
    assert not (demo_repo / "scripts" / "demo").exists()


def _pytest(path: Path, root: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_broken_dev_copy_does_not_touch_the_promoted_one_and_rollback_restores(demo_repo):
    promotion.promote("demo", PASSING, root=demo_repo)
    v1 = promotion.checksums(demo_repo / "scripts" / "demo")
    write_demo(demo_repo, helper_body="return 2 * x + 0")  # a harmless change: version 2
    promotion.promote("demo", PASSING, root=demo_repo)
    assert _versions(demo_repo)[0]["version"] == 2
    write_demo(demo_repo, helper_body="return 3 * x")  # now break the dev copy
    assert (
        _pytest(demo_repo / "dev" / "demo" / "testing" / "test_demo.py", demo_repo).returncode != 0
    )
    assert _pytest(demo_repo / "scripts" / "demo" / "test_production.py", demo_repo).returncode == 0
    with pytest.raises(promotion.PromotionError, match=r"test_production\.py failed"):
        promotion.promote("demo", PASSING, root=demo_repo)  # staged tests catch it
    assert _versions(demo_repo)[0]["version"] == 2
    result = promotion.rollback("demo", root=demo_repo)
    assert result.version == 1
    assert promotion.checksums(demo_repo / "scripts" / "demo") == v1  # byte for byte
    assert [h["action"] for h in promotion.read_history(demo_repo)] == [
        "promote",
        "promote",
        "rollback",
    ]


def test_rollback_without_previous_version_is_refused(demo_repo):
    with pytest.raises(promotion.PromotionError, match="no previous version"):
        promotion.rollback("demo", root=demo_repo)
    promotion.promote("demo", PASSING, root=demo_repo)
    with pytest.raises(promotion.PromotionError, match="no previous version"):
        promotion.rollback("demo", root=demo_repo)


def test_tampered_scripts_folder_is_detected_and_refused(demo_repo):
    promotion.promote("demo", PASSING, root=demo_repo)
    target = demo_repo / "scripts" / "demo" / "helpers.py"
    target.write_text(target.read_text() + "# hot fix\n")
    assert promotion.verify(demo_repo / "scripts" / "demo") == ["demo/helpers.py"]
    with pytest.raises(promotion.PromotionError, match="differs from its promotion record"):
        promotion.promote("demo", PASSING, root=demo_repo)


def test_tampered_previous_version_is_not_restored(demo_repo):
    promotion.promote("demo", PASSING, root=demo_repo)
    promotion.promote("demo", PASSING, root=demo_repo)
    (demo_repo / "scripts" / ".previous" / "demo" / "extra.py").write_text("x = 1\n")
    with pytest.raises(promotion.PromotionError, match="refusing to restore"):
        promotion.rollback("demo", root=demo_repo)


def test_lock_stops_a_second_promotion(demo_repo):
    with (
        promotion.workflow_lock("demo", demo_repo),
        pytest.raises(promotion.PromotionError, match="another promotion"),
    ):
        promotion.promote("demo", PASSING, root=demo_repo)


def test_stale_lock_of_a_dead_process_is_taken_over(demo_repo):
    locks = demo_repo / "scripts" / ".locks"
    locks.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (locks / "demo.lock").write_text(dead)
    assert promotion.promote("demo", PASSING, root=demo_repo).version == 1


class Killed(BaseException):
    """Stands for SIGKILL at a chosen point: nothing after it runs."""


def _kill_at(monkeypatch, name: str, after_calls: int = 0):
    real = getattr(promotion, name)
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after_calls:
            raise Killed(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(promotion, name, dying)


@pytest.mark.parametrize(
    ("point", "exchange"),
    [
        ("run_production_tests", True),  # before anything is swapped
        ("_keep_as_previous", True),  # right after the atomic exchange
        ("_keep_as_previous", False),  # fallback: after both renames
        ("record_history", True),  # after the swap, before the history line
    ],
)
def test_a_killed_promotion_leaves_the_old_or_the_new_version(
    demo_repo, monkeypatch, point, exchange
):
    promotion.promote("demo", PASSING, root=demo_repo)
    old = promotion.checksums(demo_repo / "scripts" / "demo")
    write_demo(demo_repo, helper_body="return x + x")
    if not exchange:
        monkeypatch.setattr(promotion, "_exchange", lambda a, b: False)
    _kill_at(monkeypatch, point)
    with pytest.raises(Killed):
        promotion.promote("demo", PASSING, root=demo_repo)
    monkeypatch.undo()
    promotion.recover("demo", demo_repo)
    live = demo_repo / "scripts" / "demo"
    assert promotion.verify(live) == []
    assert promotion.checksums(live) == old or promotion.record_of(live)["version"] == 2
    assert not (demo_repo / "scripts" / "_staging_demo").exists()
    again = promotion.promote("demo", PASSING, root=demo_repo)  # and it can go on
    assert again.version == promotion.record_of(live)["version"]


def test_interrupted_fallback_between_renames_puts_the_old_version_back(demo_repo, monkeypatch):
    promotion.promote("demo", PASSING, root=demo_repo)
    old = promotion.checksums(demo_repo / "scripts" / "demo")
    monkeypatch.setattr(promotion, "_exchange", lambda a, b: False)
    real_rename = Path.rename
    calls = {"n": 0}

    def rename(self, target):
        calls["n"] += 1
        if calls["n"] == 2:  # live moved aside, new one not yet in place
            raise Killed("between renames")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(Killed):
        promotion.promote("demo", PASSING, root=demo_repo)
    monkeypatch.undo()
    assert not (demo_repo / "scripts" / "demo").exists()
    assert promotion.recover("demo", demo_repo)
    assert promotion.checksums(demo_repo / "scripts" / "demo") == old


def test_sigkill_at_random_moments_never_leaves_a_mix(demo_repo):
    promotion.promote("demo", PASSING, root=demo_repo)
    script = (
        "import sys; from pathlib import Path; from dev.shared import promotion; "
        "from dev.shared.gates import GateReport, GateResult; "
        "promotion.promote('demo', GateReport('demo', [GateResult('g', True, 'e')]), "
        "root=Path(sys.argv[1]))"
    )
    env = dict(os.environ, PYTHONPATH=str(demo_repo))
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", script, str(demo_repo)], env=env, check=True, cwd=demo_repo
    )
    duration = time.perf_counter() - start
    seen = set()
    for fraction in (0.2, 0.5, 0.8, 0.9, 0.97):
        before = promotion.checksums(demo_repo / "scripts" / "demo")
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(demo_repo)], env=env, cwd=demo_repo
        )
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lock = demo_repo / "scripts" / ".locks" / "demo.lock"
        promotion.recover("demo", demo_repo)
        live = demo_repo / "scripts" / "demo"
        assert promotion.verify(live) == [], fraction
        now = promotion.checksums(live)
        seen.add("old" if now == before else "new")
        assert not lock.exists() or promotion._lock_holder(lock) == proc.pid
    assert seen <= {"old", "new"}


def test_history_is_json_lines(demo_repo):
    promotion.promote("demo", PASSING, root=demo_repo)
    line = promotion.history_path(demo_repo).read_text().splitlines()[0]
    assert json.loads(line)["workflow"] == "demo"
    assert promotion.read_history(demo_repo / "nowhere") == []


def test_requirements_txt_lists_shared_then_the_workflows_own(demo_repo):
    spec = demo_repo / "dev" / "demo" / "workflow.yaml"
    spec.write_text(spec.read_text() + "requirements: [pyarrow>=17]\n", encoding="utf-8")
    promotion.promote("demo", PASSING, root=demo_repo)
    lines = (demo_repo / "scripts" / "demo" / "requirements.txt").read_text().splitlines()
    shared = [line for line in lines if line and not line.startswith("#")]
    assert shared[-1] == "pyarrow>=17"
    assert any(line.startswith("SQLAlchemy") for line in shared[:-1])
