"""Wiring of the gateway: settings → catalogue, SDK producer, tokens file → ASGI app → uvicorn.

``python -m producers.gateway`` (or ``hub gateway run``) reads the environment once (``HUB_*``,
``HUB_KAFKA_*``, ``HUB_REGISTRY_*``, ``HUB_GATEWAY_*``) and serves until interrupted. :class:`GatewayServer`
runs an app in a background thread, for tests and tools that need the gateway inside their own process.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

import uvicorn

from hub.catalogue import load_catalogue
from hub.errors import HubError
from hub.settings import Settings
from producers.gateway.app import GatewayApp
from producers.gateway.auth import TokenFile, read_tokens
from producers.gateway.settings import GatewaySettings
from producers.sdk import DeliveryPolicy, HubProducer

log = logging.getLogger(__name__)


def serve(settings: Settings, gateway: GatewaySettings) -> None:
    """Serve in the foreground. Without tokens every request gets 401 until one is added (the file is
    re-read when it changes), so `hub up` can start the gateway before any ministry has a token."""
    tokens = gateway.resolved_tokens_file(settings.hub)
    if not read_tokens(tokens):
        log.warning("no gateway tokens in %s yet: every request gets 401 until `hub gateway tokens add "
                    "<MINISTRY>` creates one", tokens)
    catalogue = load_catalogue()
    producer = HubProducer.connect(settings, system=gateway.system, catalogue=catalogue,
                                   policy=DeliveryPolicy(delivery_timeout_s=gateway.delivery_timeout_s))
    closed = threading.Event()

    def close() -> None:  # from the app's shutdown (uvicorn re-raises SIGTERM after it) or below, once
        if not closed.is_set():
            closed.set()
            report = producer.close()
            log.info("gateway stopped: %d acknowledged, %d in the spool", report.acknowledged, report.backlog)

    app = GatewayApp(catalogue, producer, TokenFile(tokens), gateway, on_shutdown=close)
    log.info("ingest gateway on http://%s:%s (namespace %s, Kafka %s, tokens %s)", gateway.host, gateway.port,
             settings.hub.namespace, settings.kafka.bootstrap_servers, tokens)
    try:
        uvicorn.run(app, host=gateway.host, port=gateway.port, log_level="info")
    finally:
        close()


class GatewayServer:
    """An app served by uvicorn on ``host:port`` in a background thread."""

    def __init__(self, app: GatewayApp, host: str, port: int) -> None:
        self.url = f"http://{host}:{port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 30.0) -> GatewayServer:
        self._thread = threading.Thread(target=self._server.run, name="gateway-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise HubError(f"the gateway's HTTP server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def run() -> None:
    """``python -m producers.gateway``: settings from the environment, logs to stderr."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(Settings(), GatewaySettings())
    except HubError as exc:
        log.error("%s", exc)
        sys.exit(2)
