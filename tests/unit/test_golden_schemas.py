"""The golden records' Avro schemas match the merge rules and carry what the merge publishes."""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone
from typing import Any

import fastavro
import pytest

from hub import wire
from hub.catalogue import load_catalogue
from streams.golden import publish
from streams.golden.fold import fold
from streams.golden.rules import COPIED, KEY_ATTRIBUTES, attributes
from tests.unit.test_golden_merge import (EVENTS_OF_EVERY_AUTHORITY, NONE_BUT_POPULATION, A, B, at, civil, cs, person,
                                          pop)

CATALOGUE = load_catalogue()
NOW = datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc)


def fields(schema: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: f for f in schema["fields"]}


def non_null(avro: Any) -> Any:
    return [t for t in avro if t != "null"][0] if isinstance(avro, list) else avro


@pytest.mark.parametrize("entity", ["citizen", "enterprise"])
def test_a_golden_record_has_its_key_every_attribute_and_their_provenance(entity: str) -> None:
    schema = publish.record_schema(entity)
    assert list(fields(schema)) == [KEY_ATTRIBUTES[entity], *attributes(entity), "provenance"]
    provenance = fields(schema)["provenance"]["type"]
    assert list(fields(provenance)) == list(attributes(entity))
    assert {name: [f["name"] for f in non_null(f["type"])["fields"]] for name, f in fields(provenance).items()} == \
        {name: ["dataset", "event_id", "event_time"] for name in attributes(entity)}


def test_copied_attributes_have_the_type_of_their_source_field_and_may_be_null() -> None:
    for copied in COPIED:
        source = fields(CATALOGUE.get(copied.dataset).record_schema)
        golden = fields(publish.record_schema(copied.entity))
        assert {a: golden[a]["type"] for a in copied.fields} == \
            {a: ["null", non_null(source[f]["type"])] for a, f in copied.fields.items()}


def decoder(schema: dict[str, Any]) -> wire.SchemaCache:
    return wire.SchemaCache(lambda schema_id: schema)


def test_published_changes_round_trip_through_the_wire_format() -> None:
    death = cs(civil("KT1", "DEATH", A, None, date(2026, 2, 20)), 9, 2, "v2")
    folded = fold([*EVENTS_OF_EVERY_AUTHORITY, death, pop(A, None, 10, 9, "p9")])
    schema = publish.envelope_schema("citizen")
    parsed = fastavro.parse_schema(copy.deepcopy(schema))
    envelopes = [publish.envelope(change, NOW) for change in folded.changes]
    decoded = [decoder(schema).decode(wire.encode(7, parsed, e)) for e in envelopes]
    assert decoded == [(7, e) for e in envelopes]
    # A is created and insured, B created; the marriage reaches B first (contributions go out in key order).
    assert [(e["op"], e["key"], e["source"]["position"], e["event_time"].second) for e in envelopes] == [
        ("c", A, 1, 1), ("c", B, 1, 2), ("u", A, 2, 3), ("u", B, 2, 4), ("u", A, 3, 4), ("u", A, 4, 5),
        ("u", A, 5, 9), ("u", B, 3, 9), ("d", A, 6, 10)]
    widowed = envelopes[7]["after"]
    assert widowed == {**person(B), **NONE_BUT_POPULATION, "marital_status": "WIDOWED", "provenance": {
        **{a: {"dataset": "population.citizen", "event_id": "p2", "event_time": at(2)}
           for a in person(B) if a != "cccd"},
        **{a: None for a in NONE_BUT_POPULATION},
        "marital_status": {"dataset": "civil_status.event", "event_id": "v2", "event_time": at(9)},
        "spouse_cccd": {"dataset": "civil_status.event", "event_id": "v2", "event_time": at(9)}}}
    assert [e["event_id"] for e in envelopes] == [publish.event_id(c) for c in folded.changes]
    assert {e["ingest_time"] for e in envelopes} == {NOW}


def test_a_change_has_the_same_event_id_whenever_it_is_published() -> None:
    first = fold([pop(A, person(A), 1, 1, "p1")]).changes[0]
    again = fold([pop(A, person(A), 1, 1, "p1")]).changes[0]
    later = fold([pop(A, person(A), 1, 1, "p1"), pop(A, person(A, "Trần Thị Lan"), 2, 2, "p2")]).changes[1]
    assert publish.event_id(first) == publish.event_id(again) != publish.event_id(later)


def test_the_golden_topics_and_subjects_are_named_after_the_namespace() -> None:
    assert [(publish.golden_topic("hub", e), publish.subject("hub", e)) for e in ("citizen", "enterprise")] == [
        ("hub.golden.citizen", "hub.golden.citizen-value"), ("hub.golden.enterprise", "hub.golden.enterprise-value")]
