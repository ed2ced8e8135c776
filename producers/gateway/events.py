"""The gateway's pure core: the events a request body holds, each one checked, and the answer.

A body is one JSON event (``application/json``) or one per line (``application/x-ndjson``)::

    {"op": "c", "key": "001090000001", "record": {...}, "event_time": "2026-11-27T08:00:00+07:00",
     "event_id": "…"}

``op`` is c, u, d or r; ``record`` is the full record (JSON: dates ``YYYY-MM-DD``, instants ISO 8601 with
offset or epoch milliseconds, decimals as strings) and absent or null exactly for a delete; ``key`` must
equal the record's catalogue key; ``event_time`` and ``event_id`` are optional (a client that sets
``event_id`` may resend safely: the hub drops duplicates by id). Errors name the path inside the event
(``record.permanent_address.province_code``), the rule and the types — never the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.catalogue import Dataset
from producers.envelope import OPS
from producers.gateway.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from producers.loader import record_key
from producers.validation import MISSING, FieldError, instant, type_name, validator_for

JSON = "application/json"
NDJSON = "application/x-ndjson"
FIELDS = ("op", "key", "record", "event_time", "event_id")
MAX_EVENT_ID = 128
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
SPOOLED_MESSAGE = ("Kafka did not acknowledge some events in time: they are durably spooled at the gateway and "
                   "will reach Kafka in order once it answers. Resending them with the same event_id is safe.")


def is_batch(content_type: str | None) -> bool:
    """True for NDJSON, False for one JSON event; raises :class:`UnsupportedMediaType` otherwise."""
    media, *params = [p.strip().lower() for p in (content_type or "").split(";")]
    charset = next((p.partition("=")[2].strip('"') for p in params if p.startswith("charset=")), "utf-8")
    if media not in (JSON, NDJSON) or charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"send {JSON} (one event) or {NDJSON} (one event per line), in UTF-8; "
                                   f"got {media or 'no Content-Type'}")
    return media == NDJSON


def check_length(content_length: str | None, limit: int) -> None:
    """Raise :class:`PayloadTooLarge` if the declared length is over ``limit`` (checked before reading)."""
    if content_length is not None and content_length.strip().isdigit() and int(content_length) > limit:
        raise PayloadTooLarge(limit)


def parse_body(body: bytes, batch: bool) -> list[tuple[int, Any]]:
    """``(line, JSON value)`` per event; raises :class:`BadRequest` naming the line that is not JSON."""
    if not batch:
        try:
            return [(1, json.loads(body.decode("utf-8-sig")))]
        except UnicodeDecodeError:
            raise BadRequest("the body is not UTF-8") from None
        except json.JSONDecodeError as exc:
            raise BadRequest(f"the body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    events: list[tuple[int, Any]] = []
    for number, raw in enumerate(body.split(b"\n"), start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            if text.strip():
                events.append((number, json.loads(text)))
        except UnicodeDecodeError:
            raise BadRequest(f"line {number} is not UTF-8", line=number) from None
        except json.JSONDecodeError as exc:
            raise BadRequest(f"line {number} is not JSON: {exc.msg} (column {exc.colno})", line=number) from None
    if not events:
        raise BadRequest("the body holds no event")
    return events


@dataclass(frozen=True)
class IncomingEvent:
    """An event that passed every check, with its record normalised for the SDK."""

    line: int
    op: str
    key: str
    record: dict[str, Any] | None
    event_time: datetime | None
    event_id: str | None


@dataclass(frozen=True)
class Invalid:
    line: int
    errors: tuple[FieldError, ...]


def check_event(line: int, value: Any, dataset: Dataset) -> IncomingEvent | Invalid:
    """Every violation of one event (its fields, its record against the dataset's schema, key ≠ record's
    key), or the event ready to emit (pure)."""
    if not isinstance(value, dict):
        return Invalid(line, (FieldError("", "type", "object", type_name(value)),))
    errors = [FieldError(name if isinstance(name, str) and _IDENTIFIER.fullmatch(name) else f"<field #{i}>",
                         "unknown_field", "absent", type_name(value[name]), f"events have {', '.join(FIELDS)}")
              for i, name in enumerate(value) if name not in FIELDS]
    op, key, record = value.get("op"), value.get("key"), value.get("record")
    if op not in OPS:
        rule = "required" if op is None else "enum" if isinstance(op, str) else "type"
        errors.append(FieldError("op", rule, "enum op", _found(value, "op"), "one of c, u, d, r"))
    if not isinstance(key, str) or not key:
        rule = "required" if key is None or key == "" else "type"
        errors.append(FieldError("key", rule, "string", _found(value, "key"), "a non-empty string: the record's key"))
    normalised = None
    if op == "d":
        if record is not None:
            errors.append(FieldError("record", "type", "null", type_name(record), "a delete (op d) carries no record"))
    elif op in OPS or record is not None:
        normalised, found = validator_for(dataset.record_schema).validate(record)
        errors += [FieldError(in_record(e.path), e.rule, e.expected_type, _found(value, "record") if
                              e.path == "<record>" else e.actual_type, e.detail) for e in found]
        if not found and isinstance(key, str) and key and record_key(dataset, normalised) != key:
            errors.append(FieldError("key", "key_mismatch", "string", "str",
                                     f"must equal the record's {' | '.join(dataset.key)}"))
    event_time = None
    if value.get("event_time") is not None:
        event_time = instant(value["event_time"], "event_time", errors)
    event_id = value.get("event_id")
    if event_id is not None and (not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_EVENT_ID):
        errors.append(FieldError("event_id", "type", "string", type_name(event_id),
                                 f"1 to {MAX_EVENT_ID} characters"))
    if errors:
        return Invalid(line, tuple(errors))
    return IncomingEvent(line, str(op), str(key), normalised, event_time, event_id)


def _found(value: dict[str, Any], name: str) -> str:
    return type_name(value[name]) if name in value else MISSING


def in_record(path: str) -> str:
    return "record" if path in ("", "<record>") else f"record.{path}"


@dataclass(frozen=True)
class Outcome:
    """What became of one event: ``accepted`` (acknowledged by Kafka), ``spooled`` or ``rejected``."""

    line: int
    status: str
    event_id: str | None = None
    errors: tuple[FieldError, ...] = ()


def error_json(error: FieldError) -> dict[str, str]:
    return {"path": error.path, "rule": error.rule, "expected": error.expected_type,
            "actual": error.actual_type, "detail": error.detail}


def answer(dataset: str, outcomes: Sequence[Outcome]) -> tuple[int, dict[str, Any]]:
    """HTTP status and body for the outcomes: 200 all accepted, 202 none rejected but some spooled,
    422 all rejected, 207 some rejected and some not."""
    counts = {s: sum(o.status == s for o in outcomes) for s in ("accepted", "spooled", "rejected")}
    status = (422 if counts["rejected"] == len(outcomes) else 207) if counts["rejected"] else \
        202 if counts["spooled"] else 200
    results = [{"line": o.line, "status": o.status, **({"event_id": o.event_id} if o.event_id else {}),
                **({"errors": [error_json(e) for e in o.errors]} if o.errors else {})} for o in outcomes]
    body: dict[str, Any] = {"dataset": dataset, **counts, "results": results}
    if counts["spooled"]:
        body["message"] = SPOOLED_MESSAGE
    return status, body
