"""What the validation scripts check against: inputs, outputs and an independent calendar.

`RuleContext` re-derives working days with numpy's business-day functions and delivery days
with merges, so the checks do not reuse the scheduler's calendar, profiles or allocation.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

from dev.shared.validation_runs import validation_database, workflow_module
from shared.db_helper import Database

from ..inputs import (
    LINE_KEYS,
    ScheduleInputs,
    normalise_board,
    normalise_capacity,
    normalise_customers,
    normalise_orders,
    normalise_products,
    to_bool,
    to_date,
)
from ..settings import WEEKDAY_LABELS, ScheduleSettings, load_settings
from ..storage import read_inputs

SAMPLE_RUN_DATE = dt.date(2026, 12, 1)
KEYS = list(LINE_KEYS)
DATE_COLUMNS = (
    "earliest_start",
    "production_start",
    "production_end",
    "ship_date",
    "requested_delivery_date",
)


@dataclass
class RuleContext:
    """Inputs, settings and the two output tables of one run."""

    inputs: ScheduleInputs
    schedule: pd.DataFrame
    utilisation: pd.DataFrame
    settings: ScheduleSettings

    def __post_init__(self) -> None:
        self.schedule = typed_schedule(self.schedule)
        self.utilisation = typed_utilisation(self.utilisation)

    @property
    def horizon_end(self) -> pd.Timestamp:
        return pd.Timestamp(self.settings.run_date) + pd.Timedelta(days=self.settings.horizon_days)

    @cached_property
    def lines(self) -> pd.DataFrame:
        """Open lines with tier, lead time, active, known customer and production line."""
        tables = self.settings.tables
        lines = normalise_orders(self.inputs.orders, tables.orders, self.settings.open_statuses)
        customers = self.customers.set_index("customer_id")
        lines["known"] = lines["customer_id"].isin(customers.index)
        joined = customers.reindex(lines["customer_id"])
        lines["tier"] = joined["tier"].to_numpy()
        lines["lead"] = (
            joined["lead_time_days"].fillna(self.settings.default_lead_time_days).to_numpy()
        )
        lines["active"] = joined["active"].fillna(False).to_numpy(dtype=bool)
        products = normalise_products(self.inputs.products, tables.products)
        lines["product_line"] = lines["sku"].map(products.set_index("sku")["production_line"])
        return lines

    @cached_property
    def customers(self) -> pd.DataFrame:
        return normalise_customers(self.inputs.customers, self.settings.tables.customers)

    @cached_property
    def board(self) -> pd.DataFrame | None:
        if self.inputs.board is None:
            return None
        return normalise_board(self.inputs.board, self.settings.board)

    def schedule_for(self, lines: pd.DataFrame) -> pd.DataFrame:
        """The output row of each line (NaN where a line is missing), in the lines' order."""
        out = self.schedule.drop_duplicates(KEYS)
        merged = lines[KEYS].merge(out, how="left", on=KEYS)
        merged.index = lines.index
        return merged

    # -- calendar -------------------------------------------------------------------------
    @cached_property
    def _busday(self) -> dict[str, object]:
        settings = self.settings
        mask = [0 if label in settings.weekend else 1 for label in WEEKDAY_LABELS]
        first = settings.run_date.year - 1
        last = (
            settings.run_date.year + 2 + (settings.horizon_days + settings.ship_search_days) // 365
        )
        days = set(settings.closures)
        if settings.country:
            days |= set(
                holidays.country_holidays(
                    settings.country, subdiv=settings.subdivision, years=range(first, last + 1)
                )
            )
        return {"weekmask": mask, "holidays": np.array(sorted(days), dtype="datetime64[D]")}

    def is_working(self, dates: pd.Series) -> np.ndarray:
        values = dates.to_numpy(dtype="datetime64[D]")
        return np.is_busday(values, **self._busday)  # type: ignore[arg-type]

    def earliest_start(self) -> pd.Series:
        """First working day on/after max(run date, order date + lead time), per open line."""
        lines = self.lines
        ordered = lines["order_date"].fillna(pd.Timestamp(self.settings.run_date))
        base = ordered + pd.to_timedelta(lines["lead"], unit="D")
        base = base.clip(lower=pd.Timestamp(self.settings.run_date))
        rolled = np.busday_offset(
            base.to_numpy(dtype="datetime64[D]"), 0, roll="forward", **self._busday
        )  # type: ignore[arg-type]
        return pd.Series(rolled.astype("datetime64[s]"), index=lines.index)

    def search_end(self, lines: pd.DataFrame) -> pd.Series:
        """End of the ship-date search grid (exclusive), for every line."""
        end = pd.Timestamp(self.settings.run_date) + pd.Timedelta(
            days=self.settings.horizon_days + self.settings.ship_search_days
        )
        return pd.Series(end, index=lines.index)

    # -- capacity ---------------------------------------------------------------------------
    @cached_property
    def _capacity_grid(self) -> pd.DataFrame:
        capacity = normalise_capacity(self.inputs.capacity, self.settings.tables.capacity)
        days = pd.Series(
            pd.date_range(
                self.settings.run_date, periods=self.settings.horizon_days, freq="D"
            ).astype("datetime64[s]"),
            name="production_date",
        )
        lines = pd.Series(capacity["production_line"].unique(), name="production_line")
        grid = lines.to_frame().merge(days.to_frame(), how="cross")
        default = capacity[capacity["override_date"].isna()].set_index("production_line")
        rate = grid["production_line"].map(default["units_per_day"]).fillna(0)
        grid["capacity_units"] = np.where(self.is_working(grid["production_date"]), rate, 0)
        override = capacity[capacity["override_date"].notna()].rename(
            columns={"override_date": "production_date", "units_per_day": "override"}
        )
        grid = grid.merge(override, how="left", on=["production_line", "production_date"])
        grid["capacity_units"] = grid["override"].fillna(grid["capacity_units"]).astype("int64")
        return grid.drop(columns="override")

    def capacity_grid(self) -> pd.DataFrame:
        """production_line, production_date, capacity_units for every horizon day."""
        return self._capacity_grid

    def utilisation_by_day(self) -> pd.DataFrame:
        return self.utilisation[["production_line", "production_date", "allocated_units"]]

    # -- delivery days ----------------------------------------------------------------------
    @cached_property
    def _weekdays(self) -> pd.Series:
        """Effective delivery weekdays per customer: board, else customers row, else default."""
        days = self.customers.set_index("customer_id")["delivery_weekdays"]
        days = days.where(days.ne(""), self.settings.default_weekdays)
        if self.board is not None:
            given = self.board[self.board["delivery_weekdays"].ne("")]
            board_days = given.groupby("customer_id")["delivery_weekdays"].first()
            on_board = board_days.reindex(days.index)
            days = pd.Series(np.where(on_board.notna(), on_board, days), index=days.index)
        return days

    def deliverable(self, customers: pd.Series, dates: pd.Series) -> np.ndarray:
        """Per (customer, date): working day, a delivery weekday and outside every blackout."""
        customers = customers.reset_index(drop=True)
        dates = pd.Series(dates.to_numpy(dtype="datetime64[s]"))
        allowed = customers.map(self._weekdays).fillna("").astype(str)
        by_label = np.stack(
            [
                allowed.str.contains(label, regex=False).to_numpy(dtype=bool)
                for label in WEEKDAY_LABELS
            ],
            axis=1,
        )
        on_weekday = by_label[np.arange(len(dates)), dates.dt.day_of_week.to_numpy()]
        return self.is_working(dates) & on_weekday & ~self._in_blackout(customers, dates)

    def _in_blackout(self, customers: pd.Series, dates: pd.Series) -> np.ndarray:
        if self.board is None:
            return np.zeros(len(customers), dtype=bool)
        probe = pd.DataFrame({"customer_id": customers, "day": dates, "row": range(len(dates))})
        ranges = self.board.dropna(subset=["blackout_from"])
        hits = probe.merge(ranges, on="customer_id")
        hit = (hits["day"] >= hits["blackout_from"]) & (hits["day"] <= hits["blackout_to"])
        flags = np.zeros(len(customers), dtype=bool)
        flags[hits.loc[hit, "row"].to_numpy()] = True
        return flags

    # -- reasons ----------------------------------------------------------------------------
    def reason_justified(self, out: pd.DataFrame) -> pd.Series:
        """The master-data reason each line must carry (first match), compared with `reason`."""
        lines = self.lines.copy()
        quantity = lines["quantity"]
        capacity = self.capacity_grid().groupby("production_line")["capacity_units"].sum()
        has_capacity = lines["product_line"].map(capacity).fillna(0) > 0
        expected = np.select(
            [
                quantity.isna() | (quantity <= 0) | (quantity % 1 != 0),
                ~lines["known"],
                ~lines["active"],
                lines["product_line"].isna(),
                ~has_capacity,
            ],
            [
                "invalid_quantity",
                "unknown_customer",
                "inactive_customer",
                "unknown_sku",
                "no_capacity",
            ],
            default="",
        )
        lines["expected_reason"] = expected
        merged = out.astype({"order_id": str}).merge(
            lines[[*KEYS, "expected_reason"]].astype({"order_id": str}),
            how="left",
            on=KEYS,
        )
        given = merged["reason"].fillna("")
        master = merged["expected_reason"].fillna("")
        later = given.isin(["beyond_horizon", "no_delivery_day"]) | given.eq("")
        ok = np.where(master.ne(""), given.eq(master), later)
        return pd.Series(ok, index=out.index)


def typed_schedule(frame: pd.DataFrame) -> pd.DataFrame:
    """The schedule as read back from any database: dates, ints and bools typed."""
    out = frame.copy()
    for column in DATE_COLUMNS:
        out[column] = to_date(out[column], "customer_master_schedule", column)
    out["line_no"] = pd.to_numeric(out["line_no"]).astype("int64")
    out["order_id"] = out["order_id"].astype(str)
    out["source"] = out["source"].fillna("").astype(str)
    for column in ("priority_rank", "allocated_units"):
        out[column] = pd.to_numeric(out[column]).astype("int64")
    out["quantity"] = pd.to_numeric(out["quantity"]).astype("float64")
    out["days_late"] = pd.to_numeric(out["days_late"]).astype("Int64")
    out["late"] = to_bool(out["late"], "customer_master_schedule", "late")
    out["reason"] = out["reason"].astype(object).where(out["reason"].notna(), None)
    return out


def typed_utilisation(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["production_date"] = to_date(out["production_date"], "utilisation", "production_date")
    for column in ("capacity_units", "allocated_units", "lines_allocated"):
        out[column] = pd.to_numeric(out[column]).astype("int64")
    return out


def context_from_database(db: Database, settings: ScheduleSettings) -> RuleContext:
    """Inputs and outputs as a run left them in a database."""
    tables = settings.tables
    return RuleContext(
        read_inputs(db, settings),
        db.read_table(tables.schedule),
        db.read_table(tables.utilisation),
        settings,
    )


def validation_parser(doc: str) -> argparse.ArgumentParser:
    """--database-url URL --run-date D --env E: what every validation script accepts."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument(
        "--database-url",
        help="check this database (default: run the samples "
        "into a temporary SQLite database first)",
    )
    parser.add_argument(
        "--run-date",
        type=dt.date.fromisoformat,
        default=None,
        help="the run date the checked schedule was made with (default today)",
    )
    parser.add_argument("--env", default=None)
    return parser


def validation_arguments(argv: list[str] | None, doc: str) -> argparse.Namespace:
    return validation_parser(doc).parse_args(argv)


@contextmanager
def checked_database(args: argparse.Namespace) -> Iterator[tuple[Database, ScheduleSettings]]:
    """The database to check and the settings of its run: the given one, or a fresh SQLite
    database holding a run over the samples (run date SAMPLE_RUN_DATE)."""
    with validation_database(args.database_url) as (db, fresh):
        run_date = SAMPLE_RUN_DATE if fresh else (args.run_date or dt.date.today())
        if fresh:
            module = workflow_module(Path(__file__).resolve().parent / "_context.py")
            summary = module.run(database_url=db.url, env=args.env, run_date=run_date, seed=True)
            if summary.status != "success":
                raise SystemExit(f"scheduling the samples failed: {summary.error}")
        yield db, load_settings(args.env, run_date)
