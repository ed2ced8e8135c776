"""``hub up`` / ``hub down`` / ``hub status``: the local stack as background processes.

Kafka (unless ``HUB_KAFKA_BOOTSTRAP`` names an existing cluster), the schema registry, the faust stream
processors and the ClickHouse sink, which on the embedded engine also serves the query endpoint. Each child process gets the
parent's settings through its environment.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass

import httpx

from hub.catalogue import Catalogue
from hub.errors import HubError
from hub.local.kafka import LocalKafka, broker_answers
from hub.local.process import Proc
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, RegistrySettings
from hub.topics import ensure_topics, hub_topics
from monitor.settings import MonitorSettings
from producers.gateway.settings import GatewaySettings


@dataclass(frozen=True)
class Stack:
    hub: HubSettings
    kafka: KafkaSettings
    clickhouse: ClickHouseSettings
    registry: RegistrySettings
    gateway: GatewaySettings
    monitor: MonitorSettings
    catalogue: Catalogue

    SERVICES = (("registry", "registry"), ("streams", "streams"), ("sink", "sinks"),
                ("gateway", "producers.gateway"), ("monitor", "monitor"))  # (name, module), started in this order

    @property
    def services(self) -> tuple[tuple[str, str], ...]:
        """:attr:`SERVICES` with a ``streams-<n>`` for each stream worker after the first (``HUB_STREAM_WORKERS``)
        and for any such worker still running from an earlier ``hub up`` with more of them (``down`` stops it)."""
        running = {int(m[1]) for f in self.hub.run_dir.glob("streams-*.pid")
                   if (m := _WORKER.fullmatch(f.stem)) and self._proc(f.stem).pid() is not None}
        extra = tuple((f"streams-{n}", "streams") for n in sorted(running | set(range(2, self.hub.stream_workers + 1))))
        registry, streams, *rest = self.SERVICES
        return (registry, streams, *extra, *rest)

    def _service_env(self, name: str, env: dict[str, str]) -> dict[str, str]:
        """A worker after the first keeps its RocksDB tables in a data dir of its own."""
        if name.startswith("streams-"):
            return {**env, "HUB_DATA_DIR": str(self.hub.data_dir.resolve() / "workers" / name)}
        return env

    @property
    def local_kafka(self) -> LocalKafka:
        return LocalKafka(self.kafka, self.hub)

    def _proc(self, name: str) -> Proc:
        return Proc(name, self.hub.run_dir, self.hub.log_dir)

    @property
    def sql_url(self) -> str:
        return f"http://{self.hub.sql_host}:{self.hub.sql_port}"

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "HUB_DATA_DIR": str(self.hub.data_dir.resolve()),
            "HUB_CACHE_DIR": str(self.hub.cache_dir),
            "HUB_NAMESPACE": self.hub.namespace,
            "HUB_SQL_HOST": self.hub.sql_host,
            "HUB_SQL_PORT": str(self.hub.sql_port),
            "HUB_KAFKA_BOOTSTRAP": self.kafka.bootstrap_servers,
            "HUB_KAFKA_PARTITIONS": str(self.kafka.partitions),
            "HUB_CLICKHOUSE_URL": self.clickhouse.resolved_url(self.hub),
            "HUB_CLICKHOUSE_DATABASE": self.clickhouse.database,
            "HUB_REGISTRY_HOST": self.registry.host,
            "HUB_REGISTRY_PORT": str(self.registry.port),
            "HUB_REGISTRY_TOPIC": self.registry.topic,
            "HUB_GATEWAY_HOST": self.gateway.host,
            "HUB_GATEWAY_PORT": str(self.gateway.port),
            "HUB_MONITOR_HOST": self.monitor.host,
            "HUB_MONITOR_PORT": str(self.monitor.port),
        })
        env.pop("HUB_KAFKA_PORT", None)
        env.pop("HUB_KAFKA_CONTROLLER_PORT", None)
        return env

    def up(self, timeout_s: float = 120.0) -> dict[str, str]:
        """Start whatever is not running yet and return the endpoints."""
        if self.kafka.is_local:
            self.local_kafka.start()
        elif not broker_answers(self.kafka.bootstrap_servers):
            raise HubError(f"no Kafka broker answers at HUB_KAFKA_BOOTSTRAP={self.kafka.bootstrap_servers}")
        ensure_topics(self.kafka, hub_topics(self.catalogue, self.hub.namespace))
        env = self.child_env()
        for name, module in self.services:
            proc = self._proc(name)
            if proc.pid() is None:
                proc.start([sys.executable, "-m", module], env=self._service_env(name, env))
        self._wait_for("registry", f"{self.registry_url}/", timeout_s)
        self._wait_for("gateway", f"{self.gateway_url}/healthz", timeout_s)
        self._wait_for("monitor", f"{self.monitor_url}/healthz", timeout_s)
        if self.clickhouse.is_embedded(self.hub):
            self._wait_for("sink", f"{self.sql_url}/ping", timeout_s)
        return self.endpoints()

    @property
    def monitor_url(self) -> str:
        return f"http://{self.monitor.host}:{self.monitor.port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway.host}:{self.gateway.port}"

    @property
    def registry_url(self) -> str:
        return f"http://{self.registry.host}:{self.registry.port}"

    def _wait_for(self, name: str, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            if _answers(url):
                return
            time.sleep(0.2)
        raise HubError(f"{name} did not answer on {url}; see {self._proc(name).log_file}")

    def check_alive(self) -> None:
        """Raise :class:`HubError` with the log tail of any service that has died."""
        for name, _ in self.services:
            proc = self._proc(name)
            if proc.exited():
                raise HubError(f"{name} has exited; last log lines:\n{proc.log_tail()}\n(log: {proc.log_file})")

    def endpoints(self) -> dict[str, str]:
        out = {"kafka": self.kafka.bootstrap_servers, "registry": self.registry_url, "gateway": self.gateway_url,
               "monitor": self.monitor_url,
               "clickhouse": self.clickhouse.resolved_url(self.hub)}
        if self.clickhouse.is_embedded(self.hub):
            out["sql"] = self.sql_url
        out["logs"] = str(self.hub.log_dir)
        return out

    def down(self) -> list[str]:
        """Stop the services in reverse order; returns the names of those that were running."""
        stopped = [name for name, _ in reversed(self.services) if self._proc(name).stop()]
        if self.kafka.is_local and self.local_kafka.stop():
            stopped.append("kafka")
        return stopped

    def status(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        if self.kafka.is_local:
            out["kafka"] = self.local_kafka.status()
        else:
            out["kafka"] = {"bootstrap": self.kafka.bootstrap_servers,
                            "answers": broker_answers(self.kafka.bootstrap_servers, 3.0)}
        for name, _ in self.services:
            out[name] = {"pid": self._proc(name).pid(), "log": str(self._proc(name).log_file)}
        out["registry"].update(url=self.registry_url, answers=_answers(f"{self.registry_url}/"))
        out["gateway"].update(url=self.gateway_url, answers=_answers(f"{self.gateway_url}/healthz"))
        out["monitor"].update(url=self.monitor_url, answers=_answers(f"{self.monitor_url}/healthz"))
        if self.clickhouse.is_embedded(self.hub):
            out["sink"].update(sql=self.sql_url, answers=_answers(f"{self.sql_url}/ping"))
        return out


_WORKER = re.compile(r"streams-(\d+)")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False
