"""Data-quality metrics as faust agents (wiring only; the logic is :mod:`.aggregate` and :mod:`.windows`).

::

    <ns>.<dataset>.raw   ─┐ observe (per batch: stats per dataset,
    <ns>.<dataset>.clean ─┼─ system and minute)  ──▶ <ns>.quality.news ──combine──▶ <ns>.quality
    <ns>.<dataset>.dlq   ─┘                          (keyed dataset|system;         (QualityWindow, Avro,
                                                     table quality-windows)         registered)

In the hub's worker the cleaning agents observe the raw and clean stages as they clean (:mod:`.tap`), so
only the dead-letter topics have observers there (``tapped``).

Every worker observes the partitions it owns and sends its partial stats; the combining agent owns each
(dataset, system) on one partition, keeps its open windows in a faust table (changelog-backed) and
publishes a window once it is due (:func:`.windows.accept`). A timer sends every kept key a tick of the
wall clock, so the last minute of a source that went quiet is published too.

Counting is exact within a worker's life: an observer remembers the offsets it has counted since its last
commit (:class:`.seen.Seen`), so messages read again after a seek or a rebalance that kept their partition
are not counted twice, and the combiner's state holds the offset of the last news it merged
(:func:`.windows.apply_news`). It is at least once across a crash or a partition moving to another worker:
the new reader counts again what was counted but not committed. Every agent here works in batches
(:func:`streams.agent.batched`) and sends through the worker's one producer (:mod:`streams.output`): a batch
waits until all its output is acknowledged before the combiner writes its table, and faust commits the
batch's offsets after that.
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

import faust

from hub import wire
from hub.catalogue import Catalogue, Dataset
from hub.errors import WireFormatError
from streams.agent import batched, write_states
from streams.changelog import make_current
from streams.golden.base import RegisteredWriter, SchemaRegistrar
from streams.quality import publish
from streams.quality.aggregate import Observation, WindowStats, field_paths, observe_envelope, summarize
from streams.quality.codec import decode_news, decode_state, encode_news, encode_state
from streams.quality.errors import CorruptQualityState
from streams.quality.seen import Seen
from streams.quality.tap import QualityTap
from streams.quality.windows import GRACE_MS, QualityState, Tick, apply_news
from streams.output import OutputProducer
from streams.tables import read, store_options

log = logging.getLogger("hub.streams.quality")


def news_topic(namespace: str) -> str:
    return f"{namespace}.quality.news"


def quality_topics_to_create(namespace: str) -> list[str]:
    """The quality agents' topics (output and internal): create them before the worker starts, like
    :func:`streams.golden.agents.golden_topics_to_create`."""
    return [publish.quality_topic(namespace), news_topic(namespace)]


def add_quality_agents(app: faust.App, namespace: str, catalogue: Catalogue, schemas: wire.SchemaCache,
                       store: SchemaRegistrar, tick_s: float = 5.0, grace_ms: int = GRACE_MS,
                       output: OutputProducer | None = None, tapped: bool = False) -> None:
    """Add to ``app`` an observing agent per raw, clean and dead-letter topic of every dataset, the combining
    agent with its table, a timer ticking every ``tick_s`` seconds, and a task creating the output topic.

    ``schemas`` decodes the datasets' topics; ``store`` registers the quality record schema (on first use);
    ``output`` sends (default: the app's :meth:`~streams.output.OutputProducer.for_app`). ``tapped``: the
    app's cleaning agents observe the raw and clean stages (:func:`tap`), so only the dead-letter topics
    get observers."""
    output = output or OutputProducer.for_app(app)
    news_name = news_topic(namespace)
    news = _raw_topic(app, news_name, internal=True)
    quality = _raw_topic(app, publish.quality_topic(namespace), internal=True)
    paths = {d.name: field_paths(d.record_schema) for d in catalogue}
    for dataset in catalogue:
        topics = dataset.topics(namespace)
        stages = (("dlq", topics.dlq),) if tapped else (("raw", topics.raw), ("clean", topics.clean),
                                                         ("dlq", topics.dlq))
        for stage, topic in stages:
            _add_observer(app, dataset, stage, _raw_topic(app, topic), schemas, paths[dataset.name], output,
                          news_name)
    writer = RegisteredWriter(store, publish.subject(namespace), publish.schema())
    table = _add_combiner(app, news, publish.quality_topic(namespace), output, writer, paths, grace_ms)

    async def tick() -> None:
        now = Tick(int(time.time() * 1000))
        out = output.batch()
        for key in list(table.keys()):
            out.send(news_name, key, encode_news(now))
        await out.acknowledged()

    app.timer(tick_s, name="quality_tick")(tick)

    async def declare_output() -> None:
        await quality.maybe_declare()

    app.task(declare_output)


def tap(app: faust.App, namespace: str, dataset: Dataset) -> QualityTap:
    """The quality tap of ``dataset``'s cleaning agent in ``app`` (see ``tapped`` in :func:`add_quality_agents`)."""
    return QualityTap(dataset.name, dataset.record_schema, news_topic(namespace),
                      lambda: cast(Any, app.consumer)._committed_offset)


def _add_combiner(app: faust.App, news: Any, quality_topic: str, output: OutputProducer, writer: RegisteredWriter,
                  paths: dict[str, tuple[str, ...]], grace_ms: int) -> Any:
    """The agent combining every worker's stats per (dataset, system); returns its table."""
    table = app.Table("quality-windows", key_type=bytes, value_type=bytes, options=store_options(),
                      help="Open and recent windows of every dataset and source system")

    async def combine_batch(events: list[Any]) -> None:  # events of a raw-bytes topic
        out = output.batch()
        states: dict[tuple[int, bytes], QualityState] = {}  # as earlier events of the batch left them
        changed: dict[tuple[int, bytes], Any] = {}
        for event in events:
            where = (event.message.partition, event.key)
            try:
                item = decode_news(event.value)
                if where not in states:
                    make_current(event)
                    states[where] = decode_state(read(table, event.key))
            except CorruptQualityState as exc:
                msg = event.message
                log.error("skipping %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, exc)
                continue
            state = states[where]
            dataset = event.key.decode(errors="replace").split("|", 1)[0]
            accepted = apply_news(state, event.message.offset, item, paths.get(dataset, ()), grace_ms)
            if accepted is None:  # read again after a crash or a seek: already in the state
                continue
            if accepted.state != state:
                states[where], changed[where] = accepted.state, event
            if accepted.late is not None:
                _report_late(accepted.late)
            for record in accepted.publish:
                out.send(quality_topic, publish.message_key(record), await writer.encode(publish.to_avro(record)))
        await out.acknowledged()
        await write_states(table, events, changed, states, encode_state, output)

    app.agent(news, name="quality_combine")(batched(combine_batch))
    return table


def _report_late(late: WindowStats) -> None:
    log.warning("quality: news for %s/%s at %d came after its window was dropped (%d raw, %d clean, %d dead letters "
                "not counted)", late.dataset, late.system, late.start_ms, late.received, late.valid,
                sum(n for _, n in late.rejected))


def _raw_topic(app: faust.App, name: str, internal: bool = False) -> Any:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
                     internal=internal)


def _add_observer(app: faust.App, dataset: Dataset, stage: str, topic: Any, schemas: wire.SchemaCache,
                  paths: tuple[str, ...], output: OutputProducer, news: str) -> None:
    def observe(event: Any) -> Observation:
        try:
            _, envelope = schemas.decode(event.value)
        except WireFormatError:
            envelope = None
        reason = _header(event.headers, "reason") if stage == "dlq" else None
        return observe_envelope(dataset.name, stage, int(event.message.timestamp * 1000), envelope, paths, reason)

    seen = Seen()

    async def observe_batch(events: list[Any]) -> None:  # events of a raw-bytes topic
        where = [(e.message.tp, e.message.offset) for e in events]
        fresh = [i for i, new in enumerate(seen.fresh(where)) if new]
        out = output.batch()
        for stats in summarize(observe(events[i]) for i in fresh):
            out.send(news, f"{stats.dataset}|{stats.system}".encode(), encode_news(stats))
        await out.acknowledged()
        seen.counted([where[i] for i in fresh], cast(Any, app.consumer)._committed_offset)

    app.agent(topic, name=f"quality_{stage}_{dataset.table_stem}")(batched(observe_batch, within_s=1.0))


def _header(headers: Any, name: str) -> str | None:
    pairs = headers.items() if isinstance(headers, dict) else headers or ()
    for key, value in pairs:
        if key == name:
            return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
    return None
