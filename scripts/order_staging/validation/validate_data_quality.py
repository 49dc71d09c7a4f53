"""Data quality of the four output tables after staging the samples (DataValidator checks).

python dev/order_staging/validation/validate_data_quality.py [--database-url URL]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parse_args, report, staged_samples

from dev.order_staging.iso4217 import CURRENCIES
from dev.order_staging.rules import RULES
from dev.shared.validation_helpers import DataValidator, ValidationResult
from shared.db_helper import Database


def validated_checks(db: Database) -> ValidationResult:
    rows = db.read_table("order_staging_validated")
    return (
        DataValidator("order_staging_validated")
        .not_null(
            [
                "source",
                "order_id",
                "line_no",
                "customer_id",
                "sku",
                "quantity",
                "unit_price",
                "line_amount",
                "currency",
                "order_date",
                "requested_delivery_date",
                "rush",
                "status",
                "batch_id",
            ],
            rule_id="DQ-V01",
        )
        .unique(["source", "order_id", "line_no"], rule_id="DQ-V02")
        .in_range("quantity", min=1, rule_id="DQ-V03")
        .in_range("discount_pct", min=0, max=100, rule_id="DQ-V04")
        .isin("status", {"staged", "shipped", "cancelled"}, rule_id="DQ-V05")
        .isin("currency", CURRENCIES, rule_id="DQ-V06")
        .references("customer_id", db, "customer_id", table="customers", rule_id="DQ-V07")
        .references("sku", db, "sku", table="products", rule_id="DQ-V08")
        .compare("requested_delivery_date", ">=", "order_date", rule_id="DQ-V09")
        .check(
            lambda df: (
                (
                    df["line_amount"]
                    - df["quantity"] * df["unit_price"] * (1 - df["discount_pct"] / 100)
                ).abs()
                < 0.005
            ),
            name="line_amount = quantity x unit_price x (1 - discount)",
            rule_id="DQ-V10",
        )
        .schema_matches(db, "order_staging_validated", rule_id="DQ-V11")
        .validate(rows)
    )


def errors_checks(db: Database) -> ValidationResult:
    rows = db.read_table("order_staging_errors")
    return (
        DataValidator("order_staging_errors")
        .not_null(
            ["file_checksum", "order_seq", "row_no", "rule_id", "batch_id", "message"],
            rule_id="DQ-E01",
        )
        .unique(["file_checksum", "order_seq", "row_no", "rule_id"], rule_id="DQ-E02")
        .isin("rule_id", set(RULES), rule_id="DQ-E03")
        .isin("level", {"header", "line"}, rule_id="DQ-E04")
        .isin("action", {"reject", "flag"}, rule_id="DQ-E05")
        .references(
            "file_checksum", db, "file_checksum", table="order_processing_log", rule_id="DQ-E06"
        )
        .validate(rows)
    )


def raw_and_log_checks(db: Database) -> list[ValidationResult]:
    raw = (
        DataValidator("order_staging_raw")
        .not_null(["file_checksum", "order_seq", "payload", "format"], rule_id="DQ-R01")
        .unique(["file_checksum", "order_seq"], rule_id="DQ-R02")
        .isin("format", {"csv", "json", "x12"}, rule_id="DQ-R03")
        .validate(db.read_table("order_staging_raw"))
    )
    log = db.read_table("order_processing_log")
    processed = log[log["status"] == "processed"]
    log_result = (
        DataValidator("order_processing_log")
        .unique("file_checksum", rule_id="DQ-L01")
        .isin("status", {"processed", "quarantined"}, rule_id="DQ-L02")
        .check(
            lambda df: df["lines_in"] == df["staged"] + df["rejected"],
            name="lines_in = staged + rejected",
            rule_id="DQ-L03",
        )
        .validate(processed)
    )
    quarantined = log[log["status"] == "quarantined"]
    reasons = (
        DataValidator("quarantined files")
        .check(
            lambda df: df["reason"].astype(str).str.len() > 10,
            name="a reason is given",
            rule_id="DQ-L04",
        )
        .validate(quarantined)
    )
    return [raw, log_result, reasons]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    problems: list[str] = []
    with staged_samples(args.database_url) as (db, summary):
        if summary.status != "success":
            return report("data quality", [f"the run failed: {summary.error}"])
        results = [validated_checks(db), errors_checks(db), *raw_and_log_checks(db)]
    for result in results:
        print(result.table())
        problems += [
            f"{result.name}: {f.rule_id} {f.check} {f.column or ''}: {f.failed_rows} row(s)"
            for f in result.failures
        ]
    return report("data quality", problems)


if __name__ == "__main__":
    raise SystemExit(main())
