"""Working-day calendar: weekends, country holidays and closures over the scheduling window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays
import numpy as np
import pandas as pd

from .settings import WEEKDAY_LABELS, ScheduleInputError, ScheduleSettings


@dataclass(frozen=True)
class WorkCalendar:
    """Day grid from the run date: the production horizon plus a ship-date search tail.

    Day index 0 is the run date. Production may use days [0, horizon); ship dates may fall up to
    `len(days)` days out, so a line finishing on the horizon's last day still finds a ship date.
    """

    run_date: dt.date
    horizon: int
    days: np.ndarray  # datetime64[D], one per index
    working: np.ndarray  # bool: not a weekend day, holiday or closure

    @property
    def size(self) -> int:
        return len(self.days)

    @property
    def weekday(self) -> np.ndarray:
        """0 = Monday ... 6 = Sunday, per day index."""
        return ((self.days.astype("int64") + 3) % 7).astype(np.int8)

    def index_of(self, dates: pd.Series) -> np.ndarray:
        """Day index of each date (may be negative or past the grid); NaT maps to -1."""
        values = pd.to_datetime(dates).to_numpy(dtype="datetime64[D]")
        index = (values - np.datetime64(self.run_date, "D")).astype("int64")
        return np.where(np.isnat(values), -1, index)

    def dates_of(self, index: np.ndarray) -> pd.Series:
        """Dates for day indices; negative indices (not scheduled) become NaT."""
        base = np.datetime64(self.run_date, "D")
        dates = base + np.maximum(index, 0).astype("timedelta64[D]")
        return pd.Series(np.where(index >= 0, dates, np.datetime64("NaT")), dtype="datetime64[s]")


def build_calendar(settings: ScheduleSettings) -> WorkCalendar:
    """The working-day grid for a run (weekends and closures from settings, holidays by country)."""
    size = settings.horizon_days + settings.ship_search_days
    start = np.datetime64(settings.run_date, "D")
    days = start + np.arange(size).astype("timedelta64[D]")
    weekday = (days.astype("int64") + 3) % 7
    weekend = [WEEKDAY_LABELS.index(label) for label in settings.weekend]
    closed = np.isin(days, np.array(sorted(holiday_dates(settings, days)), dtype="datetime64[D]"))
    working = ~np.isin(weekday, weekend) & ~closed
    return WorkCalendar(settings.run_date, settings.horizon_days, days, working)


def holiday_dates(settings: ScheduleSettings, days: np.ndarray) -> set[dt.date]:
    """Country holidays (the `holidays` package) plus configured closures inside the grid."""
    first, last = days[0].astype(dt.date), days[-1].astype(dt.date)
    dates = {d for d in settings.closures if first <= d <= last}
    if settings.country:
        try:
            calendar = holidays.country_holidays(
                settings.country,
                subdiv=settings.subdivision,
                years=range(first.year, last.year + 1),
            )
        except NotImplementedError:
            raise ScheduleInputError(
                f"calendar.country={settings.country!r} / subdivision={settings.subdivision!r} "
                "is not known to the holidays package: use an ISO code such as ES or US"
            ) from None
        dates |= {d for d in calendar if first <= d <= last}
    return dates


def next_true(mask: np.ndarray) -> np.ndarray:
    """Index of the first True at or after each position, along the last axis.

    The result has one extra trailing position; positions with no True after them hold
    `mask.shape[-1]` (a sentinel past the grid).
    """
    size = mask.shape[-1]
    padded = np.concatenate([mask, np.ones((*mask.shape[:-1], 1), dtype=bool)], axis=-1)
    index = np.where(padded, np.arange(size + 1), size)
    return np.minimum.accumulate(index[..., ::-1], axis=-1)[..., ::-1]


def parse_weekdays(values: pd.Series, where: str) -> pd.Series:
    """Normalise weekday lists ('mon, Wed', 'Monday;Friday') to 'MON,WED'; '' when empty.

    Each distinct spelling is parsed once, so this stays cheap for any number of rows.
    """
    text = values.astype("string").fillna("")
    return text.map({raw: _weekday_text(raw, where) for raw in text.unique()}).astype(str)


def _weekday_text(raw: str, where: str) -> str:
    labels = {item.strip().upper()[:3] for item in raw.replace(";", ",").split(",") if item.strip()}
    bad = sorted(labels - set(WEEKDAY_LABELS))
    if bad:
        raise ScheduleInputError(
            f"{where}: unknown delivery weekday(s) {bad} in {raw!r}; "
            f"use labels among {', '.join(WEEKDAY_LABELS)}"
        )
    return ",".join(label for label in WEEKDAY_LABELS if label in labels)
