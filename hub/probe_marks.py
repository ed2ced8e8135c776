"""How probe canaries are marked, so that every stage can tell them apart (pure, no dependencies).

A canary is an ordinary change event of a catalogue dataset, sent by the monitor's probe through the whole
pipeline: ``op = "d"`` (a delete, so it carries no record and no personal data), ``key`` starting with
:data:`PROBE_KEY_PREFIX` and ``source.system == PROBE_SYSTEM``. The reserved source system is the mark;
no ministry system may use it.

Where canaries stay out of analyst figures:

* The sink writes canaries to ``probe_landings`` instead of ``<dataset>_history`` (see
  :mod:`sinks.clickhouse`), so neither history nor current tables nor the statistics views see them; the
  probe measures its latency from that table.
* The stream processors pass them through without golden-record merging or quality accounting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROBE_SYSTEM = "hub-probe"
PROBE_KEY_PREFIX = "hub-probe-"
LANDINGS_TABLE = "probe_landings"


def is_canary(event: Mapping[str, Any]) -> bool:
    """Whether a decoded change envelope is a probe canary."""
    source = event.get("source") or {}
    return bool(source.get("system") == PROBE_SYSTEM)
