"""Write requests of the REST API as pure functions: state + request -> :class:`Plan` (records to append, answer).

A plan is computed by the single writer right after it caught up with the log (see :mod:`registry.service`),
so the ids and versions it assigns are the next free ones. Validation failures raise a RegistryError
before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry import records as r
from registry.base import Checker
from registry.errors import (
    BadRequest,
    IncompatibleSchema,
    InvalidSchema,
    OperationNotPermitted,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)
from registry.model import (
    DEFAULT_LEVEL,
    Mode,
    RegisterRequest,
    SchemaVersion,
    VersionRef,
    check_subject,
    parse_level,
    parse_mode,
)
from registry.queries import incompatibilities, request_schema
from registry.state import RegistryState


@dataclass(frozen=True)
class Plan:
    """The answer to give once ``records`` are in the log; ``expect`` confirms the log applied them as planned."""

    result: Any
    records: tuple[r.Record, ...] = ()
    expect: Callable[[RegistryState], bool] | None = field(default=None, compare=False)


# -- schemas -----------------------------------------------------------------------------------
def register(state: RegistryState, subject: str, request: RegisterRequest, checker: Checker) -> Plan:
    """Register a schema version. Same schema already live under the subject: its id, nothing written.

    Raises 42205 (READONLY; an explicit id outside IMPORT mode; no id in IMPORT mode; id overwrite),
    42201 (invalid schema, or a version that is not the next one), 409 (incompatible)."""
    check_subject(subject)
    mode = state.mode_in_scope(subject)
    if mode is Mode.READONLY:
        raise OperationNotPermitted(f"Subject {subject} is in read-only mode")
    if request.id is not None and mode is not Mode.IMPORT:
        raise OperationNotPermitted(f"Subject {subject} is not in import mode")
    if request.id is None and mode is Mode.IMPORT:
        raise OperationNotPermitted(f"Subject {subject} is not in read-write mode")
    parsed = request_schema(request)
    if request.id is not None:
        return _import(state, subject, request.id, request.version, parsed.text, parsed.canonical)
    live = state.subject_versions(subject)
    for sv in live:
        if state.canonical_of(sv.id) == parsed.canonical and request.version in (None, sv.version):
            return Plan({"id": sv.id, "version": sv.version})
    version = _next_version(state, subject)
    if request.version is not None and request.version != version:
        raise InvalidSchema(f"version {request.version} is not one more than the previous version ({version - 1})")
    level = state.level_in_scope(subject)
    reasons = incompatibilities(parsed, live, level, checker)
    if reasons:
        raise IncompatibleSchema(subject, level, tuple(reasons))
    known = state.id_of(parsed.canonical)
    schema_id = known if known is not None else state.max_id + 1
    # One text per id: a schema equal by canonical form reuses the text first registered with the id.
    sv = SchemaVersion(subject, version, schema_id, state.schema_text(schema_id) or parsed.text)
    return _write_version(sv)


def _import(state: RegistryState, subject: str, schema_id: int, version: int | None, text: str,
            canonical: str) -> Plan:
    if schema_id < 1:
        raise InvalidSchema(f"id {schema_id} must be a positive integer")
    bound = state.canonical_of(schema_id)
    if bound is not None and bound != canonical:
        raise OperationNotPermitted(f"Overwrite new schema with id {schema_id} is not permitted.")
    if version is None:
        for sv in state.subject_versions(subject):
            if sv.id == schema_id:
                return Plan({"id": sv.id, "version": sv.version})
        version = _next_version(state, subject)
    existing = state.versions.get(subject, {}).get(version)
    if existing is not None:
        if existing.id == schema_id and not existing.deleted:
            return Plan({"id": existing.id, "version": existing.version})
        raise OperationNotPermitted(f"Version {version} of subject '{subject}' already exists with id {existing.id}")
    return _write_version(SchemaVersion(subject, version, schema_id, state.schema_text(schema_id) or text))


def _next_version(state: RegistryState, subject: str) -> int:
    return max((sv.version for sv in state.subject_versions(subject, deleted=True)), default=0) + 1


def _write_version(sv: SchemaVersion) -> Plan:
    return Plan({"id": sv.id, "version": sv.version}, (r.schema_record(sv),),
                expect=lambda s: s.versions.get(sv.subject, {}).get(sv.version) == sv)


def _check_writable(state: RegistryState, subject: str) -> None:
    if state.mode_in_scope(subject) is Mode.READONLY:
        raise OperationNotPermitted(f"Subject {subject} is in read-only mode")


def delete_subject(state: RegistryState, subject: str, permanent: bool = False) -> Plan:
    """Soft delete (all live versions), or permanent delete of a soft-deleted subject (tombstones).

    Raises 40401 (unknown), 40404 (soft delete twice), 40405 (permanent before soft), 42205 (READONLY).
    A permanent delete also removes the subject's compatibility level and mode."""
    every = state.subject_versions(subject, deleted=True)
    if not every:
        raise SubjectNotFound(subject)
    live = state.subject_versions(subject)
    if not permanent and not live:
        raise SubjectSoftDeleted(subject)
    if permanent and live:
        raise SubjectNotSoftDeleted(subject)
    _check_writable(state, subject)
    if not permanent:
        return Plan([sv.version for sv in live], (r.delete_subject_record(subject, live[-1].version),))
    records = [r.id_watermark_record(state.max_id)]
    records += [r.schema_tombstone(subject, sv.version) for sv in every]
    records.append(r.delete_subject_record(subject, None))
    if state.level(subject) is not None:
        records.append(r.config_record(subject, None))
    if state.mode(subject) is not None:
        records.append(r.mode_record(subject, None))
    return Plan([sv.version for sv in every], tuple(records))


def delete_version(state: RegistryState, subject: str, ref: VersionRef, permanent: bool = False) -> Plan:
    """Soft delete one version, or permanently delete a soft-deleted one; answers the version number.

    ``latest`` is the latest live version for a soft delete, the latest of all for a permanent one.
    Raises 40401, 40402, 40406 (soft delete twice), 40407 (permanent before soft), 42205 (READONLY)."""
    every = state.subject_versions(subject, deleted=True)
    if not every:
        raise SubjectNotFound(subject)
    if ref.number is None:
        candidates = every if permanent else [sv for sv in every if not sv.deleted] or every
        target = candidates[-1]
    else:
        found = [sv for sv in every if sv.version == ref.number]
        if not found:
            raise VersionNotFound(subject, ref.number)
        target = found[0]
    if not permanent and target.deleted:
        raise VersionSoftDeleted(subject, target.version)
    if permanent and not target.deleted:
        raise VersionNotSoftDeleted(subject, target.version)
    _check_writable(state, subject)
    if not permanent:
        deleted = SchemaVersion(target.subject, target.version, target.id, target.schema, deleted=True)
        return Plan(target.version, (r.schema_record(deleted),))
    return Plan(target.version, (r.id_watermark_record(state.max_id), r.schema_tombstone(subject, target.version)))


# -- compatibility level and mode ---------------------------------------------------------------
def set_config(state: RegistryState, subject: str | None, body: Any) -> Plan:
    """``PUT /config[/{subject}]`` with ``{"compatibility": LEVEL}``; raises 42203 for an unknown level."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object with a 'compatibility' field")
    level = parse_level(body.get("compatibility", body.get("compatibilityLevel")))
    if subject is not None:
        check_subject(subject)
    records = () if state.level(subject) == level else (r.config_record(subject, level),)
    return Plan({"compatibility": level}, records)


def delete_config(state: RegistryState, subject: str | None) -> Plan:
    """Back to the global level (for a subject; 40401 if it has none) or to the default (global)."""
    old = state.level(subject)
    if old is None and subject is not None:
        raise SubjectNotFound(subject)
    records = () if old is None else (r.config_record(subject, None),)
    return Plan({"compatibilityLevel": old or DEFAULT_LEVEL}, records)


def set_mode(state: RegistryState, subject: str | None, body: Any, force: bool = False) -> Plan:
    """``PUT /mode[/{subject}]`` with ``{"mode": MODE}``; 42204 unknown mode, 42205 IMPORT over live schemas."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object with a 'mode' field")
    mode = parse_mode(body.get("mode"))
    if subject is not None:
        check_subject(subject)
    if mode is Mode.IMPORT and not force:
        live = state.subjects() if subject is None else state.subject_versions(subject)
        if live:
            raise OperationNotPermitted("Cannot import since found existing subjects (use ?force=true)")
    records = () if state.mode(subject) is mode else (r.mode_record(subject, mode.value),)
    return Plan({"mode": mode.value}, records)


def delete_mode(state: RegistryState, subject: str) -> Plan:
    old = state.mode(subject)
    if old is None:
        raise SubjectNotFound(subject)
    return Plan({"mode": old.value}, (r.mode_record(subject, None),))
