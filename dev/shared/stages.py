"""Run one stage for one target: `python -m dev.shared.stages <stage> <target> [pytest args]`.

Stages of a workflow: unit (unit + edge-case tests, branch coverage against the threshold),
integration, performance (BENCH_SCALE sets the size), validation (the validation/ scripts).
Target `framework`: stage `framework` runs the framework's tests, stage `performance` its
benchmarks (dev/shared/benchmarks/bench_*.py). Called by the noxfile; usable directly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dev.shared.noxkit import REPORTS, ROOT
from dev.shared.workflow_spec import SpecError, load_spec

FRAMEWORK_COVERAGE = 90


def _reports(target: str) -> Path:
    path = REPORTS / target
    path.mkdir(parents=True, exist_ok=True)
    return path


def _existing(paths: list[Path]) -> list[str]:
    return [str(path) for path in paths if path.exists()]


def unit(name: str, extra: list[str]) -> int:
    """Unit and edge-case tests of a workflow, with branch coverage against its threshold."""
    spec = load_spec(name)
    testing = ROOT / "dev" / name / "testing"
    files = _existing([testing / f"test_{name}.py", testing / f"test_edge_cases_{name}.py"])
    if not files:
        print(f"{name}: no unit tests in {testing} (expected test_{name}.py)", file=sys.stderr)
        return 4
    out = _reports(name)
    os.environ["COVERAGE_FILE"] = str(out / ".coverage")  # concurrent stages keep apart
    return pytest.main(
        [
            *files,
            f"--cov=dev/{name}",
            "--cov-branch",
            "--cov-report=term-missing:skip-covered",
            f"--cov-report=json:{out / 'coverage.json'}",
            f"--cov-fail-under={spec.coverage_threshold}",
            f"--junitxml={out / 'unit.xml'}",
            *extra,
        ]
    )


def _single(name: str, stage: str, extra: list[str]) -> int:
    load_spec(name)
    path = ROOT / "dev" / name / "testing" / f"test_{stage}_{name}.py"
    if not path.exists():
        print(f"{name}: missing {path.relative_to(ROOT)} for the {stage} stage", file=sys.stderr)
        return 4
    junit = _reports(name) / f"{stage}.xml"
    return pytest.main([str(path), f"--junitxml={junit}", "-p", "no:cacheprovider", *extra])


def validation(name: str, extra: list[str]) -> int:
    """Every script in dev/<wf>/validation/, requirement tracing last; fails if any fails."""
    load_spec(name)
    folder = ROOT / "dev" / name / "validation"
    scripts = sorted(folder.glob("*.py"), key=lambda p: (p.name == "check_requirements.py", p.name))
    scripts = [path for path in scripts if not path.name.startswith("_")]
    if not scripts:
        print(f"{name}: no validation scripts in {folder.relative_to(ROOT)}", file=sys.stderr)
        return 4
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    failed = []
    for script in scripts:
        print(f"== {script.relative_to(ROOT)}", flush=True)
        code = subprocess.run([sys.executable, str(script), *extra], env=env, check=False)
        if code.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"{name}: validation failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def framework(extra: list[str]) -> int:
    """The framework's own tests with branch coverage of shared/ and dev/shared/."""
    out = _reports("framework")
    os.environ["COVERAGE_FILE"] = str(out / ".coverage")
    return pytest.main(
        [
            str(ROOT / "dev" / "shared" / "testing"),
            "--cov=shared",
            "--cov=dev/shared",
            "--cov-branch",
            "--cov-report=term-missing:skip-covered",
            f"--cov-report=json:{out / 'coverage.json'}",
            f"--cov-fail-under={FRAMEWORK_COVERAGE}",
            f"--junitxml={out / 'framework.xml'}",
            *extra,
        ]
    )


def benchmarks(extra: list[str]) -> int:
    """Run every framework benchmark script; each writes reports/benchmarks/<name>.json."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    failed = []
    for script in sorted((ROOT / "dev" / "shared" / "benchmarks").glob("bench_*.py")):
        print(f"== {script.relative_to(ROOT)}", flush=True)
        module = f"dev.shared.benchmarks.{script.stem}"
        code = subprocess.run([sys.executable, "-m", module, *extra], env=env, check=False)
        if code.returncode != 0:
            failed.append(script.stem)
    if failed:
        print(f"framework benchmarks failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def record_stage(target: str, stage: str, code: int, seconds: float) -> None:
    """reports/<target>/stage_<stage>.json: what the gates read to know a stage ran and how it ended."""
    out = _reports(target) / f"stage_{stage}.json"
    out.write_text(
        json.dumps(
            {
                "stage": stage,
                "target": target,
                "exit_code": code,
                "seconds": round(seconds, 3),
                "finished_at": dt.datetime.now(dt.UTC).isoformat(),
                "bench_scale": float(os.environ.get("BENCH_SCALE", "1")),
            }
        )
    )


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    code = int(_main(argv))
    if len(argv) >= 2 and (ROOT / "dev" / argv[1] / "workflow.yaml").exists():
        record_stage(argv[1], argv[0], code, time.perf_counter() - start)
    return code


def _main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m dev.shared.stages <stage> <target> [args]", file=sys.stderr)
        return 2
    stage, target, extra = argv[0], argv[1], argv[2:]
    try:
        if target == "framework":
            return framework(extra) if stage == "framework" else benchmarks(extra)
        if stage == "unit":
            return unit(target, extra)
        if stage in ("integration", "performance"):
            return _single(target, stage, extra)
        if stage == "validation":
            return validation(target, extra)
    except SpecError as exc:
        print(str(exc), file=sys.stderr)
        return 3
    print(
        f"unknown stage {stage!r}: use unit, integration, performance or validation",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
