"""Still-encoded Avro for ClickHouse's Avro input: containers and staging tables (pure)."""

from __future__ import annotations

import copy
import io
from datetime import datetime, timezone

import fastavro
import pytest

from hub import wire
from hub.catalogue import load_catalogue
from producers.envelope import Source, envelope
from producers.simulator import PopulationSimulator
from sinks.ddl import value_columns
from sinks.encoded import EncodedRun, Unsupported, container, container_header, create_staging, staging_type
from sinks.targets import all_targets

CATALOGUE = load_catalogue()


def test_a_container_holds_the_bodies_with_their_coordinates_in_front() -> None:
    dataset = CATALOGUE.get("population.citizen")
    parsed = fastavro.parse_schema(copy.deepcopy(dataset.envelope_schema))
    now = datetime(2026, 11, 27, tzinfo=timezone.utc)
    events = [envelope(dataset, c.op, c.key, c.record, Source("BCA", "s", i), event_time=now, event_id=f"e{i}", now=now)
              for i, c in enumerate(PopulationSimulator(seed=2).changes(50))]
    bodies = [wire.encode(7, parsed, e)[wire.HEADER_SIZE:] for e in events]
    offsets = [1000 + 3 * i for i in range(len(bodies))]  # gaps, as transaction markers leave them
    partitions = [i % 3 for i in range(len(bodies))]  # a topic's partitions interleaved, as a fetch returns them
    block = container(container_header(dataset.envelope_schema), EncodedRun("ns.t", partitions, 7, offsets, bodies))
    decoded = list(fastavro.reader(io.BytesIO(block)))
    expected = [{"_topic": "ns.t", "_partition": p, "_offset": o, **fastavro.schemaless_reader(io.BytesIO(b), parsed, None)}
                for p, o, b in zip(partitions, offsets, bodies)]
    assert decoded == expected


def test_every_target_can_be_staged() -> None:
    for target in all_targets(CATALOGUE):
        statements = create_staging("hub", target, target.value_schema, value_columns(target, target.value_schema))
        assert [s.split(" ", 3)[:3] for s in statements][-1] == ["CREATE", "MATERIALIZED", "VIEW"]


@pytest.mark.parametrize(("avro", "staged"), [
    (["null", {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}], "Nullable(Tuple(`a` String))"),
    ({"type": "enum", "name": "E", "symbols": ["A"]}, "String"),
    ({"type": "map", "values": "double"}, "Map(String, Float64)"),
    ({"type": "long", "logicalType": "timestamp-millis"}, "DateTime64(3, 'UTC')"),
])
def test_staging_types(avro: object, staged: str) -> None:
    assert staging_type(avro) == staged


@pytest.mark.parametrize("avro", [["null", "string", "long"], ["null", {"type": "array", "items": "string"}], "Unknown"])
def test_what_cannot_be_staged_is_decoded_in_python(avro: object) -> None:
    with pytest.raises(Unsupported):
        staging_type(avro)


def test_canaries_are_routed_to_the_probe_landings() -> None:
    target = all_targets(CATALOGUE)[0]
    statements = create_staging("hub", target, target.value_schema, value_columns(target, target.value_schema))
    assert [s for s in statements if "probe_landings" in s][0].endswith("WHERE tupleElement(`source`, 'system') = 'hub-probe'")
    assert statements[-1].endswith("WHERE NOT (tupleElement(`source`, 'system') = 'hub-probe')")
