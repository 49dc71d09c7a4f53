"""PerformanceProfiler: times named stages and appends them to performance.log."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from dev.shared.noxkit import ROOT

from .logfile import format_stages, host_facts
from .memory import _RSS, _TRACED, RssMode, detect_rss_mode

logger = logging.getLogger(__package__)  # the package logger: records keep their old name

F = TypeVar("F", bound=Callable[..., Any])


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
