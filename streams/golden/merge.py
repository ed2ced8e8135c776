"""Second stage of the golden merge: contributions into golden records, with field-level survivorship (pure).

A :class:`Golden` keeps one slot per source record (:attr:`Contribution.slot`): the latest version that
record sent, live or retracted. Its published form (:func:`streams.golden.view.record_of`) follows the rules
of :mod:`streams.golden.rules`; because every slot keeps only its latest version and the published form is
a function of the slots, merging is idempotent and the order of news from different records does not matter.

Deaths cross golden records: a citizen's death widows the spouse, whose golden record holds no event about
it. So a citizen's golden record *relays* each of its deaths to the spouse it had when it died (as the civil
history it holds says), as a contribution with ``relayed_by`` set, and retracts the relay when that changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from datetime import datetime

from streams.golden.rules import CIVIL_STATUS
from streams.golden.values import Contribution, GoldenChange, GoldenRecord
from streams.golden.view import civil_of, record_of


@dataclass(frozen=True)
class Golden:
    """The merge state of one golden record (citizen by CCCD, enterprise by tax code)."""

    entity: str
    key: str
    slots: tuple[Contribution, ...] = ()
    """The latest contribution of every source record, sorted by slot."""
    revision: int = 0
    """Changes of the published record so far."""
    last_op: str = ""
    """The op of the latest change (``c``, ``u``, ``d``)."""
    relays: tuple[Contribution, ...] = ()
    """The latest relay sent to every spouse (live) or no longer sent (retracted)."""
    relay_seq: int = 0

    def record(self) -> GoldenRecord | None:
        """The published golden record; None while its register has no live record of the key."""
        return self._record

    @cached_property
    def _record(self) -> GoldenRecord | None:
        return record_of(self.entity, self.key, self.slots)

    def latest_time(self) -> datetime | None:
        return max((s.event_time for s in self.slots), default=None)

    def change(self) -> GoldenChange | None:
        """The latest change as published (None before the first)."""
        time = self.latest_time()
        if not self.revision or time is None:
            return None
        return GoldenChange(self.entity, self.key, self.revision, time, self.record(), self.last_op == "c")


@dataclass(frozen=True)
class Applied:
    golden: Golden
    change: GoldenChange | None
    """The change to publish, if the published record changed (or, on a replay, the latest one again)."""
    relays: tuple[Contribution, ...]
    """Relays to send to other golden records."""
    replayed: bool = False
    """The contribution was one the golden record already held: everything is sent again, in case it was lost."""


def merge(golden: Golden | None, contribution: Contribution) -> Golden:
    """The golden record after ``contribution``; older news than a slot holds changes nothing."""
    return apply(golden, contribution).golden


def apply(golden: Golden | None, contribution: Contribution) -> Applied:
    """:func:`merge`, with what to publish and relay because of it."""
    g = golden or Golden(contribution.entity, contribution.key)
    held = next((s for s in g.slots if s.slot == contribution.slot), None)
    if held is not None and contribution.version <= held.version:
        if held == contribution:
            return Applied(g, g.change(), g.relays, replayed=True)
        return Applied(g, None, ())
    slots = tuple(sorted((*(s for s in g.slots if s.slot != contribution.slot), contribution), key=_slot))
    before, after = g.record(), record_of(g.entity, g.key, slots)
    merged = replace(g, slots=slots)
    if before != after:
        op = "d" if after is None else "c" if before is None else "u"
        merged = replace(merged, revision=g.revision + 1, last_op=op)
    civil = g.entity == "citizen" and contribution.dataset == CIVIL_STATUS  # nothing else moves the relays
    merged, sent = _relay(merged) if civil else (merged, ())
    merged.__dict__["_record"] = after  # seeds the cache: the slots ``after`` was computed from
    return Applied(merged, merged.change() if before != after else None, sent)


def _slot(c: Contribution) -> tuple[str, str, str]:
    return c.slot


def _relay(g: Golden) -> tuple[Golden, tuple[Contribution, ...]]:
    """Bring the relays of ``g``'s deaths in line with its civil history; returns what to send."""
    history = civil_of(g.slots)
    wanted: dict[tuple[str, str], Contribution] = {}
    for s in g.slots:
        spouse = history.spouse_at_death.get(s.slot)
        if s.live and s.dataset == CIVIL_STATUS and s.relayed_by is None and s.value("event_type") == "DEATH" \
                and s.value("subject_cccd") == g.key and spouse is not None:
            wanted[(spouse, s.source_key)] = replace(s, key=spouse, relayed_by=g.key)
    held = {(r.key, r.source_key): r for r in g.relays}
    seq = g.relay_seq + 1
    sent: list[Contribution] = []
    for where, relay in wanted.items():
        old = held.get(where)
        if old is None or replace(old, position=relay.position) != relay:
            sent.append(replace(relay, position=seq))
    for where, old in held.items():
        if old.live and where not in wanted:
            sent.append(replace(old, position=seq, fields=None))
    if not sent:
        return g, ()
    held.update({(r.key, r.source_key): r for r in sent})
    return replace(g, relays=tuple(sorted(held.values(), key=lambda r: (r.key, r.source_key))), relay_seq=seq), \
        tuple(sent)
