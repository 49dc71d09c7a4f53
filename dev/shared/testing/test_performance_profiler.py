"""Tests for dev.shared.performance_profiler: stages, memory peaks, log, budgets, baseline, flames."""

from __future__ import annotations

import json
import logging
import math
import os
import stat
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dev.shared import performance_profiler as pp
from dev.shared.noxkit import ROOT
from dev.shared.performance_profiler import (
    PerformanceProfiler,
    check_budgets,
    compare_baseline,
    flamegraph,
    memory,
    record_flamegraph,
)
from dev.shared.workflow_spec import Budget

pytestmark = pytest.mark.unit

MB = 2**20


class FakeClock:
    """perf_counter stand-in: each call returns the next scripted time."""

    def __init__(self, *times: float) -> None:
        self._times: Iterator[float] = iter(times)

    def __call__(self) -> float:
        return next(self._times)


def profiler(tmp_path: Path, *times: float, **kwargs) -> PerformanceProfiler:
    clock = FakeClock(*times) if times else time.perf_counter
    kwargs.setdefault("rss_mode", "process")
    return PerformanceProfiler(
        "demo", log_path=tmp_path / "logs" / "performance.log", clock=clock, **kwargs
    )


def log_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- stages --------------------------------------------------------------------------------


def test_stage_times_rows_and_rows_per_second(tmp_path):
    prof = profiler(tmp_path, 10.0, 12.5)
    with prof.stage("load", rows=1000) as result:
        assert result.status == "running"
    assert (result.seconds, result.rows, result.rows_per_second) == (2.5, 1000, 400.0)
    assert result.status == "ok"
    assert result.error is None
    assert prof.results == [result]


def test_stage_rows_set_inside_when_known_late(tmp_path):
    prof = profiler(tmp_path, 0.0, 4.0)
    with prof.stage("transform") as result:
        result.rows = 10
    assert result.rows_per_second == 2.5


@pytest.mark.parametrize(
    ("rows", "times"),
    [(None, (1.0, 3.0)), (50, (1.0, 1.0))],  # no rows; zero duration (no division by zero)
)
def test_stage_rows_per_second_is_none_without_rows_or_time(tmp_path, rows, times):
    prof = profiler(tmp_path, *times)
    with prof.stage("x", rows=rows) as result:
        pass
    assert result.rows_per_second is None


def test_nested_stages_know_parent_and_depth(tmp_path):
    prof = profiler(tmp_path, 0.0, 1.0, 3.0, 10.0)
    with prof.stage("run", rows=100) as outer, prof.stage("parse") as inner:
        pass
    assert [r.name for r in prof.results] == ["run", "parse"]  # start order
    assert (outer.parent, outer.depth, outer.seconds) == (None, 0, 10.0)
    assert (inner.parent, inner.depth, inner.seconds) == ("run", 1, 2.0)


def test_stage_exception_is_recorded_as_failed_and_raised(tmp_path):
    prof = profiler(tmp_path, 0.0, 1.0, 2.0, 5.0)
    with pytest.raises(KeyError, match="customer_id"), prof.stage("outer"), prof.stage("inner"):
        raise KeyError("customer_id")
    outer, inner = prof.results
    assert inner.status == outer.status == "failed"
    assert inner.error == "KeyError: 'customer_id'"
    assert (inner.seconds, outer.seconds) == (1.0, 5.0)
    prof.write()
    assert [rec["status"] for rec in log_lines(prof.log_path)] == ["failed", "failed"]


def test_measure_decorator_keeps_return_value_and_records(tmp_path):
    prof = profiler(tmp_path, 0.0, 2.0, 10.0, 14.0)

    @prof.measure("double", rows=8)
    def double(x: int) -> int:
        """Doubles."""
        return 2 * x

    @prof.measure("explode", rows=len)
    def explode(n: int) -> list[int]:
        return list(range(n))

    assert double(21) == 42
    assert double.__name__ == "double"
    assert double.__doc__ == "Doubles."
    assert explode(6) == [0, 1, 2, 3, 4, 5]
    assert [(r.name, r.rows, r.rows_per_second) for r in prof.results] == [
        ("double", 8, 4.0),
        ("explode", 6, 1.5),  # rows from the return value
    ]


def test_measure_decorator_records_failure(tmp_path):
    prof = profiler(tmp_path, 0.0, 1.0)

    @prof.measure("boom")
    def boom() -> None:
        raise ValueError("bad row 7")

    with pytest.raises(ValueError, match="bad row 7"):
        boom()
    assert (prof.results[0].status, prof.results[0].error) == ("failed", "ValueError: bad row 7")


# --- the log -------------------------------------------------------------------------------


def test_write_appends_parseable_json_lines_once_per_stage(tmp_path):
    prof = profiler(tmp_path, 0.0, 2.0, 2.0, 3.0, 3.0, 4.0, run_id="run-1")
    with prof.stage("read", rows=10):
        pass
    with prof.stage("load", rows=20):
        prof.write()  # "load" is still running: not written yet
    records = log_lines(prof.log_path)
    assert [r["stage"] for r in records] == ["read"]
    assert prof.write() == prof.log_path
    with prof.stage("report"):
        pass
    prof.write()
    records = log_lines(prof.log_path)
    assert [r["stage"] for r in records] == ["read", "load", "report"]  # no duplicates
    first = records[0]
    assert first["workflow"] == "demo"
    assert first["run_id"] == "run-1"
    assert (first["seconds"], first["rows"], first["rows_per_second"]) == (2.0, 10, 5.0)
    assert first["cpu_count"] == os.cpu_count()
    assert first["python"] == ".".join(map(str, sys.version_info[:3]))
    assert first["peak_rss_mode"] == "process"
    assert first["peak_traced_mb"] is None
    assert first["ts"].endswith("+00:00")
    expected = {"status", "parent", "depth", "error", "peak_rss_mb", "host", "platform", "pid"}
    assert expected <= set(first)


def test_write_appends_to_an_existing_log(tmp_path):
    for run_id in ("a", "b"):
        prof = profiler(tmp_path, 0.0, 1.0, run_id=run_id)
        with prof.stage("s"):
            pass
        prof.write()
    assert [r["run_id"] for r in log_lines(tmp_path / "logs" / "performance.log")] == ["a", "b"]


def test_default_log_is_the_workflows_debugging_log():
    prof = PerformanceProfiler("order_staging")
    expected = ROOT / "dev" / "order_staging" / "debugging" / "logs" / "performance.log"
    assert prof.log_path == expected
    assert prof.run_id != PerformanceProfiler("order_staging").run_id


def test_summary_is_a_table_with_nested_stages_indented(tmp_path):
    prof = profiler(tmp_path, 0.0, 1.0, 2.0, 4.0)
    with prof.stage("run", rows=1_000_000), prof.stage("parse"):
        pass
    lines = prof.summary().splitlines()
    assert lines[0].split()[:3] == ["stage", "status", "seconds"]
    assert lines[1].startswith("run ")
    assert "1,000,000" in lines[1]
    assert "250,000" in lines[1]
    assert lines[2].startswith("  parse ")
    assert " - " in lines[2]  # no rows


def test_metrics_of_the_run_and_of_one_stage(tmp_path):
    prof = profiler(tmp_path, 0.0, 1.0, 2.0, 3.0, 4.0, 6.0, trace_memory=True)
    with prof.stage("extract", rows=100), prof.stage("parse", rows=100):
        pass
    with prof.stage("load", rows=100):
        pass
    run = prof.metrics()
    assert run["seconds"] == 5.0  # top-level stages only: 3 + 2
    assert run["rows"] == 100.0
    assert run["rows_per_second"] == 20.0
    assert run["peak_memory_mb"] == max(r.peak_rss_mb for r in prof.results)
    assert "peak_traced_mb" in run
    assert prof.metrics("parse")["rows_per_second"] == 100.0


def test_metrics_without_rows_has_no_rate(tmp_path):
    prof = profiler(tmp_path, 0.0, 2.0)
    with prof.stage("x"):
        pass
    assert set(prof.metrics()) == {"seconds", "peak_memory_mb"}


def test_metrics_rejects_unknown_stage(tmp_path):
    prof = profiler(tmp_path)
    with pytest.raises(ValueError, match="no finished stage missing"):
        prof.metrics("missing")


# --- memory --------------------------------------------------------------------------------


def _spike(megabytes: int) -> None:
    block = b"x" * (megabytes * MB)  # written, so resident
    del block


def test_hwm_mode_gives_each_stage_its_own_peak_and_outer_keeps_inner_spikes(tmp_path):
    prof = profiler(tmp_path, rss_mode="hwm")
    with prof.stage("outer") as outer:
        with prof.stage("spike") as spike:
            _spike(96)
        with prof.stage("calm") as calm:
            pass
    assert spike.peak_rss_mb - calm.peak_rss_mb > 80  # the reset at "calm" dropped the spike
    assert outer.peak_rss_mb >= spike.peak_rss_mb  # ... but not from the open outer stage


def test_sampled_mode_reads_rss_at_stage_end(tmp_path):
    prof = profiler(tmp_path, rss_mode="sampled")
    with prof.stage("before") as before:
        pass
    with prof.stage("hold") as hold:
        block = b"x" * (64 * MB)
    assert hold.peak_rss_mb - before.peak_rss_mb > 50
    assert len(block) == 64 * MB


def test_sampler_thread_samples_while_a_stage_is_open():
    seen = threading.Event()
    reads: list[int] = []

    def read() -> float:
        reads.append(1)
        if len(reads) >= 5:
            seen.set()
        return float(len(reads))

    tracker = memory._PeakTracker(read, interval=0.001)
    token = tracker.open()
    assert seen.wait(10)  # an event, not a timing: the thread must have read several times
    assert tracker.close(token) >= 5.0
    assert tracker._stop.is_set()


def test_process_mode_reports_lifetime_peak(tmp_path):
    prof = profiler(tmp_path, rss_mode="process")
    with prof.stage("s") as result:
        pass
    assert result.peak_rss_mb >= (memory._status_mb("VmRSS") or math.inf)


def test_detect_rss_mode(tmp_path, monkeypatch):
    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n")
    monkeypatch.setattr(memory, "_STATUS", status)
    (tmp_path / "clear_refs").write_text("")
    monkeypatch.setattr(memory, "_CLEAR_REFS", tmp_path / "clear_refs")
    assert pp.detect_rss_mode() == "hwm"
    assert (tmp_path / "clear_refs").read_text() == "5"
    assert memory._status_mb("VmHWM") == 2.0
    assert memory._status_mb("VmSwap") is None
    monkeypatch.setattr(memory, "_CLEAR_REFS", tmp_path)  # a directory: writing it fails
    assert pp.detect_rss_mode() == "sampled"
    monkeypatch.setattr(memory, "_STATUS", tmp_path / "no-proc")
    assert pp.detect_rss_mode() == "process"


def test_this_machine_allows_per_stage_peaks():
    assert pp.detect_rss_mode() == "hwm"
    assert PerformanceProfiler("demo").rss_mode == "hwm"


def test_trace_memory_reports_python_allocation_peak_and_stops_tracing(tmp_path):
    assert not tracemalloc.is_tracing()
    prof = profiler(tmp_path, trace_memory=True)
    with prof.stage("alloc") as alloc:
        _spike(16)
    with prof.stage("calm") as calm:
        pass
    assert alloc.peak_traced_mb is not None
    assert alloc.peak_traced_mb >= 16
    assert calm.peak_traced_mb is not None
    assert calm.peak_traced_mb < 1
    assert not tracemalloc.is_tracing()  # the profiler started it, so it stopped it


def test_trace_memory_leaves_tracing_started_by_others_running(tmp_path):
    tracemalloc.start()
    try:
        prof = profiler(tmp_path, trace_memory=True)
        with prof.stage("s") as result:
            pass
        assert result.peak_traced_mb is not None
        assert tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()


# --- budgets -------------------------------------------------------------------------------

BUDGETS = {
    "rows_per_second": Budget(min=50_000),
    "peak_memory_mb": Budget(max=1024),
    "seconds": Budget(min=0, max=60),
}


def test_check_budgets_pass_and_fail_at_full_scale():
    measured = {"rows_per_second": 61_000.0, "peak_memory_mb": 2048.0, "seconds": 12.0}
    checks = {c.metric: c for c in check_budgets(BUDGETS, measured, scale=1.0)}
    assert checks["rows_per_second"].passed
    assert checks["seconds"].passed
    failed = checks["peak_memory_mb"]
    assert (failed.passed, failed.enforced, failed.ok) == (False, True, False)
    assert (failed.value, failed.min, failed.max) == (2048.0, None, 1024)
    assert failed.describe().startswith("FAIL")
    assert "peak_memory_mb" in failed.describe()
    assert checks["seconds"].describe().startswith("PASS")


def test_check_budgets_not_enforced_below_full_scale():
    checks = check_budgets(BUDGETS, {"rows_per_second": 10.0}, scale=0.05)
    assert not any(c.enforced for c in checks)
    assert all(c.ok for c in checks)
    by_metric = {c.metric: c for c in checks}
    assert not by_metric["rows_per_second"].passed  # still reported honestly
    assert by_metric["rows_per_second"].describe().startswith("info")


def test_check_budgets_fails_a_budget_that_was_not_measured():
    (check,) = check_budgets({"items_per_second": Budget(min=100)}, {}, scale=1.0)
    assert (check.value, check.passed) == (None, False)
    assert "not measured" in check.describe()


def test_check_budgets_ignores_unbudgeted_metrics_and_empty_budgets():
    checks = check_budgets({"seconds": Budget()}, {"seconds": 5, "rows": 3.0}, scale=2.0)
    assert [(c.metric, c.passed, c.enforced) for c in checks] == [("seconds", True, True)]


# --- baseline ------------------------------------------------------------------------------


def test_baseline_missing_passes_and_update_writes_it(tmp_path):
    path = tmp_path / "perf" / "baseline.json"
    checks = compare_baseline({"seconds": 2.0}, path)
    assert [(c.passed, c.baseline, c.note) for c in checks] == [(True, None, "no baseline yet")]
    assert not path.exists()
    compare_baseline({"seconds": 2.0, "rows_per_second": 500.0}, path, update=True)
    stored = json.loads(path.read_text())
    assert stored["metrics"] == {"seconds": 2.0, "rows_per_second": 500.0}
    assert stored["host"]["cpu_count"] == os.cpu_count()


@pytest.mark.parametrize(
    ("metric", "value", "passed"),
    [
        ("seconds", 1.6 * 10, True),  # slower, but within the 1.7x process-to-process drift
        ("seconds", 1.8 * 10, False),
        ("seconds", 5.0, True),  # faster
        ("rows_per_second", 1000 / 1.6, True),  # higher is better: 1/1.6 of the baseline
        ("rows_per_second", 1000 / 1.8, False),
        ("rows_per_second", 0.0, False),  # infinitely worse
        ("rows_per_second", 5000.0, True),
        ("peak_memory_mb", 1.8 * 100, False),
    ],
)
def test_baseline_default_tolerance_allows_process_drift(tmp_path, metric, value, passed):
    path = tmp_path / "baseline.json"
    path.write_text(
        json.dumps({"metrics": {"seconds": 10, "rows_per_second": 1000, "peak_memory_mb": 100}})
    )
    (check,) = compare_baseline({metric: value}, path)
    assert check.passed is passed
    assert check.limit == pytest.approx(1.7)
    assert check.higher_is_better is (metric == "rows_per_second")
    assert check.factor is not None
    assert ("worse" in check.note) is (check.factor > 1)


def test_baseline_tolerance_and_direction_overrides(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"score": 10.0, "seconds": 10.0}))  # a flat mapping is accepted
    strict = compare_baseline({"seconds": 11.0}, path, tolerance=0.05)
    assert not strict[0].passed
    assert strict[0].factor == pytest.approx(1.1)
    (score,) = compare_baseline({"score": 5.0}, path, higher_is_better={"score": True})
    assert (score.passed, score.factor) == (False, 2.0)
    (score,) = compare_baseline({"score": 5.0}, path, higher_is_better={"other": True})
    assert (score.passed, score.factor) == (True, 0.5)


def test_baseline_update_merges_and_refreshes(tmp_path):
    path = tmp_path / "baseline.json"
    compare_baseline({"seconds": 10.0, "peak_memory_mb": 100.0}, path, update=True)
    checks = compare_baseline({"seconds": 30.0}, path, update=True)
    assert not checks[0].passed  # compared with the old value before refreshing
    assert pp.read_baseline(path) == {"seconds": 30.0, "peak_memory_mb": 100.0}


def test_baseline_not_positive_is_not_comparable(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"metrics": {"seconds": 0}}))
    (check,) = compare_baseline({"seconds": 3.0}, path)
    assert (check.passed, check.factor) == (True, None)
    assert "not comparable" in check.note


@pytest.mark.parametrize("text", ["{not json", '{"metrics": {"seconds": "fast"}}', "[1, 2]"])
def test_baseline_rejects_a_corrupt_file(tmp_path, text):
    path = tmp_path / "baseline.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"baseline.json: not a baseline JSON.*update=True"):
        compare_baseline({"seconds": 1.0}, path)


def test_baseline_rejects_negative_tolerance(tmp_path):
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        compare_baseline({"seconds": 1.0}, tmp_path / "b.json", tolerance=-0.1)


# --- flame graphs --------------------------------------------------------------------------


def busy_loop(n: int = 3_000_000) -> int:
    total = 0
    for i in range(n):
        total += i % 7
    return total


BUSY_SCRIPT = "total = 0\nfor i in range(4_000_000):\n    total += i % 7\n"
SMALL_SCRIPT = "def work():\n    return sum(range(1000))\n\nwork()\n"


def fake_py_spy(tmp_path: Path, body: str, name: str = "py-spy") -> str:
    path = tmp_path / name
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


DENIED = "#!/bin/sh\necho 'Error: Permission Denied (os error 1)' >&2\nexit 1\n"
SILENT_AFTER_BANNER = (
    "#!/bin/sh\necho 'py-spy> Sampling process 100 times a second.'\n"
    "trap 'exit 0' INT\nwhile :; do sleep 0.05; done\n"
)
# Behaves like py-spy where ptrace works: writes the svg at the end (Ctrl-C or command exit).
WORKING = f"""#!{sys.executable}
import signal, subprocess, sys, time
out = sys.argv[sys.argv.index("-o") + 1]
def done(*_):
    open(out, "w").write("<svg>fake</svg>")
    sys.exit(0)
if "--" in sys.argv:
    subprocess.run(sys.argv[sys.argv.index("--") + 1:])
    done()
signal.signal(signal.SIGINT, done)
print("py-spy> Sampling process 100 times a second.", flush=True)
while True:
    time.sleep(0.05)
"""


def test_flamegraph_with_installed_py_spy_or_a_said_fallback(tmp_path, caplog):
    assert pp.find_py_spy() is not None  # py-spy is in the test dependency group
    graph = record_flamegraph(busy_loop, tmp_path, "callable")
    if graph.kind == "py-spy":  # ptrace allowed: a real flame graph of this process
        assert graph.path == tmp_path / "callable.svg"
        assert "<svg" in graph.path.read_text()
        assert "busy_loop" in graph.note
    else:  # ptrace refused in this sandbox: the fallback must say so
        assert "py-spy could not attach" in graph.note
        assert any("cProfile fallback" in r.message for r in caplog.records)


def test_flamegraph_of_a_command_with_installed_py_spy(tmp_path):
    script = tmp_path / "busy.py"
    script.write_text(BUSY_SCRIPT)
    graph = record_flamegraph([sys.executable, str(script)], tmp_path, "command")
    if graph.kind == "py-spy":
        assert "<svg" in graph.path.read_text()
    else:
        assert "py-spy could not record" in graph.note
        assert graph.path.suffix == ".prof"


def test_flamegraph_py_spy_path_for_callable_and_command(tmp_path):
    exe = fake_py_spy(tmp_path, WORKING)
    graph = record_flamegraph(busy_loop, tmp_path / "out", "fn", py_spy=exe)
    assert (graph.kind, graph.path.read_text()) == ("py-spy", "<svg>fake</svg>")
    assert graph.note == f"py-spy flame graph of busy_loop (pid {os.getpid()})"
    script = tmp_path / "small.py"
    script.write_text(SMALL_SCRIPT)
    graph = record_flamegraph([sys.executable, str(script)], tmp_path / "out", "cmd", py_spy=exe)
    assert (graph.kind, graph.path.name) == ("py-spy", "cmd.svg")


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"use_py_spy": False}, "py-spy disabled"),
        ({"py_spy": "/nonexistent/py-spy"}, "py-spy not found (/nonexistent/py-spy)"),
    ],
)
def test_flamegraph_falls_back_to_cprofile_and_says_why(tmp_path, caplog, options, reason):
    caplog.set_level(logging.WARNING, logger=pp.__name__)
    graph = record_flamegraph(lambda: busy_loop(10_000), tmp_path, "fallback", **options)
    assert graph.kind == "cProfile"
    assert graph.path == tmp_path / "fallback.prof"
    assert graph.path.stat().st_size > 0
    assert graph.text_path == tmp_path / "fallback.txt"
    assert graph.text_path is not None
    assert "busy_loop" in graph.text_path.read_text()
    assert graph.note.startswith("cProfile fallback, no flame graph: " + reason)
    assert [r.message for r in caplog.records] == [graph.note]


def test_flamegraph_falls_back_when_py_spy_cannot_attach(tmp_path):
    exe = fake_py_spy(tmp_path, DENIED)
    graph = record_flamegraph(lambda: busy_loop(10_000), tmp_path, "denied", py_spy=exe)
    assert graph.kind == "cProfile"
    assert f"py-spy could not attach to pid {os.getpid()}: Error: Permission Denied" in graph.note


def test_flamegraph_of_a_command_falls_back_to_cprofile(tmp_path):
    exe = fake_py_spy(tmp_path, DENIED)
    script = tmp_path / "busy.py"
    script.write_text(SMALL_SCRIPT + "raise SystemExit(3)\n")  # the profile survives a failure
    graph = record_flamegraph([sys.executable, str(script)], tmp_path, "cmd", py_spy=exe)
    assert graph.kind == "cProfile"
    assert "py-spy could not record" in graph.note
    assert "Permission Denied" in graph.note
    assert graph.text_path is not None
    assert "busy.py:1(work)" in graph.text_path.read_text()


def test_flamegraph_command_fallback_rejects_non_python_command(tmp_path):
    with pytest.raises(ValueError, match=r"needs a Python command.*'ls'"):
        record_flamegraph(["ls"], tmp_path, "ls", use_py_spy=False)


def test_flamegraph_command_fallback_reports_a_command_that_never_ran(tmp_path):
    missing = str(tmp_path / "missing.py")
    with pytest.raises(RuntimeError, match="cProfile wrote no profile"):
        record_flamegraph([sys.executable, missing], tmp_path, "m", use_py_spy=False)


def test_flamegraph_callable_fallback_keeps_profile_when_target_raises(tmp_path):
    def fails() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        record_flamegraph(fails, tmp_path, "fails", use_py_spy=False)
    assert (tmp_path / "fails.prof").stat().st_size > 0


def test_flamegraph_refuses_to_rerun_when_py_spy_wrote_nothing(tmp_path):
    exe = fake_py_spy(tmp_path, SILENT_AFTER_BANNER)
    calls: list[int] = []
    with pytest.raises(RuntimeError, match=r"wrote no .*use_py_spy=False"):
        record_flamegraph(lambda: calls.append(1), tmp_path, "none", py_spy=exe)
    assert calls == [1]  # ran once, not again under cProfile


def test_attach_gives_up_without_banner(tmp_path):
    exe = fake_py_spy(tmp_path, "#!/bin/sh\nexec sleep 30\n")
    proc, error = flamegraph._attach(exe, tmp_path / "x.svg", 100, wait=0.2)
    assert proc is None
    assert error == "no sampling banner within 0.2 s"


def test_detach_kills_a_py_spy_that_ignores_ctrl_c(tmp_path):
    exe = fake_py_spy(tmp_path, "#!/bin/sh\ntrap '' INT\necho ready\nexec sleep 30\n")
    proc = subprocess.Popen([exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"  # Ctrl-C is ignored from here on
    flamegraph._detach(proc, timeout=0.2)
    assert proc.returncode == -9


def test_find_py_spy(tmp_path):
    exe = fake_py_spy(tmp_path, DENIED)
    assert pp.find_py_spy(exe) == exe
    assert pp.find_py_spy("sh") is not None  # a name is looked up on PATH
    assert pp.find_py_spy("no-such-py-spy-anywhere") is None


def test_last_line_prefers_error_lines():
    assert flamegraph._last_line("a\nError: x\nStack backtrace:\n 0: y\n") == "Error: x"
    assert flamegraph._last_line("\nfirst\nsecond\n") == "second"
    assert flamegraph._last_line("") == "no output"


# --- CLI -----------------------------------------------------------------------------------


def _two_runs(tmp_path: Path) -> Path:
    for run_id, rows in (("old", 5), ("new", 7)):
        prof = profiler(tmp_path, 0.0, 1.0, 1.0, 2.0, run_id=run_id)
        with prof.stage("read", rows=rows):
            pass
        with prof.stage("load"):
            pass
        prof.write()
    with (tmp_path / "logs" / "performance.log").open("a") as log:
        log.write("not json\n[1]\n")
    return tmp_path / "logs" / "performance.log"


def test_cli_show_prints_the_last_run(tmp_path, capsys):
    log = _two_runs(tmp_path)
    assert pp.main(["show", str(log)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "demo run new"
    assert [line.split()[0] for line in out[2:]] == ["read", "load"]
    assert out[2].split()[3] == "7"


def test_cli_show_a_chosen_run(tmp_path, capsys):
    log = _two_runs(tmp_path)
    assert pp.main(["show", str(log), "--run", "old"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[3] == "5"
    assert pp.main(["show", str(log), "--run", "nope"]) == 1
    assert "no stage records for run nope" in capsys.readouterr().err


def test_cli_show_rejects_missing_or_empty_log(tmp_path, capsys):
    assert pp.main(["show", str(tmp_path / "missing.log")]) == 2
    assert "no such performance log" in capsys.readouterr().err
    empty = tmp_path / "empty.log"
    empty.write_text("")
    assert pp.main(["show", str(empty)]) == 1
    assert pp.last_run([]) == []


def test_cli_runs_as_a_module(tmp_path):
    log = _two_runs(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "dev.shared.performance_profiler", "show", str(log)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("demo run new")


def test_rows_per_second_is_finite_for_real_clock(tmp_path):
    prof = profiler(tmp_path)
    with prof.stage("real", rows=1) as result:
        sum(range(1000))
    assert result.rows_per_second is not None
    assert math.isfinite(result.rows_per_second)


def test_proc_files_are_reopened_in_a_forked_child(tmp_path, monkeypatch):
    status = tmp_path / "status"
    status.write_text("VmRSS:\t 4096 kB\n")
    monkeypatch.setattr(memory, "_STATUS", status)
    parent_fd = memory._proc_fd(status, os.O_RDONLY)
    assert memory._proc_fd(status, os.O_RDONLY) == parent_fd  # kept open
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as if forked: /proc/self is another file
    assert memory._proc_fd(status, os.O_RDONLY) != parent_fd
    assert memory._status_mb("VmRSS") == 4.0
