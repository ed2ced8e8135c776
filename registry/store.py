"""Schemas in the registry's compacted topic, used in-process (no HTTP): the SDK, stream processors, sinks.

``KafkaSchemaStore`` is the registry's own core (:class:`registry.service.Registry` over
:class:`registry.log.KafkaLog`) behind the three calls the pipeline needs. It reads the topic only when
asked (``refresh``, an unknown id, before a write), in the caller's thread. ``register`` is a write like
the service's — same validation, compatibility check and fenced single-writer protocol — so it is safe
while a registry service writes the same topic.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from hub.errors import SchemaNotFound
from registry import commands, queries
from registry.avro import compact, parse_value
from registry.checker import compatibility_checker
from registry.errors import UnknownSchema
from registry.log import KafkaLog
from registry.model import RegisterRequest
from registry.service import Registry


def canonical(schema: dict[str, Any] | str) -> str:
    """Avro parsing canonical form, the identity of a schema. Raises ``registry.errors.InvalidSchema``."""
    return parse_value(json.loads(schema) if isinstance(schema, str) else schema).canonical


class KafkaSchemaStore:
    """Register and look up schemas; state is the content of ``topic`` (read on first use)."""

    def __init__(self, bootstrap: str, topic: str = "_schemas", timeout_s: float = 10.0) -> None:
        log = KafkaLog(bootstrap, topic, timeout_s=timeout_s, follow=False)
        self._registry = Registry(log, compatibility_checker)
        self._started = False
        self._lock = threading.Lock()

    def _started_registry(self) -> Registry:
        with self._lock:
            if not self._started:
                self._registry.start()
                self._started = True
        return self._registry

    def refresh(self) -> None:
        """Read the schemas topic up to its current end."""
        registry = self._started_registry()
        registry.log.sync()

    def schema(self, schema_id: int) -> dict[str, Any]:
        """The schema with this id; raises :class:`hub.errors.SchemaNotFound` (after catching up) if unknown."""
        try:
            text = self._started_registry().read(lambda s: queries.schema_text(s, schema_id))
        except UnknownSchema as exc:
            raise SchemaNotFound(schema_id=schema_id) from exc
        return json.loads(text)  # type: ignore[no-any-return]

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        """Register ``schema`` under ``subject`` and return its id (the existing one if already known).

        Raises the registry's errors: ``IncompatibleSchema`` (a breaking change), ``InvalidSchema``,
        ``OperationNotPermitted`` (READONLY/IMPORT mode), ``StoreError``/``StoreTimeout``."""
        registry = self._started_registry()
        request = RegisterRequest(schema=compact(schema))
        result = registry.write(lambda s: commands.register(s, subject, request, registry.checker))
        return int(result["id"])

    def close(self) -> None:
        with self._lock:
            if self._started:
                self._registry.close()
                self._started = False
