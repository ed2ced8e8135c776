"""The golden merge over a whole simulated run equals the simulator's manifest, attribute by attribute."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest

from hub.catalogue import load_catalogue
from producers.simulator import Change, Manifest, MinistriesSimulator, build_manifest
from streams.golden import Provenance, SourceEvent
from streams.golden.codec import (decode_contribution, decode_golden, decode_source_state, encode_contribution,
                                  encode_golden, encode_source_state)
from streams.golden.fold import Folded, fold
from streams.golden.rules import COPIED, REGISTERS
from streams.rules.records import clean_record

CATALOGUE = load_catalogue()
COUNT = 20_000


def accepted(changes: Iterable[Change], manifest: Manifest) -> list[tuple[Change, dict[str, Any] | None]]:
    """The events the clean topics hold, in delivery order, with their cleaned records: every change but the
    extra deliveries of an event id and the rejected ones."""
    seen: set[str] = set()
    found = []
    for change in changes:
        if change.event_id in seen or change.event_id in manifest.datasets[change.dataset].rejected:
            continue
        seen.add(change.event_id)
        record = clean_record(change.dataset, change.record).record if change.record is not None else None
        found.append((change, record))
    return found


def source_event(change: Change, record: dict[str, Any] | None) -> SourceEvent:
    return SourceEvent(change.dataset, change.key, change.event_id, change.event_time, change.source_position,
                       record)


@pytest.fixture(scope="module")
def changes() -> list[Change]:
    return list(MinistriesSimulator(seed=5, dirt=0.1).changes(COUNT))


@pytest.fixture(scope="module")
def manifest(changes: list[Change]) -> Manifest:
    return build_manifest(changes, CATALOGUE)


@pytest.fixture(scope="module")
def events(changes: list[Change], manifest: Manifest) -> list[SourceEvent]:
    return [source_event(c, r) for c, r in accepted(changes, manifest)]


@pytest.fixture(scope="module")
def folded(events: list[SourceEvent]) -> Folded:
    return fold(events)


def values(folded: Folded, entity: str) -> dict[str, dict[str, Any]]:
    return {key: record.values() for key, record in folded.records(entity).items()}


@pytest.mark.parametrize("entity", ["citizen", "enterprise"])
def test_the_folded_events_give_the_manifest_golden_records(folded: Folded, manifest: Manifest, entity: str) -> None:
    assert values(folded, entity) == manifest.golden[entity]


def test_the_run_exercises_every_rule(manifest: Manifest, events: list[SourceEvent]) -> None:
    citizens = manifest.golden["citizen"].values()
    assert {g["marital_status"] for g in citizens} == {None, "MARRIED", "DIVORCED", "WIDOWED"}
    assert {g["date_of_death"] is None for g in citizens} == {True, False}
    assert {bool(g["land_holdings"]) for g in manifest.golden["enterprise"].values()} == {True, False}
    assert {(e.dataset, e.record is None) for e in events} == {(d.name, deleted) for d in CATALOGUE
                                                                for deleted in (True, False)}


def test_copied_attributes_carry_the_current_event_of_their_record(changes: list[Change], folded: Folded,
                                                                     manifest: Manifest) -> None:
    ids = {(c.dataset, c.key, (c.event_time, c.source_position)): c.event_id for c in changes}
    for entity, register in REGISTERS.items():
        truth = manifest.datasets[register]
        names = [a for copied in COPIED if copied.dataset == register for a in copied.fields]
        expected = {key: {a: Provenance(register, ids[(register, key, version)], version[0]) for a in names}
                    for key, version in truth.versions.items()}
        got = {key: {a: p for a, p in record.provenance().items() if a in names}
               for key, record in folded.records(entity).items()}
        assert got == expected


def test_delivering_every_event_twice_changes_nothing(events: list[SourceEvent], folded: Folded) -> None:
    twice = fold([*events, *events])
    assert (twice.golden, twice.sources, twice.changes) == (folded.golden, folded.sources, folded.changes)


def test_the_order_between_datasets_does_not_matter(events: list[SourceEvent], folded: Folded) -> None:
    by_dataset = sorted(events, key=lambda e: e.dataset, reverse=True)  # stable: each dataset keeps its order
    regrouped = fold(by_dataset)
    assert [regrouped.records(e) for e in ("citizen", "enterprise")] == \
        [folded.records(e) for e in ("citizen", "enterprise")]


def test_states_and_contributions_survive_their_bytes(folded: Folded) -> None:
    sources = dict(folded.sources)
    assert {k: decode_source_state(encode_source_state(s)) for k, s in sources.items()} == sources
    assert {k: decode_golden(encode_golden(g)) for k, g in folded.golden.items()} == folded.golden
    slots = [c for g in folded.golden.values() for c in (*g.slots, *g.relays)]
    assert [decode_contribution(encode_contribution(c)) for c in slots] == slots
    encoded = {k: encode_golden(g) for k, g in folded.golden.items()}
    assert {k: encode_golden(decode_golden(b)) for k, b in encoded.items()} == encoded  # decoded, then kept


def test_states_written_by_the_standard_library_encoder_still_decode(folded: Folded) -> None:
    """States and contributions kept in tables and changelogs before orjson wrote them (``json.dumps`` with
    escaped non-ASCII and spaces) decode to the same values."""
    def older(data: bytes) -> bytes:
        return json.dumps(json.loads(data)).encode()

    some = dict(list(folded.golden.items())[:200])
    assert {k: decode_golden(older(encode_golden(g))) for k, g in some.items()} == some
    sources = dict(list(folded.sources.items())[:200])
    assert {k: decode_source_state(older(encode_source_state(s))) for k, s in sources.items()} == sources
    assert any(b"\\u" in older(encode_golden(g)) for g in some.values())  # Vietnamese names, escaped
    assert {k: encode_golden(decode_golden(older(encode_golden(g)))) for k, g in some.items()} == \
        {k: encode_golden(g) for k, g in some.items()}  # re-encoded as orjson writes them
