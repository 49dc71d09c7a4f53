"""Stage records of performance.log: host facts, reading a log, formatting a table."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


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
