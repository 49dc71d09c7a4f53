"""Promotion safety: concurrent promotions, kills mid-way, rollback without a previous version,
tampered scripts/ folders. Each case is counted in reports/reliability.json."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from dev.shared import promotion

pytestmark = pytest.mark.integration

PROMOTE = (
    "import sys; from pathlib import Path; from dev.shared import promotion; "
    "from dev.shared.gates import GateReport, GateResult; "
    "r = GateReport('demo', [GateResult('g', True, 'e')]); "
    "sys.exit(0 if promotion.promote('demo', r, root=Path(sys.argv[1])) else 1)"
)


def _spawn(repo):
    return subprocess.Popen(
        [sys.executable, "-c", PROMOTE, str(repo)],
        cwd=repo,
        env=dict(os.environ, PYTHONPATH=str(repo)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_promotions_serialise_or_refuse(demo_repo, tally):
    for _ in range(3):
        procs = [_spawn(demo_repo) for _ in range(3)]
        outcomes = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
        tally.add("cases_tried")
        tally.add("faults_injected", len(procs) - 1)
        for code, err in outcomes:
            assert code == 0 or "another promotion" in err, err[-500:]
        assert any(code == 0 for code, _ in outcomes)
        live = demo_repo / "scripts" / "demo"
        assert promotion.verify(live) == []
        history = promotion.read_history(demo_repo)
        versions = [h["version"] for h in history if h["action"] == "promote"]
        assert versions == list(range(1, len(versions) + 1))  # no version built twice
        assert promotion.record_of(live)["version"] == versions[-1]


def test_sigkill_at_random_points_leaves_old_or_new(demo_repo, tally):
    promotion.promote("demo", promotion_report(), root=demo_repo)
    start = time.perf_counter()
    first = _spawn(demo_repo)
    first.communicate(timeout=300)
    assert first.returncode == 0
    duration = time.perf_counter() - start
    rng = random.Random(7)
    for _ in range(8):
        before = promotion.checksums(demo_repo / "scripts" / "demo")
        proc = _spawn(demo_repo)
        time.sleep(rng.uniform(0.1, duration))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        tally.add("faults_injected")
        promotion.recover("demo", demo_repo)
        live = demo_repo / "scripts" / "demo"
        assert promotion.verify(live) == []
        now = promotion.checksums(live)
        assert now == before or promotion.record_of(live)["version"] > 1
        tally.add("cases_tried")
        tally.add("rows_compared", len(now))


def promotion_report():
    from dev.shared.gates import GateReport, GateResult  # noqa: PLC0415

    return GateReport("demo", [GateResult("g", True, "e")])


def test_rollback_with_no_previous_version_is_refused(demo_repo, tally):
    tally.add("cases_tried")
    with pytest.raises(promotion.PromotionError, match="no previous version"):
        promotion.rollback("demo", root=demo_repo)


@pytest.mark.parametrize("tamper", ["edit", "add", "delete"])
def test_tampered_scripts_are_detected_and_refused(demo_repo, tally, tamper):
    promotion.promote("demo", promotion_report(), root=demo_repo)
    live = demo_repo / "scripts" / "demo"
    if tamper == "edit":
        (live / "helpers.py").write_text("def double(x):\n    return 0\n")
    elif tamper == "add":
        (live / "backdoor.py").write_text("import os\n")
    else:
        (live / "helpers.py").unlink()
    tally.add("cases_tried")
    tally.add("faults_injected")
    assert promotion.verify(live)
    with pytest.raises(promotion.PromotionError, match="differs from its promotion record"):
        promotion.promote("demo", promotion_report(), root=demo_repo)
    result = subprocess.run(
        [sys.executable, "-m", "dev.shared.cli", "deploy", "demo"],
        cwd=demo_repo,
        env=dict(os.environ, PYTHONPATH=str(demo_repo), KESTRA_URL="http://127.0.0.1:9"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "does not match its promotion record" in result.stderr
