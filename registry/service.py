"""The registry: its state, kept current from the log, and the single-writer protocol for changes.

Reads run a pure query against the in-memory state. A query that finds nothing (an unknown id, subject
or version) first waits until this instance has read the log to its end and then asks again, so a client
never gets a 404 for something another instance has already acknowledged.

Writes follow one protocol, whichever process runs it (see :mod:`registry.log` for how the Kafka log
enforces it)::

    acquire the log (fences any other writer)  ->  read the log to its end  ->  plan (pure)
    ->  append the plan's records atomically  ->  read them back  ->  answer

If another writer acquired the log in between, the append fails without writing anything and the whole
sequence is retried on the newer state, so ids and versions are always assigned from the latest state.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from registry.base import Checker, Log
from registry.commands import Plan
from registry.errors import (
    StoreError,
    SubjectConfigNotSet,
    SubjectModeNotSet,
    SubjectNotFound,
    UnknownLeader,
    UnknownSchema,
    VersionNotFound,
    WriterFenced,
)
from registry.records import Record
from registry.state import RegistryState

T = TypeVar("T")
_NOT_FOUND = (SubjectNotFound, VersionNotFound, UnknownSchema, SubjectConfigNotSet, SubjectModeNotSet)
_WRITE_ATTEMPTS = 5
log = logging.getLogger(__name__)


class Registry:
    """State + log. ``leader=False`` instances serve reads only (``write`` raises :class:`UnknownLeader`)."""

    def __init__(self, log: Log, checker: Checker, leader: bool = True) -> None:
        self.log = log
        self.checker = checker
        self.leader = leader
        self._state = RegistryState()
        self._state_lock = threading.RLock()
        self._write_lock = threading.Lock()

    def start(self) -> Registry:
        """Read the whole log (the state is complete when this returns), then follow it."""
        self.log.start(self._apply)
        self.log.sync()
        return self

    def close(self) -> None:
        self.log.close()

    def _apply(self, record: Record) -> None:
        with self._state_lock:
            self._state.apply(record)

    def read(self, query: Callable[[RegistryState], T]) -> T:
        """Answer ``query``; a not-found answer is only given after catching up with the log."""
        try:
            with self._state_lock:
                return query(self._state)
        except _NOT_FOUND:
            self.log.sync()
        with self._state_lock:
            return query(self._state)

    def write(self, command: Callable[[RegistryState], Plan]) -> Any:
        """Plan ``command`` on the latest state and append its records as the single writer."""
        if not self.leader:
            raise UnknownLeader()
        with self._write_lock:
            for attempt in range(_WRITE_ATTEMPTS):
                if attempt:  # writers starting together take the role from each other: let one finish first
                    time.sleep(random.uniform(0.05, 0.2) * 2 ** attempt)
                self.log.acquire()
                self.log.sync()
                with self._state_lock:
                    plan = command(self._state)
                if not plan.records:
                    return plan.result
                try:
                    self.log.append(plan.records)
                except WriterFenced as exc:
                    log.info("writing again after reading the log (attempt %d of %d): %s", attempt + 2,
                             _WRITE_ATTEMPTS, exc)
                    continue
                with self._state_lock:
                    if plan.expect is not None and not plan.expect(self._state):
                        raise StoreError("the write was overridden by a record from another writer; retry")
                return plan.result
        raise StoreError(f"another writer took over the log {_WRITE_ATTEMPTS} times during this write; retry")

    def snapshot(self) -> dict[str, object]:
        with self._state_lock:
            return self._state.snapshot()
