"""The Pattern kind: fixed-width strings like 'ORD-########' assembled as byte records."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow.compute as pc

from .base import Column, _GenContext, _is_text
from .text import _by_strategy, _fixed_width_strings, _join, _large

_INT64_SPACE = 2**62


@functools.cache
def _lut(alphabet: bytes, length: int) -> npt.NDArray[np.uint8]:
    """Every `length`-character string over `alphabet` as rows of bytes, in counting order."""
    base = len(alphabet)
    digits = np.arange(base**length)[:, None] // base ** np.arange(length - 1, -1, -1) % base
    return np.frombuffer(alphabet, dtype=np.uint8)[digits]


@dataclass(frozen=True)
class _PatternPlan:
    template: npt.NDArray[np.uint8]
    groups: tuple[tuple[int, int, bytes], ...]  # (byte offset, length, alphabet)
    regex: str
    first_variable: tuple[int, str] | None  # (character index, '#' or '?')


_DIGITS, _LETTERS = b"0123456789", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _add_variable(runs: list[list[Any]], offset: int, alphabet: bytes) -> None:
    """Extend the last run of this alphabet when adjacent and short enough for one lookup table."""
    chunk = 4 if alphabet == _DIGITS else 3
    last = runs[-1] if runs else None
    if last is not None and last[2] == alphabet and last[0] + last[1] == offset and last[1] < chunk:
        last[1] += 1
    else:
        runs.append([offset, 1, alphabet])


@functools.cache
def _plan_pattern(pattern: str) -> _PatternPlan:
    """Compile 'ORD-########' ('#' digit, '?' letter, '\\' escapes) into byte groups."""
    template, regex = bytearray(), []
    runs: list[list[Any]] = []  # [byte offset, length, alphabet]
    first: tuple[int, str] | None = None
    escaped, index = False, 0
    for char in pattern:  # the pattern's characters, not the data's rows
        if char == "\\" and not escaped:
            escaped = True
            continue
        alphabet = None if escaped else {"#": _DIGITS, "?": _LETTERS}.get(char)
        escaped = False
        if alphabet is None:
            template += char.encode()
            regex.append(re.escape(char))
        else:
            first = first or (index, char)
            _add_variable(runs, len(template), alphabet)
            template += b"0"
            regex.append(r"\d" if alphabet == _DIGITS else "[A-Z]")
        index += 1
    if escaped:  # a trailing backslash stands for itself
        template += b"\\"
        regex.append(re.escape("\\"))
    groups = tuple((int(o), int(n), bytes(a)) for o, n, a in runs)
    plan = np.frombuffer(bytes(template), dtype=np.uint8)
    return _PatternPlan(plan, groups, "^" + "".join(regex) + "$", first)


@functools.cache
def _record_layout(pattern: str) -> tuple[np.dtype[np.void], dict[str, bytes | int]]:
    """A structured dtype covering the pattern's bytes: literal runs and variable groups.

    Writing whole fields of a record array is ~8x faster than writing byte columns of a 2-D
    uint8 matrix (strided one-byte copies).
    """
    plan = _plan_pattern(pattern)
    pieces: list[tuple[int, int, bytes | int]] = []
    cursor = 0
    for number, (offset, length, _) in enumerate(plan.groups):
        if offset > cursor:
            pieces.append((cursor, offset - cursor, plan.template[cursor:offset].tobytes()))
        pieces.append((offset, length, number))
        cursor = offset + length
    if cursor < len(plan.template):
        pieces.append((cursor, len(plan.template) - cursor, plan.template[cursor:].tobytes()))
    names = [f"f{i}" for i in range(len(pieces))]
    layout = np.dtype(
        {
            "names": names,
            "formats": [f"V{length}" for _, length, _ in pieces],
            "offsets": [offset for offset, _, _ in pieces],
            "itemsize": len(plan.template),
        }
    )
    return layout, {name: source for name, (_, _, source) in zip(names, pieces, strict=True)}


@functools.cache
def _void_lut(alphabet: bytes, length: int) -> npt.NDArray[np.void]:
    return np.ascontiguousarray(_lut(alphabet, length)).view(f"V{length}").ravel()


def _unique_block(radices: list[int], rows: int, where: str) -> int:
    """How many trailing groups jointly get distinct values (their space must fit int64)."""
    space, count = 1, 0
    for radix in reversed(radices):
        if space * radix > _INT64_SPACE:
            break
        space, count = space * radix, count + 1
    if count == len(radices) and rows > space:
        raise ValueError(
            f"{where} has only {space} distinct values; cannot make {rows} unique ones"
        )
    return count


@dataclass(frozen=True)
class Pattern(Column):
    """Strings shaped by a pattern: '#' a digit, '?' an upper-case letter, '\\' escapes, else literal."""

    kind: ClassVar[str] = "pattern"
    pattern: str
    unique: bool = False

    @property
    def plan(self) -> _PatternPlan:
        return _plan_pattern(self.pattern)

    @property
    def format_regex(self) -> str:
        return self.plan.regex

    def check(self, columns: Mapping[str, Column]) -> None:
        super().check(columns)
        if not _is_text(self.pattern):
            raise ValueError(f"pattern must be a non-empty string, got {self.pattern!r}")

    def _group_values(self, rows: int, rng: np.random.Generator) -> list[npt.NDArray[np.int64]]:
        radices = [len(a) ** n for _, n, a in self.plan.groups]
        values = [rng.integers(0, r, rows) for r in radices]
        if not self.unique:
            return values
        if not radices:
            raise ValueError(f"pattern {self.pattern!r} has no '#' or '?' to make values unique")
        block = _unique_block(radices, rows, f"pattern {self.pattern!r}")
        # Jittered strata: row k gets one value from its own slice of the space, slices in
        # random order. Distinct by construction, evenly spread, and ~3x cheaper than
        # rng.choice(space, rows, replace=False).
        stride = math.prod(radices[-block:]) // max(rows, 1)
        code = rng.permutation(rows).astype(np.int64) * stride + rng.integers(0, stride, rows)
        for group in range(len(radices) - 1, len(radices) - block - 1, -1):
            code, values[group] = np.divmod(code, radices[group])
        return values

    def strings(self, rows: int, rng: np.random.Generator) -> Any:
        """Values as one record per row whose fields are the literal and variable byte runs."""
        layout, sources = _record_layout(self.pattern)
        values = self._group_values(rows, rng)
        records = np.empty(rows, dtype=layout)
        for name, source in sources.items():
            if isinstance(source, bytes):
                records[name] = np.frombuffer(source, dtype=f"V{len(source)}")[0]
            else:
                _, length, alphabet = self.plan.groups[source]
                records[name] = _void_lut(alphabet, length)[values[source]]
        return _fixed_width_strings(records, layout.itemsize)

    def generate(self, ctx: _GenContext) -> pd.Series[Any]:
        return ctx.text(self.strings(ctx.rows, ctx.rng))

    def malform(self, values: Any, rng: np.random.Generator) -> Any:
        """Wrong length (one character short / long) or a letter where a digit belongs."""
        digit = _large("0123456789")
        strategies = [
            lambda v: pc.utf8_slice_codeunits(v, 0, -1),
            lambda v: _join(v, digit.take(rng.integers(0, 10, len(v)))),
        ]
        if self.plan.first_variable is not None:
            at, char = self.plan.first_variable
            wrong = "O" if char == "#" else "0"  # the classic O-for-zero typo, and its reverse
            strategies.append(
                lambda v: pc.utf8_replace_slice(v, start=at, stop=at + 1, replacement=wrong)
            )
        return _by_strategy(values, rng.integers(0, len(strategies), len(values)), strategies)
