"""Assemble the parsed files of one run into one batch of headers, lines and raw payloads.

Columns added: headers get file_index, file_name, file_checksum, fmt; lines get order_pos
(the row of their header in ``Batch.headers``) and placeholder (True for the stand-in line of
an order that has no lines, so that every order contributes at least one counted row).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .canonical import HEADER_COLUMNS, LINE_COLUMNS, RAW_COLUMNS, ParsedFile, text_frame


@dataclass(frozen=True)
class SourceFile:
    """A file of the inbox: its name, content checksum and parsed content."""

    name: str
    checksum: str
    parsed: ParsedFile


@dataclass
class Batch:
    """Every order of one run in canonical shape (text values)."""

    headers: pd.DataFrame
    lines: pd.DataFrame
    raw: pd.DataFrame

    @property
    def rows_in(self) -> int:
        return len(self.lines)


def assemble(files: list[SourceFile]) -> Batch:
    """Concatenate files; order positions are global, lines point at their header."""
    headers, lines, raw = [], [], []
    offset = 0
    for index, item in enumerate(files):
        p = item.parsed
        ident = {
            "file_index": index,
            "file_name": item.name,
            "file_checksum": item.checksum,
            "fmt": p.fmt,
        }
        headers.append(p.headers.assign(**ident))
        lines.append(p.lines.assign(order_pos=p.lines["order_seq"].to_numpy() + offset))
        raw.append(p.raw.assign(**ident))
        offset += len(p.headers)
    if not files:
        return Batch(_empty_headers(), _empty_lines(), text_frame({}, RAW_COLUMNS, 0))
    head = pd.concat(headers, ignore_index=True)
    body = pd.concat(lines, ignore_index=True).assign(placeholder=False)
    body = pd.concat([body, _placeholders(head, body)], ignore_index=True)
    return Batch(head, body, pd.concat(raw, ignore_index=True))


def _placeholders(headers: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """One empty line (row_no 0) per order without lines."""
    has_lines = np.zeros(len(headers), dtype=bool)
    has_lines[lines["order_pos"].to_numpy(dtype=np.int64)] = True
    missing = np.flatnonzero(~has_lines)
    stand_in = text_frame({}, LINE_COLUMNS, len(missing))
    return stand_in.assign(
        order_seq=headers["order_seq"].to_numpy()[missing],
        row_no=0,
        order_pos=missing,
        placeholder=True,
    )


def _empty_headers() -> pd.DataFrame:
    return text_frame({}, HEADER_COLUMNS, 0).assign(
        file_index=0, file_name="", file_checksum="", fmt=""
    )


def _empty_lines() -> pd.DataFrame:
    return text_frame({}, LINE_COLUMNS, 0).assign(order_pos=0, placeholder=False)
