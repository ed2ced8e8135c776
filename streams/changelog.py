"""Table changelog records through the worker's confluent producer, acknowledged before a batch returns.

faust sends a table's changelog record from ``table[key] = value`` through its own aiokafka producer: a
Python send per record, buffered until its commit hands them over, and a RocksDB write of the record's
offset on each acknowledgement. In the hub's worker that was about a sixth of the worker's CPU (three
changelog records per raw event). :func:`route_changelogs` sends them instead through the worker's
confluent-kafka producer (:mod:`streams.output`), same topic, partition, key and value bytes.

A table write must happen inside :func:`state_writes` (an agent's state-writing step, after its output was
acknowledged): its records join that step's :class:`~streams.output.OutputBatch`, and
:meth:`StateWrites.acknowledged` returns once the broker has them all, then records in each partition's store
the last changelog offset it holds (what faust's recovery reads from). The agent returns only after that, so
faust commits a batch's offsets only once its state is in the changelog too (faust itself committed once the
records were handed to its client, acknowledged or not). A write outside :func:`state_writes` raises
:class:`ChangelogWriteOutsideBatch`: it would have no acknowledgement to wait for.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from faust.streams import _current_event
from faust.types import TP

from streams.output import OutputBatch, OutputProducer
from streams.ownership import owned_filter
from streams.tables import write

_current: ContextVar[StateWrites | None] = ContextVar("hub_state_writes", default=None)


def make_current(event: Any) -> None:
    """Let faust's tables see ``event`` as the one being processed: its partition picks the store a table read
    or write goes to, and the changelog partition (a ``take_events`` batch mixes partitions)."""
    _current_event.set(weakref.ref(event))


class ChangelogWriteOutsideBatch(RuntimeError):
    def __init__(self, table: str) -> None:
        super().__init__(f"table {table!r} was written outside streams.changelog.state_writes()")


class StateWrites:
    """The changelog records of one agent's state-writing step."""

    def __init__(self, output: OutputProducer) -> None:
        self.batch: OutputBatch = output.batch(track_offsets=True)
        self._stores: dict[str, Any] = {}  # changelog topic → the table's store

    def send(self, table: Any, topic: str, partition: int, key: bytes, value: bytes | None) -> None:
        self._stores[topic] = table.data
        self.batch.send(topic, key, value, partition)

    async def acknowledged(self) -> None:
        """Return once every record is acknowledged (raises :class:`~streams.output.DeliveryFailed`), after
        recording each partition's last changelog offset in its store."""
        await self.batch.acknowledged()
        for (topic, partition), offset in self.batch.acks.last_offsets.items():
            self._stores[topic].set_persisted_offset(TP(topic, partition), offset)


@contextmanager
def state_writes(output: OutputProducer) -> Iterator[StateWrites]:
    """Collect the changelog records of the table writes made inside (in this task); await
    :meth:`StateWrites.acknowledged` after the block."""
    writes = StateWrites(output)
    token = _current.set(writes)
    try:
        yield writes
    finally:
        _current.reset(token)


@dataclass(frozen=True)
class _Sent:
    """What faust's ``on_key_set``/``on_key_del`` read of the future its ``send_changelog`` returns: the
    ``message.partition``."""

    partition: int

    @property
    def message(self) -> _Sent:
        return self


def put_states(table: Any, events: list[Any], changed: Mapping[tuple[int, bytes], Any],
               states: Mapping[tuple[int, bytes], Any], encode: Callable[[Any], bytes]) -> None:
    """Write ``encode(states[where])`` for every (partition, key) ``where`` of ``changed`` (→ the event that last
    changed it), in that event's store, for the partitions this worker still owns
    (:func:`streams.ownership.owned_filter`); inside :func:`state_writes`."""
    owned = owned_filter(events)
    for where, event in changed.items():
        if (event.message.topic, event.message.partition) in owned:
            make_current(event)
            write(table, where[1], encode(states[where]))


def route_changelogs(tables: Any) -> None:
    """Send the changelog records of ``tables`` (faust tables of raw bytes) through :func:`state_writes`."""
    for table in tables:
        if (table.key_serializer, table.value_serializer) != ("raw", "raw"):
            raise ValueError(f"table {table.name!r} does not hold raw bytes: its changelog records need faust's "
                             "serializers")
        _route(table)


def _route(table: Any) -> None:
    topic = table.changelog_topic.get_topic_name()

    def send_changelog(partition: int | None, key: bytes, value: bytes | None, key_serializer: Any = None,
                       value_serializer: Any = None) -> _Sent:
        writes = _current.get()
        if writes is None:
            raise ChangelogWriteOutsideBatch(table.name)
        if partition is None:  # a table with use_partitioner: faust's producer would pick it from the key
            raise ValueError(f"table {table.name!r}: its changelog partition must come from the current event")
        writes.send(table, topic, partition, key, value)
        return _Sent(partition)

    table.send_changelog = send_changelog  # faust's Table calls self.send_changelog for every set and delete
