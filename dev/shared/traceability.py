"""Requirement traceability: every REQ id in a workflow's plan must have a passing test.

Tests carry ``@pytest.mark.requirement("REQ-OS-001")``; the pytest plugin records the id as a
JUnit property, and the stages write JUnit files to reports/<wf>/. This module reads both ends::

    python -c "from dev.shared.traceability import main; main(['order_staging'])"
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from dev.shared.noxkit import REPORTS, ROOT

REQ_RE = re.compile(r"\bREQ-[A-Z0-9]+-\d{3,}\b")


@dataclass
class Trace:
    """Which tests cover a requirement and how they ended."""

    req_id: str
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.passed) and not self.failed


def plan_path(workflow: str, root: Path = ROOT) -> Path:
    return root / "checklists" / "workflow_plans" / f"{workflow}_plan.md"


def plan_requirements(workflow: str, root: Path = ROOT) -> list[str]:
    """REQ ids declared in the plan, in order of first appearance."""
    path = plan_path(workflow, root)
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing plan (create it from the template)")
    return list(dict.fromkeys(REQ_RE.findall(path.read_text(encoding="utf-8"))))


def junit_traces(reports: Path) -> dict[str, Trace]:
    """Requirement -> tests, from every JUnit file in a workflow's reports folder."""
    traces: dict[str, Trace] = defaultdict(lambda: Trace(""))
    for junit in sorted(reports.glob("*.xml")):
        for case in ET.parse(junit).getroot().iter("testcase"):
            reqs = [
                p.get("value", "") for p in case.iter("property") if p.get("name") == "requirement"
            ]
            name = f"{case.get('classname')}::{case.get('name')}"
            bad = case.find("failure") is not None or case.find("error") is not None
            skipped = case.find("skipped") is not None
            for req in reqs:
                trace = traces[req]
                trace.req_id = req
                if bad:
                    trace.failed.append(name)
                elif not skipped:
                    trace.passed.append(name)
    return dict(traces)


def check_requirements(workflow: str, root: Path = ROOT, reports: Path | None = None) -> int:
    """Print a traceability table; 0 when every plan requirement has only passing tests."""
    folder = reports or REPORTS / workflow
    try:
        wanted = plan_requirements(workflow, root)
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if not wanted:
        print(f"{plan_path(workflow, root)}: no REQ-<AREA>-<NNN> ids found", file=sys.stderr)
        return 1
    if not list(folder.glob("*.xml")):
        print(
            f"{folder}: no test results; run `nox -s unit -- {workflow}` and "
            f"`nox -s integration -- {workflow}` first",
            file=sys.stderr,
        )
        return 1
    traces = junit_traces(folder)
    missing = 0
    for req in wanted:
        trace = traces.get(req, Trace(req))
        state = "ok" if trace.ok else ("FAILING" if trace.failed else "NO TEST")
        missing += not trace.ok
        print(
            f"{req:<16} {state:<8} {len(trace.passed):>3} passing  "
            f"{(trace.failed or trace.passed or ['-'])[0]}"
        )
    print(f"{workflow}: {len(wanted) - missing}/{len(wanted)} requirements traced to passing tests")
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m dev.shared.traceability <workflow>", file=sys.stderr)
        return 2
    return check_requirements(args[0])


if __name__ == "__main__":
    raise SystemExit(main())
