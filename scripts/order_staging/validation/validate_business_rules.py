"""Business rules, checked independently on what the samples staged (and what was rejected).

    python dev/order_staging/validation/validate_business_rules.py [--database-url URL]

A second implementation, on the tables the run wrote: every staged line must satisfy every
reject rule (re-derived here from the reference tables with DataValidator), every line of the
samples must have the outcome listed in testing/test_data_samples/expected_outcome.csv, and
rows in = staged + rejected for every file.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import SAMPLES, parse_args, report, staged_samples

from dev.order_staging.reference import WEEKDAYS
from dev.order_staging.rules import RULES
from dev.shared.validation_helpers import DataValidator, ValidationResult
from shared.config import load_config
from shared.db_helper import Database

HERE = Path(__file__).resolve().parents[1]


def staged_with_reference(db: Database) -> pd.DataFrame:
    """Staged lines joined to their customer, product and list price."""
    staged = db.read_table("order_staging_validated")
    customers = db.read_table("customers")
    products = db.read_table("products")
    prices = db.read_table("price_list")
    out = staged.merge(customers, on="customer_id", how="left", suffixes=("", "_customer"))
    out = out.merge(products[["sku", "active"]], on="sku", how="left", suffixes=("", "_product"))
    out = out.merge(prices, on=["sku", "currency"], how="left", suffixes=("", "_list"))
    earliest = out["order_date"] + pd.to_timedelta(out["lead_time_days"].astype(float), unit="D")
    day = out["requested_delivery_date"].dt.day_of_week.map(dict(enumerate(WEEKDAYS)))
    return out.assign(
        earliest_delivery=earliest,
        delivery_day=day,
        delivery_days=out["delivery_weekdays"].astype(str).str.lower(),
    )


def staged_rules(frame: pd.DataFrame, credit: pd.DataFrame) -> ValidationResult:
    """Every reject rule a staged line must satisfy, declared once more."""
    return (
        DataValidator("staged lines satisfy the reject rules")
        .isin("active", {True}, rule_id="OS-H05")
        .in_range("quantity", min=1, rule_id="OS-L03")
        .isin("active_product", {True}, rule_id="OS-L04")
        .check(
            lambda df: (df["unit_price"] - df["unit_price_list"]).abs() <= 0.01 + 1e-9,
            name="unit price = list price +- 0.01",
            rule_id="OS-L05",
        )
        .compare("discount_pct", "<=", "max_discount_pct", rule_id="OS-L06")
        .in_range("discount_pct", min=0, rule_id="OS-L06")
        .compare("requested_delivery_date", ">=", "earliest_delivery", rule_id="OS-H09")
        .check(_on_delivery_day, name="delivery on a customer weekday", rule_id="OS-H10")
        .validate(frame)
    ), (
        DataValidator("staged value per customer within credit")
        .compare("staged_base", "<=", "credit_limit", rule_id="OS-H11")
        .validate(credit)
    )


def _on_delivery_day(df: pd.DataFrame) -> pd.Series:
    ok = pd.Series(False, index=df.index)
    for day in WEEKDAYS:
        ok |= (df["delivery_day"] == day) & df["delivery_days"].str.contains(day, regex=False)
    return ok


def credit_per_customer(frame: pd.DataFrame, rates: dict[str, float]) -> pd.DataFrame:
    base = frame["line_amount"] * frame["currency"].map(rates).astype(float)
    staged = base.groupby(frame["customer_id"]).sum().rename("staged_base")
    limits = frame.groupby("customer_id")["credit_limit"].first()
    return pd.concat([staged, limits], axis=1).reset_index()


def expected_outcomes(db: Database) -> list[str]:
    """Each sample line's status and rule ids as expected_outcome.csv lists them."""
    expected = pd.read_csv(SAMPLES / "expected_outcome.csv", dtype=str, keep_default_na=False)
    errors = db.read_table("order_staging_errors")
    found = (
        errors.groupby(["file_name", "row_no"])["rule_id"]
        .agg(lambda s: ";".join(sorted(s)))
        .to_dict()
    )
    problems = []
    for row in expected.itertuples():  # 53 sample lines: a readable loop over a fixture
        got = found.get((row.file_name, int(row.row_no)), "")
        if got != row.rules:
            problems.append(
                f"{row.file_name} row {row.row_no} ({row.order_id} line "
                f"{row.line_no}): expected rules {row.rules or '-'}, got {got or '-'}"
            )
    missing = set(RULES) - set(errors["rule_id"])
    problems += [f"rule {rule} is violated by no sample line" for rule in sorted(missing)]
    return problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    rates = {k: float(v) for k, v in load_config(HERE, "testing").get("fx_to_base").items()}
    with staged_samples(args.database_url) as (db, summary):
        if summary.status != "success":
            return report("business rules", [f"the run failed: {summary.error}"])
        frame = staged_with_reference(db)
        results = staged_rules(frame, credit_per_customer(frame, rates))
        problems = expected_outcomes(db)
        log = db.read_table("order_processing_log")
    for result in results:
        print(result.table())
        problems += [
            f"{result.name}: {f.rule_id} ({f.check}): {f.failed_rows} staged row(s) "
            f"break it, e.g. {f.examples[:1]}"
            for f in result.failures
        ]
    processed = log[log["status"] == "processed"]
    unbalanced = processed[processed["lines_in"] != processed["staged"] + processed["rejected"]]
    problems += [
        f"{r.file_name}: lines_in {r.lines_in} != staged {r.staged} + rejected {r.rejected}"
        for r in unbalanced.itertuples()
    ]
    c = summary.counts
    if c["lines_in"] != c["lines_staged"] + c["lines_rejected"]:
        problems.append(f"run: rows in {c['lines_in']} != staged + rejected")
    return report("business rules", problems)


if __name__ == "__main__":
    raise SystemExit(main())
