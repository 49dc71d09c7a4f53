"""Kestra flows: render one from workflow.yaml and check it against Kestra's flow contract.

The template (workflow_templates/kestra_flow.yaml.j2) uses ``[[ ]]`` / ``[% %]`` delimiters so
Kestra's own ``{{ secret('X') }}`` expressions pass through untouched. The structural check
follows /shared/reference/contracts.md section 2 (required keys, the Python Commands task over
namespace files, `maxAttempt` retry with required intervals, ISO-8601 durations, a schedule
trigger with a valid cron and timezone, secrets only through ``secret()``, a failure alert).

    text = render_flow(load_spec("order_staging"))
    problems = validate_flow(text, workflow="order_staging")    # [] when the flow is sound
"""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import Any

import jinja2
import yaml

from dev.shared.workflow_spec import WorkflowSpec

TEMPLATES = Path(__file__).resolve().parent / "workflow_templates"
TEMPLATE_VERSION = "1"
CONTAINER_IMAGE = "python:3.11-slim"
COMMANDS = "io.kestra.plugin.scripts.python.Commands"
SCHEDULE = "io.kestra.plugin.core.trigger.Schedule"
ALERT_TYPES = frozenset(
    {
        "io.kestra.plugin.notifications.slack.SlackIncomingWebhook",
        "io.kestra.plugin.slack.SlackIncomingWebhook",
        "io.kestra.plugin.notifications.mail.MailSend",
    }
)
_DURATION = re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_SECRET_REF = re.compile(r"^\{\{\s*secret\('([A-Z][A-Z0-9_]*)'\)\s*\}\}$")
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")


def template_environment() -> jinja2.Environment:
    """Jinja2 with delimiters that leave Kestra's {{ }} expressions alone."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def flow_secrets(spec: WorkflowSpec) -> list[str]:
    """Secrets the task receives: the declared ones, DATABASE_URL always (production needs it)."""
    return sorted({*spec.secrets, "DATABASE_URL"})


def render_flow(spec: WorkflowSpec) -> str:
    """The Kestra flow YAML for a workflow."""
    template = template_environment().get_template("kestra_flow.yaml.j2")
    return template.render(
        spec=spec,
        secrets=flow_secrets(spec),
        container_image=CONTAINER_IMAGE,
        template_version=TEMPLATE_VERSION,
    )


def validate_flow(text: str, workflow: str | None = None) -> list[str]:
    """Problems with a flow, each naming the key path; an empty list means it is sound."""
    try:
        flow = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [f"not valid YAML: {str(exc).splitlines()[0]}"]
    if not isinstance(flow, dict):
        return ["a flow is a mapping with id, namespace and tasks"]
    problems = [f"{key}: required" for key in ("id", "namespace", "tasks") if not flow.get(key)]
    if workflow and flow.get("id") != workflow:
        problems.append(f"id: {flow.get('id')!r} should be the workflow name {workflow!r}")
    if not re.match(r"^[a-z0-9][a-z0-9._-]*$", str(flow.get("namespace", ""))):
        problems.append("namespace: lower-case words separated by dots")
    tasks = flow.get("tasks") or []
    commands = [t for t in tasks if isinstance(t, dict) and t.get("type") == COMMANDS]
    if not commands:
        problems.append(f"tasks: no {COMMANDS} task")
    for index, task in enumerate(commands):
        problems += _check_task(task, f"tasks[{index}]", workflow)
    problems += _check_concurrency(flow.get("concurrency"))
    problems += _check_triggers(flow.get("triggers") or [])
    problems += _check_errors(flow.get("errors") or [])
    if "labels" in flow and not isinstance(flow["labels"], dict):
        problems.append("labels: must be a map")
    return problems


def _check_task(task: dict[str, Any], where: str, workflow: str | None) -> list[str]:
    problems = [f"{where}.{key}: required" for key in ("id", "commands") if not task.get(key)]
    files = task.get("namespaceFiles") or {}
    include = files.get("include") or []
    if not files.get("enabled"):
        problems.append(f"{where}.namespaceFiles.enabled: must be true")
    wanted = ["shared/**"] + ([f"scripts/{workflow}/**"] if workflow else [])
    problems += [f"{where}.namespaceFiles.include: missing {w}" for w in wanted if w not in include]
    if not _DURATION.match(str(task.get("timeout", ""))):
        problems.append(f"{where}.timeout: an ISO-8601 duration such as PT30M is required")
    problems += _check_retry(task.get("retry"), f"{where}.retry")
    env = task.get("env") or {}
    for name, value in env.items():
        looks_secret = re.search(r"(TOKEN|PASSWORD|SECRET|URL|KEY|DSN)$", str(name))
        if looks_secret and name not in ("MONDAY_API_URL",) and not _SECRET_REF.match(str(value)):
            problems.append(f"{where}.env.{name}: secrets must be {{{{ secret('{name}') }}}}")
    return problems


def _check_retry(retry: Any, where: str) -> list[str]:
    if not isinstance(retry, dict):
        return [f"{where}: required (type, maxAttempt, intervals)"]
    problems = []
    if "maxAttempts" in retry:
        problems.append(f"{where}.maxAttempts: the key is maxAttempt (singular)")
    if not isinstance(retry.get("maxAttempt"), int) or retry["maxAttempt"] < 1:
        problems.append(f"{where}.maxAttempt: an integer of at least 1")
    kind = retry.get("type")
    needed = {
        "constant": ["interval"],
        "exponential": ["interval", "maxInterval"],
        "random": ["minInterval", "maxInterval"],
    }.get(str(kind))
    if needed is None:
        return [*problems, f"{where}.type: constant, exponential or random"]
    for key in needed:
        if not _DURATION.match(str(retry.get(key, ""))):
            problems.append(f"{where}.{key}: required ISO-8601 duration for {kind} retry")
    return problems


def _check_concurrency(concurrency: Any) -> list[str]:
    if concurrency is None:
        return []
    if not isinstance(concurrency, dict) or not isinstance(concurrency.get("limit"), int):
        return ["concurrency.limit: an integer"]
    if concurrency.get("behavior", "QUEUE") not in ("QUEUE", "CANCEL", "FAIL"):
        return ["concurrency.behavior: QUEUE, CANCEL or FAIL"]
    return []


def _check_triggers(triggers: list[Any]) -> list[str]:
    schedules = [t for t in triggers if isinstance(t, dict) and t.get("type") == SCHEDULE]
    if not schedules:
        return [f"triggers: no {SCHEDULE} trigger"]
    problems = []
    for index, trigger in enumerate(schedules):
        cron = str(trigger.get("cron", ""))
        fields = cron.split()
        if not (
            cron.startswith("@")
            or (len(fields) in (5, 6) and all(_CRON_FIELD.match(f) for f in fields))
        ):
            problems.append(f"triggers[{index}].cron: {cron!r} is not a cron expression")
        zone = trigger.get("timezone")
        if zone is not None:
            try:
                zoneinfo.ZoneInfo(str(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                problems.append(f"triggers[{index}].timezone: unknown time zone {zone!r}")
    return problems


def _check_errors(errors: list[Any]) -> list[str]:
    if not any(isinstance(task, dict) and task.get("type") in ALERT_TYPES for task in errors):
        return ["errors: no failure alert task (Slack webhook or mail)"]
    return []
