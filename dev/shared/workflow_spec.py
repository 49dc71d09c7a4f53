"""The workflow declaration (dev/<wf>/workflow.yaml) as a validated, typed model.

Example::

    spec = load_spec("order_staging")
    spec.coverage_threshold        # 90
    spec.performance.budgets       # {"rows_per_second": Budget(min=50000, max=None)}
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dev.shared.noxkit import NAME_RE, RESERVED, ROOT
from shared.config import load_yaml


class SpecError(Exception):
    """workflow.yaml is missing or invalid; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Model):
    cron: str = "0 2 * * *"
    timezone: str = "UTC"


class Retry(_Model):
    max_attempt: int = Field(default=3, ge=1)
    interval: str = "PT1M"
    max_interval: str = "PT10M"


class KestraSpec(_Model):
    namespace: str = "company.data"
    timeout: str = "PT30M"
    concurrency: int = Field(default=1, ge=1)
    retry: Retry = Retry()
    alert_secret: str = "SLACK_WEBHOOK"


class Dataset(_Model):
    name: str
    kind: Literal["table", "files", "api"] = "table"
    description: str = ""


class Budget(_Model):
    min: float | None = None
    max: float | None = None

    def check(self, value: float) -> bool:
        """True when value is inside the budget."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class Performance(_Model):
    scale_rows: int = Field(default=100_000, ge=1, description="rows at full scale (BENCH_SCALE=1)")
    budgets: dict[str, Budget] = Field(default_factory=dict)


class RunSpec(_Model):
    args: list[str] = Field(default_factory=list)
    services: list[Literal["monday_sandbox"]] = Field(default_factory=list)


class WorkflowSpec(_Model):
    """Everything the tools read about a workflow instead of importing its code."""

    name: str
    owner: str
    description: str
    main_script: str = ""
    schedule: Schedule = Schedule()
    kestra: KestraSpec = KestraSpec()
    sources: list[Dataset] = Field(default_factory=list)
    targets: list[Dataset] = Field(default_factory=list)
    performance: Performance = Performance()
    coverage_threshold: float = Field(default=90.0, ge=0, le=100)
    secrets: list[str] = Field(default_factory=list)
    # pip requirements of the workflow beyond shared/'s (added to its promoted requirements.txt)
    requirements: list[str] = Field(default_factory=list)
    created: dt.date | None = None
    template_version: str = "1"
    run: RunSpec = RunSpec()
    config: dict[str, Any] = Field(default_factory=dict)
    environments: dict[Literal["development", "testing", "production"], dict[str, Any]] = Field(
        default_factory=dict
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not NAME_RE.match(value) or value in RESERVED:
            raise ValueError("must be a snake_case identifier and not a reserved name")
        return value

    @property
    def main(self) -> str:
        """File name of the main script."""
        return self.main_script or f"{self.name}.py"


def spec_path(name: str, root: Path = ROOT) -> Path:
    return root / "dev" / name / "workflow.yaml"


def parse_spec(text: str, where: str) -> WorkflowSpec:
    """Parse workflow.yaml text; errors name the file and the field."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{where}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{where}: expected a mapping of keys, got {type(data).__name__}")
    try:
        return WorkflowSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise SpecError(f"{where}: field {loc!r}: {first['msg']}") from None


def load_spec(name: str, root: Path = ROOT, path: Path | None = None) -> WorkflowSpec:
    """Load and validate a workflow's declaration (dev/<name>/workflow.yaml by default)."""
    target = path or spec_path(name, root)
    if not target.exists():
        raise SpecError(f"{target}: missing (every workflow needs a workflow.yaml)")
    spec = parse_spec(target.read_text(encoding="utf-8"), str(target))
    if spec.name != name:
        raise SpecError(f"{target}: field 'name' is {spec.name!r} but the folder is {name!r}")
    return spec
