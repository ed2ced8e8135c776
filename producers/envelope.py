"""Building change envelopes and checking records against their dataset's schema (pure)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from fastavro.validation import ValidationError as AvroValidationError
from fastavro.validation import validate

from hub.catalogue import Dataset
from hub.errors import ValidationError

OPS = ("c", "u", "d", "r")


@dataclass(frozen=True)
class Source:
    """Where a change came from: owner ministry, its system, and the change's position there."""

    ministry: str
    system: str
    position: int


def check_record(dataset: Dataset, record: dict[str, Any]) -> None:
    """Raise :class:`ValidationError` naming the first bad field and the rule; never the value."""
    try:
        validate(record, dataset.parsed_record, raise_errors=True)
    except AvroValidationError as exc:
        first = exc.errors[0] if exc.errors else None
        field = getattr(first, "field", None) or "<record>"
        schema = getattr(first, "schema", None)
        rule = f"type {schema if isinstance(schema, str) else _type_name(schema)}"
        raise ValidationError(dataset=dataset.name, field=".".join(str(field).split(".")[-2:]), rule=rule) from None
    except (ValueError, TypeError):  # a logical type's conversion failed; its message would quote the value
        raise ValidationError(dataset=dataset.name, field="<record>",
                              rule="date/timestamp/decimal fields need date, datetime or Decimal values") from None


def _type_name(schema: Any) -> str:
    if isinstance(schema, dict):
        return str(schema.get("logicalType") or schema.get("type"))
    if isinstance(schema, list):
        return "|".join(_type_name(s) if not isinstance(s, str) else s for s in schema)
    return str(schema)


def envelope(dataset: Dataset, op: str, key: str, record: dict[str, Any] | None, source: Source,
             event_time: datetime | None = None, event_id: str | None = None,
             now: datetime | None = None) -> dict[str, Any]:
    """The change envelope for one event, validated. ``record`` must be None exactly when ``op`` is ``d``."""
    if op not in OPS:
        raise ValidationError(dataset=dataset.name, field="op", rule=f"one of {'/'.join(OPS)}")
    if (op == "d") != (record is None):
        raise ValidationError(dataset=dataset.name, field="after",
                              rule="null for deletes (op d), a record otherwise")
    if not key:
        raise ValidationError(dataset=dataset.name, field="key", rule="non-empty string")
    if record is not None:
        check_record(dataset, record)
    now = now or datetime.now(timezone.utc)
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "op": op,
        "key": key,
        "after": record,
        "source": {"ministry": source.ministry, "system": source.system, "position": source.position},
        "event_time": event_time or now,
        "ingest_time": now,
    }
