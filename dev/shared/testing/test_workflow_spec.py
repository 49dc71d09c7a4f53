"""Tests for dev.shared.workflow_spec: the workflow.yaml model."""

from __future__ import annotations

import pytest

from dev.shared.workflow_spec import Budget, SpecError, load_spec, parse_spec

pytestmark = pytest.mark.unit

MINIMAL = "name: demo\nowner: data-team\ndescription: A demo.\n"


def test_minimal_spec_gets_defaults():
    spec = parse_spec(MINIMAL, "demo/workflow.yaml")
    assert spec.main == "demo.py"
    assert spec.coverage_threshold == 90
    assert spec.kestra.retry.max_attempt == 3
    assert spec.schedule.timezone == "UTC"


def test_full_spec_parses_budgets_and_lineage():
    text = MINIMAL + (
        "main_script: run_demo.py\n"
        "sources: [{name: orders, kind: table}]\ntargets: [{name: schedule}]\n"
        "performance: {scale_rows: 1000, budgets: {rows_per_second: {min: 10}, seconds: {max: 5}}}\n"
    )
    spec = parse_spec(text, "w.yaml")
    assert spec.main == "run_demo.py"
    assert spec.sources[0].name == "orders"
    assert spec.performance.budgets["seconds"].check(4.9)
    assert not spec.performance.budgets["seconds"].check(5.1)
    assert not spec.performance.budgets["rows_per_second"].check(9)


def test_budget_without_bounds_always_passes():
    assert Budget().check(1e12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [\n", "not valid YAML"),
        ("- a\n", "expected a mapping"),
        ("name: demo\n", "field 'owner'"),
        (MINIMAL + "coverage_threshold: 120\n", "field 'coverage_threshold'"),
        (MINIMAL.replace("demo", "Bad-Name", 1), "field 'name'"),
        (MINIMAL.replace("demo", "shared", 1), "reserved"),
        (MINIMAL + "surprise: 1\n", "field 'surprise'"),
    ],
)
def test_bad_spec_names_file_and_field(text, message):
    with pytest.raises(SpecError, match=message) as info:
        parse_spec(text, "dev/demo/workflow.yaml")
    assert str(info.value).startswith("dev/demo/workflow.yaml")


def test_load_spec_checks_folder_name(tmp_path):
    folder = tmp_path / "dev" / "other"
    folder.mkdir(parents=True)
    (folder / "workflow.yaml").write_text(MINIMAL)
    with pytest.raises(SpecError, match="but the folder is 'other'"):
        load_spec("other", root=tmp_path)
    with pytest.raises(SpecError, match="missing"):
        load_spec("nothing", root=tmp_path)
    (folder / "workflow.yaml").write_text(MINIMAL.replace("demo", "other"))
    assert load_spec("other", root=tmp_path).name == "other"
