"""The hub's exceptions. Every error the hub raises on purpose derives from :class:`HubError`.

::

    HubError
    ├── ConfigError                 bad settings or catalogue entries
    ├── CatalogueError              unknown dataset, unreadable schema
    ├── WireFormatError             bytes that are not Confluent-framed Avro (carries a reason code)
    ├── SchemaNotFound              a schema id or subject the registry does not know
    ├── ValidationError             a record that does not match its dataset's schema (field path, rule)
    │   └── producers.validation.RecordInvalid      every field error of one record
    ├── KafkaError                  the broker refused or could not be reached
    │   └── LauncherError           the local broker could not be fetched, started or stopped
    ├── ClickHouseError             the ClickHouse target refused a statement or an insert
    ├── producers.spool.SpoolError  the SDK's local spool cannot be used (SpoolLocked: another owner)
    └── registry.errors.RegistryError   a Confluent registry error with its HTTP status and error code
        (SubjectNotFound 40401, VersionNotFound 40402, UnknownSchema 40403, IncompatibleSchema 409,
        InvalidSchema 42201, StoreError 50001, StoreTimeout 50002, … see registry/errors.py)
"""

from __future__ import annotations

from dataclasses import dataclass


class HubError(Exception):
    """Root of the hub's exceptions."""


class ConfigError(HubError):
    """A setting or catalogue entry is invalid."""


class CatalogueError(HubError):
    """A dataset or schema of the catalogue cannot be found or read."""


@dataclass
class WireFormatError(HubError):
    """Bytes are not a Confluent-framed Avro message.

    ``code`` is stable (``empty``, ``bad_magic``, ``short_frame``, ``unknown_schema``, ``avro_decode``)
    and safe to log: it never contains the payload.
    """

    code: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code


@dataclass
class SchemaNotFound(HubError):
    """The registry has no schema with this id, or no such subject."""

    schema_id: int | None = None
    subject: str | None = None

    def __str__(self) -> str:
        what = f"id {self.schema_id}" if self.schema_id is not None else f"subject {self.subject!r}"
        return f"schema not found: {what}"


@dataclass
class ValidationError(HubError):
    """A record does not match its schema. Names the field and the rule, never the value itself."""

    dataset: str
    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.dataset}: field {self.field!r} violates {self.rule}"


class KafkaError(HubError):
    """The Kafka cluster refused a request or could not be reached."""


class LauncherError(KafkaError):
    """The local Kafka broker could not be fetched, started or stopped."""


class ClickHouseError(HubError):
    """The ClickHouse target refused a statement or an insert."""
