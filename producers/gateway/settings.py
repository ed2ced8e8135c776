"""Settings of the HTTP ingest gateway (``HUB_GATEWAY_*``), read once at its entry point.

==================================  ======================================  ================================================
variable                            default                                 meaning
==================================  ======================================  ================================================
``HUB_GATEWAY_HOST``                ``127.0.0.1``                           address to listen on
``HUB_GATEWAY_PORT``                ``8082``                                port to listen on
``HUB_GATEWAY_MAX_BODY_BYTES``      ``10485760`` (10 MiB)                   larger request bodies are answered 413
``HUB_GATEWAY_TOKENS_FILE``         ``<HUB_DATA_DIR>/gateway/tokens.yaml``  ministry code → SHA-256 of its token
``HUB_GATEWAY_SYSTEM``              ``hub-gateway``                         ``source.system`` of its events; names its spool
``HUB_GATEWAY_DELIVERY_TIMEOUT_S``  ``10``                                  wait for Kafka before spooling an event
``HUB_GATEWAY_REPLAY_TIMEOUT_S``    ``2``                                   wait for a spool replay before answering 503
``HUB_GATEWAY_RETRY_AFTER_S``       ``10``                                  ``Retry-After`` of a 503
==================================  ======================================  ================================================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.settings import HubSettings


class GatewaySettings(BaseSettings):
    """Where the gateway listens, how much it reads, where the ministries' token hashes are."""

    model_config = SettingsConfigDict(env_prefix="HUB_GATEWAY_", frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8082, ge=0, le=65535)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    tokens_file: Path | None = None
    system: str = Field(default="hub-gateway", min_length=1)
    delivery_timeout_s: float = Field(default=10.0, gt=0)
    replay_timeout_s: float = Field(default=2.0, ge=0)
    retry_after_s: int = Field(default=10, ge=1)

    def resolved_tokens_file(self, hub: HubSettings) -> Path:
        return self.tokens_file or hub.data_dir / "gateway" / "tokens.yaml"
