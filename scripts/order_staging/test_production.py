"""Unit tests of order_staging: parsers, every rule, the row invariant, the run on SQLite.

Self-contained on purpose: promotion copies this file as scripts/order_staging/test_production.py,
so modules are reached through the `workflow` fixture, never through a hard-coded dev. path.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

if __package__ in (None, ""):  # run as a file: the repo root (holding pyproject.toml) first
    sys.path.insert(
        0, str(next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()))
    )

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

CSV_HEADER = (
    "channel,order_id,order_date,customer_id,currency,line_no,sku,quantity,unit_price,"
    "discount_pct,requested_delivery_date,order_total,line_amount"
)
# A valid one-line order: C001 (lead 2 days, Mon-Fri), SKU-1001 at 0.35 EUR, Wednesday delivery.
BASE = {
    "channel": "ecommerce",
    "order_id": "T-1",
    "order_date": "2026-03-02",
    "customer_id": "C001",
    "currency": "EUR",
    "line_no": "1",
    "sku": "SKU-1001",
    "quantity": "10",
    "unit_price": "0.35",
    "discount_pct": "0",
    "requested_delivery_date": "2026-03-04",
    "order_total": "3.50",
    "line_amount": "",
}
FX = {"EUR": 1.0, "USD": 0.93, "GBP": 1.16}


class Package:
    """The workflow's modules, imported from wherever the tested copy lives (dev/ or scripts/)."""

    def __init__(self, package: str) -> None:
        self.package = package

    def __getattr__(self, name: str) -> ModuleType:
        try:
            return importlib.import_module(f"{self.package}.{name}")
        except ModuleNotFoundError:  # hypothesis probes attributes of the first argument
            raise AttributeError(name) from None


@pytest.fixture
def pkg(workflow) -> Package:
    return Package(workflow.package)


@pytest.fixture
def reference(pkg, workflow):
    return pkg.reference.build_reference(pkg.reference.read_samples(workflow.samples_dir))


def csv_text(*rows: dict[str, str]) -> str:
    lines = [",".join({**BASE, **row}[c] for c in CSV_HEADER.split(",")) for row in rows]
    return "\n".join([CSV_HEADER, *lines]) + "\n"


def stage(pkg, reference, files: dict[str, str | bytes], open_orders=None, **settings_kw):
    """Parse named file contents, assemble and evaluate them (no database)."""
    sources = []
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        parsed = pkg.parsers.parse_bytes(data, name)
        sources.append(pkg.batch.SourceFile(name, f"sum-{name}", parsed))
    batch = pkg.batch.assemble(sources)
    options = pkg.engine.Settings(fx_to_base=FX, **settings_kw)
    return pkg.engine.evaluate(batch, reference, options, open_orders)


def rule_ids(outcome) -> set[str]:
    return set(outcome.errors["rule_id"])


# -- the declaration ------------------------------------------------------------------------


def test_workflow_yaml_declares_budgets_and_run_args(workflow):
    spec = workflow.spec
    assert spec["name"] == "order_staging"
    assert spec["performance"]["scale_rows"] == 1_000_000
    assert spec["performance"]["budgets"]["rows_per_second"]["min"] >= 50_000
    assert "--inbox" in spec["run"]["args"]
    assert "DATABASE_URL" in spec["secrets"]


def test_rules_table_lists_every_rule_once(pkg):
    table = pkg.rules.rules_table()
    for rule_id in pkg.rules.RULES:
        assert table.count(f"| {rule_id} |") == 1
    assert {r.level for r in pkg.rules.RULES.values()} == {"header", "line"}


# -- parsers --------------------------------------------------------------------------------


@pytest.mark.requirement("REQ-OS-001")
def test_csv_rows_of_one_order_form_one_header(pkg):
    text = csv_text({}, {"line_no": "2", "sku": "SKU-1002"}, {"order_id": "T-2"})
    parsed = pkg.parsers.parse_csv(text)
    assert parsed.fmt == "csv"
    assert list(parsed.headers["order_id"]) == ["T-1", "T-2"]
    assert list(parsed.lines["order_seq"]) == [0, 0, 1]
    assert list(parsed.lines["row_no"]) == [1, 2, 3]
    assert list(parsed.headers["source"]) == ["ecommerce", "ecommerce"]
    assert parsed.raw["payload"][0].startswith(CSV_HEADER + "\necommerce,T-1,")
    assert parsed.raw["payload"][0].count("\n") == 2


@pytest.mark.requirement("REQ-OS-001")
def test_csv_notes_header_fields_that_differ_between_rows(pkg):
    text = csv_text({}, {"line_no": "2", "customer_id": "C002", "currency": "USD"})
    parsed = pkg.parsers.parse_csv(text)
    assert parsed.headers["header_conflicts"][0] == "customer_id,currency"


@pytest.mark.requirement("REQ-OS-002")
def test_json_orders_map_to_headers_and_lines(pkg, workflow):
    data = workflow.sample_path("sample_api_response.json").read_bytes()
    parsed = pkg.parsers.parse_bytes(data, "sample_api_response.json")
    assert parsed.fmt == "json"
    assert list(parsed.headers["order_id"]) == ["API-9001", "API-9002"]
    assert list(parsed.headers["source"]) == ["api", "marketplace"]
    assert list(parsed.lines["order_seq"]) == [0, 0, 0, 1, 1]
    assert parsed.lines["line_amount"].tolist()[:2] == ["", "119.7"]
    assert parsed.headers["priority"][0] == "urgent"
    assert '"order_id":"API-9002"' in parsed.raw["payload"][1]


@pytest.mark.requirement("REQ-OS-003")
@pytest.mark.parametrize(
    ("name", "separators"),
    [
        ("po_granite_2026-03-02.x12", ("*", ">", "~")),
        ("po_harbor_2026-03-02.edi", ("|", "^", "\n")),
    ],
)
def test_x12_separators_come_from_isa(pkg, workflow, name, separators):
    text = (workflow.sample_path("inbox") / name).read_text()
    assert pkg.x12.separators(text) == separators


@pytest.mark.requirement("REQ-OS-003")
def test_x12_maps_beg_dtm_n1_po1_to_the_canonical_shape(pkg, workflow):
    data = (workflow.sample_path("inbox") / "po_granite_2026-03-02.x12").read_bytes()
    parsed = pkg.parsers.parse_bytes(data, "po.x12")
    heads, lines = parsed.headers, parsed.lines
    assert list(heads["order_id"]) == ["4501", "4502"]
    assert list(heads["order_date"]) == ["2026-03-02", "2026-03-02"]
    assert list(heads["requested_delivery_date"]) == ["2026-03-05", "2026-03-09"]
    assert list(heads["customer_id"]) == ["C007", "C006"]
    assert list(heads["order_total"]) == ["212.45", ""]  # AMT*TT only on the first PO
    assert list(heads["priority"]) == ["", "rush"]  # BEG02 RO = rush order
    # PO1 qualifier pairs: BP on line 2 of 4501, IN then VP on line 2 of 4502
    assert list(lines["sku"]) == ["SKU-1013", "SKU-1014", "SKU-1007", "SKU-1008"]
    assert list(lines["quantity"]) == ["10", "5", "20", "8"]
    assert list(lines["unit"]) == ["EA"] * 4
    assert parsed.raw["payload"][1].startswith("ST*850*0002~")
    assert parsed.raw["payload"][1].endswith("SE*9*0002~")


@pytest.mark.requirement("REQ-OS-003")
def test_x12_without_cur_uses_the_configured_currency(pkg, workflow):
    data = (workflow.sample_path("inbox") / "po_harbor_2026-03-02.edi").read_bytes()
    assert pkg.parsers.parse_bytes(data, "p.edi", "GBP").headers["currency"][0] == "GBP"


def test_join_groups_concatenates_per_group_in_order(pkg):
    out = pkg.canonical.join_groups(["a", "b", "c", "d"], [1, 0, 1, 1], 3, "+", "<", ">")
    assert list(out) == ["<b>", "<a+c+d>", "<>"]


# -- rules: the samples, then one violation per rule ----------------------------------------


@pytest.mark.requirement("REQ-OS-005")
@pytest.mark.requirement("REQ-OS-006")
def test_samples_give_the_expected_outcome_line_by_line(pkg, workflow, reference):
    inbox = workflow.sample_path("inbox")
    files = {p.name: p.read_bytes() for p in sorted(inbox.iterdir()) if "broken" not in p.name}
    outcome = stage(pkg, reference, files)
    heads, lines = outcome.headers, outcome.lines
    pos = lines["order_pos"].to_numpy()
    keys = pd.MultiIndex.from_arrays(
        [heads["file_checksum"].to_numpy()[pos], lines["order_seq"], lines["row_no"]]
    )
    found = outcome.errors.groupby(["file_checksum", "order_seq", "row_no"])["rule_id"].agg(
        lambda s: ";".join(sorted(s))
    )
    actual = pd.DataFrame(
        {
            "file_name": heads["file_name"].to_numpy()[pos],
            "row_no": lines["row_no"].to_numpy(),
            "status": lines["staged"].map({True: "staged", False: "rejected"}).to_numpy(),
            "backorder": lines["backorder"].map({True: "true", False: "false"}).to_numpy(),
            "rules": found.reindex(keys).fillna("").to_numpy(),
        }
    )
    expected = workflow.sample("expected_outcome.csv").astype({"row_no": int})
    workflow.assert_frame_equal(
        actual, expected.drop(columns=["order_id", "line_no"]), keys=["file_name", "row_no"]
    )


@pytest.mark.requirement("REQ-OS-005")
def test_the_samples_violate_every_rule(pkg, workflow):
    expected = workflow.sample("expected_outcome.csv")
    seen = set(";".join(expected["rules"]).split(";")) - {""}
    assert seen == set(pkg.rules.RULES)


# Each case: rows that violate exactly one rule (others consistent), the rule, lines staged.
RULE_CASES = {
    "OS-H01": ([{"customer_id": ""}], 0),
    "OS-H02": ([{"order_date": "2026-13-01"}], 0),
    "OS-H03": ([{"currency": "ABC"}], 0),
    "OS-H04": ([{"customer_id": "C999"}], 0),
    "OS-H05": ([{"customer_id": "C005"}], 0),
    "OS-H06": (
        [
            {"order_total": "7.00"},
            {"line_no": "2", "order_total": "7.00", "requested_delivery_date": "2026-03-05"},
        ],
        0,
    ),
    "OS-H08": ([{"order_total": "9.99"}], 0),
    "OS-H09": ([{"requested_delivery_date": "2026-03-03"}], 0),  # lead time 2 days
    "OS-H10": ([{"requested_delivery_date": "2026-03-07"}], 0),  # a Saturday
    # C004: credit limit 5,000 EUR, delivers Tue/Thu
    "OS-H11": (
        [
            {
                "customer_id": "C004",
                "quantity": "20000",
                "order_total": "7000.00",
                "requested_delivery_date": "2026-03-05",
            }
        ],
        0,
    ),
    "OS-L01": ([{"sku": "", "order_total": "7.00"}, {"line_no": "2", "order_total": "7.00"}], 1),
    "OS-L02": ([{"unit_price": "abc"}, {"line_no": "2"}], 1),
    "OS-L03": ([{"quantity": "1.5", "order_total": "0.53"}], 0),
    "OS-L04": ([{"sku": "SKU-0000"}], 0),
    "OS-L05": ([{"unit_price": "0.40", "order_total": "4.00"}], 0),
    "OS-L06": ([{"discount_pct": "50", "order_total": "1.75"}], 0),  # C001 allows 10
    "OS-L07": ([{"line_amount": "9.99"}], 0),
    # the later copy replaces the earlier one, also in the order total: 20 x 0.35
    "OS-L08": ([{"order_total": "7.00"}, {"quantity": "20", "order_total": "7.00"}], 1),
}


@pytest.mark.requirement("REQ-OS-005")
@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_each_rule_rejects_what_violates_it(pkg, reference, rule_id):
    rows, staged = RULE_CASES[rule_id]
    outcome = stage(pkg, reference, {"t.csv": csv_text(*rows)})
    assert rule_ids(outcome) == {rule_id}
    assert outcome.staged == staged
    assert outcome.rows_in == len(rows)


@pytest.mark.requirement("REQ-OS-005")
def test_an_order_without_lines_is_one_rejected_row(pkg, reference):
    text = (
        '{"orders": [{"order_id": "E-1", "order_date": "2026-03-02", "customer_id": "C001",'
        ' "currency": "EUR", "requested_delivery_date": "2026-03-04", "order_total": 0,'
        ' "lines": []}]}'
    )
    outcome = stage(pkg, reference, {"e.json": text})
    assert rule_ids(outcome) == {"OS-H07"}
    assert (outcome.rows_in, outcome.staged) == (1, 0)


@pytest.mark.requirement("REQ-OS-005")
def test_a_header_rule_rejects_every_line_of_the_order(pkg, reference):
    rows = [{"order_total": "99.00", "line_no": str(n)} for n in (1, 2, 3)]
    outcome = stage(pkg, reference, {"t.csv": csv_text(*rows)})
    assert outcome.staged == 0
    assert list(outcome.errors["row_no"]) == [1, 2, 3]
    assert set(outcome.errors["rule_id"]) == {"OS-H08"}


@pytest.mark.requirement("REQ-OS-005")
def test_a_line_rule_rejects_only_that_line(pkg, reference):
    rows = [{"order_total": "7.00"}, {"line_no": "2", "sku": "SKU-0000", "order_total": "7.00"}]
    outcome = stage(pkg, reference, {"t.csv": csv_text(*rows)})
    assert outcome.lines["staged"].tolist() == [True, False]


@pytest.mark.requirement("REQ-OS-005")
def test_negative_discount_is_rejected(pkg, reference):
    outcome = stage(
        pkg, reference, {"t.csv": csv_text({"discount_pct": "-5", "order_total": "3.675"})}
    )
    assert rule_ids(outcome) == {"OS-L06"}


@pytest.mark.requirement("REQ-OS-006")
def test_short_stock_flags_a_backorder_and_still_stages(pkg, reference):
    # SKU-1007: 40 on hand, 10 reserved -> 30 available; the second line makes it 31
    rows = [
        {"sku": "SKU-1007", "quantity": "30", "unit_price": "3.20", "order_total": "99.20"},
        {
            "sku": "SKU-1007",
            "quantity": "1",
            "unit_price": "3.20",
            "line_no": "2",
            "order_total": "99.20",
        },
    ]
    outcome = stage(pkg, reference, {"t.csv": csv_text(*rows)})
    assert outcome.staged == 2
    assert outcome.lines["backorder"].tolist() == [False, True]
    assert set(outcome.errors["action"]) == {"flag"}


@pytest.mark.requirement("REQ-OS-014")
def test_open_orders_in_the_database_count_against_the_credit_limit(pkg, reference):
    open_orders = pd.DataFrame(
        {
            "customer_id": ["C004"],
            "source": ["manual"],
            "order_id": ["OLD-1"],
            "currency": ["EUR"],
            "amount": [4000.0],
        }
    )
    row = {
        "customer_id": "C004",
        "quantity": "4000",
        "order_total": "1400.00",
        "requested_delivery_date": "2026-03-05",
    }
    alone = stage(pkg, reference, {"t.csv": csv_text(row)})
    with_open = stage(pkg, reference, {"t.csv": csv_text(row)}, open_orders)
    assert alone.staged == 1
    assert rule_ids(with_open) == {"OS-H11"}
    assert "open orders 4,000.00" in with_open.errors["message"][0]


@pytest.mark.requirement("REQ-OS-014")
def test_a_resent_order_does_not_count_its_own_open_value(pkg, reference):
    open_orders = pd.DataFrame(
        {
            "customer_id": ["C004"],
            "source": ["ecommerce"],
            "order_id": ["T-1"],
            "currency": ["EUR"],
            "amount": [4000.0],
        }
    )
    row = {
        "customer_id": "C004",
        "quantity": "4000",
        "order_total": "1400.00",
        "requested_delivery_date": "2026-03-05",
    }
    assert stage(pkg, reference, {"t.csv": csv_text(row)}, open_orders).staged == 1


@pytest.mark.requirement("REQ-OS-014")
def test_credit_converts_currencies_and_names_a_missing_rate(pkg, reference):
    row = {"customer_id": "C004", "currency": "CHF", "requested_delivery_date": "2026-03-05"}
    outcome = stage(pkg, reference, {"t.csv": csv_text(row)})
    # CHF has no price list entry (OS-L05) so nothing reaches the credit check
    assert rule_ids(outcome) == {"OS-L05"}
    usd = {
        "customer_id": "C004",
        "currency": "USD",
        "unit_price": "0.38",
        "quantity": "14000",
        "order_total": "5320.00",
        "requested_delivery_date": "2026-03-05",
    }
    # 5,320 USD x 0.93 = 4,947.60 EUR: inside the 5,000 EUR limit
    assert stage(pkg, reference, {"t.csv": csv_text(usd)}).staged == 1


def test_tolerances_are_settings(pkg, reference):
    text = csv_text({"unit_price": "0.37", "order_total": "3.70"})
    assert rule_ids(stage(pkg, reference, {"t.csv": text})) == {"OS-L05"}
    assert stage(pkg, reference, {"t.csv": text}, price_tolerance=0.05).staged == 1


# -- the invariant ---------------------------------------------------------------------------

TOKENS = {
    "order_id": ["A", "B", "C", ""],
    "customer_id": ["C001", "C004", "C005", "C999", ""],
    "currency": ["EUR", "USD", "GBP", "XXX", "eur", ""],
    "line_no": ["1", "2", "0", "x", ""],
    "sku": ["SKU-1001", "SKU-1007", "SKU-1019", "NOPE", ""],
    "quantity": ["1", "10", "0", "-2", "1.5", "many", "", "1e9"],
    "unit_price": ["0.35", "3.20", "59.00", "abc", ""],
    "discount_pct": ["0", "5", "50", ""],
    "order_date": ["2026-03-02", "2026-02-30", ""],
    "requested_delivery_date": ["2026-03-04", "2026-03-07", "2026-03-01", "x", ""],
    "order_total": ["3.50", "0", "abc", ""],
    "line_amount": ["", "3.50", "1"],
}
row_strategy = st.fixed_dictionaries({k: st.sampled_from(v) for k, v in TOKENS.items()})


@pytest.mark.requirement("REQ-OS-007")
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(row_strategy, min_size=0, max_size=25))
def test_rows_in_always_equal_staged_plus_rejected(pkg, reference, rows):
    outcome = stage(pkg, reference, {"t.csv": csv_text(*rows)} if rows else {})
    staged = outcome.lines["staged"].to_numpy()
    assert outcome.rows_in == len(rows) == outcome.staged + outcome.rejected
    rejects = outcome.errors[outcome.errors["action"] == "reject"]
    rejected_rows = set(rejects["row_no"])
    assert rejected_rows == set(outcome.lines.loc[~staged, "row_no"])
    assert rejected_rows.isdisjoint(set(outcome.lines.loc[staged, "row_no"]))


# -- the run against SQLite -------------------------------------------------------------------


def run_samples(workflow, db, tmp_path, **kw):
    return workflow.module.run(
        database_url=db.url,
        env="testing",
        inbox=kw.pop("inbox", workflow.sample_path("inbox")),
        quarantine=tmp_path / "quarantine",
        seed_reference=kw.pop("seed", workflow.samples_dir),
        **kw,
    )


@pytest.mark.requirement("REQ-OS-008")
@pytest.mark.requirement("REQ-OS-015")
def test_run_stages_the_samples_into_the_four_tables(workflow, sqlite_database, tmp_path):
    summary = run_samples(workflow, sqlite_database, tmp_path)
    assert summary.status == "success", summary.error
    c = summary.counts
    assert (c["lines_in"], c["lines_staged"], c["lines_rejected"]) == (53, 26, 27)
    assert (c["files_processed"], c["files_quarantined"]) == (5, 1)
    db = sqlite_database
    assert len(db.read_table("order_staging_validated")) == 26
    errors = db.read_table("order_staging_errors")
    assert set(errors["rule_id"]) == set(
        workflow.sample("expected_outcome.csv")["rules"].str.split(";").explode()
    ) - {""}
    assert len(db.read_table("order_staging_raw")) == 31  # one payload per order
    log = db.read_table("order_processing_log", order_by=["file_name"])
    assert list(log["status"]).count("quarantined") == 1
    processed = log[log["status"] == "processed"]
    assert (processed["lines_in"] == processed["staged"] + processed["rejected"]).all()
    assert processed["lines_in"].sum() == 53


@pytest.mark.requirement("REQ-OS-013")
def test_validated_carries_what_the_schedule_needs(workflow, sqlite_database, tmp_path):
    run_samples(workflow, sqlite_database, tmp_path)
    rows = sqlite_database.read_table("order_staging_validated")
    needed = {
        "order_id",
        "line_no",
        "customer_id",
        "sku",
        "quantity",
        "order_date",
        "requested_delivery_date",
        "rush",
        "status",
    }
    assert needed <= set(rows.columns)
    assert set(rows["status"]) == {"staged"}
    rush = rows.set_index(["source", "order_id"])["rush"].astype(bool)
    assert rush.loc[("manual", "MAN-2001")].all()  # priority "rush"
    assert rush.loc[("edi", "4502")].all()  # BEG02 RO
    assert rush.loc[("api", "API-3001")].all()  # priority "express"
    assert not rush.loc[("ecommerce", "EC-1001")].any()


@pytest.mark.requirement("REQ-OS-004")
def test_running_again_changes_nothing(workflow, sqlite_database, tmp_path):
    run_samples(workflow, sqlite_database, tmp_path)
    tables = [
        "order_staging_validated",
        "order_staging_raw",
        "order_staging_errors",
        "order_processing_log",
    ]
    before = {t: sqlite_database.table_checksum(t) for t in tables}
    again = run_samples(workflow, sqlite_database, tmp_path)
    assert again.counts["files_skipped"] == 6
    assert again.counts["lines_in"] == 0
    assert {t: sqlite_database.table_checksum(t) for t in tables} == before


@pytest.mark.requirement("REQ-OS-010")
def test_main_exits_zero_when_lines_are_rejected(workflow, sqlite_database, tmp_path):
    code = workflow.module.main(
        [
            "--env",
            "testing",
            "--database-url",
            sqlite_database.url,
            "--inbox",
            str(workflow.sample_path("inbox")),
            "--quarantine",
            str(tmp_path / "q"),
            "--seed-reference",
            str(workflow.samples_dir),
        ]
    )
    assert code == 0


@pytest.mark.requirement("REQ-OS-010")
def test_main_exits_non_zero_when_the_run_fails(workflow, sqlite_database, tmp_path):
    code = workflow.module.main(
        [
            "--env",
            "testing",
            "--database-url",
            sqlite_database.url,
            "--inbox",
            str(tmp_path / "missing"),
        ]
    )
    assert code == 1


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
