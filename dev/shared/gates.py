"""Quality gates (DESIGN.md section 7): each yields pass/fail plus evidence, never a default pass.

Inputs are what the stages leave in reports/<wf>/ (JUnit files, coverage.json, stage results,
performance.json) plus the code, the plan and the rendered Kestra flow. A gate whose input is
missing fails and says which command produces it.

    report = evaluate("order_staging")
    report.passed, report.results[0].evidence
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dev.shared import kestra, traceability
from dev.shared.noxkit import REPORTS, ROOT
from dev.shared.workflow_spec import SpecError, WorkflowSpec, load_spec

DB_MODULES = frozenset(
    {
        "sqlalchemy",
        "psycopg",
        "psycopg2",
        "pymysql",
        "sqlite3",
        "pyodbc",
        "MySQLdb",
        "pandas.io.sql",
    }
)
SECRET_NAME = re.compile(r"(password|passwd|secret|token|api_key|apikey)", re.IGNORECASE)
SECRET_PATTERNS = (
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("AWS access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("JWT / Monday token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.")),
    ("password in a URL", re.compile(r"://[^/\s:@'\"]+:[^@\s'\"{}*]{3,}@")),
    (
        "secret assignment",
        re.compile(
            r"(?i)\b\w*(password|passwd|secret|api_?key|token)\w*\s*[:=]\s*['\"][^'\"\s{]{8,}['\"]"
        ),
    ),
)
WORKFLOW_CODE_SKIP = frozenset({"testing", "debugging", "validation", "__pycache__"})


@dataclass
class GateResult:
    """One gate: its verdict and the evidence for it (numbers, file:line, failing tests)."""

    name: str
    passed: bool
    evidence: str
    details: list[str] = field(default_factory=list)


@dataclass
class GateReport:
    workflow: str
    results: list[GateResult]
    generated_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())
    commit: str = ""

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    def to_json(self) -> str:
        return json.dumps(
            {
                "workflow": self.workflow,
                "passed": self.passed,
                "generated_at": self.generated_at,
                "commit": self.commit,
                "gates": [asdict(r) for r in self.results],
            },
            indent=2,
        )

    def summary(self) -> dict[str, str]:
        return {r.name: ("pass" if r.passed else "FAIL") for r in self.results}


@dataclass
class _Context:
    spec: WorkflowSpec
    root: Path
    reports: Path
    min_perf_scale: float

    @property
    def folder(self) -> Path:
        return self.root / "dev" / self.spec.name

    def code_files(self) -> list[Path]:
        """The workflow's production code: everything but tests, debugging and validation."""
        return sorted(
            p
            for p in self.folder.rglob("*.py")
            if not WORKFLOW_CODE_SKIP & set(p.relative_to(self.folder).parts)
        )


def _junit(path: Path) -> tuple[int, list[str], list[str]]:
    """(tests run, passed test ids, failed test ids) of a JUnit file."""
    passed, failed, total = [], [], 0
    for case in ET.parse(path).getroot().iter("testcase"):
        total += 1
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is None:
            passed.append(name)
    return total, passed, failed


def _missing(ctx: _Context, name: str, produced_by: str) -> GateResult | None:
    path = ctx.reports / name
    if path.exists():
        return None
    return GateResult("", False, f"{path.relative_to(ctx.root)} missing: run `{produced_by}`")


def gate_tests(ctx: _Context, stage: str) -> GateResult:
    name = f"{stage}_tests"
    missing = _missing(ctx, f"{stage}.xml", f"nox -s {stage} -- {ctx.spec.name}")
    if missing:
        missing.name = name
        return missing
    total, passed, failed = _junit(ctx.reports / f"{stage}.xml")
    if failed or not passed:
        return GateResult(
            name,
            False,
            f"{len(failed)} of {total} failed" if failed else "no test passed",
            failed[:10],
        )
    return GateResult(name, True, f"{len(passed)} passed, {total - len(passed)} skipped")


def gate_integration_database(ctx: _Context) -> GateResult:
    name = "integration_real_database"
    missing = _missing(ctx, "integration.xml", f"nox -s integration -- {ctx.spec.name}")
    if missing:
        missing.name = name
        return missing
    _, passed, _ = _junit(ctx.reports / "integration.xml")
    per = {
        b: sum(f"[{b}" in t or f"-{b}" in t for t in passed)
        for b in ("sqlite", "postgresql", "mariadb")
    }
    evidence = ", ".join(f"{b} {n}" for b, n in per.items())
    ok = per["postgresql"] > 0 or per["mariadb"] > 0
    return GateResult(
        name,
        ok,
        f"passing integration tests per backend: {evidence}"
        + ("" if ok else " (set DATABASE_URL / MARIADB_URL to a server)"),
    )


def gate_coverage(ctx: _Context) -> GateResult:
    missing = _missing(ctx, "coverage.json", f"nox -s unit -- {ctx.spec.name}")
    if missing:
        missing.name = "branch_coverage"
        return missing
    data = json.loads((ctx.reports / "coverage.json").read_text())
    totals = data["totals"]
    percent = float(totals["percent_covered"])
    threshold = ctx.spec.coverage_threshold
    worst = sorted(
        ((f["summary"]["percent_covered"], name) for name, f in data["files"].items()),
        key=lambda item: item[0],
    )[:3]
    details = [f"{name}: {pct:.1f}%" for pct, name in worst]
    evidence = (
        f"{percent:.1f}% of lines and branches ({totals['covered_branches']}/"
        f"{totals['num_branches']} branches) against a threshold of {threshold:.0f}%"
    )
    return GateResult("branch_coverage", percent >= threshold, evidence, details)


def gate_except_branches(ctx: _Context) -> GateResult:
    missing = _missing(ctx, "coverage.json", f"nox -s unit -- {ctx.spec.name}")
    if missing:
        missing.name = "except_branches_tested"
        return missing
    files = json.loads((ctx.reports / "coverage.json").read_text())["files"]
    executed = {
        str((ctx.root / name).resolve()): set(f["executed_lines"]) for name, f in files.items()
    }
    untested, total = [], 0
    for path in ctx.code_files():
        for handler in _handlers(path):
            total += 1
            if handler.body[0].lineno not in executed.get(str(path.resolve()), set()):
                untested.append(f"{path.relative_to(ctx.root)}:{handler.lineno}")
    return GateResult(
        "except_branches_tested",
        not untested,
        f"{total - len(untested)}/{total} except branches exercised by tests",
        untested,
    )


def _handlers(path: Path) -> Iterator[ast.ExceptHandler]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ExceptHandler):
            yield node


def gate_patterns(ctx: _Context) -> GateResult:
    problems: list[str] = []
    for path in ctx.code_files():
        problems += [
            f"{path.relative_to(ctx.root)}:{line}: {why}"
            for line, why in pattern_problems(path.read_text(encoding="utf-8"))
        ]
    return GateResult(
        "code_patterns",
        not problems,
        f"{len(ctx.code_files())} files checked: database via db_helper, config via "
        f"shared.config, no print, no bare except, no secrets in code; "
        f"{len(problems)} problem(s)",
        problems[:20],
    )


def pattern_problems(source: str) -> list[tuple[int, str]]:
    """(line, rule) for every pattern violation in a module's source."""
    problems: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            if any(n.split(".")[0] in DB_MODULES or n in DB_MODULES for n in names):
                problems.append((node.lineno, "database access outside shared.db_helper"))
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ("environ", "getenv")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            problems.append((node.lineno, "configuration outside shared.config (os.environ)"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
        ):
            problems.append((node.lineno, "print in workflow code (use shared.log_helper)"))
        elif isinstance(node, ast.ExceptHandler) and node.type is None:
            problems.append((node.lineno, "bare except"))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            problems += _secret_assignment(node)
    return problems


def _secret_assignment(node: ast.Assign | ast.AnnAssign) -> list[tuple[int, str]]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    value = node.value
    if (
        any(SECRET_NAME.search(n) for n in names)
        and isinstance(value, ast.Constant)
        and isinstance(value.value, str)
        and len(value.value) >= 8
    ):
        return [(node.lineno, "secret value in code (read it with cfg.secret(NAME))")]
    return []


def gate_logging(ctx: _Context) -> GateResult:
    main = ctx.folder / ctx.spec.main
    if not main.exists():
        return GateResult("structured_logging", False, f"{main.relative_to(ctx.root)} missing")
    tree = ast.parse(main.read_text(encoding="utf-8"))
    imports = {
        a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and (n.module or "").endswith("log_helper")
        for a in n.names
    }
    calls = {
        n.func.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    }
    wanted = {
        "configure_logging": "configure_logging" in imports,
        "RunSummary": "RunSummary" in imports,
        "summary.emit()": "emit" in calls,
    }
    missing = [k for k, ok in wanted.items() if not ok]
    return GateResult(
        "structured_logging",
        not missing,
        "main script configures shared.log_helper and emits a RunSummary"
        if not missing
        else f"main script lacks {', '.join(missing)}",
    )


def gate_performance(ctx: _Context) -> GateResult:
    missing = _missing(ctx, "performance.json", f"nox -s performance -- {ctx.spec.name}")
    if missing:
        missing.name = "performance_budget"
        return missing
    data = json.loads((ctx.reports / "performance.json").read_text())
    checks = data.get("checks", [])
    if not checks:
        return GateResult("performance_budget", False, "no budget declared in workflow.yaml")
    shown = [f"{c['metric']}={c['value']:.4g} (min {c['min']}, max {c['max']})" for c in checks]
    if float(data["scale"]) < ctx.min_perf_scale:
        return GateResult(
            "performance_budget",
            False,
            f"measured at scale {data['scale']} only; budgets hold at scale "
            f"{ctx.min_perf_scale}: run `nox -s performance -- {ctx.spec.name}`",
            shown,
        )
    failed = [s for s, c in zip(shown, checks, strict=True) if not c["passed"]]
    return GateResult(
        "performance_budget",
        not failed,
        f"at scale {data['scale']}: " + "; ".join(failed or shown),
        shown,
    )


def gate_validation(ctx: _Context) -> GateResult:
    missing = _missing(ctx, "stage_validation.json", f"nox -s validation -- {ctx.spec.name}")
    if missing:
        missing.name = "validation_scripts"
        return missing
    data = json.loads((ctx.reports / "stage_validation.json").read_text())
    scripts = sorted(p.name for p in (ctx.folder / "validation").glob("*.py"))
    return GateResult(
        "validation_scripts",
        data["exit_code"] == 0,
        f"{len(scripts)} scripts, exit code {data['exit_code']}",
        scripts,
    )


def gate_requirements(ctx: _Context) -> GateResult:
    try:
        wanted = traceability.plan_requirements(ctx.spec.name, ctx.root)
    except FileNotFoundError as exc:
        return GateResult("requirements_traced", False, str(exc))
    traces = traceability.junit_traces(ctx.reports)
    untraced = [r for r in wanted if not traces.get(r, traceability.Trace(r)).ok]
    ok = bool(wanted) and not untraced
    return GateResult(
        "requirements_traced",
        ok,
        f"{len(wanted) - len(untraced)}/{len(wanted)} plan requirements have passing tests",
        untraced,
    )


def gate_data_quality_declared(ctx: _Context) -> GateResult:
    script = ctx.folder / "validation" / "validate_data_quality.py"
    tables = [t.name for t in ctx.spec.targets if t.kind == "table"]
    text = script.read_text(encoding="utf-8") if script.exists() else ""
    undeclared = [t for t in tables if t not in text]
    return GateResult(
        "data_quality_declared",
        bool(text) and bool(tables) and not undeclared,
        f"{len(tables) - len(undeclared)}/{len(tables)} target tables have "
        f"checks in validation/validate_data_quality.py",
        undeclared,
    )


def gate_rollback_section(ctx: _Context) -> GateResult:
    plan = traceability.plan_path(ctx.spec.name, ctx.root)
    text = plan.read_text(encoding="utf-8") if plan.exists() else ""
    match = re.search(r"(?im)^#+ .*rollback.*$\n(?P<body>(?:(?!^#).*\n?)*)", text)
    body = match.group("body").strip() if match else ""
    return GateResult(
        "rollback_procedure",
        len(body) >= 40,
        "plan has a rollback section"
        if len(body) >= 40
        else f"{plan.relative_to(ctx.root)}: add a '## Rollback procedure' section",
    )


def gate_monitoring(ctx: _Context) -> GateResult:
    problems = kestra.validate_flow(kestra.render_flow(ctx.spec), ctx.spec.name)
    return GateResult(
        "monitoring_configured",
        not problems,
        "rendered flow has retries, a timeout, a schedule and a failure alert"
        if not problems
        else "rendered Kestra flow has problems",
        problems,
    )


def gate_no_secrets(ctx: _Context) -> GateResult:
    hits = scan_for_secrets([p for p in ctx.folder.rglob("*") if p.is_file()], ctx.root)
    hits += [f"rendered flow: {why}" for _, why in secret_hits(kestra.render_flow(ctx.spec))]
    return GateResult(
        "no_secrets",
        not hits,
        f"{len(hits)} secret-looking value(s) in dev/{ctx.spec.name}/ and its flow",
        hits[:20],
    )


ALLOW_LINE = "secret-scan: allow"  # on a line holding a deliberate fake (tests, sandboxes)
ALLOW_FILE = "secret-scan: allow-file"  # in the first lines of a file of planted fakes


def secret_hits(text: str) -> list[tuple[int, str]]:
    """(line, kind) of every secret-looking value in a text, bar lines marked as known fakes."""
    lines = text.splitlines()
    if any(ALLOW_FILE in line for line in lines[:5]):
        return []
    return [
        (number, kind)
        for number, line in enumerate(lines, 1)
        if ALLOW_LINE not in line
        for kind, pattern in SECRET_PATTERNS
        if pattern.search(line)
    ]


def scan_for_secrets(paths: list[Path], root: Path) -> list[str]:
    hits = []
    for path in paths:
        if "__pycache__" in path.parts or "logs" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        hits += [f"{path.relative_to(root)}:{line}: {kind}" for line, kind in secret_hits(text)]
    return hits


def gate_unit_tests(ctx: _Context) -> GateResult:
    return gate_tests(ctx, "unit")


def gate_integration_tests(ctx: _Context) -> GateResult:
    return gate_tests(ctx, "integration")


GATES: list[Callable[[_Context], GateResult]] = [
    gate_unit_tests,
    gate_coverage,
    gate_except_branches,
    gate_integration_tests,
    gate_integration_database,
    gate_patterns,
    gate_logging,
    gate_performance,
    gate_validation,
    gate_requirements,
    gate_data_quality_declared,
    gate_rollback_section,
    gate_monitoring,
    gate_no_secrets,
]


def evaluate(
    workflow: str, *, root: Path = ROOT, reports: Path | None = None, min_perf_scale: float = 1.0
) -> GateReport:
    """Evaluate every gate for a workflow from its code, plan and stage reports."""
    try:
        spec = load_spec(workflow, root)
    except SpecError as exc:
        return GateReport(workflow, [GateResult("workflow_spec", False, str(exc))])
    ctx = _Context(spec, root, reports or REPORTS / workflow, min_perf_scale)
    results = []
    for gate in GATES:
        try:
            results.append(gate(ctx))
        except (OSError, ValueError, KeyError, SyntaxError, ET.ParseError) as exc:
            results.append(
                GateResult(
                    getattr(gate, "__name__", "gate"),
                    False,
                    f"could not be evaluated: {type(exc).__name__}: {exc}",
                )
            )
    return GateReport(workflow, results, commit=git_commit(root))


def git_commit(root: Path = ROOT) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else "unknown"
