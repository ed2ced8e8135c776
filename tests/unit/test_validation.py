"""Record validation: one precise error per violation, normalised values, never a value in a message."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import fastavro
import pytest

from hub.catalogue import load_catalogue
from hub.errors import ValidationError
from producers.envelope import Source, envelope
from producers.validation import FieldError, RecordInvalid, RecordValidator, check

CATALOGUE = load_catalogue()
CITIZEN = CATALOGUE.get("population.citizen")
ENTERPRISE = CATALOGUE.get("enterprise.registration")
LAND = CATALOGUE.get("land.parcel")
CIVIL = CATALOGUE.get("civil_status.event")
INSURANCE = CATALOGUE.get("social_insurance.participant")
UTC = timezone.utc
ICT = timezone(timedelta(hours=7))  # Indochina Time, what Vietnamese systems usually write


def citizen(**changes: Any) -> dict[str, Any]:
    return {"cccd": "001190012345", "full_name": "Trần Thị Bích Ngọc", "date_of_birth": date(1990, 5, 1),
            "sex": "FEMALE", "place_of_origin": "Xã Đông Hội, huyện Đông Anh, Hà Nội",
            "permanent_address": {"line": "12 Tràng Tiền, Hoàn Kiếm", "ward_code": "00070", "province_code": "01"},
            "ethnicity": "Kinh", "nationality": "VN", "phone": "0912345678", **changes}


def enterprise(**changes: Any) -> dict[str, Any]:
    return {"tax_code": "0101234567", "name": "Công ty TNHH Phần mềm Sông Hồng", "legal_form": "LLC_ONE_MEMBER",
            "status": "ACTIVE", "registration_date": date(2015, 3, 9), "main_industry_code": "6201",
            "head_office_address": {"line": "45 Lê Lợi, Bến Nghé", "province_code": "79"},
            "charter_capital": Decimal("5000000000"), **changes}


def parcel(**changes: Any) -> dict[str, Any]:
    return {"parcel_id": "79-760-12-345", "map_sheet_number": 12, "parcel_number": 345, "province_code": "79",
            "ward_code": "26734", "area_m2": Decimal("120.5"), "land_use_code": "ODT", "owner_kind": "CITIZEN",
            "owner_cccd": "079085000007", **changes}


def death(**changes: Any) -> dict[str, Any]:
    return {"civil_event_id": "KT-2025-000123", "event_type": "DEATH", "subject_cccd": "038045000321",
            "event_date": date(2025, 2, 14), "registration_ward_code": "00070", "registration_province_code": "01",
            "registration_number": "123/2025", "registration_date": date(2025, 2, 15), **changes}


def errors_of(dataset: Any, record: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    with pytest.raises(RecordInvalid) as info:
        check(dataset, record)
    return [(e.path, e.rule, e.expected_type, e.actual_type) for e in info.value.errors]


WITHOUT = object()


def without(record: dict[str, Any], *path: str) -> dict[str, Any]:
    """A copy of ``record`` with the field at ``path`` removed."""
    copy = {**record}
    if len(path) == 1:
        del copy[path[0]]
    else:
        copy[path[0]] = without(copy[path[0]], *path[1:])
    return copy


@pytest.mark.parametrize(
    ("dataset", "record", "expected"),
    [
        (CITIZEN, citizen(full_name=12), ("full_name", "type", "string", "int")),
        (CITIZEN, citizen(full_name=None), ("full_name", "required", "string", "null")),
        (CITIZEN, without(citizen(), "ethnicity"), ("ethnicity", "required", "string", "missing")),
        (CITIZEN, citizen(sex="Nữ"), ("sex", "enum", "enum Sex", "str")),
        (CITIZEN, citizen(sex=1), ("sex", "type", "enum Sex", "int")),
        (CITIZEN, citizen(date_of_birth="01/05/1990"), ("date_of_birth", "logical_type", "date", "str")),
        (CITIZEN, citizen(date_of_birth="1990-02-30"), ("date_of_birth", "logical_type", "date", "str")),
        (CITIZEN, citizen(date_of_birth=datetime(1990, 5, 1, tzinfo=ICT)),
         ("date_of_birth", "logical_type", "date", "datetime")),
        (CITIZEN, citizen(date_of_birth=19900501), ("date_of_birth", "type", "date", "int")),
        (CITIZEN, citizen(permanent_address="12 Tràng Tiền"), ("permanent_address", "type", "record Address", "str")),
        (CITIZEN, without(citizen(), "permanent_address", "province_code"),
         ("permanent_address.province_code", "required", "string", "missing")),
        (CITIZEN, citizen(permanent_address={"line": "1 Hùng Vương", "ward_code": 70, "province_code": "01"}),
         ("permanent_address.ward_code", "type", "string", "int")),
        (CITIZEN, citizen(religion="Phật giáo"), ("religion", "unknown_field", "absent", "str")),
        (CITIZEN, citizen(**{"Nguyễn Văn An": 1}), ("<field #9>", "unknown_field", "absent", "int")),
        (ENTERPRISE, enterprise(head_office_address={"line": "45 Lê Lợi", "province_code": "79", "floor": 3}),
         ("head_office_address.floor", "unknown_field", "absent", "int")),
        (ENTERPRISE, enterprise(state_owned="có"), ("state_owned", "type", "boolean", "str")),
        (ENTERPRISE, enterprise(charter_capital=5e9), ("charter_capital", "type", "decimal(20,0)", "float")),
        (ENTERPRISE, enterprise(charter_capital="5 tỷ đồng"),
         ("charter_capital", "logical_type", "decimal(20,0)", "str")),
        (ENTERPRISE, enterprise(charter_capital=10**20),
         ("charter_capital", "decimal_precision", "decimal(20,0)", "int")),
        (ENTERPRISE, enterprise(charter_capital=Decimal("1000.5")),
         ("charter_capital", "decimal_scale", "decimal(20,0)", "Decimal")),
        (INSURANCE, {"si_code": "0123456789", "cccd": "001190012345", "scheme": "COMPULSORY", "status": "ACTIVE",
                     "start_date": "2024-01-01", "province_code": "01", "monthly_contribution_base": Decimal("NaN")},
         ("monthly_contribution_base", "logical_type", "decimal(15,0)", "Decimal")),
        (LAND, parcel(area_m2=Decimal("120.25")), ("area_m2", "decimal_scale", "decimal(12,1)", "Decimal")),
        (LAND, parcel(area_m2="123456789012.5"), ("area_m2", "decimal_precision", "decimal(12,1)", "str")),
        (LAND, parcel(map_sheet_number=2**31), ("map_sheet_number", "range", "int", "int")),
        (LAND, parcel(map_sheet_number=True), ("map_sheet_number", "type", "int", "bool")),
        (LAND, parcel(owner_kind="HỘ GIA ĐÌNH"), ("owner_kind", "enum", "enum OwnerKind", "str")),
        (CIVIL, death(occurred_at=datetime(2025, 2, 14, 22, 5)),
         ("occurred_at", "logical_type", "timestamp-millis", "datetime")),
        (CIVIL, death(occurred_at="2025-02-14T22:05:00"), ("occurred_at", "logical_type", "timestamp-millis", "str")),
        (CIVIL, death(occurred_at=1.7e12), ("occurred_at", "type", "timestamp-millis", "float")),
        (CIVIL, death(occurred_at=10**20), ("occurred_at", "range", "timestamp-millis", "int")),
        (CITIZEN, citizen(full_name="Nguy\udc85n"), ("full_name", "encoding", "string", "str")),
        (CITIZEN, citizen(place_of_origin="\ud800"), ("place_of_origin", "encoding", "string", "str")),
        (CITIZEN, citizen(permanent_address={"line": "12 Tr\udce0ng Tiền", "province_code": "01"}),
         ("permanent_address.line", "encoding", "string", "str")),
    ],
)
def test_each_rule_names_path_rule_and_types(dataset: Any, record: dict[str, Any],
                                             expected: tuple[str, str, str, str]) -> None:
    assert errors_of(dataset, record) == [expected]


def test_every_violation_is_reported_in_schema_order() -> None:
    record = citizen(cccd=1190012345, sex="Nữ", date_of_birth="1/5/1990", ghi_chu="bệnh án",
                     permanent_address={"line": None, "province_code": 1})
    assert errors_of(CITIZEN, record) == [
        ("cccd", "type", "string", "int"),
        ("date_of_birth", "logical_type", "date", "str"),
        ("sex", "enum", "enum Sex", "str"),
        ("permanent_address.line", "required", "string", "null"),
        ("permanent_address.province_code", "type", "string", "int"),
        ("ghi_chu", "unknown_field", "absent", "str"),
    ]


def test_record_invalid_is_a_validation_error_of_the_first_violation() -> None:
    with pytest.raises(ValidationError) as info:
        check(CITIZEN, citizen(full_name=12, sex="X"))
    error = info.value
    assert isinstance(error, RecordInvalid)
    assert (error.dataset, error.field, error.rule, len(error.errors)) == ("population.citizen", "full_name", "type", 2)
    assert str(error) == ("population.citizen: 2 invalid field(s): "
                          "full_name: type (expected string, got int); "
                          "sex: enum (expected enum Sex, got str; one of MALE, FEMALE)")


PERSONAL = {
    "cccd": 1190012345,                                     # the identity number as an int
    "full_name": ["Nguyễn", "Văn", "An"],                   # the name split into a list
    "date_of_birth": "ngày 1 tháng 5 năm 1990",
    "sex": "Nữ",
    "phone": 912345678,
    "place_of_origin": b"Th\xe1i B\xecnh",
    "permanent_address": {"line": 12, "province_code": "Hà Nội", "ward_code": ["Phường Tràng Tiền"]},
    "ghi_chu": "nhiễm HIV",                                 # an unknown field holding health data
    "0912345678": "số điện thoại làm khóa",                 # personal data as a field *name*
}


def test_messages_never_quote_personal_values() -> None:
    with pytest.raises(RecordInvalid) as info:
        check(CITIZEN, citizen(**PERSONAL))
    text = str(info.value) + " ".join(repr(e) for e in info.value.errors)
    leaked = [v for v in ("1190012345", "Nguyễn", "tháng 5", "Nữ", "912345678", "Bình", "Th\\xe1i", "Hà Nội",
                          "Tràng Tiền", "HIV", "0912345678", "làm khóa") if v in text]
    assert leaked == []
    assert len(info.value.errors) == 10


def test_normalises_strings_and_fills_defaults() -> None:
    record = {"cccd": "001190012345", "full_name": "Lê Hoàng Phúc", "date_of_birth": "1990-05-01", "sex": "MALE",
              "permanent_address": {"line": "7 Trần Phú, Hải Châu", "province_code": "48"}, "ethnicity": "Kinh"}
    assert check(CITIZEN, record) == {
        "cccd": "001190012345", "full_name": "Lê Hoàng Phúc", "date_of_birth": date(1990, 5, 1), "sex": "MALE",
        "place_of_origin": None,
        "permanent_address": {"line": "7 Trần Phú, Hải Châu", "ward_code": None, "province_code": "48"},
        "ethnicity": "Kinh", "nationality": "VN", "phone": None}
    assert record["date_of_birth"] == "1990-05-01"  # the caller's dict is left alone


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2025, 2, 14, 22, 5, tzinfo=ICT), datetime(2025, 2, 14, 15, 5, tzinfo=UTC)),
        ("2025-02-14T22:05:00+07:00", datetime(2025, 2, 14, 15, 5, tzinfo=UTC)),
        ("2025-02-14T15:05:00Z", datetime(2025, 2, 14, 15, 5, tzinfo=UTC)),
        (1739545500000, datetime(2025, 2, 14, 15, 5, tzinfo=UTC)),
        (None, None),
    ],
)
def test_timestamps_become_aware_utc(value: Any, expected: datetime | None) -> None:
    assert check(CIVIL, death(occurred_at=value))["occurred_at"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5_000_000_000, Decimal("5000000000")), ("5000000000", Decimal("5000000000")),
     (Decimal("5E+9"), Decimal("5000000000")), (Decimal("42.000"), Decimal("42"))],
)
def test_decimals_are_quantised_to_their_scale(value: Any, expected: Decimal) -> None:
    normalised = check(ENTERPRISE, enterprise(charter_capital=value))["charter_capital"]
    assert (normalised, normalised.as_tuple().exponent) == (expected, 0)
    assert check(LAND, parcel(area_m2=120))["area_m2"].as_tuple() == Decimal("120.0").as_tuple()


@pytest.mark.parametrize(
    ("dataset", "record"),
    [(CITIZEN, citizen(date_of_birth="1990-05-01")),
     (ENTERPRISE, enterprise(charter_capital="123456789", registration_date="2015-03-09")),
     (LAND, parcel(area_m2="99.5", certificate_issue_date="2020-12-31")),
     (CIVIL, death(occurred_at="2025-02-14T22:05:00+07:00"))],
)
def test_normalised_records_encode_and_read_back_unchanged(dataset: Any, record: dict[str, Any]) -> None:
    normalised = check(dataset, record)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, dataset.parsed_record, normalised)
    buf.seek(0)
    assert fastavro.schemaless_reader(buf, dataset.parsed_record, None) == normalised


HOUSEHOLD = {
    "type": "record", "name": "Household", "namespace": "vn.test",
    "fields": [
        {"name": "members", "type": {"type": "array", "items": {
            "type": "record", "name": "Member", "fields": [
                {"name": "cccd", "type": "string"},
                {"name": "relation",
                 "type": {"type": "enum", "name": "Relation", "symbols": ["HEAD", "SPOUSE", "CHILD"]}},
            ]}}},
        {"name": "head", "type": ["null", "Member"], "default": None},
        {"name": "labels", "type": {"type": "map", "values": "int"}, "default": {}},
        {"name": "code", "type": ["null", "int", "string"], "default": None},
        {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 4},
         "default": "\u0000\u0000\u0000\u0001"},
        {"name": "request_id", "type": {"type": "string", "logicalType": "uuid"},
         "default": "00000000-0000-0000-0000-000000000000"},
        {"name": "registered_on", "type": {"type": "int", "logicalType": "date"}, "default": 20000},
        {"name": "fee", "type": {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2},
         "default": "\u0001\u0000"},
        {"name": "next", "type": ["null", "Household"], "default": None},
    ],
}
VALIDATOR = RecordValidator(HOUSEHOLD)


def test_arrays_maps_unions_fixed_and_named_references() -> None:
    _, errors = VALIDATOR.validate({
        "members": [{"cccd": "001190012345", "relation": "HEAD"}, {"cccd": "001205000042", "relation": "CON"}],
        "head": {"relation": "HEAD"},
        "labels": {"tầng": "ba", 7: 1, "\ud800": 2},
        "code": 1.5,
        "digest": b"\x00\x01",
        "request_id": "không phải uuid",
        "next": {"members": "Nguyễn Văn An"},
    })
    assert [(e.path, e.rule, e.expected_type, e.actual_type) for e in errors] == [
        ("members[1].relation", "enum", "enum Relation", "str"),
        ("head.cccd", "required", "string", "missing"),
        ("labels[#0]", "type", "int", "str"),
        ("labels[#1]", "map_key", "string", "int"),
        ("labels[#2]", "map_key", "string", "str"),
        ("code", "type", "null|int|string", "float"),
        ("digest", "fixed_size", "fixed Digest", "bytes"),
        ("request_id", "logical_type", "uuid", "str"),
        ("next.members", "type", "array<record Member>", "str"),
    ]


def test_json_defaults_become_python_values() -> None:
    normalised, errors = VALIDATOR.validate({"members": [], "code": "HN-01", "next": {"members": []}})
    defaults: dict[str, Any] = {"head": None, "labels": {}, "digest": b"\x00\x00\x00\x01",
                "request_id": "00000000-0000-0000-0000-000000000000", "registered_on": date(2024, 10, 4),
                "fee": Decimal("2.56"), "next": None}
    assert (errors, normalised) == ((), {"members": [], "code": "HN-01", **defaults,
                                         "next": {"members": [], "code": None, **defaults}})


def test_a_bad_default_is_refused_when_the_schema_is_compiled() -> None:
    bad = {"type": "record", "name": "R", "fields": [{"name": "n", "type": "int", "default": "một"}]}
    with pytest.raises(ValueError, match="default of field 'n'"):
        RecordValidator(bad)


def test_envelope_returns_the_normalised_record_and_checks_event_time() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    event = envelope(CITIZEN, "u", "001190012345", citizen(date_of_birth="1990-05-01"), Source("BCA", "dancu", 7),
                     event_time="2026-11-01T09:00:00+07:00", event_id="e-7", now=now)
    assert event == {"event_id": "e-7", "op": "u", "key": "001190012345", "after": citizen(),
                     "source": {"ministry": "BCA", "system": "dancu", "position": 7},
                     "event_time": datetime(2026, 11, 1, 2, tzinfo=UTC), "ingest_time": now}
    with pytest.raises(ValidationError) as info:
        envelope(CITIZEN, "u", "001190012345", citizen(), Source("BCA", "dancu", 7), event_time=datetime(2026, 11, 1))
    assert (type(info.value), info.value.field) == (ValidationError, "event_time")


def test_field_error_str_names_path_rule_and_types() -> None:
    error = FieldError("permanent_address.province_code", "required", "string", "missing")
    assert str(error) == "permanent_address.province_code: required (expected string, got missing)"
