"""The monitor's exceptions, under the hub's root :class:`hub.errors.HubError`.

::

    HubError
    └── MonitorError                 anything the monitor raises on purpose
        ├── OffsetsUnavailable       Kafka did not answer an offsets, group or message request
        └── StoreError               the observation store (SQLite under HUB_DATA_DIR) cannot be used
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import HubError


class MonitorError(HubError):
    """Root of the monitor's exceptions."""


@dataclass
class OffsetsUnavailable(MonitorError):
    """Kafka did not answer a request the monitor needs; names what was asked and of which group/topic."""

    request: str
    group: str | None = None
    topic: str | None = None
    reason: str = ""

    def __str__(self) -> str:
        where = ", ".join(f"{k} {v}" for k, v in (("group", self.group), ("topic", self.topic)) if v)
        return f"{self.request} failed{f' ({where})' if where else ''}: {self.reason}"


@dataclass
class StoreError(MonitorError):
    """The observation store cannot be opened, read or written."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"observation store {self.path}: {self.reason}"
