"""Read inbox files (CSV, JSON, X12 850) into the canonical header + lines shape.

``read_file(path)`` decodes the bytes (UTF-8, UTF-8 with BOM, UTF-16 with BOM), picks the
format from the suffix or the content, and returns a :class:`ParsedFile` or raises
:class:`MalformedFile` naming what is wrong and where.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from .canonical import MalformedFile, ParsedFile
from .csv_orders import CSV_COLUMNS, CSV_OPTIONAL, parse_csv
from .json_orders import parse_json
from .x12 import DEFAULT_CURRENCY, parse_x12

__all__ = [
    "CSV_COLUMNS",
    "CSV_OPTIONAL",
    "MalformedFile",
    "ParsedFile",
    "decode",
    "detect_format",
    "parse_bytes",
    "parse_csv",
    "parse_json",
    "parse_x12",
    "read_file",
]

SUFFIXES = {".csv": "csv", ".json": "json", ".x12": "x12", ".edi": "x12", ".850": "x12"}


def read_file(path: Path) -> ParsedFile:
    """Parse one inbox file; MalformedFile says why it cannot be staged."""
    data = path.read_bytes()
    return parse_bytes(data, path.name)


def parse_bytes(data: bytes, name: str, x12_currency: str = DEFAULT_CURRENCY) -> ParsedFile:
    """Parse a file's content; the format comes from the name's suffix, else from the content."""
    text = decode(data)
    fmt = detect_format(name, text)
    if fmt == "csv":  # plain UTF-8 bytes go to the CSV reader as they are
        plain = not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        return parse_csv(text, data if plain else None)
    if fmt == "json":
        return parse_json(text)
    return parse_x12(text, x12_currency)


def decode(data: bytes) -> str:
    """Bytes to text: a BOM picks UTF-8 or UTF-16, anything else must be valid UTF-8."""
    if not data.strip():
        raise MalformedFile("file is empty: nothing to stage (remove it or re-export it)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise MalformedFile(
                f"wrong encoding: UTF-16 byte-order mark but invalid UTF-16 at "
                f"byte {exc.start}; re-export the file as UTF-8"
            ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile(
            f"wrong encoding: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            "is not UTF-8 (Latin-1/Windows-1252 export?); re-export the file as "
            "UTF-8"
        ) from None
    if "\x00" in text:
        raise MalformedFile(
            "wrong encoding: NUL bytes in the text (UTF-16 without a byte-order "
            "mark?); re-export the file as UTF-8"
        )
    return text


def detect_format(name: str, text: str) -> str:
    """csv | json | x12 from the file suffix, or from the first character for other names."""
    fmt = SUFFIXES.get(Path(name).suffix.lower())
    if fmt:
        return fmt
    head = text.lstrip()[:3]
    if head.startswith("ISA"):
        return "x12"
    if head.startswith(("{", "[")):
        return "json"
    raise MalformedFile(
        f"unknown format: suffix {Path(name).suffix or '(none)'!r} is not one of "
        f"{', '.join(sorted(SUFFIXES))} and the content is neither JSON nor X12"
    )
