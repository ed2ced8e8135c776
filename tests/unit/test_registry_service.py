"""Registry requests on an in-memory log: answers, Confluent error codes, and the single-writer protocol."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from registry import commands, queries
from registry.checker import compatibility_checker
from registry.commands import Plan
from registry.errors import RegistryError
from registry.memory import MemoryLog, MemoryTopic
from registry.model import RegisterRequest, VersionRef
from registry.service import Registry
from registry.state import RegistryState


def rec(*fields: dict[str, Any], name: str = "R") -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields)}, separators=(",", ":"))


V1 = rec({"name": "a", "type": "int"})
V2 = rec({"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": ""})
BREAKING = rec({"name": "a", "type": "int"}, {"name": "c", "type": "string"})
OTHER = rec({"name": "z", "type": "long"}, name="Z")


@pytest.fixture
def reg() -> Registry:
    return Registry(MemoryLog(), compatibility_checker).start()


def register(reg: Registry, subject: str, schema: str, **extra: Any) -> Any:
    request = RegisterRequest(schema=schema, **extra)
    return reg.write(lambda s: commands.register(s, subject, request, reg.checker))


def write(reg: Registry, command: Callable[[RegistryState], Plan]) -> Any:
    return reg.write(command)


def code(action: Callable[[], Any]) -> tuple[int, int, str]:
    """The HTTP status, Confluent error code and message of the RegistryError ``action`` raises."""
    with pytest.raises(RegistryError) as caught:
        action()
    return caught.value.http_status, caught.value.error_code, str(caught.value)


# -- registering ------------------------------------------------------------------------------
def test_ids_are_global_and_versions_per_subject(reg: Registry) -> None:
    assert register(reg, "a", V1) == {"id": 1, "version": 1}
    assert register(reg, "a", V1) == {"id": 1, "version": 1}  # same subject: the existing version
    assert register(reg, "b", json.dumps(json.loads(V1), indent=2)) == {"id": 1, "version": 1}  # same canonical form
    assert register(reg, "a", V2) == {"id": 2, "version": 2}
    assert register(reg, "c", OTHER) == {"id": 3, "version": 1}
    assert reg.read(lambda s: queries.list_subjects(s)) == ["a", "b", "c"]
    assert reg.read(lambda s: queries.versions_of_id(s, 1)) == [{"subject": "a", "version": 1},
                                                                {"subject": "b", "version": 1}]


def test_a_breaking_change_is_409_with_the_reason(reg: Registry) -> None:
    register(reg, "a", V1)
    assert code(lambda: register(reg, "a", BREAKING)) == (
        409, 409, "Schema being registered is incompatible with an earlier schema for subject \"a\" (BACKWARD), "
        "details: [{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'c' at path "
        "'/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'c'}]")
    write(reg, lambda s: commands.set_config(s, "a", {"compatibility": "NONE"}))
    assert register(reg, "a", BREAKING) == {"id": 2, "version": 2}


@pytest.mark.parametrize(("request_fields", "expected"), [
    ({"schema": "{oops"}, (422, 42201, "Invalid schema: not JSON: Expecting property name enclosed in double quotes: "
                                      "line 1 column 2 (char 1)")),
    ({"schema": ""}, (422, 42201, "Invalid schema: empty schema")),
    ({"schema": V1, "schema_type": "PROTOBUF"},
     (422, 42201, "Invalid schema: schemaType 'PROTOBUF' is not supported; this registry accepts AVRO")),
    ({"schema": V1, "references": ({"name": "x", "subject": "x", "version": 1},)},
     (422, 42201, "Invalid schema: schema references are not supported; send the schema with its types inlined")),
    ({"schema": V1, "version": 5},
     (422, 42201, "Invalid schema: version 5 is not one more than the previous version (0)")),
    ({"schema": V1, "id": 7}, (422, 42205, "Subject a is not in import mode")),
])
def test_invalid_registrations(reg: Registry, request_fields: dict[str, Any], expected: tuple[int, int, str]) -> None:
    request = RegisterRequest(**request_fields)
    assert code(lambda: reg.write(lambda s: commands.register(s, "a", request, reg.checker))) == expected


def test_invalid_subject_names_are_42208(reg: Registry) -> None:
    assert code(lambda: register(reg, "a\nb", V1))[:2] == (422, 42208)


def test_readonly_mode_refuses_writes_and_deletes(reg: Registry) -> None:
    register(reg, "a", V1)
    assert write(reg, lambda s: commands.set_mode(s, "a", {"mode": "readonly"})) == {"mode": "READONLY"}
    assert code(lambda: register(reg, "a", V2)) == (422, 42205, "Subject a is in read-only mode")
    assert code(lambda: write(reg, lambda s: commands.delete_subject(s, "a")))[:2] == (422, 42205)
    assert code(lambda: write(reg, lambda s: commands.delete_version(s, "a", VersionRef(1))))[:2] == (422, 42205)
    assert register(reg, "b", V1) == {"id": 1, "version": 1}  # other subjects are not affected


def test_import_mode_takes_explicit_ids_and_versions(reg: Registry) -> None:
    assert code(lambda: write(reg, lambda s: commands.set_mode(s, None, {"mode": "SIDEWAYS"})))[:2] == (422, 42204)
    write(reg, lambda s: commands.set_mode(s, None, {"mode": "IMPORT"}))
    assert code(lambda: register(reg, "a", V1)) == (422, 42205, "Subject a is not in read-write mode")
    assert register(reg, "a", V1, id=40, version=3) == {"id": 40, "version": 3}
    assert register(reg, "a", V1, id=40, version=3) == {"id": 40, "version": 3}  # idempotent
    assert register(reg, "a", BREAKING, id=41) == {"id": 41, "version": 4}  # no compatibility check
    assert code(lambda: register(reg, "b", V2, id=40)) == (
        422, 42205, "Overwrite new schema with id 40 is not permitted.")
    assert code(lambda: register(reg, "a", V2, id=42, version=3)) == (
        422, 42205, "Version 3 of subject 'a' already exists with id 40")
    assert code(lambda: register(reg, "a", V2, id=0))[:2] == (422, 42201)
    write(reg, lambda s: commands.set_mode(s, None, {"mode": "READWRITE"}))
    assert register(reg, "b", OTHER) == {"id": 42, "version": 1}  # new ids continue after imported ones


def test_import_mode_over_live_subjects_needs_force(reg: Registry) -> None:
    register(reg, "a", V1)
    for subject in (None, "a"):
        assert code(lambda: write(reg, lambda s: commands.set_mode(s, subject, {"mode": "IMPORT"}))) == (
            422, 42205, "Cannot import since found existing subjects (use ?force=true)")
    assert write(reg, lambda s: commands.set_mode(s, "a", {"mode": "IMPORT"}, force=True)) == {"mode": "IMPORT"}
    assert write(reg, lambda s: commands.set_mode(s, "b", {"mode": "IMPORT"})) == {"mode": "IMPORT"}


# -- deleting ----------------------------------------------------------------------------------
def test_subject_soft_delete_then_permanent(reg: Registry) -> None:
    register(reg, "a", V1)
    register(reg, "a", V2)
    write(reg, lambda s: commands.set_config(s, "a", {"compatibility": "FULL"}))

    def delete(permanent: bool) -> Any:
        return write(reg, lambda s: commands.delete_subject(s, "a", permanent))

    assert code(lambda: delete(True)) == (
        404, 40405, "Subject 'a' was not deleted first before being permanently deleted")
    assert delete(False) == [1, 2]
    assert code(lambda: delete(False)) == (
        404, 40404, "Subject 'a' was soft deleted. Set permanent=true to delete permanently")
    assert reg.read(lambda s: queries.list_subjects(s)) == []
    assert reg.read(lambda s: queries.list_subjects(s, deleted=True)) == ["a"]
    assert reg.read(lambda s: queries.list_subjects(s, deleted_only=True)) == ["a"]
    assert reg.read(lambda s: queries.schema_by_id(s, 2)) == {"schema": V2}  # still readable by id
    assert register(reg, "a", V1) == {"id": 1, "version": 3}  # versions go on after soft-deleted ones
    write(reg, lambda s: commands.delete_subject(s, "a"))
    assert delete(True) == [1, 2, 3]
    assert code(lambda: delete(False)) == (404, 40401, "Subject 'a' not found.")
    assert code(lambda: reg.read(lambda s: queries.schema_by_id(s, 2))) == (404, 40403, "Schema 2 not found")
    assert code(lambda: reg.read(lambda s: queries.get_config(s, "a")))[:2] == (404, 40408)
    assert register(reg, "a", V2) == {"id": 3, "version": 1}  # ids are never reused


def test_version_soft_delete_then_permanent(reg: Registry) -> None:
    register(reg, "a", V1)
    register(reg, "a", V2)

    def delete(version: str, permanent: bool = False) -> Any:
        return write(reg, lambda s: commands.delete_version(s, "a", VersionRef.parse(version), permanent))

    assert code(lambda: delete("1", permanent=True)) == (
        404, 40407, "Subject 'a' Version 1 was not deleted first before being permanently deleted")
    assert delete("1") == 1
    assert code(lambda: delete("1")) == (
        404, 40406, "Subject 'a' Version 1 was soft deleted. Set permanent=true to delete permanently")
    assert code(lambda: delete("9")) == (404, 40402, "Version 9 not found.")
    assert code(lambda: write(reg, lambda s: commands.delete_version(s, "nope", VersionRef(1)))) == (
        404, 40401, "Subject 'nope' not found.")
    assert reg.read(lambda s: queries.list_versions(s, "a")) == [2]
    assert reg.read(lambda s: queries.list_versions(s, "a", deleted=True)) == [1, 2]
    assert reg.read(lambda s: queries.list_versions(s, "a", deleted_only=True)) == [1]
    assert code(lambda: reg.read(lambda s: queries.get_version(s, "a", VersionRef(1))))[:2] == (404, 40402)
    assert reg.read(lambda s: queries.get_version(s, "a", VersionRef(1), deleted=True)).deleted is True
    assert delete("1", permanent=True) == 1
    assert delete("latest") == 2
    assert code(lambda: delete("latest"))[:2] == (404, 40406)
    assert delete("latest", permanent=True) == 2
    assert code(lambda: reg.read(lambda s: queries.list_versions(s, "a", deleted=True)))[:2] == (404, 40401)


# -- reading -----------------------------------------------------------------------------------
def test_lookups_and_their_errors(reg: Registry) -> None:
    register(reg, "a", V1)
    register(reg, "a", V2)
    assert reg.read(lambda s: queries.get_version(s, "a", VersionRef.parse("latest"))).to_json() == {
        "subject": "a", "version": 2, "id": 2, "schema": V2}
    assert reg.read(lambda s: queries.lookup(s, "a", RegisterRequest(V1))).version == 1
    assert code(lambda: reg.read(lambda s: queries.lookup(s, "a", RegisterRequest(OTHER)))) == (
        404, 40403, "Schema not found")
    assert code(lambda: reg.read(lambda s: queries.lookup(s, "b", RegisterRequest(V1))))[:2] == (404, 40401)
    assert code(lambda: reg.read(lambda s: queries.lookup(s, "a", RegisterRequest("{")))) [:2] == (422, 42201)
    assert code(lambda: reg.read(lambda s: queries.get_version(s, "b", VersionRef(1))))[:2] == (404, 40401)
    assert code(lambda: reg.read(lambda s: queries.list_versions(s, "b")))[:2] == (404, 40401)
    assert code(lambda: reg.read(lambda s: queries.schema_text(s, 9)))[:2] == (404, 40403)
    assert code(lambda: reg.read(lambda s: queries.subjects_of_id(s, 9)))[:2] == (404, 40403)
    assert code(lambda: queries.parse_id("x")) == (404, 40403, "Schema x not found")
    assert reg.read(lambda s: queries.subjects_of_id(s, 1)) == ["a"]


@pytest.mark.parametrize("text", ["0", "-2", "abc", "2147483648", "1.5"])
def test_invalid_versions_are_42202(text: str) -> None:
    assert code(lambda: VersionRef.parse(text)) == (
        422, 42202, f"The specified version '{text}' is not a valid version id. "
        'Allowed values are between [1, 2^31-1] and the string "latest"')


def test_version_refs() -> None:
    assert [VersionRef.parse(t) for t in ("latest", "LATEST", "-1", "7")] == [
        VersionRef(None), VersionRef(None), VersionRef(None), VersionRef(7)]


def test_compatibility_checks(reg: Registry) -> None:
    def check(ref: VersionRef | None, schema: str, verbose: bool = True, subject: str = "a") -> Any:
        return reg.read(lambda s: queries.check_compatibility(s, subject, ref, RegisterRequest(schema), reg.checker,
                                                              verbose))

    assert check(VersionRef(None), BREAKING, subject="new") == {"is_compatible": True, "messages": []}
    assert code(lambda: check(VersionRef(1), V1, subject="new")) == (404, 40402, "Version 1 not found.")
    register(reg, "a", V1)
    assert check(None, V2, verbose=False) == {"is_compatible": True}
    answer = check(VersionRef(1), BREAKING)
    assert (answer["is_compatible"], len(answer["messages"])) == (False, 1)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in answer["messages"][0]
    assert check(None, "{bad") == {"is_compatible": False, "messages": [
        "Invalid schema: not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"]}
    assert code(lambda: check(None, "{bad", verbose=False))[:2] == (422, 42201)


def test_config_and_mode(reg: Registry) -> None:
    assert reg.read(lambda s: queries.get_config(s, None)) == {"compatibilityLevel": "BACKWARD"}
    assert code(lambda: write(reg, lambda s: commands.set_config(s, None, {"compatibility": "SIDEWAYS"}))) == (
        422, 42203, "Invalid compatibility level 'SIDEWAYS'. Valid values are NONE, BACKWARD, BACKWARD_TRANSITIVE, "
        "FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE")
    assert code(lambda: write(reg, lambda s: commands.set_config(s, None, ["FULL"])))[:2] == (400, 400)
    assert write(reg, lambda s: commands.set_config(s, None, {"compatibility": "full"})) == {"compatibility": "FULL"}
    assert write(reg, lambda s: commands.set_config(s, "a", {"compatibilityLevel": "NONE"})) == {
        "compatibility": "NONE"}
    assert reg.read(lambda s: queries.get_config(s, "a")) == {"compatibilityLevel": "NONE"}
    assert reg.read(lambda s: queries.get_config(s, "b", default_to_global=True)) == {"compatibilityLevel": "FULL"}
    assert code(lambda: reg.read(lambda s: queries.get_config(s, "b"))) == (
        404, 40408, "Subject 'b' does not have subject-level compatibility configured")
    assert write(reg, lambda s: commands.delete_config(s, "a")) == {"compatibilityLevel": "NONE"}
    assert code(lambda: write(reg, lambda s: commands.delete_config(s, "a")))[:2] == (404, 40401)
    assert write(reg, lambda s: commands.delete_config(s, None)) == {"compatibilityLevel": "FULL"}
    assert reg.read(lambda s: queries.get_config(s, None)) == {"compatibilityLevel": "BACKWARD"}

    assert reg.read(lambda s: queries.get_mode(s, None)) == {"mode": "READWRITE"}
    assert code(lambda: reg.read(lambda s: queries.get_mode(s, "a"))) == (
        404, 40409, "Subject 'a' does not have subject-level mode configured")
    assert reg.read(lambda s: queries.get_mode(s, "a", default_to_global=True)) == {"mode": "READWRITE"}
    assert code(lambda: write(reg, lambda s: commands.set_mode(s, None, "READONLY")))[:2] == (400, 400)
    write(reg, lambda s: commands.set_mode(s, "a", {"mode": "READONLY"}))
    assert write(reg, lambda s: commands.delete_mode(s, "a")) == {"mode": "READONLY"}
    assert code(lambda: write(reg, lambda s: commands.delete_mode(s, "a")))[:2] == (404, 40401)


# -- the single-writer protocol ------------------------------------------------------------------
def test_two_writers_on_one_log_fence_each_other_and_never_collide() -> None:
    topic = MemoryTopic()
    first = Registry(MemoryLog(topic), compatibility_checker).start()
    second = Registry(MemoryLog(topic), compatibility_checker).start()
    assert register(first, "a", V1) == {"id": 1, "version": 1}
    assert register(second, "b", OTHER) == {"id": 2, "version": 1}  # fenced `first`, caught up, then planned
    assert register(first, "a", V2) == {"id": 3, "version": 2}  # fenced, re-acquired, re-planned on new state
    second.log.sync()
    assert first.snapshot() == second.snapshot()
    assert topic.epoch == 3


def test_a_follower_refuses_writes_and_reads_what_the_leader_wrote() -> None:
    topic = MemoryTopic()
    leader = Registry(MemoryLog(topic), compatibility_checker).start()
    follower = Registry(MemoryLog(topic), compatibility_checker, leader=False).start()
    assert code(lambda: register(follower, "a", V1))[:2] == (500, 50004)
    register(leader, "a", V1)
    assert follower.read(lambda s: queries.schema_text(s, 1)) == V1  # a miss makes it catch up first


def test_a_write_the_log_did_not_apply_as_planned_is_not_acknowledged(reg: Registry) -> None:
    planned = commands.register(RegistryState(), "a", RegisterRequest(V1), compatibility_checker)
    overridden = Plan(planned.result, planned.records, expect=lambda s: False)
    assert code(lambda: reg.write(lambda s: overridden)) == (
        500, 50001, "Error in the backend data store: the write was overridden by a record from another writer; retry")
