"""A local stand-in of Kestra's REST API (the endpoints `nox -s deploy` uses), over real HTTP.

Follows /shared/reference/contracts.md section 2: routes under ``/api/v1/{tenant}/`` (and the
tenant-less compatibility routes mapped to ``main``), HTTP Basic or Bearer auth, YAML bodies,
422 on creating an existing flow, 404 on updating a missing one, validation answers with
``constraints``, namespace files as multipart ``fileContent``, executions with ``wait=true``.

An execution really runs the flow's Python Commands task: the namespace files are written to
a temporary working directory and each command runs there (``python`` is this interpreter;
``beforeCommands`` are skipped because the dependencies are already installed), with the
task's env and ``{{ secret('X') }}`` resolved from the stand-in's secrets. Kestra's
``::{...}::`` output lines become the execution's outputs and metrics.

    with KestraStandin(user="admin@kestra.io", password="pw", secrets={...}) as kestra:
        KestraClient(kestra.url, user="admin@kestra.io", password="pw").deploy(...)
"""

from __future__ import annotations

import base64
import email.parser
import json
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import yaml

_ROUTE = re.compile(
    r"^/api/v1/(?:(?P<tenant>[a-z0-9_-]+)/)?(?P<rest>"
    r"flows.*|namespaces/.+|executions.*|logs/.+)$"
)
_SECRET = re.compile(r"\{\{\s*secret\('([A-Za-z0-9_]+)'\)\s*\}\}")
_KESTRA_LINE = re.compile(r"^::(\{.*\})::$")
TERMINAL = frozenset({"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED"})


@dataclass
class Execution:
    id: str
    namespace: str
    flow_id: str
    state: str = "CREATED"
    outputs: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    logs: str = ""

    def to_json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "state": {"current": self.state},
            "outputs": self.outputs,
            "metrics": self.metrics,
            "url": f"{base}/ui/executions/{self.id}",
        }


@dataclass
class _State:
    flows: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    files: dict[tuple[str, str, str], bytes] = field(default_factory=dict)
    executions: dict[str, Execution] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)


def flow_constraints(source: str) -> str | None:
    """What Kestra would refuse in a flow source (None when it is acceptable)."""
    try:
        flow = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        return f"Invalid YAML: {str(exc).splitlines()[0]}"
    if not isinstance(flow, dict):
        return "flow: must be a map"
    problems = [f"{key}: must not be null" for key in ("id", "namespace") if not flow.get(key)]
    tasks = flow.get("tasks")
    if not tasks:
        problems.append("tasks: must not be empty")
    for index, task in enumerate(tasks or []):
        if not isinstance(task, dict) or not task.get("id") or not task.get("type"):
            problems.append(f"tasks[{index}]: id and type are required")
            continue
        retry = task.get("retry") or {}
        if retry.get("type") == "exponential" and not (
            retry.get("interval") and retry.get("maxInterval")
        ):
            problems.append(f"tasks[{index}].retry: interval and maxInterval must not be null")
    return "\n".join(problems) or None


class KestraStandin:
    """The stand-in server; start() returns its base URL (http://127.0.0.1:<port>)."""

    def __init__(
        self,
        *,
        user: str = "admin@kestra.io",
        password: str = "kestra",
        token: str | None = None,
        secrets: dict[str, str] | None = None,
        run_timeout: float = 300,
    ) -> None:
        self.user, self.password, self.token = user, password, token
        self.secrets = dict(secrets or {})
        self.run_timeout = run_timeout
        self.state = _State()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def authorized(self, header: str | None) -> bool:
        if self.token is not None:
            return header == f"Bearer {self.token}"
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header == f"Basic {expected}"

    def start_execution(self, tenant: str, namespace: str, flow_id: str, wait: bool) -> Execution:
        """Create an execution and run it: inline when wait, else in a thread (Kestra's way)."""
        execution = Execution(uuid.uuid4().hex[:22], namespace, flow_id)
        with self._lock:
            self.state.executions[execution.id] = execution
        if wait:
            self.run_execution(tenant, execution)
        else:
            threading.Thread(
                target=self.run_execution, args=(tenant, execution), daemon=True
            ).start()
        return execution

    def run_execution(self, tenant: str, execution: Execution) -> None:
        """Run the flow's Python Commands tasks over the namespace files."""
        execution.state = "RUNNING"
        with self._lock:
            key = (tenant, execution.namespace, execution.flow_id)
            flow = yaml.safe_load(self.state.flows[key]["source"])
            files = {
                p: c
                for (t, ns, p), c in self.state.files.items()
                if t == tenant and ns == execution.namespace
            }
        with tempfile.TemporaryDirectory(prefix="kestra-run-") as workdir:
            for path, content in files.items():
                target = Path(workdir) / path.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            ok = all(self._run_task(task, Path(workdir), execution) for task in flow["tasks"])
        execution.state = "SUCCESS" if ok else "FAILED"

    def _run_task(self, task: dict[str, Any], workdir: Path, execution: Execution) -> bool:
        env = {
            "PATH": "/usr/bin:/bin",
            "WORKING_DIR": str(workdir),
            "PYTHONUNBUFFERED": "true",
            "OUTPUT_DIR": str(workdir),
        }
        for name, value in (task.get("env") or {}).items():
            env[str(name)] = _SECRET.sub(lambda m: self.secrets.get(m.group(1), ""), str(value))
        for command in task.get("commands") or []:
            argv = shlex.split(str(command))
            if argv and argv[0] in ("python", "python3"):
                argv[0] = sys.executable
            try:
                done = subprocess.run(
                    argv,
                    cwd=workdir,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=self.run_timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                execution.logs += f"command timed out after {self.run_timeout}s: {command}\n"
                return False
            execution.logs += done.stdout + done.stderr
            self._collect(done.stdout + "\n" + done.stderr, execution)
            if done.returncode != 0:
                return False
        return True

    @staticmethod
    def _collect(text: str, execution: Execution) -> None:
        for line in text.splitlines():
            match = _KESTRA_LINE.match(line.strip())
            if not match:
                continue
            payload = json.loads(match.group(1))
            execution.outputs.update(payload.get("outputs", {}))
            execution.metrics.extend(payload.get("metrics", []))


class _Handler(BaseHTTPRequestHandler):
    standin: KestraStandin

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `standin.state.requests` instead."""

    def _send(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self.standin.state.requests.append((method, url.path))
        match = _ROUTE.match(url.path)
        if not match:
            self._send(404, {"message": f"no route {url.path}"})
            return
        if not self.standin.authorized(self.headers.get("Authorization")):
            self._send(401, {"message": "Unauthorized"})
            return
        tenant = match.group("tenant") or "main"
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        _Routes(self, tenant, query).handle(method, match.group("rest"))

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


@dataclass
class _Routes:
    http: _Handler
    tenant: str
    query: dict[str, str]

    @property
    def state(self) -> _State:
        return self.http.standin.state

    def handle(self, method: str, rest: str) -> None:
        parts = rest.split("/")
        if rest == "flows/validate" and method == "POST":
            self.validate()
        elif rest == "flows" and method == "POST":
            self.create()
        elif parts[0] == "flows" and len(parts) == 3:
            self.flow(method, parts[1], parts[2])
        elif parts[0] == "namespaces" and len(parts) >= 3 and parts[2] == "files":
            self.files(method, parts[1], parts[3:] == ["directory"])
        elif parts[0] == "executions" and len(parts) == 3 and method == "POST":
            self.execute(parts[1], parts[2])
        elif parts[0] == "executions" and len(parts) == 2 and method == "GET":
            self.execution(parts[1])
        elif parts[0] == "logs" and len(parts) == 3 and parts[2] == "download":
            self.logs(parts[1])
        else:
            self.http._send(404, {"message": f"no route {method} {rest}"})

    def validate(self) -> None:
        docs = [d for d in re.split(r"(?m)^---\s*$", self.http._body().decode()) if d.strip()]
        answers: list[dict[str, Any]] = []
        for index, doc in enumerate(docs):
            parsed = yaml.safe_load(doc) if flow_constraints(doc) is None else {}
            answers.append(
                {
                    "index": index,
                    "namespace": (parsed or {}).get("namespace"),
                    "flow": (parsed or {}).get("id"),
                    "constraints": flow_constraints(doc),
                    "outdated": False,
                    "deprecationPaths": [],
                    "warnings": [],
                    "infos": [],
                }
            )
        self.http._send(200, answers)

    def _stored(self, source: str, revision: int) -> dict[str, Any]:
        flow = yaml.safe_load(source)
        return {
            "id": flow["id"],
            "namespace": flow["namespace"],
            "revision": revision,
            "source": source,
            "disabled": bool(flow.get("disabled", False)),
        }

    def create(self) -> None:
        source = self.http._body().decode()
        problem = flow_constraints(source)
        if problem:
            self.http._send(422, {"message": f"Invalid entity: {problem}"})
            return
        flow = yaml.safe_load(source)
        key = (self.tenant, flow["namespace"], flow["id"])
        if key in self.state.flows:
            self.http._send(422, {"message": "Invalid entity: Flow id already exists"})
            return
        self.state.flows[key] = self._stored(source, 1)
        self.http._send(200, self.state.flows[key])

    def flow(self, method: str, namespace: str, flow_id: str) -> None:
        key = (self.tenant, namespace, flow_id)
        if key not in self.state.flows:
            self.http._send(404, {"message": f"Flow {namespace}.{flow_id} not found"})
        elif method == "GET":
            self.http._send(200, self.state.flows[key])
        elif method == "DELETE":
            del self.state.flows[key]
            self.http._send(204)
        elif method == "PUT":
            source = self.http._body().decode()
            problem = flow_constraints(source)
            if problem:
                self.http._send(422, {"message": f"Invalid entity: {problem}"})
                return
            revision = int(self.state.flows[key]["revision"]) + 1
            self.state.flows[key] = self._stored(source, revision)
            self.http._send(200, self.state.flows[key])
        else:
            self.http._send(405, {"message": f"{method} not allowed"})

    def files(self, method: str, namespace: str, directory: bool) -> None:
        if directory:
            names = sorted(
                p for (t, ns, p) in self.state.files if (t, ns) == (self.tenant, namespace)
            )
            self.http._send(200, [{"fileName": n, "type": "File"} for n in names])
            return
        path = self.query.get("path", "")
        if not path:
            self.http._send(422, {"message": "path is required"})
        elif method == "POST":
            content = _multipart_field(
                self.http.headers.get("Content-Type", ""), self.http._body(), "fileContent"
            )
            if content is None:
                self.http._send(422, {"message": "multipart field fileContent is required"})
                return
            self.state.files[(self.tenant, namespace, path.lstrip("/"))] = content
            self.http._send(200)
        else:
            content = self.state.files.get((self.tenant, namespace, path.lstrip("/")))
            if content is None:
                self.http._send(404, {"message": f"file {path} not found"})
                return
            self.http.send_response(200)
            self.http.send_header("Content-Length", str(len(content)))
            self.http.end_headers()
            self.http.wfile.write(content)

    def execute(self, namespace: str, flow_id: str) -> None:
        if (self.tenant, namespace, flow_id) not in self.state.flows:
            self.http._send(404, {"message": f"Flow {namespace}.{flow_id} not found"})
            return
        self.http._body()
        execution = self.http.standin.start_execution(
            self.tenant, namespace, flow_id, self.query.get("wait") == "true"
        )
        self.http._send(200, execution.to_json(self.http.standin.url))

    def execution(self, execution_id: str) -> None:
        execution = self.state.executions.get(execution_id)
        if execution is None:
            self.http._send(404, {"message": f"execution {execution_id} not found"})
            return
        self.http._send(200, execution.to_json(self.http.standin.url))

    def logs(self, execution_id: str) -> None:
        execution = self.state.executions.get(execution_id)
        data = (execution.logs if execution else "").encode()
        self.http.send_response(200 if execution else 404)
        self.http.send_header("Content-Length", str(len(data)))
        self.http.end_headers()
        self.http.wfile.write(data)


def _multipart_field(content_type: str, body: bytes, name: str) -> bytes | None:
    """The bytes of one multipart/form-data field, or None."""
    if not content_type.startswith("multipart/form-data"):
        return None
    message = email.parser.BytesParser().parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    for part in message.walk():
        if part.get_param("name", header="content-disposition") == name:
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None
