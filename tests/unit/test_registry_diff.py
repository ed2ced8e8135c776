"""Field-level schema differences, and how ``hub schemas check`` words Confluent-style reasons."""

from __future__ import annotations

import copy
from typing import Any

from hub.catalogue import load_catalogue
from registry.cli import readable
from registry.diff import Change, describe, diff


def fields_of(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in record["fields"]}


def test_changes_inside_the_envelope_are_named_by_dotted_path() -> None:
    old = load_catalogue().get("population.citizen").envelope_schema
    new = copy.deepcopy(old)
    citizen = next(t for t in fields_of(new)["after"]["type"] if isinstance(t, dict))
    fields = fields_of(citizen)
    citizen["fields"].remove(fields["phone"])
    citizen["fields"].append({"name": "email", "type": ["null", "string"], "default": None})
    fields["ethnicity"]["type"] = ["null", "string"]
    fields["nationality"]["default"] = "VNM"
    fields["sex"]["type"]["symbols"].append("OTHER")
    fields_of(fields["permanent_address"]["type"])["ward_code"]["doc"] = "Mã xã (2025)."
    assert [str(c) for c in diff(old, new)] == [
        "~ after.sex: enum Sex symbols +OTHER",
        "~ after.permanent_address.ward_code: doc changed",
        "~ after.ethnicity: type string → null | string",
        '~ after.nationality: default "VN" → "VNM"',
        "+ after.email: null | string, default null",
        "- after.phone: null | string, default null",
    ]


def test_identical_schemas_have_no_differences() -> None:
    for dataset in load_catalogue():
        assert diff(dataset.envelope_schema, copy.deepcopy(dataset.envelope_schema)) == []


def test_type_changes_of_top_level_and_collections() -> None:
    person = {"type": "record", "name": "P", "fields": [{"name": "name", "type": "string"}]}
    old = {"type": "record", "name": "R", "fields": [{"name": "tags", "type": {"type": "array", "items": "string"}},
                                                      {"name": "at", "type": "long"},
                                                      {"name": "people", "type": {"type": "array", "items": person}}]}
    new = copy.deepcopy(old)
    new["name"] = "S"
    new["fields"][0]["type"]["items"] = "int"
    new["fields"][1]["type"] = {"type": "long", "logicalType": "timestamp-millis"}
    new["fields"][2]["type"]["items"]["fields"].append({"name": "age", "type": "int", "default": 0})
    assert diff(old, new) == [Change("changed", "/", "record renamed R → S"),
                              Change("changed", "tags", "type array<string> → array<int>"),
                              Change("changed", "at", "type long → long(timestamp-millis)"),
                              Change("added", "people[].age", "int, default 0")]
    assert diff("int", "long") == [Change("changed", "/", "type int → long")]


def test_describe_names_types_briefly() -> None:
    assert [describe(t) for t in ("vn.gov.Address", ["null", "string"], {"type": "map", "values": "long"},
                                  {"type": "enum", "name": "a.Sex", "symbols": []},
                                  {"type": "int", "logicalType": "date"}, {"type": {"type": "fixed", "name": "F",
                                                                                   "size": 2}})] == [
        "Address", "null | string", "map<long>", "enum Sex", "int(date)", "F"]


def test_confluent_reasons_read_as_sentences() -> None:
    reason = ("{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'c' at path '/fields/1' in "
              "the new schema has no default value and is missing in the old schema', additionalInfo:'c'}")
    assert readable(reason) == ("The field 'c' at path '/fields/1' in the new schema has no default value and is "
                                "missing in the old schema [READER_FIELD_MISSING_DEFAULT_VALUE]")
    assert readable("Invalid schema: not JSON") == "Invalid schema: not JSON"
