"""The cleaning agent's quality tap says what observers of the raw and clean topics would have said."""

from __future__ import annotations

import asyncio
import copy
import io
from typing import Any

import fastavro

from hub import wire
from streams.agent import CleaningAgent
from streams.output import OutputProducer
from streams.processor import DatasetProcessor
from streams.quality.aggregate import observe_envelope, present_paths, summarize
from streams.quality.codec import decode_news
from streams.quality.tap import Presence, QualityTap
from tests.unit.fakes_output import FakeClient
from tests.unit.test_streams_agent import (CATALOGUE, CITIZENS, SCHEMAS, T0, T1, FakeEvent, FakeMessage, FakeTable,
                                           citizen, event)

NOW_MS = 1_790_000_123_456
ENTERPRISES = CATALOGUE.get("enterprise.registration")


def _round_trip(record: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``record`` as a reader of its Avro bytes sees it (absent fields take their defaults)."""
    parsed = fastavro.parse_schema(copy.deepcopy(schema))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, record)
    buffer.seek(0)
    return fastavro.schemaless_reader(buffer, parsed)  # type: ignore[return-value]


def test_presence_counts_a_field_the_schema_default_fills() -> None:
    presence = Presence(CITIZENS.record_schema)
    record = {k: v for k, v in citizen("001090000001", phone=None).items() if k != "nationality"}
    assert "nationality" in presence.of(record)
    assert presence.of(record) == present_paths(_round_trip(record, CITIZENS.record_schema), presence.paths)
    assert "nationality" not in presence.of({**record, "nationality": None})
    enterprise = Presence(ENTERPRISES.record_schema)
    assert "state_owned" in enterprise.of({"tax_code": "0100109106"})


def _agent(tap: QualityTap) -> tuple[CleaningAgent, FakeClient]:
    processor = DatasetProcessor(CITIZENS, wire.SchemaCache(SCHEMAS.__getitem__), 2, SCHEMAS[2])
    client = FakeClient()
    agent = CleaningAgent(processor, OutputProducer({}, lambda _config: client), "clean", "dlq", FakeTable(),
                          FakeTable(), feeds_births=True, tap=tap)
    return agent, client


def _batch() -> list[FakeEvent]:
    return [event(0, "e1", "001090000001", at=T1, position=2, partition=1),
            event(1, "e1", "001090000001", at=T1, position=2, partition=1),                 # duplicate
            event(2, "e0", "001090000001", op="u", at=T0, position=1, partition=1,          # late
                  place_of_origin="Hà Nội"),
            FakeEvent(FakeMessage("raw", 3, 0, b"x", b"\x07not framed", 1_790_000_061.5)),   # undecodable
            event(0, "e9", "001190000009", partition=2),                                    # CCCD says female
            event(1, "e5", "001090000005", op="d", partition=2)]                            # delete


def test_the_tapped_news_equal_what_observers_of_the_raw_and_clean_topics_would_send() -> None:
    tap = QualityTap(CITIZENS.name, CITIZENS.record_schema, "news", lambda: {}, clock_ms=lambda: NOW_MS)
    agent, client = _agent(tap)
    batch = _batch()
    asyncio.run(agent.process(batch))

    schemas, paths = wire.SchemaCache(SCHEMAS.__getitem__), Presence(CITIZENS.record_schema).paths
    raw = []
    for e in batch:
        try:
            envelope: dict[str, Any] | None = schemas.decode(e.message.value)[1]
        except Exception:
            envelope = None
        raw.append(observe_envelope(CITIZENS.name, "raw", int(e.message.timestamp * 1000), envelope))
    clean = [observe_envelope(CITIZENS.name, "clean", NOW_MS, schemas.decode(value)[1], paths)
             for _, value, _, _ in client.to("clean")]
    assert len(clean) == 3 and len(raw) == 6
    want = summarize([*raw, *clean])
    got = [decode_news(value) for _, value, _, _ in client.to("news")]
    assert got == list(want)
    assert [key for key, _, _, _ in client.to("news")] == [f"{s.dataset}|{s.system}".encode() for s in want]
    assert sum(s.received for s in got) == 6 and sum(s.valid for s in got) == 3


def test_a_batch_read_again_is_not_counted_twice() -> None:
    tap = QualityTap(CITIZENS.name, CITIZENS.record_schema, "news", lambda: {}, clock_ms=lambda: NOW_MS)
    agent, client = _agent(tap)
    asyncio.run(agent.process(_batch()))
    first = len(client.to("news"))
    again = [*_batch(), event(2, "e7", "001090000007", partition=2)]  # a seek back, and one new message
    asyncio.run(agent.process(again))
    news = [decode_news(value) for _, value, _, _ in client.to("news")[first:]]
    assert (sum(s.received for s in news), sum(s.valid for s in news)) == (1, 1)  # e7 only
