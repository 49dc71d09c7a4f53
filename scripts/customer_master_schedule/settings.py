"""Typed settings of the customer master schedule, read from the layered configuration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.config import Config, ConfigError, load_config

WORKFLOW_DIR = Path(__file__).resolve().parent

WEEKDAY_LABELS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


class ScheduleInputError(Exception):
    """An input table or setting the schedule cannot use; the message names table, column, fix."""


@dataclass(frozen=True)
class BoardColumns:
    """Where the Monday 'customer delivery schedules' board lands after monday_boards syncs it."""

    table: str = "monday_customer_delivery_schedules"
    customer_id: str = "customer_id"
    weekdays: str = "delivery_weekdays"
    blackout_from: str = "blackout_from"
    blackout_to: str = "blackout_to"


@dataclass(frozen=True)
class Tables:
    """Names of the input and output tables."""

    orders: str = "order_staging_validated"
    customers: str = "customers"
    products: str = "products"
    capacity: str = "capacity"
    schedule: str = "customer_master_schedule"
    utilisation: str = "customer_master_schedule_utilisation"
    history: str = "schedule_history"


@dataclass(frozen=True)
class ScheduleSettings:
    """Everything the scheduling core needs besides the input frames."""

    run_date: dt.date
    horizon_days: int = 365
    ship_search_days: int = 366
    default_lead_time_days: int = 0
    default_weekdays: str = "MON,TUE,WED,THU,FRI"
    open_statuses: tuple[str, ...] = ()
    country: str | None = "ES"
    subdivision: str | None = None
    weekend: tuple[str, ...] = ("SAT", "SUN")
    closures: tuple[dt.date, ...] = ()
    tables: Tables = field(default_factory=Tables)
    board: BoardColumns = field(default_factory=BoardColumns)

    @classmethod
    def from_config(cls, cfg: Config, run_date: dt.date) -> ScheduleSettings:
        """Read `schedule.*`, `calendar.*`, `tables.*` and `delivery_board.*` from config."""
        return cls(
            run_date=run_date,
            horizon_days=cfg.get_int("schedule.horizon_days", 365, minimum=1),
            ship_search_days=cfg.get_int("schedule.ship_search_days", 366, minimum=7),
            default_lead_time_days=cfg.get_int("schedule.default_lead_time_days", 0, minimum=0),
            default_weekdays=_labels(
                cfg, "schedule.default_delivery_weekdays", list(WEEKDAY_LABELS[:5])
            ),
            open_statuses=tuple(str(s) for s in cfg.get_list("schedule.open_statuses", [])),
            country=cfg.get("calendar.country", "ES") or None,
            subdivision=cfg.get("calendar.subdivision") or None,
            weekend=tuple(
                d for d in _labels(cfg, "calendar.weekend", ["SAT", "SUN"]).split(",") if d
            ),
            closures=_dates(cfg, "calendar.closures"),
            tables=Tables(**_section(cfg, "tables", Tables)),
            board=BoardColumns(**_section(cfg, "delivery_board", BoardColumns)),
        )


def load_settings(env: str | None = None, run_date: dt.date | None = None) -> ScheduleSettings:
    """Settings from this workflow's layered configuration (run date default: today)."""
    cfg = load_config(WORKFLOW_DIR, env)
    return ScheduleSettings.from_config(cfg, run_date or dt.date.today())


def _labels(cfg: Config, key: str, default: list[str]) -> str:
    labels = [str(item).strip().upper()[:3] for item in cfg.get_list(key, default)]
    bad = [label for label in labels if label not in WEEKDAY_LABELS]
    if bad:
        raise ConfigError(
            f"config key {key!r} has unknown weekday(s) {bad} (from "
            f"{cfg.where(key)}): use {', '.join(WEEKDAY_LABELS)}"
        )
    return ",".join(labels)


def _dates(cfg: Config, key: str) -> tuple[dt.date, ...]:
    out = []
    for item in cfg.get_list(key, []):
        if isinstance(item, dt.date):
            out.append(item)
            continue
        try:
            out.append(dt.date.fromisoformat(str(item)))
        except ValueError:
            raise ConfigError(
                f"config key {key!r} holds {item!r} (from {cfg.where(key)}): "
                "closures must be dates written YYYY-MM-DD"
            ) from None
    return tuple(sorted(set(out)))


def _section(cfg: Config, key: str, kind: type[Any]) -> dict[str, str]:
    raw = cfg.get(key) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"config key {key!r} must be a mapping (from {cfg.where(key)})")
    known = set(kind.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"config key {key!r} has unknown entries {unknown}; known: {', '.join(sorted(known))}"
        )
    return {name: str(value) for name, value in raw.items() if value}
