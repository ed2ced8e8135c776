from __future__ import annotations

import unicodedata
from datetime import date

import fastavro
import pytest

from hub import wire
from streams.cleaning import clean_text, clean_value
from streams.processor import Cleaned, Processor, Rejected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Nguyễn   Văn  An ", "Nguyễn Văn An"),
        (unicodedata.normalize("NFD", "Trần Thị Hằng"), "Trần Thị Hằng"),
        ("Hà\tNội\n", "Hà Nội"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected
    assert unicodedata.is_normalized("NFC", clean_text(raw))


def test_clean_value_walks_records_lists_and_maps() -> None:
    value = {"name": " A  B ", "n": 3, "d": date(2000, 1, 2), "tags": [" x "], "m": {"k": " y "}, "z": None}
    assert clean_value(value) == {"name": "A B", "n": 3, "d": date(2000, 1, 2), "tags": ["x"], "m": {"k": "y"},
                                  "z": None}


SCHEMA = {"type": "record", "name": "E", "fields": [
    {"name": "op", "type": "string"},
    {"name": "after", "type": ["null", {"type": "record", "name": "P", "fields": [{"name": "name", "type": "string"}]}]},
]}


def test_processor_cleans_after_and_keeps_schema_id() -> None:
    parsed = fastavro.parse_schema(SCHEMA)
    cache = wire.SchemaCache(lambda _id: SCHEMA)
    outcome = Processor(cache).process(wire.encode(3, parsed, {"op": "c", "after": {"name": "  Lê   Lan "}}))
    assert isinstance(outcome, Cleaned)
    assert cache.decode(outcome.value) == (3, {"op": "c", "after": {"name": "Lê Lan"}})


def test_processor_passes_deletes_and_rejects_garbage() -> None:
    parsed = fastavro.parse_schema(SCHEMA)
    cache = wire.SchemaCache(lambda _id: SCHEMA)
    deleted = Processor(cache).process(wire.encode(3, parsed, {"op": "d", "after": None}))
    assert isinstance(deleted, Cleaned)
    assert Processor(cache).process(b"garbage") == Rejected("bad_magic", "magic byte 103, expected 0")
