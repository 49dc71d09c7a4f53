"""Run `python -m dev.shared.performance_profiler show <performance.log>`."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
