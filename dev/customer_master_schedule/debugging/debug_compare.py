"""Compare a stored schedule with the expected one: missing, extra and differing lines.

    python dev/customer_master_schedule/debugging/debug_compare.py
        the samples scheduled now vs testing/test_data_samples/expected_schedule.csv;
    python .../debug_compare.py --database-url URL --run-date 2026-12-01
        the database's customer_master_schedule vs a fresh schedule of its current inputs
        (did the inputs change since the run, or did the run go wrong?);
    python .../debug_compare.py --database-url URL --expected expected.csv
        the database's schedule vs a CSV (same columns as the table).

Exit 0 when they agree, 1 when they differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    _here = Path(__file__).resolve().parent
    sys.path.insert(0, str(_here.parents[2]))
    __package__ = f"{_here.parents[1].name}.{_here.parent.name}.{_here.name}"

import argparse
from dataclasses import dataclass

import pandas as pd

from ..scheduler import build_schedule
from ._common import SAMPLES, add_source_arguments, load_source, show

KEYS = ["source", "order_id", "line_no"]


@dataclass
class Comparison:
    """missing: expected lines not stored; extra: stored lines not expected; differences: one
    row per (line, column) that disagrees."""

    missing: pd.DataFrame
    extra: pd.DataFrame
    differences: pd.DataFrame

    @property
    def same(self) -> bool:
        return self.missing.empty and self.extra.empty and self.differences.empty


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Any backend's schedule as comparable text: YYYY-MM-DD, %g numbers, true/false, ''."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(values):
            out[column] = values.map({True: "true", False: "false"})
        elif pd.api.types.is_numeric_dtype(values):
            out[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:g}")
    return out.astype(object).where(out.notna(), "").astype(str)


def compare(actual: pd.DataFrame, expected: pd.DataFrame) -> Comparison:
    """Compare on (order_id, line_no) over the expected frame's columns."""
    left, right = as_text(actual), as_text(expected)
    merged = right.merge(
        left, how="outer", on=KEYS, suffixes=("_expected", "_actual"), indicator=True
    )
    missing = merged.loc[merged["_merge"] == "left_only", KEYS]
    extra = merged.loc[merged["_merge"] == "right_only", KEYS]
    both = merged[merged["_merge"] == "both"]
    parts = []
    for column in [c for c in right.columns if c not in KEYS and c in left.columns]:
        differ = both[both[f"{column}_expected"] != both[f"{column}_actual"]]
        parts.append(
            pd.DataFrame(
                {
                    "order_id": differ["order_id"],
                    "line_no": differ["line_no"],
                    "column": column,
                    "expected": differ[f"{column}_expected"],
                    "actual": differ[f"{column}_actual"],
                }
            )
        )
    differences = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return Comparison(missing, extra, differences)


def report(comparison: Comparison, label: str) -> str:
    if comparison.same:
        return f"{label}: identical"
    lines = [
        (
            f"{label}: {len(comparison.missing)} missing, {len(comparison.extra)} extra, "
            f"{len(comparison.differences)} differing value(s)"
        )
    ]
    if len(comparison.differences):
        counts = comparison.differences["column"].value_counts()
        lines.append("differing columns: " + ", ".join(f"{c} ({n})" for c, n in counts.items()))
        lines.append(show(comparison.differences, 30))
    if len(comparison.missing):
        lines.append("missing from the stored schedule:\n" + show(comparison.missing))
    if len(comparison.extra):
        lines.append("not expected (stored only):\n" + show(comparison.extra))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_source_arguments(parser)
    parser.add_argument(
        "--expected",
        type=Path,
        help="expected schedule CSV (default: a "
        "fresh schedule of the same inputs; for the samples their "
        "expected_schedule.csv)",
    )
    args = parser.parse_args(argv)
    source = load_source(args)
    fresh = build_schedule(source.inputs, source.settings).schedule
    if source.stored_schedule is None:
        actual, label = fresh, f"schedule of {source.label}"
        expected_path = args.expected or SAMPLES / "expected_schedule.csv"
    else:
        actual, label = source.stored_schedule, f"stored schedule in {source.label}"
        expected_path = args.expected
    if expected_path is None:
        expected, label = fresh, f"{label} vs a fresh schedule of its inputs"
    else:
        expected = pd.read_csv(expected_path, dtype=str, keep_default_na=False)
        label = f"{label} vs {expected_path}"
    comparison = compare(actual, expected)
    print(report(comparison, label))
    return 0 if comparison.same else 1


if __name__ == "__main__":
    raise SystemExit(main())
