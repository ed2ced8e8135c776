"""The registry's seams: the log its state is read from and written to, and the compatibility checker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from registry.records import Record

Checker = Callable[[Any, Sequence[Any], str], list[str]]
"""``checker(new_schema, existing_schemas_oldest_first, level) -> reasons`` (empty: compatible).
Schemas are parsed JSON; ``level`` is a name from :data:`registry.model.LEVELS`."""


class Log(Protocol):
    """An ordered, durable sequence of :class:`Record` (the compacted schemas topic, or a fake in memory)."""

    def start(self, apply: Callable[[Record], None]) -> None:
        """Pass every record already in the log to ``apply``, then keep passing new ones as they arrive."""

    def sync(self) -> None:
        """Return once every record committed before this call has been applied.

        Raises :class:`registry.errors.StoreTimeout` or :class:`registry.errors.StoreError`."""

    def acquire(self) -> None:
        """Become the log's only writer, fencing any earlier one. Call before ``sync`` and planning a write."""

    def append(self, records: Sequence[Record]) -> None:
        """Append ``records`` atomically and return once they have been applied locally.

        Raises :class:`registry.errors.WriterFenced` if another writer acquired the log since our
        ``acquire`` (nothing was written: re-acquire, re-sync, re-plan), or ``StoreError``/``StoreTimeout``."""

    def close(self) -> None:
        """Stop reading and release the writer role."""
