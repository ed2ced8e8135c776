"""The ground truth of a simulated stream: what a correct hub must end up with (pure).

:func:`build_manifest` replays the changes in delivery order exactly as ``RULES.md`` says the hub must:
an event id seen before is a duplicate and is dropped; otherwise the record is cleaned
(:func:`streams.rules.clean_record`) and checked (:func:`streams.rules.reject_reason`); a rejected event is listed with its
reason code and changes nothing; an accepted event becomes the key's current version when its
(event time, source position) is later than the current one's (a delete leaves a tombstone, so an older
update arriving after it does not bring the key back). The golden records are merged from the final state
(:mod:`producers.simulator.golden`).

The manifest does not read the dirt labels: it is what the rules give. The tests check that it agrees with
the labels (every rejected kind rejected with its code, every other event accepted).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from hub.catalogue import Catalogue, load_catalogue
from producers.simulator import golden
from producers.simulator.change import Change
from streams.rules.records import clean_record, reject_reason


@dataclass(frozen=True)
class DatasetTruth:
    """The expected outcome for one dataset."""

    state: dict[str, dict[str, Any]]
    """Key → clean current record (deleted keys absent)."""
    versions: dict[str, golden.Version]
    """Key → (event time, source position) of the current record."""
    rejected: dict[str, str]
    """Event id → reason code: events that must be dead-lettered."""
    duplicates: tuple[str, ...]
    """Event ids delivered more than once (each extra delivery must be dropped), in order of the re-delivery."""
    original_admin_codes: dict[str, dict[str, dict[str, str | None]]]
    """Event id → address path (``.`` for the record itself) → the pre-2025 codes it arrived with."""
    counts: dict[str, int] = field(default_factory=dict)
    """delivered, duplicates, distinct_events, rejected, accepted, current_keys."""


@dataclass(frozen=True)
class Manifest:
    datasets: dict[str, DatasetTruth]
    golden: dict[str, dict[str, dict[str, Any]]]
    """Entity (``citizen``, ``enterprise``) → key (CCCD, tax code) → attributes."""

    def to_dict(self) -> dict[str, Any]:
        """JSON values: dates ``YYYY-MM-DD``, instants ISO 8601 UTC with milliseconds, decimals as strings."""
        datasets = {name: {"state": t.state, "rejected": t.rejected, "duplicates": list(t.duplicates),
                           "original_admin_codes": t.original_admin_codes, "counts": t.counts}
                    for name, t in self.datasets.items()}
        return _jsonable({"datasets": datasets, "golden": self.golden})  # type: ignore[no-any-return]

    def to_json(self, path: Path | str) -> None:
        """Write :meth:`to_dict` as UTF-8 JSON with sorted keys (the same manifest gives the same bytes)."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, indent=1)
        Path(path).write_text(text + "\n", encoding="utf-8")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass
class _Replay:
    current: dict[str, tuple[golden.Version, dict[str, Any] | None]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    originals: dict[str, dict[str, dict[str, str | None]]] = field(default_factory=dict)
    delivered: int = 0

    def truth(self) -> DatasetTruth:
        live = {k: r for k, (_, r) in self.current.items() if r is not None}
        counts = {"delivered": self.delivered, "duplicates": len(self.duplicates), "distinct_events": len(self.seen),
                  "rejected": len(self.rejected), "accepted": len(self.seen) - len(self.rejected),
                  "current_keys": len(live)}
        return DatasetTruth(state=live, versions={k: v for k, (v, r) in self.current.items() if r is not None},
                            rejected=self.rejected, duplicates=tuple(self.duplicates),
                            original_admin_codes=self.originals, counts=counts)


def build_manifest(changes: Iterable[Change], catalogue: Catalogue | None = None) -> Manifest:
    """Replay ``changes`` (in delivery order) under the hub's rules."""
    catalogue = catalogue or load_catalogue()
    replays = {d.name: _Replay() for d in catalogue}
    citizens = replays["population.citizen"].current

    def birth_of(cccd: str) -> date | None:
        record = citizens.get(cccd, (None, None))[1]
        return record["date_of_birth"] if record is not None else None

    for change in changes:
        replay = replays[change.dataset]
        replay.delivered += 1
        if change.event_id in replay.seen:
            replay.duplicates.append(change.event_id)
            continue
        replay.seen.add(change.event_id)
        cleaned = clean_record(change.dataset, change.record) if change.record is not None else None
        reason = reject_reason(catalogue.get(change.dataset), cleaned.record if cleaned else None,
                               change.event_time, birth_of)
        if reason is not None:
            replay.rejected[change.event_id] = reason
            continue
        if cleaned is not None and cleaned.original_admin_codes:
            replay.originals[change.event_id] = cleaned.original_admin_codes
        version = (change.event_time, change.source_position)
        current = replay.current.get(change.key)
        if current is None or version > current[0]:
            replay.current[change.key] = (version, cleaned.record if cleaned else None)
    truths = {name: r.truth() for name, r in replays.items()}
    live = {name: {k: (t.versions[k], rec) for k, rec in t.state.items()} for name, t in truths.items()}
    return Manifest(datasets=truths, golden=golden.merge(catalogue, live))
