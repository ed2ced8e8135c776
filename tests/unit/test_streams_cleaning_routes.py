"""A cleaning agent that routes to the golden merge sends what a router reading its clean topic would send."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import fastavro

from hub import wire
from streams.agent import CleaningAgent
from streams.base import Accepted, Event
from streams.changelog import make_current
from streams.clean_schema import clean_envelope_schema
from streams.golden.router import SourceRouter
from streams.output import OutputProducer
from streams.processor import DatasetProcessor
from tests.unit.fakes_output import FakeClient
from tests.unit.test_streams_agent import (CITIZENS, SCHEMAS, T0, T1, FakeEvent, FakeMessage, FakeTable, citizen,
                                           event)

NS = "t"


def _older_writer_schema() -> dict[str, Any]:
    """The citizen envelope as a writer that predates ``nationality`` would register it."""
    schema = copy.deepcopy(CITIZENS.envelope_schema)
    after = next(f for f in schema["fields"] if f["name"] == "after")
    record = next(t for t in after["type"] if isinstance(t, dict))
    record["fields"] = [f for f in record["fields"] if f["name"] != "nationality"]
    return schema


ALL_SCHEMAS = {**SCHEMAS, 3: _older_writer_schema()}


def _processor() -> DatasetProcessor:
    return DatasetProcessor(CITIZENS, wire.SchemaCache(ALL_SCHEMAS.__getitem__), 2, clean_envelope_schema(CITIZENS))


def _batch() -> list[FakeEvent]:
    older = {k: v for k, v in citizen("001090000007").items() if k != "nationality"}
    envelope = {"event_id": "e7", "op": "c", "key": "001090000007", "after": older,
                "source": {"ministry": "BCA", "system": "s", "position": 1}, "event_time": T0, "ingest_time": T0}
    value = wire.encode(3, fastavro.parse_schema(copy.deepcopy(ALL_SCHEMAS[3])), envelope)
    return [event(0, "e1", "001090000001", at=T1, position=2, partition=1),
            event(1, "e1", "001090000001", at=T1, position=2, partition=1),                 # duplicate
            event(2, "e0", "001090000001", op="u", at=T0, position=1, partition=1),         # late
            event(0, "e9", "001190000009", partition=2),                                    # rejected
            event(1, "e5", "001090000005", partition=2, full_name="Lê Văn Bình"),
            event(2, "e6", "001090000005", op="d", at=T1, position=3, partition=2),         # delete
            FakeEvent(FakeMessage("raw", 3, 0, b"001090000007", value))]                    # older writer


def test_the_routed_contributions_and_states_equal_those_of_a_router_of_the_clean_topic() -> None:
    client, sources = FakeClient(), FakeTable()
    agent = CleaningAgent(_processor(), OutputProducer({}, lambda _config: client), "clean", "dlq", FakeTable(),
                          FakeTable(), router=SourceRouter(NS, CITIZENS.name, sources))
    asyncio.run(agent.process(_batch()))

    reference_client, reference_sources = FakeClient(), FakeTable()
    reference = SourceRouter(NS, CITIZENS.name, reference_sources)
    out = OutputProducer({}, lambda _config: reference_client).batch()
    schemas, clean = wire.SchemaCache(ALL_SCHEMAS.__getitem__), []
    reference.begin()
    for key, value, partition, _ in client.to("clean"):
        clean.append(FakeEvent(FakeMessage("raw", partition or 0, len(clean), key, value)))  # owned, as raw is
        make_current(clean[-1])
        reference.route(out, clean[-1], schemas.decode(value)[1])
    reference.put_states(clean)

    assert [schemas.decode(value)[1]["event_id"] for _, value, _, _ in client.to("clean")] == [
        "e1", "e0", "e5", "e6", "e7"]
    contributions = [m for m in client.sent if m[0].endswith(".contributions")]
    assert len(contributions) == 4  # e1, e5, e6 (its retraction), e7; e0 is older than e1: nothing new
    assert contributions == reference_client.sent
    assert sources.data == reference_sources.data and len(sources.data) == 3


def test_the_clean_envelope_is_the_encoded_one_unless_the_writer_schema_differs() -> None:
    processor = _processor()
    for raw, writer in ((_batch()[0], 1), (_batch()[-1], 3)):
        decoded = processor.decode(raw.message.value, raw.message.key)
        assert isinstance(decoded, Event) and decoded.schema_id == writer
        accepted = processor.judge(decoded, None)
        assert isinstance(accepted, Accepted)
        envelope = processor.clean_envelope(decoded, accepted)
        assert envelope == wire.SchemaCache(ALL_SCHEMAS.__getitem__).decode(accepted.value)[1]
        assert (envelope is accepted.envelope) == (writer == 1)
    assert envelope["after"]["nationality"] == "VN"  # the clean schema's default, which the older writer lacked
