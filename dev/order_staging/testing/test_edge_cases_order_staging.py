"""Edge cases of order_staging: every kind of malformed file, encodings, empty inputs, odd but
valid values, and the run's failure paths (each ends in a clear reason, never a traceback)."""

from __future__ import annotations

import codecs
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the repo root (holding pyproject.toml) first
    sys.path.insert(
        0, str(next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists()))
    )
    __package__ = "dev.order_staging.testing"

import pytest

from .helpers import BASE, CSV_HEADER, Package, csv_text, malformed_reason, stage, write_inbox

pytestmark = pytest.mark.edge

GOOD_JSON = json.dumps(
    {
        "orders": [
            {
                "order_id": "J-1",
                "order_date": "2026-03-02",
                "customer_id": "C001",
                "currency": "EUR",
                "requested_delivery_date": "2026-03-04",
                "order_total": 3.5,
                "lines": [{"line_no": 1, "sku": "SKU-1001", "quantity": 10, "unit_price": 0.35}],
            }
        ]
    }
)


@pytest.fixture
def pkg(workflow) -> Package:
    return Package(workflow.package)


@pytest.fixture
def reference(pkg, workflow):
    return pkg.reference.build_reference(pkg.reference.read_samples(workflow.samples_dir))


@pytest.fixture
def x12(workflow) -> str:
    return (workflow.sample_path("inbox") / "po_granite_2026-03-02.x12").read_text()


# -- malformed CSV -----------------------------------------------------------------------------


@pytest.mark.requirement("REQ-OS-009")
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (CSV_HEADER + '\necommerce,"T-1,2026-03-02\n', "odd number of double quotes"),
        (CSV_HEADER + "\n" + ",".join(BASE.values()) + ",extra\n", "Expected 13 columns, got 14"),
        (CSV_HEADER + "\necommerce,T-1\n", "Expected 13 columns, got 2"),
        ("channel,order_id\necommerce,T-1\n", "missing column(s) ['order_date'"),
        (CSV_HEADER + ",sku\n", "column(s) ['sku'] appear twice"),
    ],
)
def test_malformed_csv_gets_a_reason(pkg, text, reason):
    assert reason in malformed_reason(pkg, text.encode(), "orders.csv")


# -- malformed JSON ----------------------------------------------------------------------------


@pytest.mark.requirement("REQ-OS-009")
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"orders": [', "invalid JSON: Expecting value at line 1 column 13"),
        ('[{"order_id": "A"}]', 'expected {"orders": [...]}'),
        ('{"orders": {"order_id": "A"}}', 'expected {"orders": [...]}'),
        ('{"orders": [1, 2]}', "orders[0] is not an object"),
        ('{"orders": [{"order_id": "A", "lines": {"sku": "x"}}]}', "orders[0].lines is not a list"),
        ('{"orders": [{"order_id": "A", "lines": [1]}]}', "a line of orders[0] is not an object"),
    ],
)
def test_malformed_json_gets_a_reason(pkg, text, reason):
    assert reason in malformed_reason(pkg, text.encode(), "api.json")


# -- broken X12 envelopes ------------------------------------------------------------------------


@pytest.mark.requirement("REQ-OS-003")
@pytest.mark.requirement("REQ-OS-009")
@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("ISA*00*", "XSA*00*", "does not start with an ISA segment"),
        ("IEA*1*000000101~", "", "segments are missing or out of order"),
        ("SE*10*0001~", "SE*10*0001~\nREF*XX*1~", "segment REF (segment 13) is outside"),
        (
            "SE*10*0001~",
            "SE*10*0009~",
            "transaction set control number '0001' in ST does not match '0009' in SE",
        ),
        ("GE*2*101~", "GE*2*102~", "group control number '101'"),
        ("IEA*1*000000101~", "IEA*1*000000999~", "interchange control number"),
        ("SE*10*0001~", "SE*12*0001~", "SE01 segment count says '12' but the file has 10"),
        ("GE*2*101~", "GE*3*101~", "GE01 set count says '3' but the file has 2"),
        ("IEA*1*000000101~", "IEA*2*000000101~", "IEA01 group count says '2'"),
        ("CTT*2~\nAMT", "CTT*3~\nAMT", "CTT01 line item count says '3' but the file has 2"),
        ("ST*850*0001~", "ST*810*0001~", "transaction set 1 is a '810', only 850"),
    ],
)
def test_broken_envelope_is_quarantined_with_the_reason(pkg, x12, old, new, reason):
    assert reason in malformed_reason(pkg, x12.replace(old, new, 1).encode(), "po.x12")


@pytest.mark.requirement("REQ-OS-003")
def test_isa_must_carry_its_sixteen_elements_and_a_real_terminator(pkg, x12):
    assert "fewer than 16 elements" in malformed_reason(pkg, b"ISA*00*" + b"x" * 30, "po.x12")
    isa = x12.splitlines()[0]
    broken = isa[:-1] + "A" + x12[len(isa) :]  # a letter where the terminator belongs
    assert "is a letter, digit" in malformed_reason(pkg, broken.encode(), "po.x12")


@pytest.mark.requirement("REQ-OS-003")
def test_x12_segment_without_elements_and_missing_beg(pkg, reference, x12):
    text = x12.replace("BEG*00*SA*4501**20260302~", "", 1).replace("SE*10*0001", "SE*9*0001")
    outcome = stage(pkg, reference, {"po.x12": text})
    errors = outcome.errors[outcome.errors["order_seq"] == 0]
    assert set(errors["rule_id"]) == {"OS-H01"}
    assert "order_id,order_date" in errors["field"].iloc[0]


@pytest.mark.requirement("REQ-OS-003")
def test_po1_without_a_vp_or_bp_id_has_no_sku(pkg, reference, x12):
    text = x12.replace("PO1*1*10*EA*11.25**VP*SKU-1013~", "PO1*1*10*EA*11.25**UP*0001~", 1)
    outcome = stage(pkg, reference, {"po.x12": text})
    assert outcome.errors.loc[outcome.errors["row_no"] == 1, "rule_id"].tolist() == ["OS-L01"]


# -- encodings and empty files -----------------------------------------------------------------


@pytest.mark.requirement("REQ-OS-009")
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "file is empty"),
        (b"  \n\r\n", "file is empty"),
        (csv_text({"customer_id": "C\xe9"}).encode("latin-1"), "byte 0xe9 at offset"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "invalid UTF-16"),
        (csv_text({}).encode("utf-16-le"), "NUL bytes"),
    ],
)
def test_wrong_encodings_and_empty_files_are_quarantined(pkg, data, reason):
    assert reason in malformed_reason(pkg, data, "orders.csv")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_pick_the_encoding(pkg, reference, encoding):
    outcome = stage(pkg, reference, {"o.csv": csv_text({"customer_id": "C001"}).encode(encoding)})
    assert (outcome.rows_in, outcome.staged) == (1, 1)


def test_files_without_orders_stage_nothing(pkg, reference):
    outcome = stage(pkg, reference, {"a.csv": CSV_HEADER + "\n", "b.json": '{"orders": []}'})
    assert (outcome.rows_in, outcome.staged, len(outcome.errors)) == (0, 0, 0)


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("orders.txt", GOOD_JSON, "json"),
        ("po.dat", "x12", "x12"),
    ],
)
def test_unknown_suffixes_are_sniffed(pkg, x12, name, content, fmt):
    data = (x12 if content == "x12" else content).encode()
    assert pkg.parsers.parse_bytes(data, name).fmt == fmt


def test_unrecognised_content_is_an_unknown_format(pkg):
    assert "unknown format" in malformed_reason(pkg, b"hello", "notes.txt")


# -- odd but valid values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "staged", "rules"),
    [
        ({"quantity": " 10 ", "sku": " SKU-1001 "}, 1, set()),  # whitespace is trimmed
        ({"quantity": "1e1"}, 1, set()),  # 10, written as 1e1
        ({"quantity": "inf"}, 0, {"OS-L02"}),
        ({"quantity": "NaN"}, 0, {"OS-L02"}),
        ({"quantity": " "}, 0, {"OS-L01"}),  # blank is missing
        ({"line_no": "0"}, 0, {"OS-L02"}),
        ({"line_no": "1.5"}, 0, {"OS-L02"}),
        ({"currency": "eur"}, 1, set()),  # codes are upper-cased
        ({"currency": "XTS"}, 0, {"OS-H03"}),  # ISO's test currency
        ({"discount_pct": ""}, 1, set()),  # blank discount = 0
        ({"line_amount": "abc"}, 0, {"OS-L02"}),
    ],
)
def test_value_edge_cases(pkg, reference, row, staged, rules):
    outcome = stage(pkg, reference, {"t.csv": csv_text(row)})
    assert outcome.staged == staged
    assert set(outcome.errors["rule_id"]) == rules


def test_line_numbers_01_and_1_are_the_same_line(pkg, reference):
    outcome = stage(
        pkg,
        reference,
        {"t.csv": csv_text({}, {"line_no": "01"})},
    )
    assert set(outcome.errors["rule_id"]) == {"OS-L08"}


def test_huge_line_numbers_are_compared_exactly(pkg, reference):
    rows = [{"line_no": "3000000000"}, {"line_no": "3000000000"}, {"line_no": "3000000001"}]
    outcome = stage(
        pkg, reference, {"t.csv": csv_text(*[{**r, "order_total": "7.00"} for r in rows])}
    )
    assert outcome.errors["rule_id"].tolist() == ["OS-L08"]
    assert outcome.errors["row_no"].tolist() == [1]


def test_rows_of_an_order_need_not_be_adjacent(pkg, reference):
    text = csv_text(
        {"order_total": "7.00"},
        {"order_id": "T-2"},
        {"line_no": "2", "order_total": "7.00", "customer_id": "C002"},
    )
    parsed = pkg.parsers.parse_csv(text)
    assert list(parsed.lines["order_seq"]) == [0, 1, 0]
    assert parsed.headers["header_conflicts"].tolist() == ["customer_id", ""]


def test_crlf_lines_and_quoted_newlines(pkg):
    crlf = pkg.parsers.parse_csv(csv_text({}, {"line_no": "2"}).replace("\n", "\r\n"))
    assert crlf.raw["payload"][0].count("\r") == 0
    quoted = csv_text({}) + (
        'ecommerce,"T-2\nB",2026-03-02,C001,EUR,1,SKU-1001,1,0.35,0,2026-03-04,0.35,\n'
    )
    parsed = pkg.parsers.parse_csv(quoted)
    assert parsed.headers["order_id"].tolist() == ["T-1", "T-2\nB"]
    # the text lines no longer match the rows one to one: the payload falls back to JSON
    assert parsed.raw["payload"][1].startswith('[{"channel":"ecommerce"')


def test_a_bare_carriage_return_in_the_csv_header_is_malformed(pkg):
    # found by the reliability fuzzer: csv.Error escaped instead of a quarantine reason
    data = b"channel,order_id\r" + b'"\n'
    with pytest.raises(pkg.canonical.MalformedFile, match="bad CSV header"):
        pkg.parsers.parse_bytes(data, "orders.csv")


def test_json_orders_that_are_all_empty_objects_parse_to_rejectable_orders(pkg, reference):
    # found by the reliability fuzzer: {"orders": [{}, {}]} raised a pandas ValueError (the
    # payload of a frame without columns came out as one line for two orders)
    parsed = pkg.parsers.parse_bytes(b'{"orders": [{}, {}]}', "empty.json")
    assert len(parsed.headers) == len(parsed.raw) == 2
    assert parsed.raw["payload"].tolist() == ["{}", "{}"]
    batch = pkg.batch.assemble([pkg.batch.SourceFile("empty.json", "c0", parsed)])
    outcome = pkg.engine.evaluate(batch, reference)
    assert outcome.rows_in == 2  # one stand-in line per order
    assert outcome.rejected == 2


def test_json_numbers_keep_their_spelling(pkg):
    doc = {
        "orders": [
            {
                "order_id": 7,
                "order_total": 12.5,
                "channel": "Shop",
                "lines": [{"line_no": 1, "quantity": 3, "unit_price": 4.166666}],
            }
        ]
    }
    parsed = pkg.parsers.parse_json(json.dumps(doc))
    assert parsed.headers[["order_id", "order_total", "source", "channel"]].iloc[0].tolist() == [
        "7",
        "12.5",
        "shop",
        "Shop",
    ]
    assert parsed.lines["unit_price"][0] == "4.166666"


def test_credit_names_a_currency_without_a_rate(pkg, reference):
    row = {"currency": "GBP", "unit_price": "0.30", "order_total": "3.00"}
    outcome = stage(pkg, reference, {"t.csv": csv_text(row)}, fx_to_base={"EUR": 1.0})
    assert set(outcome.errors["rule_id"]) == {"OS-H11"}
    assert "no exchange rate for GBP" in outcome.errors["message"][0]


def test_cumulative_credit_rejects_the_order_that_crosses_the_limit(pkg, reference):
    # C004: 5,000 EUR credit; three orders of 2,100 EUR: 2,100 and 4,200 fit, 6,300 does not
    rows = [
        {
            "order_id": f"T-{i}",
            "customer_id": "C004",
            "quantity": "6000",
            "order_total": "2100.00",
            "requested_delivery_date": "2026-03-05",
        }
        for i in (1, 2, 3)
    ]
    outcome = stage(pkg, reference, {"t.csv": csv_text(*rows)})
    assert outcome.lines["staged"].tolist() == [True, True, False]


# -- the run's failure paths ----------------------------------------------------------------------


def run(workflow, db, tmp_path, inbox, **kw):
    return workflow.module.run(
        database_url=db.url, env="testing", inbox=inbox, quarantine=tmp_path / "quarantine", **kw
    )


@pytest.mark.requirement("REQ-OS-009")
def test_a_malformed_file_does_not_stop_the_others(workflow, sqlite_database, tmp_path):
    inbox = write_inbox(
        tmp_path / "inbox",
        {
            "a_bad.json": "{nope",
            "b_good.csv": csv_text({}),
            "c_bad.csv": b"\xff\xfe\xfa",
            "d_bad.x12": "ISA*broken",
        },
    )
    summary = run(workflow, sqlite_database, tmp_path, inbox, seed_reference=workflow.samples_dir)
    assert summary.status == "success"
    assert (summary.counts["files_quarantined"], summary.counts["lines_staged"]) == (3, 1)
    log = sqlite_database.read_table("order_processing_log", order_by=["file_name"])
    assert log["status"].tolist() == ["quarantined", "processed", "quarantined", "quarantined"]
    assert log["reason"][0].startswith("invalid JSON")
    reasons = sorted((tmp_path / "quarantine").glob("*.reason.txt"))
    assert len(reasons) == 3
    assert "reason: invalid JSON" in reasons[0].read_text()
    again = run(workflow, sqlite_database, tmp_path, inbox)
    assert again.counts["files_skipped"] == 4  # quarantined files are not read again


@pytest.mark.requirement("REQ-OS-004")
def test_the_same_content_under_two_names_is_staged_once(workflow, sqlite_database, tmp_path):
    inbox = write_inbox(tmp_path / "inbox", {"a.csv": csv_text({}), "copy.csv": csv_text({})})
    summary = run(workflow, sqlite_database, tmp_path, inbox, seed_reference=workflow.samples_dir)
    assert (summary.counts["files_processed"], summary.counts["files_skipped"]) == (1, 1)


def test_a_dry_run_writes_nothing_and_a_replay_reads_known_files(
    workflow, sqlite_database, tmp_path, pkg
):
    inbox = write_inbox(tmp_path / "inbox", {"a.csv": csv_text({})})
    cfg_options = pkg.pipeline.StagingOptions(
        inbox=inbox,
        quarantine=tmp_path / "q",
        settings=pkg.engine.Settings(fx_to_base={"EUR": 1.0}),
    )
    pkg.reference.load_reference_samples(sqlite_database, workflow.samples_dir)
    dry = pkg.pipeline.stage_inbox(sqlite_database, cfg_options, "dry", write=False)
    assert (dry.outcome.staged, dry.written) == (1, {})
    assert not sqlite_database.table_exists("order_staging_validated")
    run(workflow, sqlite_database, tmp_path, inbox)
    replay = pkg.pipeline.stage_inbox(
        sqlite_database, cfg_options, "again", write=False, reprocess=True
    )
    assert replay.counts()["files_processed"] == 1  # read although already logged
    assert replay.frames["order_staging_validated"]["batch_id"].tolist() == ["again"]


def test_an_empty_inbox_is_a_successful_run(workflow, sqlite_database, tmp_path):
    summary = run(workflow, sqlite_database, tmp_path, write_inbox(tmp_path / "inbox", {}))
    assert summary.status == "success"
    assert summary.counts["lines_in"] == 0


@pytest.mark.requirement("REQ-OS-010")
def test_missing_reference_tables_fail_the_run_with_the_fix(workflow, sqlite_database, tmp_path):
    inbox = write_inbox(tmp_path / "inbox", {"a.csv": csv_text({})})
    summary = run(workflow, sqlite_database, tmp_path, inbox)
    assert summary.status == "failed"
    assert "reference table 'customers'" in summary.error
    assert "--seed-reference" in summary.error


@pytest.mark.requirement("REQ-OS-010")
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CONFIG__fx_to_base", "[1, 2]", "must map currency codes to rates"),
        ("CONFIG__reference_tables", "customers", "must map customers/products"),
        ("CONFIG__tolerances__price", "cheap", "must be a number"),
    ],
)
def test_bad_configuration_fails_the_run(
    workflow, sqlite_database, tmp_path, monkeypatch, variable, value, message
):
    monkeypatch.setenv(variable, value)
    summary = run(workflow, sqlite_database, tmp_path, tmp_path)
    assert summary.status == "failed"
    assert message in summary.error


@pytest.mark.requirement("REQ-OS-015")
def test_reference_table_names_come_from_config(
    workflow, sqlite_database, tmp_path, monkeypatch, pkg
):
    names = workflow.sample("mock_configurations.yaml")["configurations"][
        "renamed_reference_tables"
    ]["reference_tables"]
    for logical, table in names.items():
        monkeypatch.setenv(f"CONFIG__reference_tables__{logical}", table)
    inbox = write_inbox(tmp_path / "inbox", {"a.csv": csv_text({})})
    summary = run(workflow, sqlite_database, tmp_path, inbox, seed_reference=workflow.samples_dir)
    assert summary.counts["lines_staged"] == 1
    assert sqlite_database.table_exists("erp_prices")
    assert not sqlite_database.table_exists("price_list")


@pytest.mark.requirement("REQ-OS-010")
def test_production_without_a_database_url_fails_clearly(workflow, tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CONFIG__output_dir", str(tmp_path))
    code = workflow.module.main(["--env", "production", "--inbox", str(tmp_path)])
    assert code == 1
    summary = json.loads((tmp_path / "run_summary.json").read_text())
    assert "no database URL" in summary["error"]


def test_an_unknown_environment_fails_before_anything_runs(workflow, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKFLOW_ENV", "staging")
    monkeypatch.chdir(tmp_path)
    assert workflow.module.main(["--inbox", str(tmp_path)]) == 1
    assert "staging" in json.loads((tmp_path / "run_summary.json").read_text())["error"]


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__]))
