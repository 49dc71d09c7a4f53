"""Scaffold a new workflow from the templates: `python -m dev.shared.scaffold <name> [options]`.

Creates dev/<name>/ with the seed's layout (main script, workflow.yaml, testing/ with unit,
edge-case, integration and performance tests and samples, debugging/, validation/), the plan
checklists/workflow_plans/<name>_plan.md and an entry in the development checklist. The new
workflow passes all its stages untouched. A bad name is refused with one line and nothing is
written. `nox -s new -- <name>` and dev/shared/create_new_workflow.sh call this module.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2

from dev.shared.noxkit import NAME_RE, RESERVED, ROOT
from dev.shared.workflow_spec import WorkflowSpec, load_spec, parse_spec

TEMPLATES = Path(__file__).resolve().parent / "workflow_templates"
TEMPLATE_VERSION = "1"
CHECKLIST = Path("checklists") / "workflow_development_checklist.md"
# template -> destination; {name} is the workflow's name; None means an empty file
LAYOUT: dict[str, str | None] = {
    "dev/{name}/__init__.py": None,
    "dev/{name}/{name}.py": "new_workflow_template.py.j2",
    "dev/{name}/workflow.yaml": "workflow.yaml.j2",
    "dev/{name}/testing/__init__.py": None,
    "dev/{name}/testing/test_{name}.py": "test_template.py.j2",
    "dev/{name}/testing/test_edge_cases_{name}.py": "test_edge_cases_template.py.j2",
    "dev/{name}/testing/test_integration_{name}.py": "test_integration_template.py.j2",
    "dev/{name}/testing/test_performance_{name}.py": "test_performance_template.py.j2",
    "dev/{name}/testing/test_data_samples/sample_database_data.csv": "samples/sample_database_data.csv",
    "dev/{name}/testing/test_data_samples/sample_api_response.json": "samples/sample_api_response.json",
    "dev/{name}/testing/test_data_samples/mock_configurations.yaml": "samples/mock_configurations.yaml.j2",
    "dev/{name}/debugging/debug_rules.py": "debug_template.py.j2",
    "dev/{name}/debugging/profile_performance.py": "profile_template.py.j2",
    "dev/{name}/validation/validate_data_quality.py": "validation_template.py.j2",
    "dev/{name}/validation/validate_business_rules.py": "validate_business_rules.py.j2",
    "dev/{name}/validation/validate_schema_changes.py": "validate_schema_changes.py.j2",
    "dev/{name}/validation/check_requirements.py": "check_requirements.py.j2",
    "checklists/workflow_plans/{name}_plan.md": "plan_template.md.j2",
}


class ScaffoldError(Exception):
    """The workflow cannot be created; one line says why. Nothing was written."""


@dataclass(frozen=True)
class Options:
    owner: str = "data-team"
    cron: str = "0 2 * * *"
    timezone: str = "UTC"
    namespace: str = "company.data"
    description: str = ""


def check_name(raw: str, root: Path = ROOT, *, kebab: bool = False) -> str:
    """The workflow name, or ScaffoldError naming what is wrong with it."""
    name = raw.strip()
    if not name:
        raise ScaffoldError(
            "the workflow name is empty: give a snake_case name such as order_staging"
        )
    if not name.isascii():
        raise ScaffoldError(f"{raw!r} has non-ASCII characters: use a-z, 0-9 and _")
    if "/" in name or "\\" in name or ".." in name or name.startswith("."):
        raise ScaffoldError(f"{raw!r} is a path: give a bare name; it becomes dev/<name>/")
    if kebab:
        name = name.replace("-", "_")
    if not NAME_RE.match(name):
        raise ScaffoldError(
            f"{raw!r} is not a snake_case identifier (lower-case letters, "
            "digits and _, starting with a letter)"
        )
    if name in RESERVED:
        raise ScaffoldError(f"{name!r} is a reserved name: choose another")
    for folder in (root / "dev" / name, root / "scripts" / name):
        if folder.exists():
            raise ScaffoldError(
                f"{name!r} already exists ({folder.relative_to(root)}): choose another name"
            )
    return name


def req_prefix(name: str) -> str:
    """Short upper-case code for rule and requirement ids: order_staging -> OS."""
    parts = [p for p in name.split("_") if p]
    code = "".join(p[0] for p in parts) if len(parts) > 1 else parts[0][:3]
    return re.sub(r"[^A-Z0-9]", "", code.upper())[:4] or "WF"


def mermaid_dataflow(spec: WorkflowSpec) -> str:
    """A Mermaid flowchart of sources -> workflow -> targets, from workflow.yaml."""
    shapes = {"table": ('[("', '")]'), "files": ('[/"', '"/]'), "api": ('(["', '"])')}
    lines = ["```mermaid", "flowchart LR", f'  wf["{spec.name}<br/>{spec.main}"]']
    for role, datasets in (("src", spec.sources), ("dst", spec.targets)):
        for index, data in enumerate(datasets):
            left, right = shapes[data.kind]
            lines.append(f"  {role}{index}{left}{data.name}{right}")
            lines.append(f"  {role}{index} --> wf" if role == "src" else f"  wf --> {role}{index}")
    lines.append("```")
    return "\n".join(lines)


def refresh_dataflow(workflow: str, root: Path = ROOT) -> bool:
    """Re-render the plan's data-flow diagram from workflow.yaml; True when it changed."""
    plan = root / "checklists" / "workflow_plans" / f"{workflow}_plan.md"
    if not plan.exists():
        return False
    text = plan.read_text(encoding="utf-8")
    diagram = mermaid_dataflow(load_spec(workflow, root))
    new = re.sub(
        r"(<!-- dataflow:begin -->\n).*?(\n<!-- dataflow:end -->)",
        lambda m: m.group(1) + diagram + m.group(2),
        text,
        flags=re.DOTALL,
    )
    if new != text:
        plan.write_text(new, encoding="utf-8")
    return new != text


def render(name: str, options: Options, created: dt.date) -> dict[str, str | bytes]:
    """Every file of the new workflow, rendered in memory (relative path -> content)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    prefix = req_prefix(name)
    context = {
        "name": name,
        "title": name.replace("_", " ").capitalize(),
        "owner": options.owner,
        "cron": options.cron,
        "timezone": options.timezone,
        "namespace": options.namespace,
        "description": options.description
        or f"Load and check {name.replace('_', ' ')} "
        "records into typed tables, keeping every reject.",
        "created": created.isoformat(),
        "template_version": TEMPLATE_VERSION,
        "req_prefix": prefix,
        "req_id": lambda n: f"REQ-{prefix}-{n:03d}",
    }
    files: dict[str, str | bytes] = {}
    for dest, template in LAYOUT.items():
        path = dest.format(name=name)
        if template is None:
            files[path] = ""
        elif template.endswith(".j2"):
            if template == "plan_template.md.j2":
                continue
            files[path] = env.get_template(template).render(**context)
        else:
            files[path] = (TEMPLATES / template).read_bytes()
    spec = parse_spec(str(files[f"dev/{name}/workflow.yaml"]), f"dev/{name}/workflow.yaml")
    files[f"checklists/workflow_plans/{name}_plan.md"] = env.get_template(
        "plan_template.md.j2"
    ).render(**context, dataflow=mermaid_dataflow(spec))
    return files


def checklist_entry(name: str) -> str:
    return (
        f"\n## {name}\n\n"
        f"- [ ] Plan filled in: `checklists/workflow_plans/{name}_plan.md` (goals, REQ ids, "
        "rules, rollback)\n"
        f"- [ ] Main script does the real job: `nox -s run -- {name}`\n"
        f"- [ ] All stages pass: `nox -s test -- {name}`\n"
        f"- [ ] Every gate passes: `nox -s gates -- {name}` (ticks the block below)\n"
        f"- [ ] Promoted: `nox -s promote -- {name}`; deployed: `nox -s deploy -- {name}`\n"
    )


def create(
    name: str,
    options: Options = Options(),
    root: Path = ROOT,
    *,
    kebab: bool = False,
    today: dt.date | None = None,
) -> list[Path]:
    """Write the new workflow; on any failure remove what was written and re-raise."""
    name = check_name(name, root, kebab=kebab)
    files = render(name, options, today or dt.date.today())
    written: list[Path] = []
    try:
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
            written.append(path)
        checklist = root / CHECKLIST
        if checklist.exists():
            with checklist.open("a", encoding="utf-8") as handle:
                handle.write(checklist_entry(name))
    except BaseException:
        shutil.rmtree(root / "dev" / name, ignore_errors=True)
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="create_new_workflow", description=__doc__.split("\n")[0])
    parser.add_argument("name")
    parser.add_argument("--owner", default=Options.owner)
    parser.add_argument("--schedule", default=Options.cron, help="cron, e.g. '0 */4 * * *'")
    parser.add_argument("--timezone", default=Options.timezone)
    parser.add_argument("--namespace", default=Options.namespace, help="Kestra namespace")
    parser.add_argument("--description", default="")
    parser.add_argument("--kebab", action="store_true", help="accept kebab-case and convert it")
    args = parser.parse_args(argv)
    options = Options(args.owner, args.schedule, args.timezone, args.namespace, args.description)
    try:
        written = create(args.name, options, kebab=args.kebab)
    except ScaffoldError as exc:
        print(f"create_new_workflow: {exc}", file=sys.stderr)
        return 2
    name = written[0].parent.name
    print(
        f"created {len(written)} files for {name} in dev/{name}/ and "
        f"checklists/workflow_plans/{name}_plan.md. Next:"
    )
    print(f"  nox -s test -- {name}      # every stage passes as generated")
    print(f"  nox -s run -- {name}       # run it on the samples (SQLite)")
    print(f"  edit dev/{name}/{name}.py, then: nox -s gates -- {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
