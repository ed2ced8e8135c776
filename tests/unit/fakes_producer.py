"""The fake producer: the SDK's seam (``emit``/``flush``) recorded in memory. The one fake of it.

It checks each event with the SDK's own pure envelope code (:func:`producers.envelope.envelope`), so a
bad record raises exactly what ``HubProducer.emit`` raises; then it records the call. A script decides
what Kafka does: acknowledge everything (default), be away (``spool``: events join the backlog), refuse
some keys for good (``refuse``), or hold an older ``backlog`` that a replay clears only if ``recovers``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hub.catalogue import Catalogue, load_catalogue
from producers.envelope import Source, envelope
from producers.sdk import DeliveryReport

REFUSED = "MSG_SIZE_TOO_LARGE: Broker: Message size too large"


@dataclass(frozen=True)
class Emitted:
    dataset: str
    op: str
    key: str
    record: dict[str, Any] | None
    event_time: datetime | None
    event_id: str
    position: int | None


class FakeProducer:
    def __init__(self, catalogue: Catalogue | None = None, *, spool: bool = False,
                 refuse: frozenset[str] = frozenset(), backlog: int = 0, recovers: bool = False) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.spool, self.refuse, self.recovers = spool, refuse, recovers
        self.emitted: list[Emitted] = []
        self.flushes: list[float | None] = []
        self.report = DeliveryReport(backlog=backlog)

    def emit(self, dataset_name: str, op: str, key: str, record: dict[str, Any] | None,
             event_time: datetime | None = None, event_id: str | None = None, position: int | None = None) -> str:
        dataset = self.catalogue.get(dataset_name)
        event_id = event_id or f"event-{len(self.emitted) + 1}"
        source = Source(dataset.owner.code, "fake", position or len(self.emitted) + 1)
        event = envelope(dataset, op, key, record, source, event_time=event_time, event_id=event_id)
        self.emitted.append(Emitted(dataset_name, op, key, event["after"], event_time, event_id, position))
        if self.spool:
            self.report.spooled += 1
            self.report.backlog += 1
        elif key in self.refuse:
            self.report.failed[event_id] = REFUSED
        else:
            self.report.acknowledged += 1
        return event_id

    def flush(self, timeout_s: float | None = None) -> DeliveryReport:
        self.flushes.append(timeout_s)
        if self.recovers and self.report.backlog:
            self.report.acknowledged += self.report.backlog
            self.report.replayed += self.report.backlog
            self.report.backlog = 0
        return replace(self.report, failed=dict(self.report.failed))
