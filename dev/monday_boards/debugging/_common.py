"""What the debugging scripts share: import paths, the workflow's modules, a local sandbox."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
WORKFLOW_DIR = HERE.parent
ROOT = next(p for p in HERE.parents if (p / "pyproject.toml").exists())
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx
import yaml

from dev.shared.monday_sandbox import MondaySandbox, sample_boards
from shared.api_client import HttpClient
from shared.config import Config

PACKAGE = ".".join(WORKFLOW_DIR.relative_to(ROOT).parts)
LOGS = HERE / "logs"
SAMPLES = WORKFLOW_DIR / "testing" / "test_data_samples"
SANDBOX_TOKEN = "sandbox-token"  # secret-scan: allow (a fixed test value, not a secret)


def module(name: str) -> ModuleType:
    """A module of this workflow (columns, transform, sync...)."""
    return importlib.import_module(f"{PACKAGE}.{name}")


def workflow_config() -> Config:
    """workflow.yaml's `config:` as a Config (the registry)."""
    spec = yaml.safe_load((WORKFLOW_DIR / "workflow.yaml").read_text(encoding="utf-8"))
    return Config(env="development", values=spec.get("config") or {})


@contextmanager
def local_sandbox() -> Iterator[MondaySandbox]:
    """The sample boards served on 127.0.0.1 while the block runs."""
    with MondaySandbox(sample_boards()) as sandbox:
        yield sandbox


class RecordingHttp(HttpClient):
    """An HttpClient that keeps every (request payload, decoded response) it exchanged."""

    def __init__(self, base_url: str, **options: Any) -> None:
        super().__init__(base_url, **options)
        self.exchanges: list[tuple[dict[str, Any], Any]] = []

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = super().send(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = {"raw": response.text[:500]}
        self.exchanges.append((dict(kwargs.get("json") or {}), body))
        return response


def dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
