"""Tests for Kestra flows (render, structural check), the stand-in API and the deploy client."""

from __future__ import annotations

import base64

import httpx
import pytest
import yaml

from dev.shared import kestra, promotion
from dev.shared.gates import GateReport, GateResult
from dev.shared.kestra_deploy import DeployError, KestraClient, deploy, namespace_files
from dev.shared.kestra_standin import KestraStandin, flow_constraints
from dev.shared.workflow_spec import parse_spec
from shared.api_client import ApiError

pytestmark = pytest.mark.integration

SPEC = parse_spec(
    "name: demo\nowner: data-team\ndescription: |\n  Demo flow.\n  Second line: with colon.\n"
    "schedule: {cron: '15 */4 * * *', timezone: Europe/Madrid}\n"
    "kestra: {namespace: company.data, timeout: PT45M, retry: {max_attempt: 4}}\n"
    "secrets: [MONDAY_API_TOKEN]\n",
    "demo",
)


def test_rendered_flow_follows_the_contract():
    text = kestra.render_flow(SPEC)
    flow = yaml.safe_load(text)
    task = flow["tasks"][0]
    assert kestra.validate_flow(text, "demo") == []
    assert flow["id"] == "demo"
    assert flow["namespace"] == "company.data"
    assert flow["description"].startswith("Demo flow.\nSecond line: with colon.")
    assert task["type"] == "io.kestra.plugin.scripts.python.Commands"
    assert task["namespaceFiles"]["include"] == ["scripts/demo/**", "shared/**"]
    assert task["commands"] == ["python scripts/demo/demo.py --env production"]
    assert task["retry"]["maxAttempt"] == 4
    assert "maxAttempts" not in task["retry"]
    assert task["timeout"] == "PT45M"
    assert task["env"]["MONDAY_API_TOKEN"] == "{{ secret('MONDAY_API_TOKEN') }}"
    assert task["env"]["DATABASE_URL"] == "{{ secret('DATABASE_URL') }}"
    assert flow["triggers"][0]["timezone"] == "Europe/Madrid"
    assert flow["errors"][0]["url"] == "{{ secret('SLACK_WEBHOOK') }}"
    assert flow["concurrency"] == {"limit": 1, "behavior": "QUEUE"}


def _broken(mutate) -> str:
    flow = yaml.safe_load(kestra.render_flow(SPEC))
    mutate(flow)
    return yaml.safe_dump(flow)


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda f: f.pop("namespace"), "namespace: required"),
        (lambda f: f["tasks"][0]["retry"].update(maxAttempts=3), "maxAttempt (singular)"),
        (lambda f: f["tasks"][0]["retry"].pop("maxInterval"), "retry.maxInterval"),
        (lambda f: f["tasks"][0]["retry"].update(type="sometimes"), "retry.type"),
        (lambda f: f["tasks"][0].update(retry=None), "retry: required"),
        (lambda f: f["tasks"][0].update(timeout="30 minutes"), "timeout"),
        (
            lambda f: f["tasks"][0]["env"].update(DATABASE_URL="postgresql://u:p@h/db"),
            "env.DATABASE_URL",
        ),
        (
            lambda f: f["tasks"][0]["namespaceFiles"].update(include=["scripts/demo/**"]),
            "missing shared/**",
        ),
        (lambda f: f["tasks"][0]["namespaceFiles"].update(enabled=False), "enabled"),
        (lambda f: f.update(errors=[]), "failure alert"),
        (lambda f: f["triggers"][0].update(cron="every day"), "not a cron"),
        (lambda f: f["triggers"][0].update(timezone="Mars/Olympus"), "unknown time zone"),
        (lambda f: f.update(triggers=[]), "Schedule trigger"),
        (lambda f: f.update(concurrency={"limit": "one"}), "concurrency.limit"),
        (lambda f: f.update(concurrency={"limit": 1, "behavior": "PANIC"}), "behavior"),
        (lambda f: f.update(labels=["x"]), "labels"),
        (lambda f: f.update(id="other"), "workflow name"),
        (lambda f: f["tasks"][0].update(type="io.kestra.plugin.core.log.Log"), "no io.kestra"),
    ],
)
def test_validator_rejects_contract_breaks(mutate, problem):
    problems = kestra.validate_flow(_broken(mutate), "demo")
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(("text", "problem"), [("a: [", "not valid YAML"), ("- 1", "mapping")])
def test_validator_rejects_non_flows(text, problem):
    assert problem in kestra.validate_flow(text)[0]


@pytest.fixture
def standin():
    with KestraStandin(
        user="admin@kestra.io", password="pw", secrets={"DATABASE_URL": "sqlite:///x.db"}
    ) as server:
        yield server


def _client(standin, **kw) -> KestraClient:
    return KestraClient(standin.url, user="admin@kestra.io", password="pw", max_retries=0, **kw)


def test_standin_requires_auth(standin):
    response = httpx.post(f"{standin.url}/api/v1/main/flows", content="id: x")
    assert response.status_code == 401
    token = base64.b64encode(b"admin@kestra.io:wrong").decode()
    response = httpx.get(
        f"{standin.url}/api/v1/main/flows/a/b", headers={"Authorization": f"Basic {token}"}
    )
    assert response.status_code == 401


def test_standin_answers_like_kestra(standin):
    client = _client(standin)
    source = kestra.render_flow(SPEC)
    assert client.validate(source) == []
    assert client.validate("namespace: x\n") != []
    assert client.create_or_update(source) == (1, True)
    with pytest.raises(ApiError) as info:  # 422 on create of an existing flow
        client.http.request("POST", "/api/v1/main/flows", content=source)
    assert info.value.status == 422
    assert "already exists" in str(info.value)
    assert client.create_or_update(source) == (2, False)  # falls back to PUT
    with pytest.raises(ApiError) as missing:  # 404 on update of a missing flow
        client.http.request("PUT", "/api/v1/main/flows/company.data/nope", content=source)
    assert missing.value.status == 404
    legacy = client.http.request("GET", "/api/v1/flows/company.data/demo").json()
    assert legacy["revision"] == 2  # tenant-less compatibility route
    client.http.request("DELETE", "/api/v1/main/flows/company.data/demo")
    assert ("DELETE", "/api/v1/main/flows/company.data/demo") in standin.state.requests


def test_standin_namespace_files_round_trip(standin):
    client = _client(standin)
    client.upload("company.data", "scripts/demo/a.py", b"print('hi')\n")
    got = client.http.request(
        "GET", "/api/v1/main/namespaces/company.data/files", params={"path": "scripts/demo/a.py"}
    )
    assert got.content == b"print('hi')\n"
    listing = client.http.request(
        "GET", "/api/v1/main/namespaces/company.data/files/directory"
    ).json()
    assert listing == [{"fileName": "scripts/demo/a.py", "type": "File"}]


@pytest.mark.parametrize(
    ("source", "constraint"),
    [
        ("id: a\nnamespace: b\n", "tasks"),
        ("tasks: [{id: t}]\n", "id: must not be null"),
        (
            "id: a\nnamespace: b\ntasks: [{id: t, type: x, retry: {type: exponential}}]\n",
            "maxInterval",
        ),
        ("id: [", "Invalid YAML"),
        ("- a", "must be a map"),
    ],
)
def test_standin_constraints(source, constraint):
    assert constraint in str(flow_constraints(source))


def test_deploy_uploads_files_creates_flow_and_runs_it(demo_repo, standin):
    passing = GateReport("demo", [GateResult("unit_tests", True, "1 passed")])
    promotion.promote("demo", passing, root=demo_repo)
    client = _client(standin)
    result = deploy("demo", client, root=demo_repo, execute=True)
    uploaded = {path for (_, _, path) in standin.state.files}
    assert "scripts/demo/demo.py" in uploaded
    assert "shared/config.py" in uploaded
    assert "scripts/demo/test_production.py" not in uploaded
    assert result.files == len(list(namespace_files("demo", demo_repo)))
    assert result.created
    assert result.execution is not None
    assert result.execution["state"]["current"] == "SUCCESS"
    assert result.execution["outputs"] == {"answer": 42}  # ::{"outputs":..}:: parsed
    again = deploy("demo", client, root=demo_repo)
    assert (again.revision, again.created) == (2, False)


def test_deploy_refuses_an_unpromoted_workflow(demo_repo, standin):
    with pytest.raises(DeployError, match="promote first"):
        deploy("demo", _client(standin), root=demo_repo)


def test_deploy_reports_a_failed_execution(demo_repo, standin):
    promotion.promote("demo", GateReport("demo", [GateResult("g", True, "e")]), root=demo_repo)
    main = demo_repo / "scripts" / "demo" / "demo.py"
    main.write_text(main.read_text().replace("return 0\n", "return 3\n"))
    with pytest.raises(DeployError, match="FAILED"):
        deploy("demo", _client(standin), root=demo_repo, execute=True)


def test_client_from_env_needs_a_url():
    with pytest.raises(DeployError, match="KESTRA_URL"):
        KestraClient.from_env({})
    client = KestraClient.from_env(
        {"KESTRA_URL": "http://k", "KESTRA_API_TOKEN": "t", "KESTRA_TENANT": "acme"}
    )
    assert client.tenant == "acme"
    assert client.http._client.headers["Authorization"] == "Bearer t"


def test_bearer_token_auth(demo_repo):
    with KestraStandin(token="tok") as server:
        client = KestraClient(server.url, token="tok", max_retries=0)
        assert client.validate(kestra.render_flow(SPEC)) == []
        with pytest.raises(ApiError) as info:
            KestraClient(server.url, token="bad", max_retries=0).validate("id: x")
        assert info.value.status == 401
