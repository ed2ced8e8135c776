"""A faust app with only the golden-record and data-quality agents, for the integration tests.

``python -m tests.integration.golden_app`` runs its worker with settings from the environment (like
``python -m streams``); ``HUB_TEST_STORE`` picks the table store (default ``memory://``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import faust
from confluent_kafka.admin import AdminClient, NewTopic

from hub.catalogue import Catalogue, load_catalogue
from hub.settings import HubSettings, KafkaSettings, RegistrySettings
from hub.topics import ensure_topics, hub_topics
from hub.wire import SchemaCache
from registry.store import KafkaSchemaStore
from streams import faust_fixes, stack_dump
from streams.changelog import route_changelogs
from streams.golden.agents import add_golden_agents, changelog_topics, golden_topics_to_create
from streams.quality.agents import add_quality_agents, quality_topics_to_create
from tests.integration.stacks import dump_stacks


def create_app(hub: HubSettings, kafka: KafkaSettings, registry: RegistrySettings, catalogue: Catalogue,
               store: str = "memory://") -> faust.App:
    app = faust.App(f"{hub.namespace}-golden", broker=f"kafka://{kafka.bootstrap_servers}", store=store,
                    datadir=str(hub.data_dir.resolve() / "golden-streams"), web_enabled=False,
                    topic_partitions=kafka.partitions, topic_replication_factor=kafka.replication_factor,
                    producer_acks=-1, producer_linger_ms=5,
                    # A killed worker's partitions move to its replacement after 10 s rather than 60 s.
                    broker_session_timeout=10.0, broker_heartbeat_interval=1.0)
    faust_fixes.install(app)  # as the hub's worker does (streams.app)
    schemas = KafkaSchemaStore(kafka.bootstrap_servers, registry.topic)
    add_golden_agents(app, hub.namespace, catalogue, SchemaCache(schemas.schema), schemas)
    add_quality_agents(app, hub.namespace, catalogue, SchemaCache(schemas.schema), schemas,
                       tick_s=float(os.environ.get("HUB_TEST_QUALITY_TICK_S", "2")))
    route_changelogs(app.tables.values())  # as the hub's worker does
    return app


def create_topics(kafka: KafkaSettings, hub: HubSettings, catalogue: Catalogue) -> None:
    """Every topic the app reads or writes, created before its worker first starts (changelogs compacted)."""
    ns = hub.namespace
    ensure_topics(kafka, [*hub_topics(catalogue, ns), *golden_topics_to_create(ns), *quality_topics_to_create(ns)])
    changelogs = changelog_topics(create_app(hub, kafka, RegistrySettings(), catalogue))
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap_servers})
    new = [NewTopic(n, num_partitions=kafka.partitions, replication_factor=kafka.replication_factor,
                    config={"cleanup.policy": "compact"}) for n in changelogs]
    for future in admin.create_topics(new, operation_timeout=30).values():
        future.result()


@contextmanager
def golden_worker(kafka: KafkaSettings, hub: HubSettings,
                  store: str = "memory://") -> Iterator[subprocess.Popen[bytes]]:
    """This module's worker in a subprocess, its log in the data dir; terminated on exit (if still running)."""
    env = dict(os.environ, HUB_KAFKA_BOOTSTRAP=kafka.bootstrap_servers, HUB_NAMESPACE=hub.namespace,
               HUB_DATA_DIR=str(hub.data_dir), HUB_KAFKA_PARTITIONS=str(kafka.partitions),
               HUB_LOG_LEVEL=os.environ.get("HUB_TEST_LOG_LEVEL", "warn"),
               HUB_TEST_STORE=store)
    hub.data_dir.mkdir(parents=True, exist_ok=True)
    with open(Path(hub.data_dir) / "golden-worker.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tests.integration.golden_app"], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            yield proc
        except BaseException:
            dump_stacks(proc)
            raise
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)


def main() -> None:
    stack_dump.install()
    app = create_app(HubSettings(), KafkaSettings(), RegistrySettings(), load_catalogue(),
                     os.environ.get("HUB_TEST_STORE", "memory://"))
    sys.argv = [sys.argv[0], "worker", "--without-web", "-l", os.environ.get("HUB_LOG_LEVEL", "warn")]
    app.main()


if __name__ == "__main__":
    main()
