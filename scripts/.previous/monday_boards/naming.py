"""Column titles to safe, stable SQL names: ASCII snake_case, no reserved words, no collisions.

A title becomes lower-case ASCII words joined by ``_`` (accents folded, emoji and punctuation
dropped); an empty result falls back to the column id; a leading digit gets ``c_``; SQL
reserved words get a trailing ``_``; names stop at 50 characters so derived columns
(``_from``, ``_ids``, ``_2``) stay under every backend's identifier limit. Collisions get
``_2``, ``_3``... in board order, and a name once given is kept by later syncs (see columns.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_BASE = 50
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Reserved in PostgreSQL, MariaDB or SQLite (or all): quoting would work, readers would curse.
RESERVED = frozenset(
    (
        "all",
        "alter",
        "and",
        "any",
        "as",
        "asc",
        "between",
        "by",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "cross",
        "current_date",
        "current_time",
        "current_timestamp",
        "current_user",
        "database",
        "default",
        "delete",
        "desc",
        "distinct",
        "drop",
        "else",
        "end",
        "except",
        "exists",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "full",
        "grant",
        "group",
        "having",
        "in",
        "index",
        "inner",
        "insert",
        "intersect",
        "into",
        "is",
        "join",
        "key",
        "left",
        "like",
        "limit",
        "natural",
        "not",
        "null",
        "offset",
        "on",
        "or",
        "order",
        "outer",
        "primary",
        "references",
        "right",
        "row",
        "rows",
        "schema",
        "select",
        "set",
        "table",
        "then",
        "to",
        "true",
        "union",
        "unique",
        "update",
        "user",
        "using",
        "values",
        "view",
        "when",
        "where",
        "window",
        "with",
    )
)


def safe_sql_name(title: str, fallback: str = "column") -> str:
    """A safe SQL identifier for a column title (see module doc); never empty."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    name = _NON_WORD.sub("_", folded.lower()).strip("_")
    if not name:
        name = _NON_WORD.sub("_", fallback.lower()).strip("_") or "column"
    if name[0].isdigit():
        name = f"c_{name}"
    name = name[:MAX_BASE].rstrip("_")
    return f"{name}_" if name in RESERVED else name


class NameAllocator:
    """Hands out names that no other column of the table holds."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken: set[str] = set(taken)

    def claim(self, names: Iterable[str]) -> None:
        self.taken.update(names)

    def free(self, names: Iterable[str]) -> bool:
        return not any(name in self.taken for name in names)

    def allocate(self, base: str, suffixes: Iterable[str]) -> str:
        """The first of base, base_2, base_3... whose derived names are all free (then taken)."""
        parts = list(suffixes)
        candidate, n = base, 1
        while not self.free(derived(candidate, parts)):
            n += 1
            candidate = f"{base[: MAX_BASE - len(str(n)) - 1]}_{n}"
        self.claim(derived(candidate, parts))
        return candidate


def derived(base: str, parts: Iterable[str]) -> list[str]:
    """The SQL names of a column's parts: '' is the base itself, others are base_<part>
    (a reserved word's trailing _ is not doubled: when_ -> when_from)."""
    return [f"{base.rstrip('_')}_{part}" if part else base for part in parts]
