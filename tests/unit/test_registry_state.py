"""The registry's pure core: the topic's record layout, rebuilding state from records, reading Avro schemas."""

from __future__ import annotations

import json

import pytest

from registry import records as r
from registry.avro import parse
from registry.errors import InvalidSchema
from registry.memory import MemoryLog, MemoryTopic
from registry.model import Mode, SchemaVersion
from registry.state import RegistryState

A = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}'
B = '{"type":"record","name":"B","fields":[{"name":"y","type":"string"}]}'


def state_of(*records: r.Record) -> RegistryState:
    state = RegistryState()
    for record in records:
        state.apply(record)
    return state


def test_keys_and_values_are_confluents_compact_json() -> None:
    sv = SchemaVersion("s-value", 2, 7, A)
    assert r.schema_record(sv).encode() == (
        b'{"keytype":"SCHEMA","subject":"s-value","version":2,"magic":1}',
        b'{"subject":"s-value","version":2,"id":7,"schema":' + json.dumps(A).encode() + b',"deleted":false}')
    assert r.config_record(None, "FULL").encode() == (b'{"keytype":"CONFIG","magic":0}',
                                                      b'{"compatibilityLevel":"FULL"}')
    assert r.mode_record("s", None).encode() == (b'{"keytype":"MODE","subject":"s","magic":0}', None)
    assert r.delete_subject_record("s", 3).encode() == (b'{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}',
                                                        b'{"subject":"s","version":3}')
    assert r.id_watermark_record(9).encode() == (b'{"keytype":"NOOP","magic":0}', b'{"maxId":9}')


def test_decode_reverses_encode_and_rejects_foreign_keys() -> None:
    record = r.schema_record(SchemaVersion("s", 1, 1, A, deleted=True))
    assert r.decode(*record.encode()) == record
    assert r.decode(b"not json", b"{}") is None
    assert r.decode(b'{"magic":1}', b"{}") is None
    assert r.decode(b'{"keytype":"SCHEMA","subject":5,"version":1}', b"{}") is None
    assert r.decode(b'{"keytype":"SCHEMA","subject":"s","version":1}', None) == r.schema_tombstone("s", 1)


def test_schema_records_build_subjects_and_ids() -> None:
    state = state_of(r.schema_record(SchemaVersion("a", 1, 1, A)), r.schema_record(SchemaVersion("b", 1, 1, A)),
                     r.schema_record(SchemaVersion("a", 2, 2, B)))
    assert state.subjects() == ["a", "b"]
    assert state.subject_versions("a") == [SchemaVersion("a", 1, 1, A), SchemaVersion("a", 2, 2, B)]
    assert (state.schema_text(1), state.schema_text(2), state.max_id) == (A, B, 2)
    assert state.id_of(parse(B).canonical) == 2
    assert [(sv.subject, sv.version) for sv in state.users_of(1)] == [("a", 1), ("b", 1)]


def test_an_id_bound_to_another_schema_is_skipped_first_wins() -> None:
    state = state_of(r.schema_record(SchemaVersion("a", 1, 1, A)), r.schema_record(SchemaVersion("b", 1, 1, B)))
    assert (state.subjects(), state.schema_text(1), state.skipped) == (["a"], A, 1)


def test_delete_subject_soft_deletes_up_to_its_version() -> None:
    state = state_of(r.schema_record(SchemaVersion("a", 1, 1, A)), r.schema_record(SchemaVersion("a", 2, 2, B)),
                     r.delete_subject_record("a", 1))
    assert state.subject_versions("a") == [SchemaVersion("a", 2, 2, B)]
    assert state.subject_versions("a", deleted=True)[0] == SchemaVersion("a", 1, 1, A, deleted=True)
    assert state.schema_text(1) == A  # a soft-deleted schema can still be read by id


def test_tombstones_remove_versions_and_unused_ids_but_not_the_id_high_water_mark() -> None:
    state = state_of(r.schema_record(SchemaVersion("a", 1, 1, A)), r.schema_record(SchemaVersion("a", 2, 2, B)),
                     r.id_watermark_record(2), r.schema_tombstone("a", 2))
    assert (state.subjects(), state.schema_text(2), state.id_of(parse(B).canonical), state.max_id) == (
        ["a"], None, None, 2)


def test_config_and_mode_records_and_their_tombstones() -> None:
    state = state_of(r.config_record(None, "FULL"), r.config_record("a", "NONE"), r.mode_record("a", "READONLY"),
                     r.mode_record(None, "IMPORT"), r.config_record("a", None))
    assert (state.level(None), state.level("a"), state.level_in_scope("a")) == ("FULL", None, "FULL")
    assert (state.mode("a"), state.mode_in_scope("b")) == (Mode.READONLY, Mode.IMPORT)


def test_malformed_or_unknown_records_are_counted_not_fatal() -> None:
    state = state_of(r.Record(r.Key("CLEAR_SUBJECT", "a"), {"subject": "a"}),
                     r.Record(r.Key(r.CONFIG), {"compatibilityLevel": "SIDEWAYS"}),
                     r.Record(r.Key(r.MODE), {"mode": "WRITEONLY"}),
                     r.Record(r.Key(r.SCHEMA, "a", 1), {"id": "one", "schema": A}),
                     r.Record(r.Key(r.SCHEMA, "a", 1), {"id": 1, "schema": "{not avro"}),
                     r.Record(r.Key(r.SCHEMA, "a", 1), {"id": 1, "schema": A, "schemaType": "PROTOBUF"}),
                     r.Record(r.Key(r.DELETE_SUBJECT, "a"), {"subject": "a"}))
    assert (state.skipped, state.snapshot()) == (7, {"subjects": {}, "levels": {}, "modes": {}, "max_id": 0})


def test_compaction_keeps_the_state_and_the_ids_already_used() -> None:
    topic = MemoryTopic()
    for record in (r.schema_record(SchemaVersion("a", 1, 1, A)), r.schema_record(SchemaVersion("b", 1, 2, B)),
                   r.delete_subject_record("b", 1), r.id_watermark_record(2), r.schema_tombstone("b", 1),
                   r.config_record("a", "FULL")):
        topic.messages.append(record.encode())

    def replay() -> dict[str, object]:
        state = RegistryState()
        log = MemoryLog(topic)
        log.start(state.apply)
        log.sync()
        return state.snapshot()

    before = replay()
    topic.compact()
    assert len(topic.messages) == 4  # SCHEMA a/1, DELETE_SUBJECT b, NOOP, CONFIG a
    assert replay() == before == {"subjects": {"a": [(1, 1, A, False)]}, "levels": {"a": "FULL"}, "modes": {},
                                  "max_id": 2}


@pytest.mark.parametrize(("text", "reason"), [
    ("{not json", "not JSON"),
    ('{"type":"record","name":"R","fields":[{"name":"a","type":"strin"}]}', "UnknownType: strin"),
    ('{"type":"record","name":"R"}', "a record needs a 'fields' list at /"),
    ('{"type":"record","name":"1R","fields":[]}', "invalid record name '1R' at /"),
    ('{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}',
     "duplicate field name 'a' at /fields/1"),
    ('["null","string","null"]', "duplicate type 'null' in union at /2"),
    ('["null",["int"]]', "a union may not directly contain another union at /1"),
    ('{"type":"enum","name":"E","symbols":["a","b c"]}', "enum symbols must be a list of Avro names at /"),
    ('{"type":"fixed","name":"F"}', "missing attribute 'size'"),
    ('{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}',
     "SchemaParseException: Default value <x> must match schema type: int"),
    ("5", "a schema must be a JSON string, object or array, not int at /"),
])
def test_invalid_schemas_name_the_rule_and_place(text: str, reason: str) -> None:
    with pytest.raises(InvalidSchema) as caught:
        parse(text)
    assert caught.value.reason.startswith(reason)
    assert (caught.value.http_status, caught.value.error_code) == (422, 42201)


def test_stored_text_is_compact_and_identity_ignores_docs_and_spacing() -> None:
    spaced = '{ "type": "record", "name": "A", "doc": "Bản ghi", "fields": [ {"name": "x", "type": "int"} ] }'
    parsed = parse(spaced)
    assert parsed.text == '{"type":"record","name":"A","doc":"Bản ghi","fields":[{"name":"x","type":"int"}]}'
    assert parsed.canonical == parse(A).canonical == '{"name":"A","type":"record","fields":[{"name":"x","type":"int"}]}'
