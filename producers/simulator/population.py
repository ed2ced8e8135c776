"""The population-only simulator kept for the demo and the pipeline tests: clean creates and updates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from producers.simulator.change import Change
from producers.simulator.generator import MinistriesSimulator


class PopulationSimulator:
    """Citizens (op ``c``) and later updates of some of them (op ``u``: a move, a new phone, a corrected
    place of origin), without dirt; ``update_ratio`` is the share of updates once there are citizens."""

    def __init__(self, seed: int, start: datetime | None = None, update_ratio: float = 0.2) -> None:
        if not 0.0 <= update_ratio < 1.0:
            raise ValueError(f"update_ratio must be in [0, 1), not {update_ratio}")
        self._simulator = MinistriesSimulator(
            seed, dirt=0.0, start=start, datasets=("population.citizen",),
            weights={"citizen_create": 1.0 - update_ratio, "citizen_update": update_ratio, "citizen_mistake": 0.0},
            tick_ms=(1, 50))

    def changes(self, count: int) -> Iterator[Change]:
        """The next ``count`` changes (successive calls continue the same stream)."""
        return self._simulator.changes(count)
