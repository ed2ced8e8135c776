"""Settings of the monitor service (prefix ``HUB_MONITOR_``), read once at its entry point.

=================================  ================  =======================================================
variable                           default           meaning
=================================  ================  =======================================================
``HUB_MONITOR_HOST``               ``127.0.0.1``     where the dashboard, ``/api/*`` and ``/metrics`` listen
``HUB_MONITOR_PORT``               ``8090``          their port
``HUB_MONITOR_SAMPLE_INTERVAL_S``  ``5``             seconds between offset samples (and ClickHouse reads)
``HUB_MONITOR_WINDOW``             ``10``            observations per partition a status is judged on
``HUB_MONITOR_PROBE_INTERVAL_S``   ``10``            seconds between canary rounds; ``0`` turns the probe off
``HUB_MONITOR_PROBE_DATASETS``     (all)             comma-separated datasets to probe
``HUB_MONITOR_PROBE_TIMEOUT_S``    ``120``           a canary not visible in ClickHouse by then is lost
``HUB_MONITOR_HISTORY_POINTS``     ``360``           points kept in memory for the dashboard's charts
``HUB_MONITOR_QUALITY_TABLE``      ``data_quality``  the data-quality table, read when it exists
``HUB_SINK_METRICS_HOST``          ``127.0.0.1``     where the sink serves its own ``/metrics``
``HUB_SINK_METRICS_PORT``          ``8091``          its port (batch size, insert latency)
=================================  ================  =======================================================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MonitorSettings(BaseSettings):
    """The monitor service: sampler, probe, dashboard and Prometheus endpoint."""

    model_config = SettingsConfigDict(env_prefix="HUB_MONITOR_", frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8090
    sample_interval_s: float = Field(default=5.0, gt=0)
    window: int = Field(default=10, ge=2)
    probe_interval_s: float = Field(default=10.0, ge=0)
    probe_timeout_s: float = Field(default=120.0, gt=0)
    probe_datasets: str = ""
    history_points: int = Field(default=360, ge=2)
    quality_table: str = Field(default="data_quality", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @property
    def probed(self) -> tuple[str, ...] | None:
        """The datasets to probe, or None for all of them."""
        names = tuple(n.strip() for n in self.probe_datasets.split(",") if n.strip())
        return names or None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @staticmethod
    def store_path(data_dir: Path) -> Path:
        """The SQLite file holding the offset observations (shared by the service and ``hub lag``)."""
        return data_dir.resolve() / "monitor" / "lag.sqlite3"


class SinkMetricsSettings(BaseSettings):
    """Where the sink process serves its own Prometheus metrics."""

    model_config = SettingsConfigDict(env_prefix="HUB_SINK_METRICS_", frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8091
