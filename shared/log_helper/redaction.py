"""Secret redaction: known secret values, URL passwords and password=... pairs become ***."""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

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


def _redact_env_secrets(names: Iterable[str] = ()) -> None:
    """Redact from now on the values of the secret-named (and ``names``) environment variables."""
    _redactor.update(_env_secrets(names))


def format_exception(exc: BaseException) -> str:
    """The exception with its traceback, redacted (for a RunSummary error or a report)."""
    return str(redact("".join(traceback.format_exception(exc))))
