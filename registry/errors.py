"""The registry's errors: each carries Confluent's HTTP status and ``error_code`` so any layer can answer with it.

The codes are those of Confluent Schema Registry (``io.confluent.kafka.schemaregistry.rest.exceptions.Errors``)
and of its REST framework (400 for unparsable JSON, 404/405/415 as plain HTTP codes). An incompatible schema
answers HTTP 409 with ``error_code`` 409, as Confluent did through 7.x (8.x moved to 40901).

::

    HubError
    └── RegistryError                    http_status / error_code, message = str(error)
        ├── BadRequest                   400 / 400     body is not JSON or a field has the wrong type
        ├── NoSuchEndpoint               404 / 404     no route for this path
        ├── MethodNotAllowed             405 / 405
        ├── UnsupportedMediaType         415 / 415
        ├── SubjectNotFound              404 / 40401
        ├── VersionNotFound              404 / 40402
        ├── UnknownSchema                404 / 40403   no schema with this id (or not under this subject)
        ├── SubjectSoftDeleted           404 / 40404   soft-delete asked twice; use ?permanent=true
        ├── SubjectNotSoftDeleted        404 / 40405   permanent delete before the soft one
        ├── VersionSoftDeleted           404 / 40406
        ├── VersionNotSoftDeleted        404 / 40407
        ├── SubjectConfigNotSet          404 / 40408   no subject-level compatibility (try ?defaultToGlobal=true)
        ├── SubjectModeNotSet            404 / 40409
        ├── IncompatibleSchema           409 / 409     the reasons, one per incompatibility
        ├── InvalidSchema                422 / 42201   not Avro, not parsable, unsupported schemaType
        ├── InvalidVersion               422 / 42202
        ├── InvalidCompatibilityLevel    422 / 42203
        ├── InvalidMode                  422 / 42204
        ├── OperationNotPermitted        422 / 42205   READONLY / IMPORT mode rules, id overwrite
        ├── InvalidSubject               422 / 42208
        ├── StoreError                   500 / 50001   the Kafka log refused or failed
        │   └── WriterFenced             500 / 50001   another writer took over the log during our write
        ├── StoreTimeout                 500 / 50002   the log did not catch up in time
        ├── ForwardingFailed             500 / 50003   a follower could not reach the leader
        ├── UnknownLeader                500 / 50004   a follower has no leader URL to forward writes to
        ├── RemoteError                  any           an error answered by a registry over HTTP (client side)
        └── Unreachable                  - / -1        no answer from the registry's URL (client side)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.errors import HubError

_VALID_LEVELS = "NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE"
_VALID_MODES = "READWRITE, READONLY, IMPORT"


class RegistryError(HubError):
    """Root of the registry's errors; ``to_json()`` is Confluent's error body."""

    http_status: int = 500
    error_code: int = 50001

    @property
    def message(self) -> str:
        return str(self)

    def to_json(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message}


@dataclass
class BadRequest(RegistryError):
    reason: str
    http_status = 400
    error_code = 400

    def __str__(self) -> str:
        return self.reason


@dataclass
class NoSuchEndpoint(RegistryError):
    path: str
    http_status = 404
    error_code = 404

    def __str__(self) -> str:
        return f"HTTP 404 Not Found: no endpoint {self.path}"


@dataclass
class MethodNotAllowed(RegistryError):
    method: str
    path: str
    http_status = 405
    error_code = 405

    def __str__(self) -> str:
        return f"HTTP 405 Method Not Allowed: {self.method} {self.path}"


@dataclass
class UnsupportedMediaType(RegistryError):
    content_type: str
    http_status = 415
    error_code = 415

    def __str__(self) -> str:
        return (f"HTTP 415 Unsupported Media Type: {self.content_type!r}; send application/vnd.schemaregistry.v1+json, "
                "application/json or application/octet-stream")


@dataclass
class SubjectNotFound(RegistryError):
    subject: str
    http_status = 404
    error_code = 40401

    def __str__(self) -> str:
        return f"Subject '{self.subject}' not found."


@dataclass
class VersionNotFound(RegistryError):
    subject: str
    version: int | str
    http_status = 404
    error_code = 40402

    def __str__(self) -> str:
        return f"Version {self.version} not found."


@dataclass
class UnknownSchema(RegistryError):
    schema_id: int | str | None = None
    http_status = 404
    error_code = 40403

    def __str__(self) -> str:
        return "Schema not found" if self.schema_id is None else f"Schema {self.schema_id} not found"


@dataclass
class SubjectSoftDeleted(RegistryError):
    subject: str
    http_status = 404
    error_code = 40404

    def __str__(self) -> str:
        return f"Subject '{self.subject}' was soft deleted. Set permanent=true to delete permanently"


@dataclass
class SubjectNotSoftDeleted(RegistryError):
    subject: str
    http_status = 404
    error_code = 40405

    def __str__(self) -> str:
        return f"Subject '{self.subject}' was not deleted first before being permanently deleted"


@dataclass
class VersionSoftDeleted(RegistryError):
    subject: str
    version: int
    http_status = 404
    error_code = 40406

    def __str__(self) -> str:
        return (f"Subject '{self.subject}' Version {self.version} was soft deleted. "
                "Set permanent=true to delete permanently")


@dataclass
class VersionNotSoftDeleted(RegistryError):
    subject: str
    version: int
    http_status = 404
    error_code = 40407

    def __str__(self) -> str:
        return (f"Subject '{self.subject}' Version {self.version} was not deleted first before being "
                "permanently deleted")


@dataclass
class SubjectConfigNotSet(RegistryError):
    subject: str
    http_status = 404
    error_code = 40408

    def __str__(self) -> str:
        return f"Subject '{self.subject}' does not have subject-level compatibility configured"


@dataclass
class SubjectModeNotSet(RegistryError):
    subject: str
    http_status = 404
    error_code = 40409

    def __str__(self) -> str:
        return f"Subject '{self.subject}' does not have subject-level mode configured"


@dataclass
class IncompatibleSchema(RegistryError):
    subject: str
    level: str
    reasons: tuple[str, ...]
    http_status = 409
    error_code = 409

    def __str__(self) -> str:
        return (f'Schema being registered is incompatible with an earlier schema for subject "{self.subject}" '
                f"({self.level}), details: [{'; '.join(self.reasons)}]")


@dataclass
class InvalidSchema(RegistryError):
    reason: str
    http_status = 422
    error_code = 42201

    def __str__(self) -> str:
        return f"Invalid schema: {self.reason}"


@dataclass
class InvalidVersion(RegistryError):
    version: str
    http_status = 422
    error_code = 42202

    def __str__(self) -> str:
        return (f"The specified version '{self.version}' is not a valid version id. "
                'Allowed values are between [1, 2^31-1] and the string "latest"')


@dataclass
class InvalidCompatibilityLevel(RegistryError):
    level: str
    http_status = 422
    error_code = 42203

    def __str__(self) -> str:
        return f"Invalid compatibility level {self.level!r}. Valid values are {_VALID_LEVELS}"


@dataclass
class InvalidMode(RegistryError):
    mode: str
    http_status = 422
    error_code = 42204

    def __str__(self) -> str:
        return f"Invalid mode {self.mode!r}. Valid values are {_VALID_MODES}"


@dataclass
class OperationNotPermitted(RegistryError):
    reason: str
    http_status = 422
    error_code = 42205

    def __str__(self) -> str:
        return self.reason


@dataclass
class InvalidSubject(RegistryError):
    subject: str
    http_status = 422
    error_code = 42208

    def __str__(self) -> str:
        return f"The specified subject {self.subject!r} is not a valid subject (empty or control characters)"


@dataclass
class StoreError(RegistryError):
    reason: str
    http_status = 500
    error_code = 50001

    def __str__(self) -> str:
        return f"Error in the backend data store: {self.reason}"


class WriterFenced(StoreError):
    """Another writer initialised the log's transactional id after us: our write was not committed."""


@dataclass
class StoreTimeout(RegistryError):
    reason: str
    http_status = 500
    error_code = 50002

    def __str__(self) -> str:
        return f"Operation timed out: {self.reason}"


@dataclass
class ForwardingFailed(RegistryError):
    leader_url: str
    reason: str
    http_status = 500
    error_code = 50003

    def __str__(self) -> str:
        return f"Error while forwarding the request to the leader {self.leader_url}: {self.reason}"


@dataclass
class UnknownLeader(RegistryError):
    http_status = 500
    error_code = 50004

    def __str__(self) -> str:
        return ("This registry instance is not the leader (HUB_REGISTRY_LEADER=false) and knows no leader to "
                "forward writes to (HUB_REGISTRY_LEADER_URL)")


class RemoteError(RegistryError):
    """An error answered by a registry over HTTP; keeps its status, code and message as received."""

    def __init__(self, http_status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_code = error_code
        self._message = message

    def __str__(self) -> str:
        return self._message


@dataclass
class Unreachable(RegistryError):
    url: str
    reason: str
    http_status = 0
    error_code = -1

    def __str__(self) -> str:
        return f"no answer from the schema registry at {self.url}: {self.reason}"
