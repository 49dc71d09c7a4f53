"""Structured logging with secret redaction, and the run summary every main script emits.

``configure_logging`` installs one handler on the root logger: JSON lines in production
(``{"ts", "level", "logger", "message", <extra fields>, "exc"}``), readable single lines in
development. Every string it writes -- message, arguments, ``extra`` values, exception text --
passes through ``redact``, which replaces:

- the values of the environment variables named in ``secrets=`` and of every environment
  variable whose name ends in TOKEN, PASSWORD, PASSWD, SECRET, API_KEY or APIKEY (values shorter
  than ``MIN_SECRET_LENGTH`` are ignored: redacting "1" everywhere would garble every log),
- values registered with ``add_secret``,
- URL passwords (``postgresql://u:pw@h`` -> ``postgresql://u:***@h``) and ``password=...`` pairs.

``RunSummary.emit`` logs the summary, writes ``run_summary.json`` (into ``out_dir`` or the
current directory, Kestra's working directory) and, under Kestra, writes Kestra's output and
metric lines to stdout. Kestra is detected by ``KESTRA_EMIT`` when set (``1``/``true`` forces
on, ``0``/``false`` forces off), else by the pair ``WORKING_DIR`` + ``OUTPUT_DIR`` that
Kestra's script tasks inject. The wire format is Kestra's documented one (the ``kestra``
package's ``Kestra.outputs``/``counter``/``timer`` print exactly these lines), so this module
does not depend on that package::

    ::{"outputs":{"workflow":"orders","status":"success",...}}::
    ::{"metrics":[{"name":"rows","type":"counter","value":42,"tags":{}},
                  {"name":"duration","type":"timer","value":12.7,"tags":{}}]}::

Counts become counters, ``metric()`` values counters (Kestra accepts only counter|timer), and
the run's duration a timer in seconds. Under Kestra log lines go to stdout (Kestra reads
both streams; stderr may mark the task as warning), elsewhere to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import traceback
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from shared.config import Config

__all__ = [
    "MIN_SECRET_LENGTH",
    "RunSummary",
    "add_secret",
    "configure_logging",
    "format_exception",
    "get_logger",
    "kestra_enabled",
    "redact",
]

MIN_SECRET_LENGTH = 4
MASK = "***"
_SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|APIKEY)$", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*):(?P<pw>[^@\s/]+)@")
_QUOTED_PASSWORD = re.compile(  # password='x y', "passwd": "x", pwd = "x"
    r"(?P<key>\b(?:password|passwd|pwd)['\"]?\s*[=:]\s*)(?P<q>['\"])(?P<pw>.*?)(?P=q)",
    re.IGNORECASE,
)
_PLAIN_PASSWORD = re.compile(  # password=x in DSNs and query strings
    r"(?P<key>\b(?:password|passwd|pwd)\s*=\s*)(?P<pw>[^\s&;,'\"]+)", re.IGNORECASE
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_RESERVED = {"ts", "level", "logger", "message", "exc", "stack"}
_STATUSES = ("running", "success", "failed")
_TEXT_HIDDEN = {"run_summary"}  # already in the message as the rendered summary
_CHATTY = ("httpx", "httpcore")
_log = logging.getLogger(__package__)  # the package logger: records keep their old name


class _Redactor:
    """Replaces known secret values and URL/key=value passwords in text."""

    def __init__(self) -> None:
        self.values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def update(self, values: Iterable[str]) -> None:
        self.values |= {value for value in values if len(value) >= MIN_SECRET_LENGTH}
        ordered = sorted(self.values, key=len, reverse=True)  # longest first: no partial leaks
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = _URL_PASSWORD.sub(rf"\g<head>:{MASK}@", text)
        text = _QUOTED_PASSWORD.sub(rf"\g<key>\g<q>{MASK}\g<q>", text)
        return _PLAIN_PASSWORD.sub(rf"\g<key>{MASK}", text)


_redactor = _Redactor()


def _env_secrets(names: Iterable[str] = ()) -> list[str]:
    named = [os.environ.get(name, "") for name in names]
    matched = [value for key, value in os.environ.items() if _SECRET_NAME.search(key)]
    return [value for value in named + matched if value]


def add_secret(value: str) -> None:
    """Redact ``value`` from now on (for secrets that do not come from the environment)."""
    _redactor.update([value])


def redact(value: Any) -> Any:
    """``value`` with secrets masked: strings directly, dicts/lists recursively (keys too)."""
    if isinstance(value, str):
        return _redactor(value)
    if isinstance(value, Mapping):
        return {redact(str(key)): redact(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact(item) for item in value]
    return value


def kestra_enabled() -> bool:
    """True when running under Kestra (``KESTRA_EMIT``, else WORKING_DIR + OUTPUT_DIR set)."""
    forced = os.environ.get("KESTRA_EMIT", "").strip().lower()
    if forced in _TRUE | _FALSE:
        return forced in _TRUE
    return bool(os.environ.get("WORKING_DIR")) and bool(os.environ.get("OUTPUT_DIR"))


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy (unknown objects become their str) so redaction sees every string."""
    return json.loads(json.dumps(value, default=str))


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _extras(record).items():
            entry[f"extra_{key}" if key in _RESERVED else key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(redact(_jsonable(entry)), ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in _extras(record).items() if k not in _TEXT_HIDDEN}
        if extras:
            pairs = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in extras.items())
            head, sep, tail = line.partition("\n")
            line = f"{head} [{pairs}]{sep}{tail}"
        return str(redact(line))


class _StreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the *current* sys.stdout/stderr, so redirection after setup still works."""

    def __init__(self, use_stdout: bool) -> None:
        super().__init__()
        self._use_stdout = use_stdout

    @property
    def stream(self) -> TextIO:
        return sys.stdout if self._use_stdout else sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always looked up at write time."""


def configure_logging(
    cfg: Config | None = None,
    *,
    level: str | None = None,
    fmt: str | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Install the root handler: ``fmt`` json|text, ``secrets`` names env vars to redact.

    Precedence: arguments, then cfg (``logging.level``, ``logging.format``), then the
    environment variables LOG_LEVEL / LOG_FORMAT, then INFO / text. Calling it again replaces
    the handler it installed before and keeps every other handler. httpx/httpcore log only
    warnings unless the level is DEBUG.
    """
    cfg_level = cfg.get("logging.level") if cfg is not None else None
    cfg_fmt = cfg.get("logging.format") if cfg is not None else None
    level_name = str(level or cfg_level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    format_name = str(fmt or cfg_fmt or os.environ.get("LOG_FORMAT") or "text").lower()
    if format_name not in ("json", "text"):
        raise ValueError(f"log format {format_name!r} is not one of json, text (LOG_FORMAT)")
    if level_name not in logging.getLevelNamesMapping():
        raise ValueError(f"log level {level_name!r} is not a logging level (LOG_LEVEL)")
    _redactor.update(_env_secrets(secrets))
    handler = _StreamHandler(use_stdout=kestra_enabled())
    handler.setFormatter(_JsonFormatter() if format_name == "json" else _TextFormatter())
    handler.set_name("shared.log_helper")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "shared.log_helper"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_name)
    for chatty in _CHATTY:  # one INFO line per HTTP request would drown the run's own lines
        logging.getLogger(chatty).setLevel(level_name if level_name == "DEBUG" else "WARNING")


def get_logger(name: str) -> logging.Logger:
    """The logger for a module or workflow (configure_logging decides where it goes)."""
    return logging.getLogger(name)


class RunSummary:
    """What a run did: status, counts, metrics, duration; emitted as log, JSON file and Kestra."""

    def __init__(self, workflow: str, run_id: str | None = None) -> None:
        self.workflow = workflow
        self.started_at = datetime.now(UTC)
        self.run_id = (
            run_id or f"{workflow}-{self.started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
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
        _redactor.update(_env_secrets())
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
            self._emit_kestra(data)

    def _emit_kestra(self, data: dict[str, Any]) -> None:
        outputs = {key: data[key] for key in ("workflow", "run_id", "status", "duration_seconds")}
        outputs |= {"counts": data["counts"], "metrics": data["metrics"]}
        if data["error"]:
            outputs["error"] = data["error"]
        metrics = [_counter(name, value) for name, value in data["counts"].items()]
        metrics += [_counter(name, value) for name, value in data["metrics"].items()]
        metrics.append(
            {"name": "duration", "type": "timer", "value": float(self.duration_seconds), "tags": {}}
        )
        _kestra_line({"outputs": outputs})
        _kestra_line({"metrics": metrics})


def _counter(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "type": "counter", "value": value, "tags": {}}


def _kestra_line(payload: dict[str, Any]) -> None:
    """One ``::{json}::`` line on stdout, the way Kestra's script tasks read them."""
    sys.stdout.write("::" + json.dumps(redact(payload), separators=(",", ":")) + "::\n")
    sys.stdout.flush()


def format_exception(exc: BaseException) -> str:
    """The exception with its traceback, redacted (for a RunSummary error or a report)."""
    return str(redact("".join(traceback.format_exception(exc))))
