"""The shared-data catalogue: its datasets, their schemas and the checks the loader makes."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import pytest
import yaml

from hub.catalogue import Dataset, field_at, load_catalogue, wrap_in_envelope
from hub.errors import CatalogueError
from schemas import ENVELOPE_FILE, SCHEMA_DIR
from sinks.ddl import create_history_table, history_columns

CATALOGUE = load_catalogue()
NAMES = [d.name for d in CATALOGUE]

SAMPLES: dict[str, dict[str, Any]] = {
    "population.citizen": {
        "cccd": "001090012345", "full_name": "Nguyễn Văn An", "date_of_birth": date(1990, 5, 17), "sex": "MALE",
        "place_of_origin": "Nam Định",
        "permanent_address": {"line": "12 Hàng Bạc", "ward_code": "00070", "province_code": "01"},
        "ethnicity": "Kinh", "nationality": "VN", "phone": None},
    "enterprise.registration": {
        "tax_code": "0101234567-001", "name": "Công ty Cổ phần Phần mềm Sông Hồng", "name_en": "Song Hong Software JSC",
        "short_name": None, "legal_form": "JOINT_STOCK", "state_owned": False, "status": "ACTIVE",
        "registration_date": date(2012, 3, 1), "main_industry_code": "6201",
        "head_office_address": {"line": "5 Duy Tân", "ward_code": None, "province_code": "01"},
        "legal_representative_cccd": "001085054321", "charter_capital": Decimal("15000000000"),
        "phone": "02437654321", "email": None},
    "social_insurance.participant": {
        "si_code": "0112345678", "cccd": "001090012345", "employer_tax_code": "0101234567",
        "scheme": "COMPULSORY", "monthly_contribution_base": Decimal("12500000"), "status": "ACTIVE",
        "start_date": date(2015, 7, 1), "end_date": None, "province_code": "01"},
    "civil_status.event": {
        "civil_event_id": "HT-2025-000123", "event_type": "DEATH", "subject_cccd": "036045001122",
        "second_party_cccd": None, "event_date": date(2025, 11, 2),
        "occurred_at": datetime(2025, 11, 2, 7, 30, tzinfo=timezone.utc), "registration_ward_code": "13600",
        "registration_province_code": "36", "registration_number": "125", "registration_date": date(2025, 11, 4)},
    "land.parcel": {
        "parcel_id": "79-26734-12-345", "map_sheet_number": 12, "parcel_number": 345, "province_code": "79",
        "ward_code": "26734", "area_m2": Decimal("128.5"), "land_use_code": "ODT", "owner_kind": "CITIZEN",
        "owner_cccd": "079088004455", "owner_tax_code": None, "certificate_number": "DA 123456",
        "certificate_issue_date": date(2019, 8, 20)},
}


def _round_trip(parsed: Any, value: dict[str, Any]) -> Any:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed, value)
    buf.seek(0)
    return fastavro.schemaless_reader(buf, parsed, parsed)


def test_all_five_datasets_with_their_owners() -> None:
    assert {d.name: (d.owner.code, d.owner.name_en, d.owner.name_vi) for d in CATALOGUE} == {
        "population.citizen": ("BCA", "Ministry of Public Security", "Bộ Công an"),
        "enterprise.registration": ("BTC", "Ministry of Finance", "Bộ Tài chính"),
        "social_insurance.participant": ("BHXH", "Vietnam Social Security (under the Ministry of Finance)",
                                         "Bảo hiểm xã hội Việt Nam (thuộc Bộ Tài chính)"),
        "civil_status.event": ("BTP", "Ministry of Justice", "Bộ Tư pháp"),
        "land.parcel": ("BNNMT", "Ministry of Agriculture and Environment", "Bộ Nông nghiệp và Môi trường"),
    }


def test_existing_api_still_works() -> None:
    citizen = CATALOGUE.get("population.citizen")
    topics = citizen.topics("hub")
    assert (topics.raw, topics.clean, topics.dlq, citizen.table_stem) == (
        "hub.population.citizen.raw", "hub.population.citizen.clean", "hub.population.citizen.dlq",
        "population_citizen")
    assert citizen.envelope_schema == wrap_in_envelope(json.loads(ENVELOPE_FILE.read_text("utf-8")),
                                                       citizen.record_schema)
    with pytest.raises(CatalogueError, match="unknown dataset 'population.nobody'"):
        CATALOGUE.get("population.nobody")


DERIVED_SCHEMA_DIRS = {"golden", "quality"}  # the hub's own outputs, not datasets sent by ministries


def test_every_schema_file_is_in_the_catalogue_and_named_after_its_domain() -> None:
    on_disk = {str(p.relative_to(SCHEMA_DIR)): json.loads(p.read_text("utf-8"))
               for p in sorted(SCHEMA_DIR.glob("*/*.avsc")) if p.parent.name not in DERIVED_SCHEMA_DIRS}
    assert {path: (s["namespace"], s["name"]) for path, s in on_disk.items()} == {
        f"{d.name.replace('.', '/')}.avsc": (d.record_schema["namespace"], d.record_schema["name"])
        for d in CATALOGUE}
    assert {d.name: d.record_schema["namespace"] for d in CATALOGUE} == {
        n: f"vn.gov.datahub.{n.split('.')[0]}" for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_schema_parses_standalone_and_wrapped(name: str) -> None:
    dataset = CATALOGUE.get(name)
    record = json.loads(json.dumps(dataset.record_schema))  # as a fresh file read would give it
    fastavro.parse_schema(record)
    wrapped = wrap_in_envelope(json.loads(ENVELOPE_FILE.read_text("utf-8")), record)
    fastavro.parse_schema(wrapped)
    assert [t if t == "null" else t["name"] for f in wrapped["fields"] if f["name"] == "after"
            for t in f["type"]] == ["null", dataset.record_schema["name"]]


@pytest.mark.parametrize("name", NAMES)
def test_every_doc_is_bilingual(name: str) -> None:
    """Every record, field and enum doc has an English and a Vietnamese sentence."""
    docs: list[str] = []

    def collect(schema: Any) -> None:
        if isinstance(schema, list):
            for branch in schema:
                collect(branch)
        elif isinstance(schema, dict):
            if schema.get("type") in ("record", "enum"):
                docs.append(schema.get("doc", ""))
            for f in schema.get("fields", ()):
                docs.append(f.get("doc", ""))
                collect(f["type"])

    collect(CATALOGUE.get(name).record_schema)
    vietnamese = re.compile(r"[ăâđêôơưàáảãạầấẩẫậằắẳẵặèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)
    assert [d for d in docs if not vietnamese.search(d) or not re.search(r"[A-Za-z]{3,}.*\.", d)] == []


@pytest.mark.parametrize("name", NAMES)
def test_key_and_personal_data_paths_resolve(name: str) -> None:
    dataset = CATALOGUE.get(name)
    paths = [*dataset.key, *dataset.personal_data]
    assert [p for p in paths if field_at(dataset.record_schema, p) is None] == []
    assert paths != []


@pytest.mark.parametrize("name", NAMES)
def test_sample_record_round_trips(name: str) -> None:
    dataset = CATALOGUE.get(name)
    sample = SAMPLES[name]
    assert list(sample) == [f["name"] for f in dataset.record_schema["fields"]]
    assert _round_trip(dataset.parsed_record, sample) == sample


@pytest.mark.parametrize("name", NAMES)
def test_sample_event_round_trips_in_the_envelope(name: str) -> None:
    dataset = CATALOGUE.get(name)
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    key = "|".join(str(SAMPLES[name][k]) for k in dataset.key)
    created = {"event_id": "e1", "op": "c", "key": key, "after": SAMPLES[name],
               "source": {"ministry": dataset.owner.code, "system": "s", "position": 1},
               "event_time": t, "ingest_time": t}
    deleted = dict(created, event_id="e2", op="d", after=None)
    assert [_round_trip(dataset.parsed_envelope, e) for e in (created, deleted)] == [created, deleted]


def test_authoritative_attributes() -> None:
    assert {d.name: d.authoritative for d in CATALOGUE} == {
        "population.citizen": {
            "citizen": ("full_name", "date_of_birth", "sex", "place_of_origin", "permanent_address", "ethnicity",
                        "nationality", "phone"),
            "enterprise": ()},
        "enterprise.registration": {
            "citizen": (),
            "enterprise": ("name", "name_en", "short_name", "legal_form", "state_owned", "status",
                           "registration_date", "main_industry_code", "head_office_address",
                           "legal_representative_cccd", "charter_capital", "phone", "email")},
        "social_insurance.participant": {
            "citizen": ("social_insurance_code", "employer_tax_code", "insurance_scheme", "insurance_status"),
            "enterprise": ()},
        "civil_status.event": {"citizen": ("marital_status", "spouse_cccd", "date_of_death"), "enterprise": ()},
        "land.parcel": {"citizen": ("land_holdings",), "enterprise": ("land_holdings",)},
    }


def test_no_golden_attribute_has_two_authorities() -> None:
    claims: dict[tuple[str, str], list[str]] = {}
    for dataset in CATALOGUE:
        for entity, attributes in dataset.authoritative.items():
            for attribute in attributes:
                claims.setdefault((entity, attribute), []).append(dataset.name)
    assert {k: v for k, v in claims.items() if len(v) > 1} == {}


@pytest.mark.parametrize("name", NAMES)
def test_history_table_for_every_dataset(name: str) -> None:
    dataset = CATALOGUE.get(name)
    statement = create_history_table("hub", dataset)
    names = [c.name for c in history_columns(dataset)]
    assert statement.startswith(f"CREATE TABLE IF NOT EXISTS `hub`.`{dataset.table_stem}_history` (")
    assert sorted({n for n in names if names.count(n) > 1}) == []  # record fields never shadow envelope columns


def test_enterprise_history_table_columns() -> None:
    statement = create_history_table("hub", CATALOGUE.get("enterprise.registration"))
    assert re.findall(r"^  `(\w+)` (.+?),?$", statement, re.M) == [
        ("_topic", "LowCardinality(String)"), ("_partition", "UInt32"), ("_offset", "UInt64"),
        ("event_id", "String"), ("op", "LowCardinality(String)"), ("key", "String"),
        ("source_ministry", "LowCardinality(String)"), ("source_system", "LowCardinality(String)"),
        ("source_position", "Int64"), ("event_time", "DateTime64(3, 'UTC')"),
        ("ingest_time", "DateTime64(3, 'UTC')"),
        ("tax_code", "Nullable(String)"), ("name", "Nullable(String)"), ("name_en", "Nullable(String)"),
        ("short_name", "Nullable(String)"), ("legal_form", "LowCardinality(Nullable(String))"),
        ("state_owned", "Nullable(Bool)"), ("status", "LowCardinality(Nullable(String))"),
        ("registration_date", "Nullable(Date32)"), ("main_industry_code", "Nullable(String)"),
        ("head_office_address_line", "Nullable(String)"), ("head_office_address_ward_code", "Nullable(String)"),
        ("head_office_address_province_code", "Nullable(String)"),
        ("legal_representative_cccd", "Nullable(String)"), ("charter_capital", "Nullable(Decimal(20, 0))"),
        ("phone", "Nullable(String)"), ("email", "Nullable(String)"),
        ("_sink_time", "DateTime64(3, 'UTC') DEFAULT now64(3)"),
    ]


def test_field_at_descends_into_nullable_and_named_records() -> None:
    record = {"type": "record", "name": "R", "namespace": "x", "fields": [
        {"name": "home", "type": ["null", {"type": "record", "name": "A", "fields": [
            {"name": "line", "type": "string"}]}]},
        {"name": "work", "type": "x.A"},
        {"name": "n", "type": "int"}]}
    assert [field_at(record, p) for p in ("home.line", "work.line", "n", "n.x", "home.street", "")] == [
        {"name": "line", "type": "string"}, {"name": "line", "type": "string"}, {"name": "n", "type": "int"},
        None, None, None]


def _write_catalogue(tmp_path: Path, **changes: Any) -> Path:
    entry: dict[str, Any] = {
        "schema": str(SCHEMA_DIR / "population" / "citizen.avsc"),
        "owner": {"code": "BCA", "name_en": "Ministry of Public Security", "name_vi": "Bộ Công an"},
        "key": ["cccd"], "personal_data": ["cccd", "permanent_address.line"], "retention_days": 30,
        "description": {"en": "Citizens.", "vi": "Công dân."},
        "authoritative": {"citizen": ["full_name"]},
    }
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "envelope": str(ENVELOPE_FILE),
                                    "datasets": {"population.citizen": entry | changes}}, allow_unicode=True),
                    encoding="utf-8")
    return path


def test_a_good_temp_catalogue_loads(tmp_path: Path) -> None:
    dataset = load_catalogue(_write_catalogue(tmp_path)).get("population.citizen")
    assert (dataset.key, dataset.personal_data, dataset.retention_days, dataset.authoritative) == (
        ("cccd",), ("cccd", "permanent_address.line"), 30, {"citizen": ("full_name",), "enterprise": ()})
    assert isinstance(dataset, Dataset)


@pytest.mark.parametrize(("changes", "message"), [
    ({"personal_data": ["cccd", "permanent_address.street"]},
     "dataset 'population.citizen': personal_data path 'permanent_address.street' is not a field of record "
     "'Citizen'"),
    ({"key": ["id"]}, "dataset 'population.citizen': key field 'id' is not a field of record 'Citizen'"),
    ({"key": ["phone"]}, "dataset 'population.citizen': key field 'phone' is nullable"),
    ({"key": []}, "dataset 'population.citizen': key lists no field"),
    ({"authoritative": {"person": ["full_name"]}},
     "dataset 'population.citizen': authoritative names unknown golden record(s) ['person']; "
     "known: citizen, enterprise"),
    ({"authoritative": {"citizen": "full_name"}},
     "dataset 'population.citizen': authoritative.citizen must be a list of attribute names"),
    ({"retention_days": "ten years"},
     "dataset 'population.citizen': retention_days must be a positive whole number of days"),
])
def test_a_bad_entry_is_named(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_write_catalogue(tmp_path, **changes))
    assert str(caught.value) == message
