"""Bytes of the golden stage's state tables and internal topic (JSON; dates, instants, decimals tagged).

These bytes never leave the hub's own topics: the published golden changes are Avro (:mod:`.publish`).
Decoding raises :class:`CorruptState` for bytes this module did not write.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson

from streams.golden.errors import CorruptState
from streams.golden.merge import Golden
from streams.golden.routing import SourceState
from streams.golden.values import Contribution

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLI = timedelta(milliseconds=1)
_PLAIN = "_plain_form"
"""Where a contribution keeps its JSON form once known (frozen values: a golden state holds many
contributions, and re-encoding it after each merge would walk every unchanged one again)."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$t": _millis(value)}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$n": str(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            (tag, inner), = value.items()
            if tag == "$t":
                return instant(inner)
            if tag == "$d":
                return date.fromisoformat(inner)
            if tag == "$n":
                return Decimal(inner)
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return value


def _millis(value: datetime) -> int:
    return (value - _EPOCH) // _MILLI


def instant(millis: int) -> datetime:
    return _EPOCH + millis * _MILLI


def _contribution(c: Contribution) -> list[Any]:
    known = c.__dict__.get(_PLAIN)
    if known is not None:
        return known  # type: ignore[no-any-return]
    fields = None if c.fields is None else [[n, _plain(v)] for n, v in c.fields]
    plain = [c.entity, c.key, c.dataset, c.source_key, _millis(c.event_time), c.position, c.event_id, fields,
             c.relayed_by]
    c.__dict__[_PLAIN] = plain
    return plain


def _from_contribution(raw: list[Any]) -> Contribution:
    entity, key, dataset, source_key, millis, position, event_id, fields, relayed_by = raw
    c = Contribution(entity, key, dataset, source_key, instant(millis), position, event_id,
                     None if fields is None else tuple((n, _typed(v)) for n, v in fields), relayed_by)
    c.__dict__[_PLAIN] = raw
    return c


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)  # compact UTF-8: what json.dumps(ensure_ascii=False, separators=(",", ":")) wrote


def _loads(what: str, data: bytes | None) -> Any:
    try:
        return orjson.loads(data or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptState(what, type(exc).__name__) from exc


def encode_contribution(c: Contribution) -> bytes:
    return _dumps(_contribution(c))


def decode_contribution(data: bytes | None) -> Contribution:
    try:
        return _from_contribution(_loads("contribution", data))
    except (TypeError, ValueError) as exc:
        raise CorruptState("contribution", type(exc).__name__) from exc


def encode_source_state(s: SourceState) -> bytes:
    return _dumps([s.event_id, _millis(s.event_time), s.position, [_contribution(c) for c in s.current],
                   [_contribution(c) for c in s.former]])


def decode_source_state(data: bytes | None) -> SourceState | None:
    if data is None:
        return None
    try:
        event_id, millis, position, current, former = _loads("source state", data)
        return SourceState(event_id, instant(millis), position, tuple(map(_from_contribution, current)),
                           tuple(map(_from_contribution, former)))
    except (TypeError, ValueError) as exc:
        raise CorruptState("source state", type(exc).__name__) from exc


def encode_golden(g: Golden) -> bytes:
    return _dumps([g.entity, g.key, [_contribution(c) for c in g.slots], g.revision, g.last_op,
                   [_contribution(c) for c in g.relays], g.relay_seq])


def decode_golden(data: bytes | None) -> Golden | None:
    if data is None:
        return None
    try:
        entity, key, slots, revision, last_op, relays, relay_seq = _loads("golden record state", data)
        return Golden(entity, key, tuple(map(_from_contribution, slots)), revision, last_op,
                      tuple(map(_from_contribution, relays)), relay_seq)
    except (TypeError, ValueError) as exc:
        raise CorruptState("golden record state", type(exc).__name__) from exc
