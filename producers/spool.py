"""The producer's durable spool: events Kafka could not take yet, in SQLite (WAL), keyed by event id.

One spool belongs to one producer at a time: :meth:`Spool.open` takes an exclusive ``flock`` on a lock
file beside the database (released by the OS if the process dies) and raises :class:`SpoolLocked` if
another process holds it — two producers replaying the same spool would send events twice.

Tables::

    schemas (fingerprint PK, subject, schema JSON)      the writer schemas of spooled events
    events  (event_id PK, seq, topic, key, fingerprint, body, reason, spooled_at_ms)   replayed by seq
    dead    (event_id PK, …, reason, failed_at_ms)     refused for good by the broker; kept, never resent

An event's ``body`` is its Avro binary without the Confluent header: the producer registers (or looks
up) the schema's id at replay, so an event spooled while the registry was unreachable still goes out
framed with its own writer schema — even if the catalogue changed in between. Writes are transactions with
``synchronous=FULL``: once :meth:`add` returns, the events survive a crash of the process or the machine.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.errors import HubError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schemas (
    fingerprint TEXT PRIMARY KEY, subject TEXT NOT NULL, schema TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, topic TEXT NOT NULL, key BLOB NOT NULL,
    fingerprint TEXT NOT NULL REFERENCES schemas(fingerprint), body BLOB NOT NULL, reason TEXT NOT NULL,
    spooled_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_seq ON events(seq);
CREATE TABLE IF NOT EXISTS dead (
    event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, topic TEXT NOT NULL, key BLOB NOT NULL,
    fingerprint TEXT NOT NULL, body BLOB NOT NULL, reason TEXT NOT NULL, failed_at_ms INTEGER NOT NULL)
    WITHOUT ROWID;
"""
_COLUMNS = "event_id, seq, topic, key, fingerprint, body, reason"


class SpoolError(HubError):
    """The spool's database cannot be opened or written."""


class SpoolLocked(SpoolError):
    """Another process holds this spool."""


@dataclass(frozen=True)
class SpooledEvent:
    """One event waiting for Kafka: ``seq`` orders replay (emit order), ``body`` is Avro without header."""

    event_id: str
    seq: int
    topic: str
    key: bytes
    fingerprint: str
    body: bytes
    reason: str


@dataclass(frozen=True)
class StoredSchema:
    fingerprint: str
    subject: str
    schema: dict[str, Any]


def fingerprint(schema: dict[str, Any]) -> str:
    """A stable name for a schema inside the spool (SHA-256 of its sorted, compact JSON)."""
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class Spool:
    """Spooled events of one producer. Not thread-safe: the producer serialises calls."""

    def __init__(self, connection: sqlite3.Connection, lock_fd: int | None = None) -> None:
        self._db = connection
        self._lock_fd = lock_fd
        self._db.executescript(_SCHEMA)

    @classmethod
    def open(cls, path: Path | str) -> Spool:
        """Open (creating it if needed) the spool database at ``path``; raises :class:`SpoolLocked`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            raise SpoolLocked(f"spool {path} is in use by another process") from None
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            return cls(db, lock_fd)
        except sqlite3.Error as exc:
            os.close(lock_fd)
            raise SpoolError(f"cannot open spool {path}: {exc}") from exc

    @classmethod
    def in_memory(cls) -> Spool:
        """A spool that lives as long as the process (for producers given no spool directory)."""
        return cls(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise SpoolError(f"spool write failed: {exc}") from exc

    # -- schemas ----------------------------------------------------------------------------------
    def remember_schema(self, subject: str, schema: dict[str, Any]) -> str:
        """Keep the writer schema of events about to be spooled; returns its fingerprint."""
        fp = fingerprint(schema)
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO schemas VALUES (?, ?, ?)",
                       (fp, subject, json.dumps(schema, ensure_ascii=False)))
        return fp

    def schema(self, fp: str) -> StoredSchema | None:
        row = self._db.execute("SELECT subject, schema FROM schemas WHERE fingerprint = ?", (fp,)).fetchone()
        return None if row is None else StoredSchema(fp, row[0], json.loads(row[1]))

    # -- events -----------------------------------------------------------------------------------
    def add(self, events: Iterable[SpooledEvent]) -> int:
        """Spool ``events`` in one transaction; an event id already spooled is kept once. Returns how many
        were new."""
        now = int(time.time() * 1000)
        with self._transaction() as db:
            before = db.total_changes
            db.executemany(f"INSERT OR IGNORE INTO events ({_COLUMNS}, spooled_at_ms) VALUES (?,?,?,?,?,?,?,?)",
                           [(e.event_id, e.seq, e.topic, e.key, e.fingerprint, e.body, e.reason, now)
                            for e in events])
            return db.total_changes - before

    def oldest(self, limit: int) -> list[SpooledEvent]:
        """Up to ``limit`` spooled events in emit order."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM events ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [SpooledEvent(*row) for row in rows]

    def remove(self, event_ids: Iterable[str]) -> int:
        """Forget delivered events; returns how many were spooled."""
        with self._transaction() as db:
            before = db.total_changes
            db.executemany("DELETE FROM events WHERE event_id = ?", [(i,) for i in event_ids])
            return db.total_changes - before

    def bury(self, events: dict[str, str], spooled: Iterable[SpooledEvent] = ()) -> None:
        """Move events the broker refused for good to ``dead`` with their reasons: those spooled by id
        (``events`` maps id → reason) plus ``spooled``, failures that never were in the spool."""
        now = int(time.time() * 1000)
        with self._transaction() as db:
            for event_id, reason in events.items():
                db.execute(f"INSERT OR REPLACE INTO dead ({_COLUMNS}, failed_at_ms) "
                           f"SELECT event_id, seq, topic, key, fingerprint, body, ?, ? FROM events WHERE event_id = ?",
                           (reason, now, event_id))
                db.execute("DELETE FROM events WHERE event_id = ?", (event_id,))
            db.executemany(f"INSERT OR REPLACE INTO dead ({_COLUMNS}, failed_at_ms) VALUES (?,?,?,?,?,?,?,?)",
                           [(e.event_id, e.seq, e.topic, e.key, e.fingerprint, e.body, e.reason, now)
                            for e in spooled])

    def dead(self) -> dict[str, str]:
        """Events refused for good: id → reason."""
        return dict(self._db.execute("SELECT event_id, reason FROM dead ORDER BY seq").fetchall())

    def next_seq(self) -> int:
        """A sequence number after every spooled event's, so events emitted from now on replay after them."""
        row = self._db.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0) + 1

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

    def close(self) -> None:
        self._db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None
