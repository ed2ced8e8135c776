"""The sliding windows of offset observations, kept in SQLite under ``HUB_DATA_DIR/monitor/lag.sqlite3``.

Both the monitor service (every ``HUB_MONITOR_SAMPLE_INTERVAL_S``) and a one-shot ``hub lag`` append their
samples here, so a ``hub lag`` run while the service is up judges the service's history plus its own fresh
sample. Observations older than :data:`RETENTION_MS` are dropped on every write; a window only uses
observations younger than ``max_age_ms`` so that a long gap (the service was down) does not join distant
samples into one window.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from monitor.errors import StoreError
from monitor.evaluator import Observation
from monitor.offsets import PartitionSample

RETENTION_MS = 3_600_000
Key = tuple[str, str, int]  # group, topic, partition

_SCHEMA = """
CREATE TABLE IF NOT EXISTS observation (
  grp TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, at_ms INTEGER NOT NULL,
  committed INTEGER NOT NULL, log_end INTEGER NOT NULL, owned INTEGER NOT NULL,
  PRIMARY KEY (grp, topic, part, at_ms)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS observation_at ON observation (at_ms);
"""


class ObservationStore:
    """Thread-safe; several processes may share the file (SQLite locking, WAL journal)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(self.path, str(exc)) from exc

    def append(self, at_ms: int, samples: Iterable[PartitionSample]) -> None:
        rows = [(s.group, s.topic, s.partition, at_ms, s.position, s.log_end, int(s.owner is not None))
                for s in samples]
        with self._lock:
            try:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO observation VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                    self._db.execute("DELETE FROM observation WHERE at_ms < ?", (at_ms - RETENTION_MS,))
            except sqlite3.Error as exc:
                raise StoreError(self.path, f"cannot write observations: {exc}") from exc

    def windows(self, size: int, since_ms: int) -> dict[Key, list[Observation]]:
        """The last ``size`` observations (oldest first) of every partition, none older than ``since_ms``."""
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT grp, topic, part, at_ms, committed, log_end, owned FROM ("
                    " SELECT *, row_number() OVER (PARTITION BY grp, topic, part ORDER BY at_ms DESC) AS n"
                    " FROM observation WHERE at_ms >= ?) WHERE n <= ? ORDER BY grp, topic, part, at_ms",
                    (since_ms, size)).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(self.path, f"cannot read observations: {exc}") from exc
        out: dict[Key, list[Observation]] = {}
        for grp, topic, part, at_ms, committed, log_end, owned in rows:
            out.setdefault((grp, topic, part), []).append(
                Observation(at_ms, committed, max(0, log_end - committed), bool(owned)))
        return out

    def latest_at_ms(self) -> int | None:
        """When the newest observation was taken, or None if there is none."""
        with self._lock:
            try:
                row = self._db.execute("SELECT max(at_ms) FROM observation").fetchone()
            except sqlite3.Error as exc:
                raise StoreError(self.path, f"cannot read observations: {exc}") from exc
        return int(row[0]) if row and row[0] is not None else None

    def close(self) -> None:
        with self._lock:
            self._db.close()
