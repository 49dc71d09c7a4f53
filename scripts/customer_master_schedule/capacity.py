"""Daily capacity per production line over the horizon, and its utilisation after allocation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .work_calendar import WorkCalendar


@dataclass(frozen=True)
class CapacityGrid:
    """units[line_code, day] over the production horizon; lines[line_code] is its name."""

    lines: pd.Index
    units: np.ndarray

    def code_of(self, production_line: pd.Series) -> np.ndarray:
        """Code of each production line name; -1 when it has no capacity row."""
        return np.asarray(self.lines.get_indexer(pd.Index(production_line)), dtype=np.int64)

    def has_capacity(self) -> np.ndarray:
        """Per line code: any capacity at all inside the horizon."""
        return np.asarray(self.units.sum(axis=1) > 0, dtype=bool)


def capacity_grid(capacity: pd.DataFrame, calendar: WorkCalendar) -> CapacityGrid:
    """Build the grid from normalised capacity rows (production_line, units_per_day,
    override_date). The default rate applies on working days; an override replaces the
    capacity of its date, working day or not (0 = maintenance, > 0 on a Saturday = overtime)."""
    lines = pd.Index(sorted(capacity["production_line"].dropna().unique()), dtype=object)
    units = np.zeros((len(lines), calendar.horizon), dtype=np.int64)
    default = capacity[capacity["override_date"].isna()]
    rate = np.zeros(len(lines), dtype=np.int64)
    rate[lines.get_indexer(default["production_line"])] = default["units_per_day"].to_numpy()
    units[:, :] = rate[:, None] * calendar.working[None, : calendar.horizon]
    override = capacity[capacity["override_date"].notna()]
    day = calendar.index_of(override["override_date"])
    inside = (day >= 0) & (day < calendar.horizon)
    line = lines.get_indexer(override["production_line"])[inside]
    units[line, day[inside]] = override["units_per_day"].to_numpy()[inside]
    return CapacityGrid(lines, units)


def utilisation_frame(
    grid: CapacityGrid,
    calendar: WorkCalendar,
    line_code: np.ndarray,
    day: np.ndarray,
    units: np.ndarray,
) -> pd.DataFrame:
    """production_line, production_date, capacity_units, allocated_units, utilisation,
    lines_allocated: one row per production line and day with capacity or allocation."""
    size = grid.units.size
    flat = line_code * calendar.horizon + day
    allocated = np.bincount(flat, weights=units, minlength=size).astype(np.int64)
    count = np.bincount(flat, minlength=size).astype(np.int64)
    capacity = grid.units.ravel()
    keep = np.flatnonzero((capacity > 0) | (allocated > 0))
    ratio = np.divide(
        allocated[keep], capacity[keep], out=np.zeros(len(keep)), where=capacity[keep] > 0
    )
    return pd.DataFrame(
        {
            "production_line": grid.lines.to_numpy()[keep // calendar.horizon].astype(str),
            "production_date": calendar.dates_of(keep % calendar.horizon).to_numpy(),
            "capacity_units": capacity[keep],
            "allocated_units": allocated[keep],
            "utilisation": np.round(ratio, 4),
            "lines_allocated": count[keep],
        }
    )
