"""The simulator of the ministries: reproducible, valid, consistent across datasets, dirty as labelled."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any

import pytest
from fastavro.validation import validate

from hub.catalogue import load_catalogue
from hub.errors import ValidationError
from producers.envelope import check_record
from producers.simulator import (DATASETS, DELIVERY, FIXABLE, KINDS, REJECTED, Change, Manifest, MinistriesSimulator,
                                 PopulationSimulator, build_manifest)
from streams.rules import clean_record

CATALOGUE = load_catalogue()
COUNT = 20_000
Stream = list[tuple[Change, dict[str, Any] | None]]


@pytest.fixture(scope="module")
def stream() -> Stream:
    return list(MinistriesSimulator(seed=7, dirt=0.2).changes_with_truth(COUNT))


@pytest.fixture(scope="module")
def changes(stream: Stream) -> list[Change]:
    return [change for change, _ in stream]


@pytest.fixture(scope="module")
def manifest(changes: list[Change]) -> Manifest:
    return build_manifest(changes, CATALOGUE)


def serialized(changes: list[Change]) -> bytes:
    return "\n".join(repr(c) for c in changes).encode()


def test_same_seed_same_bytes(changes: list[Change]) -> None:
    assert serialized(list(MinistriesSimulator(seed=7, dirt=0.2).changes(COUNT))) == serialized(changes)


def test_other_seed_other_stream(changes: list[Change]) -> None:
    other = list(MinistriesSimulator(seed=8, dirt=0.2).changes(1000))
    assert [c.event_id for c in other] != [c.event_id for c in changes[:1000]]
    assert [c.record for c in other] != [c.record for c in changes[:1000]]


def test_successive_calls_continue_the_stream() -> None:
    simulator = MinistriesSimulator(seed=3, start=datetime(2027, 5, 1, tzinfo=timezone.utc))
    parts = list(simulator.changes(700)) + list(simulator.changes(300))
    assert parts == list(MinistriesSimulator(seed=3, start=datetime(2027, 5, 1, tzinfo=timezone.utc)).changes(1000))
    assert parts[0].event_time > datetime(2027, 5, 1, tzinfo=timezone.utc)


def test_every_dataset_and_operation_occurs(changes: list[Change]) -> None:
    assert {(c.dataset, c.op) for c in changes} == {(d, op) for d in DATASETS for op in ("c", "u", "d")}
    assert all((c.op == "d") == (c.record is None) for c in changes)
    assert all(c.key == c.record[CATALOGUE.get(c.dataset).key[0]] for c in changes if c.record is not None)


def test_every_kind_of_dirt_occurs_and_the_share_is_about_right(changes: list[Change]) -> None:
    labels = Counter(c.dirt for c in changes)
    assert sorted(k for k in labels if k is not None) == sorted(KINDS)
    assert 0.15 < sum(n for k, n in labels.items() if k is not None) / COUNT < 0.25


def test_without_dirt_nothing_is_dirty() -> None:
    changes = list(MinistriesSimulator(seed=5, dirt=0.0).changes(5000))
    manifest = build_manifest(changes, CATALOGUE)
    assert {c.dirt for c in changes} == {None}
    assert [(t.rejected, t.duplicates, t.original_admin_codes) for t in manifest.datasets.values()] \
        == [({}, (), {})] * len(DATASETS)


def test_records_validate_except_the_ones_missing_a_field(changes: list[Change]) -> None:
    invalid = [c for c in changes if c.record is not None
               and not validate(c.record, CATALOGUE.get(c.dataset).parsed_record, raise_errors=False)]
    assert {c.dirt for c in invalid} == {"required_missing"}
    assert len(invalid) == sum(c.dirt == "required_missing" for c in changes)
    for change in invalid[:50]:
        with pytest.raises(ValidationError):
            check_record(CATALOGUE.get(change.dataset), change.record)


def test_clean_changes_are_sent_as_meant(stream: Stream) -> None:
    assert [c for c, truth in stream if c.dirt is None and c.record != truth] == []


def test_fixable_dirt_cleans_back_to_what_was_meant(stream: Stream) -> None:
    fixable = [(c, truth) for c, truth in stream if c.dirt in FIXABLE]
    assert all(c.record != truth for c, truth in fixable)
    assert [c.event_id for c, truth in fixable
            if clean_record(c.dataset, c.record).record != clean_record(c.dataset, truth).record] == []  # type: ignore[arg-type]


def test_cleaning_a_clean_record_only_formats_phones(stream: Stream) -> None:
    def without_phone(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k != "phone"}
    changed = [c.event_id for c, truth in stream if c.dirt is None and truth is not None
               and without_phone(clean_record(c.dataset, truth).record) != without_phone(truth)]
    assert changed == []


def test_manifest_rejects_exactly_the_rejected_kinds(changes: list[Change], manifest: Manifest) -> None:
    rejected = {eid: code for t in manifest.datasets.values() for eid, code in t.rejected.items()}
    assert rejected == {c.event_id: c.dirt for c in changes if c.dirt in REJECTED}


def test_manifest_duplicates_are_the_resent_events(changes: list[Change], manifest: Manifest) -> None:
    first: dict[str, Change] = {}
    for c in changes:
        first.setdefault(c.event_id, c)
    resent = [c for c in changes if c.dirt == "duplicate"]
    assert sorted(eid for t in manifest.datasets.values() for eid in t.duplicates) == sorted(c.event_id for c in resent)
    assert [(c.record, c.source_position) for c in resent] == \
        [(first[c.event_id].record, first[c.event_id].source_position) for c in resent]


def test_reordered_updates_arrive_after_a_newer_update_of_their_key(changes: list[Change]) -> None:
    newest: dict[tuple[str, str], tuple[datetime, int]] = {}
    overtaken = []
    for c in changes:
        key = (c.dataset, c.key)
        if c.dirt in ("out_of_order", "late"):
            overtaken.append(key in newest and newest[key] > (c.event_time, c.source_position) and c.op == "u")
        if c.dirt not in REJECTED:
            newest[key] = max(newest.get(key, (c.event_time, c.source_position)), (c.event_time, c.source_position))
    assert overtaken == [True] * sum(c.dirt in ("out_of_order", "late") for c in changes)


def test_reordered_updates_never_become_current(changes: list[Change], manifest: Manifest) -> None:
    stale = [c for c in changes if c.dirt in DELIVERY and c.dirt != "duplicate"]
    current = [manifest.datasets[c.dataset].versions.get(c.key) for c in stale]
    assert [v == (c.event_time, c.source_position) for c, v in zip(stale, current)] == [False] * len(stale)


def test_old_admin_codes_are_listed_with_their_originals(changes: list[Change], manifest: Manifest) -> None:
    listed = {eid for t in manifest.datasets.values() for eid in t.original_admin_codes}
    assert listed == {c.event_id for c in changes if c.dirt == "legacy_admin_codes"}


def test_references_resolve_in_the_final_state(manifest: Manifest) -> None:
    state = {name: t.state for name, t in manifest.datasets.items()}
    citizens, enterprises = state["population.citizen"], state["enterprise.registration"]
    dangling = {
        "insurance cccd": [r["cccd"] for r in state["social_insurance.participant"].values()
                           if r["cccd"] not in citizens],
        "employer": [r["employer_tax_code"] for r in state["social_insurance.participant"].values()
                     if r["employer_tax_code"] is not None and r["employer_tax_code"] not in enterprises],
        "representative": [r["legal_representative_cccd"] for r in enterprises.values()
                           if r["legal_representative_cccd"] not in citizens],
        "land citizen": [r["owner_cccd"] for r in state["land.parcel"].values()
                         if r["owner_cccd"] is not None and r["owner_cccd"] not in citizens],
        "land enterprise": [r["owner_tax_code"] for r in state["land.parcel"].values()
                            if r["owner_tax_code"] is not None and r["owner_tax_code"] not in enterprises],
        "civil party": [p for r in state["civil_status.event"].values()
                        for p in (r["subject_cccd"], r["second_party_cccd"]) if p is not None and p not in citizens],
    }
    assert dangling == {k: [] for k in dangling}


def test_every_living_insured_adult_has_insurance_eventually(manifest: Manifest) -> None:
    insured = {r["cccd"] for r in manifest.datasets["social_insurance.participant"].state.values()}
    citizens = manifest.datasets["population.citizen"].state
    assert len(insured & set(citizens)) / len(citizens) > 0.9


def test_marriages_in_the_golden_records_are_mutual(manifest: Manifest) -> None:
    golden = manifest.golden["citizen"]
    married = {k: g["spouse_cccd"] for k, g in golden.items() if g["marital_status"] == "MARRIED"}
    living_married = {k: s for k, s in married.items() if golden[k]["date_of_death"] is None}
    assert [k for k, s in living_married.items() if married.get(s) != k] == []
    assert len(living_married) > 50
    assert {g["marital_status"] for g in golden.values()} == {None, "MARRIED", "DIVORCED", "WIDOWED"}


def test_nothing_new_happens_to_the_dead(changes: list[Change], manifest: Manifest) -> None:
    accepted = [c for c in changes if c.dirt not in REJECTED and c.dirt != "duplicate"]
    deaths = [(c, c.record) for c in accepted if c.dataset == "civil_status.event" and c.op == "c"]
    died = {r["subject_cccd"]: (c.event_time, r["event_date"]) for c, r in deaths
            if r is not None and r["event_type"] == "DEATH"}
    after = []
    previous_holder: dict[tuple[str, str], Any] = {}
    for c in sorted(accepted, key=lambda c: (c.event_time, c.source_position)):
        r = c.record or {}
        if c.dataset == "population.citizen" and c.key in died and c.event_time > died[c.key][0]:
            after.append(c)
        if c.dataset == "civil_status.event" and r.get("event_type") in ("MARRIAGE", "DIVORCE", "DEATH"):
            for party in (r["subject_cccd"], r["second_party_cccd"]):
                if party in died and r["event_date"] > died[party][1]:
                    after.append(c)
        if c.dataset == "social_insurance.participant" and r.get("cccd") in died \
                and c.event_time > died[r["cccd"]][0] and r["status"] != "STOPPED":
            after.append(c)
        for dataset, field in (("land.parcel", "owner_cccd"), ("enterprise.registration", "legal_representative_cccd")):
            if c.dataset == dataset:
                holder = r.get(field)
                if holder in died and c.event_time > died[holder][0] and previous_holder.get((dataset, c.key)) != holder:
                    after.append(c)
                previous_holder[(dataset, c.key)] = holder
    assert after == []
    assert len(died) > 50
    assert {k: g["date_of_death"] for k, g in manifest.golden["citizen"].items() if k in died} \
        == {k: day for k, (_, day) in died.items() if k in manifest.golden["citizen"]}


def test_population_simulator_is_clean_population_only() -> None:
    changes = list(PopulationSimulator(seed=11).changes(3000))
    assert {c.dataset for c in changes} == {"population.citizen"}
    assert {c.dirt for c in changes} == {None}
    assert Counter(c.op for c in changes).keys() == {"c", "u"}
    assert len({c.key for c in changes if c.op == "c"}) == sum(c.op == "c" for c in changes)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="dirt"):
        MinistriesSimulator(seed=1, dirt=1.5)
    with pytest.raises(ValueError, match="population.citizen"):
        MinistriesSimulator(seed=1, datasets=("land.parcel",))
    with pytest.raises(ValueError, match="unknown actions"):
        MinistriesSimulator(seed=1, weights={"coup": 1.0})
