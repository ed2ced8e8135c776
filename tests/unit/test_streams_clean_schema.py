from __future__ import annotations

import copy

import fastavro
import pytest

from hub.catalogue import load_catalogue
from registry.checker import compatibility_checker
from streams.clean_schema import clean_envelope_schema, clean_record_schema, clean_subject
from streams.rules.records import original_code_fields

CATALOGUE = load_catalogue()
NAMES = [d.name for d in CATALOGUE]


@pytest.mark.parametrize("name", NAMES)
def test_the_clean_record_is_the_catalogue_record_plus_original_codes(name: str) -> None:
    dataset = CATALOGUE.get(name)
    record = clean_record_schema(dataset)
    extra = record["fields"][len(dataset.record_schema["fields"]):]
    assert record["fields"][:len(dataset.record_schema["fields"])] == dataset.record_schema["fields"]
    assert [(f["name"], f["type"], f["default"]) for f in extra] == [
        (field_name, ["null", "string"], None) for _, _, field_name in original_code_fields(name)]
    fastavro.parse_schema(copy.deepcopy(clean_envelope_schema(dataset)))


@pytest.mark.parametrize("name", NAMES)
def test_the_clean_schema_reads_raw_events(name: str) -> None:
    """BACKWARD compatible with the raw schema: a consumer of the clean topic can read either."""
    dataset = CATALOGUE.get(name)
    assert compatibility_checker(clean_envelope_schema(dataset), [dataset.envelope_schema], "BACKWARD") == []


def test_clean_subject() -> None:
    assert clean_subject(CATALOGUE.get("land.parcel"), "hub") == "hub.land.parcel.clean-value"

