"""Security: secrets never committed, never in logs, reports or flows; identifiers cannot inject
SQL; no shell=True; workflow names cannot escape dev/ or scripts/."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dev.shared import cli, gates, kestra, noxkit, runner, scaffold, stages
from dev.shared.noxkit import ROOT
from dev.shared.workflow_spec import load_spec
from shared.db_helper import DatabaseError

pytestmark = pytest.mark.integration

PLANTED = "planted-S3cr3t-9f8e7d6c5b4a"


def _tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in out if (ROOT / name).is_file()]


def test_no_secret_in_committed_files_or_generated_flows(tally):
    files = _tracked_files()
    hits = gates.scan_for_secrets(files, ROOT)
    tally.add("cases_tried", len(files))
    for name in noxkit.discover_workflows():
        flow = kestra.render_flow(load_spec(name))
        hits += [f"{name} flow:{line}: {kind}" for line, kind in gates.secret_hits(flow)]
        tally.add("cases_tried")
    assert hits == []


def test_planted_secret_never_reaches_logs_summaries_or_flows(demo_repo, tally):
    env = dict(
        os.environ,
        PYTHONPATH=str(demo_repo),
        MONDAY_API_TOKEN=PLANTED,
        LOG_FORMAT="json",
        CONFIG__output_dir=str(demo_repo / "out"),
    )
    script = demo_repo / "dev" / "shared" / "workflow_templates"
    outputs = []
    # the scaffolded workflow logs its database URL's host and the run summary
    subprocess.run(
        [sys.executable, "-m", "dev.shared.scaffold", "leaky"],
        cwd=demo_repo,
        env=env,
        check=True,
        capture_output=True,
    )
    url = f"sqlite:///{demo_repo / 'x.sqlite'}"
    done = subprocess.run(
        [
            sys.executable,
            str(demo_repo / "dev/leaky/leaky.py"),
            "--database-url",
            url,
            "--env",
            "development",
        ],
        cwd=demo_repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    outputs += [done.stdout, done.stderr]
    bad = subprocess.run(
        [
            sys.executable,
            str(demo_repo / "dev/leaky/leaky.py"),
            "--database-url",
            f"postgresql+psycopg://u:{PLANTED}@127.0.0.1:1/db",
        ],
        cwd=demo_repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    outputs += [bad.stdout, bad.stderr]
    assert bad.returncode != 0
    summaries = list((demo_repo / "out").glob("run_summary.json"))
    outputs += [p.read_text() for p in summaries]
    outputs.append(kestra.render_flow(load_spec("leaky", demo_repo)))
    report = gates.evaluate("leaky", root=demo_repo)
    outputs.append(report.to_json())
    tally.add("cases_tried", len(outputs))
    assert summaries
    assert script.exists()
    assert not [text[:200] for text in outputs if PLANTED in text]


NASTY = [
    'we"ird',
    "it's",
    "semi;colon",
    "dash -- comment",
    "/* block */",
    "back`tick",
    "select",
    "order",
    "space d",
    "slash/x",
    "paren(s)",
    "drop table x; --",
]


def test_identifiers_cannot_inject_sql(database, tally):
    database.execute("CREATE TABLE sentinel (x INTEGER)")
    for index, name in enumerate(NASTY):
        frame = pd.DataFrame({name: [f"v{index}"], "id": [index]})
        table = f"t{index} {name}"[:60]
        database.upsert_frame(frame, table, keys=["id"])
        back = database.read_table(table)
        assert back[name].tolist() == [f"v{index}"]
        tally.add("cases_tried")
    assert database.table_exists("sentinel")
    with pytest.raises(DatabaseError):
        database.quote("bad\x00name")


def _shell_true_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and any(
            k.arg == "shell" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in node.keywords
        )
    ]


def test_no_shell_true_anywhere(tally):
    files = [p for p in _tracked_files() if p.suffix == ".py"]
    found = [hit for path in files for hit in _shell_true_calls(path)]
    tally.add("cases_tried", len(files))
    assert found == []


ESCAPES = [
    "../x",
    "../../etc",
    "/etc/passwd",
    "a/b",
    "..",
    ".hidden",
    "x;rm -rf /",
    "$(whoami)",
    "shared",
    "dev",
    "name\x00",
]


@pytest.mark.parametrize("name", ESCAPES)
def test_workflow_names_cannot_escape(name, tmp_path, tally, capsys):
    tally.add("cases_tried", 5)
    with pytest.raises(noxkit.UsageError):
        noxkit.parse_args([name], noxkit.discover_workflows())
    with pytest.raises(scaffold.ScaffoldError):
        scaffold.check_name(name, tmp_path, kebab=True)
    assert cli.main(["gates", name]) == 2
    assert runner.main([name]) == 2
    assert stages.main(["unit", name]) != 0
    assert not list(tmp_path.iterdir())
    capsys.readouterr()


def test_secret_values_are_redacted_in_json_logs(tally):
    code = (
        "import logging; from shared.log_helper import configure_logging; "
        "configure_logging(level='INFO', fmt='json'); "
        f"logging.getLogger('t').info('token is %s', '{PLANTED}')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), MONDAY_API_TOKEN=PLANTED),
        capture_output=True,
        text=True,
        check=True,
    )
    tally.add("cases_tried")
    line = json.loads((done.stdout + done.stderr).strip().splitlines()[-1])
    assert PLANTED not in json.dumps(line)
