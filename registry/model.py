"""Plain values of the registry: registered versions, requests, modes and levels (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from registry.errors import BadRequest, InvalidCompatibilityLevel, InvalidMode, InvalidSubject, InvalidVersion

DEFAULT_LEVEL = "BACKWARD"
LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE")
SCHEMA_TYPES = ("AVRO",)
MAX_VERSION = 2**31 - 1


class Mode(str, Enum):
    """What a subject (or the whole registry) accepts: READWRITE is the default."""

    READWRITE = "READWRITE"
    READONLY = "READONLY"
    IMPORT = "IMPORT"


@dataclass(frozen=True)
class SchemaVersion:
    """One version of a subject, as kept in the log (``deleted`` marks a soft delete)."""

    subject: str
    version: int
    id: int
    schema: str
    deleted: bool = False

    def to_json(self) -> dict[str, Any]:
        """Confluent's ``Schema`` entity (``schemaType`` is omitted for Avro, as Confluent does)."""
        return {"subject": self.subject, "version": self.version, "id": self.id, "schema": self.schema}


@dataclass(frozen=True)
class RegisterRequest:
    """The body of ``POST /subjects/{s}/versions``, ``POST /subjects/{s}`` and compatibility checks."""

    schema: str | None
    schema_type: str | None = None
    references: tuple[Any, ...] = ()
    id: int | None = None
    version: int | None = None

    @classmethod
    def from_json(cls, body: Any) -> RegisterRequest:
        """Read a request body; raises :class:`BadRequest` naming the field of the wrong type."""
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object with a 'schema' field")
        schema = _typed(body, "schema", str)
        schema_type = _typed(body, "schemaType", str)
        references = _typed(body, "references", list)
        schema_id = _typed(body, "id", int)
        version = _typed(body, "version", int)
        return cls(schema=schema, schema_type=schema_type, references=tuple(references or ()),
                   id=schema_id, version=version)


def _typed(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadRequest(f"field {name!r} must be a {'JSON ' + kind.__name__}, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class VersionRef:
    """A version as written in a URL: a number, or ``latest`` (``-1`` also means latest, as in Confluent)."""

    number: int | None  # None: latest

    @property
    def is_latest(self) -> bool:
        return self.number is None

    @classmethod
    def parse(cls, text: str) -> VersionRef:
        """Raises :class:`InvalidVersion` (42202) unless ``text`` is ``latest``, ``-1`` or in [1, 2^31-1]."""
        if text.strip().lower() == "latest":
            return cls(None)
        try:
            number = int(text)
        except ValueError:
            raise InvalidVersion(text) from None
        if number == -1:
            return cls(None)
        if not 1 <= number <= MAX_VERSION:
            raise InvalidVersion(text)
        return cls(number)


def parse_level(value: Any) -> str:
    """A compatibility level name (case-insensitive); raises :class:`InvalidCompatibilityLevel` (42203)."""
    if isinstance(value, str) and value.upper() in LEVELS:
        return value.upper()
    raise InvalidCompatibilityLevel(str(value))


def parse_mode(value: Any) -> Mode:
    """A mode name (case-insensitive); raises :class:`InvalidMode` (42204)."""
    try:
        return Mode(value.upper()) if isinstance(value, str) else Mode(value)
    except ValueError:
        raise InvalidMode(str(value)) from None


def check_subject(subject: str) -> str:
    """Raises :class:`InvalidSubject` (42208) for an empty name or one with control characters."""
    if not subject or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in subject):
        raise InvalidSubject(subject)
    return subject
