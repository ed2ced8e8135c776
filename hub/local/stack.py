"""``hub up`` / ``hub down`` / ``hub status``: the local stack as background processes.

Kafka (unless ``HUB_KAFKA_BOOTSTRAP`` names an existing cluster), the faust stream processors and the
ClickHouse sink, which on the embedded engine also serves the query endpoint. Each child process gets the
parent's settings through its environment.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import httpx

from hub.catalogue import Catalogue
from hub.errors import HubError
from hub.local.kafka import LocalKafka, broker_answers
from hub.local.process import Proc
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics


@dataclass(frozen=True)
class Stack:
    hub: HubSettings
    kafka: KafkaSettings
    clickhouse: ClickHouseSettings
    catalogue: Catalogue

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
        for name, module in (("streams", "streams"), ("sink", "sinks")):
            proc = self._proc(name)
            if proc.pid() is None:
                proc.start([sys.executable, "-m", module], env=env)
        self._wait_sink(timeout_s)
        return self.endpoints()

    def _wait_sink(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        sink = self._proc("sink")
        while time.monotonic() < deadline:
            self.check_alive()
            if not self.clickhouse.is_embedded(self.hub) or _answers(self.sql_url):
                return
            time.sleep(0.2)
        raise HubError(f"the sink's query endpoint did not answer on {self.sql_url}; see {sink.log_file}")

    def check_alive(self) -> None:
        """Raise :class:`HubError` with the log tail of any service that has died."""
        for name in ("streams", "sink"):
            proc = self._proc(name)
            if proc.exited():
                raise HubError(f"{name} has exited; last log lines:\n{proc.log_tail()}\n(log: {proc.log_file})")

    def endpoints(self) -> dict[str, str]:
        out = {"kafka": self.kafka.bootstrap_servers, "clickhouse": self.clickhouse.resolved_url(self.hub)}
        if self.clickhouse.is_embedded(self.hub):
            out["sql"] = self.sql_url
        out["logs"] = str(self.hub.log_dir)
        return out

    def down(self) -> list[str]:
        """Stop the services in reverse order; returns the names of those that were running."""
        stopped = [name for name in ("sink", "streams") if self._proc(name).stop()]
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
        for name in ("streams", "sink"):
            out[name] = {"pid": self._proc(name).pid(), "log": str(self._proc(name).log_file)}
        if self.clickhouse.is_embedded(self.hub):
            out["sink"]["sql"] = self.sql_url
            out["sink"]["answers"] = _answers(self.sql_url)
        return out


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False
