"""Promotion to scripts/<wf>/ as one transaction, rollback byte for byte, and their history.

promote(wf):
  1. take the workflow's lock (scripts/.locks/<wf>.lock; a stale lock of a dead process is
     taken over), finish or undo any promotion a kill interrupted (see recover());
  2. refuse when the current scripts/<wf>/ does not match its promotion record (tampered);
  3. gates must pass (or the caller passes a passing GateReport);
  4. build the new version in scripts/_staging_<wf>/: code, workflow.yaml, requirements.txt,
     test_production.py (= testing/test_<wf>.py), samples, the Kestra flow, promotion.json;
  5. run test_production.py there, against the staged copy;
  6. swap it in with one atomic renameat2(RENAME_EXCHANGE) (two renames plus a journal where
     the kernel lacks it); keep the old version in scripts/.previous/<wf>/ for rollback;
  7. append to scripts/promotion_history.jsonl.
A kill at any step leaves scripts/<wf>/ the old or the new version, never a mix.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dev.shared import kestra
from dev.shared.gates import GateReport, git_commit
from dev.shared.noxkit import ROOT
from dev.shared.workflow_spec import load_spec

RECORD = "promotion.json"
CODE_SKIP = frozenset({"testing", "debugging", "validation", "__pycache__", "logs"})
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class PromotionError(Exception):
    """Promotion or rollback refused or failed; scripts/<wf>/ is as it was."""


@dataclass
class PromotionResult:
    workflow: str
    action: str
    version: int
    previous_version: int | None
    seconds: float
    checksums: dict[str, str] = field(default_factory=dict)


def scripts_dir(root: Path = ROOT) -> Path:
    return root / "scripts"


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder (relative posix path -> hex), the record excluded."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != RECORD and "__pycache__" not in p.parts
    }


def read_record(folder: Path) -> dict[str, Any] | None:
    path = folder / RECORD
    return json.loads(path.read_text()) if path.exists() else None


def record_of(folder: Path) -> dict[str, Any]:
    """The folder's promotion record; PromotionError when it has none."""
    record = read_record(folder)
    if record is None:
        raise PromotionError(f"{folder}: no {RECORD}: not a promoted workflow")
    return record


def verify(folder: Path) -> list[str]:
    """Files whose content differs from the folder's promotion record (empty when intact)."""
    record = read_record(folder)
    if record is None:
        return [f"{folder}: no {RECORD}"]
    actual, expected = checksums(folder), record["checksums"]
    changed = [
        name
        for name in sorted(set(actual) | set(expected))
        if actual.get(name) != expected.get(name)
    ]
    return [f"{folder.name}/{name}" for name in changed]


@contextlib.contextmanager
def workflow_lock(workflow: str, root: Path = ROOT) -> Iterator[Path]:
    """An exclusive lock per workflow; a lock left by a dead process is taken over."""
    locks = scripts_dir(root) / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    path = locks / f"{workflow}.lock"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            holder = _lock_holder(path)
            if holder is not None and _alive(holder):
                raise PromotionError(
                    f"{workflow}: another promotion (pid {holder}) holds "
                    f"{path.relative_to(root)}; wait for it to finish"
                ) from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        break
    else:
        raise PromotionError(f"{workflow}: could not take {path}")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _lock_holder(path: Path) -> int | None:
    try:
        return int(path.read_text().strip() or "0") or None
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False when the kernel cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def _journal(workflow: str, root: Path) -> Path:
    return scripts_dir(root) / f".journal_{workflow}.json"


def _staging(workflow: str, root: Path) -> Path:
    return scripts_dir(root) / f"_staging_{workflow}"


def _previous(workflow: str, root: Path) -> Path:
    return scripts_dir(root) / ".previous" / workflow


def recover(workflow: str, root: Path = ROOT) -> str | None:
    """Finish or undo a swap a kill interrupted; returns what it did (None: nothing to do)."""
    journal, staging = _journal(workflow, root), _staging(workflow, root)
    live, previous = scripts_dir(root) / workflow, _previous(workflow, root)
    done = None
    if journal.exists():  # the two-rename fallback was interrupted
        aside = Path(json.loads(journal.read_text())["aside"])
        if aside.exists() and not live.exists():
            aside.rename(live)
            done = "put back the version that was in place before an interrupted swap"
        elif aside.exists():
            _keep_as_previous(aside, previous)
            done = "kept the replaced version for rollback after an interrupted swap"
        journal.unlink()
    if staging.exists():
        old, new = read_record(staging), read_record(live) if live.exists() else None
        if old and new and int(old["version"]) < int(new["version"]) and not verify(staging):
            _keep_as_previous(
                staging, previous
            )  # killed after the exchange: staging is the old one
            done = "kept the replaced version for rollback after an interrupted promotion"
        else:
            shutil.rmtree(staging)
            done = done or "removed an unfinished staging folder"
    return done


def _keep_as_previous(folder: Path, previous: Path) -> None:
    previous.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(previous, ignore_errors=True)
    folder.rename(previous)


def build_staging(workflow: str, version: int, gates: GateReport | None, root: Path = ROOT) -> Path:
    """Write the complete new scripts/<wf>/ into the staging folder."""
    spec = load_spec(workflow, root)
    source, staging = root / "dev" / workflow, _staging(workflow, root)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_file() and not CODE_SKIP & set(rel.parts) and path.suffix != ".pyc":
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, staging / rel)
    (staging / "__init__.py").touch()
    (scripts_dir(root) / "__init__.py").touch()
    support = _copy_test_support(source, staging)
    (staging / f"{workflow}.flow.yaml").write_text(kestra.render_flow(spec), encoding="utf-8")
    (staging / "requirements.txt").write_text(
        runtime_requirements(root, spec.requirements), encoding="utf-8"
    )
    record = {
        "workflow": workflow,
        "version": version,
        "commit": git_commit(root),
        "promoted_at": dt.datetime.now(dt.UTC).isoformat(),
        "source_checksum": source_checksum(workflow, root),
        "gates": gates.summary() if gates else {},
        "gates_passed": gates.passed if gates else None,
        "test_support": support,
        "checksums": checksums(staging),
    }
    (staging / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return staging


def _copy_test_support(source: Path, staging: Path) -> list[str]:
    """test_production.py and what it needs; returns those paths (they are not deployed).

    The suite's helper modules go to testing/ (their relative imports keep working), the
    suite and its conftest.py sit at the top with `from .helper import` pointed there, and
    validation/ and the samples keep their paths.
    """
    testing = source / "testing"
    helpers = sorted(
        p
        for p in testing.glob("*.py")
        if not p.name.startswith("test_") and p.name != "conftest.py"
    )
    names = [p.stem for p in helpers if p.stem != "__init__"]
    pattern = re.compile(rf"from \.({'|'.join(map(re.escape, names))}) import") if names else None

    def moved(text: str) -> str:
        return pattern.sub(r"from .testing.\1 import", text) if pattern else text

    support = ["test_production.py"]
    suite = (testing / f"test_{source.name}.py").read_text(encoding="utf-8")
    (staging / "test_production.py").write_text(moved(suite), encoding="utf-8")
    if (testing / "conftest.py").exists():
        conftest = (testing / "conftest.py").read_text(encoding="utf-8")
        (staging / "conftest.py").write_text(moved(conftest), encoding="utf-8")
        support.append("conftest.py")
    (staging / "testing").mkdir()
    for path in helpers:
        shutil.copy2(path, staging / "testing" / path.name)
    (staging / "testing" / "__init__.py").touch()
    support.append("testing/")
    # the samples keep their dev path: code and tests find them at testing/test_data_samples
    for folder, name in (
        (testing / "test_data_samples", "testing/test_data_samples"),
        (source / "validation", "validation"),
    ):
        if folder.exists():
            shutil.copytree(
                folder, staging / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
            if name == "validation":
                support.append("validation/")
    return support


def runtime_requirements(root: Path = ROOT, extra: Sequence[str] = ()) -> str:
    """requirements.txt of a promoted workflow: shared/'s runtime dependencies, then the
    workflow's own (workflow.yaml ``requirements``)."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    text = "# runtime dependencies of shared/ (pyproject [project].dependencies)\n" + "".join(
        f"{dep}\n" for dep in data["project"]["dependencies"]
    )
    if extra:
        text += "# the workflow's own (workflow.yaml requirements)\n" + "".join(
            f"{dep}\n" for dep in extra
        )
    return text


def source_checksum(workflow: str, root: Path = ROOT) -> str:
    """One hash of everything a promotion copies from dev/<wf>/, to tell what changed."""
    sums = checksums(root / "dev" / workflow)
    relevant = {k: v for k, v in sums.items() if not k.startswith(("debugging/", "validation/"))}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def run_production_tests(folder: Path, root: Path = ROOT) -> None:
    """test_production.py against the copy in folder; raises PromotionError when it fails."""
    env = dict(os.environ, PYTHONPATH=str(root), WORKFLOW_ENV="testing")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(folder / "test_production.py"),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise PromotionError(f"test_production.py failed against the staged copy:\n{tail}")


def _swap_in(workflow: str, staging: Path, root: Path) -> None:
    live, previous = scripts_dir(root) / workflow, _previous(workflow, root)
    previous.parent.mkdir(parents=True, exist_ok=True)
    if not live.exists():
        staging.rename(live)
        return
    if not _exchange(staging, live):
        aside = scripts_dir(root) / f"_aside_{workflow}"
        _journal(workflow, root).write_text(json.dumps({"aside": str(aside)}))
        live.rename(aside)
        staging.rename(live)
        staging = aside
        _journal(workflow, root).unlink()
    # staging now holds the old version: it becomes the one rollback restores.
    _keep_as_previous(staging, previous)


def history_path(root: Path = ROOT) -> Path:
    return scripts_dir(root) / "promotion_history.jsonl"


def record_history(entry: dict[str, Any], root: Path = ROOT) -> None:
    entry = {"at": dt.datetime.now(dt.UTC).isoformat(), **entry}
    with history_path(root).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")


def read_history(root: Path = ROOT) -> list[dict[str, Any]]:
    path = history_path(root)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def promote(workflow: str, gates: GateReport, *, root: Path = ROOT) -> PromotionResult:
    """Promote dev/<wf>/ to scripts/<wf>/ if the gates passed; see the module docstring."""
    start = time.perf_counter()
    if not gates.passed:
        failed = [r.name for r in gates.results if not r.passed]
        raise PromotionError(f"{workflow}: gates failed ({', '.join(failed)}); scripts/ untouched")
    with workflow_lock(workflow, root):
        recover(workflow, root)
        live = scripts_dir(root) / workflow
        current = read_record(live) if live.exists() else None
        if live.exists():
            tampered = verify(live)
            if tampered:
                raise PromotionError(
                    f"scripts/{workflow} differs from its promotion record "
                    f"({', '.join(tampered[:5])}): restore it with "
                    f"`git checkout scripts/{workflow}` or roll back"
                )
        version = int(current["version"]) + 1 if current else 1
        staging = build_staging(workflow, version, gates, root)
        try:
            run_production_tests(staging, root)
        except PromotionError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _swap_in(workflow, staging, root)
        result = PromotionResult(
            workflow,
            "promote",
            version,
            int(current["version"]) if current else None,
            time.perf_counter() - start,
            checksums(live),
        )
        record_history(
            {
                "workflow": workflow,
                "action": "promote",
                "version": version,
                "previous_version": result.previous_version,
                "ok": True,
                "seconds": round(result.seconds, 2),
                "commit": git_commit(root),
                "gates": gates.summary(),
            },
            root,
        )
        return result


def rollback(workflow: str, *, root: Path = ROOT) -> PromotionResult:
    """Put the previous promoted version back, byte for byte (checksums prove it)."""
    start = time.perf_counter()
    with workflow_lock(workflow, root):
        recover(workflow, root)
        live, previous = scripts_dir(root) / workflow, _previous(workflow, root)
        if not previous.exists():
            raise PromotionError(
                f"{workflow}: no previous version to roll back to "
                f"(scripts/.previous/{workflow} is missing)"
            )
        damaged = verify(previous)
        if damaged:
            raise PromotionError(
                f"scripts/.previous/{workflow} differs from its record "
                f"({', '.join(damaged[:5])}): refusing to restore it"
            )
        expected = read_record(previous) or {}
        current = read_record(live) if live.exists() else None
        if live.exists() and _exchange(previous, live):
            pass  # previous now holds the version we rolled back from
        else:
            staging = _staging(workflow, root)
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(previous, staging)
            _swap_in(workflow, staging, root)
        if checksums(live) != expected.get("checksums"):
            raise PromotionError(
                f"{workflow}: restored files do not match version "
                f"{expected.get('version')}'s checksums"
            )
        result = PromotionResult(
            workflow,
            "rollback",
            int(expected["version"]),
            int(current["version"]) if current else None,
            time.perf_counter() - start,
            checksums(live),
        )
        record_history(
            {
                "workflow": workflow,
                "action": "rollback",
                "version": result.version,
                "previous_version": result.previous_version,
                "ok": True,
                "seconds": round(result.seconds, 2),
                "commit": git_commit(root),
            },
            root,
        )
        return result
