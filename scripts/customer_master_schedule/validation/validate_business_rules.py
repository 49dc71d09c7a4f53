"""Prove business rules CMS-R1..R6 on a schedule, re-deriving what it needs from the inputs.

Importable (tests call `check_business_rules` on the output of every run) and a script:

    python dev/customer_master_schedule/validation/validate_business_rules.py
        schedules the samples into a temporary SQLite database and checks the result;
    ... --database-url URL --run-date YYYY-MM-DD [--env ENV]
        checks the tables a real run (made with that run date) left in that database.

The checks share no code with the scheduler beyond input parsing: calendar, priority order,
capacity and delivery windows are derived here again, by other means (merges and day-by-day
scans instead of union-find and profile matrices).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._context import RuleContext, checked_database, context_from_database, validation_arguments

KNOWN_REASONS = {
    "invalid_quantity",
    "unknown_customer",
    "inactive_customer",
    "unknown_sku",
    "no_capacity",
    "beyond_horizon",
    "no_delivery_day",
}
KEYS = ["source", "order_id", "line_no"]


@dataclass
class RuleResult:
    """One rule: how many rows it looked at and which ones broke it."""

    rule_id: str
    description: str
    checked: int
    violations: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return self.violations.empty

    def line(self) -> str:
        status = "ok" if self.ok else f"FAILED ({len(self.violations)} rows)"
        return f"{self.rule_id:<8} {status:<20} {self.checked:>8} checked  {self.description}"


def _result(
    rule_id: str, text: str, frame: pd.DataFrame, bad: np.ndarray | pd.Series, why: str
) -> RuleResult:
    bad = np.asarray(bad, dtype=bool)
    violations = frame.loc[bad].head(1000).assign(why=why) if bad.any() else pd.DataFrame()
    return RuleResult(rule_id, text, len(frame), violations)


def _merge_results(rule_id: str, text: str, parts: list[RuleResult]) -> RuleResult:
    bad = [part.violations for part in parts if not part.ok]
    violations = pd.concat(bad, ignore_index=True) if bad else pd.DataFrame()
    return RuleResult(rule_id, text, max(part.checked for part in parts), violations)


def check_priority_order(ctx: RuleContext) -> RuleResult:
    """CMS-R1: priority_rank = rush, tier, requested date, order date, order id, line no."""
    lines = ctx.lines
    keys = (
        _codes(lines["source"]),
        lines["line_no"].to_numpy(),
        _codes(lines["order_id"]),
        _late_na(lines["order_date"]),
        _late_na(lines["requested_delivery_date"]),
        lines["tier"].fillna(np.inf).to_numpy(),
        ~lines["rush"].to_numpy(),
    )
    expected = np.empty(len(lines), dtype=np.int64)
    expected[np.lexsort(keys)] = np.arange(1, len(lines) + 1)
    out = ctx.schedule_for(lines)
    bad = out["priority_rank"].to_numpy() != expected
    return _result(
        "CMS-R1",
        "priority order (rush, tier, requested, ordered, id, line, source)",
        out.assign(expected_rank=expected),
        bad,
        "priority_rank differs",
    )


def _codes(values: pd.Series) -> np.ndarray:
    return pd.Index(sorted(values.unique())).get_indexer(values)


def _late_na(dates: pd.Series) -> np.ndarray:
    values = dates.to_numpy(dtype="datetime64[s]")
    return np.where(np.isnat(values), np.iinfo(np.int64).max, values.astype("int64"))


def check_start_and_greedy(ctx: RuleContext) -> RuleResult:
    """CMS-R2: start no earlier than the first working day on/after max(run date, order date +
    lead time); capacity consumed day by day in priority order (no free capacity skipped)."""
    out = ctx.schedule_for(ctx.lines).assign(expected_start=ctx.earliest_start())
    started = out["production_start"].notna()
    too_early = started & (out["production_start"] < out["expected_start"])
    parts = [_result("CMS-R2", "", out, too_early, "production starts before it may")]
    stated = out["earliest_start"].notna() & (out["earliest_start"] != out["expected_start"])
    parts.append(_result("CMS-R2", "", out, stated, "earliest_start is not the rule's date"))
    parts.append(
        _result(
            "CMS-R2",
            "",
            out,
            _skipped_capacity(ctx, out),
            "free capacity left between earliest start and production end",
        )
    )
    parts.append(
        _result("CMS-R2", "", out, _overtaken(out), "a lower-priority line took capacity first")
    )
    return _merge_results("CMS-R2", "start constraint and greedy day-by-day consumption", parts)


def _skipped_capacity(ctx: RuleContext, out: pd.DataFrame) -> np.ndarray:
    """Every capacity day in [earliest, end) must be full; for an unfinished line, to the horizon."""
    grid = ctx.capacity_grid().merge(
        ctx.utilisation_by_day(), how="left", on=["production_line", "production_date"]
    )
    grid["free"] = (grid["capacity_units"] > grid["allocated_units"].fillna(0)).astype(int)
    grid = grid.sort_values(["production_line", "production_date"])
    grid["before"] = grid.groupby("production_line")["free"].cumsum() - grid["free"]
    unfinished = out["production_end"].isna() & out["reason"].eq("beyond_horizon")
    end = out["production_end"].where(~unfinished, ctx.horizon_end)
    checked = out["production_line"].notna() & end.notna() & (out["expected_start"] < end)
    free_at = _free_before(grid, out["production_line"], end)
    free_from = _free_before(grid, out["production_line"], out["expected_start"])
    return (checked & (free_at - free_from > 0)).to_numpy()


def _free_before(grid: pd.DataFrame, line: pd.Series, day: pd.Series) -> pd.Series:
    """Free capacity days of `line` strictly before `day` (0 when none)."""
    counts = grid.groupby("production_line")
    result = np.zeros(len(line), dtype=np.int64)
    for name, days in counts:
        mask = (line == name).to_numpy() & day.notna().to_numpy()
        if mask.any():
            position = np.searchsorted(
                days["production_date"].to_numpy(),
                day[mask].to_numpy(dtype="datetime64[s]"),
                side="left",
            )
            cumulative = np.concatenate(
                [days["before"].to_numpy(), [days["before"].iloc[-1] + days["free"].iloc[-1]]]
            )
            result[mask] = cumulative[position]
    return pd.Series(result, index=line.index)


def _overtaken(out: pd.DataFrame) -> np.ndarray:
    """A before B in priority on one production line with earliest(A) <= earliest(B) forces
    start(B) >= end(A); an unfinished A leaves nothing for B."""
    far = np.datetime64("9999-12-31", "s")
    frame = out[out["production_start"].notna() | out["reason"].eq("beyond_horizon")]
    frame = frame[frame["production_line"].notna()].sort_values(
        ["production_line", "priority_rank"]
    )
    end = frame["production_end"].to_numpy(dtype="datetime64[s]")
    end = np.where(frame["production_start"].notna() & frame["production_end"].isna(), far, end)
    start = frame["production_start"].to_numpy(dtype="datetime64[s]")
    start = np.where(np.isnat(start), far, start).astype("int64")
    end = np.where(np.isnat(end), np.datetime64("0001-01-01", "s"), end).astype("int64")
    earliest = frame["expected_start"].to_numpy(dtype="datetime64[s]").astype("int64")
    group = pd.factorize(frame["production_line"])[0]
    bad = np.zeros(len(frame), dtype=bool)
    for day in np.unique(earliest):  # one vectorised pass per distinct earliest day
        masked = np.where(earliest <= day, end, np.iinfo(np.int64).min)
        previous = _exclusive_group_cummax(masked, group)
        bad |= (earliest == day) & (start < previous)
    flags = np.zeros(len(out), dtype=bool)
    flags[out.index.get_indexer(frame.index)] = bad
    return flags


def _exclusive_group_cummax(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Max of the earlier values in the same (contiguous) group; int64 min for the first."""
    low = np.iinfo(np.int64).min
    shifted = np.concatenate([[low], values[:-1]])
    first = np.concatenate([[True], group[1:] != group[:-1]])
    shifted[first] = low
    result = np.empty_like(shifted)
    for chunk in np.split(np.arange(len(values)), np.flatnonzero(first)[1:]):
        result[chunk] = np.maximum.accumulate(shifted[chunk])
    return result


def check_capacity(ctx: RuleContext) -> RuleResult:
    """CMS-R3: allocated units per production line and day never exceed capacity, and every
    allocated unit belongs to a line (sum over days = sum over lines)."""
    util = ctx.utilisation.merge(
        ctx.capacity_grid(),
        how="left",
        on=["production_line", "production_date"],
        suffixes=("", "_expected"),
    )
    util["capacity_units_expected"] = util["capacity_units_expected"].fillna(0)
    over = util["allocated_units"] > util["capacity_units_expected"]
    parts = [
        _result("CMS-R3", "", util, over, "allocated above capacity"),
        _result(
            "CMS-R3",
            "",
            util,
            util["capacity_units"] != util["capacity_units_expected"],
            "capacity_units differs from the capacity table",
        ),
    ]
    per_line = ctx.schedule.groupby("production_line")["allocated_units"].sum()
    per_day = ctx.utilisation.groupby("production_line")["allocated_units"].sum()
    both = pd.concat([per_line.rename("lines"), per_day.rename("days")], axis=1).fillna(0)
    both = both.reset_index(names="production_line")
    parts.append(
        _result(
            "CMS-R3",
            "",
            both,
            both["lines"] != both["days"],
            "units on days differ from units on lines",
        )
    )
    done = ctx.schedule[ctx.schedule["reason"].isna()]
    parts.append(
        _result(
            "CMS-R3",
            "",
            done,
            done["allocated_units"] != done["quantity"],
            "a scheduled line did not get its whole quantity",
        )
    )
    return _merge_results("CMS-R3", "never above capacity; units conserved", parts)


def check_ship_dates(ctx: RuleContext) -> RuleResult:
    """CMS-R4: ship date = first working, non-blackout delivery weekday after production end."""
    out = ctx.schedule
    shipped = out[out["ship_date"].notna()]
    parts = [
        _result(
            "CMS-R4",
            "",
            shipped,
            shipped["ship_date"] <= shipped["production_end"],
            "ship date not after production end",
        ),
        _result(
            "CMS-R4",
            "",
            shipped,
            ~ctx.deliverable(shipped["customer_id"], shipped["ship_date"]),
            "ship date is not an allowed delivery day",
        ),
        _result(
            "CMS-R4",
            "",
            shipped,
            _earlier_day_exists(ctx, shipped, shipped["ship_date"]),
            "an earlier allowed delivery day exists",
        ),
    ]
    none = out[out["reason"].eq("no_delivery_day")]
    parts.append(
        _result(
            "CMS-R4",
            "",
            none,
            _earlier_day_exists(ctx, none, ctx.search_end(none)),
            "no_delivery_day although a delivery day exists",
        )
    )
    return _merge_results("CMS-R4", "ship on the first allowed delivery day", parts)


def _earlier_day_exists(ctx: RuleContext, lines: pd.DataFrame, limit: pd.Series) -> np.ndarray:
    """Per line: an allowed delivery day strictly between production_end and limit.

    Every (line, day) pair in that gap is listed and tested at once: gaps are short (days to
    a few weeks), so this stays small even for 100,000 lines.
    """
    first = lines["production_end"].to_numpy(dtype="datetime64[D]") + np.timedelta64(1, "D")
    count = (limit.to_numpy(dtype="datetime64[D]") - first).astype("int64").clip(min=0)
    owner = np.repeat(np.arange(len(lines)), count)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    days = pd.Series((first[owner] + offset.astype("timedelta64[D]")).astype("datetime64[s]"))
    ok = ctx.deliverable(lines["customer_id"].iloc[owner], days)
    found = np.zeros(len(lines), dtype=bool)
    found[owner[ok]] = True
    return found


def check_lateness(ctx: RuleContext) -> RuleResult:
    """CMS-R5: days_late = ship - requested when positive; late flag; reasons are justified."""
    out = ctx.schedule
    gap = (out["ship_date"] - out["requested_delivery_date"]).dt.days
    expected = gap.clip(lower=0)
    wrong_days = ~((out["days_late"] == expected) | (out["days_late"].isna() & expected.isna()))
    wrong_late = out["late"].astype(bool) != ((gap.fillna(0) > 0) | out["reason"].notna())
    shipped_xor = out["ship_date"].notna() == out["reason"].notna()
    unknown = out["reason"].notna() & ~out["reason"].isin(KNOWN_REASONS)
    parts = [
        _result("CMS-R5", "", out, wrong_days.fillna(True), "days_late is wrong"),
        _result("CMS-R5", "", out, wrong_late, "late flag is wrong"),
        _result("CMS-R5", "", out, shipped_xor, "a line has both or neither ship date and reason"),
        _result("CMS-R5", "", out, unknown, "unknown reason code"),
        _result("CMS-R5", "", out, ~ctx.reason_justified(out), "reason not justified"),
    ]
    return _merge_results("CMS-R5", "lateness and reasons", parts)


def check_every_line_once(ctx: RuleContext) -> RuleResult:
    """CMS-R6: every open line appears exactly once, and nothing else appears."""
    out = ctx.schedule
    keys = out[KEYS].astype({"order_id": str})
    expected = ctx.lines[KEYS].astype({"order_id": str})
    stored, wanted = pd.MultiIndex.from_frame(keys), pd.MultiIndex.from_frame(expected)
    missing = expected[~wanted.isin(stored)]
    extra = keys[~stored.isin(wanted)]
    parts = [
        _result("CMS-R6", "", out, keys.duplicated(keep=False), "line appears more than once"),
        _result("CMS-R6", "", missing, np.ones(len(missing), bool), "open line missing"),
        _result("CMS-R6", "", extra, np.ones(len(extra), bool), "line is not an open line"),
    ]
    return _merge_results("CMS-R6", "every open line exactly once", parts)


RULES = (
    check_priority_order,
    check_start_and_greedy,
    check_capacity,
    check_ship_dates,
    check_lateness,
    check_every_line_once,
)


def check_business_rules(ctx: RuleContext) -> list[RuleResult]:
    """Run CMS-R1..R6; every result lists its violating rows (empty when the rule holds)."""
    return [rule(ctx) for rule in RULES]


def assert_business_rules(ctx: RuleContext, rules: tuple[str, ...] = ()) -> None:
    """Raise AssertionError naming each broken rule with example rows (tests use this)."""
    results = [r for r in check_business_rules(ctx) if not rules or r.rule_id in rules]
    broken = [r for r in results if not r.ok]
    if broken:
        text = "\n".join(f"{r.line()}\n{r.violations.head(5).to_string()}" for r in broken)
        raise AssertionError(f"business rules broken:\n{text}")


def main(argv: list[str] | None = None) -> int:
    args = validation_arguments(argv, __doc__ or "")
    with checked_database(args) as (db, settings):
        results = check_business_rules(context_from_database(db, settings))
    for result in results:
        print(result.line())
        if not result.ok:
            print(result.violations.head(10).to_string())
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
