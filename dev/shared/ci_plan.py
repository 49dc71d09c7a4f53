"""Which workflows CI tests: all of them, or on a pull request only the affected ones.

Affected = workflows whose dev/<wf>/ or scripts/<wf>/ changed, plus every workflow downstream
of them (its sources read another's targets, per workflow.yaml, transitively), plus all of
them when a shared piece changed (shared/, dev/shared/, the noxfile, pyproject, the CI files).

    python -m dev.shared.ci_plan                       # all workflows, as JSON
    python -m dev.shared.ci_plan --changed-since origin/main
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from dev.shared.noxkit import ROOT, discover_workflows
from dev.shared.workflow_spec import SpecError, WorkflowSpec, load_spec

SHARED_PREFIXES = ("shared/", "dev/shared/", ".github/", ".ci/")
SHARED_FILES = frozenset({"noxfile.py", "pyproject.toml", "uv.lock", "Makefile"})


def downstream(specs: Iterable[WorkflowSpec]) -> dict[str, set[str]]:
    """Workflow -> the workflows that read one of its targets (direct consumers)."""
    specs = list(specs)
    consumers: dict[str, set[str]] = {spec.name: set() for spec in specs}
    for producer in specs:
        produced = {t.name for t in producer.targets}
        for consumer in specs:
            if consumer.name != producer.name and produced & {s.name for s in consumer.sources}:
                consumers[producer.name].add(consumer.name)
    return consumers


def affected(changed: Iterable[str], specs: list[WorkflowSpec]) -> list[str]:
    """Workflows to test for a set of changed paths (relative, forward slashes)."""
    names = [spec.name for spec in specs]
    paths = [path.strip() for path in changed if path.strip()]
    if any(p.startswith(SHARED_PREFIXES) or p in SHARED_FILES for p in paths):
        return sorted(names)
    hit = {
        p.split("/")[1] for p in paths if p.startswith(("dev/", "scripts/")) and p.count("/") >= 2
    } & set(names)
    consumers = downstream(specs)
    todo = list(hit)
    while todo:
        for consumer in consumers[todo.pop()]:
            if consumer not in hit:
                hit.add(consumer)
                todo.append(consumer)
    return sorted(hit)


def changed_files(base: str, root: Path = ROOT) -> list[str]:
    """Paths changed between base and HEAD (merge-base diff, as a PR shows them)."""
    result = subprocess.run(
        ["git", "diff", "--name-only", f"{base}...HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git diff against {base!r} failed: {result.stderr.strip()}")
    return result.stdout.splitlines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changed-since", metavar="REF", help="select only affected workflows")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        specs = [load_spec(name, args.root) for name in discover_workflows(args.root)]
    except SpecError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.changed_since:
        try:
            selected = affected(changed_files(args.changed_since, args.root), specs)
        except RuntimeError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    else:
        selected = [spec.name for spec in specs]
    print(json.dumps(selected))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
