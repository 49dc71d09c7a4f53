"""Fixtures for the framework's own tests: a temporary copy of the repository, a demo workflow,
a PostgreSQL schema of its own."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dev.shared import test_framework as tf
from dev.shared.noxkit import ROOT
from shared.db_helper import Database

DEMO_MAIN = '''"""Demo workflow used by the framework's promotion and deployment tests."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[1]))
    __package__ = f"{_here.parent.name}.{_here.name}"

from .helpers import double


def run() -> int:
    return double(21)


def main(argv: list[str] | None = None) -> int:
    sys.stdout.write('::{"outputs":{"answer":%d}}::\\n' % run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''
DEMO_TEST = '''"""Tests of the demo workflow (become test_production.py when promoted)."""

import pytest

pytestmark = pytest.mark.unit


@pytest.mark.requirement("REQ-DM-001")
def test_answer(workflow):
    assert workflow.module.run() == 42
'''


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def pg_database(tmp_path: Path) -> Iterator[Database]:
    """A PostgreSQL schema of its own (REQUIRE_DATABASES makes a missing URL an error)."""
    if "postgresql" not in tf.available_backends():
        pytest.skip("no PostgreSQL URL set (CI sets DATABASE_URL)")
    with tf.isolated_database("postgresql", tmp_path) as db:
        yield db


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the repository's tracked and new files, with a git history of its own."""
    copy = tmp_path / "repo"
    files = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for rel in files:
        source = ROOT / rel
        if source.is_file() and not rel.startswith("scripts/"):
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / rel)
    (copy / "scripts").mkdir(exist_ok=True)
    git(copy, "init", "-q", "-b", "main")
    git(copy, "add", "-A")
    git(copy, "commit", "-qm", "base")
    return copy


def write_demo(root: Path, name: str = "demo", helper_body: str = "return 2 * x") -> Path:
    """A minimal, real workflow: package, main script, supporting module, spec, test, plan."""
    folder = root / "dev" / name
    (folder / "testing").mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("")
    (folder / "testing" / "__init__.py").write_text("")
    (folder / f"{name}.py").write_text(DEMO_MAIN)
    (folder / "helpers.py").write_text(
        f'"""Helpers."""\n\n\ndef double(x: int) -> int:\n    {helper_body}\n'
    )
    (folder / "workflow.yaml").write_text(
        f"name: {name}\nowner: data-team\ndescription: Demo.\n"
        "targets: [{name: demo_table}]\nsecrets: [DATABASE_URL]\n"
    )
    (folder / "testing" / f"test_{name}.py").write_text(DEMO_TEST)
    return folder


@pytest.fixture
def demo_repo(repo_copy: Path) -> Path:
    write_demo(repo_copy)
    return repo_copy
