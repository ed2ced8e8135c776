"""``python -m sinks`` runs the ClickHouse sink (and, on the embedded engine, the query endpoint)."""

from __future__ import annotations

import logging
import signal
import threading

from hub.catalogue import load_catalogue
from hub.clickhouse import connect
from hub.errors import KafkaError
from hub.topics import ensure_topics
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, RegistrySettings, SinkSettings
from hub.wire import SchemaCache
from monitor.metrics import serve_sink_metrics
from monitor.settings import SinkMetricsSettings
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from sinks.consumer import KafkaSink
from sinks.query_server import QueryServer
from sinks.targets import sink_topics


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    hub, kafka, ch, sink_settings = HubSettings(), KafkaSettings(), ClickHouseSettings(), SinkSettings()
    catalogue = load_catalogue()
    # The golden and quality topics are the stream processors' to create; the sink may start first. Where it
    # may not create topics, it subscribes anyway and notices them once they exist.
    try:
        ensure_topics(kafka, sink_topics(hub.namespace))
    except KafkaError as exc:
        logging.getLogger("hub.sink").warning("cannot create the golden and quality topics: %s", exc)
    writer = ClickHouseWriter(connect(ch, hub), ch.database, catalogue)
    writer.ensure_tables()
    server = None
    if ch.is_embedded(hub):
        server = QueryServer(writer, hub.sql_host, hub.sql_port)
        server.start()
        logging.getLogger("hub.sink").info("query endpoint on http://%s:%d", hub.sql_host, hub.sql_port)
    stop = threading.Event()
    where = SinkMetricsSettings()
    metrics = serve_sink_metrics(where.host, where.port)
    sink = KafkaSink(kafka.bootstrap_servers, f"{hub.namespace}-sink", hub.namespace, catalogue, writer,
                     SchemaCache(KafkaSchemaStore(kafka.bootstrap_servers, RegistrySettings().topic).schema, raw_times=True),
                     sink_settings, stop=stop, on_insert=metrics.observe)
    metrics.watch(sink.stats)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        sink.run()
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
