"""Helpers shared by the edge-case, integration and performance tests (not by test_<wf>.py,
which promotion copies alone and which therefore carries its own)."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

CSV_HEADER = (
    "channel,order_id,order_date,customer_id,currency,line_no,sku,quantity,unit_price,"
    "discount_pct,requested_delivery_date,order_total,line_amount"
)
# A valid one-line order: C001 (lead 2 days, Mon-Fri), SKU-1001 at 0.35 EUR, Wednesday delivery.
BASE = {
    "channel": "ecommerce",
    "order_id": "T-1",
    "order_date": "2026-03-02",
    "customer_id": "C001",
    "currency": "EUR",
    "line_no": "1",
    "sku": "SKU-1001",
    "quantity": "10",
    "unit_price": "0.35",
    "discount_pct": "0",
    "requested_delivery_date": "2026-03-04",
    "order_total": "3.50",
    "line_amount": "",
}
FX = {"EUR": 1.0, "USD": 0.93, "GBP": 1.16}
OUTPUT_TABLES = (
    "order_staging_validated",
    "order_staging_raw",
    "order_staging_errors",
    "order_processing_log",
)


class Package:
    """The workflow's modules, imported from wherever the tested copy lives."""

    def __init__(self, package: str) -> None:
        self.package = package

    def __getattr__(self, name: str) -> ModuleType:
        try:
            return importlib.import_module(f"{self.package}.{name}")
        except ModuleNotFoundError:  # hypothesis and pytest probe attributes
            raise AttributeError(name) from None


def csv_text(*rows: dict[str, str], header: str = CSV_HEADER) -> str:
    columns = header.split(",")
    lines = [",".join({**BASE, **row}.get(c, "") for c in columns) for row in rows]
    return "\n".join([header, *lines]) + "\n"


def stage(pkg: Package, reference, files: dict[str, str | bytes], open_orders=None, **settings_kw):
    """Parse named file contents, assemble and evaluate them (no database)."""
    sources = []
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        parsed = pkg.parsers.parse_bytes(data, name)
        sources.append(pkg.batch.SourceFile(name, f"sum-{name}", parsed))
    batch = pkg.batch.assemble(sources)
    options = pkg.engine.Settings(fx_to_base=settings_kw.pop("fx_to_base", FX), **settings_kw)
    return pkg.engine.evaluate(batch, reference, options, open_orders)


def malformed_reason(pkg: Package, data: bytes, name: str) -> str:
    """The quarantine reason a file gets (fails the test when it parses)."""
    with pytest.raises(pkg.canonical.MalformedFile) as caught:
        pkg.parsers.parse_bytes(data, name)
    return str(caught.value)


def write_inbox(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


def checksums(db, tables=OUTPUT_TABLES) -> dict[str, str]:
    return {t: db.table_checksum(t) for t in tables}
