"""Settings of every hub component, read from the environment once at the entry point.

Each component has one frozen class with its own prefix; unknown ``HUB_*`` keys of a prefix are rejected.

=====================================  ==========================  ===============================
variable                               default                     meaning
=====================================  ==========================  ===============================
``HUB_DATA_DIR``                       ``./.hub``                  pid files, logs, chdb data, Kafka data
``HUB_CACHE_DIR``                      ``~/.cache/hub``            fetched Kafka jars
``HUB_NAMESPACE``                      ``hub``                     prefix of topics and consumer groups
``HUB_SQL_PORT``                       ``8123``                    ClickHouse-HTTP-compatible query endpoint
``HUB_STREAM_WORKERS``                 ``1``                       stream worker processes ``hub up`` starts
``HUB_KAFKA_BOOTSTRAP``                (unset: local broker)       use an existing Kafka cluster
``HUB_KAFKA_PORT``                     ``9092``                    local broker's client port
``HUB_KAFKA_CONTROLLER_PORT``          ``9093``                    local broker's KRaft controller port
``HUB_KAFKA_VERSION``                  ``4.1.1``                   Kafka fetched from Maven Central
``HUB_KAFKA_PARTITIONS``               ``4``                       partitions of the hub's topics
``HUB_CLICKHOUSE_URL``                 ``chdb://<data dir>/chdb``  ``chdb://path`` or ``http(s)://…``
``HUB_CLICKHOUSE_DATABASE``            ``hub``                     database of the analyst tables
``HUB_REGISTRY_PORT``                  ``8081``                    schema registry REST API
``HUB_REGISTRY_TOPIC``                 ``_schemas``                compacted topic holding the schemas
``HUB_SINK_BATCH_SIZE``                ``20000``                   max events per sink insert
``HUB_SINK_BATCH_BYTES``               ``16777216``                max bytes of message values per batch
``HUB_SINK_BATCH_TIMEOUT_S``           ``0.2``                     max wait to fill a sink batch
=====================================  ==========================  ===============================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, frozen=True, extra="forbid")


class HubSettings(BaseSettings):
    """Where the hub keeps its state and how it names things."""

    model_config = _config("HUB_")

    data_dir: Path = Path(".hub")
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "hub")
    namespace: str = Field(default="hub", pattern=r"^[A-Za-z0-9_.-]+$")
    sql_port: int = 8123
    sql_host: str = "127.0.0.1"
    stream_workers: int = Field(default=1, ge=1)
    """Stream worker processes of the local stack; they share the partitions (at most one worker per core
    and per partition is useful)."""

    @property
    def run_dir(self) -> Path:
        return self.data_dir.resolve() / "run"

    @property
    def log_dir(self) -> Path:
        return self.data_dir.resolve() / "logs"


class KafkaSettings(BaseSettings):
    """The Kafka cluster: an existing one (``bootstrap``) or the hub's local single-node broker."""

    model_config = _config("HUB_KAFKA_")

    bootstrap: str | None = None
    host: str = "127.0.0.1"
    port: int = 9092
    controller_port: int = 9093
    version: str = "4.1.1"
    heap: str = "512m"
    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)

    @property
    def is_local(self) -> bool:
        return self.bootstrap is None

    @property
    def bootstrap_servers(self) -> str:
        return self.bootstrap or f"{self.host}:{self.port}"


class ClickHouseSettings(BaseSettings):
    """The ClickHouse target: the embedded engine (``chdb://``) or a server (``http(s)://``)."""

    model_config = _config("HUB_CLICKHOUSE_")

    url: str | None = None
    database: str = Field(default="hub", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    username: str = "default"
    password: SecretStr = SecretStr("")

    def resolved_url(self, hub: HubSettings) -> str:
        return self.url or f"chdb://{(hub.data_dir.resolve() / 'chdb')}"

    def is_embedded(self, hub: HubSettings) -> bool:
        return self.resolved_url(hub).startswith("chdb://")


class RegistrySettings(BaseSettings):
    """The schema registry service (Confluent-compatible REST API, schemas in a compacted topic)."""

    model_config = _config("HUB_REGISTRY_")

    host: str = "127.0.0.1"
    port: int = 8081
    topic: str = "_schemas"
    url: str | None = None  # an existing registry; unset: http://<host>:<port>

    @property
    def resolved_url(self) -> str:
        return self.url or f"http://{self.host}:{self.port}"


class SinkSettings(BaseSettings):
    """Batching of the ClickHouse sink."""

    model_config = _config("HUB_SINK_")

    batch_size: int = Field(default=20_000, ge=1)
    batch_bytes: int = Field(default=16 << 20, ge=1)
    """A batch also ends once its messages' values reach this many bytes (large golden records)."""
    batch_timeout_s: float = Field(default=0.2, gt=0)


class Settings:
    """All component settings, read together from the environment at an entry point."""

    def __init__(self) -> None:
        self.hub = HubSettings()
        self.kafka = KafkaSettings()
        self.clickhouse = ClickHouseSettings()
        self.sink = SinkSettings()
        self.registry = RegistrySettings()
