"""Input frames of the schedule, normalised to the types the scheduling core relies on.

Every function here is DataFrame -> DataFrame and raises ScheduleInputError naming the table,
the column and the fix when an input cannot be used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .settings import BoardColumns, ScheduleInputError
from .work_calendar import parse_weekdays

LINE_KEYS = ("source", "order_id", "line_no")  # source: the sales channel, "" when absent
ORDER_COLUMNS = (
    "order_id",
    "line_no",
    "customer_id",
    "sku",
    "quantity",
    "order_date",
    "requested_delivery_date",
)
_TRUE = {"true", "t", "1", "yes", "y", "on", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "off", "", "0.0", "<na>", "nan", "none"}


@dataclass(frozen=True)
class ScheduleInputs:
    """The raw input tables (as read from the database or built by a test)."""

    orders: pd.DataFrame
    customers: pd.DataFrame
    products: pd.DataFrame
    capacity: pd.DataFrame
    board: pd.DataFrame | None = None


def require_columns(df: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ScheduleInputError(
            f"table {table!r} has no column(s) {missing} (it has "
            f"{list(df.columns)}): add them or map them in workflow.yaml"
        )


def to_bool(values: pd.Series, table: str, column: str, default: bool = False) -> pd.Series:
    """Booleans from bool, 0/1 or text (true/false/yes/no); null -> default."""
    if values.dtype == bool:
        return values
    text = values.astype("string").str.strip().str.lower().fillna("<na>")
    bad = sorted(set(text.unique()) - _TRUE - _FALSE)
    if bad:
        raise ScheduleInputError(
            f"table {table!r} column {column!r} holds {bad[:5]}; use true/false, yes/no or 1/0"
        )
    return text.isin(_TRUE) | (text.eq("<na>") & default)


def to_date(values: pd.Series, table: str, column: str) -> pd.Series:
    """Dates (datetime64, day precision) from dates, timestamps or ISO text; null stays NaT."""
    parsed = pd.to_datetime(values, errors="coerce", format="mixed") if len(values) else values
    parsed = pd.Series(parsed, index=values.index).astype("datetime64[s]")
    bad = _unparsed(parsed, values)
    if bad.any():
        raise ScheduleInputError(
            f"table {table!r} column {column!r} row {_first(bad)}: "
            f"{values[bad].iloc[0]!r} is not a date; write YYYY-MM-DD"
        )
    return parsed.dt.normalize()


def to_number(values: pd.Series, table: str, column: str) -> pd.Series:
    """Numbers (float, NaN for null) from numbers or numeric text."""
    parsed = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = _unparsed(parsed, values)
    if bad.any():
        raise ScheduleInputError(
            f"table {table!r} column {column!r} row {_first(bad)}: "
            f"{values[bad].iloc[0]!r} is not a number"
        )
    return parsed


def _first(flags: pd.Series) -> int:
    """Row number (1-based, in the order the table was read) of the first True."""
    return int(np.flatnonzero(flags.to_numpy(dtype=bool))[0]) + 1


def _unparsed(parsed: pd.Series, values: pd.Series) -> pd.Series:
    """Rows holding a non-blank value that did not parse (blank text counts as null)."""
    suspect = parsed.isna() & values.notna()
    if not suspect.any():
        return suspect
    return suspect & values.astype("str").str.strip().ne("")


def _text(values: pd.Series) -> pd.Series:
    """Text without surrounding blanks; null stays missing (NaN)."""
    return values.astype("str").str.strip()


def normalise_orders(
    df: pd.DataFrame, table: str, open_statuses: Sequence[str] = ()
) -> pd.DataFrame:
    """Open order lines: source, order_id, line_no, customer_id, sku, quantity, order_date,
    requested_delivery_date, rush. Filters on `status` when open_statuses is set. `source`
    (the channel; order_staging keys its lines by source + order_id + line_no) and `rush`
    are optional: "" and false when the table has no such column."""
    require_columns(df, table, ORDER_COLUMNS)
    if open_statuses:
        require_columns(df, table, ["status"])
        df = df[df["status"].astype("string").isin(list(open_statuses)).fillna(False)]
    rush = df["rush"] if "rush" in df.columns else pd.Series(False, index=df.index)
    source = _text(df["source"]).fillna("") if "source" in df.columns else ""
    out = pd.DataFrame(
        {
            "source": source,
            "order_id": _text(df["order_id"]),
            "line_no": to_number(df["line_no"], table, "line_no"),
            "customer_id": _text(df["customer_id"]),
            "sku": _text(df["sku"]),
            "quantity": to_number(df["quantity"], table, "quantity"),
            "order_date": to_date(df["order_date"], table, "order_date"),
            "requested_delivery_date": to_date(
                df["requested_delivery_date"], table, "requested_delivery_date"
            ),
            "rush": to_bool(rush, table, "rush"),
        }
    )
    missing_key = out["order_id"].isna() | out["line_no"].isna()
    if missing_key.any():
        raise ScheduleInputError(
            f"table {table!r} row {_first(missing_key)} has no order_id "
            "or line_no: every open line needs both (fix the staging)"
        )
    out["line_no"] = out["line_no"].astype("int64")
    return _unique(out.reset_index(drop=True), table, list(LINE_KEYS))


def normalise_customers(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """customer_id, tier (float, NaN = none), lead_time_days (float), delivery_weekdays, active."""
    require_columns(df, table, ["customer_id", "tier"])
    lead = (
        df["lead_time_days"]
        if "lead_time_days" in df.columns
        else pd.Series(None, index=df.index, dtype=object)
    )
    weekdays = (
        df["delivery_weekdays"]
        if "delivery_weekdays" in df.columns
        else pd.Series("", index=df.index)
    )
    active = df["active"] if "active" in df.columns else pd.Series(True, index=df.index)
    out = pd.DataFrame(
        {
            "customer_id": _text(df["customer_id"]),
            "tier": to_number(df["tier"], table, "tier"),
            "lead_time_days": to_number(lead, table, "lead_time_days"),
            "delivery_weekdays": parse_weekdays(weekdays, f"table {table!r} delivery_weekdays"),
            "active": to_bool(active, table, "active", default=True),
        }
    )
    return _unique(out, table, ["customer_id"])


def normalise_products(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """sku -> production_line, one row per sku."""
    require_columns(df, table, ["sku", "production_line"])
    out = pd.DataFrame({"sku": _text(df["sku"]), "production_line": _text(df["production_line"])})
    return _unique(out, table, ["sku"])


def normalise_capacity(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """production_line, units_per_day (whole units >= 0), override_date (NaT = every working day)."""
    require_columns(df, table, ["production_line", "units_per_day"])
    override = (
        df["override_date"]
        if "override_date" in df.columns
        else pd.Series(None, index=df.index, dtype=object)
    )
    units = to_number(df["units_per_day"], table, "units_per_day")
    bad = units.isna() | (units < 0) | (units != units.round())
    if bad.any():
        raise ScheduleInputError(
            f"table {table!r} column 'units_per_day' row {_first(bad)}"
            f": {df['units_per_day'][bad].iloc[0]!r} is not a whole number "
            ">= 0 of units"
        )
    out = pd.DataFrame(
        {
            "production_line": _text(df["production_line"]),
            "units_per_day": units.astype("int64"),
            "override_date": to_date(override, table, "override_date"),
        }
    )
    return _unique(out, table, ["production_line", "override_date"])


def normalise_board(df: pd.DataFrame, columns: BoardColumns) -> pd.DataFrame:
    """customer_id, delivery_weekdays, blackout_from, blackout_to from the synced board table.

    Accepts one row per customer or one row per blackout range (weekdays repeated or blank);
    a range without `to` is the single day `from`.
    """
    mapping = {
        columns.customer_id: "customer_id",
        columns.weekdays: "delivery_weekdays",
        columns.blackout_from: "blackout_from",
        columns.blackout_to: "blackout_to",
    }
    require_columns(df, columns.table, list(mapping))
    where = f"table {columns.table!r}"
    out = pd.DataFrame(
        {
            "customer_id": _text(df[columns.customer_id]),
            "delivery_weekdays": parse_weekdays(
                df[columns.weekdays], f"{where} {columns.weekdays}"
            ),
            "blackout_from": to_date(
                df[columns.blackout_from], columns.table, columns.blackout_from
            ),
            "blackout_to": to_date(df[columns.blackout_to], columns.table, columns.blackout_to),
        }
    )
    out["blackout_to"] = out["blackout_to"].fillna(out["blackout_from"])
    reversed_range = out["blackout_to"] < out["blackout_from"]
    if reversed_range.any():
        row = out[reversed_range].iloc[0]
        raise ScheduleInputError(
            f"{where}: customer {row.customer_id!r} has a blackout ending "
            f"{row.blackout_to.date()} before it starts "
            f"{row.blackout_from.date()}: fix the timeline on the board"
        )
    return out[out["customer_id"].notna()].reset_index(drop=True)


def _unique(df: pd.DataFrame, table: str, keys: list[str]) -> pd.DataFrame:
    duplicated = df.duplicated(keys, keep=False)
    if duplicated.any():
        example = df.loc[duplicated, keys].iloc[0].to_dict()
        raise ScheduleInputError(
            f"table {table!r} has {int(duplicated.sum())} rows sharing a key "
            f"{keys}, e.g. {example}: keep one row per key"
        )
    return df
