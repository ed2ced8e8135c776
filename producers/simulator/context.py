"""The generator's state shared by the actions: seeded randomness, clock, world, identifiers, emissions."""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

from hub.admin_units import Ward, current_wards, legacy_provinces
from streams.rules import identifiers
from producers.simulator.pools import Pools
from streams.rules.dates import VIETNAM_TIME, local_date
from producers.simulator.world import Address, World

T = TypeVar("T")
DEFAULT_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
LANDLINE_AREAS = ("24", "28", "236", "225", "251", "274", "292", "263", "254", "220")


@dataclass(slots=True)
class Emission:
    """A clean change as the source meant it; dirt is applied when it is delivered."""

    dataset: str
    op: str
    key: str
    record: dict[str, Any] | None
    event_time: datetime
    position: int
    event_id: str


class Context:
    """Seeded state of one simulation. Not thread-safe; one per simulator."""

    def __init__(self, seed: int, start: datetime, tick_ms: tuple[int, int], pools: Pools,
                 datasets: frozenset[str]) -> None:
        self.rng = random.Random(seed)
        self.pools = pools
        self.datasets = datasets
        self.world = World()
        self.wards: tuple[Ward, ...] = current_wards()
        self.origins = legacy_provinces()
        self.clock = start
        self.today: date = local_date(start)
        self._tick_ms = tick_ms
        self.step = 0
        self.emitted: list[Emission] = []
        self._positions: dict[str, int] = {}
        self._followups: list[tuple[int, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._sequence = 0

    # --- time, ids, emissions ----------------------------------------------------------------------
    def begin_step(self) -> None:
        self.step += 1
        self.today = local_date(self.clock)

    def tick(self) -> datetime:
        low, high = self._tick_ms
        self.clock += timedelta(milliseconds=low + int(self.rng.random() * (high - low + 1)))
        return self.clock

    def event_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def next_position(self, dataset: str) -> int:
        self._positions[dataset] = position = self._positions.get(dataset, 0) + 1
        return position

    def emit(self, dataset: str, op: str, key: str, record: dict[str, Any] | None) -> Emission:
        emission = Emission(dataset, op, key, record, self.tick(), self.next_position(dataset), self.event_id())
        self.emitted.append(emission)
        return emission

    def later(self, steps: int, action: Callable[..., Any], *args: Any) -> None:
        """Run ``action(ctx, *args)`` at the start of the step ``steps`` from now."""
        self._sequence += 1
        heapq.heappush(self._followups, (self.step + max(1, steps), self._sequence, action, args))

    def due_followups(self) -> list[tuple[Callable[..., Any], tuple[Any, ...]]]:
        due = []
        while self._followups and self._followups[0][0] <= self.step:
            _, _, action, args = heapq.heappop(self._followups)
            due.append((action, args))
        return due

    # --- random values ------------------------------------------------------------------------------
    def below(self, n: int) -> int:
        return int(self.rng.random() * n)

    def between(self, low: int, high: int) -> int:
        """A whole number in [low, high]."""
        return low + int(self.rng.random() * (high - low + 1))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, values: Sequence[T]) -> T:
        return values[int(self.rng.random() * len(values))]

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.between(low, high))

    def instant_on(self, day: date) -> datetime:
        """A moment of ``day`` (Vietnam time) to the millisecond, as UTC, not after the clock."""
        local = datetime(day.year, day.month, day.day, tzinfo=VIETNAM_TIME)
        moment = (local + timedelta(milliseconds=self.below(86_400_000))).astimezone(timezone.utc)
        return min(moment, self.clock.replace(microsecond=self.clock.microsecond // 1000 * 1000))

    def address(self, ward: Ward | None = None) -> Address:
        ward = ward or self.pick(self.wards)
        return Address(self.pick(self.pools.streets), ward.ward_code, ward.province_code)

    def mobile(self) -> str:
        return self.pick(identifiers.MOBILE_PREFIXES) + f"{self.below(10_000_000):07d}"

    def landline(self) -> str:
        area = self.pick(LANDLINE_AREAS)
        return f"0{area}{self.below(10 ** (10 - len(area))):0{10 - len(area)}d}"

    def money(self, low: int, high: int, step: int) -> Decimal:
        return Decimal(self.between(low // step, high // step) * step)

    # --- identifiers --------------------------------------------------------------------------------
    def fresh(self, make: Callable[[], str | None]) -> str:
        while True:
            value = make()
            if value is not None and value not in self.world.issued:
                self.world.issued.add(value)
                return value

    def new_cccd(self, province_code: str, female: bool, birth: date) -> str:
        return self.fresh(lambda: identifiers.cccd(province_code, female, birth, self.below(1_000_000)))

    def new_mst(self) -> str:
        return self.fresh(lambda: identifiers.mst(f"{self.between(1, 64):02d}{self.below(10_000_000):07d}"))

    def new_si_code(self, province_code: str) -> str:
        return self.fresh(lambda: f"{province_code}{self.below(100_000_000):08d}")

    def new_id(self, prefix: str) -> str:
        return self.fresh(lambda: f"{prefix}{self.today.year}{self.below(10_000_000):07d}")
