"""The faust shell of one dataset, with fakes at its seams: a producer client that records sends, tables that
are dicts."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import fastavro
import pytest
from faust.streams import current_event
from faust.types import TP

from hub import wire
from hub.catalogue import load_catalogue
from streams.agent import CleaningAgent
from streams.clean_schema import clean_envelope_schema
from streams.ordering import KeyState, version_of
from streams.output import DeliveryFailed, OutputProducer
from tests.unit.fakes_output import FakeClient
from streams.processor import DatasetProcessor

CATALOGUE = load_catalogue()
CITIZENS = CATALOGUE.get("population.citizen")
SCHEMAS = {1: CITIZENS.envelope_schema, 2: clean_envelope_schema(CITIZENS)}
T0 = datetime(2026, 3, 1, 5, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc)


# --- fakes --------------------------------------------------------------------------------------------
@dataclass(eq=False)  # hashable, as faust's messages are
class FakeMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: float = 1_790_000_000.0


class FakeFlow:
    def is_active(self) -> bool:
        return True


@dataclass
class FakeConsumer:
    assigned: set[TP]

    def assignment(self) -> set[TP]:
        return self.assigned


@dataclass
class FakeApp:
    """What :func:`streams.ownership.owned_filter` reads: no rebalance in progress, ``assigned`` owned."""

    consumer: FakeConsumer = field(default_factory=lambda: FakeConsumer({TP("raw", p) for p in range(8)}))
    flow_control: FakeFlow = field(default_factory=FakeFlow)


@dataclass(eq=False)
class FakeEvent:
    message: FakeMessage
    app: FakeApp = field(default_factory=FakeApp)


@dataclass
class FakeTable:
    """A dict that also records each write with the partition of faust's current event."""

    data: dict[bytes, bytes] = field(default_factory=dict)
    writes: list[tuple[str, bytes, int]] = field(default_factory=list)

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        event = current_event()
        assert event is not None
        self.writes.append(("set", key, event.message.partition))
        self.data[key] = value

    def __delitem__(self, key: bytes) -> None:
        event = current_event()
        assert event is not None
        self.writes.append(("del", key, event.message.partition))
        del self.data[key]


# --- helpers ------------------------------------------------------------------------------------------
def citizen(cccd: str, **changes: Any) -> dict[str, Any]:
    record = {"cccd": cccd, "full_name": "Nguyễn Văn An", "date_of_birth": date(1990, 5, 1), "sex": "MALE",
              "place_of_origin": None, "permanent_address": {"line": "Số 1", "ward_code": "00097", "province_code": "01"},
              "ethnicity": "Kinh", "nationality": "VN", "phone": None}
    return {**record, **changes}


def event(offset: int, event_id: str, cccd: str, op: str = "c", at: datetime = T0, position: int = 1,
          partition: int = 0, **changes: Any) -> FakeEvent:
    envelope = {"event_id": event_id, "op": op, "key": cccd, "after": None if op == "d" else citizen(cccd, **changes),
                "source": {"ministry": "BCA", "system": "s", "position": position}, "event_time": at,
                "ingest_time": at}
    value = wire.encode(1, fastavro.parse_schema(copy.deepcopy(SCHEMAS[1])), envelope)
    return FakeEvent(FakeMessage("raw", partition, offset, cccd.encode(), value))


@pytest.fixture
def parts() -> tuple[CleaningAgent, FakeClient, FakeTable, FakeTable]:
    processor = DatasetProcessor(CITIZENS, wire.SchemaCache(SCHEMAS.__getitem__), 2, SCHEMAS[2])
    client, keys, births = FakeClient(), FakeTable(), FakeTable()
    output = OutputProducer({}, lambda _config: client)
    return CleaningAgent(processor, output, "clean", "dlq", keys, births, feeds_births=True), client, keys, births


def ids(client: FakeClient, topic: str) -> list[tuple[str, Any]]:
    schemas = wire.SchemaCache(SCHEMAS.__getitem__)
    return [(schemas.decode(value)[1]["event_id"], headers) for _, value, _, headers in client.to(topic)]


# --- tests --------------------------------------------------------------------------------------------
def test_a_batch_sends_outcomes_then_writes_state(parts: Any) -> None:
    agent, client, keys, births = parts
    batch = [event(0, "e1", "001090000001", at=T1, position=2, partition=1),
             event(1, "e1", "001090000001", at=T1, position=2, partition=1),                 # duplicate
             event(2, "e0", "001090000001", op="u", at=T0, position=1, partition=1),         # older: late
             FakeEvent(FakeMessage("raw", 3, 0, b"x", b"\x07not framed")),                   # undecodable
             event(0, "e9", "001190000009", partition=2),                                    # CCCD says female
             event(1, "e5", "001090000005", partition=2)]
    asyncio.run(agent.process(batch))
    assert ids(client, "clean") == [("e1", None), ("e0", [("late", b"1")]), ("e5", None)]
    assert [(key, partition, dict(headers)["reason"]) for key, _, partition, headers in client.to("dlq")] == [
        (b"x", 3, b"bad_magic"), (b"001190000009", 2, b"cccd_inconsistent")]
    assert [partition for _, _, partition, _ in client.to("clean")] == [1, 1, 2]  # the raw message's partition
    assert {k: KeyState.from_bytes(v) for k, v in keys.data.items()} == {
        b"001090000001": KeyState(version_of(T1, 2), ("e0", "e1")),
        b"001090000005": KeyState(version_of(T0, 1), ("e5",))}
    assert keys.writes == [("set", b"001090000001", 1), ("set", b"001090000001", 1), ("set", b"001090000005", 2)]
    assert births.data == {b"001090000001": b"1990-05-01", b"001090000005": b"1990-05-01"}


def test_state_from_earlier_batches_is_used(parts: Any) -> None:
    agent, client, keys, births = parts
    asyncio.run(agent.process([event(0, "e1", "001090000001", position=1)]))
    asyncio.run(agent.process([event(1, "e1", "001090000001", position=1),
                               event(2, "e2", "001090000001", op="d", position=2)]))
    assert ids(client, "clean") == [("e1", None), ("e2", None)]
    assert births.data == {}
    assert births.writes == [("set", b"001090000001", 0), ("del", b"001090000001", 0)]


def test_no_state_is_written_when_output_is_not_acknowledged(parts: Any) -> None:
    agent, client, keys, births = parts
    client.fail = True
    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(agent.process([event(0, "e1", "001090000001")]))
    assert (failed.value.topic, failed.value.code) == ("clean", "_MSG_TIMED_OUT")
    assert (len(client.sent), keys.data, births.data) == (1, {}, {})


def test_a_batch_that_outlived_a_partition_leaves_its_state_to_the_new_owner(parts: Any) -> None:
    agent, client, keys, births = parts
    moved = FakeApp(FakeConsumer({TP("raw", 2)}))  # partition 1 went to another worker while the batch waited
    batch = [event(0, "e1", "001090000001", partition=1), event(0, "e5", "001090000005", partition=2)]
    for e in batch:
        e.app = moved
    asyncio.run(agent.process(batch))
    assert [e for e, _ in ids(client, "clean")] == ["e1", "e5"]  # the output went out (at least once)
    assert keys.writes == [("set", b"001090000005", 2)]
    assert births.data == {b"001090000005": b"1990-05-01"}
