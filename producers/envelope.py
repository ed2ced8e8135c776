"""Building change envelopes around records checked against their dataset's schema (pure)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from hub.catalogue import Dataset
from hub.errors import ValidationError
from producers.validation import FieldError, check, instant

OPS = ("c", "u", "d", "r")


@dataclass(frozen=True)
class Source:
    """Where a change came from: owner ministry, its system, and the change's position there."""

    ministry: str
    system: str
    position: int


def check_record(dataset: Dataset, record: Any) -> dict[str, Any]:
    """The record normalised for its dataset; raises :class:`producers.validation.RecordInvalid` listing every
    bad field with its rule (never the value)."""
    return check(dataset, record)


def envelope(dataset: Dataset, op: str, key: str, record: dict[str, Any] | None, source: Source,
             event_time: datetime | None = None, event_id: str | None = None,
             now: datetime | None = None) -> dict[str, Any]:
    """The change envelope for one event, with the record validated and normalised (see
    :mod:`producers.validation`). ``record`` must be None exactly when ``op`` is ``d``; ``event_time``
    must be timezone-aware. Raises :class:`hub.errors.ValidationError` (a ``RecordInvalid`` for the record)."""
    if op not in OPS:
        raise ValidationError(dataset=dataset.name, field="op", rule=f"one of {'/'.join(OPS)}")
    if (op == "d") != (record is None):
        raise ValidationError(dataset=dataset.name, field="after",
                              rule="null for deletes (op d), a record otherwise")
    if not key or not isinstance(key, str):
        raise ValidationError(dataset=dataset.name, field="key", rule="non-empty string")
    after = check(dataset, record) if record is not None else None
    now = now or datetime.now(timezone.utc)
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "op": op,
        "key": key,
        "after": after,
        "source": {"ministry": source.ministry, "system": source.system, "position": source.position},
        "event_time": _event_time(dataset, event_time) if event_time is not None else now,
        "ingest_time": now,
    }


def _event_time(dataset: Dataset, value: Any) -> datetime:
    errors: list[FieldError] = []
    normalised = instant(value, "event_time", errors)
    if errors:
        raise ValidationError(dataset=dataset.name, field="event_time",
                              rule="an aware datetime, ISO-8601 string with offset, or epoch milliseconds")
    return normalised  # type: ignore[no-any-return]
