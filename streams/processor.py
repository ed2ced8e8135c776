"""From raw framed bytes to cleaned framed bytes, or a rejection with a reason code (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass

from hub import wire
from hub.errors import WireFormatError
from streams.cleaning import clean_value


@dataclass(frozen=True)
class Cleaned:
    value: bytes


@dataclass(frozen=True)
class Rejected:
    code: str
    detail: str


class Processor:
    """Decodes with the writer schema, cleans the ``after`` record, re-encodes with the same schema id."""

    def __init__(self, schemas: wire.SchemaCache) -> None:
        self._schemas = schemas

    def process(self, raw: bytes | None) -> Cleaned | Rejected:
        try:
            schema_id, event = self._schemas.decode(raw)
        except WireFormatError as exc:
            return Rejected(exc.code, exc.detail)
        if event.get("after") is not None:
            event["after"] = clean_value(event["after"])
        return Cleaned(wire.encode(schema_id, self._schemas.parsed(schema_id), event))
