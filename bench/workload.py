"""The events every stage measures: simulated citizens, encoded once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from hub import wire
from hub.catalogue import Dataset
from producers.envelope import Source, envelope, new_event_id
from producers.simulator import PopulationSimulator


@dataclass(frozen=True)
class Workload:
    dataset: Dataset
    records: list[tuple[str, str, dict[str, Any] | None]]  # (op, key, record)
    encoded: list[tuple[bytes, bytes]]  # (key, framed value)


def build(dataset: Dataset, schema_id: int, count: int, seed: int = 1) -> Workload:
    now = datetime.now(timezone.utc)
    records = [(c.op, c.key, c.record) for c in PopulationSimulator(seed).changes(count)]
    encoded = []
    for i, (op, key, record) in enumerate(records):
        event = envelope(dataset, op, key, record, Source(dataset.owner.code, "bench", i), event_time=now,
                         event_id=new_event_id(), now=now)  # the size the SDK sends
        encoded.append((key.encode(), wire.encode(schema_id, dataset.parsed_envelope, event)))
    return Workload(dataset, records, encoded)
