"""Gates, promotion, rollback, deployment and the dashboard: `python -m dev.shared.cli <command>`.

The nox sessions `gates`, `promote`, `rollback`, `deploy` and `report` call this module; each
exits non-zero with one line naming the problem when it refuses or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable

from dev.shared import gates, promotion, reports
from dev.shared.kestra_deploy import DeployError, KestraClient, deploy
from dev.shared.noxkit import REPORTS, ROOT, STAGES, discover_workflows
from shared.api_client import ApiError


def run_stages(workflow: str) -> None:
    """Run the four stages so the gates judge fresh results (BENCH_SCALE sets the size)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for stage in STAGES:
        print(f"== {workflow}: {stage}", flush=True)
        subprocess.run(
            [sys.executable, "-m", "dev.shared.stages", stage, workflow],
            cwd=ROOT,
            env=env,
            check=False,
        )


def evaluate_gates(workflow: str, *, reuse: bool, min_perf_scale: float) -> gates.GateReport:
    if not reuse:
        run_stages(workflow)
    report = gates.evaluate(workflow, min_perf_scale=min_perf_scale)
    reports.print_gate_table(report)
    json_path, html_path = reports.write_gate_outputs(report)
    reports.update_markers(report)
    print(
        f"{workflow}: gates {'passed' if report.passed else 'FAILED'} "
        f"({json_path.relative_to(ROOT)}, {html_path.relative_to(ROOT)})"
    )
    return report


def cmd_gates(args: argparse.Namespace) -> int:
    results = [
        evaluate_gates(wf, reuse=args.reuse, min_perf_scale=args.min_perf_scale)
        for wf in args.workflows or discover_workflows()
    ]
    return 0 if all(r.passed for r in results) else 1


def _metrics(workflow: str) -> dict[str, float]:
    out: dict[str, float] = {}
    coverage = REPORTS / workflow / "coverage.json"
    if coverage.exists():
        out["coverage"] = float(json.loads(coverage.read_text())["totals"]["percent_covered"])
    perf = REPORTS / workflow / "performance.json"
    if perf.exists():
        measured = json.loads(perf.read_text()).get("measured", {})
        rates = [float(v) for k, v in measured.items() if k.endswith("per_second")]
        if rates:
            out["throughput"] = rates[0]
    return out


def cmd_promote(args: argparse.Namespace) -> int:
    named = bool(args.workflows)
    rows: list[tuple[str, str, str]] = []
    for wf in args.workflows or discover_workflows():
        record = promotion.read_record(promotion.scripts_dir() / wf)
        if not named and record and record.get("source_checksum") == promotion.source_checksum(wf):
            rows.append((wf, "skipped", f"unchanged since version {record['version']}"))
            continue
        report = evaluate_gates(wf, reuse=args.reuse, min_perf_scale=args.min_perf_scale)
        if not report.passed:
            failed = ", ".join(r.name for r in report.results if not r.passed)
            rows.append((wf, "refused" if named else "skipped", f"gates failed: {failed}"))
            continue
        try:
            result = promotion.promote(wf, report)
        except promotion.PromotionError as exc:
            rows.append((wf, "failed", str(exc).splitlines()[0]))
            continue
        history = promotion.read_history()
        history[-1].update(_metrics(wf))
        promotion.history_path().write_text(
            "".join(json.dumps(h, sort_keys=True) + "\n" for h in history)
        )
        rows.append((wf, "promoted", f"version {result.version} in {result.seconds:.1f}s"))
    print(f"\n{'workflow':<28} {'result':<9} why")
    for wf, what, why in rows:
        print(f"{wf:<28} {what:<9} {why}")
    return 1 if any(what in ("refused", "failed") for _, what, _ in rows) else 0


def cmd_rollback(args: argparse.Namespace) -> int:
    for wf in args.workflows:
        result = promotion.rollback(wf)
        print(
            f"{wf}: rolled back to version {result.version} (from {result.previous_version}); "
            f"{len(result.checksums)} files match the version's checksums"
        )
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    client = KestraClient.from_env()
    failed = 0
    for wf in args.workflows or discover_workflows():
        if not (promotion.scripts_dir() / wf).exists():
            print(f"{wf}: not promoted yet: nox -s promote -- {wf}", file=sys.stderr)
            failed += 1
            continue
        damaged = promotion.verify(promotion.scripts_dir() / wf)
        if damaged:
            print(
                f"{wf}: not deployed: scripts/{wf} does not match its promotion record "
                f"({', '.join(damaged[:3])})",
                file=sys.stderr,
            )
            failed += 1
            continue
        try:
            result = deploy(wf, client, execute=args.execute)
        except (DeployError, ApiError) as exc:
            promotion.record_history(
                {"workflow": wf, "action": "deploy", "ok": False, "error": str(exc)[:300]}
            )
            print(f"{wf}: deployment failed: {exc}", file=sys.stderr)
            failed += 1
            continue
        version = (promotion.read_record(promotion.scripts_dir() / wf) or {}).get("version")
        promotion.record_history(
            {
                "workflow": wf,
                "action": "deploy",
                "ok": True,
                "version": version,
                "revision": result.revision,
            }
        )
        print(f"{wf}: {'; '.join(result.steps)}")
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:  # noqa: ARG001  (uniform command signature)
    path = reports.render_dashboard()
    print(f"dashboard written to {path.relative_to(ROOT)}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "gates": cmd_gates,
    "promote": cmd_promote,
    "rollback": cmd_rollback,
    "deploy": cmd_deploy,
    "report": cmd_report,
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m dev.shared.cli", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        cmd = sub.add_parser(name)
        cmd.add_argument("workflows", nargs="*")
        if name in ("gates", "promote"):
            cmd.add_argument(
                "--reuse",
                action="store_true",
                help="judge the existing reports instead of running the stages",
            )
            cmd.add_argument(
                "--min-perf-scale",
                type=float,
                default=1.0,
                help="performance budgets must hold at this scale (default 1)",
            )
        if name == "deploy":
            cmd.add_argument(
                "--execute",
                action="store_true",
                help="start an execution after deploying and wait for its state",
            )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    known = discover_workflows()
    unknown = [wf for wf in args.workflows if wf not in known]
    if unknown:
        print(
            f"unknown workflow {unknown[0]!r}; known workflows: {', '.join(known) or 'none'}",
            file=sys.stderr,
        )
        return 2
    if args.command == "rollback" and not args.workflows:
        print("rollback needs a workflow name: nox -s rollback -- <workflow>", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args)
    except (promotion.PromotionError, DeployError) as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
