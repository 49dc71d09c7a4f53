# /// script
# dependencies = ["nox[uv]>=2025.2.9"]
# ///
"""Sessions for developing, testing, gating and promoting workflows.

Workflow names go after `--` (`nox -s test -- order_staging`); none means every workflow.
All sessions share one environment in .nox/env, rebuilt only when pyproject.toml changes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent))
from dev.shared import noxkit

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "none"
nox.options.error_on_missing_interpreters = True

WORKFLOWS = noxkit.discover_workflows()
__doc__ = f"{__doc__}\nWorkflows: {', '.join(WORKFLOWS) or 'none yet (nox -s new -- <name>)'}\n"


def _python(session: nox.Session) -> str:
    try:
        return str(noxkit.ensure_env(session.log))
    except noxkit.UsageError as exc:
        session.error(str(exc))


def _args(session: nox.Session, allow_framework: bool = False) -> noxkit.StageArgs:
    try:
        return noxkit.parse_args(list(session.posargs), WORKFLOWS, allow_framework)
    except noxkit.UsageError as exc:
        session.error(str(exc))


def _stages(session: nox.Session, stages: tuple[str, ...], allow_framework: bool = False) -> None:
    args = _args(session, allow_framework)
    python = _python(session)
    rows: list[tuple[str, str, str, float]] = []
    targets = (["framework"] if args.include_framework else []) + args.workflows
    for target in targets:
        for stage in stages:
            if target == "framework" and stage != "performance":
                continue
            start = time.perf_counter()
            code = noxkit.run_stage(python, stage, target, args, session.log)
            result = "pass" if code == 0 else f"fail ({code})"
            rows.append((target, stage, result, time.perf_counter() - start))
    if not rows:
        session.error("no workflow to run: create one with `nox -s new -- <name>`")
    session.log("\n" + noxkit.summary_table(rows))
    failed = [f"{t}/{s}" for t, s, r, _ in rows if r != "pass"]
    if failed:
        session.error(f"failed: {', '.join(failed)}")


@nox.session(default=False)
def test(session: nox.Session) -> None:
    """Run the unit, integration, performance and validation stages for workflows."""
    _stages(session, noxkit.STAGES)


@nox.session(default=False)
def unit(session: nox.Session) -> None:
    """Run unit and edge-case tests with branch coverage against the threshold."""
    _stages(session, ("unit",))


@nox.session(default=False)
def integration(session: nox.Session) -> None:
    """Run integration tests on real databases and the API sandbox."""
    _stages(session, ("integration",))


@nox.session(default=False)
def performance(session: nox.Session) -> None:
    """Run benchmarks (framework and workflows) against budgets; --scale N sets the size."""
    _stages(session, ("performance",), allow_framework=True)


@nox.session(default=False)
def validation(session: nox.Session) -> None:
    """Run the data-quality, business-rule, schema and requirement checks."""
    _stages(session, ("validation",))


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and format-check the code with ruff."""
    python = _python(session)
    session.run(python, "-m", "ruff", "check", ".", *session.posargs)
    session.run(python, "-m", "ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check shared/ and dev/shared/ with mypy (strict)."""
    session.run(_python(session), "-m", "mypy", *session.posargs, env=noxkit.stage_env())


@nox.session
def framework(session: nox.Session) -> None:
    """Run the framework's own tests with branch coverage of shared/ and dev/shared/."""
    session.run(
        _python(session),
        "-m",
        "dev.shared.stages",
        "framework",
        "framework",
        *session.posargs,
        env=noxkit.stage_env(),
    )


@nox.session(default=False)
def matrix(session: nox.Session) -> None:
    """Print the workflows to test as JSON (all, or `-- --changed-since REF` for a PR)."""
    if session.posargs:
        session.run(
            _python(session), "-m", "dev.shared.ci_plan", *session.posargs, env=noxkit.stage_env()
        )
    else:
        print(noxkit.json.dumps(WORKFLOWS))


@nox.session(default=False)
def run(session: nox.Session) -> None:
    """Run workflows in the dev environment (SQLite, API sandbox) and print what they did."""
    args = _args(session)
    session.run(
        _python(session),
        "-m",
        "dev.shared.runner",
        *args.workflows,
        *args.extra,
        env=noxkit.stage_env(),
    )


def _cli(session: nox.Session, command: str, names_required: bool = False) -> None:
    args = _args(session)  # validates the names; none named keeps the command's own default
    named = args.workflows if any(not a.startswith("-") for a in session.posargs[:1]) else []
    if names_required and not named:
        session.error(f"name a workflow: nox -s {command} -- <workflow>")
    session.run(
        _python(session),
        "-m",
        "dev.shared.cli",
        command,
        *named,
        *args.extra,
        env=noxkit.stage_env(args.scale),
    )


@nox.session(default=False)
def gates(session: nox.Session) -> None:
    """Run every quality gate for workflows: table, gates.json/html, ticked checklists."""
    _cli(session, "gates")


@nox.session(default=False)
def promote(session: nox.Session) -> None:
    """Gate, then promote workflows atomically to scripts/ (none named: every ready, changed one)."""
    _cli(session, "promote")


@nox.session(default=False)
def rollback(session: nox.Session) -> None:
    """Restore the previous promoted version of a workflow, byte for byte."""
    _cli(session, "rollback", names_required=True)


@nox.session(default=False)
def deploy(session: nox.Session) -> None:
    """Deploy promoted workflows to Kestra (KESTRA_URL; --execute to run once)."""
    _cli(session, "deploy")


@nox.session(default=False)
def report(session: nox.Session) -> None:
    """Write the HTML dashboard: gate matrix, trends, promotions, success metrics."""
    _cli(session, "report")


@nox.session(default=False)
def reliability(session: nox.Session) -> None:
    """Run the reliability suite (faults, fuzzing, idempotency, security); counts to a file."""
    session.run(
        _python(session),
        "-m",
        "pytest",
        "dev/shared/reliability",
        *session.posargs,
        env=noxkit.stage_env(),
    )


@nox.session(default=False)
def profile(session: nox.Session) -> None:
    """Profile workflows at scale: py-spy flame graph (cProfile fallback) into debugging/logs/."""
    args = _args(session)
    for name in args.workflows:
        session.run(
            _python(session),
            f"dev/{name}/debugging/profile_performance.py",
            *args.extra,
            env=noxkit.stage_env(),
        )


@nox.session(default=False)
def new(session: nox.Session) -> None:
    """Scaffold a workflow: nox -s new -- <name> [--owner X --schedule CRON --timezone TZ]."""
    if not session.posargs:
        session.error("name the workflow: nox -s new -- <name> [--owner ... --schedule ...]")
    session.run(
        _python(session), "-m", "dev.shared.scaffold", *session.posargs, env=noxkit.stage_env()
    )


@nox.session(default=False)
def ci(session: nox.Session) -> None:
    """Run everything CI runs: lint, typecheck, framework tests, all stages of all workflows."""
    for name in ("lint", "typecheck", "framework", "reliability"):
        session.notify(name)
    session.notify("performance", ["framework"])
    if WORKFLOWS:
        session.notify("test", WORKFLOWS)


if __name__ == "__main__":
    nox.main()
