"""Building change envelopes around records checked against their dataset's schema (pure).

:func:`envelope` returns the envelope as a dict with the record validated and normalised.
:class:`EventEncoder` is what the SDK uses per event: it returns the Avro body straight away, taking the
one-pass fast path of :mod:`producers.encoding` for records that are already valid and normal, and
:func:`envelope` + fastavro otherwise, so the errors and the bytes are the same either way.
"""

from __future__ import annotations

import io
import os
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import fastavro

from hub.catalogue import Dataset
from hub.errors import ValidationError
from producers.encoding import FastWriter
from producers.validation import FieldError, check, instant

OPS = ("c", "u", "d", "r")


@dataclass(frozen=True)
class Source:
    """Where a change came from: owner ministry, its system, and the change's position there."""

    ministry: str
    system: str
    position: int


_IDS = random.Random()  # seeded from os.urandom; private, so no caller's random.seed() can make ids repeat
os.register_at_fork(after_in_child=_IDS.seed)  # a forked child must not repeat its parent's ids


def new_event_id() -> str:
    """A random (version 4) UUID in its canonical string form.

    Drawn from a private generator seeded by the OS (re-seeded in forked children) rather than one
    ``os.urandom`` call per event: ids must be unique, not secret, and the system call cost as much as
    writing the whole event."""
    n = _IDS.getrandbits(128) & ~(0xC000 << 48) | (0x8000 << 48)  # RFC 4122 variant
    n = n & ~(0xF000 << 64) | (4 << 76)  # version 4
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def check_record(dataset: Dataset, record: Any) -> dict[str, Any]:
    """The record normalised for its dataset; raises :class:`producers.validation.RecordInvalid` listing every
    bad field with its rule (never the value)."""
    return check(dataset, record)


def _check_change(dataset: Dataset, op: str, key: str, record: dict[str, Any] | None) -> None:
    if op not in OPS:
        raise ValidationError(dataset=dataset.name, field="op", rule=f"one of {'/'.join(OPS)}")
    if (op == "d") != (record is None):
        raise ValidationError(dataset=dataset.name, field="after",
                              rule="null for deletes (op d), a record otherwise")
    if not key or not isinstance(key, str):
        raise ValidationError(dataset=dataset.name, field="key", rule="non-empty string")


def envelope(dataset: Dataset, op: str, key: str, record: dict[str, Any] | None, source: Source,
             event_time: datetime | str | int | None = None, event_id: str | None = None,
             now: datetime | None = None) -> dict[str, Any]:
    """The change envelope for one event, with the record validated and normalised (see
    :mod:`producers.validation`). ``record`` must be None exactly when ``op`` is ``d``; ``event_time``
    must be timezone-aware (or an ISO-8601 string with an offset, or epoch milliseconds). Raises :class:`hub.errors.ValidationError` (a ``RecordInvalid`` for the record)."""
    _check_change(dataset, op, key, record)
    after = check(dataset, record) if record is not None else None
    now = now or datetime.now(timezone.utc)
    return {
        "event_id": event_id or new_event_id(),
        "op": op,
        "key": key,
        "after": after,
        "source": {"ministry": source.ministry, "system": source.system, "position": source.position},
        "event_time": _event_time(dataset, event_time) if event_time is not None else now,
        "ingest_time": now,
    }


def avro_body(parsed_schema: Any, event: dict[str, Any]) -> bytes:
    """The Avro binary of ``event`` (already normalised) without the Confluent header."""
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed_schema, event)
    return buf.getvalue()


class EventEncoder:
    """The Avro bodies of one dataset's change events, as :func:`envelope` + fastavro would write them."""

    def __init__(self, dataset: Dataset) -> None:
        first = dataset.envelope_schema["fields"][0]
        if (first["name"], first["type"]) != ("event_id", "string"):  # the SDK reads ids back from the bytes
            raise ValueError(f"the envelope of {dataset.name} must start with the string field event_id")
        self.dataset = dataset
        self._ministry = dataset.owner.code
        self._fast = FastWriter(dataset.envelope_schema)

    def encode(self, op: str, key: str, record: dict[str, Any] | None, system: str, position: int,
               event_time: datetime | str | int | None = None, event_id: str | None = None,
               now: datetime | None = None) -> tuple[str, bytes]:
        """(event id, Avro body without header) of one event. Raises like :func:`envelope`."""
        now = now or datetime.now(timezone.utc)
        event_id = event_id or new_event_id()
        if (op == "d") == (record is None) and key:  # the writer checks the types of op and key itself
            body = self._fast.write({
                "event_id": event_id, "op": op, "key": key, "after": record,
                "source": {"ministry": self._ministry, "system": system, "position": position},
                "event_time": now if event_time is None else event_time, "ingest_time": now})
            if body is not None:
                return event_id, body
        # Not already normal, or invalid: validate, normalise, and report every bad field.
        event = envelope(self.dataset, op, key, record, Source(self._ministry, system, position),
                         event_time=event_time, event_id=event_id, now=now)
        return event_id, avro_body(self.dataset.parsed_envelope, event)


def _event_time(dataset: Dataset, value: Any) -> datetime:
    errors: list[FieldError] = []
    normalised = instant(value, "event_time", errors)
    if errors:
        raise ValidationError(dataset=dataset.name, field="event_time",
                              rule="an aware datetime, ISO-8601 string with offset, or epoch milliseconds")
    return normalised  # type: ignore[no-any-return]
