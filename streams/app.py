"""The faust application: one cleaning agent per dataset, raw topic → clean topic, rejects → DLQ topic.

Tables (changelog-backed, so state survives a worker restart; on RocksDB through ``rocksdict``, see
:func:`default_store`):

* ``<dataset>-keys`` per dataset — key → :class:`streams.ordering.KeyState` (dedup window, current version),
  partitioned like the dataset's raw topic;
* ``citizen-births`` (global: every worker holds all of it) — CCCD → date of birth of the key's current
  ``population.citizen`` record, fed by the citizen agent and read by the civil-status agent.

Every table's changelog records go through the worker's confluent producer (:mod:`streams.changelog`).

Ordering caveat of ``death_before_birth``: the two agents read different topics at their own pace, so a
death processed before its subject's citizen record (or while it is still in an unacknowledged batch)
cannot be checked. Such a death is **accepted** — as the rule says for a subject the register does not
know — rather than held back: holding would need a bound on how long to wait for a record that may never
come, and would stall the civil-status partition behind it.
"""

from __future__ import annotations

import importlib.util
import logging

import faust
from faust.types.tables import CollectionT, GlobalTableT

from hub.catalogue import Catalogue, Dataset
from hub.settings import HubSettings, KafkaSettings, RegistrySettings
from hub.wire import SchemaCache
from registry.store import KafkaSchemaStore
from streams import faust_fixes
from streams.agent import CleaningAgent
from streams.changelog import route_changelogs
from streams.clean_schema import clean_envelope_schema, clean_subject
from streams.output import OutputProducer
from streams.processor import DatasetProcessor
from hub.topics import ensure_topics
from streams.golden.agents import add_golden_agents, changelog_topics, golden_topics_to_create, source_routers
from streams.golden.router import SourceRouter
from streams.quality.agents import add_quality_agents, quality_topics_to_create, tap as quality_tap
from streams.quality.tap import QualityTap
from streams.tables import share_memory, store_options
from streams.topics import ensure_compacted_topics

log = logging.getLogger("hub.streams")


def default_store() -> str:
    """faust's RocksDB store (``rocksdb://``, which uses the ``rocksdict`` binding when python-rocksdb is not
    installed; ``rocksdict://`` is not a store URL faust knows), or memory when ``rocksdict`` is missing. Either
    way the tables are backed by changelog topics: in memory they are replayed whole at every start, on local
    RocksDB only the changelog's tail is."""
    if importlib.util.find_spec("rocksdict") is None:
        log.warning("rocksdict is not installed: faust tables are kept in memory and replayed at every start")
        return "memory://"
    return "rocksdb://"


def create_app(hub: HubSettings, kafka: KafkaSettings, registry: RegistrySettings, catalogue: Catalogue,
               store: str | None = None, golden: bool = True) -> faust.App:
    """The worker's app; registers every dataset's clean schema first (raises the registry's errors).

    With ``golden`` (the default) it also runs the golden-record merge and the data-quality windows
    (:mod:`streams.golden`, :mod:`streams.quality`). The cleaning agents then route what they accept to the
    golden merge (:mod:`streams.golden.router`) and take the quality observations of the raw and clean stages
    (:mod:`streams.quality.tap`) themselves, so no agent reads the clean topics again."""
    datadir = hub.data_dir.resolve() / "streams"
    datadir.mkdir(parents=True, exist_ok=True)  # faust makes only the last level
    app = faust.App(
        f"{hub.namespace}-streams",
        broker=f"kafka://{kafka.bootstrap_servers}",
        store=store or default_store(),
        datadir=str(datadir),
        web_enabled=False,
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication_factor,
        processing_guarantee="at_least_once",  # see streams.agent for why not exactly_once
        producer_acks=-1,
        producer_linger_ms=5,
        broker_max_poll_records=5000,
        broker_session_timeout=10.0,  # a killed worker's partitions move on after 10 s, not 60
        broker_heartbeat_interval=2.0,
        stream_buffer_maxsize=20_000,
    )
    faust_fixes.install(app)  # faust would commit offsets it skipped at a rebalance
    share_memory()  # one bounded block cache and memtable budget for every table partition's RocksDB
    schema_store = KafkaSchemaStore(kafka.bootstrap_servers, registry.topic)
    schemas = SchemaCache(schema_store.schema)
    output = OutputProducer.for_app(app)
    births = app.GlobalTable("citizen-births", key_type=bytes, value_type=bytes, partitions=kafka.partitions,
                             options=store_options())
    tables: list[CollectionT] = [births]
    routers = source_routers(app, hub.namespace, catalogue) if golden else {}
    for dataset in catalogue:
        clean_schema = clean_envelope_schema(dataset)
        schema_id = schema_store.register(clean_subject(dataset, hub.namespace), clean_schema)
        processor = DatasetProcessor(dataset, schemas, schema_id, clean_schema)
        tap = quality_tap(app, hub.namespace, dataset) if golden else None
        tables.append(_add_cleaning_agent(app, output, hub.namespace, kafka.partitions, dataset, processor, births,
                                          tap, routers.get(dataset.name)))
    if golden:
        add_golden_agents(app, hub.namespace, catalogue, schemas, schema_store, output, routed=True)
        add_quality_agents(app, hub.namespace, catalogue, schemas, schema_store, output=output, tapped=True)
        ensure_topics(kafka, [*golden_topics_to_create(hub.namespace), *quality_topics_to_create(hub.namespace)])
    ensure_compacted_topics(kafka, sorted({t.changelog_topic.get_topic_name() for t in tables} | set(
        changelog_topics(app))))
    route_changelogs(app.tables.values())
    return app


def _add_cleaning_agent(app: faust.App, output: OutputProducer, namespace: str, partitions: int, dataset: Dataset,
                        processor: DatasetProcessor, births: GlobalTableT, tap: QualityTap | None,
                        router: SourceRouter | None) -> CollectionT:
    """Declares the dataset's topics, key-state table and agent; returns the table."""
    topics = dataset.topics(namespace)
    raw = app.topic(topics.raw, key_serializer="raw", value_serializer="raw")
    keys = app.Table(f"{dataset.table_stem}-keys", key_type=bytes, value_type=bytes, partitions=partitions,
                     options=store_options())
    agent = CleaningAgent(processor, output, topics.clean, topics.dlq, keys, births,
                          feeds_births=dataset.name == "population.citizen", tap=tap, router=router)
    app.agent(raw, name=f"clean_{dataset.table_stem}")(agent.run)
    return keys
