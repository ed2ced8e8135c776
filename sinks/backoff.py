"""Retry timing for a ClickHouse target that is down or slow (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``first`` seconds, doubling, at most ``ceiling`` seconds."""

    first: float = 0.5
    ceiling: float = 10.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return min(self.ceiling, self.first * (2 ** max(0, attempt - 1)))
