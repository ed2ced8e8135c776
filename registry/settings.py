"""Settings of the registry service process: :class:`hub.settings.RegistrySettings` plus who may write.

=====================================  ==========  ==========================================================
variable                               default     meaning
=====================================  ==========  ==========================================================
``HUB_REGISTRY_LEADER``                ``true``    this instance writes; ``false``: it serves reads and
                                                   forwards writes to ``HUB_REGISTRY_LEADER_URL``
``HUB_REGISTRY_LEADER_URL``            (unset)     the leader's URL, for followers; unset: they refuse writes
``HUB_REGISTRY_TIMEOUT_S``             ``30``      max wait for Kafka (catching up, committing a write)
=====================================  ==========  ==========================================================

Run one leader per schemas topic. Should two run by mistake, the log's fencing keeps them correct (see
:mod:`registry.log`); they only slow each other down.
"""

from __future__ import annotations

from pydantic import Field

from hub.settings import RegistrySettings


class RegistryServiceSettings(RegistrySettings):
    """``HUB_REGISTRY_*`` for the service itself (same prefix as :class:`RegistrySettings`)."""

    leader: bool = True
    leader_url: str | None = None
    timeout_s: float = Field(default=30.0, gt=0)
