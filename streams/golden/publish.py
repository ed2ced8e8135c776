"""Golden changes as change events: the envelope around ``schemas/golden/<entity>.avsc`` (pure).

Each golden change is published to ``<namespace>.golden.<entity>``, keyed by the golden key, in the
Confluent wire format under the subject ``<topic>-value``. The envelope is the hub's: ``op`` is ``c`` when
the record (re)appears, ``u`` when it changes, ``d`` when its register deletes it (``after`` null);
``source.position`` is the record's revision and ``event_time`` the latest event time it merged, so the
pair orders a key's changes; ``event_id`` is derived from (entity, key, revision), so a change published
again after a restart carries the same id.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import cache
from typing import Any

import schemas
from hub.catalogue import wrap_in_envelope
from streams.golden.values import GoldenChange

GOLDEN_SCHEMA_DIR = schemas.SCHEMA_DIR / "golden"
SOURCE_MINISTRY = "HUB"
"""``source.ministry`` of golden changes: the hub itself, which merged them."""
SOURCE_SYSTEM = "golden-merge"
_IDS = uuid.UUID("6b1c7f0e-8f2a-4c57-9a43-0d7f3a5e9b21")


def golden_topic(namespace: str, entity: str) -> str:
    return f"{namespace}.golden.{entity}"


def subject(namespace: str, entity: str) -> str:
    return f"{golden_topic(namespace, entity)}-value"


@cache
def _record_schema_text(entity: str) -> str:
    return (GOLDEN_SCHEMA_DIR / f"{entity}.avsc").read_text(encoding="utf-8")


def record_schema(entity: str) -> dict[str, Any]:
    """The golden record's Avro schema (``schemas/golden/<entity>.avsc``)."""
    return json.loads(_record_schema_text(entity))  # type: ignore[no-any-return]


def envelope_schema(entity: str) -> dict[str, Any]:
    """The schema of the golden topic's values: the change envelope around the golden record."""
    envelope = json.loads(schemas.ENVELOPE_FILE.read_text(encoding="utf-8"))
    return wrap_in_envelope(envelope, record_schema(entity))


def event_id(change: GoldenChange) -> str:
    return str(uuid.uuid5(_IDS, f"{change.entity}/{change.key}/{change.revision}"))


def envelope(change: GoldenChange, ingest_time: datetime) -> dict[str, Any]:
    """The change event of ``change`` (a dict valid for :func:`envelope_schema`)."""
    return {
        "event_id": event_id(change),
        "op": change.op,
        "key": change.key,
        "after": None if change.record is None else change.record.to_avro(),
        "source": {"ministry": SOURCE_MINISTRY, "system": SOURCE_SYSTEM, "position": change.revision},
        "event_time": change.event_time,
        "ingest_time": ingest_time,
    }
