"""Deploy a promoted workflow to Kestra over its REST API (`nox -s deploy -- <wf>`).

Order, per /shared/reference/contracts.md section 2: validate the flow, upload the namespace
files (scripts/<wf>/** and shared/**) before the flow, create the flow (422: it exists, so
update it), and optionally start an execution and wait for a terminal state.

Credentials from the environment: KESTRA_URL, KESTRA_TENANT (default main), KESTRA_USER and
KESTRA_PASSWORD (OSS basic auth) or KESTRA_API_TOKEN (EE/Cloud bearer token).
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dev.shared.noxkit import ROOT
from shared.api_client import ApiError, HttpClient

TERMINAL = frozenset({"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED"})
_SKIP_PARTS = frozenset({"__pycache__", "test_data_samples", ".pytest_cache"})
_SKIP_NAMES = frozenset({"test_production.py"})


class DeployError(Exception):
    """The deployment failed; the message names the step and what to do."""


@dataclass
class DeployResult:
    workflow: str
    namespace: str
    files: int
    revision: int
    created: bool
    execution: dict[str, Any] | None = None
    steps: list[str] = field(default_factory=list)


class KestraClient:
    """The few Kestra endpoints a deployment needs, with retries on 408/429/5xx."""

    def __init__(
        self,
        url: str,
        *,
        tenant: str = "main",
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float = 60,
        max_retries: int = 3,
    ) -> None:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif user and password:
            basic = base64.b64encode(f"{user}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        self.tenant = tenant
        self.http = HttpClient(
            url.rstrip("/"), headers=headers, timeout=timeout, max_retries=max_retries
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KestraClient:
        env = os.environ if environ is None else environ
        url = env.get("KESTRA_URL")
        if not url:
            raise DeployError(
                "KESTRA_URL is not set: export KESTRA_URL=https://kestra.example "
                "plus KESTRA_USER/KESTRA_PASSWORD or KESTRA_API_TOKEN"
            )
        return cls(
            url,
            tenant=env.get("KESTRA_TENANT", "main"),
            user=env.get("KESTRA_USER"),
            password=env.get("KESTRA_PASSWORD"),
            token=env.get("KESTRA_API_TOKEN"),
        )

    def _path(self, rest: str) -> str:
        return f"/api/v1/{self.tenant}/{rest}"

    def validate(self, source: str) -> list[str]:
        """Kestra's constraints on a flow source; empty when valid."""
        answer = self.http.request(
            "POST",
            self._path("flows/validate"),
            content=source,
            headers={"Content-Type": "application/x-yaml"},
        ).json()
        return [str(item["constraints"]) for item in answer if item.get("constraints")]

    def upload(self, namespace: str, path: str, content: bytes) -> None:
        self.http.request(
            "POST",
            self._path(f"namespaces/{namespace}/files"),
            params={"path": path},
            files={"fileContent": (Path(path).name, content)},
        )

    def create_or_update(self, source: str) -> tuple[int, bool]:
        """(revision, created): POST, and on 422 'already exists' PUT the update."""
        flow = yaml.safe_load(source)
        headers = {"Content-Type": "application/x-yaml"}
        try:
            answer = self.http.request(
                "POST", self._path("flows"), content=source, headers=headers
            ).json()
            return int(answer["revision"]), True
        except ApiError as exc:
            if exc.status != 422 or "already exists" not in str(exc):
                raise
        path = self._path(f"flows/{flow['namespace']}/{flow['id']}")
        answer = self.http.request("PUT", path, content=source, headers=headers).json()
        return int(answer["revision"]), False

    def execute(
        self, namespace: str, flow_id: str, *, timeout: float = 1800, poll: float = 2.0
    ) -> dict[str, Any]:
        """Start an execution and wait until its state is terminal."""
        answer: dict[str, Any] = self.http.request(
            "POST",
            self._path(f"executions/{namespace}/{flow_id}"),
            params={"wait": "true"},
            files={"_": ("", b"")},
        ).json()
        deadline = time.monotonic() + timeout
        while answer["state"]["current"] not in TERMINAL:
            if time.monotonic() > deadline:
                raise DeployError(
                    f"execution {answer['id']} still {answer['state']['current']} "
                    f"after {timeout:.0f}s"
                )
            time.sleep(poll)
            answer = self.http.request("GET", self._path(f"executions/{answer['id']}")).json()
        return answer


def namespace_files(workflow: str, root: Path = ROOT) -> Iterator[tuple[str, Path]]:
    """(namespace path, file) for the promoted workflow and the shared runtime library.

    The promoted test suite and its support (listed in promotion.json) stay out of Kestra.
    """
    folder = root / "scripts" / workflow
    record = (
        json.loads((folder / "promotion.json").read_text())
        if (folder / "promotion.json").exists()
        else {}
    )
    support = tuple(record.get("test_support", []))
    for base in (folder, root / "shared"):
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root)
            inner = path.relative_to(base).as_posix()
            if (
                path.is_file()
                and not (_SKIP_PARTS & set(rel.parts))
                and path.suffix != ".pyc"
                and not (base == folder and _is_support(inner, support))
            ):
                yield rel.as_posix(), path


def _is_support(inner: str, support: tuple[str, ...]) -> bool:
    return (
        any(inner == s or (s.endswith("/") and inner.startswith(s)) for s in support)
        or inner in _SKIP_NAMES
    )


def deploy(
    workflow: str, client: KestraClient, *, root: Path = ROOT, execute: bool = False
) -> DeployResult:
    """Deploy scripts/<workflow>/ (the promoted copy, never dev/) and its flow."""
    flow_file = root / "scripts" / workflow / f"{workflow}.flow.yaml"
    if not flow_file.exists():
        raise DeployError(
            f"{flow_file.relative_to(root)} missing: promote first (nox -s promote -- {workflow})"
        )
    source = flow_file.read_text(encoding="utf-8")
    namespace = str(yaml.safe_load(source)["namespace"])
    result = DeployResult(workflow, namespace, 0, 0, False)
    constraints = client.validate(source)
    if constraints:
        raise DeployError(f"Kestra refused the flow of {workflow}: {'; '.join(constraints)}")
    result.steps.append("validated")
    for rel, path in namespace_files(workflow, root):
        client.upload(namespace, rel, path.read_bytes())
        result.files += 1
    result.steps.append(f"uploaded {result.files} namespace files")
    result.revision, result.created = client.create_or_update(source)
    result.steps.append(
        f"{'created' if result.created else 'updated'} flow revision {result.revision}"
    )
    if execute:
        result.execution = client.execute(namespace, workflow)
        result.steps.append(
            f"execution {result.execution['id']}: {result.execution['state']['current']}"
        )
        if result.execution["state"]["current"] not in ("SUCCESS", "WARNING"):
            raise DeployError(
                f"deployed, but the execution ended "
                f"{result.execution['state']['current']}: see Kestra's logs for "
                f"execution {result.execution['id']}"
            )
    return result
