"""Tests for dev.shared.validation_helpers: every check, both string backends, results, bridges."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dev.shared.validation_helpers import (
    DataValidator,
    ValidationFailed,
    ValidationResult,
    portable_type,
)

pytestmark = pytest.mark.unit

STRINGS = ("order_id", "customer_id", "sku", "currency")
# object = Python strings; str = pandas 3 default (pyarrow, NaN); string[pyarrow] = pd.NA
BACKENDS = ("object", "str", "string[pyarrow]")
LABELS = [101, 102, 103, 104, 105, 106]  # not positions: failures must report these labels
CUSTOMERS = pd.DataFrame({"customer_id": ["C1", "C2", "C3"]})


def orders(backend: str = "object") -> pd.DataFrame:
    order_date = pd.to_datetime(["2026-01-05"] * 3 + ["2026-02-01"] * 3)
    df = pd.DataFrame(
        {
            "order_id": [f"ORD-0000000{i}" for i in range(1, 7)],
            "customer_id": ["C1", "C2", "C3", "C1", "C2", "C3"],
            "sku": ["SKU-01", "SKU-02", "SKU-01", "SKU-03", "SKU-05", "SKU-04"],
            "quantity": [1, 5, 10, 1000, 3, 7],
            "amount": [10.0, 50.0, 100.0, 10_000.0, 30.0, 70.0],
            "currency": ["EUR", "USD", "EUR", "USD", "EUR", "USD"],
            "order_date": order_date,
            "ship_date": order_date + pd.to_timedelta([0, 1, 2, 3, 4, 5], unit="D"),
        },
        index=LABELS,
    )
    return df.astype(dict.fromkeys(STRINGS, object if backend == "object" else backend))


def damaged(backend: str, changes: dict[tuple[int, str], Any]) -> pd.DataFrame:
    df = orders(backend)
    for (label, column), value in changes.items():
        df.loc[label, column] = value
    return df


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# (case, declare, damage, rule id, column, failing labels)
CASES = [
    (
        "not_null",
        lambda v: v.not_null("customer_id"),
        {(102, "customer_id"): None, (105, "customer_id"): None},
        "not_null:customer_id",
        "customer_id",
        [102, 105],
    ),
    (
        "unique",
        lambda v: v.unique("order_id"),
        {(104, "order_id"): "ORD-00000002"},
        "unique:order_id",
        "order_id",
        [102, 104],  # keep=False: every copy is reported
    ),
    (
        "unique_together",
        lambda v: v.unique(["customer_id", "sku"], rule_id="UQ-2"),
        {(104, "sku"): "SKU-01"},
        "UQ-2",
        "customer_id,sku",
        [101, 104],
    ),
    (
        "in_range",
        lambda v: v.in_range("quantity", min=1, max=1000),  # bounds inclusive: 1, 1000 pass
        {(103, "quantity"): 0, (105, "quantity"): 1001},
        "in_range:quantity",
        "quantity",
        [103, 105],
    ),
    (
        "in_range_dates",
        lambda v: v.in_range("order_date", "2026-01-05", "2026-02-01", rule_id="RG-D"),
        {(106, "order_date"): pd.Timestamp("2026-02-02")},
        "RG-D",
        "order_date",
        [106],
    ),
    (
        "isin",
        lambda v: v.isin("currency", {"EUR", "USD"}),
        {(106, "currency"): "GBP"},
        "isin:currency",
        "currency",
        [106],
    ),
    (
        "matches",
        lambda v: v.matches("order_id", r"^ORD-\d{8}$", rule_id="RX-1"),
        {(101, "order_id"): "ORD-1234", (103, "order_id"): "ORD-000000031"},
        "RX-1",
        "order_id",
        [101, 103],
    ),
    (
        "str_length",
        lambda v: v.str_length("sku", min=5, max=6),
        {(105, "sku"): "SKU", (106, "sku"): "SKU-0004"},
        "str_length:sku",
        "sku",
        [105, 106],
    ),
    (
        "compare",
        lambda v: v.compare("ship_date", ">=", "order_date"),
        {(102, "ship_date"): pd.Timestamp("2026-01-01")},
        "compare:ship_date>=order_date",
        "ship_date,order_date",
        [102],
    ),
    (
        "check",
        lambda v: v.check(lambda d: d["amount"] <= d["quantity"] * 10, name="price_cap"),
        {(104, "amount"): 10_001.0},
        "price_cap",
        None,
        [104],
    ),
    (
        "references",
        lambda v: v.references("customer_id", CUSTOMERS, "customer_id", rule_id="FK-1"),
        {(103, "customer_id"): "C9"},
        "FK-1",
        "customer_id",
        [103],
    ),
]


@pytest.mark.parametrize(("case", "declare", "damage", "rule_id", "column", "rows"), CASES)
def test_check_passes_on_good_data(backend, case, declare, damage, rule_id, column, rows):
    result = declare(DataValidator("orders")).validate(orders(backend))
    assert result.ok, result.table()
    assert result.rule_ids == (rule_id,)


@pytest.mark.parametrize(("case", "declare", "damage", "rule_id", "column", "rows"), CASES)
def test_check_rejects_bad_rows(backend, case, declare, damage, rule_id, column, rows):
    df = damaged(backend, damage)
    result = declare(DataValidator("orders")).validate(df)
    assert not result.ok
    [failure] = result.failures
    assert (failure.rule_id, failure.column) == (rule_id, column)
    renamed = {"unique_together": "unique", "in_range_dates": "in_range", "check": "price_cap"}
    assert failure.check == renamed.get(case, case)
    assert failure.failed_rows == len(rows)
    assert failure.rows.tolist() == rows
    assert result.failed_rows(rule_id).tolist() == rows
    assert [e["row"] for e in failure.examples] == rows
    assert failure.message.startswith(f"{len(rows)} of 6 rows")


@pytest.mark.parametrize(("case", "declare", "damage", "rule_id", "column", "rows"), CASES)
def test_nulls_fail_only_not_null(backend, case, declare, damage, rule_id, column, rows):
    # nulls are not_null's job: every other check lets them through (reported once, not twice)
    df = orders(backend)
    for col in ("customer_id", "sku", "currency", "order_id", "ship_date", "quantity"):
        df[col] = df[col].astype("float64" if col == "quantity" else df[col].dtype)
        df.loc[103, col] = None
    result = declare(DataValidator("orders")).validate(df)
    if case in ("not_null", "check"):  # a custom expression decides itself: NaN <= x is False
        assert result.failed_rows(rule_id).tolist() == [103]
    else:
        assert result.ok, result.table()


def test_examples_show_the_rule_columns_and_plain_values(backend):
    df = damaged(backend, {(102, "ship_date"): pd.Timestamp("2026-01-01")})
    result = DataValidator("orders").compare("ship_date", ">=", "order_date").validate(df)
    [example] = result.failures[0].examples
    assert example == {
        "row": 102,
        "values": {"ship_date": "2026-01-01T00:00:00", "order_date": "2026-01-05T00:00:00"},
    }


def test_custom_check_examples_show_every_column_unless_named():
    df = damaged("object", {(104, "amount"): 1e9})
    result = (
        DataValidator("o")
        .check(lambda d: d["amount"] < 1e6, name="cap")
        .check(lambda d: d["amount"] < 1e6, name="cap", columns=["amount"])
        .validate(df)
    )
    every, named = result.failures
    assert set(every.examples[0]["values"]) == set(df.columns)
    assert named.examples[0]["values"] == {"amount": 1e9}
    assert (every.rule_id, named.rule_id) == ("cap", "cap:amount")


def test_custom_check_examples_work_with_non_text_column_labels():
    df = pd.DataFrame({0: [1, -1], 1: ["a", "b"]})
    result = DataValidator("o").check(lambda d: d[0] > 0, name="pos").validate(df)
    assert result.failures[0].examples == [{"row": 1, "values": {"0": -1, "1": "b"}}]


def test_failures_report_labels_not_positions_for_any_index():
    df = orders().set_index("order_id", drop=False)
    df.loc["ORD-00000005", "quantity"] = -1
    result = DataValidator("o").in_range("quantity", min=1).validate(df)
    assert result.failed_rows("in_range:quantity").tolist() == ["ORD-00000005"]


def test_examples_are_capped_but_rows_are_all():
    df = pd.DataFrame({"q": np.arange(100)})
    result = DataValidator("o", max_examples=3).in_range("q", max=9).validate(df)
    [failure] = result.failures
    assert failure.failed_rows == 90
    assert failure.rows.tolist() == list(range(10, 100))
    assert [e["row"] for e in failure.examples] == [10, 11, 12]


def test_lazy_collects_every_failure_in_declaration_order(backend):
    df = damaged(
        backend,
        {
            (101, "customer_id"): None,
            (102, "order_id"): "BAD",
            (103, "quantity"): 0,
            (104, "currency"): "JPY",
        },
    )
    result = (
        DataValidator("orders")
        .not_null(["order_id", "customer_id"], rule_id="NN-1")
        .unique("order_id", rule_id="UQ-1")
        .in_range("quantity", min=1, max=1000, rule_id="RG-1")
        .isin("currency", {"EUR", "USD"}, rule_id="SET-1")
        .matches("order_id", r"^ORD-\d{8}$", rule_id="RX-1")
        .validate(df)
    )
    got = [(f.rule_id, f.column, f.rows.tolist()) for f in result.failures]
    assert got == [
        ("NN-1", "customer_id", [101]),
        ("RG-1", "quantity", [103]),
        ("SET-1", "currency", [104]),
        ("RX-1", "order_id", [102]),
    ]
    assert result.failed_rows("UQ-1").size == 0


def test_shared_rule_id_unions_rows_over_columns():
    df = damaged("object", {(102, "customer_id"): None, (104, "order_id"): None})
    df.loc[102, "order_id"] = None
    result = DataValidator("o").not_null(["order_id", "customer_id"], rule_id="NN-1").validate(df)
    assert [f.column for f in result.failures] == ["order_id", "customer_id"]
    assert result.failed_rows("NN-1").tolist() == [102, 104]


def test_default_rule_ids_are_stable_and_distinct():
    v = (
        DataValidator("o")
        .in_range("quantity", min=0)
        .in_range("quantity", max=10)
        .not_null(["a", "b"])
        .compare("a", "<", "b")
        .row_count_drift(previous=1)
        .freshness("ts", max_age=timedelta(days=1))
    )
    assert v.rule_ids == (
        "in_range:quantity",
        "in_range:quantity#2",
        "not_null:a",
        "not_null:b",
        "compare:a<b",
        "row_count_drift",
        "freshness:ts",
    )
    assert len(v.rules) == 7
    assert repr(v.rules[1]) == "_InRange('in_range:quantity#2', columns=('quantity',))"


def test_unique_ignores_rows_whose_key_has_a_null():
    df = pd.DataFrame({"a": ["x", "x", None, None, "y"], "b": [1, 1, 2, 2, 3]})
    result = DataValidator("o").unique("a").unique(["a", "b"]).validate(df)
    assert result.failed_rows("unique:a").tolist() == [0, 1]
    assert result.failed_rows("unique:a,b").tolist() == [0, 1]


def test_in_range_dates_follow_the_column_timezone():
    ts = pd.Series(pd.to_datetime(["2026-01-01 00:30", "2026-01-02 12:00"]).tz_localize("UTC"))
    df = pd.DataFrame({"ts": ts})
    aware = DataValidator("o").in_range("ts", min=datetime(2026, 1, 1, 1, tzinfo=UTC))
    naive = DataValidator("o").in_range("ts", max="2026-01-02")  # taken in the column's tz
    assert aware.validate(df).failed_rows("in_range:ts").tolist() == [0]
    assert naive.validate(df).failed_rows("in_range:ts").tolist() == [1]
    naive_col = pd.DataFrame({"ts": ts.dt.tz_localize(None)})
    bound = pd.Timestamp("2026-01-01 01:00", tz="Europe/Paris")  # = 00:00 UTC
    result = DataValidator("o").in_range("ts", min=bound).validate(naive_col)
    assert result.ok


def test_in_range_handles_nullable_integers():
    df = pd.DataFrame({"q": pd.array([1, None, 50], dtype="Int64")})
    result = DataValidator("o").in_range("q", min=1, max=10).validate(df)
    assert result.failed_rows("in_range:q").tolist() == [2]


def test_isin_on_categorical_uses_categories():
    df = pd.DataFrame({"c": pd.Categorical(["EUR", "GBP", None, "USD", "GBP"])})
    result = DataValidator("o").isin("c", ["EUR", "USD"]).validate(df)
    assert result.failed_rows("isin:c").tolist() == [1, 4]


@pytest.mark.parametrize(
    ("pattern", "value", "ok"),
    [
        (r"ORD-\d{8}", "ORD-12345678", True),
        (r"ORD-\d{8}", "ORD-12345678X", False),  # full match, not a prefix
        (r"a|b", "b", True),  # alternation is anchored as a whole
        (r"a|b", "ab", False),
        (r"^ORD-\d{8}$", "xORD-12345678", False),
    ],
)
def test_matches_is_a_full_match_on_every_backend(backend, pattern, value, ok):
    df = pd.DataFrame({"s": [value]}).astype({"s": object if backend == "object" else backend})
    assert DataValidator("o").matches("s", pattern).validate(df).ok is ok


def test_matches_fails_non_string_values_in_object_columns():
    df = pd.DataFrame({"s": ["ORD-12345678", 12345678, None]}, dtype=object)
    result = DataValidator("o").matches("s", r"ORD-\d{8}").validate(df)
    assert result.failed_rows("matches:s").tolist() == [1]


def test_matches_reads_arrow_dtype_strings():
    df = pd.DataFrame({"s": pd.array(["ab", "x", None], dtype="string[pyarrow]")})
    df["s"] = df["s"].astype(pd.ArrowDtype(__import__("pyarrow").large_string()))
    result = DataValidator("o").matches("s", "a.").validate(df)
    assert result.failed_rows("matches:s").tolist() == [1]


@pytest.mark.parametrize(
    ("op", "failing"),
    [("<", [0, 1]), ("<=", [0]), (">", [1, 2]), (">=", [2]), ("==", [0, 2]), ("!=", [1])],
)
def test_compare_operators(op, failing):
    df = pd.DataFrame({"a": [3, 2, 1, 5], "b": [2, 2, 2, None]})  # row 3: null -> skipped
    result = DataValidator("o").compare("a", op, "b").validate(df)
    assert result.failed_rows(f"compare:a{op}b").tolist() == failing


@pytest.mark.parametrize(
    ("series", "expected", "ok"),
    [
        (pd.Series([1, 2]), "int", True),
        (pd.Series([1, 2]), "int64", True),
        (pd.Series([1, 2], dtype="Int64"), "integer", True),
        (pd.Series([1.5]), "int", False),
        (pd.Series([1.5]), "float", True),
        (pd.Series([True]), "bool", True),
        (pd.Series(["a"], dtype=object), "text", True),
        (pd.Series(["a"], dtype="string[pyarrow]"), "str", True),
        (pd.Series(pd.to_datetime(["2026-01-01"])), "timestamp", True),
        (pd.Series(pd.to_datetime(["2026-01-01"])), "date", True),
        (pd.Series([datetime(2026, 1, 1).date()]), "date", True),
        (pd.Series([{"a": 1}]), "json", True),
        (pd.Series(["a"], dtype="category"), "category", True),
        (pd.Series(["a"], dtype=object), "category", False),
        (pd.Series([1, 2]), "float64", False),
    ],
)
def test_dtype(series, expected, ok):
    result = DataValidator("o").dtype("c", expected, rule_id="DT-1").validate(series.to_frame("c"))
    assert result.ok is ok
    if not ok:
        [failure] = result.failures
        assert (failure.rule_id, failure.column, failure.failed_rows) == ("DT-1", "c", 0)
        assert f"expected {expected}" in failure.message


def test_dtype_rejects_an_unknown_type_name():
    with pytest.raises(ValueError, match="unknown dtype 'intt'"):
        DataValidator("o").dtype("c", "intt")


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        (pd.Series([1]), "int"),
        (pd.Series([1.0]), "float"),
        (pd.Series([True]), "bool"),
        (pd.Series(["a"], dtype="str"), "text"),
        (pd.Series(["a", None], dtype=object), "text"),
        (pd.Series([], dtype=object), "text"),
        (pd.Series(pd.to_datetime(["2026-01-01"]).tz_localize("UTC")), "timestamp"),
        (pd.Series([datetime(2026, 1, 1).date()]), "date"),
        (pd.Series([datetime(2026, 1, 1)], dtype=object), "timestamp"),
        (pd.Series([[1, 2], None]), "json"),
        (pd.Series(["a", "b"], dtype="category"), "text"),
        (pd.Series([1, "a"], dtype=object), "object"),
    ],
)
def test_portable_type(series, expected):
    assert portable_type(series) == expected


def test_custom_check_accepts_arrays_scalars_and_nullable_booleans():
    df = orders()
    result = (
        DataValidator("o")
        .check(lambda d: d["quantity"].to_numpy() < 100, name="array")
        .check(lambda d: len(d) > 10, name="scalar")
        .check(lambda d: True, name="scalar_ok")
        .check(lambda d: pd.array([True, None, False, True, True, True], "boolean"), name="na")
        .validate(df)
    )
    assert result.failed_rows("array").tolist() == [104]
    [scalar] = result.failures_for("scalar")
    assert (scalar.failed_rows, scalar.message) == (0, "check 'scalar' returned False")
    assert result.failures_for("scalar_ok") == []
    assert result.failed_rows("na").tolist() == [103]  # NA = not applicable, passes


def test_a_rule_that_cannot_run_is_reported_not_skipped():
    def broken(df: pd.DataFrame) -> pd.Series:
        return df["nope"] > 1

    df = orders()
    result = (
        DataValidator("o")
        .check(broken, name="broken")
        .check(lambda d: d["quantity"].head(2) > 0, name="short")
        .in_range("missing", min=1)
        .matches("quantity", "x")
        .not_null("order_id")
        .validate(df)
    )
    messages = {f.rule_id: f.message for f in result.failures}
    assert messages["broken"].startswith("could not run: KeyError")
    assert "returned (2,) values for 6 rows" in messages["short"]
    assert messages["in_range:missing"].startswith("column(s) missing missing from the frame")
    assert messages["matches:quantity"].startswith("could not run: AttributeError")
    assert "not_null:order_id" not in messages  # the other rules still ran, and passed


@pytest.mark.parametrize(
    "target",
    [
        CUSTOMERS,
        CUSTOMERS["customer_id"],
        pd.Index(["C1", "C2", "C3"]),
        {"C1", "C2", "C3"},
    ],
    ids=["frame", "series", "index", "set"],
)
def test_references_accepts_frames_series_and_collections(backend, target):
    df = damaged(backend, {(102, "customer_id"): "C7", (103, "customer_id"): None})
    result = DataValidator("o").references("customer_id", target).validate(df)
    assert result.failed_rows("references:customer_id").tolist() == [102]
    assert "not found in customer_id" in result.failures[0].message


def test_references_to_a_database_needs_a_table():
    with pytest.raises(TypeError, match="needs table="):
        DataValidator("o").references("customer_id", object())


@pytest.mark.parametrize(
    ("rows", "previous", "ok", "change"),
    [(6, 6, True, None), (6, 5, True, None), (6, 4, False, "+50.0%"), (6, 10, False, "-40.0%"),
     (6, 0, False, "+inf%"), (0, 0, True, None), (6, None, True, None)],
)  # fmt: skip
def test_row_count_drift(rows, previous, ok, change):
    df = orders().head(rows)
    result = DataValidator("o").row_count_drift(previous=previous, max_change=0.2).validate(df)
    assert result.ok is ok
    if change:
        [failure] = result.failures
        assert (failure.rule_id, failure.column, failure.failed_rows) == (
            "row_count_drift",
            None,
            0,
        )
        assert f"({change} change, allowed 20%)" in failure.message


def test_row_count_drift_rejects_bad_arguments():
    with pytest.raises(ValueError, match="max_change must be >= 0"):
        DataValidator("o").row_count_drift(previous=1, max_change=-0.1)
    with pytest.raises(ValueError, match="database= and table= together"):
        DataValidator("o").row_count_drift(table="orders")


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("tz", [None, "UTC", "Europe/Paris"])
@pytest.mark.parametrize(("age", "ok"), [(timedelta(hours=23), True), (timedelta(hours=25), False)])
def test_freshness(tz, age, ok):
    newest = pd.Timestamp(NOW - age)
    stamps = pd.Series([newest - timedelta(days=3), newest, None], dtype="datetime64[ns, UTC]")
    stamps = stamps.dt.tz_convert(tz) if tz else stamps.dt.tz_localize(None)
    df = pd.DataFrame({"updated_at": stamps})
    v = DataValidator("o").freshness("updated_at", max_age=timedelta(days=1), now=NOW)
    result = v.validate(df)
    assert result.ok is ok
    if not ok:
        assert "1 day, 1:00:00 old" in result.failures[0].message


def test_freshness_defaults_to_now_and_rejects_non_timestamps():
    df = pd.DataFrame(
        {"ts": pd.Series([datetime.now(UTC)]), "text": ["2026-01-01"], "empty": pd.NaT}
    )
    result = (
        DataValidator("o")
        .freshness("ts", max_age=timedelta(hours=1))
        .freshness("text", max_age=timedelta(hours=1))
        .freshness("empty", max_age=timedelta(hours=1))
        .validate(df)
    )
    messages = {f.rule_id: f.message for f in result.failures}
    assert "freshness:ts" not in messages
    assert messages["freshness:text"] == "dtype is str, not a timestamp; parse it"
    assert messages["freshness:empty"].startswith("no timestamp at all")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda v: v.in_range("q"), "needs min, max or both"),
        (lambda v: v.in_range("q", min=5, max=1), "min 5 is greater than max 1"),
        (lambda v: v.str_length("s"), "needs min, max or both"),
        (lambda v: v.matches("s", "("), "bad regex"),
        (lambda v: v.compare("a", "=>", "b"), "op must be one of"),
        (lambda v: v.not_null([]), "name at least one column"),
    ],
)
def test_declarations_reject_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call(DataValidator("o"))


@pytest.mark.parametrize(
    ("bounds", "failing"), [({"min": 6}, [101, 102, 103, 105]), ({"max": 5}, [106])]
)
def test_str_length_with_one_bound(backend, bounds, failing):
    df = damaged(backend, {(105, "sku"): "SKU-5", (101, "sku"): "SKU-1", (104, "sku"): None})
    df.loc[[102, 103], "sku"] = "S-2"
    result = DataValidator("o").str_length("sku", **bounds).validate(df)
    assert result.failed_rows("str_length:sku").tolist() == failing


def test_isin_rejects_a_bare_string():
    with pytest.raises(TypeError, match="not the string"):
        DataValidator("o").isin("c", "EUR")


def test_validate_rejects_a_non_frame():
    with pytest.raises(TypeError, match="validates a DataFrame, got list"):
        DataValidator("o").validate([1, 2])  # type: ignore[arg-type]


# --- the result object --------------------------------------------------------------------


def _failing_result() -> ValidationResult:
    df = damaged("object", {(102, "quantity"): 0, (103, "currency"): "GBP"})
    df["order_date"] = df["order_date"].astype(object)
    df.loc[103, "amount"] = np.nan
    return (
        DataValidator("orders")
        .in_range("quantity", min=1, rule_id="RG-1")
        .isin("currency", ["EUR", "USD"], rule_id="SET-1")
        .check(lambda d: d["currency"] != "GBP", name="no_gbp", rule_id="X-2")
        .row_count_drift(previous=100, rule_id="RC-1")
        .not_null("order_id", rule_id="NN-1")
        .validate(df)
    )


def test_result_ok_and_unknown_rule_ids():
    result = _failing_result()
    assert not result.ok
    assert result.rule_ids == ("RG-1", "SET-1", "X-2", "RC-1", "NN-1")
    assert result.failed_rows("NN-1").size == 0
    with pytest.raises(KeyError, match="has no rule 'NOPE'; its rules are RG-1, SET-1"):
        result.failed_rows("NOPE")


def test_result_table_lists_every_failure():
    text = _failing_result().table()
    lines = text.splitlines()
    assert lines[0] == "orders: 6 rows, 5 rules, 4 failed"
    assert lines[1].split() == ["rule_id", "check", "column", "failed", "detail"]
    assert lines[3].split()[:4] == ["RG-1", "in_range", "quantity", "1"]
    assert "e.g. rows 102" in lines[3]
    assert lines[6].split()[:4] == ["RC-1", "row_count_drift", "-", "0"]
    assert str(_failing_result()) == text


def test_result_table_when_everything_passes():
    result = DataValidator("orders").not_null("order_id").validate(orders())
    assert result.table() == "orders: 6 rows, 1 rules, all passed"
    result.raise_if_failed()  # no exception


def test_result_json_is_plain_and_complete():
    data = json.loads(_failing_result().to_json(include_rows=True))
    assert (data["validator"], data["ok"], data["rows_checked"]) == ("orders", False, 6)
    assert (data["rules"], data["failed_rules"]) == (5, 4)
    by_id = {f["rule_id"]: f for f in data["failures"]}
    assert by_id["RG-1"]["rows"] == [102]
    assert by_id["SET-1"]["examples"] == [{"row": 103, "values": {"currency": "GBP"}}]
    gbp_row = by_id["X-2"]["examples"][0]["values"]
    assert gbp_row["amount"] is None  # NaN -> null
    assert gbp_row["order_date"] == "2026-01-05T00:00:00"  # Timestamp -> ISO text
    assert "rows" not in json.loads(_failing_result().to_json())["failures"][0]


def test_result_frames():
    result = _failing_result()
    frame = result.to_frame()
    assert list(frame.columns) == ["rule_id", "check", "column", "failed_rows", "message", "rows"]
    assert frame["rule_id"].tolist() == ["RG-1", "SET-1", "X-2", "RC-1"]
    assert frame["failed_rows"].tolist() == [1, 1, 1, 0]
    long = result.row_failures()
    assert long[["row", "rule_id"]].to_numpy().tolist() == [
        [102, "RG-1"],
        [103, "SET-1"],
        [103, "X-2"],
    ]
    assert DataValidator("o").validate(orders()).row_failures().empty


def test_raise_if_failed_carries_the_result_and_the_table():
    result = _failing_result()
    with pytest.raises(ValidationFailed) as info:
        result.raise_if_failed()
    assert info.value.result is result
    assert str(info.value) == result.table()


def test_failure_values_render_times_and_durations():
    df = pd.DataFrame(
        {"d": [timedelta(hours=1)], "t": [pd.Timestamp("2026-01-01", tz="UTC")], "n": [np.int64(3)]}
    )
    result = DataValidator("o").check(lambda d: d["n"] < 0, name="neg").validate(df)
    values = result.failures[0].examples[0]["values"]
    assert values == {"d": "0 days 01:00:00", "t": "2026-01-01T00:00:00+00:00", "n": 3}
    assert isinstance(values["n"], int)


# --- pandera bridge --------------------------------------------------------------------------


def _pandera_schema() -> Any:
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            "order_id": pa.Column(str, unique=True, checks=pa.Check.str_matches(r"ORD-\d{8}")),
            "quantity": pa.Column(
                "int64", nullable=True, checks=[pa.Check.ge(1), pa.Check.le(1000)]
            ),
            "amount": pa.Column(
                float, nullable=True, checks=[pa.Check.in_range(0, 5000), pa.Check.gt(0)]
            ),
            "currency": pa.Column(str, checks=pa.Check.isin(["EUR", "USD"])),
            "sku": pa.Column(str, checks=[pa.Check.str_length(5, 6), pa.Check.str_length(6)]),
        },
        checks=[pa.Check(lambda d: d["quantity"] < 500, name="small")],
        unique=["customer_id", "sku"],
        name="orders_schema",
    )


def test_from_pandera_finds_what_pandera_finds():
    import pandera.errors as pe

    schema = _pandera_schema()
    df = damaged(
        "object",
        {
            (101, "order_id"): "ORD-123",
            (102, "quantity"): 0,
            (103, "amount"): 0.0,
            (104, "currency"): "GBP",
            (105, "sku"): "SKU",
        },
    )
    df.loc[106, "amount"] = np.nan  # nullable: passes everywhere, also through the fallback
    df = df.astype({"currency": "str", "sku": "str"})
    result = DataValidator.from_pandera(schema).validate(df)
    assert result.name == "orders_schema"
    with pytest.raises(pe.SchemaErrors) as info:
        schema.validate(df, lazy=True)
    cases = info.value.failure_cases
    expected = sorted(int(i) for i in cases["index"].dropna().unique())
    assert sorted(set(result.row_failures()["row"])) == expected
    assert result.failed_rows("matches:order_id").tolist() == [101]
    assert result.failed_rows("greater_than:amount").tolist() == [103]  # pandera fallback
    assert result.failed_rows("dtype:quantity").size == 0
    assert "small" in result.rule_ids
    assert "unique:customer_id,sku" in result.rule_ids


def test_from_pandera_keeps_pandera_prefix_semantics_of_str_matches():
    import pandera.pandas as pa

    schema = pa.DataFrameSchema({"s": pa.Column(checks=pa.Check.str_matches("ab"))})
    df = pd.DataFrame({"s": ["abc", "xab", "ab\nz"]}, dtype=object)
    result = DataValidator.from_pandera(schema, name="p").validate(df)
    assert result.failed_rows("matches:s").tolist() == [1]
    assert result.failed_rows("not_null:s").size == 0


def test_to_pandera_round_trip_finds_the_same_rows(backend):
    validator = (
        DataValidator("orders")
        .not_null("customer_id")
        .unique("order_id")
        .unique(["customer_id", "sku"])
        .unique(["customer_id", "currency"])
        .in_range("quantity", min=1, max=1000)
        .in_range("amount", min=1)
        .in_range("amount", max=20_000)
        .isin("currency", {"EUR", "USD"})
        .matches("order_id", r"ORD-\d{8}")
        .str_length("sku", 5, 6)
        .compare("ship_date", ">=", "order_date")
        .references("customer_id", CUSTOMERS)
        .dtype("quantity", "int")
        .check(lambda d: d["quantity"] != 999, name="not_999")
    )
    schema = validator.to_pandera()
    df = damaged(
        backend,
        {
            (101, "order_id"): "ORD-1",
            (102, "quantity"): 999,
            (103, "currency"): "GBP",
            (104, "customer_id"): "C9",
            (105, "ship_date"): pd.Timestamp("2025-01-01"),
            (106, "sku"): "SKU",
        },
    )
    import pandera.errors as pe

    with pytest.raises(pe.SchemaErrors) as info:
        schema.validate(df, lazy=True)
    cases = info.value.failure_cases
    from_pandera = sorted(int(i) for i in cases["index"].dropna().unique())
    ours = sorted(set(validator.validate(df).row_failures()["row"]))
    assert from_pandera == ours == [101, 102, 103, 104, 105, 106]
    assert schema.validate(orders(backend)) is not None  # good data passes pandera too


def test_to_pandera_rejects_or_skips_rules_without_an_equivalent():
    validator = (
        DataValidator("o")
        .not_null("order_id")
        .row_count_drift(previous=5)
        .references("customer_id", object(), table="customers")
    )
    with pytest.raises(ValueError, match="row_count_drift, references:customer_id have no pandera"):
        validator.to_pandera()
    schema = validator.to_pandera(skip_unsupported=True)
    assert list(schema.columns) == ["order_id"]
    assert schema.columns["order_id"].nullable is False


def test_module_import_does_not_import_pandera_or_sqlalchemy():
    import subprocess
    import sys

    code = (
        "import sys, dev.shared.validation_helpers; "
        "print(sorted(m for m in ('pandera', 'sqlalchemy') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    ).stdout
    assert out.strip() == "[]"


# --- defects injected by the mock data generator are found, exactly --------------------------

GENERATOR_DEFECTS = [
    # (defect kind, column, rule that must catch it)
    ("nulls", "email", "NN-EMAIL"),
    ("duplicates", "order_id", "UQ-ORDER"),
    ("out_of_range", "quantity", "RG-QTY"),
    ("malformed", "order_id", "RX-ORDER"),
    ("orphans", "customer_id", "FK-CUSTOMER"),
]


def _generated_orders(string_dtype: str):
    from dev.shared.mock_data_generator import (
        Email,
        ForeignKey,
        IntRange,
        MockDataGenerator,
        Pattern,
        Schema,
    )

    schema = Schema(
        "orders",
        {
            "order_id": Pattern("ORD-########", unique=True),
            "customer_id": ForeignKey("customers", "customer_id"),
            "email": Email(),
            "quantity": IntRange(1, 50),
        },
    )
    customers = pd.DataFrame({"customer_id": [f"C{i:04d}" for i in range(200)]})
    gen = MockDataGenerator(seed=42, string_dtype=string_dtype)  # type: ignore[arg-type]
    return gen, gen.generate(schema, rows=3000, related={"customers": customers}), customers


def _order_rules(customers: pd.DataFrame) -> DataValidator:
    return (
        DataValidator("generated_orders")
        .not_null("email", rule_id="NN-EMAIL")
        .unique("order_id", rule_id="UQ-ORDER")
        .in_range("quantity", min=1, max=50, rule_id="RG-QTY")
        .matches("order_id", r"ORD-\d{8}", rule_id="RX-ORDER")
        .references("customer_id", customers, rule_id="FK-CUSTOMER")
    )


@pytest.mark.parametrize("string_dtype", ["pyarrow", "python"])
@pytest.mark.parametrize(("kind", "column", "rule_id"), GENERATOR_DEFECTS)
def test_generator_defect_is_found_with_exactly_its_rows(string_dtype, kind, column, rule_id):
    from dev.shared.mock_data_generator import Defect

    gen, clean, customers = _generated_orders(string_dtype)
    validator = _order_rules(customers)
    assert validator.validate(clean).ok
    broken, report = gen.inject_defects(clean, [Defect(kind, column, 0.01)])
    result = validator.validate(broken)
    [entry] = report.entries
    expected = set(entry.rows.tolist())
    if kind == "duplicates":  # keep=False: the rows copied from fail `unique` as well
        expected |= set(entry.sources.tolist())
    assert len(entry.rows) == 30
    assert [f.rule_id for f in result.failures] == [rule_id]
    [failure] = result.failures
    assert failure.column == column
    assert failure.failed_rows == len(expected)
    assert set(result.failed_rows(rule_id).tolist()) == expected


def test_references_on_arrow_strings_with_keys_of_another_type_match_nothing():
    # text "1" is not the integer 1: a type mismatch shows up as orphans, not as a crash
    df = pd.DataFrame({"k": pd.array(["1", "2"], dtype="string[pyarrow]")})
    result = DataValidator("o").references("k", {1, 2}).validate(df)
    assert result.failed_rows("references:k").tolist() == [0, 1]
    assert DataValidator("o").references("k", {"1", "2"}).validate(df).ok


# --- database-backed checks ------------------------------------------------------------------


def _load_orders(db) -> pd.DataFrame:
    df = orders("str")
    db.replace_table_atomically(df.reset_index(drop=True), "orders")
    db.replace_table_atomically(CUSTOMERS.rename(columns={"customer_id": "id"}), "customers")
    return df


def test_references_a_database_table(database):
    _load_orders(database)
    df = damaged("string[pyarrow]", {(102, "customer_id"): "C8", (106, "customer_id"): None})
    result = (
        DataValidator("orders")
        .references("customer_id", database, "id", table="customers", rule_id="FK-1")
        .validate(df)
    )
    [failure] = result.failures
    assert (failure.rule_id, failure.column, failure.rows.tolist()) == (
        "FK-1",
        "customer_id",
        [102],
    )
    assert "not found in customers.id" in failure.message


def test_schema_matches_a_table_it_was_loaded_into(database):
    df = _load_orders(database)
    v = DataValidator("orders").schema_matches(database, "orders", rule_id="SC-1")
    assert v.validate(df.reset_index(drop=True)).ok
    assert v.validate(database.read_table("orders")).ok  # read back: same portable types


def test_schema_matches_reports_each_column_that_differs(database):
    df = _load_orders(database).reset_index(drop=True)
    df["quantity"] = df["quantity"].astype(str)
    df = df.drop(columns=["sku"]).assign(note="x")
    result = DataValidator("orders").schema_matches(database, "orders", rule_id="SC-1").validate(df)
    got = {f.column: f.message for f in result.failures}
    assert set(got) == {"sku", "quantity", "note"}
    assert {f.rule_id for f in result.failures} == {"SC-1"}
    assert got["sku"] == "column is in table 'orders' (text) but missing from the frame"
    assert got["quantity"] == "column is text in the frame but int in table 'orders'"
    assert got["note"].startswith("column is not in table 'orders'")
    lenient = DataValidator("o").schema_matches(
        database, "orders", allow_extra=True, allow_missing=True
    )
    assert [f.column for f in lenient.validate(df).failures] == ["quantity"]


def test_schema_matches_a_missing_table_fails(sqlite_database):
    result = DataValidator("o").schema_matches(sqlite_database, "nope").validate(orders())
    [failure] = result.failures
    assert (failure.rule_id, failure.column) == ("schema_matches:nope", None)
    assert failure.message == "table 'nope' does not exist in the database"


def test_schema_matches_accepts_lossless_type_pairs(sqlite_database):
    table = pd.DataFrame({"n": [1.5], "d": pd.to_datetime(["2026-01-01"])})
    sqlite_database.replace_table_atomically(table, "t")
    frame = pd.DataFrame({"n": [1], "d": [datetime(2026, 1, 1).date()]})  # int -> float
    assert DataValidator("o").schema_matches(sqlite_database, "t").validate(frame).ok


def test_references_to_a_missing_table_is_reported(sqlite_database):
    result = (
        DataValidator("o")
        .references("customer_id", sqlite_database, table="nope")
        .validate(orders())
    )
    [failure] = result.failures
    assert failure.rule_id == "references:customer_id"
    assert failure.message.startswith("could not run:")


def test_row_count_drift_against_the_loaded_table(sqlite_database):
    v = DataValidator("o").row_count_drift(
        database=sqlite_database, table="orders", max_change=0.5, rule_id="RC-1"
    )
    assert v.validate(pd.concat([orders()] * 3)).ok  # first load: no table yet
    _load_orders(sqlite_database)
    assert v.validate(pd.concat([orders()] * 1)).ok
    result = v.validate(pd.concat([orders()] * 3))
    assert "18 rows vs 6 in the previous load (+200.0% change" in result.failures[0].message
