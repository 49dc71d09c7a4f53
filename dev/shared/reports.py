"""Gate outputs (terminal table, gates.json, gates.html, ticked checklists) and the dashboard.

The plan and the development checklist carry a block per workflow between
``<!-- gates:<wf>:begin -->`` and ``<!-- gates:<wf>:end -->``; only the gates session writes
inside it, ticking a box only for a gate that passed with evidence.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

import jinja2
from rich.console import Console
from rich.table import Table

from dev.shared import promotion, traceability
from dev.shared.gates import GateReport
from dev.shared.noxkit import REPORTS, ROOT, discover_workflows
from dev.shared.workflow_spec import SpecError, load_spec

CHECKLIST = "checklists/workflow_development_checklist.md"
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "workflow_templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def print_gate_table(report: GateReport, console: Console | None = None) -> None:
    table = Table(title=f"quality gates: {report.workflow}", show_lines=False)
    table.add_column("gate")
    table.add_column("result")
    table.add_column("evidence", overflow="fold")
    for result in report.results:
        verdict = "[green]pass[/]" if result.passed else "[red]FAIL[/]"
        detail = "; ".join(result.details[:3]) if not result.passed and result.details else ""
        table.add_row(result.name, verdict, result.evidence + (f"\n{detail}" if detail else ""))
    (console or Console()).print(table)


def write_gate_outputs(report: GateReport, reports: Path = REPORTS) -> tuple[Path, Path]:
    """reports/<wf>/gates.json, gates.html and gates.md (the CI job summary)."""
    out = reports / report.workflow
    out.mkdir(parents=True, exist_ok=True)
    (out / "gates.json").write_text(report.to_json(), encoding="utf-8")
    page = _TEMPLATES.get_template("gates.html.j2").render(report=report)
    (out / "gates.html").write_text(page, encoding="utf-8")
    (out / "gates.md").write_text(gate_markdown(report), encoding="utf-8")
    with (reports / "gates_history.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(
            json.dumps(
                {
                    "workflow": report.workflow,
                    "at": report.generated_at,
                    "passed": report.passed,
                    "gates": report.summary(),
                }
            )
            + "\n"
        )
    return out / "gates.json", out / "gates.html"


def gate_markdown(report: GateReport) -> str:
    lines = [
        f"### Quality gates: {report.workflow} ({'pass' if report.passed else 'FAIL'})",
        "",
        "| gate | result | evidence |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r.name} | {'pass' if r.passed else '**FAIL**'} | {r.evidence.replace('|', '/')} |"
        for r in report.results
    ]
    return "\n".join(lines) + "\n"


def checkbox_block(report: GateReport) -> str:
    lines = [
        f"<!-- gates:{report.workflow}:begin -->",
        (
            f"_Written by `nox -s gates -- {report.workflow}` at {report.generated_at[:19]}Z "
            f"(commit {report.commit}); ticked only with evidence._"
        ),
        "",
    ]
    lines += [f"- [{'x' if r.passed else ' '}] **{r.name}**: {r.evidence}" for r in report.results]
    lines.append(f"<!-- gates:{report.workflow}:end -->")
    return "\n".join(lines)


def replace_block(text: str, workflow: str, block: str, heading: str) -> str:
    """Replace the workflow's marked block, or append it under a heading."""
    pattern = re.compile(
        rf"<!-- gates:{re.escape(workflow)}:begin -->.*?"
        rf"<!-- gates:{re.escape(workflow)}:end -->",
        re.DOTALL,
    )
    if pattern.search(text):
        return pattern.sub(lambda _: block, text)
    return text.rstrip("\n") + f"\n\n{heading}\n\n{block}\n"


def update_markers(report: GateReport, root: Path = ROOT) -> list[Path]:
    """Tick the plan's and the development checklist's gate boxes from the report."""
    block = checkbox_block(report)
    touched = []
    plan = traceability.plan_path(report.workflow, root)
    checklist = root / CHECKLIST
    for path, heading in (
        (plan, "## Quality gates"),
        (checklist, f"## {report.workflow}: quality gates"),
    ):
        if path.exists():
            path.write_text(
                replace_block(path.read_text(encoding="utf-8"), report.workflow, block, heading),
                encoding="utf-8",
            )
            touched.append(path)
    return touched


def _svg_line(points: list[float], width: int = 240, height: int = 60) -> str:
    """A small inline SVG line chart (no plotting dependency)."""
    if not points:
        return "<em>no data yet</em>"
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    step = width / max(len(points) - 1, 1)
    coords = " ".join(
        f"{i * step:.1f},{height - 4 - (v - low) / span * (height - 8):.1f}"
        for i, v in enumerate(points)
    )
    return (
        f'<svg width="{width}" height="{height}" role="img"><polyline fill="none" '
        f'stroke="#2563eb" stroke-width="2" points="{coords}"/></svg> '
        f"{html.escape(f'{points[-1]:.4g}')}"
    )


def success_metrics(history: list[dict[str, Any]], workflow: str) -> dict[str, Any]:
    """The seed's success metrics for one workflow, from the promotion history."""
    mine = [h for h in history if h.get("workflow") == workflow]
    promotions = [h for h in mine if h.get("action") == "promote" and h.get("ok")]
    deploys = [h for h in mine if h.get("action") == "deploy"]
    rollbacks = [h for h in mine if h.get("action") == "rollback"]
    recover = []
    for rb in rollbacks:
        later = [p for p in promotions if p["at"] > rb["at"]]
        if later:
            delta = dt.datetime.fromisoformat(later[0]["at"]) - dt.datetime.fromisoformat(rb["at"])
            recover.append(delta.total_seconds() / 3600)
    days_to_first = None
    try:
        created = load_spec(workflow).created
    except SpecError:
        created = None
    if created and promotions:
        first = dt.datetime.fromisoformat(promotions[0]["at"]).date()
        days_to_first = (first - created).days
    return {
        "days_to_first_promotion": days_to_first,
        "promotions": len(promotions),
        "deployments_ok": sum(bool(d.get("ok")) for d in deploys),
        "deployments_failed": sum(not d.get("ok") for d in deploys),
        "rollbacks": len(rollbacks),
        "hours_to_recover": round(sum(recover) / len(recover), 2) if recover else None,
    }


def render_dashboard(root: Path = ROOT, reports: Path = REPORTS) -> Path:
    """reports/dashboard.html: gate matrix, trends, promotion history, success metrics."""
    workflows = discover_workflows(root)
    history = promotion.read_history(root)
    gates = {}
    for wf in workflows:
        path = reports / wf / "gates.json"
        gates[wf] = json.loads(path.read_text()) if path.exists() else None
    gate_names = sorted({g["name"] for data in gates.values() if data for g in data["gates"]})
    trends = {}
    for wf in workflows:
        runs = _history_lines(reports / "gates_history.jsonl", wf)
        coverage = [
            float(h["coverage"]) for h in history if h.get("workflow") == wf and "coverage" in h
        ]
        trends[wf] = {
            "gates_passed": _svg_line(
                [sum(v == "pass" for v in r["gates"].values()) for r in runs]
            ),
            "coverage": _svg_line(coverage or _coverage_now(reports, wf)),
            "performance": _svg_line(_perf_points(history, reports, wf)),
        }
    page = _TEMPLATES.get_template("dashboard.html.j2").render(
        workflows=workflows,
        gates=gates,
        gate_names=gate_names,
        trends=trends,
        history=list(reversed(history))[:50],
        metrics={wf: success_metrics(history, wf) for wf in workflows},
        generated_at=dt.datetime.now(dt.UTC).isoformat()[:19],
    )
    reports.mkdir(parents=True, exist_ok=True)
    out = reports / "dashboard.html"
    out.write_text(page, encoding="utf-8")
    return out


def _history_lines(path: Path, workflow: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [line for line in lines if line.get("workflow") == workflow]


def _coverage_now(reports: Path, workflow: str) -> list[float]:
    path = reports / workflow / "coverage.json"
    return (
        [float(json.loads(path.read_text())["totals"]["percent_covered"])] if path.exists() else []
    )


def _perf_points(history: list[dict[str, Any]], reports: Path, workflow: str) -> list[float]:
    points = [
        float(h["throughput"])
        for h in history
        if h.get("workflow") == workflow and h.get("throughput")
    ]
    path = reports / workflow / "performance.json"
    if path.exists():
        measured = json.loads(path.read_text()).get("measured", {})
        points += [float(v) for k, v in measured.items() if k.endswith("per_second")][:1]
    return points
