"""Synthetic wide boards for performance tests: every column type, awkward titles, empty cells."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from .board import Board, ColumnCells
from .model import Column, Group, People, Person
from .render import COUNTRIES

#: the order in which a wide board's columns cycle through the types
WIDE_TYPES = (
    "dropdown", "numbers", "date", "text", "status", "formula", "board_relation", "mirror",
    "long_text", "people", "name", "subtasks", "item_id", "checkbox", "country", "last_updated",
)  # fmt: skip
# Titles repeat on purpose (duplicate titles) and carry what breaks naive SQL/CSV code.
_TITLES = (
    "Status", "Status", "Due date", 'Owner\'s "quote"', "a/b\\c path", "🚀 Launch", "SELECT",
    "drop table x; --", "Amount (€)", "  spaced  title ", "group", "Ünïcödé ✓", "order by",
    "tab\there", "100% done?", "",
)  # fmt: skip
_WORDS = (
    "alpha", 'say "hi"', "O'Reilly", "a/b", "Café ☕", "💥 boom", "DROP TABLE t;--", "line1\nline2",
    "naïve", "tab\tsep", "comma, inside", "back\\slash", "null", "NULL", "0", "  padded  ",
)  # fmt: skip
_STATUS = {"0": "Working on it", "1": "Done", "2": "Stuck", "3": "Waiting", "5": "Not started"}
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN", "Holiday, observed")
WIDE_PEOPLE = People({str(4_616_000 + i): Person(f"Person {i:02d}") for i in range(20)})
WIDE_PEOPLE.by_id["665845"] = Person("Sales Team", "team")
_EPOCH = np.datetime64("2024-01-01T00:00:00", "s")


def make_wide_board(
    board_id: str | int = "5000000001",
    items: int = 1_000,
    columns: int = 150,
    seed: int = 0,
    *,
    empty_share: float = 0.15,
    pool_size: int = 256,
    name: str | None = None,
) -> Board:
    """A board of ``items`` x ``columns`` cycling through WIDE_TYPES; ~empty_share cells empty.

    Cells are drawn from pools of at most ``pool_size`` distinct values per column (vectorised),
    so 50,000 x 150 builds in about a second and serves without per-cell rendering.
    """
    rng = np.random.default_rng(seed)
    board_id = str(board_id)
    base = int(board_id) * 10 if board_id.isdigit() else 9_000_000_000
    item_ids = np.arange(base, base + items).astype(str).tolist()
    created = _EPOCH + rng.integers(0, 365 * 86_400, items).astype("timedelta64[s]")
    updated = created + rng.integers(0, 90 * 86_400, items).astype("timedelta64[s]")
    cols = [_wide_column(j) for j in range(columns)]
    cells = {
        c.id: _cells(c, rng, items, item_ids, pool_size, empty_share)
        for c in cols
        if c.type not in ("name", "item_id")
    }
    return Board(
        id=board_id, name=name or f"Wide board {items}x{columns}", columns=cols,
        groups=[Group(f"group_{g}", f"Group {g}") for g in range(4)],
        item_ids=item_ids, item_names=[f"Item {i:06d}" for i in range(items)],
        item_states=["active"] * items, item_groups=rng.integers(0, 4, items, dtype=np.int32),
        created_at=_stamps(created), updated_at=_stamps(updated), cells=cells, people=WIDE_PEOPLE,
    )  # fmt: skip


def _stamps(values: np.ndarray[Any, Any]) -> list[str]:
    return [f"{s}Z" for s in np.datetime_as_string(values, unit="s").tolist()]


def _wide_column(j: int) -> Column:
    kind = WIDE_TYPES[j % len(WIDE_TYPES)]
    title = _TITLES[(j // len(WIDE_TYPES) + j) % len(_TITLES)] or kind
    settings: dict[str, Any] = {}
    if kind == "status":
        settings = {"labels": _STATUS, "done_colors": [1]}
    elif kind == "dropdown":
        settings = {"labels": [{"id": i + 1, "name": d} for i, d in enumerate(_DAYS)]}
    elif kind == "numbers":
        settings = {"unit": {"symbol": "€", "direction": "right"}} if j % 2 else {}
    return Column(f"{kind}_{j:03d}", title, kind, json.dumps(settings, ensure_ascii=False))


def _cells(
    column: Column, rng: np.random.Generator, items: int, ids: list[str], size: int, empty: float
) -> ColumnCells:
    pool = [None, *_POOLS[column.type](rng, size, ids)]
    codes = rng.integers(1, len(pool), items, dtype=np.int32)
    codes[rng.random(items) < empty] = 0
    return ColumnCells(codes, pool)


def _texts(rng: np.random.Generator, size: int) -> list[str]:
    picks = rng.integers(0, len(_WORDS), (size, 3)).tolist()
    return [
        f"{_WORDS[a]} {_WORDS[b]} #{n}{_WORDS[c] if n % 7 == 0 else ''}"
        for n, (a, b, c) in enumerate(picks)
    ]


def _dates(rng: np.random.Generator, size: int) -> list[str]:
    days = (_EPOCH + rng.integers(0, 900, size).astype("timedelta64[D]")).astype("datetime64[D]")
    stamps = np.datetime_as_string(days).tolist()
    return [f"{d} {n % 24:02d}:30" if n % 3 == 0 else d for n, d in enumerate(stamps)]


def _ids_sample(rng: np.random.Generator, ids: list[str], size: int) -> list[list[str]]:
    picks = rng.integers(0, len(ids), (size, 3)).tolist()
    return [[ids[p] for p in row[: 1 + n % 3]] for n, row in enumerate(picks)]


def _timestamps(rng: np.random.Generator, size: int) -> list[str]:
    moments = _EPOCH + rng.integers(0, 400 * 86_400, size).astype("timedelta64[s]")
    return _stamps(moments)


Pool = Callable[[np.random.Generator, int, list[str]], list[Any]]
_POOLS: dict[str, Pool] = {
    "dropdown": lambda rng, n, _ids: [
        sorted(set(rng.choice(_DAYS, 1 + k % 3, replace=False).tolist()), key=_DAYS.index)
        for k in range(n)
    ],
    "numbers": lambda rng, n, _ids: [
        int(v) if k % 2 else round(float(v) / 7, 2)
        for k, v in enumerate(rng.integers(-1_000, 100_000, n))
    ],
    "date": lambda rng, n, _ids: _dates(rng, n),
    "text": lambda rng, n, _ids: _texts(rng, n),
    "status": lambda rng, n, _ids: rng.choice(list(_STATUS.values()), n).tolist(),
    "formula": lambda rng, n, _ids: [f"{v / 4:.2f}" for v in rng.integers(0, 10_000, n).tolist()],
    "board_relation": lambda rng, n, ids: _ids_sample(rng, ids, n),
    "mirror": lambda rng, n, _ids: _texts(rng, n),
    "long_text": lambda rng, n, _ids: [
        f"{t}\n\nSecond paragraph: {t[::-1]}" for t in _texts(rng, n)
    ],
    "people": lambda rng, n, _ids: [
        rng.choice(list(WIDE_PEOPLE.by_id), 1 + k % 2, replace=False).tolist() for k in range(n)
    ],
    "subtasks": lambda _rng, n, _ids: [
        {
            "ids": [str(8_000_000_000 + k * 3 + s) for s in range(1 + k % 3)],
            "names": [f"Subitem {k}.{s}" for s in range(1 + k % 3)],
        }
        for k in range(n)
    ],
    "checkbox": lambda _rng, _n, _ids: [True],
    "country": lambda rng, n, _ids: rng.choice(
        sorted(COUNTRIES), min(n, len(COUNTRIES)), replace=False
    ).tolist(),
    "last_updated": lambda rng, n, _ids: _timestamps(rng, n),
}
