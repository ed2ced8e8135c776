"""The ``dead_letters`` table: every event the stream processors set aside, with its raw bytes and reason.

Rows come from the ``<ns>.<dataset>.dlq`` topics, whose messages carry the rejected bytes unchanged and
headers ``reason``, ``source_topic``, ``source_partition``, ``source_offset``, ``rejected_at_ms`` (and
optionally ``field``, ``detail``). Operators replay fixed events from here or from the topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

TABLE = "dead_letters"

COLUMNS = (
    ("_topic", "LowCardinality(String)"), ("_partition", "UInt32"), ("_offset", "UInt64"),
    ("dataset", "LowCardinality(String)"), ("reason", "LowCardinality(String)"), ("field", "String"),
    ("detail", "String"), ("source_topic", "LowCardinality(String)"), ("source_partition", "Int32"),
    ("source_offset", "Int64"), ("rejected_at", "DateTime64(3, 'UTC')"), ("key", "String"), ("raw", "String"),
)


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    dataset: str
    key: bytes
    raw: bytes
    headers: dict[str, str]

    def row(self) -> tuple[Any, ...]:
        h = self.headers
        rejected = datetime.fromtimestamp(int(h.get("rejected_at_ms", "0") or 0) / 1000, tz=timezone.utc)
        return (self.topic, self.partition, self.offset, self.dataset, h.get("reason", "unknown"), h.get("field", ""),
                h.get("detail", ""), h.get("source_topic", ""), _int(h.get("source_partition"), -1),
                _int(h.get("source_offset"), -1), rejected, self.key, self.raw)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def decode_headers(headers: Any) -> dict[str, str]:
    """Kafka message headers (a list of pairs, or a dict) as text."""
    pairs = headers.items() if isinstance(headers, dict) else headers or ()
    return {str(k): v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v or "") for k, v in pairs}


def columns_of(letters: Sequence[DeadLetter]) -> list[list[Any]]:
    rows = [letter.row() for letter in letters]
    return [list(col) for col in zip(*rows)] if rows else [[] for _ in COLUMNS]


def create_table(database: str, dedup_window: int = 10_000) -> str:
    cols = ",\n  ".join(f"`{name}` {kind}" for name, kind in COLUMNS)
    return (f"CREATE TABLE IF NOT EXISTS `{database}`.`{TABLE}` (\n  {cols},\n"
            f"  `_sink_time` DateTime64(3, 'UTC') DEFAULT now64(3)\n)\nENGINE = MergeTree\n"
            f"ORDER BY (dataset, rejected_at, _partition, _offset)\n"
            f"SETTINGS non_replicated_deduplication_window = {dedup_window}")
