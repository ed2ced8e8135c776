"""The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro binary body.

Pure functions over bytes; schemas are looked up by the caller (see :class:`SchemaCache`).
"""

from __future__ import annotations

import copy
import io
import struct
from collections.abc import Callable
from typing import Any

import fastavro

from hub.errors import SchemaNotFound, WireFormatError

MAGIC = 0
_HEADER = struct.Struct(">bI")
HEADER_SIZE = _HEADER.size


def frame(schema_id: int, body: bytes) -> bytes:
    return _HEADER.pack(MAGIC, schema_id) + body


def unframe(message: bytes | None) -> tuple[int, memoryview]:
    """Split a message into (schema id, Avro body). Raises :class:`WireFormatError`."""
    if not message:
        raise WireFormatError("empty", "message has no value")
    if len(message) < HEADER_SIZE:
        raise WireFormatError("short_frame", f"{len(message)} bytes, need at least {HEADER_SIZE}")
    magic, schema_id = _HEADER.unpack_from(message)
    if magic != MAGIC:
        raise WireFormatError("bad_magic", f"magic byte {magic}, expected {MAGIC}")
    return schema_id, memoryview(message)[HEADER_SIZE:]


def encode(schema_id: int, parsed_schema: Any, record: dict[str, Any]) -> bytes:
    """Serialize ``record`` (already valid for ``parsed_schema``) in the Confluent wire format."""
    buf = io.BytesIO()
    buf.write(_HEADER.pack(MAGIC, schema_id))
    fastavro.schemaless_writer(buf, parsed_schema, record)
    return buf.getvalue()


_TIME_TYPES = frozenset({"date", "time-millis", "time-micros", "timestamp-millis", "timestamp-micros",
                         "local-timestamp-millis", "local-timestamp-micros"})


def without_time_types(schema: Any) -> Any:
    """``schema`` with its date/time logical types removed (pure): they decode as the underlying int/long
    (days, milliseconds…), which columnar writers take as they are, skipping a datetime per value."""
    if isinstance(schema, list):
        return [without_time_types(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: without_time_types(v) for k, v in schema.items()}
    if out.get("logicalType") in _TIME_TYPES:
        del out["logicalType"]
    return out


class SchemaCache:
    """Parsed writer schemas by id, fetched once each through ``fetch(schema_id) -> schema dict``.

    With ``raw_times`` dates and timestamps decode as ints (days since the epoch, epoch milliseconds…)."""

    def __init__(self, fetch: Callable[[int], dict[str, Any]], raw_times: bool = False) -> None:
        self._fetch = fetch
        self._raw_times = raw_times
        self._parsed: dict[int, Any] = {}
        self._raw: dict[int, dict[str, Any]] = {}

    def schema(self, schema_id: int) -> dict[str, Any]:
        """The writer schema as JSON (not parsed), e.g. to derive table columns from it."""
        self.parsed(schema_id)
        return self._raw[schema_id]

    def parsed(self, schema_id: int) -> Any:
        parsed = self._parsed.get(schema_id)
        if parsed is None:
            try:
                raw = self._fetch(schema_id)
            except SchemaNotFound as exc:
                raise WireFormatError("unknown_schema", f"schema id {schema_id}") from exc
            self._raw[schema_id] = raw
            parsed = fastavro.parse_schema(without_time_types(raw) if self._raw_times else copy.deepcopy(raw))
            self._parsed[schema_id] = parsed
        return parsed

    def decode(self, message: bytes | None, reader: Any = None) -> tuple[int, dict[str, Any]]:
        """Decode a framed message into (schema id, record). Raises :class:`WireFormatError`.

        With a parsed ``reader`` schema the record is resolved from the writer's schema to the reader's by
        Avro's rules (fields added with defaults filled in, removed ones dropped, promotions applied), so a
        consumer sees one shape whichever compatible version the producer used."""
        schema_id, body = unframe(message)
        parsed = self.parsed(schema_id)
        try:
            record = fastavro.schemaless_reader(io.BytesIO(body), parsed, reader)
        except Exception as exc:  # fastavro raises many types on corrupt input or unresolvable schemas
            raise WireFormatError("avro_decode", type(exc).__name__) from exc
        if not isinstance(record, dict):
            raise WireFormatError("avro_decode", "body is not a record")
        return schema_id, record
