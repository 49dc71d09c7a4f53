"""RunSummary: what a run did, emitted as a log line, run_summary.json and Kestra outputs."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .kestra import _emit_kestra, kestra_enabled
from .redaction import _redact_env_secrets, redact

_STATUSES = ("running", "success", "failed")
_log = logging.getLogger(__package__)  # the package logger: records keep their old name


class RunSummary:
    """What a run did: status, counts, metrics, duration; emitted as log, JSON file and Kestra."""

    def __init__(self, workflow: str, run_id: str | None = None) -> None:
        self.workflow = workflow
        self.started_at = datetime.now(UTC)
        self.run_id = (
            run_id
            # under Kestra a retried execution keeps its id, so history is recorded once
            or os.environ.get("KESTRA_EXECUTION_ID")
            or f"{workflow}-{self.started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
        )
        self.status = "running"
        self.counts: dict[str, int] = {}
        self.metrics: dict[str, float] = {}
        self.error: str | None = None
        self.finished_at: datetime | None = None
        self._start = time.monotonic()
        self._duration: float | None = None

    @property
    def duration_seconds(self) -> float:
        """Seconds from creation to finish() (or to now while running)."""
        return self._duration if self._duration is not None else time.monotonic() - self._start

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the counter ``name``."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"RunSummary.count({name!r}, {n!r}): n must be an int")
        self.counts[name] = self.counts.get(name, 0) + n

    def metric(self, name: str, value: float) -> None:
        """Set the metric ``name`` (last value wins)."""
        self.metrics[name] = float(value)

    def finish(self, status: str = "success", error: str | None = None) -> RunSummary:
        """Close the run with ``status`` success|failed and an optional error text."""
        if status not in _STATUSES[1:]:
            raise ValueError(f"RunSummary.finish: status {status!r} is not success or failed")
        self.status = status
        self.error = error
        self.finished_at = datetime.now(UTC)
        self._duration = time.monotonic() - self._start
        return self

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data, secrets redacted."""
        data = {
            "workflow": self.workflow,
            "run_id": self.run_id,
            "status": self.status,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": self.finished_at.isoformat(timespec="seconds")
            if self.finished_at
            else None,
            "duration_seconds": round(self.duration_seconds, 3),
            "counts": dict(self.counts),
            "metrics": dict(self.metrics),
            "error": self.error,
        }
        _redact_env_secrets()
        return dict(redact(data))

    def render(self) -> str:
        """A readable multi-line summary."""
        data = self.to_dict()
        lines = [
            f"Run summary: {data['workflow']} ({data['run_id']})",
            f"  status:   {data['status']}",
            f"  duration: {data['duration_seconds']:.2f}s",
        ]
        lines += [f"  {name}: {value:,}" for name, value in sorted(data["counts"].items())]
        lines += [f"  {name}: {value:,.3f}" for name, value in sorted(data["metrics"].items())]
        if data["error"]:
            lines.append(f"  error:    {data['error']}")
        return "\n".join(lines)

    def emit(self, out_dir: Path | None = None) -> None:
        """Log the summary, write run_summary.json, and emit Kestra outputs/metrics there."""
        data = self.to_dict()
        level = logging.ERROR if self.status == "failed" else logging.INFO
        _log.log(level, "%s", self.render(), extra={"run_summary": data})
        path = (out_dir or Path.cwd()) / "run_summary.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        if kestra_enabled():
            _emit_kestra(data, self.duration_seconds)
