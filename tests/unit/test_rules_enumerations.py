from __future__ import annotations

from typing import Any

import pytest

from hub.catalogue import load_catalogue
from streams.rules.enumerations import invalid_enum

CATALOGUE = load_catalogue()
SCHEMA = {"type": "record", "name": "R", "fields": [
    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
    {"name": "maybe", "type": ["null", {"type": "enum", "name": "Maybe", "symbols": ["X"]}], "default": None},
    {"name": "inner", "type": {"type": "record", "name": "Inner", "fields": [{"name": "k", "type": "Kind"}]}},
]}


@pytest.mark.parametrize(("record", "path"), [
    ({"kind": "A", "maybe": None, "inner": {"k": "B"}}, None),
    ({"kind": "C", "maybe": None, "inner": {"k": "B"}}, "kind"),
    ({"kind": "A", "maybe": "Y", "inner": {"k": "B"}}, "maybe"),
])
def test_invalid_enum(record: dict[str, Any], path: str | None) -> None:
    assert invalid_enum(SCHEMA, record) == path


@pytest.mark.parametrize(("dataset", "field", "good", "bad"), [
    ("population.citizen", "sex", "FEMALE", "OTHER"),
    ("enterprise.registration", "status", "NOT_AT_REGISTERED_ADDRESS", "CLOSED"),
    ("civil_status.event", "event_type", "DIVORCE", "ADOPTION"),
])
def test_catalogue_enumerations(dataset: str, field: str, good: str, bad: str) -> None:
    schema = CATALOGUE.get(dataset).record_schema
    assert (invalid_enum(schema, {field: good}), invalid_enum(schema, {field: bad})) == (None, field)
