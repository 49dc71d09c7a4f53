"""Time named stages (rows/s, peak memory), log them as JSON lines, check budgets and baselines.

Example::

    prof = PerformanceProfiler("order_staging")
    with prof.stage("read", rows=len(frame)):
        ...
    with prof.stage("stage") as st:          # rows known only at the end
        staged = stage_orders(frame)
        st.rows = len(staged)
    prof.write()                             # dev/order_staging/debugging/logs/performance.log
    checks = check_budgets(spec.performance.budgets, prof.metrics(), scale=bench_scale)

Peak memory of a stage (``peak_rss_mb``) is the process's resident-set peak while the stage ran.
How it is measured (``PerformanceProfiler.rss_mode``), best first (bench_profiler measures it):

- ``hwm``: the kernel's high-water mark (VmHWM) reset at each stage start by writing ``5`` to
  /proc/self/clear_refs. Exact, catches spikes of any length, ~0.1 ms a stage (0.2% of a
  60 ms groupby). Nested stages stay right: before any reset every open stage takes in the
  peak so far.
- ``sampled``: /proc exists but clear_refs may not be written: a daemon thread reads VmRSS
  every 20 ms while a stage is open; it can miss shorter spikes, and its wake-ups cost ~1-4%.
- ``process``: no /proc (macOS): the process-lifetime peak (ru_maxrss), an upper bound only.

``trace_memory=True`` adds the tracemalloc peak (``peak_traced_mb``: Python allocations, live
ones from before the stage included); off by default because tracing slows allocation-heavy
code (+20% on a pandas groupby, ~8x on building Python dicts).
CLI: ``python -m dev.shared.performance_profiler show <performance.log>``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import ctypes
import datetime as dt
import functools
import io
import itertools
import json
import logging
import os
import platform
import pstats
import resource
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from dev.shared.noxkit import ROOT

if TYPE_CHECKING:
    from dev.shared.workflow_spec import Budget

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
RssMode = Literal["hwm", "sampled", "process"]
SAMPLE_INTERVAL_S = 0.02
HIGHER_IS_BETTER_SUFFIXES = ("per_second", "_per_s", "throughput")
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_FDS: dict[tuple[Path, int, int], int] = {}


# --- memory peaks --------------------------------------------------------------------------


def _proc_fd(path: Path, flags: int) -> int:
    """A kept-open descriptor of a /proc/self file: pread on it is ~6x cheaper than opening.

    Keyed by pid because /proc/self is resolved at open: a forked child opens its own.
    """
    key = (path, os.getpid(), flags)
    if key not in _FDS:
        _FDS[key] = os.open(path, flags)
    return _FDS[key]


def _status_mb(field: str) -> float | None:
    """A kB field of /proc/self/status in MB; None where there is no /proc."""
    try:
        text = os.pread(_proc_fd(_STATUS, os.O_RDONLY), 16384, 0).decode("ascii", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return float(line.split()[1]) / 1024
    return None


def _reset_hwm() -> None:
    os.write(_proc_fd(_CLEAR_REFS, os.O_WRONLY), b"5")  # "5" resets only the RSS high-water mark


def _lifetime_peak_mb() -> float:
    peak = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes there, kB here


def detect_rss_mode() -> RssMode:
    """The best peak-RSS mode this process allows (see the module docstring)."""
    if _status_mb("VmHWM") is None:
        return "process"
    try:
        _reset_hwm()
    except OSError:
        return "sampled"
    return "hwm"


class _PeakTracker:
    """Per-stage peaks of one process-wide mark that a stage start may reset.

    Stages of every profiler share the mark, so before each reset all open stages fold in the
    peak so far: an inner stage never hides an outer stage's peak.
    """

    def __init__(
        self,
        read: Callable[[], float],
        reset: Callable[[], None] | None = None,
        *,
        interval: float | None = None,
        first: Callable[[], None] | None = None,
        last: Callable[[], None] | None = None,
    ) -> None:
        self._read, self._reset, self._interval = read, reset, interval
        self._first, self._last = first, last
        self._open: dict[int, float] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def open(self) -> int:
        with self._lock:
            if not self._open:
                self._on_first()
            self._fold()
            if self._reset is not None:
                self._reset()
            token = next(self._ids)
            self._open[token] = self._read()
            return token

    def close(self, token: int) -> float:
        with self._lock:
            self._fold()
            peak = self._open.pop(token)
            if not self._open:
                self._on_last()
            return peak

    def _on_first(self) -> None:
        if self._first is not None:
            self._first()
        if self._interval is not None:
            self._stop = threading.Event()
            threading.Thread(
                target=self._sample, args=(self._stop,), name="rss-peak-sampler", daemon=True
            ).start()

    def _on_last(self) -> None:
        self._stop.set()  # the sampler sees it within one interval; no join under the lock
        if self._last is not None:
            self._last()

    def _sample(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            with self._lock:
                self._fold()

    def _fold(self) -> None:
        if self._open:
            value = self._read()
            for token, peak in self._open.items():
                self._open[token] = max(peak, value)


class _Tracemalloc:
    """Starts tracing for the first traced stage and stops it after the last, if it started it."""

    def __init__(self) -> None:
        self.started = False

    def first(self) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start()
            self.started = True

    def last(self) -> None:
        if self.started:
            tracemalloc.stop()
            self.started = False


def _traced_peak_mb() -> float:
    return tracemalloc.get_traced_memory()[1] / 2**20


_TRACING = _Tracemalloc()
_TRACED = _PeakTracker(
    _traced_peak_mb, tracemalloc.reset_peak, first=_TRACING.first, last=_TRACING.last
)
_RSS: dict[RssMode, _PeakTracker] = {
    "hwm": _PeakTracker(lambda: _status_mb("VmHWM") or 0.0, _reset_hwm),
    "sampled": _PeakTracker(lambda: _status_mb("VmRSS") or 0.0, interval=SAMPLE_INTERVAL_S),
    "process": _PeakTracker(_lifetime_peak_mb),
}


# --- stages --------------------------------------------------------------------------------


@dataclass
class StageResult:
    """One timed stage; the profiler fills seconds, rows/s and peaks when the stage ends."""

    name: str
    seconds: float = 0.0
    rows: int | None = None
    rows_per_second: float | None = None
    peak_rss_mb: float = 0.0
    peak_traced_mb: float | None = None
    status: str = "running"  # "running" | "ok" | "failed"
    error: str | None = None
    parent: str | None = None
    depth: int = 0
    ts: str = ""


@functools.cache
def host_facts() -> dict[str, Any]:
    """What every log line says about the machine (absolute times depend on it)."""
    return {
        "host": platform.node(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "pid": os.getpid(),
    }


def _new_run_id() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


class PerformanceProfiler:
    """Times named stages of one run and appends them as JSON lines to performance.log."""

    def __init__(
        self,
        workflow: str,
        *,
        log_path: Path | None = None,
        trace_memory: bool = False,
        run_id: str | None = None,
        clock: Callable[[], float] = time.perf_counter,
        rss_mode: RssMode | None = None,
    ) -> None:
        self.workflow = workflow
        default_log = ROOT / "dev" / workflow / "debugging" / "logs" / "performance.log"
        self.log_path = log_path or default_log
        self.trace_memory = trace_memory
        self.run_id = run_id or _new_run_id()
        self.rss_mode: RssMode = rss_mode or detect_rss_mode()
        self.results: list[StageResult] = []
        self._clock = clock
        self._open: list[StageResult] = []
        self._written: set[int] = set()

    @contextmanager
    def stage(self, name: str, rows: int | None = None) -> Iterator[StageResult]:
        """Time the block; set ``.rows`` on the yielded result when known only at the end.

        An exception inside is recorded (status "failed", error) and raised again.
        """
        parent = self._open[-1].name if self._open else None
        result = StageResult(name, rows=rows, parent=parent, depth=len(self._open))
        self.results.append(result)
        self._open.append(result)
        rss = _RSS[self.rss_mode].open()
        traced = _TRACED.open() if self.trace_memory else None
        start = self._clock()
        try:
            yield result
        except BaseException as exc:
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            raise
        else:
            result.status = "ok"
        finally:
            self._finish(result, self._clock() - start, rss, traced)

    def _finish(self, result: StageResult, seconds: float, rss: int, traced: int | None) -> None:
        if traced is not None:
            result.peak_traced_mb = round(_TRACED.close(traced), 3)
        result.peak_rss_mb = round(_RSS[self.rss_mode].close(rss), 3)
        self._open.remove(result)
        result.seconds = seconds
        if result.rows is not None and seconds > 0:
            result.rows_per_second = result.rows / seconds
        result.ts = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        logger.info(
            "stage %s %s in %.3f s (rows %s, peak RSS %.1f MB)",
            result.name,
            result.status,
            seconds,
            result.rows,
            result.peak_rss_mb,
        )

    def measure(
        self, name: str, rows: int | Callable[[Any], int] | None = None
    ) -> Callable[[F], F]:
        """Decorator: each call is a stage; ``rows`` may be a function of the return value."""

        def decorate(func: F) -> F:
            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with self.stage(name, None if callable(rows) else rows) as result:
                    value = func(*args, **kwargs)
                    if callable(rows):
                        result.rows = rows(value)
                    return value

            return cast("F", wrapper)

        return decorate

    def record(self, result: StageResult) -> dict[str, Any]:
        """The JSON object logged for one stage."""
        return {
            "workflow": self.workflow,
            "run_id": self.run_id,
            "stage": result.name,
            "parent": result.parent,
            "depth": result.depth,
            "status": result.status,
            "error": result.error,
            "seconds": result.seconds,
            "rows": result.rows,
            "rows_per_second": result.rows_per_second,
            "peak_rss_mb": result.peak_rss_mb,
            "peak_rss_mode": self.rss_mode,
            "peak_traced_mb": result.peak_traced_mb,
            "ts": result.ts,
            **host_facts(),
        }

    def write(self) -> Path:
        """Append every finished stage not yet written (one JSON object a line); the log path."""
        pending = [
            index
            for index, result in enumerate(self.results)
            if index not in self._written and result.status != "running"
        ]
        lines = "".join(json.dumps(self.record(self.results[i])) + "\n" for i in pending)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(lines)  # one write: concurrent runs interleave whole lines, not halves
        self._written.update(pending)
        return self.log_path

    def summary(self) -> str:
        """The stages of this run as a table."""
        return format_stages([self.record(result) for result in self.results])

    def metrics(self, stage: str | None = None) -> dict[str, float]:
        """Budget metrics of one stage (its last run), or of the run when stage is None.

        The run: seconds = sum of the top-level stages, rows = the most any top-level stage
        handled, rows_per_second = rows / seconds, peak_memory_mb = the highest stage peak.
        """
        done = [r for r in self.results if r.status != "running"]
        chosen = [r for r in done if r.name == stage][-1:] if stage else done
        if not chosen:
            raise ValueError(
                f"no finished stage {stage or ''} in run {self.run_id}; time one first"
            )
        top = chosen if stage else [r for r in chosen if r.depth == 0]
        seconds = sum(r.seconds for r in top)
        out = {"seconds": seconds, "peak_memory_mb": max(r.peak_rss_mb for r in chosen)}
        rows = [r.rows for r in top if r.rows is not None]
        if rows and seconds > 0:
            out |= {"rows": float(max(rows)), "rows_per_second": max(rows) / seconds}
        traced = [r.peak_traced_mb for r in chosen if r.peak_traced_mb is not None]
        if traced:
            out["peak_traced_mb"] = max(traced)
        return out


def _cell(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_stages(records: Sequence[Mapping[str, Any]]) -> str:
    """A table of logged stage records (nested stages indented)."""
    head = f"{'stage':28} {'status':7} {'seconds':>9} {'rows':>11} {'rows/s':>11} "
    lines = [head + f"{'peak RSS MB':>11} {'traced MB':>9}"]
    for rec in records:
        name = "  " * int(rec.get("depth") or 0) + str(rec["stage"])
        lines.append(
            f"{name:28} {rec['status']:7} {_cell(rec['seconds'], '9.3f')} "
            f"{_cell(rec['rows'], '11,d')} {_cell(rec['rows_per_second'], '11,.0f')} "
            f"{_cell(rec['peak_rss_mb'], '11.1f')} {_cell(rec['peak_traced_mb'], '9.1f')}"
        )
    return "\n".join(lines)


# --- budgets and baselines -----------------------------------------------------------------


@dataclass(frozen=True)
class BudgetCheck:
    """One workflow.yaml budget against its measurement; only enforced at full scale."""

    metric: str
    value: float | None
    min: float | None
    max: float | None
    passed: bool
    enforced: bool

    @property
    def ok(self) -> bool:
        """Passed, or only reported (reduced scale)."""
        return self.passed or not self.enforced

    def describe(self) -> str:
        verdict = ("PASS" if self.passed else "FAIL") if self.enforced else "info"
        bounds = f"[{_cell(self.min, 'g')}, {_cell(self.max, 'g')}]"
        shown = "not measured" if self.value is None else f"{self.value:g}"
        return f"{verdict:4}  {self.metric:24} {shown:>14} budget {bounds}"


def check_budgets(
    budgets: Mapping[str, Budget], measured: Mapping[str, float], *, scale: float
) -> list[BudgetCheck]:
    """Each budget against its measured value; a budgeted metric not measured fails.

    ``enforced`` is True only at scale >= 1.0: at reduced scale fixed costs dominate, so the
    comparison is reported but must not fail a run.
    """
    enforced = scale >= 1.0
    checks = []
    for metric, budget in budgets.items():
        value = measured.get(metric)
        passed = value is not None and budget.check(float(value))
        value = None if value is None else float(value)
        checks.append(BudgetCheck(metric, value, budget.min, budget.max, passed, enforced))
    return checks


@dataclass(frozen=True)
class BaselineCheck:
    """One metric against the stored baseline; ``factor`` is how many times worse (>1 worse)."""

    metric: str
    value: float
    baseline: float | None
    factor: float | None
    limit: float
    higher_is_better: bool
    passed: bool
    note: str


def _higher_is_better(metric: str, overrides: Mapping[str, bool] | None) -> bool:
    if overrides is not None and metric in overrides:
        return overrides[metric]
    return metric.endswith(HIGHER_IS_BETTER_SUFFIXES)


def _worse_factor(value: float, baseline: float, higher: bool) -> float | None:
    """How many times worse than the baseline (1.0 equal, <1 better); None: not comparable."""
    if baseline <= 0:
        return None
    if higher:
        return baseline / value if value > 0 else float("inf")
    return value / baseline


def _compare(
    metric: str, value: float, baseline: float | None, tolerance: float, higher: bool
) -> BaselineCheck:
    limit = 1.0 + tolerance
    if baseline is None:
        return BaselineCheck(metric, value, None, None, limit, higher, True, "no baseline yet")
    factor = _worse_factor(value, baseline, higher)
    if factor is None:
        note = f"baseline {baseline:g} is not positive: not comparable"
        return BaselineCheck(metric, value, baseline, None, limit, higher, True, note)
    passed = factor <= limit
    note = f"{factor:.2f}x {'worse' if factor > 1 else 'as good or better'} (limit {limit:.2f}x)"
    return BaselineCheck(metric, value, baseline, factor, limit, higher, passed, note)


def read_baseline(path: Path) -> dict[str, float]:
    """Stored baseline metrics ({} when the file does not exist yet)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        metrics = data.get("metrics", data)
        return {str(k): float(v) for k, v in metrics.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(
            f"{path}: not a baseline JSON of numeric metrics ({exc}); delete it and rerun with "
            "update=True to record a new baseline"
        ) from None


def compare_baseline(
    measured: Mapping[str, float],
    baseline_path: Path,
    *,
    tolerance: float = 0.7,
    higher_is_better: Mapping[str, bool] | None = None,
    update: bool = False,
) -> list[BaselineCheck]:
    """Compare with the stored baseline; fail a metric only when worse by more than the factor
    ``1 + tolerance``.

    The default 0.7 allows the 1.7x drift of absolute times between processes measured on these
    machines: seconds may grow to 1.7x, rows/s may fall to 1/1.7. Metrics ending in
    ``per_second`` are higher-is-better unless ``higher_is_better`` says otherwise. A metric
    without a stored value passes ("no baseline yet"). ``update=True`` then stores the measured
    values (merged over the old ones).
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 (0.7 allows 1.7x worse), got {tolerance}")
    stored = read_baseline(baseline_path)
    checks = [
        _compare(m, float(v), stored.get(m), tolerance, _higher_is_better(m, higher_is_better))
        for m, v in measured.items()
    ]
    if update:
        _write_baseline(baseline_path, {**stored, **{k: float(v) for k, v in measured.items()}})
    return checks


def _write_baseline(path: Path, metrics: Mapping[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    updated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    body = {"metrics": dict(metrics), "updated": updated, "host": host_facts()}
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)  # readers see the old or the new baseline, never half of one
    logger.info("baseline %s updated: %s", path, ", ".join(sorted(metrics)))


# --- flame graphs --------------------------------------------------------------------------


@dataclass(frozen=True)
class FlameGraph:
    """Where a profile went; ``note`` says which tool made it and, for a fallback, why."""

    kind: Literal["py-spy", "cProfile"]
    path: Path
    note: str
    text_path: Path | None = None


def find_py_spy(explicit: str | None = None) -> str | None:
    """The py-spy executable: ``explicit``, else next to this Python, else on PATH."""
    if explicit is not None:
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


def record_flamegraph(
    target: Callable[[], object] | list[str],
    out_dir: Path,
    name: str,
    *,
    py_spy: str | None = None,
    use_py_spy: bool = True,
    rate: int = 100,
    top: int = 40,
    timeout: float | None = None,
) -> FlameGraph:
    """Profile a callable (py-spy attached to this process) or a command (py-spy runs it).

    Writes ``<out_dir>/<name>.svg``. When py-spy is missing, disabled or cannot attach (ptrace
    refused), falls back to cProfile: ``<name>.prof`` plus the top-N functions in
    ``<name>.txt``; the returned note and a warning log say so and why. A command's fallback
    needs a Python command (``[python, script.py, ...]`` or ``[python, -m, module, ...]``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = find_py_spy(py_spy) if use_py_spy else None
    if not use_py_spy:
        reason = "py-spy disabled (use_py_spy=False)"
    else:
        reason = f"py-spy not found ({py_spy or 'beside python or on PATH'})"
    if isinstance(target, list):
        return _flame_command(target, out_dir, name, exe, reason, rate, top, timeout)
    return _flame_callable(target, out_dir, name, exe, reason, rate, top)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    return (errors or lines or ["no output"])[-1]


def _written(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def _flame_command(
    cmd: list[str],
    out_dir: Path,
    name: str,
    exe: str | None,
    reason: str,
    rate: int,
    top: int,
    timeout: float | None,
) -> FlameGraph:
    svg = out_dir / f"{name}.svg"
    if exe is not None:
        svg.unlink(missing_ok=True)
        args = [exe, "record", "-o", str(svg), "--rate", str(rate), "--", *cmd]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
        if _written(svg):
            return FlameGraph("py-spy", svg, f"py-spy flame graph of {' '.join(cmd)}")
        reason = f"py-spy could not record {cmd[0]}: {_last_line(proc.stderr + proc.stdout)}"
    if not Path(cmd[0]).name.startswith("python"):
        raise ValueError(
            f"{reason}; the cProfile fallback needs a Python command such as "
            f"['python', 'script.py'], got {cmd[0]!r}: install py-spy or pass a Python command"
        )
    prof = out_dir / f"{name}.prof"
    prof.unlink(missing_ok=True)
    args = [cmd[0], "-m", "cProfile", "-o", str(prof), *cmd[1:]]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if not _written(prof):
        raise RuntimeError(
            f"cProfile wrote no profile for {' '.join(cmd)} (exit {proc.returncode}): "
            f"{_last_line(proc.stderr)}"
        )
    return _fallback(prof, reason, top)


def _fallback(prof: Path, reason: str, top: int) -> FlameGraph:
    text = prof.with_suffix(".txt")
    buffer = io.StringIO()
    pstats.Stats(str(prof), stream=buffer).sort_stats("cumulative").print_stats(top)
    text.write_text(buffer.getvalue(), encoding="utf-8")
    note = (
        f"cProfile fallback, no flame graph: {reason}. Profile {prof.name} "
        f"(open with snakeviz or `python -m pstats`), top {top} functions in {text.name}"
    )
    logger.warning("%s", note)
    return FlameGraph("cProfile", prof, note, text)


def _flame_callable(
    target: Callable[[], object],
    out_dir: Path,
    name: str,
    exe: str | None,
    reason: str,
    rate: int,
    top: int,
) -> FlameGraph:
    if exe is not None:
        svg = out_dir / f"{name}.svg"
        svg.unlink(missing_ok=True)
        spy, error = _attach(exe, svg, rate)
        if spy is not None:
            try:
                target()
            finally:
                _detach(spy)
            if _written(svg):
                label = getattr(target, "__qualname__", repr(target))
                return FlameGraph(
                    "py-spy", svg, f"py-spy flame graph of {label} (pid {os.getpid()})"
                )
            raise RuntimeError(
                f"py-spy attached to pid {os.getpid()} but wrote no {svg}; the target already "
                "ran, so it is not run again: call with use_py_spy=False for a cProfile profile"
            )
        reason = f"py-spy could not attach to pid {os.getpid()}: {error}"
    prof = out_dir / f"{name}.prof"
    profiler = cProfile.Profile()
    try:
        profiler.runcall(target)
    finally:
        profiler.dump_stats(prof)
    return _fallback(prof, reason, top)


def _allow_ptrace_by_children() -> None:
    """Under Yama ptrace_scope=1 a child may not trace its parent unless the parent allows it."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(0x59616D61, ctypes.c_ulong(-1), 0, 0, 0)  # PR_SET_PTRACER, PR_SET_PTRACER_ANY


def _attach(exe: str, svg: Path, rate: int, wait: float = 15.0) -> tuple[Any, str]:
    """Start py-spy on this process; (process, "") once it samples, else (None, its error)."""
    _allow_ptrace_by_children()
    args = [exe, "record", "--pid", str(os.getpid()), "-o", str(svg), "--rate", str(rate)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None  # PIPE was asked for
    # py-spy prints its "Sampling process ..." banner on stdout once it is attached
    ready, _, _ = select.select([proc.stdout], [], [], wait)
    banner = proc.stdout.readline() if ready else ""
    if "Sampling" in banner:
        return proc, ""
    if proc.poll() is None:
        proc.kill()
    _, err = proc.communicate()
    return None, _last_line(err) if err.strip() else f"no sampling banner within {wait:g} s"


def _detach(proc: subprocess.Popen[str], timeout: float = 60.0) -> None:
    proc.send_signal(signal.SIGINT)  # py-spy writes the flame graph on Ctrl-C
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


# --- CLI -----------------------------------------------------------------------------------


def read_log(path: Path) -> list[dict[str, Any]]:
    """The stage records of a performance.log; lines that are not JSON objects are skipped."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "stage" in record:
                records.append(record)
    return records


def last_run(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The records of the run that wrote last."""
    if not records:
        return []
    run_id = records[-1].get("run_id")
    return [record for record in records if record.get("run_id") == run_id]


def main(argv: list[str] | None = None) -> int:
    """``show <performance.log> [--run RUN_ID]``: print a run's stages as a table."""
    parser = argparse.ArgumentParser(prog="python -m dev.shared.performance_profiler")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print the last run's stages (or --run RUN_ID)")
    show.add_argument("log", type=Path)
    show.add_argument("--run", default=None, help="run id to show instead of the last run")
    args = parser.parse_args(argv)
    if not args.log.is_file():
        sys.stderr.write(f"{args.log}: no such performance log (run a profiled stage first)\n")
        return 2
    records = read_log(args.log)
    chosen = [r for r in records if r.get("run_id") == args.run] if args.run else last_run(records)
    if not chosen:
        sys.stderr.write(
            f"{args.log}: no stage records{f' for run {args.run}' if args.run else ''}\n"
        )
        return 1
    first = chosen[0]
    sys.stdout.write(f"{first.get('workflow')} run {first.get('run_id')}\n")
    sys.stdout.write(format_stages(chosen) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
