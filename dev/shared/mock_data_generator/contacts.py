"""Column kinds sampled from the value pools: person names, companies, e-mail addresses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .base import Column, _GenContext, _names
from .pools import _company_pool, _email_pool, _name_pools
from .text import _by_strategy, _ensure_changed, _join, _large


@dataclass(frozen=True)
class Name(Column):
    """A person's name from a pool of common first x last names; `part` full, first or last."""

    kind: ClassVar[str] = "name"
    part: str = "full"

    @property
    def format_regex(self) -> str:
        return r"^[A-Z][A-Za-z]+ [A-Z][A-Za-z]+$" if self.part == "full" else r"^[A-Z][A-Za-z]+$"

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if self.part not in ("full", "first", "last"):
            raise ValueError(f"part {self.part!r} is not one of full, first, last")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return ctx.sample(_name_pools()[self.part])

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        digit = _large("0123456789")
        strategies = [
            pc.utf8_lower,
            lambda v: _join(" ", v, " "),
            lambda v: _join(v, digit.take(rng.integers(0, 10, len(v)))),
        ]
        return _ensure_changed(
            _by_strategy(values, rng.integers(0, 3, len(values)), strategies), values
        )


@dataclass(frozen=True)
class Company(Column):
    """A company name like 'Northwind Logistics GmbH' from a pool of word combinations."""

    kind: ClassVar[str] = "company"

    @property
    def format_regex(self) -> str:
        return r"^[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)+$"

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return ctx.sample(_company_pool())


@dataclass(frozen=True)
class Email(Column):
    """An e-mail address; `domains` replaces the default consumer domains; `unique` per frame."""

    kind: ClassVar[str] = "email"
    domains: tuple[str, ...] = ()
    unique: bool = False

    @property
    def format_regex(self) -> str:
        return r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"

    def __post_init__(self) -> None:
        object.__setattr__(self, "domains", _names(self.domains))

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        bad = [d for d in self.domains if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", d)]
        if bad:
            raise ValueError(f"domains {bad} are not domain names like 'example.com'")

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        pool = _email_pool(self.domains)
        if not self.unique:
            return ctx.sample(pool)
        if ctx.rows <= len(pool):
            return ctx.text(pool.take(ctx.rng.choice(len(pool), ctx.rows, replace=False)))
        # More rows than distinct addresses: make each local part unique with its row number.
        sampled = pool.take(ctx.rng.integers(0, len(pool), ctx.rows))
        parts = pc.split_pattern(sampled, "@", max_splits=1)
        local, domain = pc.list_element(parts, 0), pc.list_element(parts, 1)
        row = pc.cast(pa.array(np.arange(ctx.rows)), pa.large_string())
        return ctx.text(_join(local, ".", row, "@", domain))

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        strategies = [
            lambda v: pc.replace_substring(v, "@", ""),
            lambda v: pc.replace_substring(v, "@", "@@"),
            lambda v: pc.replace_substring_regex(v, "@.*$", "@"),
            lambda v: pc.replace_substring(v, "@", " at "),
        ]
        return _by_strategy(values, rng.integers(0, 4, len(values)), strategies)
