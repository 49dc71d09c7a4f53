"""What the noxfile delegates to: workflow discovery, the one shared environment, argument parsing.

Standard library only: the noxfile imports this module in nox's own interpreter, before any
project dependency is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_DIR = ROOT / ".nox" / "env"
REPORTS = ROOT / "reports"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# Names that would shadow a package or a pseudo-target of the sessions.
RESERVED = frozenset({"shared", "framework", "scripts", "dev", "testing", "all"})
STAGES = ("unit", "integration", "performance", "validation")


class UsageError(Exception):
    """A bad command line: the message is one line naming the problem and the fix."""


def discover_workflows(root: Path = ROOT) -> list[str]:
    """Names of the workflows: folders dev/<name>/ that hold a workflow.yaml."""
    return sorted(
        path.parent.name
        for path in (root / "dev").glob("*/workflow.yaml")
        if NAME_RE.match(path.parent.name) and path.parent.name not in RESERVED
    )


@dataclass
class StageArgs:
    """A session's arguments split into workflow names, options and pass-through pytest args."""

    workflows: list[str]
    scale: float | None = None
    extra: list[str] = field(default_factory=list)
    include_framework: bool = False


def parse_args(posargs: list[str], known: list[str], allow_framework: bool = False) -> StageArgs:
    """Split `nox -s <stage> -- wf1 wf2 [--scale N] [pytest args]`; none named means all."""
    names: list[str] = []
    rest = list(posargs)
    while rest and not rest[0].startswith("-"):
        names.append(rest.pop(0))
    scale = None
    extra: list[str] = []
    while rest:
        token = rest.pop(0)
        if token == "--scale" or token.startswith("--scale="):
            value = token.split("=", 1)[1] if "=" in token else (rest.pop(0) if rest else "")
            scale = _parse_scale(value)
        else:
            extra.append(token)
    framework = allow_framework and (not names or "framework" in names)
    names = [name for name in names if not (allow_framework and name == "framework")]
    unknown = [name for name in names if name not in known]
    if unknown:
        listing = ", ".join(known) if known else "none yet (create one: nox -s new -- <name>)"
        raise UsageError(f"unknown workflow {unknown[0]!r}; known workflows: {listing}")
    selected = names or ([] if (allow_framework and "framework" in posargs) else list(known))
    return StageArgs(selected, scale, extra, framework)


def _parse_scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError:
        raise UsageError(f"--scale needs a number such as 0.05 or 1, got {value!r}") from None
    if not 0 < scale <= 100:
        raise UsageError(f"--scale must be above 0 and at most 100, got {value}")
    return scale


def requirements(root: Path = ROOT) -> list[str]:
    """Every requirement of the one environment: runtime dependencies plus the dev group."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    groups = data.get("dependency-groups", {})
    return list(data["project"]["dependencies"]) + _expand_group(groups, "dev")


def _expand_group(groups: dict[str, list[object]], name: str) -> list[str]:
    out: list[str] = []
    for item in groups[name]:
        if isinstance(item, dict):
            out.extend(_expand_group(groups, str(item["include-group"])))
        else:
            out.append(str(item))
    return list(dict.fromkeys(out))


def env_fingerprint(root: Path = ROOT) -> str:
    """Changes when the dependencies or the interpreter change, and only then."""
    text = json.dumps([requirements(root), sys.version, sys.executable])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def find_uv() -> str | None:
    """uv beside nox's interpreter (nox[uv]) or on PATH; None means fall back to pip."""
    local = Path(sys.executable).parent / "uv"
    if local.exists():
        return str(local)
    return shutil.which("uv")


def env_python(env_dir: Path = ENV_DIR) -> Path:
    return env_dir / "bin" / "python"


def ensure_env(log: Callable[[str], object] = print, env_dir: Path = ENV_DIR) -> Path:
    """Build (or reuse) the one environment every session uses; returns its python."""
    stamp = env_dir / ".fingerprint"
    fingerprint = env_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint and env_python(env_dir).exists():
        return env_python(env_dir)
    reqs = requirements()
    uv = find_uv()
    env = dict(os.environ, UV_COMPILE_BYTECODE="1", VIRTUAL_ENV=str(env_dir))
    log(f"updating the shared environment in {env_dir} with {'uv' if uv else 'venv + pip'}")
    fresh = not env_python(env_dir).exists()
    if uv:
        if fresh:
            _check([uv, "venv", "--quiet", "--python", sys.executable, str(env_dir)], env)
        _check([uv, "pip", "install", "--quiet", "--python", str(env_python(env_dir)), *reqs], env)
    else:
        pip = [str(env_python(env_dir)), "-m", "pip", "install", "--quiet"]
        if fresh:
            _check([sys.executable, "-m", "venv", str(env_dir)], env)
            _check([*pip, "--upgrade", "pip"], env)
        _check([*pip, *reqs], env)
        _check([str(env_python(env_dir)), "-m", "compileall", "-q", str(env_dir / "lib")], env)
    stamp.write_text(fingerprint)
    return env_python(env_dir)


def _check(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, env=env, check=False)
    if result.returncode != 0:
        raise UsageError(f"environment build failed ({result.returncode}): {' '.join(cmd[:4])} ...")


def stage_env(scale: float | None = None) -> dict[str, str]:
    """Environment for stage processes: repo root importable, scale knob passed on."""
    env = {"PYTHONPATH": str(ROOT), "WORKFLOW_ENV": os.environ.get("WORKFLOW_ENV", "testing")}
    if scale is not None:
        env["BENCH_SCALE"] = str(scale)
    return env


def summary_table(rows: list[tuple[str, str, str, float]]) -> str:
    """A plain table of (target, stage, result, seconds) rows."""
    width = max([len(row[0]) for row in rows] + [8])
    lines = [f"{'workflow':<{width}}  {'stage':<12}  {'result':<6}  seconds"]
    lines += [f"{t:<{width}}  {s:<12}  {r:<6}  {sec:7.1f}" for t, s, r, sec in rows]
    return "\n".join(lines)


def run_stage(
    python: str, stage: str, target: str, args: StageArgs, log: Callable[[str], object] = print
) -> int:
    """Run one stage of one target in its own process; returns the exit code."""
    cmd = [python, "-m", "dev.shared.stages", stage, target, *args.extra]
    log(" ".join(cmd[1:]))
    env = dict(os.environ, **stage_env(args.scale))
    return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
