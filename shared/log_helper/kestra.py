"""Kestra's script-task wire format: detection, and the ::{json}:: output and metric lines."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from .redaction import redact

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def kestra_enabled() -> bool:
    """True when running under Kestra (``KESTRA_EMIT``, else WORKING_DIR + OUTPUT_DIR set)."""
    forced = os.environ.get("KESTRA_EMIT", "").strip().lower()
    if forced in _TRUE | _FALSE:
        return forced in _TRUE
    return bool(os.environ.get("WORKING_DIR")) and bool(os.environ.get("OUTPUT_DIR"))


def _emit_kestra(data: dict[str, Any], duration_seconds: float) -> None:
    """Write a run summary's outputs and metrics (counts and metrics as counters, a timer)."""
    outputs = {key: data[key] for key in ("workflow", "run_id", "status", "duration_seconds")}
    outputs |= {"counts": data["counts"], "metrics": data["metrics"]}
    if data["error"]:
        outputs["error"] = data["error"]
    metrics = [_counter(name, value) for name, value in data["counts"].items()]
    metrics += [_counter(name, value) for name, value in data["metrics"].items()]
    metrics.append(
        {"name": "duration", "type": "timer", "value": float(duration_seconds), "tags": {}}
    )
    _kestra_line({"outputs": outputs})
    _kestra_line({"metrics": metrics})


def _counter(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "type": "counter", "value": value, "tags": {}}


def _kestra_line(payload: dict[str, Any]) -> None:
    """One ``::{json}::`` line on stdout, the way Kestra's script tasks read them."""
    sys.stdout.write("::" + json.dumps(redact(payload), separators=(",", ":")) + "::\n")
    sys.stdout.flush()
