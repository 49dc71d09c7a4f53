"""The root log handler: JSON or text lines, redacted, on the current stdout or stderr."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from .kestra import kestra_enabled
from .redaction import _redact_env_secrets, redact

if TYPE_CHECKING:
    from collections.abc import Iterable

    from shared.config import Config

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_RESERVED = {"ts", "level", "logger", "message", "exc", "stack"}
_TEXT_HIDDEN = {"run_summary"}  # already in the message as the rendered summary
_CHATTY = ("httpx", "httpcore")


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
    level_name, format_name = _level_and_format(cfg, level, fmt)
    _redact_env_secrets(secrets)
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


def _level_and_format(cfg: Config | None, level: str | None, fmt: str | None) -> tuple[str, str]:
    """(level name, format name) by configure_logging's precedence, both checked."""
    cfg_level = cfg.get("logging.level") if cfg is not None else None
    cfg_fmt = cfg.get("logging.format") if cfg is not None else None
    level_name = str(level or cfg_level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    format_name = str(fmt or cfg_fmt or os.environ.get("LOG_FORMAT") or "text").lower()
    if format_name not in ("json", "text"):
        raise ValueError(f"log format {format_name!r} is not one of json, text (LOG_FORMAT)")
    if level_name not in logging.getLevelNamesMapping():
        raise ValueError(f"log level {level_name!r} is not a logging level (LOG_LEVEL)")
    return level_name, format_name


def get_logger(name: str) -> logging.Logger:
    """The logger for a module or workflow (configure_logging decides where it goes)."""
    return logging.getLogger(name)
