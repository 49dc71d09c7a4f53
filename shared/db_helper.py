"""Database access for workflows (stub: being implemented)."""

from __future__ import annotations

import sqlalchemy as sa


class Database:
    """A database reached through one SQLAlchemy engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url)

    def dispose(self) -> None:
        self.engine.dispose()
