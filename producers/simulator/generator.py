"""The simulator of the ministries: one seeded world, five change streams, a chosen share of dirt.

Each step of the simulation runs the follow-ups that are due, then one action on the world (a new citizen,
a marriage, a land transfer…), or, with the dirt probability, one dirty step: a fixable dirt applied to an
action's change, a delivery fault (a duplicate, a pair of updates delivered out of order, an update held back
and delivered late) or an event the hub must reject. Everything random comes from one ``random.Random(seed)``
and Faker pools seeded with the same seed, so the same arguments give the same stream, byte for byte.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from producers.simulator import bad_events, business, civil, people
from producers.simulator.change import Change
from producers.simulator.context import DEFAULT_START, Context, Emission
from producers.simulator.dirt import (DELIVERY, DUPLICATE, FIXABLE, FIXABLE_DATASETS, KINDS, LATE, OUT_OF_ORDER,
                                      REJECTED, make_dirty)
from producers.simulator.pools import build_pools

DATASETS = ("population.citizen", "enterprise.registration", "social_insurance.participant",
            "civil_status.event", "land.parcel")

Action = Callable[[Context], "str | None"]
Update = Callable[[Context, "str | None"], "str | None"]

ACTIONS: dict[str, tuple[Action, tuple[str, ...], float]] = {
    # name: (action, datasets it needs, default weight)
    "citizen_create": (people.citizen_create, ("population.citizen",), 20),
    "citizen_update": (people.citizen_update, ("population.citizen",), 8),
    "citizen_mistake": (people.citizen_mistake, ("population.citizen",), 0.3),
    "enterprise_create": (business.enterprise_create, ("enterprise.registration",), 3),
    "enterprise_update": (business.enterprise_update, ("enterprise.registration",), 4),
    "enterprise_mistake": (business.enterprise_mistake, ("enterprise.registration",), 0.2),
    "insurance_update": (people.insurance_update, ("social_insurance.participant",), 6),
    "insurance_mistake": (people.insurance_mistake, ("social_insurance.participant",), 0.3),
    "birth": (civil.birth, ("civil_status.event",), 2),
    "death": (civil.death, ("civil_status.event",), 1.5),
    "marriage": (civil.marriage, ("civil_status.event",), 1.5),
    "divorce": (civil.divorce, ("civil_status.event",), 0.5),
    "civil_correction": (civil.civil_correction, ("civil_status.event",), 0.5),
    "civil_mistake": (civil.civil_mistake, ("civil_status.event",), 0.3),
    "parcel_create": (business.parcel_create, ("land.parcel",), 5),
    "parcel_update": (business.parcel_update, ("land.parcel",), 3),
    "parcel_split": (business.parcel_split, ("land.parcel",), 0.4),
}
UPDATES: dict[str, Update] = {
    "population.citizen": people.citizen_update, "enterprise.registration": business.enterprise_update,
    "social_insurance.participant": people.insurance_update, "civil_status.event": civil.civil_correction,
    "land.parcel": business.parcel_update,
}
"""Per dataset, an update that can be repeated on the same target (for out-of-order and late delivery)."""
HOSTS: dict[str, tuple[str, ...]] = {
    "population.citizen": ("citizen_create", "citizen_update"),
    "enterprise.registration": ("enterprise_create", "enterprise_update"),
    "social_insurance.participant": ("insurance_update",),
    "civil_status.event": ("birth", "death", "marriage"),
    "land.parcel": ("parcel_create", "parcel_update"),
}
"""Per dataset, the actions whose first change of that dataset can carry a fixable dirt."""


class MinistriesSimulator:
    """Reproducible change streams of the five datasets, with ``dirt`` the share of dirty events.

    ``datasets`` narrows the simulation (``population.citizen`` is always needed: everyone else refers to
    citizens); ``weights`` overrides the weights of :data:`ACTIONS`; ``tick_ms`` bounds the event-time step.
    Raises ValueError for a dirt share outside [0, 1] or an unknown dataset or action.
    """

    def __init__(self, seed: int, dirt: float = 0.05, start: datetime | None = None,
                 datasets: Iterable[str] = DATASETS, weights: Mapping[str, float] | None = None,
                 tick_ms: tuple[int, int] = (1, 6000)) -> None:
        if not 0.0 <= dirt <= 1.0:
            raise ValueError(f"dirt must be a share between 0 and 1, not {dirt}")
        enabled = frozenset(datasets)
        if not enabled <= set(DATASETS) or "population.citizen" not in enabled:
            raise ValueError(f"datasets must include population.citizen and be among {', '.join(DATASETS)}")
        unknown = sorted(set(weights or {}) - set(ACTIONS))
        if unknown:
            raise ValueError(f"unknown actions {unknown}; known: {', '.join(ACTIONS)}")
        start = (start or DEFAULT_START).astimezone(timezone.utc)
        start = start.replace(microsecond=start.microsecond // 1000 * 1000)  # the wire keeps milliseconds
        self._ctx = Context(seed, start, tick_ms, build_pools(seed), enabled)
        self._dirt = dirt
        chosen = {name: (weights or {}).get(name, default) for name, (_, _, default) in ACTIONS.items()}
        self._actions = [(name, ACTIONS[name][0]) for name, w in chosen.items()
                         if w > 0 and set(ACTIONS[name][1]) <= enabled]
        self._cumulative = list(itertools.accumulate(chosen[name] for name, _ in self._actions))
        self._kinds = [k for k in KINDS if k not in FIXABLE or enabled & set(FIXABLE_DATASETS[k])]
        self._ready: deque[tuple[Change, dict[str, Any] | None]] = deque()
        self._held: list[tuple[int, int, Change, dict[str, Any] | None]] = []
        self._sequence = itertools.count()
        self._delivered = 0
        self._stream = self._run()

    def changes(self, count: int) -> Iterator[Change]:
        """The next ``count`` changes (successive calls continue the same stream)."""
        return (change for change, _ in itertools.islice(self._stream, count))

    def changes_with_truth(self, count: int) -> Iterator[tuple[Change, dict[str, Any] | None]]:
        """Like :meth:`changes`, each with the clean record the source meant (None for deletes)."""
        return itertools.islice(self._stream, count)

    # --- the loop -----------------------------------------------------------------------------------
    def _run(self) -> Iterator[tuple[Change, dict[str, Any] | None]]:
        ctx = self._ctx
        while True:
            ctx.begin_step()
            while self._held and self._held[0][0] <= ctx.step:
                _, _, change, truth = heapq.heappop(self._held)
                self._ready.append((change, truth))
            for followup, args in ctx.due_followups():
                followup(ctx, *args)
                self._deliver_emitted()
            # Scaled by changes per step so that about ``dirt`` of the changes carry dirt.
            if self._dirt and ctx.rng.random() < self._dirt * self._delivered / max(ctx.step - 1, 1):
                self._dirty_step(ctx.pick(self._kinds))
            else:
                self._clean_step()
            while self._ready:
                self._delivered += 1
                yield self._ready.popleft()

    def _act(self) -> str | None:
        r = self._ctx.rng.random() * self._cumulative[-1]
        _, action = next(a for a, c in zip(self._actions, self._cumulative) if r < c)
        return action(self._ctx)

    def _clean_step(self) -> None:
        if self._act() is None and not self._ctx.emitted:
            people.citizen_create(self._ctx)
        self._deliver_emitted()

    def _change(self, e: Emission, dirt: str | None = None, record: dict[str, Any] | None = None) -> Change:
        return Change(e.dataset, e.op, e.key, e.record if record is None else record, e.event_time,
                      dirt, e.position, e.event_id)

    def _deliver_emitted(self, chosen: Emission | None = None, dirt: str | None = None,
                         record: dict[str, Any] | None = None) -> None:
        for e in self._ctx.emitted:
            change = self._change(e, dirt, record) if e is chosen else self._change(e)
            self._ready.append((change, e.record))
        self._ctx.emitted.clear()

    def _hold(self, change: Change, truth: dict[str, Any] | None, steps: int) -> None:
        heapq.heappush(self._held, (self._ctx.step + steps, next(self._sequence), change, truth))

    def _dirty_step(self, kind: str) -> None:
        ctx = self._ctx
        if kind in REJECTED:
            bad = bad_events.MAKERS[kind](ctx)
            if bad is None:
                self._clean_step()
            else:
                self._deliver_emitted(bad, kind)
        elif kind in FIXABLE:
            self._fixable(kind)
        elif kind == DUPLICATE:
            self._clean_step()
            change, truth = self._ready[-1]
            self._hold(replace(change, dirt=DUPLICATE), truth, ctx.between(1, 200))
        else:
            assert kind in DELIVERY
            self._reordered(kind)

    def _fixable(self, kind: str) -> None:
        ctx = self._ctx
        dataset = ctx.pick([d for d in FIXABLE_DATASETS[kind] if d in ctx.datasets])
        hosts = [h for h in HOSTS[dataset] if any(h == name for name, _ in self._actions)]
        if not hosts or ACTIONS[ctx.pick(hosts)][0](ctx) is None:
            return self._clean_step()
        target = next((e for e in ctx.emitted if e.dataset == dataset and e.record is not None), None)
        dirty = make_dirty(kind, dataset, target.record, ctx.rng) if target and target.record else None
        self._deliver_emitted(target, kind if dirty is not None else None, dirty)

    def _reordered(self, kind: str) -> None:
        """Two updates of one key; the older is delivered after the newer (right after, or much later)."""
        ctx = self._ctx
        dataset = ctx.pick([d for d in UPDATES if d in ctx.datasets])
        handle = UPDATES[dataset](ctx, None)
        if handle is None:
            return self._clean_step()
        older = [(self._change(e, kind), e.record) for e in ctx.emitted]
        ctx.emitted.clear()
        if UPDATES[dataset](ctx, handle) is None:
            self._ready.extend((replace(c, dirt=None), truth) for c, truth in older)
            return self._deliver_emitted()
        self._deliver_emitted()
        for change, truth in older:
            if kind == OUT_OF_ORDER:
                self._ready.append((change, truth))
            else:
                assert kind == LATE
                self._hold(change, truth, ctx.between(100, 1000))
