"""Building change envelopes around records checked against their dataset's schema (pure).

:func:`envelope` returns the envelope as a dict with the record validated and normalised.
:class:`EventEncoder` is what the SDK uses per event: it returns the framed Avro body straight away,
writing the envelope's fields from its arguments and the record with the one-pass fast path of
:mod:`producers.encoding` when they are already valid and normal, and :func:`envelope` + fastavro
otherwise, so the errors and the bytes are the same either way.
"""

from __future__ import annotations

import io
import itertools
import os
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from time import time_ns
from typing import Any

import fastavro

from hub.catalogue import Dataset
from hub.errors import ValidationError
from producers.encoding import SMALL, Bail, FastWriter, long_bytes
from producers.validation import FieldError, check, instant, utf8

OPS = ("c", "u", "d", "r")
_NOT_UTF8 = "text UTF-8 can encode (no lone surrogates)"


@dataclass(frozen=True)
class Source:
    """Where a change came from: owner ministry, its system, and the change's position there."""

    ministry: str
    system: str
    position: int


_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


class _EventIds:
    """Event ids: UUIDs of version 8 (RFC 9562's custom layout), 74 random bits drawn from the OS once per
    process and a 48-bit counter after them.

    Unique without drawing randomness per event: two processes share ids only if their 74 random bits are
    equal, and one process counts 2**48 ids before its counter would wrap (nine years at a million events a
    second). Drawing 122 fresh bits per event (version 4) cost a quarter of encoding the whole event."""

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        h = os.urandom(10).hex()
        self._prefix = f"{h[:8]}-{h[8:12]}-8{h[12:15]}-{_VARIANT[h[15]]}{h[16:19]}-"
        self._count = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._count):012x}"


new_event_id = _EventIds()
"""A new event id (a UUID string, see :class:`_EventIds`): unique, not secret."""
os.register_at_fork(after_in_child=new_event_id.reseed)  # a forked child must not repeat its parent's ids


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
    if not utf8(key):
        raise ValidationError(dataset=dataset.name, field="key", rule=_NOT_UTF8)


def envelope(dataset: Dataset, op: str, key: str, record: dict[str, Any] | None, source: Source,
             event_time: datetime | str | int | None = None, event_id: str | None = None,
             now: datetime | None = None) -> dict[str, Any]:
    """The change envelope for one event, with the record validated and normalised (see
    :mod:`producers.validation`). ``record`` must be None exactly when ``op`` is ``d``; ``event_time``
    must be timezone-aware (or an ISO-8601 string with an offset, or epoch milliseconds); a given
    ``event_id`` a string. Raises :class:`hub.errors.ValidationError` (a ``RecordInvalid`` for the record)."""
    _check_change(dataset, op, key, record)
    if event_id is not None and (not isinstance(event_id, str) or not utf8(event_id)):
        raise ValidationError(dataset=dataset.name, field="event_id", rule=f"a string, {_NOT_UTF8}")
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
    """The Avro bodies of one dataset's change events, as :func:`envelope` + fastavro would write them.

    The envelope's own fields are written straight from the arguments (no per-event dicts) when the
    catalogue's envelope has the layout this class knows (:func:`_known_layout`); the record goes through
    its compiled :class:`producers.encoding.FastWriter`. Anything not already valid and normal takes
    :func:`envelope` + fastavro, so the errors and the bytes are the same either way."""

    def __init__(self, dataset: Dataset) -> None:
        first = dataset.envelope_schema["fields"][0]
        if (first["name"], first["type"]) != ("event_id", "string"):  # the SDK reads ids back from the bytes
            raise ValueError(f"the envelope of {dataset.name} must start with the string field event_id")
        self.dataset = dataset
        self._ministry = dataset.owner.code
        self._record = FastWriter(dataset.record_schema).writer if _known_layout(dataset.envelope_schema) else None
        self._fast = FastWriter(dataset.envelope_schema)
        self._sources: dict[str, bytes] = {}  # system -> the Avro of ministry and system, written once
        self._now = (0, long_bytes(0))  # the last instant's bytes: events of one millisecond share them

    def encode(self, op: str, key: str, record: dict[str, Any] | None, system: str, position: int,
               event_time: datetime | str | int | None = None, event_id: str | None = None,
               now: datetime | None = None, prefix: bytes = b"") -> tuple[str, bytes]:
        """(event id, ``prefix`` + Avro body) of one event. Raises like :func:`envelope`."""
        event_id = event_id or new_event_id()
        millis = time_ns() // 1_000_000 if now is None else _millis(now)
        seen, stamp = self._now  # one tuple: consistent even if threads share the encoder
        if seen != millis:
            stamp = long_bytes(millis)
            self._now = (millis, stamp)
        write = self._record
        # The fast path writes the envelope field by field; every check failing sends the event to the
        # validating path below, which raises the precise error or normalises the value.
        if write is not None and type(op) is str and type(key) is str and key and type(event_id) is str \
                and (op == "d") == (record is None) and type(position) is int and _LONG[0] <= position <= _LONG[1]:
            tag = _OP_TAGS.get(op)
            source = self._sources.get(system) if type(system) is str else None
            if event_time is None:
                when = stamp
            elif type(event_time) is datetime and (event_time.tzinfo is _UTC or event_time.utcoffset() is not None):
                when = long_bytes(_millis(event_time))
            else:
                when = None
            if tag is not None and source is None and when is not None:
                source = self._source(system)
            if tag is not None and source is not None and when is not None:
                out = bytearray(prefix)
                try:
                    data = event_id.encode()
                    n = len(data)
                    out += SMALL[n] if n < 2048 else long_bytes(n)
                    out += data
                    out += tag
                    data = key.encode()
                    n = len(data)
                    out += SMALL[n] if n < 2048 else long_bytes(n)
                    out += data
                    if record is None:
                        out += b"\x00"
                    else:
                        out += b"\x02"
                        write(record, out)
                except (Bail, KeyError, UnicodeEncodeError, OverflowError, struct.error):
                    pass
                else:
                    out += source
                    out += SMALL[position] if 0 <= position < 2048 else long_bytes(position)
                    out += when
                    out += stamp
                    return event_id, bytes(out)
        elif write is None and (op == "d") == (record is None) and key:  # an envelope of another layout
            instant = _EPOCH + timedelta(milliseconds=millis)
            body = self._fast.write({
                "event_id": event_id, "op": op, "key": key, "after": record,
                "source": {"ministry": self._ministry, "system": system, "position": position},
                "event_time": instant if event_time is None else event_time, "ingest_time": instant}, prefix)
            if body is not None:
                return event_id, body
        # Not already normal, or invalid: validate, normalise, and report every bad field.
        event = envelope(self.dataset, op, key, record, Source(self._ministry, system, position),
                         event_time=event_time, event_id=event_id, now=now or _EPOCH + timedelta(milliseconds=millis))
        return event_id, prefix + avro_body(self.dataset.parsed_envelope, event)

    def _source(self, system: str) -> bytes | None:
        """The Avro of the source's ministry and system (the position follows), or None if not UTF-8."""
        try:
            ministry, name = self._ministry.encode(), system.encode()
        except UnicodeEncodeError:
            return None
        if len(self._sources) < 64:  # one system per producer in practice; bounded all the same
            self._sources[system] = long_bytes(len(ministry)) + ministry + long_bytes(len(name)) + name
        return long_bytes(len(ministry)) + ministry + long_bytes(len(name)) + name


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UTC = timezone.utc
_OP_TAGS = {op: long_bytes(i) for i, op in enumerate(OPS)}
_LONG = (-(2**63), 2**63 - 1)


def _millis(when: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime, floored as Avro's timestamp-millis writes them."""
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _signature(schema: Any) -> Any:
    """A schema without its docs, defaults and names of its own: what its binary form depends on."""
    if isinstance(schema, list):
        return [_signature(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "record":
        return {"record": [(f["name"], _signature(f["type"])) for f in schema["fields"]]}
    return {k: v for k, v in schema.items() if k not in ("doc", "name", "namespace", "aliases")}


_LAYOUT = {"record": [
    ("event_id", "string"), ("op", {"type": "enum", "symbols": list(OPS)}), ("key", "string"), ("after", None),
    ("source", {"record": [("ministry", "string"), ("system", "string"), ("position", "long")]}),
    ("event_time", {"type": "long", "logicalType": "timestamp-millis"}),
    ("ingest_time", {"type": "long", "logicalType": "timestamp-millis"})]}


def _known_layout(envelope_schema: dict[str, Any]) -> bool:
    """Whether the envelope is the one :meth:`EventEncoder._write` writes field by field: ``after`` a
    union of null (first) and the record, the other fields exactly as in ``schemas/envelope.avsc``."""
    found = _signature(envelope_schema)
    fields = found["record"]
    after = fields[3][1] if len(fields) > 3 else None
    return (isinstance(after, list) and len(after) == 2 and after[0] == "null"
            and {"record": [*fields[:3], ("after", None), *fields[4:]]} == _LAYOUT)


def _event_time(dataset: Dataset, value: Any) -> datetime:
    errors: list[FieldError] = []
    normalised = instant(value, "event_time", errors)
    if errors:
        raise ValidationError(dataset=dataset.name, field="event_time",
                              rule="an aware datetime, ISO-8601 string with offset, or epoch milliseconds")
    return normalised  # type: ignore[no-any-return]
