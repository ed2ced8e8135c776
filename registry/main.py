"""Wiring of the registry service: settings -> Kafka log -> registry -> ASGI app -> uvicorn.

``python -m registry`` reads the environment once (``HUB_KAFKA_*``, ``HUB_REGISTRY_*``, see
:mod:`registry.settings`) and serves until interrupted. :class:`RegistryServer` runs the same service in a
thread, for tests and tools that need a registry inside their own process.
"""

from __future__ import annotations

import logging
import threading
import time
import uvicorn

from hub.settings import HubSettings, KafkaSettings
from registry.app import RegistryApp
from registry.checker import compatibility_checker
from registry.errors import StoreError
from registry.log import KafkaLog
from registry.service import Registry
from registry.settings import RegistryServiceSettings

log = logging.getLogger(__name__)


def kafka_registry(kafka: KafkaSettings, settings: RegistryServiceSettings) -> Registry:
    """A registry over the schemas topic; not started."""
    log_ = KafkaLog(kafka.bootstrap_servers, settings.topic, timeout_s=settings.timeout_s,
                    replication_factor=kafka.replication_factor)
    return Registry(log_, compatibility_checker, leader=settings.leader)


class RegistryServer:
    """The service on ``settings.host:settings.port``, in a background thread."""

    def __init__(self, kafka: KafkaSettings, settings: RegistryServiceSettings) -> None:
        self.settings = settings
        self.registry = kafka_registry(kafka, settings)
        app = RegistryApp(self.registry, settings.leader_url, forward_timeout_s=settings.timeout_s)
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    def start(self, timeout_s: float = 60.0) -> RegistryServer:
        """Read the topic to its end, then serve; returns once the port accepts requests."""
        self.registry.start()
        self._thread = threading.Thread(target=self._server.run, name="registry-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.registry.close()
                raise StoreError(f"the registry's HTTP server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.registry.close()

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run() -> None:
    """Serve in the foreground with settings from the environment."""
    hub, kafka, settings = HubSettings(), KafkaSettings(), RegistryServiceSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    registry = kafka_registry(kafka, settings).start()
    role = "leader" if settings.leader else f"follower of {settings.leader_url or '(no leader URL)'}"
    log.info("schema registry (%s, data dir %s) on topic %s of %s", role, hub.data_dir, settings.topic,
             kafka.bootstrap_servers)
    try:
        uvicorn.run(RegistryApp(registry, settings.leader_url, settings.timeout_s), host=settings.host,
                    port=settings.port, log_level="info", lifespan="off")
    finally:
        registry.close()
