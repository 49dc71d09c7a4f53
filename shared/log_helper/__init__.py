"""Structured logging with secret redaction, and the run summary every main script emits."""

from __future__ import annotations

from .redaction import _CHATTY as _CHATTY
from .redaction import (
    MIN_SECRET_LENGTH,
    RunSummary,
    add_secret,
    configure_logging,
    format_exception,
    get_logger,
    kestra_enabled,
    redact,
)
from .redaction import _Redactor as _Redactor
from .redaction import _TextFormatter as _TextFormatter

# _CHATTY, _Redactor and _TextFormatter stay importable from here for the framework tests; the
# redactor in use is redaction._redactor (patch it there: rebinding a name here has no effect).
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
