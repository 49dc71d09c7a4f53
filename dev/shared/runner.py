"""Run workflows in the dev environment: `python -m dev.shared.runner [wf ...]` (nox -s run).

Each workflow runs as Kestra would run it (`python dev/<wf>/<wf>.py --env development ...`),
in lineage order (a workflow whose targets feed another's sources runs first), against the
development database (SQLite in .data/ unless DATABASE_URL is set) and, when its workflow.yaml
lists the monday_sandbox service and no MONDAY_API_TOKEN is set, a local Monday sandbox.
With no workflow yet it checks the environment: configuration, database, discovery.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from graphlib import CycleError, TopologicalSorter

import sqlalchemy as sa

from dev.shared.noxkit import ROOT, discover_workflows
from dev.shared.workflow_spec import SpecError, WorkflowSpec, load_spec
from shared.config import ConfigError, load_config

SANDBOX_TOKEN = "sandbox-token"  # the local sandbox's fixed token; secret-scan: allow


def lineage_order(specs: list[WorkflowSpec]) -> list[WorkflowSpec]:
    """Producers before consumers, by targets feeding sources; ties by name."""
    produced = {target.name: spec.name for spec in specs for target in spec.targets}
    graph: dict[str, set[str]] = {spec.name: set() for spec in specs}
    for spec in specs:
        for source in spec.sources:
            producer = produced.get(source.name)
            if producer and producer != spec.name:
                graph[spec.name].add(producer)
    by_name = {spec.name: spec for spec in specs}
    sorter = TopologicalSorter(graph)
    try:
        order = list(sorter.static_order())
    except CycleError as exc:
        raise SpecError(f"workflows feed each other in a cycle: {exc.args[1]}") from None
    return [by_name[name] for name in order]


def check_environment() -> int:
    """What `nox -s run` does before any workflow exists: prove config and database work."""
    cfg = load_config(env="development")
    url = cfg.database_url()
    print(f"environment: development; database: {sa.make_url(url).render_as_string()}")
    if url.startswith("sqlite:///"):
        (ROOT / ".data").mkdir(exist_ok=True)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("select 1")).scalar_one()
    finally:
        engine.dispose()
    print(f"database reachable (select 1 -> {version})")
    print("no workflows yet: create one with `nox -s new -- <name>`, then `nox -s run -- <name>`")
    return 0


@contextmanager
def monday_sandbox(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Start the local Monday sandbox unless a real token is configured."""
    if env.get("MONDAY_API_TOKEN"):
        print("MONDAY_API_TOKEN is set: using the real Monday.com API (read-only)")
        yield env
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "dev.shared.monday_sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the Monday sandbox did not start (said {url!r})")
        print(f"Monday sandbox at {url}")
        yield dict(env, MONDAY_API_URL=url, MONDAY_API_TOKEN=SANDBOX_TOKEN)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_workflow(spec: WorkflowSpec, extra: list[str]) -> int:
    env = dict(os.environ, WORKFLOW_ENV="development", PYTHONPATH=str(ROOT))
    script = ROOT / "dev" / spec.name / spec.main
    cmd = [sys.executable, str(script), "--env", "development", *spec.run.args, *extra]
    print(f"\n== {spec.name}: {' '.join(cmd[1:])}", flush=True)
    if "monday_sandbox" in spec.run.services:
        with monday_sandbox(env) as sandbox_env:
            return subprocess.run(cmd, env=sandbox_env, cwd=ROOT, check=False).returncode
    return subprocess.run(cmd, env=env, cwd=ROOT, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    names = [a for a in args if not a.startswith("-")] or discover_workflows()
    extra = [a for a in args if a.startswith("-")]
    try:
        if not names:
            return check_environment()
        specs = lineage_order([load_spec(name) for name in names])
    except (SpecError, ConfigError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    results = []
    for spec in specs:
        start = time.perf_counter()
        code = run_workflow(spec, extra)
        results.append((spec.name, code, time.perf_counter() - start))
    print("\nworkflow                          result   seconds")
    for name, code, seconds in results:
        print(f"{name:<33} {'ok' if code == 0 else f'exit {code}':<8} {seconds:7.1f}")
    return 1 if any(code for _, code, _ in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
