"""Tests of dev/shared/mock_data_generator/: value domains, determinism, schemas, defects, writers."""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dev.shared import mock_data_generator as mdg
from dev.shared.mock_data_generator import (
    Boolean,
    Category,
    Company,
    Constant,
    DateAfter,
    DateRange,
    DatetimeRange,
    Defect,
    DefectError,
    DefectReport,
    Email,
    FloatRange,
    ForeignKey,
    Id,
    IntRange,
    MockDataGenerator,
    Money,
    Name,
    Pattern,
    Schema,
    SchemaError,
    Sequence,
    pools,
    read_frame,
    write_frame,
    write_table,
    writers,
)
from dev.shared.mock_data_generator.text import _STRING_DTYPES
from shared.db_helper import TableSchema

pytestmark = pytest.mark.unit

ROWS = 4_000

CUSTOMERS = Schema(
    "customers",
    {
        "customer_id": Id(start=100),
        "name": Name(),
        "company": Company(),
        "email": Email(unique=True),
    },
)
ORDERS = Schema(
    "orders",
    {
        "order_id": Pattern("ORD-########", unique=True),
        "line": Sequence(start=1),
        "customer_id": ForeignKey("customers", "customer_id"),
        "name": Name(),
        "company": Company(),
        "email": Email(),
        "order_date": DateRange("2026-01-01", "2026-12-31"),
        "ship_date": DateAfter("order_date", 1, 14),
        "created_at": DatetimeRange("2026-01-01T00:00:00", "2026-01-31T23:59:59"),
        "amount": Money(1, 5000),
        "quantity": IntRange(1, 50),
        "weight": FloatRange(0.5, 20.0, decimals=1),
        "currency": Category({"EUR": 0.6, "USD": 0.3, "GBP": 0.1}),
        "express": Boolean(0.25),
        "source": Constant("web"),
        "note": Category(["a", "b"], null_rate=0.1),
    },
)

ORDERS_YAML = """
name: orders
columns:
  order_id: {kind: pattern, pattern: "ORD-########", unique: true}
  line: {kind: sequence, start: 1}
  customer_id: {kind: foreign_key, frame: customers, column: customer_id}
  name: name
  company: company
  email: {kind: email}
  order_date: {kind: date, start: 2026-01-01, end: "2026-12-31"}
  ship_date: {kind: date_after, column: order_date, min_days: 1, max_days: 14}
  created_at: {kind: datetime, start: "2026-01-01T00:00:00", end: "2026-01-31T23:59:59"}
  amount: {kind: money, min: 1, max: 5000}
  quantity: {kind: integer, min: 1, max: 50}
  weight: {kind: float, min: 0.5, max: 20.0, decimals: 1}
  currency: {kind: category, weights: {EUR: 0.6, USD: 0.3, GBP: 0.1}}
  express: {kind: boolean, probability: 0.25}
  source: {kind: constant, value: web}
  note: {kind: category, weights: [a, b], null_rate: 0.1}
"""


@pytest.fixture(scope="module")
def gen() -> MockDataGenerator:
    return MockDataGenerator(seed=7)


@pytest.fixture(scope="module")
def customers(gen: MockDataGenerator) -> pd.DataFrame:
    return gen.generate(CUSTOMERS, 500)


@pytest.fixture(scope="module")
def orders(gen: MockDataGenerator, customers: pd.DataFrame) -> pd.DataFrame:
    return gen.generate(ORDERS, ROWS, related={"customers": customers})


def one_column(spec: mdg.Column, rows: int = ROWS, seed: int = 3, **related: pd.DataFrame):
    frame = MockDataGenerator(seed).generate(Schema("t", {"c": spec}), rows, related=related)
    return frame["c"]


def changed_cells(clean: pd.DataFrame, damaged: pd.DataFrame) -> dict[str, set[object]]:
    """Index labels whose value differs between two frames, per column (NA == NA)."""
    out = {}
    for column in clean.columns:
        a, b = clean[column], damaged[column]
        same = (a == b).fillna(value=False).to_numpy(dtype=bool) | (a.isna() & b.isna()).to_numpy()
        labels = set(clean.index[~same].tolist())
        if labels:
            out[column] = labels
    return out


def full_match(values: pd.Series, regex: str) -> np.ndarray:
    return values.astype(object).map(lambda v: bool(re.fullmatch(regex, v))).to_numpy(dtype=bool)


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("strings", ["pyarrow", "python"])
def test_same_seed_gives_the_same_frame(customers, strings):
    a = MockDataGenerator(11, string_dtype=strings).generate(
        ORDERS, 500, related={"customers": customers}
    )
    b = MockDataGenerator(11, string_dtype=strings).generate(
        ORDERS, 500, related={"customers": customers}
    )
    pd.testing.assert_frame_equal(a, b)
    assert a["name"].dtype == _STRING_DTYPES[strings]


def test_different_seeds_give_different_frames(customers):
    a = MockDataGenerator(1).generate(ORDERS, 500, related={"customers": customers})
    b = MockDataGenerator(2).generate(ORDERS, 500, related={"customers": customers})
    for column in ("order_id", "name", "email", "amount", "quantity", "order_date"):
        assert (a[column] != b[column]).mean() > 0.5, column


def test_generating_twice_with_one_generator_repeats_and_columns_are_independent(customers):
    gen = MockDataGenerator(5)
    first = gen.generate(ORDERS, 300, related={"customers": customers})
    pd.testing.assert_frame_equal(
        first, gen.generate(ORDERS, 300, related={"customers": customers})
    )
    fewer = Schema("orders", {"quantity": IntRange(1, 50), "email": Email()})
    pd.testing.assert_frame_equal(gen.generate(fewer, 300), first[["quantity", "email"]])


def test_string_modes_hold_the_same_values(customers):
    arrow = MockDataGenerator(3).generate(ORDERS, 200, related={"customers": customers})
    python = MockDataGenerator(3, string_dtype="python").generate(
        ORDERS, 200, related={"customers": customers}
    )
    assert python["email"].dtype == _STRING_DTYPES["python"]
    assert arrow["email"].tolist() == python["email"].tolist()


def test_generator_rejects_unknown_string_dtype_and_bad_rows():
    with pytest.raises(ValueError, match="string_dtype 'arrow'"):
        MockDataGenerator(1, string_dtype="arrow")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rows must be a non-negative integer"):
        MockDataGenerator(1).generate(CUSTOMERS, -1)


def test_seed_defaults_to_a_logged_random_seed(caplog):
    with caplog.at_level(logging.INFO, logger="dev.shared.mock_data_generator"):
        gen = MockDataGenerator()
    assert f"seed={gen.seed}" in caplog.text


def test_zero_rows_give_an_empty_frame_with_the_columns(customers):
    frame = MockDataGenerator(1).generate(ORDERS, 0, related={"customers": customers})
    assert list(frame.columns) == list(ORDERS.columns)
    assert frame.empty


# --------------------------------------------------------------------------- value domains


def test_ids_and_sequences():
    assert one_column(Id(start=10), 5).tolist() == [10, 11, 12, 13, 14]
    shuffled = one_column(Id(shuffle=True), 1000)
    assert sorted(shuffled) == list(range(1, 1001))
    assert shuffled.tolist() != sorted(shuffled)
    assert one_column(Sequence(start=5, step=-2), 3).tolist() == [5, 3, 1]
    assert one_column(Sequence(cycle=3), 7).tolist() == [1, 2, 3, 1, 2, 3, 1]


@pytest.mark.parametrize("part", ["full", "first", "last"])
def test_names_are_realistic_and_varied(part):
    spec = Name(part=part)
    names = one_column(spec)
    assert full_match(names, spec.format_regex).all()
    assert names.nunique() > 100


def test_companies_match_their_format():
    companies = one_column(Company())
    assert full_match(companies, Company().format_regex).all()
    assert companies.str.split(" ").str[-1].isin(pools._COMPANY_SUFFIXES).all()


def test_emails_match_the_address_format_and_default_domains():
    emails = one_column(Email())
    assert full_match(emails, Email().format_regex).all()
    assert emails.str.split("@").str[1].isin(list(pools._EMAIL_DOMAINS)).all()
    assert emails.str.endswith("gmail.com").mean() > 0.2  # the most common domain dominates


def test_email_domains_may_be_one_string():
    assert set(one_column(Email(domains="acme.io"), 50).str.split("@").str[1]) == {"acme.io"}  # type: ignore[arg-type]


def test_emails_with_own_domains_and_unique():
    emails = one_column(Email(domains=("acme.io", "acme.de"), unique=True))
    assert emails.str.split("@").str[1].isin(["acme.io", "acme.de"]).all()
    assert emails.is_unique


def test_unique_emails_beyond_the_pool_get_a_row_suffix(monkeypatch):
    monkeypatch.setattr(pools, "_EMAIL_POOL_SIZE", 300)
    pools._email_pool.cache_clear()
    pools._local_parts.cache_clear()
    try:
        emails = one_column(Email(domains=("x.org",), unique=True), 2000)
    finally:
        pools._email_pool.cache_clear()
        pools._local_parts.cache_clear()
    assert emails.is_unique
    assert full_match(emails, Email().format_regex).all()


def test_dates_datetimes_and_dates_after(orders):
    order_date, ship = orders["order_date"], orders["ship_date"]
    assert order_date.dtype == "datetime64[us]"
    assert order_date.min() >= pd.Timestamp("2026-01-01")
    assert order_date.max() <= pd.Timestamp("2026-12-31")
    assert (order_date == order_date.dt.normalize()).all()
    days = (ship - order_date).dt.days
    assert days.between(1, 14).all()
    assert set(days) == set(range(1, 15))
    created = orders["created_at"]
    assert created.between(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-31 23:59:59")).all()
    assert (created.dt.microsecond == 0).all()
    assert created.dt.second.nunique() > 50


def test_date_range_reaches_both_ends():
    days = one_column(DateRange(date(2026, 3, 1), date(2026, 3, 3)), 500)
    assert set(days.dt.day) == {1, 2, 3}


def test_money_has_two_decimals_within_range(orders):
    amount = orders["amount"]
    assert amount.between(1, 5000).all()
    cents = amount * 100
    assert np.allclose(cents, cents.round(), atol=1e-6)
    assert (cents.round() % 100 != 0).mean() > 0.9  # not just whole amounts


def test_integer_and_float_ranges(orders):
    assert orders["quantity"].dtype == np.int64
    assert orders["quantity"].min() == 1
    assert orders["quantity"].max() == 50
    weight = orders["weight"]
    assert weight.between(0.5, 20.0).all()
    assert np.allclose(weight * 10, (weight * 10).round())
    unrounded = one_column(FloatRange(-1.0, 1.0))
    assert unrounded.between(-1, 1).all()
    assert unrounded.nunique() == ROWS


def test_category_weights_are_respected(orders):
    # fixed seed and 4,000 rows: the shares are deterministic; 0.03 is > 4 standard errors
    shares = orders["currency"].value_counts(normalize=True)
    for value, weight in {"EUR": 0.6, "USD": 0.3, "GBP": 0.1}.items():
        assert abs(shares[value] - weight) < 0.03, (value, shares[value])
    uniform = one_column(Category(["x", "y", "z", "w"])).value_counts(normalize=True)
    assert (uniform - 0.25).abs().max() < 0.03


def test_category_with_zero_weight_many_values_numbers_and_categorical():
    assert "never" not in set(one_column(Category({"a": 1, "never": 0, "b": 1})))
    many = one_column(Category({f"v{i}": 1 for i in range(30)}))
    assert many.nunique() == 30
    numbers = one_column(Category({1: 0.5, 2: 0.5}))
    assert numbers.dtype == np.int64
    assert set(numbers) == {1, 2}
    categorical = one_column(Category({"EUR": 2, "USD": 1}, categorical=True))
    assert isinstance(categorical.dtype, pd.CategoricalDtype)
    assert list(categorical.cat.categories) == ["EUR", "USD"]


def test_boolean_probability(orders):
    assert orders["express"].dtype == bool
    assert abs(orders["express"].mean() - 0.25) < 0.03


def test_constants():
    assert set(one_column(Constant("web"), 10)) == {"web"}
    assert one_column(Constant(3), 4).tolist() == [3, 3, 3, 3]


@pytest.mark.parametrize(
    ("pattern", "regex"),
    [
        ("ORD-########", r"ORD-\d{8}"),
        ("??-###-?", r"[A-Z]{2}-\d{3}-[A-Z]"),
        (r"A\#\?-#", r"A#\?-\d"),
        ("Zürich-##", r"Zürich-\d\d"),
        ("ends\\", r"ends\\"),
    ],
)
def test_patterns_match_their_regex(pattern, regex):
    spec = Pattern(pattern)
    values = one_column(spec, 500)
    assert full_match(values, regex).all()
    assert full_match(values, spec.format_regex).all()


def test_unique_patterns_are_unique_even_in_small_spaces():
    values = one_column(Pattern("X-##", unique=True), 100)
    assert values.is_unique
    assert len(values) == 100
    long = one_column(Pattern("#" * 25, unique=True), 2000)  # beyond int64: unique tail block
    assert long.is_unique
    assert long.str.len().eq(25).all()


def test_unique_pattern_rejects_more_rows_than_values():
    with pytest.raises(ValueError, match="only 10 distinct values"):
        one_column(Pattern("#", unique=True), 11)
    with pytest.raises(ValueError, match="no '#' or '\\?'"):
        one_column(Pattern("ABC", unique=True), 2)


def test_foreign_keys_point_into_the_parent(orders, customers):
    fk = orders["customer_id"]
    assert fk.isin(customers["customer_id"]).all()
    assert fk.dtype == customers["customer_id"].dtype
    assert fk.nunique() > 400  # spread over the parents


def test_foreign_keys_on_text_keys_with_null_parent_keys():
    parent = pd.DataFrame({"sku": pd.Series(["A1", None, "B2"], dtype="str")})
    values = one_column(ForeignKey("products", "sku"), 200, products=parent)
    assert set(values) == {"A1", "B2"}


def test_null_rate_makes_cells_missing_and_ints_nullable(orders):
    assert abs(orders["note"].isna().mean() - 0.1) < 0.03
    ints = one_column(IntRange(1, 3, null_rate=0.2))
    assert ints.dtype == "Int64"
    assert abs(ints.isna().mean() - 0.2) < 0.03
    flags = one_column(Boolean(null_rate=0.5))
    assert flags.dtype == "boolean"
    assert flags.isna().any()
    days = one_column(DateRange("2026-01-01", "2026-01-02", null_rate=0.5))
    assert days.isna().any()
    assert days.dtype == "datetime64[us]"


# --------------------------------------------------------------------------- schemas


def test_yaml_schema_equals_the_python_schema(tmp_path):
    assert Schema.from_yaml(ORDERS_YAML).to_dict() == ORDERS.to_dict() | {
        "columns": ORDERS.to_dict()["columns"]
        | {"order_date": {"kind": "date", "start": date(2026, 1, 1), "end": "2026-12-31"}}
    }
    path = tmp_path / "orders.yaml"
    path.write_text(ORDERS_YAML, encoding="utf-8")
    from_file = Schema.from_yaml(path)
    assert Schema.from_yaml(str(path)) == from_file
    assert from_file.parents == {"customers"}
    customers = MockDataGenerator(1).generate(CUSTOMERS, 50)
    frame = MockDataGenerator(1).generate(from_file, 50, related={"customers": customers})
    pd.testing.assert_frame_equal(
        frame, MockDataGenerator(1).generate(ORDERS, 50, related={"customers": customers})
    )


def test_schema_dict_round_trip():
    assert Schema.from_dict(ORDERS.to_dict()) == ORDERS
    assert Schema.from_dict(CUSTOMERS.to_dict()) == CUSTOMERS


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            {"qty": {"kind": "integr", "min": 1, "max": 2}},
            r"column 'qty': unknown kind 'integr'; use one of id,",
        ),
        (
            {"qty": {"kind": "integer", "min": 5, "max": 1}},
            r"column 'qty' \(integer\): integer min 5 > max 1",
        ),
        (
            {"qty": {"kind": "integer", "min": 1, "maxx": 2}},
            r"'qty' \(integer\): unknown parameter\(s\) \['maxx'\]",
        ),
        (
            {"qty": {"kind": "integer", "min": 1}},
            r"'qty' \(integer\): missing parameter\(s\) \['max'\]",
        ),
        (
            {"qty": {"kind": "integer", "min": 1.5, "max": 2}},
            r"'qty' \(integer\): min must be an integer",
        ),
        ({"p": {"kind": "money", "min": 9, "max": 1}}, r"'p' \(money\): money min 9.0 > max 1.0"),
        (
            {"p": {"kind": "money", "min": 0.001, "max": 0.002}},
            r"'p' \(money\): .* holds no whole cent",
        ),
        ({"p": {"kind": "float", "min": "a", "max": 1}}, r"'p' \(float\): min must be a number"),
        (
            {"p": {"kind": "float", "min": 0, "max": 1, "decimals": -1}},
            r"'p' \(float\): decimals must be >= 0",
        ),
        (
            {"d": {"kind": "date", "start": "2026-13-01", "end": "2026-12-31"}},
            r"'d' \(date\): start '2026-13-01' is not a date",
        ),
        (
            {"d": {"kind": "date", "start": "2026-02-01", "end": "2026-01-01"}},
            r"'d' \(date\): date range min",
        ),
        (
            {"d": {"kind": "datetime", "start": 5, "end": "2026-01-01"}},
            r"'d' \(datetime\): start 5 is not a datetime",
        ),
        (
            {"d": {"kind": "date_after", "column": "nope"}},
            r"'d' \(date_after\): column 'nope' is not a date",
        ),
        (
            {
                "d": {"kind": "date", "start": "2026-01-01", "end": "2026-01-02"},
                "e": {"kind": "date_after", "column": "d", "min_days": 3, "max_days": 1},
            },
            r"'e' \(date_after\): days min 3 > max 1",
        ),
        (
            {"e": {"kind": "date_after", "column": "e"}},
            r"columns \['e'\] depend on each other in a cycle",
        ),
        (
            {"c": {"kind": "category", "weights": {}}},
            r"'c' \(category\): values \[\] must be non-empty",
        ),
        (
            {"c": {"kind": "category", "weights": {"a": -1}}},
            r"'c' \(category\): weights \[-1.0\] must be >= 0",
        ),
        ({"c": {"kind": "category", "weights": "abc"}}, r"'c' \(category\): weights must be"),
        ({"c": {"kind": "category", "weights": ["a", 1]}}, r"must be non-empty and all str"),
        (
            {"c": {"kind": "category", "weights": ["a", "a"]}},
            r"'c' \(category\): values \['a', 'a'\] repeat",
        ),
        ({"c": {"kind": ["integer"]}}, r"column 'c': unknown kind \['integer'\]"),
        (
            {"c": {"kind": "email", "null_rate": 1.5}},
            r"'c' \(email\): null_rate 1.5 is outside 0..1",
        ),
        (
            {"c": {"kind": "email", "domains": ["not a domain"]}},
            r"'c' \(email\): domains \['not a domain'\]",
        ),
        (
            {"c": {"kind": "boolean", "probability": 2}},
            r"'c' \(boolean\): probability 2 is outside",
        ),
        ({"c": {"kind": "constant", "value": None}}, r"'c' \(constant\): value None must be"),
        (
            {"c": {"kind": "pattern", "pattern": ""}},
            r"'c' \(pattern\): pattern must be a non-empty",
        ),
        ({"c": {"kind": "name", "part": "middle"}}, r"'c' \(name\): part 'middle' is not one of"),
        ({"c": {"kind": "sequence", "cycle": 0}}, r"'c' \(sequence\): cycle must be >= 1"),
        ({"c": {"kind": "id", "start": "1"}}, r"'c' \(id\): start must be an integer"),
        (
            {"c": {"kind": "foreign_key", "frame": "", "column": "id"}},
            r"'c' \(foreign_key\): frame must name",
        ),
        ({"c": 5}, r"column 'c': expected a mapping with 'kind'"),
    ],
)
def test_bad_schemas_are_rejected_naming_column_and_problem(columns, message):
    with pytest.raises(SchemaError, match=message):
        Schema.from_dict({"name": "bad", "columns": columns})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "a schema must be a mapping"),
        ({"columns": {"a": "id"}}, "'name' must be a non-empty string"),
        ({"name": "x", "columns": [1]}, "needs 'name' and a 'columns' mapping"),
        ({"name": "x", "columns": {"a": "id"}, "colums": {}}, r"unknown keys \['colums'\]"),
        ({"name": "x", "columns": {}}, "declares no columns"),
    ],
)
def test_bad_schema_documents_are_rejected(data, message):
    with pytest.raises(SchemaError, match=message):
        Schema.from_dict(data)


def test_python_schema_rejects_a_non_column():
    with pytest.raises(SchemaError, match=r"column 'a': expected a column kind"):
        Schema("x", {"a": 5})  # type: ignore[dict-item]
    with pytest.raises(SchemaError, match="schema name must be a non-empty string"):
        Schema("", {"a": Id()})


def test_yaml_errors_name_the_file_or_the_syntax(tmp_path):
    with pytest.raises(SchemaError, match=r"cannot read schema file .*missing\.yaml"):
        Schema.from_yaml(str(tmp_path / "missing.yaml"))
    with pytest.raises(SchemaError, match="schema YAML does not parse"):
        Schema.from_yaml("name: [unclosed\ncolumns: {}")


def test_missing_parent_frame_is_named():
    with pytest.raises(
        SchemaError, match=r"column 'customer_id': foreign key into frame 'customers', but related="
    ):
        MockDataGenerator(1).generate(ORDERS, 10)
    with pytest.raises(SchemaError, match=r"frame 'customers' has no column 'customer_id'"):
        MockDataGenerator(1).generate(ORDERS, 10, related={"customers": pd.DataFrame({"id": [1]})})
    empty = pd.DataFrame({"customer_id": pd.Series([None], dtype="Int64")})
    with pytest.raises(SchemaError, match="has no values to refer to"):
        MockDataGenerator(1).generate(ORDERS, 10, related={"customers": empty})


# --------------------------------------------------------------------------- defects


def inject(
    gen: MockDataGenerator, frame: pd.DataFrame, *defects: Defect, **kwargs: Any
) -> tuple[pd.DataFrame, DefectReport]:
    return gen.inject_defects(frame, list(defects), **kwargs)


def test_nulls_damage_exactly_the_reported_rows(gen, orders):
    damaged, report = inject(
        gen, orders, Defect("nulls", "email", 0.05), Defect("nulls", "quantity", 0.02)
    )
    assert changed_cells(orders, damaged) == {
        "email": set(report.rows("nulls", "email")),
        "quantity": set(report.rows("nulls", "quantity")),
    }
    assert len(report.rows("nulls", "email")) == 200
    assert len(report.rows("nulls", "quantity")) == 80
    assert damaged.loc[report.rows("nulls", "email"), "email"].isna().all()
    assert damaged["quantity"].dtype == "Int64"


def test_nulls_skip_cells_that_are_already_missing(gen, orders):
    _damaged, report = inject(gen, orders, Defect("nulls", "note", 0.5))
    assert orders.loc[report.rows("nulls", "note"), "note"].notna().all()


def test_key_duplicates_copy_another_rows_value(gen, orders):
    damaged, report = inject(gen, orders, Defect("duplicates", "order_id", 0.03))
    entry = report.entries[0]
    assert changed_cells(orders, damaged) == {"order_id": set(entry.rows)}
    assert len(entry.rows) == 120
    assert entry.sources is not None
    assert (
        damaged.loc[entry.rows, "order_id"].tolist()
        == orders.loc[entry.sources, "order_id"].tolist()
    )
    assert not set(entry.rows) & set(entry.sources)
    flagged = damaged.index[damaged["order_id"].duplicated(keep=False)]
    assert set(flagged) == set(entry.rows) | set(entry.sources)


def test_duplicates_skip_copies_that_change_nothing(gen):
    frame = pd.DataFrame({"flag": ["x"] * 95 + ["y"] * 5})
    damaged, report = inject(gen, frame, Defect("duplicates", "flag", 0.5))
    rows = report.rows("duplicates", "flag")
    assert changed_cells(frame, damaged) == ({"flag": set(rows)} if len(rows) else {})
    assert len(rows) <= 5


def test_whole_row_duplicates(gen, orders):
    damaged, report = inject(gen, orders, Defect("duplicates", "*", 0.02))
    entry = report.entries[0]
    assert len(entry.rows) == 80
    copied = damaged.loc[entry.rows].reset_index(drop=True)
    pd.testing.assert_frame_equal(copied, orders.loc[entry.sources].reset_index(drop=True))
    assert set().union(*changed_cells(orders, damaged).values()) == set(entry.rows)
    assert set(report.damaged_rows("email")) == set(entry.rows)


@pytest.mark.parametrize(
    "column", ["quantity", "amount", "weight", "order_date", "created_at", "ship_date"]
)
def test_out_of_range_values_leave_the_declared_range(gen, orders, column):
    damaged, report = inject(gen, orders, Defect("out_of_range", column, 0.05))
    rows = report.rows("out_of_range", column)
    assert changed_cells(orders, damaged) == {column: set(rows)}
    values = damaged.loc[rows, column]
    if column == "ship_date":
        days = (values - orders.loc[rows, "order_date"]).dt.days
        assert (~days.between(1, 14)).all()
    else:
        low, high = orders[column].min(), orders[column].max()
        spec = ORDERS.columns[column]
        low = pd.Timestamp(spec.start) if hasattr(spec, "start") else spec.min  # type: ignore[attr-defined]
        high = pd.Timestamp(spec.end) if hasattr(spec, "end") else spec.max  # type: ignore[attr-defined]
        if column == "order_date":
            high = high + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        assert (~values.between(low, high)).all()
        assert (values < low).any()
        assert (values > high).any()
    assert damaged[column].dtype == orders[column].dtype


@pytest.mark.parametrize("column", ["order_id", "email", "name", "company", "currency", "source"])
def test_malformed_text_breaks_the_format(gen, orders, column):
    damaged, report = inject(gen, orders, Defect("malformed", column, 0.05))
    rows = report.rows("malformed", column)
    assert changed_cells(orders, damaged) == {column: set(rows)}
    regex = ORDERS.columns[column].format_regex
    assert regex is not None
    assert full_match(orders[column], regex).all()
    assert not full_match(damaged.loc[rows, column], regex).any()


def test_malformed_ids_have_wrong_length_or_letters(gen, orders):
    damaged, report = inject(gen, orders, Defect("malformed", "order_id", 0.1))
    bad = damaged.loc[report.rows("malformed", "order_id"), "order_id"]
    wrong_length = bad.str.len() != 12
    has_letter = bad.str.slice(4).str.contains("[A-Z]")
    assert (wrong_length | has_letter).all()
    assert wrong_length.any()
    assert has_letter.any()


def test_malformed_emails_lose_their_shape(gen, orders):
    damaged, report = inject(gen, orders, Defect("malformed", "email", 0.1))
    bad = damaged.loc[report.rows("malformed", "email"), "email"]
    assert (~bad.str.contains("@")).any()
    assert bad.str.contains("@@").any()
    assert bad.str.endswith("@").any()


def test_malformed_numbers_and_dates_turn_the_column_into_unparseable_text(gen, orders):
    damaged, report = inject(
        gen,
        orders,
        Defect("out_of_range", "quantity", 0.02),
        Defect("malformed", "quantity", 0.05),
        Defect("malformed", "order_date", 0.05),
        Defect("malformed", "express", 0.05),
        Defect("nulls", "quantity", 0.01),
    )
    assert damaged["quantity"].dtype == "str"
    assert damaged["order_date"].dtype == "str"
    bad_qty = report.rows("malformed", "quantity")
    parsed = pd.to_numeric(damaged["quantity"], errors="coerce")
    assert parsed.loc[bad_qty].isna().all()
    untouched = orders.index.difference(report.damaged_rows("quantity"))
    assert (parsed.loc[untouched] == orders.loc[untouched, "quantity"]).all()
    out = report.rows("out_of_range", "quantity")
    assert (~parsed.loc[out].between(1, 50)).all()
    assert damaged.loc[report.rows("nulls", "quantity"), "quantity"].isna().all()
    dates = pd.to_datetime(damaged["order_date"], format="ISO8601", errors="coerce")
    bad_dates = report.rows("malformed", "order_date")
    assert dates.loc[bad_dates].isna().all()
    good = orders.index.difference(bad_dates)
    assert (dates.loc[good] == orders.loc[good, "order_date"]).all()
    flags = damaged["express"]
    assert set(flags.drop(report.rows("malformed", "express"))) <= {"true", "false"}
    assert not set(flags.loc[report.rows("malformed", "express")]) & {"true", "false"}


def test_malformed_datetime_and_float_text(gen, orders):
    damaged, report = inject(
        gen, orders, Defect("malformed", "created_at", 0.1), Defect("malformed", "amount", 0.1)
    )
    clean_text = damaged["created_at"].drop(report.rows("malformed", "created_at"))
    assert clean_text.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d").all()
    parsed = pd.to_datetime(damaged["created_at"], format="ISO8601", errors="coerce")
    assert parsed.loc[report.rows("malformed", "created_at")].isna().all()
    amounts = pd.to_numeric(damaged["amount"], errors="coerce")
    assert amounts.loc[report.rows("malformed", "amount")].isna().all()


def test_out_of_range_after_malformed_is_written_as_text(gen, orders):
    damaged, report = inject(
        gen, orders, Defect("malformed", "quantity", 0.05), Defect("out_of_range", "quantity", 0.05)
    )
    assert damaged["quantity"].dtype == "str"
    out = pd.to_numeric(damaged.loc[report.rows("out_of_range", "quantity"), "quantity"])
    assert (~out.between(1, 50)).all()


def test_malformed_fixed_text_patterns_and_sub_second_timestamps(gen):
    frame = gen.generate(Schema("p", {"code": Pattern("ABC")}), 100)
    damaged, report = gen.inject_defects(frame, [Defect("malformed", "code", 0.2)])
    assert not damaged.loc[report.rows("malformed", "code"), "code"].eq("ABC").any()
    stamps = pd.DataFrame(
        {"at": pd.Timestamp("2026-01-01 10:00:00.250") + pd.to_timedelta(range(50), "s")}
    )
    damaged, report = gen.inject_defects(
        stamps, [Defect("malformed", "at", 0.2), Defect("malformed", "at", 0.0)]
    )
    assert damaged.drop(report.rows("malformed", "at"))["at"].str.endswith(".250000").all()


def test_malformed_categorical_adds_the_bad_values_as_categories(gen):
    schema = Schema("c", {"cur": Category({"EUR": 1, "USD": 1}, categorical=True)})
    frame = gen.generate(schema, 500)
    damaged, report = gen.inject_defects(frame, [Defect("malformed", "cur", 0.1)])
    assert isinstance(damaged["cur"].dtype, pd.CategoricalDtype)
    assert not damaged.loc[report.rows("malformed", "cur"), "cur"].isin(["EUR", "USD"]).any()
    assert damaged.drop(report.rows("malformed", "cur"))["cur"].isin(["EUR", "USD"]).all()


def test_malformed_without_a_schema_uses_generic_text_damage(gen):
    frame = pd.DataFrame({"city": ["berlin", "Paris", "N/A", "Rome"] * 50})
    damaged, report = gen.inject_defects(frame, [Defect("malformed", "city", 0.5)])
    rows = report.rows("malformed", "city")
    assert changed_cells(frame, damaged) == {"city": set(rows)}
    assert len(rows) == 100


def test_orphans_are_not_in_the_parent(gen, orders, customers):
    damaged, report = inject(gen, orders, Defect("orphans", "customer_id", 0.05))
    rows = report.rows("orphans", "customer_id")
    assert changed_cells(orders, damaged) == {"customer_id": set(rows)}
    assert not damaged.loc[rows, "customer_id"].isin(customers["customer_id"]).any()
    assert damaged.drop(rows)["customer_id"].isin(customers["customer_id"]).all()


def test_orphans_on_text_keys(gen):
    parent = pd.DataFrame({"sku": pd.Series([f"SKU{i}" for i in range(30)], dtype="str")})
    schema = Schema("lines", {"sku": ForeignKey("products", "sku")})
    frame = gen.generate(schema, 400, related={"products": parent})
    damaged, report = gen.inject_defects(frame, [Defect("orphans", "sku", 0.25)])
    rows = report.rows("orphans", "sku")
    assert len(rows) == 100
    assert not damaged.loc[rows, "sku"].isin(parent["sku"]).any()
    assert damaged.loc[rows, "sku"].str.startswith("SKU").all()  # they still look like keys


def test_orphans_reject_keys_that_are_neither_ints_nor_text(gen):
    parent = pd.DataFrame({"day": pd.to_datetime(["2026-01-01", "2026-01-02"])})
    frame = gen.generate(
        Schema("x", {"day": ForeignKey("days", "day")}), 10, related={"days": parent}
    )
    with pytest.raises(DefectError, match="orphans need integer or text keys"):
        gen.inject_defects(frame, [Defect("orphans", "day", 0.5)])


def test_defects_never_hit_a_cell_twice_unless_asked(gen, orders):
    defects = [
        Defect("duplicates", "order_id", 0.2),
        Defect("malformed", "order_id", 0.2),
        Defect("nulls", "order_id", 0.2),
    ]
    damaged, report = gen.inject_defects(orders, defects)
    sets = [set(e.rows) for e in report.entries]
    sources = set(report.entries[0].sources)
    assert all(not a & b for i, a in enumerate(sets) for b in sets[i + 1 :])
    assert not sources & (sets[1] | sets[2])  # sources stay intact, so the duplicates stay real
    assert changed_cells(orders, damaged) == {"order_id": set().union(*sets)}


def test_allow_overlap_lets_a_later_defect_win(gen, orders):
    damaged, report = gen.inject_defects(
        orders,
        [Defect("malformed", "email", 0.9), Defect("nulls", "email", 0.9, allow_overlap=True)],
    )
    both = set(report.rows("malformed", "email")) & set(report.rows("nulls", "email"))
    assert len(both) > 2000
    assert damaged.loc[sorted(both), "email"].isna().all()


def test_asking_for_more_than_is_free_logs_and_damages_what_is_left(gen, caplog):
    frame = pd.DataFrame({"v": [1, 2, 3, 4]})
    with caplog.at_level(logging.WARNING, logger="dev.shared.mock_data_generator"):
        damaged, report = gen.inject_defects(
            frame, [Defect("nulls", "v", 0.75), Defect("nulls", "v", 0.75)]
        )
    assert "only 1 of 3 requested cells are free" in caplog.text
    assert [len(e.rows) for e in report.entries] == [3, 1]
    assert damaged["v"].isna().all()


def test_the_clean_frame_is_not_modified(gen, orders):
    before = orders.copy(deep=True)
    gen.inject_defects(
        orders, [Defect("nulls", "email", 0.5), Defect("malformed", "quantity", 0.5)]
    )
    pd.testing.assert_frame_equal(orders, before)


def test_report_uses_index_labels_and_is_json(gen, customers):
    frame = gen.generate(ORDERS, 300, related={"customers": customers})
    frame.index = pd.Index([f"r{i}" for i in range(300)])
    damaged, report = gen.inject_defects(
        frame, [Defect("nulls", "email", 0.1), Defect("duplicates", "order_id", 0.1)], schema=ORDERS
    )
    rows = report.rows("nulls", "email")
    assert all(isinstance(r, str) for r in rows)
    assert damaged.loc[rows, "email"].isna().all()
    data = json.loads(report.to_json())
    assert data["entries"][0]["rows"] == rows.tolist()
    assert data["entries"][0]["damaged"] == 30
    again = DefectReport.from_dict(data)
    assert again.counts() == report.counts() == {"nulls:email": 30, "duplicates:order_id": 30}
    assert again.entries[1].sources is not None
    assert report.entries[1].sources is not None
    assert again.entries[1].sources.tolist() == report.entries[1].sources.tolist()


def test_report_json_with_the_default_integer_index(gen, orders):
    _, report = gen.inject_defects(orders, [Defect("nulls", "email", 0.01)])
    rows = json.loads(report.to_json())["entries"][0]["rows"]
    assert rows == sorted(rows)
    assert all(isinstance(r, int) for r in rows)
    assert len(rows) == 40


def test_report_json_with_timestamp_labels_and_lookups(gen):
    frame = pd.DataFrame({"v": range(10)}, index=pd.date_range("2026-01-01", periods=10))
    _, report = gen.inject_defects(frame, [Defect("nulls", "v", 0.3)])
    assert json.loads(report.to_json())["entries"][0]["rows"][0].startswith("2026-01-")
    nanos = pd.DataFrame({"v": range(10)}, index=pd.date_range("2026-01-01", periods=10, unit="ns"))
    _, report = gen.inject_defects(nanos, [Defect("nulls", "v", 0.3)])
    assert json.loads(report.to_json())["entries"][0]["rows"][0].startswith("2026-01-")
    with pytest.raises(KeyError, match=r"no orphans defect on column 'v'"):
        report.rows("orphans", "v")
    assert len(report.damaged_rows()) == 3
    assert len(DefectReport(1, 0, ()).damaged_rows()) == 0


def test_defects_on_a_copy_need_the_schema(gen, orders, customers):
    copy = orders.copy()
    with pytest.raises(DefectError, match="needs the column's declared kind: pass schema="):
        gen.inject_defects(copy, [Defect("out_of_range", "quantity", 0.1)])
    damaged, report = gen.inject_defects(
        copy, [Defect("out_of_range", "quantity", 0.1)], schema=ORDERS
    )
    assert (~damaged.loc[report.rows("out_of_range", "quantity"), "quantity"].between(1, 50)).all()
    with pytest.raises(DefectError, match=r"related= has no 'customers'"):
        gen.inject_defects(copy, [Defect("orphans", "customer_id", 0.1)], schema=ORDERS)
    _, report = gen.inject_defects(
        copy,
        [Defect("orphans", "customer_id", 0.1)],
        schema=ORDERS,
        related={"customers": customers},
    )
    assert len(report.rows("orphans", "customer_id")) == 400


@pytest.mark.parametrize(
    ("defect", "message"),
    [
        (Defect("typos", "email", 0.1), "unknown defect kind 'typos'"),
        (Defect("nulls", "emial", 0.1), "names column 'emial', which the frame does not have"),
        (Defect("nulls", "email", 1.5), "rate 1.5 is outside 0..1"),
        (Defect("nulls", "*", 0.1), r"column '\*' \(whole rows\) only works with duplicates"),
        (Defect("out_of_range", "name", 0.1), "kind 'name' declares no range"),
        (Defect("orphans", "quantity", 0.1), "kind 'integer' is not a foreign_key"),
    ],
)
def test_bad_defects_are_rejected(gen, orders, defect, message):
    with pytest.raises(DefectError, match=message):
        gen.inject_defects(orders, [defect])


def test_defects_in_python_string_mode(customers):
    gen = MockDataGenerator(9, string_dtype="python")
    frame = gen.generate(ORDERS, 1000, related={"customers": customers})
    damaged, report = gen.inject_defects(
        frame,
        [
            Defect("nulls", "email", 0.1),
            Defect("malformed", "order_id", 0.1),
            Defect("duplicates", "name", 0.1),
        ],
    )
    assert damaged["email"].dtype == _STRING_DTYPES["python"]
    assert damaged["order_id"].dtype == _STRING_DTYPES["python"]
    assert changed_cells(frame, damaged) == {
        "email": set(report.rows("nulls", "email")),
        "order_id": set(report.rows("malformed", "order_id")),
        "name": set(report.rows("duplicates", "name")),
    }


def test_defects_on_object_strings_and_sliced_arrow_strings(gen):
    objects = pd.DataFrame({"s": pd.Series(["a", "b", "c", "d"] * 25, dtype=object)})
    damaged, report = gen.inject_defects(
        objects, [Defect("nulls", "s", 0.1), Defect("malformed", "s", 0.1)]
    )
    assert damaged["s"].dtype == object
    assert damaged["s"].isna().sum() == 10
    sliced = (
        pd.DataFrame({"s": pd.Series(["x", None, "y", "z"] * 30, dtype="str")})
        .iloc[5:]
        .reset_index(drop=True)
    )
    damaged, report = gen.inject_defects(sliced, [Defect("nulls", "s", 0.2)])
    assert damaged["s"].isna().sum() == sliced["s"].isna().sum() + len(report.rows("nulls", "s"))


# --------------------------------------------------------------------------- writers


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_writers_round_trip(tmp_path, gen, orders, suffix):
    damaged, _ = gen.inject_defects(
        orders.head(300), [Defect("nulls", "email", 0.1), Defect("nulls", "quantity", 0.1)]
    )
    path = write_frame(damaged, tmp_path / "out" / f"orders{suffix}")
    assert path.exists()
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    back = read_frame(path, like=damaged)
    pd.testing.assert_frame_equal(
        back, damaged, check_dtype=suffix == ".parquet", check_exact=False
    )
    assert back["order_date"].dtype == damaged["order_date"].dtype
    assert back["email"].isna().sum() == 30


def test_json_writer_writes_records(tmp_path, orders):
    path = write_frame(orders.head(2), tmp_path / "o.json")
    records = json.loads(path.read_text(encoding="utf-8"))
    assert records[0]["order_id"] == orders["order_id"].iloc[0]
    assert records[0]["order_date"].startswith(str(orders["order_date"].iloc[0].date()))
    with_index = write_frame(orders.head(2), tmp_path / "i.json", index=True)
    assert "index" in json.loads(with_index.read_text(encoding="utf-8"))[0]
    assert read_frame(with_index).shape == (2, len(orders.columns) + 1)


def test_json_keeps_sub_second_timestamps(tmp_path):
    frame = pd.DataFrame({"at": pd.to_datetime(pd.Series(["2026-01-01 10:00:00.123456", None]))})
    path = write_frame(frame, tmp_path / "t.json")
    assert ".123456" in path.read_text(encoding="utf-8")
    pd.testing.assert_frame_equal(read_frame(path, like=frame), frame)


def test_writers_reject_unknown_suffixes(tmp_path, orders):
    with pytest.raises(
        ValueError, match=r"unknown suffix '.xlsx'; use one of .csv, .json, .parquet"
    ):
        write_frame(orders, tmp_path / "o.xlsx")
    with pytest.raises(ValueError, match=r"unknown suffix '\.txt'"):
        read_frame(tmp_path / "o.txt")


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch, orders):
    def boom(df, path, index):
        path.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setitem(writers._WRITERS, ".csv", boom)
    with pytest.raises(OSError, match="disk full"):
        write_frame(orders, tmp_path / "o.csv")
    assert list(tmp_path.iterdir()) == []


def test_write_table_replaces_and_upserts(sqlite_database, gen):
    frame = gen.generate(CUSTOMERS, 50)
    assert write_table(frame, sqlite_database, "customers_copy") == 50
    back = sqlite_database.read_table("customers_copy", order_by=["customer_id"])
    assert back["email"].tolist() == frame["email"].tolist()
    assert write_table(frame, sqlite_database, "customers", keys=["customer_id"]) == 50
    changed = frame.head(10).assign(name="Changed Name")
    assert write_table(changed, sqlite_database, "customers", keys=["customer_id"]) == 10
    back = sqlite_database.read_table("customers", order_by=["customer_id"])
    assert len(back) == 50
    assert (back["name"].head(10) == "Changed Name").all()
    assert (back["name"].iloc[10:] == frame["name"].iloc[10:]).all()


def test_write_table_passes_a_table_schema(sqlite_database, gen):
    frame = gen.generate(CUSTOMERS, 20)
    schema = TableSchema.from_frame(frame, "people", primary_key=["customer_id"])
    assert write_table(frame, sqlite_database, "people", schema=schema) == 20
    assert write_table(frame.head(5), sqlite_database, "people", keys=["customer_id"]) == 5
    assert len(sqlite_database.read_table("people")) == 20


def test_write_table_reaches_every_backend(database, gen):
    frame = gen.generate(ORDERS, 200, related={"customers": gen.generate(CUSTOMERS, 20)})
    damaged, _ = gen.inject_defects(frame, [Defect("nulls", "email", 0.1)])
    assert write_table(damaged, database, "mock_orders") == 200
    back = database.read_table("mock_orders", order_by=["order_id"])
    assert len(back) == 200
    assert back["email"].isna().sum() == 20
