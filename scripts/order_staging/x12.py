"""X12 850 purchase orders into the canonical shape, separators read from the ISA segment.

Envelope (ISA/GS/ST .. SE/GE/IEA) nesting, control numbers and counts are checked; a broken
envelope raises MalformedFile. Mapping per transaction set (one order each): BEG03 PO number
-> order_id, BEG05 date -> order_date, BEG02 "RO" (rush order) -> priority "rush",
DTM*002 -> requested_delivery_date, N1*BY id (N104) -> customer_id, CUR*BY -> currency
(default when absent), AMT*TT -> order_total (optional), PO1 -> one line: PO101 line_no,
PO102 quantity, PO103 unit, PO104 unit_price, SKU from the first VP/BP qualifier pair.
Segments and elements are split with Arrow; only the fields used become Python strings.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .canonical import HEADER_COLUMNS, LINE_COLUMNS, MalformedFile, ParsedFile, join_groups
from .canonical import text_frame as _frame

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


class Segments:
    """The segments of an interchange, split into elements with Arrow."""

    def __init__(self, text: str) -> None:
        text = text.strip()
        element, _component, self.terminator = separators(text)
        if self.terminator not in "\r\n":  # line breaks between segments are layout only
            text = text.replace("\r", "").replace("\n", "")
        whole = pa.array([text], type=pa.large_string())
        segs = pc.list_flatten(pc.split_pattern(whole, self.terminator))
        if self.terminator in "\r\n":
            segs = pc.utf8_trim(segs, "\r\n")
        self.text = pc.filter(segs, pc.not_equal(segs, ""))
        lists = pc.split_pattern(self.text, element)
        self._flat = pc.list_flatten(lists)
        offsets = np.asarray(lists.offsets.to_numpy(), dtype=np.int64)
        self._starts, self._lengths = offsets[:-1], np.diff(offsets)
        encoded = pc.dictionary_encode(pc.take(self._flat, pa.array(self._starts)))
        self._id_codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
        self._id_names = [str(v) for v in encoded.dictionary.to_pylist()]
        self.ids = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)[
            self._id_codes
        ]

    def element(self, k: int, rows: np.ndarray) -> np.ndarray:
        """Element k (0 = segment id) of the given segments, trimmed; "" where absent."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), "", dtype=object)
        ok = self._lengths[rows] > k
        if ok.any():
            taken = pc.take(self._flat, pa.array(self._starts[rows][ok] + k))
            out[ok] = pc.utf8_trim_whitespace(taken).to_numpy(zero_copy_only=False)
        return out

    def where(self, segment_id: str, qualifier: str | None = None) -> np.ndarray:
        """Positions of the segments with this id (and element 1 equal to qualifier)."""
        if segment_id not in self._id_names:
            return np.empty(0, dtype=np.int64)
        rows = np.flatnonzero(self._id_codes == self._id_names.index(segment_id))
        if qualifier is not None:
            rows = rows[self.element(1, rows) == qualifier]
        return rows


def parse_x12(text: str, default_currency: str = DEFAULT_CURRENCY) -> ParsedFile:
    """Parse an X12 850 interchange; every ST..SE transaction set is one order."""
    seg = Segments(text)
    st_no = _check_envelope(seg)
    inside = _inside_sets(seg.ids)
    n = int((seg.ids == "ST").sum())
    order_seq = st_no - 1
    headers = _headers(seg, order_seq, n, default_currency)
    lines = _lines(seg, order_seq)
    payload = join_groups(
        pc.filter(seg.text, pa.array(inside)),
        order_seq[inside],
        n,
        seg.terminator,
        suffix=seg.terminator,
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


def _check_envelope(seg: Segments) -> np.ndarray:
    """Nesting, counts and control numbers; returns the transaction number of each segment."""
    ids = seg.ids
    envelope = ids[np.isin(ids, list(ENVELOPE))]
    sequence = (
        "".join(np.vectorize(ENVELOPE.get, otypes=[object])(envelope).tolist())
        if len(envelope)
        else ""
    )
    if not _NESTING.fullmatch(sequence):
        shown = "-".join(envelope[:12].tolist()) + ("-..." if len(envelope) > 12 else "")
        raise MalformedFile(
            "broken EDI envelope: ISA/GS/ST/SE/GE/IEA segments are missing or "
            f"out of order (sequence {shown or 'empty'})"
        )
    stray = ~_inside_sets(ids) & ~np.isin(ids, list(ENVELOPE))
    if stray.any():
        raise MalformedFile(
            f"broken EDI envelope: segment {ids[stray][0]} (segment "
            f"{int(np.flatnonzero(stray)[0]) + 1}) is outside a transaction set"
        )
    _check_pairs(seg, "ST", "SE", 2, 2, "transaction set control number")
    _check_pairs(seg, "GS", "GE", 6, 2, "group control number")
    _check_pairs(seg, "ISA", "IEA", 13, 2, "interchange control number")
    st_no = np.cumsum(ids == "ST")
    _check_counts(seg, st_no)
    sets = seg.where("ST")
    kinds = seg.element(1, sets)
    if (kinds != "850").any():
        first = int(np.flatnonzero(kinds != "850")[0])
        raise MalformedFile(
            f"not a purchase order: transaction set {first + 1} is a "
            f"{kinds[first]!r}, only 850 is staged"
        )
    return st_no


def _check_pairs(
    seg: Segments, opening: str, closing: str, open_el: int, close_el: int, what: str
) -> None:
    opened = seg.element(open_el, seg.where(opening))
    closed = seg.element(close_el, seg.where(closing))
    bad = np.flatnonzero(opened != closed)
    if len(bad):
        i = bad[0]
        raise MalformedFile(
            f"broken EDI envelope: {what} {opened[i]!r} in {opening} does not "
            f"match {closed[i]!r} in {closing}"
        )


def _check_counts(seg: Segments, st_no: np.ndarray) -> None:
    """SE01 = segments in the set, GE01 = sets in the group, IEA01 = groups, CTT01 = PO1s."""
    ids = seg.ids
    _expect(seg, "SE", seg.where("SE") - seg.where("ST") + 1, "SE01 segment count")
    gs_no = np.cumsum(ids == "GS")
    _expect(seg, "GE", np.bincount(gs_no[ids == "ST"])[1:], "GE01 set count")
    isa_no = np.cumsum(ids == "ISA")
    _expect(seg, "IEA", np.bincount(isa_no[ids == "GS"])[1:], "IEA01 group count")
    po1 = np.bincount(st_no[ids == "PO1"], minlength=int(st_no.max()) + 1)
    _expect(seg, "CTT", po1[st_no[ids == "CTT"]], "CTT01 line item count")


def _expect(seg: Segments, segment_id: str, actual: np.ndarray, what: str) -> None:
    rows = seg.where(segment_id)
    declared = seg.element(1, rows)
    numbers = pd.to_numeric(pd.Series(declared, dtype=object), errors="coerce").to_numpy()
    bad = np.flatnonzero(numbers != actual)
    if len(bad):
        i = bad[0]
        raise MalformedFile(
            f"broken EDI envelope: {what} says {declared[i]!r} but the file has "
            f"{actual[i]} (segment {rows[i] + 1})"
        )


def _first(seg: Segments, rows: np.ndarray, k: int, order_seq: np.ndarray, n: int) -> np.ndarray:
    """Element k of the first of `rows` in each transaction ("" when a set has none)."""
    seqs = order_seq[rows]
    _, first = np.unique(seqs, return_index=True)
    out = np.full(n, "", dtype=object)
    out[seqs[first]] = seg.element(k, rows[first])
    return out


def _x12_date(values: np.ndarray) -> pd.Series:
    """CCYYMMDD -> YYYY-MM-DD; anything else is kept as sent (the type rule reports it)."""
    text = pd.Series(values, dtype=object).astype("str")
    ok = text.str.fullmatch(r"\d{8}")
    iso = text.str.slice(0, 4) + "-" + text.str.slice(4, 6) + "-" + text.str.slice(6, 8)
    return iso.where(ok, text)


def _headers(seg: Segments, order_seq: np.ndarray, n: int, default_currency: str) -> pd.DataFrame:
    beg = seg.where("BEG")
    currency = _first(seg, seg.where("CUR", "BY"), 2, order_seq, n)
    data = {
        "order_seq": np.arange(n),
        "source": "edi",
        "channel": "edi",
        "order_id": _first(seg, beg, 3, order_seq, n),
        "order_date": _x12_date(_first(seg, beg, 5, order_seq, n)),
        "customer_id": _first(seg, seg.where("N1", "BY"), 4, order_seq, n),
        "currency": np.where(currency == "", default_currency, currency),
        "requested_delivery_date": _x12_date(_first(seg, seg.where("DTM", "002"), 2, order_seq, n)),
        "order_total": _first(seg, seg.where("AMT", "TT"), 2, order_seq, n),
        "priority": np.where(_first(seg, beg, 2, order_seq, n) == "RO", "rush", ""),
        "header_conflicts": "",
    }
    return _frame(data, HEADER_COLUMNS, n)


def _lines(seg: Segments, order_seq: np.ndarray) -> pd.DataFrame:
    rows = seg.where("PO1")
    sku = np.full(len(rows), "", dtype=object)
    for qualifier_el in (10, 8, 6):  # last assignment wins: the first VP/BP pair
        hit = np.isin(seg.element(qualifier_el, rows), SKU_QUALIFIERS)
        sku[hit] = seg.element(qualifier_el + 1, rows[hit])
    data = {
        "order_seq": order_seq[rows],
        "row_no": np.arange(1, len(rows) + 1),
        "line_no": seg.element(1, rows),
        "quantity": seg.element(2, rows),
        "unit": seg.element(3, rows),
        "unit_price": seg.element(4, rows),
        "sku": sku,
        "discount_pct": "0",
        "line_amount": "",
    }
    return _frame(data, LINE_COLUMNS, len(rows))
