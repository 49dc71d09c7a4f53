"""Fuzzing the workflows' parsers with hypothesis: order files and Monday item responses.

order_staging: generated CSV, JSON and X12 850 files go through ``parse_bytes`` (the entry the
pipeline's inbox reader uses); a file may only be refused with MalformedFile (its quarantine
reason). Every parsed file then goes through the rule engine against the sample reference
data, and for every file rows in = staged + rejected (per file, from the engine's counts). The
engine runs over batches of parsed files (its fixed cost is ~150 ms, a file's share is small);
a batch that raises is re-run file by file to name the file.

monday_boards: items of the all-column-types board, as the sandbox serves them, with cells
replaced by random schema-valid-ish values and junk, through ``board_frame`` (the transform of
a sync): unreadable cells become nulls and are counted; no exception may escape. Typed fields
keep their GraphQL types (a GraphQL server validates those), their contents do not; ``value``
is a JSON scalar, so any JSON text goes there.

RELIABILITY_FUZZ_CASES sets the cases per parser (default 10,000, the issue's floor).
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dev.monday_boards.columnar import ArrowCollector, decode_page
from dev.monday_boards.columns import plan_board
from dev.monday_boards.settings import BoardConfig
from dev.monday_boards.testing.helpers import in_process_client
from dev.monday_boards.transform import board_frame
from dev.order_staging import outputs
from dev.order_staging.batch import SourceFile, assemble
from dev.order_staging.canonical import MalformedFile
from dev.order_staging.engine import Settings, evaluate
from dev.order_staging.parsers import CSV_COLUMNS, CSV_OPTIONAL, parse_bytes
from dev.order_staging.reference import Reference, build_reference, read_samples
from dev.shared.monday_sandbox import MondaySandbox, sample_boards

CASES = int(os.environ.get("RELIABILITY_FUZZ_CASES", "10000"))
FUZZ = settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
)
SAMPLES = Path(__file__).resolve().parents[2] / "order_staging" / "testing" / "test_data_samples"
BATCH = 400  # parsed files per rule-engine run
RULES = Settings(fx_to_base={"EUR": 1.0, "USD": 0.93, "GBP": 1.16})

# ------------------------------------------------------------------------ order field values

CUSTOMERS = ["C001", "C002", "C003", "C004", "C005", "C006", "C007", "C999", "c001 ", ""]
SKUS = ["SKU-1001", "SKU-1002", "SKU-1005", "SKU-1010", "SKU-1013", "SKU-9999", "sku-1001", ""]
CURRENCIES = ["EUR", "USD", "GBP", "eur", "XXX", "JPY", "", "€"]
DATES = ["2026-03-02", "2026-03-05", "2026-02-30", "02/03/2026", "20260305", "2026-3-5", ""]
JUNK = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)  # all but surrogates
NUMBERS = st.one_of(
    st.integers(-10, 5000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.2f}"),
    st.sampled_from(["0", "-1", "1e3", "NaN", "inf", "1,5", "ten", "", " 7 ", "0x10", "1e400"]),
)


@functools.cache  # strategies are built once: hypothesis caches per-strategy properties
def field_value(name: str) -> st.SearchStrategy[str]:
    """A plausible value for an order field, or junk (a fuzzer's share of bad input)."""
    plausible = {
        "channel": st.sampled_from(["ecommerce", "manual", "api", "edi", ""]),
        "order_id": st.sampled_from(["EC-1", "EC-2", "M-7", "API-3", "", "EC-1 "]),
        "order_date": st.sampled_from(DATES),
        "requested_delivery_date": st.sampled_from(DATES),
        "customer_id": st.sampled_from(CUSTOMERS),
        "currency": st.sampled_from(CURRENCIES),
        "sku": st.sampled_from(SKUS),
        "line_no": st.sampled_from(["1", "2", "3", "0", "-1", "1.5", "x", ""]),
        "priority": st.sampled_from(["rush", "normal", "EXPRESS", "", "urgent"]),
    }.get(name, NUMBERS)
    return st.one_of(plausible, plausible, JUNK)


# ------------------------------------------------------------------------------ CSV files


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, str]:
    """A CSV export: the known columns (some missing, reordered, doubled or foreign) and rows."""
    columns = list(CSV_COLUMNS) + draw(st.lists(st.sampled_from(CSV_OPTIONAL), max_size=2))
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    if draw(st.integers(0, 9)) == 0:
        columns = columns[: draw(st.integers(0, len(columns)))]
    if draw(st.integers(0, 9)) == 0:
        columns.append(draw(st.sampled_from(["extra", "", "sku", " Order_ID "])))
    rows = draw(
        st.lists(
            st.fixed_dictionaries({c: field_value(c) for c in dict.fromkeys(columns)}),
            max_size=6,
        )
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    for row in rows:
        cells = [row[c] for c in columns]
        if draw(st.integers(0, 7)) == 0:  # a ragged row
            cells = cells[: draw(st.integers(0, len(cells)))] + draw(st.lists(JUNK, max_size=2))
        writer.writerow(cells)
    text = out.getvalue()
    if draw(st.integers(0, 9)) == 0:  # raw damage: a stray quote, a cut, a NUL
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(['"', "", "\x00", ",", "\n", ";"])) + text[at:]
    return encode(draw, text), draw(st.sampled_from(["orders.csv", "ORDERS.CSV", "orders"]))


def encode(draw: st.DrawFn, text: str) -> bytes:
    """UTF-8 mostly; sometimes a BOM, UTF-16 or a Windows-1252 export (refused)."""
    kind = draw(st.sampled_from(["utf8"] * 6 + ["bom", "utf16", "cp1252", "cut"]))
    if kind == "bom":
        return codecs.BOM_UTF8 + text.encode()
    if kind == "utf16":
        return text.encode("utf-16")
    if kind == "cp1252":
        return text.encode("cp1252", errors="replace")
    data = text.encode()
    return data[: draw(st.integers(0, len(data)))] if kind == "cut" else data


# ----------------------------------------------------------------------------- JSON files

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    JUNK,
)
JSON_ANY = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
HEADER_FIELDS = (
    "order_id",
    "order_date",
    "customer_id",
    "currency",
    "requested_delivery_date",
    "order_total",
    "priority",
    "channel",
)
LINE_FIELDS = ("line_no", "sku", "quantity", "unit_price", "discount_pct", "line_amount")


@functools.cache
def json_field(name: str) -> st.SearchStrategy[Any]:
    typed = st.one_of(
        field_value(name),
        st.integers(-5, 5000),
        st.floats(-1e4, 1e4, allow_nan=False),
    )
    return st.one_of(typed, typed, typed, JSON_ANY)


@functools.cache
def json_record(fields: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {}, optional={name: json_field(name) for name in fields}
    ) | st.dictionaries(st.sampled_from(fields), JSON_ANY, max_size=3)


@st.composite
def json_files(draw: st.DrawFn) -> tuple[bytes, str]:
    """An API export {"orders": [...]} with plausible and junk fields; sometimes broken."""
    orders = draw(
        st.lists(
            st.tuples(
                json_record(HEADER_FIELDS),
                st.one_of(*[st.lists(json_record(LINE_FIELDS), max_size=3)] * 5, JSON_ANY),
                st.booleans(),
            ),
            max_size=3,
        )
    )
    docs = [{**head, "lines": lines} if with_lines else head for head, lines, with_lines in orders]
    doc: Any = {"orders": docs}
    shape = draw(st.integers(0, 19))
    if shape == 0:
        doc = docs  # a bare list
    elif shape == 1:
        doc = {"orders": draw(JSON_ANY)}
    elif shape == 2:
        doc = draw(JSON_ANY)
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 14)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return encode(draw, text), draw(st.sampled_from(["orders.json", "export"]))


# ------------------------------------------------------------------------------ X12 files


@st.composite
def x12_files(draw: st.DrawFn) -> tuple[bytes, str]:
    """An 850 interchange: orders of BEG/CUR/DTM/N1/PO1/CTT/AMT segments, envelope counted
    right (mostly), separators from the ISA segment; segments dropped, doubled or damaged."""
    element = draw(st.sampled_from(["*", "*", "|", "^"]))
    terminator = draw(st.sampled_from(["~", "~", "\n", "'", "~\n"]))
    component = draw(st.sampled_from([">", ":"]))
    sets = []
    for n in range(1, draw(st.integers(0, 3)) + 1):
        body = [
            ["BEG", "00", draw(st.sampled_from(["SA", "RO", "", "XX"])), draw(field_value("order_id")), "", draw(st.sampled_from(["20260302", "2026030", "", "20261399"]))],
            ["CUR", "BY", draw(field_value("currency"))],
            ["DTM", "002", draw(st.sampled_from(["20260305", "20260309", "", "2026-03-05"]))],
            ["N1", "BY", "Buyer", "92", draw(field_value("customer_id"))],
        ]  # fmt: skip
        for line in range(1, draw(st.integers(0, 4)) + 1):
            qualifier = draw(st.sampled_from(["VP", "BP", "IN", ""]))
            body.append(
                ["PO1", draw(st.sampled_from([str(line), "", "x"])), draw(field_value("quantity")),
                 "EA", draw(field_value("unit_price")), "", qualifier, draw(field_value("sku"))]
            )  # fmt: skip
        body.append(["CTT", str(sum(seg[0] == "PO1" for seg in body))])
        if draw(st.booleans()):
            body.append(["AMT", "TT", draw(field_value("order_total"))])
        body = mutate(draw, body)
        control = f"{n:04d}"
        sets.append([["ST", "850", control], *body, ["SE", str(len(body) + 2), control]])
    segments = [
        ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ", "US".ljust(15),
         "260302", "0900", "U", "00401", "000000101", "0", "P", component],
        ["GS", "PO", "SENDER", "US", "20260302", "0900", "101", "X", "004010"],
        *[seg for st_set in sets for seg in st_set],
        ["GE", str(len(sets)), "101"],
        ["IEA", "1", "000000101"],
    ]  # fmt: skip
    if draw(st.integers(0, 9)) == 0:
        segments = mutate(draw, segments)
    text = "".join(element.join(seg) + terminator for seg in segments)
    if draw(st.integers(0, 14)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return encode(draw, text), draw(st.sampled_from(["po.x12", "po.edi", "po.850", "po"]))


def mutate(draw: st.DrawFn, segments: list[list[str]]) -> list[list[str]]:
    """Drop, double or damage a segment now and then."""
    out = [list(seg) for seg in segments]
    for _ in range(draw(st.integers(0, 2))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        action = draw(st.sampled_from(["drop", "double", "element", "junk"]))
        if action == "drop":
            del out[at]
        elif action == "double":
            out.insert(at, list(out[at]))
        elif action == "element":
            k = draw(st.integers(0, len(out[at])))
            out[at][k:k] = [draw(JUNK).replace("~", "")]
        else:
            out.insert(at, [draw(st.sampled_from(["REF", "ZZ", "", "PO1", "N1", "ST"]))])
    return out


# ------------------------------------------------------------------------- order checking


class OrderChecker:
    """Parses each case at once; runs the rules over batches of parsed files."""

    def __init__(self, reference: Reference, tally: Any) -> None:
        self.reference, self.tally = reference, tally
        self.pending: list[tuple[SourceFile, bytes]] = []
        self.parsed = self.quarantined = 0

    def check(self, data: bytes, name: str) -> None:
        self.tally.add("cases_tried")
        try:
            parsed = parse_bytes(data, name)
        except MalformedFile as exc:
            reason = str(exc)
            self.quarantined += 1
            if reason:
                return
            raise AssertionError(f"{name!r}: quarantined without a reason") from exc
        except Exception as exc:
            self.tally.add("failures_found")
            raise AssertionError(f"parse_bytes({name!r}, {data[:300]!r}) raised {exc!r}") from exc
        self.parsed += 1
        checksum = f"case{self.parsed:06d}"
        self.pending.append((SourceFile(name, checksum, parsed), data))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        files, self.pending = self.pending, []
        if not files:
            return
        try:
            self._evaluate([f for f, _ in files])
        except Exception:
            for source, data in files:  # name the file that breaks the engine
                try:
                    self._evaluate([source])
                except Exception as exc:
                    self.tally.add("failures_found")
                    raise AssertionError(
                        f"rules on {source.name!r} ({data[:300]!r}) raised {exc!r}"
                    ) from exc
            raise

    def _evaluate(self, files: list[SourceFile]) -> None:
        batch = assemble(files)
        outcome = evaluate(batch, self.reference, RULES)
        counts = outputs.file_counts(outcome, len(files))
        expected = [len(f.parsed.lines) for f in files]
        self.tally.add("rows_compared", outcome.rows_in)
        for n, (source, row) in enumerate(zip(files, counts.to_dict("records"), strict=True)):
            # rows in = staged + rejected, per file; every parsed line (or an order's stand-in
            # line when it has none) is a row in
            assert row["staged"] + row["rejected"] == row["lines_in"], (source.name, row)
            assert row["lines_in"] >= expected[n], (source.name, row, expected[n])
            assert row["lines_in"] <= expected[n] + len(source.parsed.headers), (source.name, row)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return build_reference(read_samples(SAMPLES))


@pytest.fixture
def orders(reference: Reference, tally: Any) -> Iterator[OrderChecker]:
    checker = OrderChecker(reference, tally)
    yield checker
    checker.flush()
    # a fuzzer that only produces refused files tests nothing: both outcomes must be common
    assert checker.parsed > CASES // 10, checker.parsed
    assert checker.quarantined > CASES // 100, checker.quarantined


def _fuzz_orders(strategy: st.SearchStrategy[tuple[bytes, str]]) -> Callable[..., None]:
    @FUZZ
    @given(case=strategy)
    def run(orders: OrderChecker, case: tuple[bytes, str]) -> None:
        orders.check(*case)

    return run


def test_csv_orders_parse_or_quarantine_and_rows_add_up(orders):
    _fuzz_orders(csv_files())(orders)


def test_json_orders_parse_or_quarantine_and_rows_add_up(orders):
    _fuzz_orders(json_files())(orders)


def test_x12_orders_parse_or_quarantine_and_rows_add_up(orders):
    _fuzz_orders(x12_files())(orders)


# ---------------------------------------------------------------------- Monday item responses

ALL_TYPES = "3000000001"
CELL_JUNK = st.one_of(
    JSON_ANY,
    st.sampled_from(["{", "null", '{"date": 5}', '"x"', "[1,2", '{"ids": "a"}', "1e999", ""]),
)


@functools.cache
def cell_value(kind: str) -> st.SearchStrategy[str]:
    """A `value` JSON string in the column type's documented shape, with odd contents."""
    date = st.sampled_from(["2024-11-15", "2024-02-30", "", "15/11/2024", None, 20241115])
    time_ = st.sampled_from(["09:30:00", "25:00:00", "", None, "9:30"])
    ids = st.lists(st.one_of(st.integers(-5, 10**12), JUNK), max_size=3)
    shapes: dict[str, st.SearchStrategy[Any]] = {
        "status": st.fixed_dictionaries({"index": st.one_of(st.integers(-1, 50), JUNK)}),
        "date": st.fixed_dictionaries({"date": date}, optional={"time": time_}),
        "timeline": st.fixed_dictionaries({"from": date, "to": date}),
        "people": st.fixed_dictionaries(
            {"personsAndTeams": st.lists(
                st.fixed_dictionaries({"id": st.one_of(st.integers(), JUNK),
                                       "kind": st.sampled_from(["person", "team", "x"])}),
                max_size=3)}
        ),
        "dropdown": st.fixed_dictionaries({"ids": ids}),
        "checkbox": st.fixed_dictionaries({"checked": st.sampled_from(["true", "false", True, 1, "x"])}),
        "numbers": st.one_of(NUMBERS, st.floats()),
        "board_relation": st.fixed_dictionaries(
            {"linkedPulseIds": st.lists(st.fixed_dictionaries({"linkedPulseId": st.one_of(st.integers(), JUNK)}), max_size=3)}
        ),
    }  # fmt: skip
    junk = CELL_JUNK.map(lambda v: v if isinstance(v, str) else json.dumps(v))
    shaped = shapes.get(kind, st.one_of(JUNK, NUMBERS)).map(json.dumps)
    return st.one_of(shaped, st.none(), junk)


def same_type(value: Any) -> st.SearchStrategy[Any]:
    """A value of the GraphQL type ``value`` has (the server validates types, not contents)."""
    if isinstance(value, bool):
        return st.one_of(st.none(), st.booleans())
    if isinstance(value, int | float):
        return st.one_of(st.none(), st.integers(-(10**6), 10**6), st.floats(-1e9, 1e9))
    if isinstance(value, str):
        return st.one_of(st.none(), JUNK, NUMBERS, st.sampled_from(["2024-02-30", "25:61:00"]))
    if isinstance(value, list) and value and isinstance(value[0], dict):
        entry = st.fixed_dictionaries({k: st.one_of(st.none(), JUNK) for k in sorted(value[0])})
        return st.one_of(st.none(), st.lists(entry, max_size=3))
    return st.just(value)


def damaged_cell(cell: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The cell with some fields replaced: ``value`` (a JSON scalar: any JSON text) by a
    shaped value or junk, typed fields by odd values of their GraphQL type; id, type stay."""

    def field(key: str, value: Any) -> st.SearchStrategy[Any]:
        if key in ("id", "type"):
            return st.just(value)
        odd = cell_value(str(cell.get("type"))) if key == "value" else same_type(value)
        return st.one_of(st.just(value), odd)

    return st.fixed_dictionaries({key: field(key, value) for key, value in cell.items()})


ITEM_FIELDS = {
    "name": st.one_of(st.none(), JUNK),
    "state": st.sampled_from(["active", "archived", "deleted", "", "ACTIVE"]),
    "created_at": st.one_of(st.none(), JUNK, st.sampled_from(["2024-13-01T00:00:00Z", ""])),
    "updated_at": st.one_of(st.none(), JUNK, st.sampled_from(["2024-05-02", "yesterday"])),
    "group": st.one_of(
        st.none(), st.fixed_dictionaries({"id": st.one_of(st.none(), JUNK), "title": JUNK})
    ),
}


def _tagged(tag: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, Any]]:
    """``strategy``'s values as (tag, value) pairs."""
    return st.tuples(st.just(tag), strategy)


ITEM_CHANGE = st.one_of(*[st.none()] * 9, *[_tagged(key, ITEM_FIELDS[key]) for key in ITEM_FIELDS])


def item_strategy(item: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The item with up to four damaged cells (the others as served), now and then an odd
    item field; only the damaged parts are drawn, which keeps a case cheap to generate."""
    cells = item["column_values"]
    damage = st.one_of(*[_tagged(j, damaged_cell(cell)) for j, cell in enumerate(cells)])

    def build(change: tuple[list[tuple[int, dict[str, Any]]], Any]) -> dict[str, Any]:
        replaced, item_field = change
        out = {**item, "column_values": list(cells)}
        for j, cell in replaced:
            out["column_values"][j] = cell
        if item_field is not None:
            out[item_field[0]] = item_field[1]
        return out

    return st.tuples(st.lists(damage, max_size=4), ITEM_CHANGE).map(build)


def damaged_items(items: list[dict[str, Any]]) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(st.one_of(*[item_strategy(item) for item in items]), min_size=1, max_size=4)


@pytest.fixture(scope="module")
def all_types_board() -> tuple[Any, list[dict[str, Any]]]:
    """The plan and items of the all-column-types board, as a sync reads them."""
    sandbox = MondaySandbox(sample_boards())
    with in_process_client(sandbox) as client:
        board = client.boards([ALL_TYPES])[0]
        items = client.board_items(ALL_TYPES).items
    plan = plan_board(BoardConfig(ALL_TYPES, "all_types"), board["columns"])
    return plan, items


class ItemChecker:
    """Collects generated item lists (one case each) and transforms them in batches: the
    transform works column by column over all items, so one call over many cases takes the
    same paths as one per case at a fraction of the fixed cost; a batch that raises is re-run
    case by case to name the case."""

    def __init__(self, plan: Any, tally: Any) -> None:
        self.plan, self.tally = plan, tally
        self.pending: list[list[dict[str, Any]]] = []
        self.unreadable = 0

    def check(self, case: list[dict[str, Any]]) -> None:
        self.tally.add("cases_tried")
        base = len(self.pending) * 10
        self.pending.append([{**item, "id": str(base + n)} for n, item in enumerate(case)])
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        cases, self.pending = self.pending, []
        if not cases:
            return
        try:
            self._transform([item for case in cases for item in case])
        except Exception:
            for case in cases:
                try:
                    self._transform(case)
                except Exception as exc:
                    self.tally.add("failures_found")
                    raise AssertionError(f"board_frame raised {exc!r} on {case!r}"[:4000]) from exc
            raise

    def _transform(self, items: list[dict[str, Any]]) -> None:
        result = board_frame(items, self.plan, ("active",))
        kept = [str(item["id"]) for item in items if (item.get("state") or "active") == "active"]
        assert len(result.frame) + result.items_dropped == len(items)
        assert result.frame["item_id"].tolist() == kept  # every kept item once, in order
        self.tally.add("rows_compared", len(result.frame))
        self.unreadable += result.unreadable_cells
        self._arrow_path(items)

    def _arrow_path(self, items: list[dict[str, Any]]) -> None:
        """The sync's path: the page as JSON bytes, decoded by Arrow (or, when its values do not
        have the GraphQL types, by the client and read cell by cell): the same frame as the
        dict path gives for the same JSON."""
        try:
            body = orjson.dumps({"data": {"next_items_page": {"cursor": None, "items": items}}})
        except (TypeError, orjson.JSONEncodeError):
            return  # not JSON at all: no server could send it
        same_json = orjson.loads(body)["data"]["next_items_page"]["items"]
        expected = board_frame(same_json, self.plan, ("active",))
        collector = ArrowCollector(self.plan, ("active",))
        page = decode_page(body)
        collector.add(same_json if page is None else page["data"]["next_items_page"]["items"])
        got = collector.frame()
        pd.testing.assert_frame_equal(_plain(got.frame), _plain(expected.frame))
        assert got.unreadable_cells == expected.unreadable_cells
        self.tally.add("rows_compared", len(got.frame))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object columns of str / None (the Arrow path keeps them as Arrow)."""
    out = {}
    for c in frame.columns:
        column = frame[c]
        if isinstance(column.dtype, pd.ArrowDtype) or column.dtype == object:
            values = column.astype(object).to_numpy(copy=True)
            values[pd.isna(values)] = None
            column = pd.Series(values, dtype="object")
        out[c] = column
    return pd.DataFrame(out)


def test_monday_items_with_random_cells_transform_without_exceptions(all_types_board, tally):
    plan, items = all_types_board
    kinds = {str(cell.get("type")) for item in items for cell in item["column_values"]}
    assert len(kinds) >= 15, kinds  # every column type the sandbox serves is exercised
    checker = ItemChecker(plan, tally)

    @FUZZ
    @given(case=damaged_items(items))
    def run(case: list[dict[str, Any]]) -> None:
        checker.check(case)

    run()
    checker.flush()
    assert checker.unreadable > 0  # junk was generated, and counted as unreadable
