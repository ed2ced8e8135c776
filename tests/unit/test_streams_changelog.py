"""A faust table's changelog records go through the worker's producer (a fake client here), with the same
topic, partition, key and value faust would send, and its store learns the last acknowledged offset."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
import pytest
from faust.streams import _current_event
from faust.types import TP

from streams.changelog import ChangelogWriteOutsideBatch, route_changelogs, state_writes
from streams.output import DeliveryFailed, OutputProducer
from streams.tables import store_options
from tests.unit.fakes_output import FakeClient


@dataclass(eq=False)
class _Message:
    topic: str
    partition: int


@dataclass(eq=False)
class _Event:
    message: _Message


def _on_partition(partition: int) -> _Event:
    """Make faust's tables see an event of ``partition`` as the one being processed (the caller keeps it)."""
    event = _Event(_Message("raw", partition))
    _current_event.set(weakref.ref(event))  # type: ignore[arg-type]
    return event


@pytest.fixture
def table(tmp_path: Path) -> Any:
    app = faust.App("t-changelog", broker="kafka://127.0.0.1:1", store="rocksdb://", datadir=str(tmp_path),
                    web_enabled=False)
    table = app.Table("keys", key_type=bytes, value_type=bytes, partitions=4, options=store_options())
    route_changelogs([table])
    return table


def test_writes_go_out_through_the_output_producer_and_persist_the_last_offset(table: Any) -> None:
    client = FakeClient()
    output = OutputProducer({}, lambda _config: client)
    topic = table.changelog_topic.get_topic_name()

    async def write() -> None:
        with state_writes(output) as writes:
            first = _on_partition(1)
            table[b"k1"] = b"v1"
            table[b"k2"] = b"v2"
            second = _on_partition(3)
            table[b"k3"] = b"v3"
            del table[b"k3"]
        assert first is not second  # both events stay alive while the table reads them
        await writes.acknowledged()

    asyncio.run(write())
    assert client.sent == [(topic, b"k1", b"v1", 1, None), (topic, b"k2", b"v2", 1, None),
                           (topic, b"k3", b"v3", 3, None), (topic, b"k3", None, 3, None)]
    assert table.data.persisted_offset(TP(topic, 1)) == 1
    assert table.data.persisted_offset(TP(topic, 3)) == 1
    assert table.data.persisted_offset(TP(topic, 0)) is None
    _on_partition(1)
    assert table[b"k2"] == b"v2"  # the local store has the writes too


def test_a_refused_record_fails_the_step_and_persists_no_offset(table: Any) -> None:
    client = FakeClient(fail=True)
    output = OutputProducer({}, lambda _config: client)

    async def write() -> None:
        with state_writes(output) as writes:
            event = _on_partition(2)
            table[b"k"] = b"v"
        assert event
        await writes.acknowledged()

    with pytest.raises(DeliveryFailed):
        asyncio.run(write())
    assert table.data.persisted_offset(TP(table.changelog_topic.get_topic_name(), 2)) is None


def test_a_write_outside_a_state_writing_step_is_refused(table: Any) -> None:
    event = _on_partition(0)
    with pytest.raises(ChangelogWriteOutsideBatch, match="keys"):
        table[b"k"] = b"v"
    assert event


def test_only_tables_of_raw_bytes_are_routed() -> None:
    app = faust.App("t-changelog-json", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=False)
    with pytest.raises(ValueError, match="raw bytes"):
        route_changelogs([app.Table("counts")])  # faust's default: JSON keys and values
