"""Replace a table with rows that arrive in parts: ``Database.replacing_table``.

A workflow that reads a large source page by page (a Monday board) can hand each part to the
database as soon as it is ready, so the server loads part *n* while the workflow reads part
*n + 1*::

    with db.replacing_table("monday_board_1", schema) as writer:
        for frame in parts:
            writer.write(frame)
        rows = writer.commit()

Readers see the old table or the new one, never a half: on PostgreSQL (with pyarrow and pgpq,
see shared.db_copy_arrow) the parts stream through one binary COPY into a fresh table inside
one transaction, swapped in by renames at ``commit``. Every other case (other backends, column
types without an Arrow twin, a part that cannot be encoded) keeps the parts and loads them
with ``replace_table_atomically`` at ``commit``.

Nothing is lost: the writer keeps the parts it was given. When the streamed load fails (a
killed connection, a duplicate key, a lost COMMIT answer), it is rolled back and the parts
are loaded again with ``replace_table_atomically`` (retries, duplicate keys: last row wins,
ambiguous commits settled). A replace is idempotent, so loading the same parts again after a
commit whose answer was lost leaves the same table. Leaving the ``with`` block without
``commit`` (an exception while reading) rolls back: the target is as it was.
"""

from __future__ import annotations

import logging
import queue
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import pandas as pd

from shared import db_copy_arrow
from shared.db_helper import (
    _CHUNK_ROWS,
    Database,
    TableSchema,
    _convert,
    _driver,
    _pg_create_fresh,
    _pg_swap,
    _PgAttempt,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

log = logging.getLogger(__name__)
SENDER_QUEUE = 4  # record batches (of db_copy_arrow.BATCH_ROWS rows) waiting for the sender


class TableWriter:
    """Parts in, one atomic replace out (module doc)."""

    def __init__(self, db: Database, table: str, schema: TableSchema) -> None:
        self.db, self.table, self.schema = db, table, schema
        self.parts: list[pd.DataFrame] = []
        self.rows = 0
        self.streamed = False  # whether the last commit went through the streamed COPY
        self._stream: _PgStream | None = None
        self._streaming = db.dialect == "postgresql"
        self._done = False

    def write(self, frame: pd.DataFrame) -> None:
        """Add a part (same columns every time); on PostgreSQL it is sent at once."""
        if self._done:
            raise RuntimeError(f"{self.table}: write() after commit() or abort()")
        self.parts.append(frame)
        self.rows += len(frame)
        if not self._streaming:
            return
        try:
            if self._stream is None:
                self._stream = _PgStream.open(self.db, self.table, self.schema, frame)
            if self._stream is None or not self._stream.send(frame):
                self._stop_streaming("a part the Arrow encoder cannot take")
        except Exception as exc:  # noqa: BLE001 - any failure: the parts load again at commit
            self._stop_streaming(f"{type(exc).__name__}: {exc}")

    def restart(self) -> None:
        """Forget every part written (the source is being read again from its start)."""
        if self._done:
            raise RuntimeError(f"{self.table}: restart() after commit() or abort()")
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self.parts, self.rows = [], 0
        self._streaming = self.db.dialect == "postgresql"

    def commit(self) -> int:
        """Swap the new table in (or load the kept parts); returns the rows loaded."""
        if self._done:
            raise RuntimeError(f"{self.table}: commit() twice or after abort()")
        self._done = True
        if self._stream is not None:
            try:
                self._stream.commit()
            except Exception as exc:  # noqa: BLE001 - settled here, else loaded again below
                if self._stream.committed_anyway():
                    log.warning("%s: the COMMIT's answer was lost; it took effect", self.table)
                    self.streamed = True
                    self._stream = None
                    return self.rows
                self._stop_streaming(f"commit failed ({type(exc).__name__}: {exc})")
            else:
                self.streamed = True
                log.info("%s: replaced with %d row(s) (streamed)", self.table, self.rows)
                return self.rows
        frame = pd.concat(self.parts, ignore_index=True) if self.parts else None
        if frame is None:
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in self.schema.columns})
        return self.db.replace_table_atomically(frame, self.table, schema=self.schema)

    def abort(self) -> None:
        """Drop what was sent: the target stays as it was."""
        self._done = True
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _stop_streaming(self, why: str) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self._streaming:
            log.warning(
                "%s: streamed load stopped (%s); loading the parts at commit", self.table, why
            )
        self._streaming = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._done or exc_type is not None:
            self.abort()


class _PgStream:
    """One transaction: CREATE the fresh table, COPY every part into it, swap it in.

    Parts are converted to Arrow record batches by the caller's thread; a sender thread encodes
    them and writes them to the COPY (waiting on the socket with the GIL released), so the
    caller prepares the next part while the server stores this one. At most SENDER_QUEUE
    record batches wait; a failure in the sender is raised by the next send() or commit().
    """

    def __init__(self, db: Database, table: str, schema: TableSchema, batch: Any) -> None:
        self.db, self.table, self.schema = db, table, schema
        self.encoder: Any = None
        self.attempt = _PgAttempt()  # to tell, if the COMMIT's answer is lost, what happened
        self.fresh = ""
        self.columns = list(batch.columns)
        self.conn: sa.Connection = db.engine.connect()
        self.trans = self.conn.begin()
        self._copy_cm: Any = None
        self.copy: Any = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=SENDER_QUEUE)
        self.sent_commit = False
        self._sender: threading.Thread | None = None
        self._failure: BaseException | None = None

    @classmethod
    def open(
        cls, db: Database, table: str, schema: TableSchema, first: pd.DataFrame
    ) -> _PgStream | None:
        """A stream for parts like ``first``; None when they cannot be encoded from Arrow."""
        db._check_frame(first, table, list(schema.primary_key))
        batch = db._batch(first, table, {}, schema)
        encoder = db_copy_arrow.CopyEncoder.for_batch(batch)
        if encoder is None:
            return None
        stream = cls(db, table, schema, batch)
        stream.encoder = encoder
        q = db.quote
        try:
            stream.attempt.track(stream.conn)
            stream.fresh = _pg_create_fresh(db, stream.conn, table, schema)
            columns = ", ".join(map(q, stream.columns))
            sql = f"COPY {q(stream.fresh)} ({columns}) FROM STDIN (FORMAT BINARY)"
            stream._copy_cm = _driver(stream.conn).cursor().copy(sql)
            stream.copy = stream._copy_cm.__enter__()
            stream.copy.write(encoder.header())
        except BaseException:
            stream.close()
            raise
        stream._sender = threading.Thread(target=stream._send_loop, name=f"copy-{table}")
        stream._sender.start()
        return stream

    def _send_loop(self) -> None:
        """Sender thread: encode and write record batches until the end marker (None)."""
        while (record := self._queue.get()) is not None:
            if self._failure is not None:
                continue  # drain: the caller stops at its next send() or commit()
            try:
                self.copy.write(self.encoder.encode_record(record))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                self._failure = exc

    def _stop_sender(self) -> None:
        if self._sender is not None:
            self._queue.put(None)
            self._sender.join()
            self._sender = None

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def send(self, frame: pd.DataFrame) -> bool:
        """COPY one part; False (nothing sent) when it cannot be encoded like the first."""
        if list(frame.columns) != self.columns:
            return False
        self.db._check_frame(frame, self.table, list(self.schema.primary_key))
        batch = self.db._batch(frame, self.table, {}, self.schema)
        if not self.encoder.fits(batch):
            return False
        for record in self.encoder.records(batch, _convert, _CHUNK_ROWS):
            self._raise_failure()
            self._queue.put(record)
        self._raise_failure()
        return True

    def commit(self) -> None:
        """End the COPY, swap the fresh table in, COMMIT."""
        self._stop_sender()
        self._raise_failure()
        self.copy.write(self.encoder.finish())
        copy_cm, self._copy_cm, self.copy = self._copy_cm, None, None
        copy_cm.__exit__(None, None, None)  # the server checks every row here
        self.db._step("copy_written", self.conn)
        _pg_swap(self.db, self.conn, self.table, self.fresh)
        self.db._step("before_commit", self.conn)
        self.sent_commit = True  # from here on, a failure may have committed all the same
        self.trans.commit()
        self.conn.close()

    def committed_anyway(self) -> bool:
        """After a failed commit: whether the transaction committed all the same (asked only
        when the COMMIT was sent: a failure before it cannot have committed)."""
        if not self.sent_commit:
            return False
        try:
            return self.attempt.committed(self.db)
        except Exception as exc:  # noqa: BLE001 - unknown: the parts are loaded again
            log.warning("%s: could not tell whether the commit took effect: %s", self.table, exc)
            return False

    def close(self) -> None:
        """Roll back and release the connection (safe to call twice)."""
        for undo in (self._stop_sender, self._end_copy, self.trans.rollback, self.conn.close):
            try:
                undo()
            except Exception as exc:  # noqa: BLE001 - undoing on a broken connection
                log.debug("%s: undoing the streamed load: %s", self.table, exc)

    def _end_copy(self) -> None:
        if self._copy_cm is not None:
            copy_cm, self._copy_cm, self.copy = self._copy_cm, None, None
            failure = RuntimeError("streamed load abandoned")
            copy_cm.__exit__(RuntimeError, failure, None)  # sends CopyFail: nothing is kept
