"""Fuzzing the framework's parsers with hypothesis: at least 10,000 cases each, no crash.

workflow.yaml, configuration files and environment overrides, workflow names given to the
command line, Retry-After headers and Monday API responses. Each may only raise its own
documented error type with a message; anything else is a bug.
"""

from __future__ import annotations

import contextlib
import json
import os
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dev.shared import noxkit, scaffold
from dev.shared.workflow_spec import SpecError, parse_spec
from shared.api_client import MondayError, classify_monday_response, parse_retry_after
from shared.config import ConfigError, load_config

# 10,000 by default (the suite's contract); CI may lower it with RELIABILITY_FUZZ_CASES
CASES = int(os.environ.get("RELIABILITY_FUZZ_CASES", "10000"))
FUZZ = settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "name",
        "owner",
        "description",
        "schedule",
        "kestra",
        "sources",
        "targets",
        "performance",
        "coverage_threshold",
        "secrets",
        "created",
        "run",
        "config",
        "environments",
        "main_script",
        "x",
    ]
)
SPEC_DOCS = st.one_of(
    st.dictionaries(KEYS, VALUES, max_size=8),
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["demo", "Demo", "../x", "shared", ""]),
            "owner": SCALARS,
            "description": SCALARS,
        },
        optional={
            "performance": VALUES,
            "kestra": VALUES,
            "sources": VALUES,
            "coverage_threshold": SCALARS,
        },
    ),
)


def _yaml_text(doc: object) -> str:
    try:
        return yaml.safe_dump(doc)
    except yaml.YAMLError:
        return str(doc)


@FUZZ
@given(st.one_of(SPEC_DOCS.map(_yaml_text), st.text(max_size=200)))
def test_workflow_yaml(tally, text):
    tally.add("cases_tried")
    try:
        name, message = parse_spec(text, "fuzz/workflow.yaml").name, ""
    except SpecError as exc:
        name, message = "", str(exc)
    assert message.startswith("fuzz/workflow.yaml") if message else noxkit.NAME_RE.match(name)


@FUZZ
@given(
    layer=st.dictionaries(st.text(max_size=10), VALUES, max_size=6),
    env=st.dictionaries(
        st.sampled_from(
            ["CONFIG__a", "CONFIG__b__c", "CONFIG__http", "DATABASE_URL", "LOG_LEVEL", "CONFIG__"]
        ),
        st.text(max_size=20),
        max_size=4,
    ),
    raw=st.booleans(),
)
def test_config_files_and_overrides(tally, tmp_path, layer, env, raw):
    tally.add("cases_tried")
    folder = tmp_path  # one file, rewritten per case
    text = _yaml_text({"config": layer}) if not raw else json.dumps(layer)[:-1]
    (folder / "workflow.yaml").write_text(text, encoding="utf-8")
    message = ""
    try:
        cfg = load_config(folder, env="testing", environ=env)
        cfg.get_int("a", 1)
        cfg.get_bool("b.c", True)
        cfg.get_list("http", [])
    except ConfigError as exc:
        message = str(exc)
    assert "\n" not in message


NAMES = st.one_of(
    st.text(max_size=40), st.text(string.ascii_lowercase + "_-./\\ 0123456789", max_size=20)
)


@FUZZ
@given(NAMES)
def test_workflow_names(tally, tmp_path, name):
    tally.add("cases_tried")
    root = tmp_path
    try:
        checked, message = scaffold.check_name(name, root, kebab=True), ""
    except scaffold.ScaffoldError as exc:
        checked, message = "", str(exc)
    assert "\n" not in message
    if checked:
        assert noxkit.NAME_RE.match(checked)
        assert (root / "dev" / checked).resolve().parent == (root / "dev").resolve()
    with contextlib.suppress(noxkit.UsageError):
        noxkit.parse_args([name], ["known_one"])


@FUZZ
@given(
    st.one_of(
        st.none(),
        st.text(max_size=40),
        st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    )
)
def test_retry_after_header(tally, value):
    tally.add("cases_tried")
    seconds = parse_retry_after(value)
    assert seconds is None or seconds >= 0


ERROR_ITEM = st.fixed_dictionaries(
    {},
    optional={
        "message": SCALARS,
        "extensions": st.dictionaries(
            st.sampled_from(
                ["code", "retry_in_seconds", "status_code", "error_data", "complexity_budget_left"]
            ),
            VALUES,
            max_size=4,
        ),
    },
)
BODIES = st.one_of(
    VALUES,
    st.fixed_dictionaries(
        {},
        optional={
            "errors": st.one_of(st.lists(ERROR_ITEM, max_size=3), VALUES),
            "data": VALUES,
            "error_code": SCALARS,
            "error_message": SCALARS,
            "status_code": SCALARS,
            "account_id": SCALARS,
        },
    ),
)


@FUZZ
@given(
    status=st.sampled_from([200, 400, 401, 403, 404, 423, 429, 500, 502, 503]),
    body=BODIES,
    retry_after=st.one_of(st.none(), st.floats(0, 100)),
)
def test_monday_responses(tally, status, body, retry_after):
    tally.add("cases_tried")
    error = classify_monday_response(status, body, retry_after=retry_after)
    assert error is None or isinstance(error, MondayError)
    if status >= 400:
        assert error is not None
    if error is not None:
        assert str(error)


def test_every_fuzz_target_runs_the_configured_cases():
    assert FUZZ.max_examples == CASES >= 1_000


pytestmark = pytest.mark.unit
