"""Tests for shared.log_helper: JSON/text logs, secret redaction, run summary, Kestra lines.

secret-scan: allow-file (planted fake secrets the redaction must hide)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared import log_helper as lh
from shared.config import Config
from shared.log_helper import (
    RunSummary,
    add_secret,
    configure_logging,
    format_exception,
    get_logger,
    kestra_enabled,
    redact,
)

pytestmark = pytest.mark.unit

SECRET = "tok-3f9a7c1e-planted"  # the planted secret: must never reach any output
PASSWORD = "pw-hunter2-planted"
CUSTOM = "custom-value-planted"
_ENV = ("KESTRA_EMIT", "WORKING_DIR", "OUTPUT_DIR", "LOG_LEVEL", "LOG_FORMAT")


@pytest.fixture(autouse=True)
def isolated_logging(monkeypatch) -> Iterator[None]:
    """Fresh redactor and env; the root logger's handlers and levels restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    chatty = {name: logging.getLogger(name).level for name in lh._CHATTY}
    monkeypatch.setattr("shared.log_helper.redaction._redactor", lh._Redactor())
    for var in _ENV:
        monkeypatch.delenv(var, raising=False)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def planted(monkeypatch) -> None:
    monkeypatch.setenv("MONDAY_API_TOKEN", SECRET)
    monkeypatch.setenv("WAREHOUSE_PASSWORD", PASSWORD)
    monkeypatch.setenv("CUSTOM_CREDENTIAL", CUSTOM)  # redacted only because named in secrets=


def _fail(exc: Exception) -> None:
    raise exc


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ------------------------------------------------------------------ formats


def test_json_lines_carry_ts_level_logger_message_and_extras(capsys):
    configure_logging(fmt="json")
    get_logger("orders.load").info(
        "loaded %d rows", 5, extra={"table": "orders", "level": "clash", "path": Path("/a/b")}
    )
    (entry,) = _json_lines(capsys.readouterr().err)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "orders.load"
    assert entry["message"] == "loaded 5 rows"
    assert entry["table"] == "orders"
    assert entry["extra_level"] == "clash"  # an extra may not overwrite a core field
    assert entry["path"] == "/a/b"  # non-JSON values become their str
    assert datetime.fromisoformat(entry["ts"]).utcoffset() == timedelta(0)


def test_json_lines_include_exception_and_stack(capsys):
    configure_logging(fmt="json")
    log = get_logger("app")
    try:
        _fail(ValueError("bad row 7"))
    except ValueError:
        log.exception("load failed")
    log.warning("here", stack_info=True)
    failed, here = _json_lines(capsys.readouterr().err)
    assert failed["level"] == "ERROR"
    assert "ValueError: bad row 7" in failed["exc"]
    assert "Stack (most recent call last)" in here["stack"]


def test_text_lines_are_single_readable_lines(capsys):
    configure_logging(fmt="text")
    get_logger("app").info("loaded %d rows", 5, extra={"table": "orders"})
    get_logger("app").info("plain")
    lines = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d INFO    app: loaded 5 rows \[table=\"orders\"\]", lines[0])
    assert lines[1].endswith("INFO    app: plain")
    assert len(lines) == 2


def test_text_exception_keeps_extras_on_the_first_line(capsys):
    configure_logging(fmt="text")
    try:
        _fail(KeyError("sku"))
    except KeyError:
        get_logger("app").exception("lookup failed", extra={"row": 3})
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].endswith("lookup failed [row=3]")
    assert lines[-1] == "KeyError: 'sku'"


def test_level_filters_records(capsys):
    configure_logging(fmt="json", level="warning")
    get_logger("app").info("hidden")
    get_logger("app").warning("shown")
    assert [e["message"] for e in _json_lines(capsys.readouterr().err)] == ["shown"]


def test_config_then_environment_then_defaults(capsys, monkeypatch):
    cfg = Config(env="production", values={"logging": {"level": "ERROR", "format": "json"}})
    configure_logging(cfg)
    get_logger("app").warning("hidden by cfg level")
    get_logger("app").error("json by cfg")
    assert _json_lines(capsys.readouterr().err)[0]["message"] == "json by cfg"
    configure_logging(cfg, fmt="text", level="INFO")  # arguments win over cfg
    get_logger("app").info("text now")
    assert capsys.readouterr().err.rstrip().endswith("app: text now")
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    configure_logging()
    get_logger("app").debug("from env")
    assert _json_lines(capsys.readouterr().err)[0]["level"] == "DEBUG"


@pytest.mark.parametrize(("kwargs", "match"), [({"fmt": "xml"}, "json, text"),
                                               ({"level": "LOUD"}, "logging level")])  # fmt: skip
def test_configure_rejects_bad_format_and_level(kwargs, match):
    with pytest.raises(ValueError, match=match):
        configure_logging(**kwargs)


def test_configure_twice_keeps_one_handler_and_foreign_handlers():
    foreign = logging.NullHandler()
    logging.getLogger().addHandler(foreign)
    configure_logging(fmt="json")
    configure_logging(fmt="text")
    ours = [h for h in logging.getLogger().handlers if h.get_name() == "shared.log_helper"]
    assert len(ours) == 1
    assert isinstance(ours[0].formatter, lh._TextFormatter)
    assert foreign in logging.getLogger().handlers


def test_http_libraries_are_quiet_unless_debug():
    configure_logging(level="INFO")
    assert logging.getLogger("httpx").level == logging.WARNING
    configure_logging(level="DEBUG")
    assert logging.getLogger("httpcore").level == logging.DEBUG


def test_logs_go_to_stdout_under_kestra(capsys, monkeypatch):
    monkeypatch.setenv("KESTRA_EMIT", "1")
    configure_logging(fmt="json")
    get_logger("app").info("to stdout")
    out, err = capsys.readouterr()
    assert _json_lines(out)[0]["message"] == "to stdout"
    assert err == ""


# ------------------------------------------------------------------ redaction


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_secrets_never_reach_the_log(capsys, planted, fmt):
    configure_logging(fmt=fmt, secrets=["CUSTOM_CREDENTIAL"])
    log = get_logger("app")
    message = f"token in message {SECRET}"
    log.info(message)
    log.info("token in args %s / %r", SECRET, {"password": PASSWORD})
    log.info("extras", extra={"auth": SECRET, "nested": {"k": [CUSTOM]}, SECRET: 1})
    log.warning("dsn %s", f"postgresql://etl:{PASSWORD}@db:5432/x")
    try:
        _fail(RuntimeError(f"login failed with {SECRET} and {CUSTOM}"))
    except RuntimeError:
        log.exception("boom")
    out, err = capsys.readouterr()
    for secret in (SECRET, PASSWORD, CUSTOM):
        assert secret not in out + err
    assert err.count("***") >= 7
    assert "postgresql://etl:***@db:5432/x" in err


def test_env_vars_not_named_in_secrets_and_not_secret_looking_stay_visible(capsys, planted):
    configure_logging(fmt="json")  # CUSTOM_CREDENTIAL not named: its name does not look secret
    get_logger("app").info("%s %s", CUSTOM, SECRET)
    assert _json_lines(capsys.readouterr().err)[0]["message"] == f"{CUSTOM} ***"


def test_short_secret_values_are_not_redacted(monkeypatch):
    monkeypatch.setenv("PIN_TOKEN", "abc")  # shorter than MIN_SECRET_LENGTH: would garble logs
    configure_logging()
    assert redact("abc cabbage") == "abc cabbage"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("postgresql+psycopg://etl:s3cr3t@db:5432/x", "postgresql+psycopg://etl:***@db:5432/x"),
     ("mysql+pymysql://root:@127.0.0.1/test", "mysql+pymysql://root:@127.0.0.1/test"),
     ("https://api.example.com/v2?x=1", "https://api.example.com/v2?x=1"),
     ("host=db password=hunter22 user=x", "host=db password=*** user=x"),
     ("PWD = 'abc123'", "PWD = '***'"),
     ("""{'password': 'abc123', "passwd": "x y"}""", """{'password': '***', "passwd": "***"}"""),
     ("wrong password: retry", "wrong password: retry")],
)  # fmt: skip
def test_url_and_key_value_passwords_are_masked(text, expected):
    assert redact(text) == expected


def test_longest_secret_is_masked_first():
    add_secret("abcd")
    add_secret("abcdefgh")
    assert redact("x abcdefgh y abcd") == "x *** y ***"


def test_redact_walks_containers_and_keeps_other_values():
    add_secret(SECRET)
    value = {SECRET: [SECRET, 3, None], "t": (SECRET, 1.5), "s": {SECRET}}
    assert redact(value) == {"***": ["***", 3, None], "t": ["***", 1.5], "s": ["***"]}


def test_format_exception_is_redacted():
    add_secret(SECRET)
    try:
        _fail(ConnectionError(f"refused for {SECRET}"))
    except ConnectionError as exc:
        text = format_exception(exc)
    assert "ConnectionError: refused for ***" in text
    assert SECRET not in text


# ------------------------------------------------------------------ Kestra detection


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, False), ({"KESTRA_EMIT": "1"}, True), ({"KESTRA_EMIT": "true"}, True),
     ({"WORKING_DIR": "/w", "OUTPUT_DIR": "/o"}, True), ({"WORKING_DIR": "/w"}, False),
     ({"KESTRA_EMIT": "0", "WORKING_DIR": "/w", "OUTPUT_DIR": "/o"}, False),
     ({"KESTRA_EMIT": "maybe"}, False)],
)  # fmt: skip
def test_kestra_detection(monkeypatch, env, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert kestra_enabled() is expected


# ------------------------------------------------------------------ RunSummary


def test_run_summary_counts_metrics_and_finish():
    summary = RunSummary("orders", run_id="run-1")
    assert summary.status == "running"
    assert summary.to_dict()["finished_at"] is None
    summary.count("rows_in", 10)
    summary.count("rows_in")
    summary.count("rejected", 0)
    summary.metric("rows_per_second", 1234.5678)
    assert summary.finish() is summary
    data = summary.to_dict()
    assert data["counts"] == {"rows_in": 11, "rejected": 0}
    assert data["metrics"] == {"rows_per_second": 1234.5678}
    assert (data["workflow"], data["run_id"], data["status"]) == ("orders", "run-1", "success")
    assert data["finished_at"] is not None
    assert data["duration_seconds"] >= 0
    assert data["error"] is None
    assert summary.duration_seconds == summary.duration_seconds  # frozen once finished


def test_run_summary_default_run_ids_are_unique_and_name_the_workflow():
    first, second = RunSummary("orders"), RunSummary("orders")
    assert first.run_id.startswith("orders-")
    assert first.run_id != second.run_id


@pytest.mark.parametrize("n", [1.5, True, "3"])
def test_count_rejects_non_integers(n):
    with pytest.raises(TypeError, match="must be an int"):
        RunSummary("wf").count("rows", n)


@pytest.mark.parametrize("status", ["running", "ok", "FAILED"])
def test_finish_rejects_unknown_status(status):
    with pytest.raises(ValueError, match="success or failed"):
        RunSummary("wf").finish(status)


def test_render_is_readable():
    summary = RunSummary("orders", run_id="r1")
    summary.count("rows_staged", 1200)
    summary.metric("seconds_load", 2.5)
    text = summary.finish("failed", error="database unreachable").render()
    assert text.splitlines()[0] == "Run summary: orders (r1)"
    assert "  status:   failed" in text
    assert "  rows_staged: 1,200" in text
    assert "  seconds_load: 2.500" in text
    assert "  error:    database unreachable" in text


def test_emit_outside_kestra_writes_json_to_cwd_and_no_kestra_lines(
    tmp_path, monkeypatch, capsys, caplog
):
    monkeypatch.chdir(tmp_path)
    summary = RunSummary("orders", run_id="r1")
    summary.count("rows", 3)
    with caplog.at_level(logging.INFO, logger="shared.log_helper"):
        summary.finish().emit()
    data = json.loads((tmp_path / "run_summary.json").read_text(encoding="utf-8"))
    assert data["counts"] == {"rows": 3}
    assert data["status"] == "success"
    assert "::" not in capsys.readouterr().out
    (record,) = [r for r in caplog.records if r.name == "shared.log_helper"]
    assert record.levelno == logging.INFO
    assert "Run summary: orders (r1)" in record.getMessage()


def test_emit_failed_run_logs_an_error(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="shared.log_helper"):
        RunSummary("orders").finish("failed", "boom").emit(tmp_path / "deep" / "dir")
    assert caplog.records[-1].levelno == logging.ERROR
    assert (tmp_path / "deep" / "dir" / "run_summary.json").exists()


def _kestra_lines(out: str) -> list[dict[str, Any]]:
    lines = [line for line in out.splitlines() if line.startswith("::")]
    assert all(line.endswith("::") for line in lines)
    return [json.loads(line[2:-2]) for line in lines]


@pytest.mark.parametrize("trigger", [{"KESTRA_EMIT": "1"}, {"WORKING_DIR": "w", "OUTPUT_DIR": "o"}])
def test_emit_under_kestra_writes_wire_format_lines(tmp_path, monkeypatch, capsys, trigger):
    for key, value in trigger.items():
        monkeypatch.setenv(key, value)
    summary = RunSummary("orders", run_id="r1")
    summary.count("rows_upserted", 42)
    summary.metric("rows_per_second", 10.5)
    summary.finish().emit(tmp_path)
    outputs_line, metrics_line = _kestra_lines(capsys.readouterr().out)
    outputs = outputs_line["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["status"] == "success"
    assert outputs["run_id"] == "r1"
    assert outputs["counts"] == {"rows_upserted": 42}
    assert "error" not in outputs
    metrics = metrics_line["metrics"]
    assert isinstance(metrics, list)
    assert {m["type"] for m in metrics} <= {"counter", "timer"}
    by_name = {m["name"]: m for m in metrics}
    assert by_name["rows_upserted"] == {
        "name": "rows_upserted",
        "type": "counter",
        "value": 42,
        "tags": {},
    }
    assert by_name["rows_per_second"]["value"] == 10.5
    timer = by_name["duration"]
    assert timer["type"] == "timer"
    assert isinstance(timer["value"], float)
    assert timer["value"] >= 0


def test_secret_never_reaches_summary_file_or_kestra_lines(tmp_path, monkeypatch, capsys, planted):
    monkeypatch.setenv("KESTRA_EMIT", "1")
    configure_logging(fmt="json", secrets=["CUSTOM_CREDENTIAL"])
    summary = RunSummary("orders")
    summary.count(f"rows_{SECRET}", 1)
    error = f"auth failed for {SECRET}; dsn postgresql://u:{PASSWORD}@h/db; {CUSTOM}"
    summary.finish("failed", error=error).emit(tmp_path)
    out, err = capsys.readouterr()
    written = (tmp_path / "run_summary.json").read_text(encoding="utf-8")
    for secret in (SECRET, PASSWORD, CUSTOM):
        assert secret not in out + err + written
    outputs = _kestra_lines(out)[0]["outputs"]
    assert outputs["error"] == "auth failed for ***; dsn postgresql://u:***@h/db; ***"
    logged = _json_lines("\n".join(ln for ln in out.splitlines() if not ln.startswith("::")))
    assert logged[-1]["run_summary"]["status"] == "failed"
    assert logged[-1]["level"] == "ERROR"


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))


def test_run_id_is_kestras_execution_id_when_there(monkeypatch):
    monkeypatch.setenv("KESTRA_EXECUTION_ID", "4Xk9execution")
    assert lh.RunSummary("wf").run_id == "4Xk9execution"
    assert lh.RunSummary("wf", "explicit").run_id == "explicit"
    monkeypatch.delenv("KESTRA_EXECUTION_ID")
    assert lh.RunSummary("wf").run_id.startswith("wf-")
