"""The sink's contract: where decoded batches go."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sinks.dead_letters import DeadLetter
from sinks.encoded import EncodedRun
from sinks.rows import Located
from sinks.targets import Target


class BatchWriter(Protocol):
    def ensure_tables(self) -> None:
        """Create the tables of every target (:func:`sinks.targets.all_targets`) if missing."""

    def write(self, table: Target, events: Sequence[Located] | EncodedRun, token: str,
              writer_schemas: Sequence[dict[str, Any]] = ()) -> None:
        """Insert ``events`` atomically; a second call with the same ``token`` inserts nothing.
        ``writer_schemas`` are the schemas the values were written with (schema evolution)."""

    def write_dead_letters(self, letters: Sequence[DeadLetter], token: str) -> None:
        """Insert dead letters atomically, once per ``token``."""

    def max_offsets(self, table: Target, topic: str) -> dict[int, int]:
        """Highest offset already stored per partition of ``topic``."""
