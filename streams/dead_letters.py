"""The dead-letter contract: a DLQ message is the rejected raw message, bytes and key unchanged, plus headers.

===================  ================================================================================
header               value (UTF-8 text)
===================  ================================================================================
``reason``           stable reason code: a rule of :mod:`streams.rules` (``cccd_inconsistent``…), an
                     envelope problem (``key_mismatch``, ``op_mismatch``, ``schema_mismatch``,
                     ``processing_failed``) or a wire-format code (``empty``, ``bad_magic``…)
``field``            path of the field concerned (``permanent_address.ward_code``); empty for the message
``detail``           the rule in words; never a value of the record (records hold personal data)
``source_topic``     raw topic the message was read from
``source_partition`` its partition
``source_offset``    its offset
``rejected_at_ms``   when the processor rejected it, milliseconds since the epoch (UTC)
``event_id``         the envelope's event id, when the bytes could be decoded (absent otherwise)
===================  ================================================================================

The sink copies these into the ``dead_letters`` table (:mod:`sinks.dead_letters`); ``hub dlq`` reads them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from streams.base import Rejected

HEADERS = ("reason", "field", "detail", "source_topic", "source_partition", "source_offset", "rejected_at_ms",
           "event_id")


def dead_letter_headers(rejected: Rejected, topic: str, partition: int, offset: int,
                        rejected_at_ms: int) -> list[tuple[str, bytes]]:
    """The headers of the DLQ message for a message of ``topic``/``partition``/``offset``."""
    r = rejected.rejection
    values = [r.reason, r.field, r.detail, topic, str(partition), str(offset), str(rejected_at_ms)]
    if rejected.event_id:
        values.append(rejected.event_id)
    return [(name, value.encode()) for name, value in zip(HEADERS, values)]


@dataclass(frozen=True)
class DeadLetterHeaders:
    """The headers of a DLQ message, read back."""

    reason: str
    field: str
    detail: str
    source_topic: str
    source_partition: int
    source_offset: int
    rejected_at_ms: int
    event_id: str | None

    @staticmethod
    def parse(headers: Iterable[tuple[str, bytes | None]] | None) -> DeadLetterHeaders:
        """Missing or unreadable headers become empty text and -1."""
        text = {k: (v or b"").decode("utf-8", errors="replace") for k, v in headers or ()}

        def number(name: str) -> int:
            try:
                return int(text.get(name, ""))
            except ValueError:
                return -1

        return DeadLetterHeaders(text.get("reason", ""), text.get("field", ""), text.get("detail", ""),
                                 text.get("source_topic", ""), number("source_partition"), number("source_offset"),
                                 number("rejected_at_ms"), text.get("event_id") or None)


# --- what ``hub dlq`` shows and reads (pure) ----------------------------------------------------------
@dataclass(frozen=True)
class Position:
    """Where a dead letter sits in its DLQ topic; written ``P:O``."""

    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.partition}:{self.offset}"

    @staticmethod
    def parse(text: str) -> tuple[int | None, int]:
        """``P:O`` → (P, O); ``O`` → (None, O): any partition. Raises ValueError."""
        partition, _, offset = text.strip().rpartition(":")
        if int(offset) < 0 or (partition and int(partition) < 0):
            raise ValueError(f"negative partition or offset in {text!r}")
        return (int(partition) if partition else None), int(offset)


@dataclass(frozen=True)
class DeadLetter:
    """One message of a DLQ topic."""

    position: Position
    key: bytes | None
    raw: bytes | None
    headers: DeadLetterHeaders


@dataclass(frozen=True)
class Summary:
    """A DLQ topic at a glance: how many letters, by reason, and the latest one."""

    count: int
    reasons: dict[str, int]
    latest: DeadLetter | None


def summarise(letters: Iterable[DeadLetter]) -> Summary:
    count, reasons, latest = 0, Counter[str](), None
    for letter in letters:
        count += 1
        reasons[letter.headers.reason] += 1
        if latest is None or letter.headers.rejected_at_ms >= latest.headers.rejected_at_ms:
            latest = letter
    return Summary(count, dict(reasons.most_common()), latest)


def hex_dump(data: bytes, width: int = 16) -> list[str]:
    """``offset  hex bytes  printable ASCII`` lines, like ``xxd``."""
    lines = []
    for start in range(0, len(data), width):
        chunk = data[start:start + width]
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{start:08x}  {chunk.hex(' '):<{width * 3 - 1}}  {text}")
    return lines


def jsonable(value: Any) -> Any:
    """A decoded Avro value as JSON the SDK accepts back: dates ``YYYY-MM-DD``, instants ISO 8601 with offset,
    decimals as strings, bytes as hex."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


@dataclass(frozen=True)
class Fix:
    """An event to publish again to the raw topic: as ``hub dlq show --raw --json`` prints it, corrected."""

    op: str
    key: str
    after: dict[str, Any] | None
    event_id: str | None = None
    event_time: Any = None
    position: int | None = None
    dlq: str | None = None
    """The ``P:O`` of the dead letter it corrects, if given (for the replay record)."""

    @staticmethod
    def from_json(line: str) -> Fix:
        """One JSON object with ``op``, ``key``, ``after`` and optionally ``event_id``, ``event_time``,
        ``source.position`` and ``dlq``. Raises ValueError naming what is missing."""
        raw = json.loads(line)
        if not isinstance(raw, dict) or not {"op", "key", "after"} <= raw.keys():
            raise ValueError("needs an object with op, key and after")
        source = raw.get("source") or {}
        position = source.get("position") if isinstance(source, dict) else None
        return Fix(str(raw["op"]), str(raw["key"]), raw["after"], raw.get("event_id"), raw.get("event_time"),
                   None if position is None else int(position), raw.get("dlq"))
