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

import logging

from .budgets import (
    HIGHER_IS_BETTER_SUFFIXES,
    BaselineCheck,
    BudgetCheck,
    check_budgets,
    compare_baseline,
    read_baseline,
)
from .cli import main
from .flamegraph import FlameGraph, find_py_spy, record_flamegraph
from .logfile import format_stages, host_facts, last_run, read_log
from .memory import SAMPLE_INTERVAL_S, RssMode, detect_rss_mode
from .profiler import F, PerformanceProfiler, StageResult

logger = logging.getLogger(__name__)  # the package logger, as before the split

__all__ = [
    "HIGHER_IS_BETTER_SUFFIXES",
    "SAMPLE_INTERVAL_S",
    "BaselineCheck",
    "BudgetCheck",
    "F",
    "FlameGraph",
    "PerformanceProfiler",
    "RssMode",
    "StageResult",
    "check_budgets",
    "compare_baseline",
    "detect_rss_mode",
    "find_py_spy",
    "format_stages",
    "host_facts",
    "last_run",
    "main",
    "read_baseline",
    "read_log",
    "record_flamegraph",
]

# Public classes and functions name the package as their module, as before the split
# (tracebacks, reprs and pickles use the public path).
for _public in __all__:
    if getattr(globals()[_public], "__module__", "").startswith(f"{__name__}."):
        globals()[_public].__module__ = __name__
del _public
