"""Tests for shared.config: layering, typed getters, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import ROOT, ConfigError, load_config

pytestmark = pytest.mark.unit


def _workflow(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "workflow.yaml").write_text(text, encoding="utf-8")
    return folder


def test_layers_apply_in_order(tmp_path):
    folder = _workflow(
        tmp_path,
        "config:\n  http: {max_retries: 9}\n  inbox: in\n"
        "environments:\n  testing: {inbox: test-in}\n",
    )
    cfg = load_config(folder, env="testing", environ={})
    assert cfg.get("http.max_retries") == 9  # workflow beats environment
    assert cfg.get("http.backoff_max_seconds") == 0.5  # environment beats base
    assert cfg.get("monday.page_limit") == 500  # base
    assert cfg.get("inbox") == "test-in"  # workflow env section wins
    assert "environments.testing" in cfg.where("inbox")
    assert cfg.workflow == "wf"


def test_environment_variables_win(tmp_path):
    folder = _workflow(tmp_path, "config: {schedule: {horizon_days: 365}}\n")
    environ = {
        "CONFIG__schedule__horizon_days": "30",
        "DATABASE_URL": "sqlite:///x.db",
        "CONFIG__flag": "not: [valid",
    }
    cfg = load_config(folder, env="production", environ=environ)
    assert cfg.get_int("schedule.horizon_days") == 30
    assert cfg.where("schedule.horizon_days") == "environment variable"
    assert cfg.database_url() == "sqlite:///x.db"
    assert cfg.get("flag") == "not: [valid"  # unparsable YAML kept as text


def test_development_database_defaults_to_sqlite_under_root():
    cfg = load_config(env="development", environ={})
    assert cfg.database_url() == f"sqlite:///{ROOT}/.data/development.sqlite"


def test_production_without_database_url_names_the_variable():
    cfg = load_config(env="production", environ={})
    with pytest.raises(ConfigError, match="set DATABASE_URL"):
        cfg.database_url()


def test_unknown_environment_rejects():
    with pytest.raises(ConfigError, match="WORKFLOW_ENV='staging'"):
        load_config(environ={"WORKFLOW_ENV": "staging"})


@pytest.mark.parametrize(
    ("value", "getter", "message"),
    [
        ("abc", "get_int", "must be an integer"),
        ("[1]", "get_int", "must be an integer"),
        ("-1", "get_int", "must be at least 0"),
        ("x", "get_float", "must be a number"),
        ("maybe", "get_bool", "must be true or false"),
        ("3", "get_list", "must be a list"),
    ],
)
def test_bad_values_name_key_and_source(value, getter, message):
    cfg = load_config(env="testing", environ={"CONFIG__knob": value})
    kwargs = {"minimum": 0} if getter == "get_int" else {}
    with pytest.raises(ConfigError, match=message) as info:
        getattr(cfg, getter)("knob", **kwargs)
    assert "'knob'" in str(info.value)
    assert "environment variable" in str(info.value)


def test_typed_getters_convert():
    env = {
        "CONFIG__a": "7",
        "CONFIG__b": "2.5",
        "CONFIG__c": "yes",
        "CONFIG__d": "x, y",
        "CONFIG__e": "data/in",
        "CONFIG__f": "[1, 2]",
        "CONFIG__g": "true",
    }
    cfg = load_config(env="testing", environ=env)
    assert cfg.get_int("a") == 7
    assert cfg.get_float("b") == 2.5
    assert cfg.get_bool("c") is True
    assert cfg.get_bool("g") is True
    assert cfg.get_list("d") == ["x", "y"]
    assert cfg.get_list("f") == [1, 2]
    assert cfg.get_path("e") == ROOT / "data" / "in"
    assert cfg.get_path("z", "/abs/p") == Path("/abs/p")
    assert cfg.get_str("a") == "7"
    assert cfg.get_int("missing", 3) == 3


def test_missing_required_key_names_how_to_set_it():
    cfg = load_config(env="testing", environ={})
    with pytest.raises(ConfigError, match="CONFIG__no__such"):
        cfg.get_str("no.such")
    with pytest.raises(ConfigError, match="missing"):
        cfg.get_int("no.such")
    with pytest.raises(ConfigError, match="missing"):
        cfg.get_float("no.such")


def test_secret_only_from_environment(monkeypatch):
    cfg = load_config(env="testing", environ={})
    monkeypatch.setenv("MY_API_TOKEN", "s3cr3t-value")
    assert cfg.secret("MY_API_TOKEN") == "s3cr3t-value"
    monkeypatch.delenv("MY_API_TOKEN")
    with pytest.raises(ConfigError, match=r"missing secret MY_API_TOKEN.*secret\('MY_API_TOKEN'\)"):
        cfg.secret("MY_API_TOKEN")
    assert cfg.secret("MY_API_TOKEN", required=False) is None


def test_committed_secret_value_rejects(tmp_path):
    folder = _workflow(tmp_path, "config:\n  monday: {api_token: abcdef123456}\n")
    with pytest.raises(ConfigError, match=r"'monday\.api_token' holds a secret value"):
        load_config(folder, env="testing", environ={})


def test_empty_secret_key_is_allowed(tmp_path):
    folder = _workflow(tmp_path, "config:\n  monday: {api_token: null}\n")
    assert load_config(folder, env="testing", environ={}).get("monday.api_token") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("config: [1, 2]\n", "expected a mapping"),
        ("config: {a: [\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_bad_workflow_yaml_rejects(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_workflow(tmp_path, text), env="testing", environ={})


def test_missing_workflow_yaml_means_no_workflow_layer(tmp_path):
    cfg = load_config(tmp_path, env="testing", environ={})
    assert cfg.get("monday.page_limit") == 500
