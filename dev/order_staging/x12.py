"""X12 850 purchase orders into the canonical shape, separators read from the ISA segment.

Envelope (ISA/GS/ST .. SE/GE/IEA) nesting, control numbers and counts are checked; a broken
envelope raises MalformedFile. Mapping per transaction set (one order each): BEG03 PO number
-> order_id, BEG05 date -> order_date, BEG02 "RO" (rush order) -> priority "rush",
DTM*002 -> requested_delivery_date, N1*BY id (N104) -> customer_id, CUR*BY -> currency
(default when absent), AMT*TT -> order_total (optional), PO1 -> one line: PO101 line_no,
PO102 quantity, PO103 unit, PO104 unit_price, SKU from the first VP/BP qualifier pair.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .canonical import (
    HEADER_COLUMNS,
    LINE_COLUMNS,
    MalformedFile,
    ParsedFile,
    join_groups,
    text_frame,
)

ENVELOPE = {"ISA": "I", "GS": "G", "ST": "S", "SE": "E", "GE": "g", "IEA": "i"}
_NESTING = re.compile(r"(?:I(?:G(?:SE)+g)+i)+")
SKU_QUALIFIERS = ("VP", "BP")
DEFAULT_CURRENCY = "EUR"


def separators(text: str) -> tuple[str, str, str]:
    """(element, component, segment terminator) from the ISA segment (padding not assumed)."""
    if not text.startswith("ISA") or len(text) < 16:
        raise MalformedFile("broken EDI envelope: the file does not start with an ISA segment")
    element = text[3]
    positions = [i for i, ch in enumerate(text[:200]) if ch == element]
    if len(positions) < 16 or positions[15] + 2 >= len(text):
        raise MalformedFile("broken EDI envelope: the ISA segment has fewer than 16 elements")
    component, terminator = text[positions[15] + 1], text[positions[15] + 2]
    if terminator.isalnum() or terminator == element:
        raise MalformedFile(
            f"broken EDI envelope: segment terminator {terminator!r} read from "
            "ISA is a letter, digit or the element separator"
        )
    return element, component, terminator


def segments(text: str) -> tuple[pd.DataFrame, pd.Series, str]:
    """Elements of every segment (column 0 = segment id), the segment texts, the terminator."""
    text = text.strip()
    element, _component, terminator = separators(text)
    seg = pd.Series(text.split(terminator), dtype=object).str.strip()
    seg = seg[seg != ""].reset_index(drop=True)
    parts = seg.str.split(element, expand=True, regex=False).fillna("")
    parts.columns = range(parts.shape[1])
    for col in range(parts.shape[1], 12):  # PO1 reads up to element 11
        parts[col] = ""
    return parts, seg, terminator


def parse_x12(text: str, default_currency: str = DEFAULT_CURRENCY) -> ParsedFile:
    """Parse an X12 850 interchange; every ST..SE transaction set is one order."""
    parts, seg, terminator = segments(text)
    ids = parts[0].to_numpy(dtype=object)
    st_no = _check_envelope(parts, ids)
    inside = _inside_sets(ids)
    n = int((ids == "ST").sum())
    order_seq = st_no - 1
    headers = _headers(parts, ids, order_seq, n, default_currency)
    lines = _lines(parts, ids, order_seq)
    payload = join_groups(
        seg.to_numpy()[inside], order_seq[inside], n, terminator, suffix=terminator
    )
    raw = pd.DataFrame(
        {
            "order_seq": np.arange(n),
            "source": "edi",
            "order_id": headers["order_id"],
            "payload": payload,
        }
    )
    return ParsedFile("x12", headers, lines, raw)


def _inside_sets(ids: np.ndarray) -> np.ndarray:
    opened = np.cumsum(ids == "ST")
    closed_before = np.concatenate([[0], np.cumsum(ids == "SE")[:-1]])
    return np.asarray(opened - closed_before == 1)


def _check_envelope(parts: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """Nesting, counts and control numbers; returns the transaction number of each segment."""
    codes = pd.Series(ids).map(ENVELOPE).dropna()
    if not _NESTING.fullmatch("".join(codes)):
        raise MalformedFile(
            "broken EDI envelope: ISA/GS/ST/SE/GE/IEA segments are missing or "
            f"out of order (sequence {_abbrev(codes)})"
        )
    stray = ~_inside_sets(ids) & ~np.isin(ids, list(ENVELOPE))
    if stray.any():
        raise MalformedFile(
            f"broken EDI envelope: segment {ids[stray][0]} (segment "
            f"{int(np.flatnonzero(stray)[0]) + 1}) is outside a transaction set"
        )
    _check_pairs(parts, ids, "ST", "SE", 2, 2, "transaction set control number")
    _check_pairs(parts, ids, "GS", "GE", 6, 2, "group control number")
    _check_pairs(parts, ids, "ISA", "IEA", 13, 2, "interchange control number")
    st_no = np.cumsum(ids == "ST")
    _check_counts(parts, ids, st_no)
    not_850 = parts.loc[ids == "ST", 1] != "850"
    if not_850.any():
        raise MalformedFile(
            f"not a purchase order: transaction set {not_850.index[0]} is a "
            f"{parts.loc[not_850.index[0], 1]!r}, only 850 is staged"
        )
    return st_no


def _abbrev(codes: pd.Series) -> str:
    names = {v: k for k, v in ENVELOPE.items()}
    shown = [names[c] for c in codes.iloc[:12]]
    return "-".join(shown) + ("-..." if len(codes) > 12 else "")


def _check_pairs(
    parts: pd.DataFrame,
    ids: np.ndarray,
    opening: str,
    closing: str,
    open_el: int,
    close_el: int,
    what: str,
) -> None:
    opened = parts.loc[ids == opening, open_el].str.strip().to_numpy()
    closed = parts.loc[ids == closing, close_el].str.strip().to_numpy()
    bad = np.flatnonzero(opened != closed)
    if len(bad):
        i = bad[0]
        raise MalformedFile(
            f"broken EDI envelope: {what} {opened[i]!r} in {opening} does not "
            f"match {closed[i]!r} in {closing}"
        )


def _check_counts(parts: pd.DataFrame, ids: np.ndarray, st_no: np.ndarray) -> None:
    """SE01 = segments in the set, GE01 = sets in the group, IEA01 = groups, CTT01 = PO1s."""
    pos = np.arange(len(ids))
    segs = pos[ids == "SE"] - pos[ids == "ST"] + 1
    _expect(parts.loc[ids == "SE", 1], segs, "SE01 segment count")
    gs_no = np.cumsum(ids == "GS")
    _expect(parts.loc[ids == "GE", 1], np.bincount(gs_no[ids == "ST"])[1:], "GE01 set count")
    isa_no = np.cumsum(ids == "ISA")
    _expect(parts.loc[ids == "IEA", 1], np.bincount(isa_no[ids == "GS"])[1:], "IEA01 group count")
    ctt = ids == "CTT"
    po1 = np.bincount(st_no[ids == "PO1"], minlength=int(st_no.max()) + 1)
    _expect(parts.loc[ctt, 1], po1[st_no[ctt]], "CTT01 line item count")


def _expect(declared: pd.Series, actual: np.ndarray, what: str) -> None:
    numbers = pd.to_numeric(declared.str.strip(), errors="coerce").to_numpy()
    bad = np.flatnonzero(numbers != actual)
    if len(bad):
        i = bad[0]
        raise MalformedFile(
            f"broken EDI envelope: {what} says {declared.iloc[i]!r} but the "
            f"file has {actual[i]} (segment {declared.index[i] + 1})"
        )


def _first(parts: pd.DataFrame, mask: np.ndarray, order_seq: np.ndarray, n: int) -> pd.DataFrame:
    """The first matching segment of each transaction, reindexed 0..n-1 ("" when none)."""
    found = parts[mask].set_axis(order_seq[mask])
    found = found[~found.index.duplicated()]
    return found.reindex(range(n), fill_value="")


def _x12_date(values: pd.Series) -> pd.Series:
    """CCYYMMDD -> YYYY-MM-DD; anything else is kept as sent (the type rule reports it)."""
    ok = values.str.fullmatch(r"\d{8}")
    iso = values.str.slice(0, 4) + "-" + values.str.slice(4, 6) + "-" + values.str.slice(6, 8)
    return iso.where(ok, values)


def _headers(
    parts: pd.DataFrame, ids: np.ndarray, order_seq: np.ndarray, n: int, default_currency: str
) -> pd.DataFrame:
    beg = _first(parts, ids == "BEG", order_seq, n)
    dtm = _first(parts, (ids == "DTM") & (parts[1] == "002").to_numpy(), order_seq, n)
    by = _first(parts, (ids == "N1") & (parts[1] == "BY").to_numpy(), order_seq, n)
    cur = _first(parts, (ids == "CUR") & (parts[1] == "BY").to_numpy(), order_seq, n)
    amt = _first(parts, (ids == "AMT") & (parts[1] == "TT").to_numpy(), order_seq, n)
    data = {
        "order_seq": pd.Series(np.arange(n)),
        "source": "edi",
        "channel": "edi",
        "order_id": beg[3].str.strip(),
        "order_date": _x12_date(beg[5].str.strip()),
        "customer_id": by[4].str.strip(),
        "currency": cur[2].str.strip().replace("", default_currency),
        "requested_delivery_date": _x12_date(dtm[2].str.strip()),
        "order_total": amt[2],
        "priority": beg[2].map({"RO": "rush"}).fillna(""),
        "header_conflicts": "",
    }
    return text_frame(data, HEADER_COLUMNS, n)


def _lines(parts: pd.DataFrame, ids: np.ndarray, order_seq: np.ndarray) -> pd.DataFrame:
    mask = ids == "PO1"
    po1 = parts[mask].reset_index(drop=True)
    sku = pd.Series("", index=po1.index, dtype=object)
    for qualifier_col in (10, 8, 6):  # last assignment wins: the first VP/BP pair
        hit = po1[qualifier_col].isin(SKU_QUALIFIERS)
        sku = sku.mask(hit, po1[qualifier_col + 1])
    data = {
        "order_seq": pd.Series(order_seq[mask]),
        "row_no": pd.Series(np.arange(1, len(po1) + 1)),
        "line_no": po1[1],
        "quantity": po1[2],
        "unit": po1[3],
        "unit_price": po1[4],
        "sku": sku.str.strip(),
        "discount_pct": "0",
        "line_amount": "",
    }
    return text_frame(data, LINE_COLUMNS, len(po1))
