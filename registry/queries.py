"""Read requests of the REST API as pure functions of the state; each answers JSON or raises a RegistryError."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from registry.avro import ParsedSchema, parse
from registry.base import Checker
from registry.errors import (
    InvalidSchema,
    SubjectConfigNotSet,
    SubjectModeNotSet,
    SubjectNotFound,
    UnknownSchema,
    VersionNotFound,
)
from registry.model import DEFAULT_LEVEL, SCHEMA_TYPES, Mode, RegisterRequest, SchemaVersion, VersionRef
from registry.state import RegistryState


# -- rules shared with the write requests ------------------------------------------------------
def request_schema(request: RegisterRequest) -> ParsedSchema:
    """The Avro schema of a request; raises :class:`InvalidSchema` (42201) for any other kind of schema."""
    if request.schema_type is not None and request.schema_type.upper() not in SCHEMA_TYPES:
        raise InvalidSchema(f"schemaType {request.schema_type!r} is not supported; this registry accepts "
                            f"{', '.join(SCHEMA_TYPES)}")
    if request.references:
        raise InvalidSchema("schema references are not supported; send the schema with its types inlined")
    if not request.schema or not request.schema.strip():
        raise InvalidSchema("empty schema")
    return parse(request.schema)


def incompatibilities(new: ParsedSchema, existing: Sequence[SchemaVersion], level: str, checker: Checker) -> list[str]:
    """Reasons ``new`` breaks ``level`` against ``existing`` (oldest first); empty when compatible."""
    if level == "NONE" or not existing:
        return []
    return list(checker(new.value, [json.loads(sv.schema) for sv in existing], level))


# -- subjects and versions ---------------------------------------------------------------------
def list_subjects(state: RegistryState, deleted: bool = False, deleted_only: bool = False,
                  prefix: str = "") -> list[str]:
    found = state.subjects(deleted or deleted_only)
    if deleted_only:
        live = set(state.subjects())
        found = [s for s in found if s not in live]
    return [s for s in found if s.startswith(prefix)]


def list_versions(state: RegistryState, subject: str, deleted: bool = False, deleted_only: bool = False) -> list[int]:
    versions = state.subject_versions(subject, deleted or deleted_only)
    if not versions:
        raise SubjectNotFound(subject)
    return [sv.version for sv in versions if not deleted_only or sv.deleted]


def get_version(state: RegistryState, subject: str, ref: VersionRef, deleted: bool = False) -> SchemaVersion:
    """Raises 40401 if the subject has no (live) version, 40402 if this version is missing or soft-deleted."""
    versions = state.subject_versions(subject, deleted)
    if not versions:
        raise SubjectNotFound(subject)
    if ref.number is None:
        return versions[-1]
    for sv in versions:
        if sv.version == ref.number:
            return sv
    raise VersionNotFound(subject, ref.number)


def lookup(state: RegistryState, subject: str, request: RegisterRequest, deleted: bool = False) -> SchemaVersion:
    """The version of ``subject`` holding this schema (by canonical form); 40401 / 40403 / 42201."""
    parsed = request_schema(request)
    versions = state.subject_versions(subject, deleted)
    if not versions:
        raise SubjectNotFound(subject)
    for sv in reversed(versions):
        if state.canonical_of(sv.id) == parsed.canonical:
            return sv
    raise UnknownSchema()


# -- schemas by id ------------------------------------------------------------------------------
def parse_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UnknownSchema(text) from None


def schema_text(state: RegistryState, schema_id: int) -> str:
    text = state.schema_text(schema_id)
    if text is None:
        raise UnknownSchema(schema_id)
    return text


def schema_by_id(state: RegistryState, schema_id: int) -> dict[str, Any]:
    return {"schema": schema_text(state, schema_id)}


def subjects_of_id(state: RegistryState, schema_id: int, deleted: bool = False) -> list[str]:
    schema_text(state, schema_id)
    return sorted({sv.subject for sv in state.users_of(schema_id, deleted)})


def versions_of_id(state: RegistryState, schema_id: int, deleted: bool = False) -> list[dict[str, Any]]:
    schema_text(state, schema_id)
    return [{"subject": sv.subject, "version": sv.version} for sv in state.users_of(schema_id, deleted)]


# -- compatibility, config and mode -------------------------------------------------------------
def check_compatibility(state: RegistryState, subject: str, ref: VersionRef | None, request: RegisterRequest,
                        checker: Checker, verbose: bool = False) -> dict[str, Any]:
    """Confluent's compatibility test: against one version (``ref``) or, with ``ref`` None, as registration would.

    A missing numbered version is 40402; ``latest`` of an empty subject is compatible. With ``verbose`` an
    invalid schema is reported as incompatible with its reason instead of 42201."""
    live = state.subject_versions(subject)
    if ref is None:
        against = live
    elif ref.number is None:
        against = live[-1:]
    else:
        against = [sv for sv in live if sv.version == ref.number]
        if not against:
            raise VersionNotFound(subject, ref.number)
    try:
        parsed = request_schema(request)
    except InvalidSchema as exc:
        if verbose:
            return {"is_compatible": False, "messages": [str(exc)]}
        raise
    reasons = incompatibilities(parsed, against, state.level_in_scope(subject), checker)
    answer: dict[str, Any] = {"is_compatible": not reasons}
    if verbose:
        answer["messages"] = reasons
    return answer


def get_config(state: RegistryState, subject: str | None, default_to_global: bool = False) -> dict[str, Any]:
    if subject is None:
        return {"compatibilityLevel": state.level(None) or DEFAULT_LEVEL}
    level = state.level_in_scope(subject) if default_to_global else state.level(subject)
    if level is None:
        raise SubjectConfigNotSet(subject)
    return {"compatibilityLevel": level}


def get_mode(state: RegistryState, subject: str | None, default_to_global: bool = False) -> dict[str, Any]:
    if subject is None:
        return {"mode": (state.mode(None) or Mode.READWRITE).value}
    mode = state.mode_in_scope(subject) if default_to_global else state.mode(subject)
    if mode is None:
        raise SubjectModeNotSet(subject)
    return {"mode": mode.value}
