"""The business rules of order staging: ids, level, action, field and what each one checks.

Header rules reject every line of the order; line rules reject the line; flag rules only mark
the line (it is still staged). The checks themselves live in engine.py, one function per rule.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One business rule as the plan and the error table name it."""

    rule_id: str
    level: str  # "header" | "line"
    action: str  # "reject" | "flag"
    field: str
    text: str


RULES: dict[str, Rule] = {
    r.rule_id: r
    for r in (
        Rule(
            "OS-H01",
            "header",
            "reject",
            "order_id,order_date,customer_id,currency,requested_delivery_date,order_total",
            "required header fields are present "
            "(order_total may be absent in X12, where it is derived)",
        ),
        Rule(
            "OS-H02",
            "header",
            "reject",
            "order_date,requested_delivery_date,order_total",
            "header fields have their types: dates YYYY-MM-DD, order_total a number",
        ),
        Rule("OS-H03", "header", "reject", "currency", "currency is an ISO 4217 code"),
        Rule("OS-H04", "header", "reject", "customer_id", "customer exists"),
        Rule("OS-H05", "header", "reject", "customer_id", "customer is active"),
        Rule(
            "OS-H06",
            "header",
            "reject",
            "header fields",
            "header fields agree on every row of the order (CSV)",
        ),
        Rule("OS-H07", "header", "reject", "lines", "the order has at least one line"),
        Rule(
            "OS-H08",
            "header",
            "reject",
            "order_total",
            "order_total = sum of line amounts within the total tolerance (0.01)",
        ),
        Rule(
            "OS-H09",
            "header",
            "reject",
            "requested_delivery_date",
            "requested delivery date >= order date + customer lead time (calendar days)",
        ),
        Rule(
            "OS-H10",
            "header",
            "reject",
            "requested_delivery_date",
            "requested delivery date falls on one of the customer's delivery weekdays",
        ),
        Rule(
            "OS-H11",
            "header",
            "reject",
            "order_total",
            "customer's open order value (staged) + this order <= credit limit",
        ),
        Rule(
            "OS-L01",
            "line",
            "reject",
            "line_no,sku,quantity,unit_price",
            "required line fields are present",
        ),
        Rule(
            "OS-L02",
            "line",
            "reject",
            "line_no,quantity,unit_price,discount_pct,line_amount",
            "line fields have their types: line_no a whole number >= 1, the others numbers",
        ),
        Rule("OS-L03", "line", "reject", "quantity", "quantity is > 0 and whole"),
        Rule("OS-L04", "line", "reject", "sku", "SKU exists in products and is active"),
        Rule(
            "OS-L05",
            "line",
            "reject",
            "unit_price",
            "unit price = price list price for SKU and currency within 0.01",
        ),
        Rule(
            "OS-L06",
            "line",
            "reject",
            "discount_pct",
            "discount_pct is from 0 up to the customer's maximum discount",
        ),
        Rule(
            "OS-L07",
            "line",
            "reject",
            "line_amount",
            "a stated line_amount = quantity x unit_price x (1 - discount_pct/100) within 0.01",
        ),
        Rule(
            "OS-L08",
            "line",
            "reject",
            "line_no",
            "source + order_id + line_no is unique in the batch (a later line replaces it)",
        ),
        Rule(
            "OS-F01",
            "line",
            "flag",
            "quantity",
            "available stock covers the quantity, else the line is flagged as a backorder",
        ),
    )
}
HEADER_RULES = tuple(r for r in RULES.values() if r.level == "header")
LINE_RULES = tuple(r for r in RULES.values() if r.level == "line")


def rules_table() -> str:
    """The rules as a Markdown table (the plan's business-rules section is generated from it)."""
    rows = ["| rule id | rule | level | action |", "|---|---|---|---|"]
    rows += [f"| {r.rule_id} | {r.text} | {r.level} | {r.action} |" for r in RULES.values()]
    return "\n".join(rows)
