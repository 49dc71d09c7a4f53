"""Fixtures of the customer_master_schedule tests.

`cms` holds the workflow's modules and `rules` its business-rule checks, both imported from the
folder the tests belong to. `schedule` builds a schedule and proves rules CMS-R1..R6 on it, so
every scheduling test also validates its output.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from .testing.builders import RUN_DATE


class WorkflowModules:
    """Modules of the workflow under test by attribute (`cms.scheduler`), imported on first use
    from the workflow's own package; `cms.main` is the main script."""

    def __init__(self, workflow: Any) -> None:
        self._workflow = workflow

    @property
    def main(self) -> Any:
        return self._workflow.module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        module = f"{self._workflow.package}.{name}"
        try:
            return importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            raise AttributeError(f"the workflow has no module {name!r}") from None


@pytest.fixture
def cms(workflow: Any) -> WorkflowModules:
    """The workflow's modules: cms.scheduler, cms.allocation, ..., cms.main."""
    return WorkflowModules(workflow)


@pytest.fixture
def rules(workflow: Any) -> SimpleNamespace:
    """validation/validate_business_rules.py (module, check, assert_ok), its RuleContext and
    validation/validate_data_quality.py (quality)."""
    module = importlib.import_module(f"{workflow.package}.validation.validate_business_rules")
    context = importlib.import_module(f"{workflow.package}.validation._context")
    quality = importlib.import_module(f"{workflow.package}.validation.validate_data_quality")
    return SimpleNamespace(
        quality=quality,
        module=module,
        RuleContext=context.RuleContext,
        check=module.check_business_rules,
        assert_ok=module.assert_business_rules,
    )


@pytest.fixture
def schedule(cms: WorkflowModules, rules: SimpleNamespace) -> Callable[..., Any]:
    """schedule(inputs, run_date=RUN_DATE, **settings) -> ScheduleResult, rules proven; the
    settings are the workflow's configuration with the given fields replaced. Business rules
    CMS-R1..R6 and the data-quality checks of both output tables must hold."""

    def build(inputs: Any, run_date: dt.date = RUN_DATE, **settings: Any) -> Any:
        config = replace(cms.settings.load_settings(None, run_date), **settings)
        result = cms.scheduler.build_schedule(inputs, config)
        rules.assert_ok(rules.RuleContext(inputs, result.schedule, result.utilisation, config))
        rules.quality.schedule_validator().validate(result.schedule).raise_if_failed()
        rules.quality.utilisation_validator().validate(result.utilisation).raise_if_failed()
        return result

    return build


@pytest.fixture
def samples(cms: WorkflowModules, workflow: Any) -> Any:
    """The sample input tables as ScheduleInputs."""
    return cms.samples.load_samples(workflow.samples_dir)
