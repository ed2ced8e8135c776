"""The golden merge as faust agents (wiring only; the logic is :mod:`.routing` and :mod:`.merge`).

::

    <ns>.<dataset>.clean ──route──▶ <ns>.golden.<entity>.contributions ──merge──▶ <ns>.golden.<entity>
      (table golden-source-<dataset>:            (keyed by golden key;           (change events, Avro,
       source key → SourceState)                  table golden-<entity>:          registered under
                                                  golden key → Golden;            <topic>-value)
                                                  relayed deaths go back in)

Both tables are faust tables backed by changelog topics (``<app id>-<table>-changelog``), in the store the
app was built with (``rocksdict://`` or ``memory://``), so the state survives a restart. A table shares
the partitioning of the topic that feeds it: the source tables that of the clean topics (which is that of
the raw topics), the golden tables that of the contributions topics, so every key is merged by exactly one
worker. In the hub's worker the cleaning agents route what they accept themselves (:mod:`.router`), and the
clean topics have no routing agent.

Delivery is at least once. Both agents work in batches (:func:`streams.agent.batched`): every send of a
batch goes through the worker's one producer (:mod:`streams.output`), the batch waits until all of it is
acknowledged, and only then writes the states it changed (the latest per key), in the store of the
partition the key's event came from; faust commits the batch's offsets after that. Within a batch, a key's
later events see the state its earlier ones left. When a worker dies after writing a state but before its
offsets were committed, the redelivered input finds the state already holding it; :func:`.routing.route`
and :func:`.merge.apply` then send everything the state says again (golden records ignore what they hold; a
golden change published again carries the same event id, derived from (entity, key, revision)). When it
dies before the acknowledgements, nothing was written and the batch is processed again as new.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any

import faust

from hub import wire
from hub.catalogue import GOLDEN_ENTITIES, Catalogue
from hub.errors import WireFormatError
from streams.agent import batched, write_states
from streams.changelog import make_current, state_writes
from streams.golden import publish
from streams.golden.base import RegisteredWriter, SchemaRegistrar
from streams.golden.codec import decode_contribution, decode_golden, encode_contribution, encode_golden
from streams.golden.errors import CorruptState
from streams.golden.merge import Golden, apply
from streams.golden.router import SourceRouter, Where, contributions_topic
from streams.golden.rules import check_catalogue
from streams.output import OutputBatch, OutputProducer
from streams.tables import read, store_options

log = logging.getLogger("hub.streams.golden")


def golden_topics(namespace: str) -> list[str]:
    """The topics the golden agents publish to (for sinks)."""
    return [publish.golden_topic(namespace, e) for e in GOLDEN_ENTITIES]


def golden_topics_to_create(namespace: str) -> list[str]:
    """Every topic of the golden agents but faust's changelogs: create them before the worker starts. (faust
    declares them too, but a topic it creates while joining the group may be missing from the metadata the
    partition assignment reads: the agent then gets no partitions until the next metadata refresh.)"""
    return [*golden_topics(namespace), *(contributions_topic(namespace, e) for e in GOLDEN_ENTITIES)]


def changelog_topics(app: faust.App) -> list[str]:
    """The changelog topics of every table of ``app`` (this package's and the quality agents' among them).

    Create them (compacted, with the partitions of the topics feeding the tables) before a worker first
    starts: faust creates them itself while joining the group, but the partition counts it then reads may
    not show them yet, and the first write to such a table fails with ``PartitionsMismatch``, which stops
    the agent."""
    return sorted(table.changelog_topic.get_topic_name() for table in app.tables.values())


def source_routers(app: faust.App, namespace: str, catalogue: Catalogue) -> dict[str, SourceRouter]:
    """A router, with its golden-source table, for each dataset of ``catalogue`` that is an authority for a
    golden attribute (by dataset name): for the cleaning agents to route with (``routed`` in
    :func:`add_golden_agents`)."""
    return {d.name: SourceRouter(namespace, d.name, _bytes_table(
                app, f"golden-source-{d.table_stem}", f"What each {d.name} record has told the golden records"))
            for d in catalogue if any(d.authoritative.values())}


def add_golden_agents(app: faust.App, namespace: str, catalogue: Catalogue, schemas: wire.SchemaCache,
                      store: SchemaRegistrar, output: OutputProducer | None = None, routed: bool = False) -> None:
    """Add the golden merge to ``app``: a routing agent per dataset that is an authority for a golden
    attribute (unless the cleaning agents route, ``routed``: see :func:`source_routers`), a merging agent per
    golden entity, their tables, and a task creating the output topics.

    ``schemas`` decodes the clean topics; ``store`` registers the golden change schemas (on first use);
    ``output`` sends (default: the app's :meth:`~streams.output.OutputProducer.for_app`).
    Raises :class:`~streams.golden.errors.RulesMismatch` if the catalogue's ``authoritative`` lists are not
    the ones the merge rules implement."""
    check_catalogue(catalogue)
    output = output or OutputProducer.for_app(app)
    contributions = {e: _raw_topic(app, contributions_topic(namespace, e), internal=True) for e in GOLDEN_ENTITIES}
    outputs = {e: _raw_topic(app, publish.golden_topic(namespace, e), internal=True) for e in GOLDEN_ENTITIES}
    if not routed:
        routers = source_routers(app, namespace, catalogue)
        for dataset in catalogue:
            if dataset.name in routers:
                _add_router(app, dataset.topics(namespace), dataset.table_stem, routers[dataset.name], schemas, output)
    for entity in GOLDEN_ENTITIES:
        writer = RegisteredWriter(store, publish.subject(namespace, entity), publish.envelope_schema(entity))
        _add_merger(app, namespace, entity, contributions[entity], output, writer)

    async def declare_outputs() -> None:
        for topic in outputs.values():
            await topic.maybe_declare()

    app.task(declare_outputs)


def _raw_topic(app: faust.App, name: str, internal: bool = False) -> Any:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
                     internal=internal)


def _bytes_table(app: faust.App, name: str, help: str) -> Any:
    return app.Table(name, key_type=bytes, value_type=bytes, help=help, options=store_options())


def _add_router(app: faust.App, topics: Any, stem: str, router: SourceRouter, schemas: wire.SchemaCache,
                output: OutputProducer) -> None:
    """An agent routing the clean topic of ``topics`` (where the cleaning agents do not route)."""

    async def route_batch(events: list[Any]) -> None:  # events of a raw-bytes topic
        out = output.batch()
        router.begin()
        for event in events:
            try:
                _, envelope = schemas.decode(event.value)
            except WireFormatError as exc:
                _dead_letter(out, topics.dlq, event, exc.code)
                continue
            make_current(event)
            router.route(out, event, envelope)
        await out.acknowledged()
        with state_writes(output) as writes:
            router.put_states(events)
        await writes.acknowledged()

    app.agent(_raw_topic(app, topics.clean), name=f"golden_route_{stem}")(batched(route_batch))


def _add_merger(app: faust.App, namespace: str, entity: str, contributions: Any, output: OutputProducer,
                writer: RegisteredWriter) -> None:
    table = _bytes_table(app, f"golden-{entity}", f"The merge state of every golden {entity} record")
    republished: dict[bytes, int] = {}  # replays after a restart publish the latest change once
    golden_topic = publish.golden_topic(namespace, entity)

    async def merge_batch(events: list[Any]) -> None:  # events of a raw-bytes topic
        out = output.batch()
        states: dict[Where, Golden | None] = {}  # as earlier events of the batch left them
        changed: dict[Where, Any] = {}
        for event in events:
            where = (event.message.partition, event.key)
            try:
                contribution = decode_contribution(event.value)
                if where not in states:
                    make_current(event)
                    states[where] = decode_golden(read(table, event.key))
            except CorruptState as exc:
                msg = event.message
                log.error("skipping %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, exc)
                continue
            golden = states[where]
            applied = apply(golden, contribution)
            if applied.golden is not golden:
                states[where], changed[where] = applied.golden, event
            for relay in applied.relays:
                out.send(contributions_topic(namespace, relay.entity), relay.key.encode(), encode_contribution(relay))
            change = applied.change
            if change is None or (applied.replayed and republished.get(event.key) == change.revision):
                continue
            if applied.replayed:
                republished[event.key] = change.revision
            envelope = publish.envelope(change, datetime.now(timezone.utc))
            out.send(golden_topic, event.key, await writer.encode(envelope))
        await out.acknowledged()
        await write_states(table, events, changed, states, encode_golden, output)

    app.agent(contributions, name=f"golden_merge_{entity}")(batched(merge_batch))


def _dead_letter(out: OutputBatch, dlq: str, event: Any, code: str) -> None:
    """A clean-topic message that does not decode is a hub fault: keep its bytes where operators look."""
    msg = event.message
    log.error("golden: undecodable %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, code)
    headers = [("reason", code.encode()), ("source_topic", msg.topic.encode()),
               ("source_partition", str(msg.partition).encode()), ("source_offset", str(msg.offset).encode()),
               ("rejected_at_ms", str(int(time.time() * 1000)).encode())]
    out.send(dlq, event.key, event.value or b"", headers=headers)
