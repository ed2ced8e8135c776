"""What the golden and quality agents need from the outside — a schema registry for their output schemas —
and the one place they turn records into registered, Confluent-framed bytes."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from streams.encoder import FramedEncoder


class SchemaRegistrar(Protocol):
    """Registers a schema under a subject and returns its id (the existing id if already registered).

    :class:`registry.store.KafkaSchemaStore` is one; its errors propagate."""

    def register(self, subject: str, schema: dict[str, Any]) -> int: ...


class RegisteredWriter:
    """Encodes records of one schema in the wire format, registering the schema under ``subject`` on first
    use (in a thread: the registrar blocks). Registry errors propagate to the caller."""

    def __init__(self, store: SchemaRegistrar, subject: str, schema: dict[str, Any]) -> None:
        self._store = store
        self._subject = subject
        self._schema = schema
        self._encoder = FramedEncoder(schema)
        self._id: int | None = None

    async def encode(self, record: dict[str, Any]) -> bytes:
        if self._id is None:
            self._id = await asyncio.to_thread(self._store.register, self._subject, self._schema)
        return self._encoder.encode(self._id, record)
