"""Wiring of the monitor service (``python -m monitor``): settings → readers → threads → web server."""

from __future__ import annotations

import logging

import uvicorn

from hub.catalogue import Catalogue, load_catalogue
from hub.settings import Settings
from monitor.history import History
from monitor.offsets import OffsetReader
from monitor.probe import CanaryProbe, LandingReader
from hub.probe_marks import PROBE_SYSTEM
from monitor.sampler import LagSampler
from monitor.service import Monitor
from monitor.settings import MonitorSettings
from monitor.store import ObservationStore
from monitor.tables import SqlSource, TableReader
from monitor.web import create_web_app


def lag_sampler(settings: Settings, mon: MonitorSettings, catalogue: Catalogue) -> LagSampler:
    """The sampler shared by the service and ``hub lag`` (same store, same window)."""
    hub = settings.hub
    return LagSampler(OffsetReader(settings.kafka.bootstrap_servers),
                      ObservationStore(MonitorSettings.store_path(hub.data_dir)), hub.namespace, mon.window,
                      max_age_s=mon.window * mon.sample_interval_s * 2,
                      topics=Monitor.topics(catalogue, hub.namespace))


def build_monitor(settings: Settings, mon: MonitorSettings, catalogue: Catalogue) -> Monitor:
    sql = SqlSource(settings.hub, settings.clickhouse)
    probe = None
    if mon.probe_interval_s > 0:
        from producers.sdk import HubProducer
        from registry.store import KafkaSchemaStore

        bootstrap = settings.kafka.bootstrap_servers
        producer = HubProducer(bootstrap, settings.hub.namespace, catalogue,
                               KafkaSchemaStore(bootstrap, settings.registry.topic), system=PROBE_SYSTEM)
        datasets = [catalogue.get(n).name for n in mon.probed] if mon.probed else [d.name for d in catalogue]
        probe = CanaryProbe(producer, LandingReader(sql, catalogue), datasets,
                            settings.kafka.partitions, mon.probe_timeout_s)
    return Monitor(settings.hub.namespace, catalogue, lag_sampler(settings, mon, catalogue),
                   TableReader(sql, catalogue, mon.quality_table), History(mon.history_points),
                   mon.sample_interval_s, probe, mon.probe_interval_s)


def serve(settings: Settings, mon: MonitorSettings) -> None:
    """Run the service in the foreground until SIGINT/SIGTERM."""
    monitor = build_monitor(settings, mon, load_catalogue())
    monitor.start()
    log = logging.getLogger("hub.monitor")
    log.info("dashboard on %s (namespace %s)", mon.url, settings.hub.namespace)
    try:
        uvicorn.run(create_web_app(monitor), host=mon.host, port=mon.port, log_level="warning")
    finally:
        monitor.stop()
        monitor.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per query every few seconds otherwise
    serve(Settings(), MonitorSettings())
