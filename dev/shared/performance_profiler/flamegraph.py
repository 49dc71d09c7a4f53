"""Flame graphs with py-spy (attached or running a command), else a cProfile profile."""

from __future__ import annotations

import contextlib
import cProfile
import ctypes
import io
import logging
import os
import pstats
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__package__)  # the package logger: records keep their old name


@dataclass(frozen=True)
class FlameGraph:
    """Where a profile went; ``note`` says which tool made it and, for a fallback, why."""

    kind: Literal["py-spy", "cProfile"]
    path: Path
    note: str
    text_path: Path | None = None


def find_py_spy(explicit: str | None = None) -> str | None:
    """The py-spy executable: ``explicit``, else next to this Python, else on PATH."""
    if explicit is not None:
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


def record_flamegraph(
    target: Callable[[], object] | list[str],
    out_dir: Path,
    name: str,
    *,
    py_spy: str | None = None,
    use_py_spy: bool = True,
    rate: int = 100,
    top: int = 40,
    timeout: float | None = None,
) -> FlameGraph:
    """Profile a callable (py-spy attached to this process) or a command (py-spy runs it).

    Writes ``<out_dir>/<name>.svg``. When py-spy is missing, disabled or cannot attach (ptrace
    refused), falls back to cProfile: ``<name>.prof`` plus the top-N functions in
    ``<name>.txt``; the returned note and a warning log say so and why. A command's fallback
    needs a Python command (``[python, script.py, ...]`` or ``[python, -m, module, ...]``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = find_py_spy(py_spy) if use_py_spy else None
    if not use_py_spy:
        reason = "py-spy disabled (use_py_spy=False)"
    else:
        reason = f"py-spy not found ({py_spy or 'beside python or on PATH'})"
    if isinstance(target, list):
        return _flame_command(target, out_dir, name, exe, reason, rate, top, timeout)
    return _flame_callable(target, out_dir, name, exe, reason, rate, top)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    return (errors or lines or ["no output"])[-1]


def _written(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def _flame_command(
    cmd: list[str],
    out_dir: Path,
    name: str,
    exe: str | None,
    reason: str,
    rate: int,
    top: int,
    timeout: float | None,
) -> FlameGraph:
    if exe is not None:
        graph, error = _spy_command(exe, cmd, out_dir / f"{name}.svg", rate, timeout)
        if graph is not None:
            return graph
        reason = f"py-spy could not record {cmd[0]}: {error}"
    return _profile_command(cmd, out_dir / f"{name}.prof", reason, top, timeout)


def _spy_command(
    exe: str, cmd: list[str], svg: Path, rate: int, timeout: float | None
) -> tuple[FlameGraph | None, str]:
    """py-spy running `cmd`: its flame graph, else None and py-spy's last error line."""
    svg.unlink(missing_ok=True)
    args = [exe, "record", "-o", str(svg), "--rate", str(rate), "--", *cmd]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if _written(svg):
        return FlameGraph("py-spy", svg, f"py-spy flame graph of {' '.join(cmd)}"), ""
    return None, _last_line(proc.stderr + proc.stdout)


def _profile_command(
    cmd: list[str], prof: Path, reason: str, top: int, timeout: float | None
) -> FlameGraph:
    """The cProfile fallback for a command, which must therefore run Python."""
    if not Path(cmd[0]).name.startswith("python"):
        raise ValueError(
            f"{reason}; the cProfile fallback needs a Python command such as "
            f"['python', 'script.py'], got {cmd[0]!r}: install py-spy or pass a Python command"
        )
    prof.unlink(missing_ok=True)
    args = [cmd[0], "-m", "cProfile", "-o", str(prof), *cmd[1:]]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if not _written(prof):
        raise RuntimeError(
            f"cProfile wrote no profile for {' '.join(cmd)} (exit {proc.returncode}): "
            f"{_last_line(proc.stderr)}"
        )
    return _fallback(prof, reason, top)


def _fallback(prof: Path, reason: str, top: int) -> FlameGraph:
    text = prof.with_suffix(".txt")
    buffer = io.StringIO()
    pstats.Stats(str(prof), stream=buffer).sort_stats("cumulative").print_stats(top)
    text.write_text(buffer.getvalue(), encoding="utf-8")
    note = (
        f"cProfile fallback, no flame graph: {reason}. Profile {prof.name} "
        f"(open with snakeviz or `python -m pstats`), top {top} functions in {text.name}"
    )
    logger.warning("%s", note)
    return FlameGraph("cProfile", prof, note, text)


def _flame_callable(
    target: Callable[[], object],
    out_dir: Path,
    name: str,
    exe: str | None,
    reason: str,
    rate: int,
    top: int,
) -> FlameGraph:
    if exe is not None:
        graph, error = _spy_callable(target, exe, out_dir / f"{name}.svg", rate)
        if graph is not None:
            return graph
        reason = f"py-spy could not attach to pid {os.getpid()}: {error}"
    prof = out_dir / f"{name}.prof"
    profiler = cProfile.Profile()
    try:
        profiler.runcall(target)
    finally:
        profiler.dump_stats(prof)
    return _fallback(prof, reason, top)


def _spy_callable(
    target: Callable[[], object], exe: str, svg: Path, rate: int
) -> tuple[FlameGraph | None, str]:
    """Run `target` under an attached py-spy: its flame graph, else None and why it failed.

    Once the target ran, a missing flame graph raises: the target is never run twice.
    """
    svg.unlink(missing_ok=True)
    spy, error = _attach(exe, svg, rate)
    if spy is None:
        return None, error
    try:
        target()
    finally:
        _detach(spy)
    if not _written(svg):
        raise RuntimeError(
            f"py-spy attached to pid {os.getpid()} but wrote no {svg}; the target already "
            "ran, so it is not run again: call with use_py_spy=False for a cProfile profile"
        )
    label = getattr(target, "__qualname__", repr(target))
    return FlameGraph("py-spy", svg, f"py-spy flame graph of {label} (pid {os.getpid()})"), ""


def _allow_ptrace_by_children() -> None:
    """Under Yama ptrace_scope=1 a child may not trace its parent unless the parent allows it."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(0x59616D61, ctypes.c_ulong(-1), 0, 0, 0)  # PR_SET_PTRACER, PR_SET_PTRACER_ANY


def _attach(exe: str, svg: Path, rate: int, wait: float = 15.0) -> tuple[Any, str]:
    """Start py-spy on this process; (process, "") once it samples, else (None, its error)."""
    _allow_ptrace_by_children()
    args = [exe, "record", "--pid", str(os.getpid()), "-o", str(svg), "--rate", str(rate)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None  # PIPE was asked for
    # py-spy prints its "Sampling process ..." banner on stdout once it is attached
    ready, _, _ = select.select([proc.stdout], [], [], wait)
    banner = proc.stdout.readline() if ready else ""
    if "Sampling" in banner:
        return proc, ""
    if proc.poll() is None:
        proc.kill()
    _, err = proc.communicate()
    return None, _last_line(err) if err.strip() else f"no sampling banner within {wait:g} s"


def _detach(proc: subprocess.Popen[str], timeout: float = 60.0) -> None:
    proc.send_signal(signal.SIGINT)  # py-spy writes the flame graph on Ctrl-C
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
