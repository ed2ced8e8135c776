from __future__ import annotations

import unicodedata
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from hub.catalogue import load_catalogue
from streams.rules import Cleaned, Rejection, check, clean_record, reject_reason
from streams.rules.records import original_code_fields, with_original_codes

CATALOGUE = load_catalogue()
NOON = datetime(2026, 3, 1, 5, 0, tzinfo=timezone.utc)  # 12:00 in Vietnam


def citizen(**changes: Any) -> dict[str, Any]:
    record = {"cccd": "001090000001", "full_name": "Nguyễn Văn An", "date_of_birth": date(1990, 5, 1), "sex": "MALE",
              "place_of_origin": "Tỉnh Nam Định",
              "permanent_address": {"line": "Số 1 Tràng Tiền", "ward_code": "00097", "province_code": "01"},
              "ethnicity": "Kinh", "nationality": "VN", "phone": "0912345678"}
    return {**record, **changes}


def test_clean_record_of_a_clean_citizen_only_formats_the_phone() -> None:
    assert clean_record("population.citizen", citizen()) == Cleaned(citizen(phone="+84912345678"), {})


def test_clean_record_fixes_every_fixable_dirt() -> None:
    dirty = citizen(full_name=unicodedata.normalize("NFD", " NGUYỄN  VĂN\tAN "), place_of_origin="TØnh Nam §Þnh",
                    permanent_address={"line": "Soá 1 Traøng Tieàn", "ward_code": "00001", "province_code": "01"},
                    phone="0162 345 6789")
    expected = citizen(phone="+84323456789")
    assert clean_record("population.citizen", dirty) == Cleaned(
        expected, {"permanent_address": {"province_code": "01", "ward_code": "00001"}})


def test_clean_record_maps_a_lone_province_code() -> None:
    record = {"si_code": "0112345678", "cccd": "001090000001", "employer_tax_code": None, "scheme": "HEALTH_ONLY",
              "monthly_contribution_base": None, "status": "ACTIVE", "start_date": date(2020, 1, 1),
              "end_date": None, "province_code": "77"}
    assert clean_record("social_insurance.participant", record) == Cleaned(
        {**record, "province_code": "79"}, {".": {"province_code": "77"}})


def enterprise(**changes: Any) -> dict[str, Any]:
    record = {"tax_code": "0100109106", "name": "Công ty Cổ phần Thương mại Minh Phát", "name_en": None,
              "short_name": None, "legal_form": "JOINT_STOCK", "state_owned": False, "status": "ACTIVE",
              "registration_date": date(2010, 1, 4), "main_industry_code": "4690",
              "head_office_address": {"line": "Số 2 Hàng Bài", "ward_code": "00097", "province_code": "01"},
              "legal_representative_cccd": "001090000001", "charter_capital": Decimal(1_000_000_000),
              "phone": None, "email": None}
    return {**record, **changes}


def death(**changes: Any) -> dict[str, Any]:
    record = {"civil_event_id": "KT20260000001", "event_type": "DEATH", "subject_cccd": "001090000001",
              "second_party_cccd": None, "event_date": date(2026, 2, 20), "occurred_at": None,
              "registration_ward_code": "00097", "registration_province_code": "01", "registration_number": "5/2026",
              "registration_date": date(2026, 2, 21)}
    return {**record, **changes}


def without(record: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != name}


@pytest.mark.parametrize(("dataset", "record", "reason"), [
    ("population.citizen", citizen(), None),
    ("population.citizen", without(citizen(), "full_name"), "required_missing"),
    ("population.citizen", without(citizen(), "place_of_origin"), None),  # nullable: the default applies
    ("population.citizen", citizen(permanent_address={"ward_code": None, "province_code": "01"}), "required_missing"),
    ("population.citizen", citizen(cccd="001190000001"), "cccd_inconsistent"),
    ("population.citizen", citizen(cccd="001091000001"), "cccd_inconsistent"),
    ("population.citizen", citizen(cccd="005090000001"), "cccd_inconsistent"),
    ("population.citizen", citizen(cccd="001226000001", date_of_birth=date(2026, 3, 2)), "date_impossible"),
    ("population.citizen", citizen(cccd="001226000001", date_of_birth=date(2026, 3, 1)), None),
    ("enterprise.registration", enterprise(), None),
    ("enterprise.registration", enterprise(tax_code="0100109107"), "mst_check_digit"),
    ("enterprise.registration", enterprise(legal_representative_cccd="0010900000"), "cccd_inconsistent"),
    ("enterprise.registration", enterprise(registration_date=date(2026, 3, 2)), "date_impossible"),
    ("civil_status.event", death(), None),
    ("civil_status.event", death(registration_date=date(2026, 2, 19)), "date_impossible"),
    ("civil_status.event", death(event_date=date(1990, 4, 30), registration_date=date(2026, 2, 1)),
     "death_before_birth"),
    ("civil_status.event", death(event_date=date(1990, 5, 1), registration_date=date(2026, 2, 1)), None),
    ("civil_status.event", death(subject_cccd="001090000002"), None),  # the register does not know them
])
def test_reject_reason(dataset: str, record: dict[str, Any], reason: str | None) -> None:
    births = {"001090000001": date(1990, 5, 1)}
    assert reject_reason(CATALOGUE.get(dataset), record, NOON, births.get) == reason


def test_deletes_are_never_rejected() -> None:
    assert reject_reason(CATALOGUE.get("population.citizen"), None, NOON) is None


def participant(**changes: Any) -> dict[str, Any]:
    record = {"si_code": "0112345678", "cccd": "001090000001", "employer_tax_code": "0100109106",
              "scheme": "COMPULSORY", "monthly_contribution_base": Decimal(9_000_000), "status": "ACTIVE",
              "start_date": date(2020, 1, 1), "end_date": None, "province_code": "01"}
    return {**record, **changes}


def parcel(**changes: Any) -> dict[str, Any]:
    record = {"parcel_id": "01-00097-12-345", "map_sheet_number": 12, "parcel_number": 345, "province_code": "01",
              "ward_code": "00097", "area_m2": Decimal("120.5"), "land_use_code": "ODT", "owner_kind": "CITIZEN",
              "owner_cccd": "001090000001", "owner_tax_code": None, "certificate_number": "DA 123456",
              "certificate_issue_date": date(2015, 6, 1)}
    return {**record, **changes}


@pytest.mark.parametrize(("dataset", "record", "rejection"), [
    ("population.citizen", without(citizen(), "full_name"),
     Rejection("required_missing", "full_name", "absent or null, and neither nullable nor defaulted")),
    ("population.citizen", citizen(ethnicity=None),  # present but null where null is not allowed
     Rejection("required_missing", "ethnicity", "absent or null, and neither nullable nor defaulted")),
    ("population.citizen", citizen(permanent_address={"ward_code": None, "province_code": "01"}),
     Rejection("required_missing", "permanent_address.line", "absent or null, and neither nullable nor defaulted")),
    ("population.citizen", without(citizen(), "nationality"), None),  # defaulted: VN
    ("population.citizen", citizen(sex="OTHER"),
     Rejection("enum_invalid", "sex", "not a symbol of the catalogue's enumeration")),
    ("population.citizen", citizen(cccd="001190000001"),
     Rejection("cccd_inconsistent", "cccd", "digit 4 (sex and century of birth) contradicts sex and date_of_birth")),
    ("population.citizen", citizen(permanent_address={"line": "Số 1", "ward_code": "26734", "province_code": "01"}),
     Rejection("admin_code_unknown", "permanent_address.ward_code",
               "ward code is not a ward of the province, in the July-2025 divisions or before them")),
    ("population.citizen", citizen(permanent_address={"line": "Số 1", "ward_code": None, "province_code": "00"}),
     Rejection("admin_code_unknown", "permanent_address.province_code",
               "province code is neither a July-2025 code nor one of the 63 before it")),
    ("enterprise.registration", enterprise(tax_code="0100109106-001"), None),  # a branch
    ("enterprise.registration", enterprise(tax_code="0100109107-001"),
     Rejection("mst_check_digit", "tax_code", "digit 10 is not the check digit of the first nine")),
    ("enterprise.registration", enterprise(legal_representative_cccd=None), None),  # a foreign representative
    ("social_insurance.participant", participant(), None),
    ("social_insurance.participant", participant(si_code="011234567"),
     Rejection("si_code_invalid", "si_code", "not 10 digits")),
    ("social_insurance.participant", participant(employer_tax_code="0300588560"),
     Rejection("mst_check_digit", "employer_tax_code", "digit 10 is not the check digit of the first nine")),
    ("social_insurance.participant", participant(cccd="099090000001"),
     Rejection("cccd_inconsistent", "cccd", "digits 2-3 name no province (of the 63 before July 2025)")),
    ("social_insurance.participant", participant(end_date=date(2019, 12, 31)),
     Rejection("date_impossible", "end_date", "before start_date")),
    ("social_insurance.participant", participant(start_date=date(2026, 3, 2)),
     Rejection("date_impossible", "start_date", "after the event's date (in Vietnam)")),
    ("civil_status.event", death(registration_date=date(2026, 2, 19)),
     Rejection("date_impossible", "registration_date", "before event_date")),
    ("civil_status.event", death(event_date=date(1990, 4, 30), registration_date=date(2026, 2, 1)),
     Rejection("death_before_birth", "event_date", "before the subject's date_of_birth in population.citizen")),
    ("civil_status.event", death(second_party_cccd="0010900000"),
     Rejection("cccd_inconsistent", "second_party_cccd", "not 12 digits starting with 0")),
    ("land.parcel", parcel(), None),
    ("land.parcel", parcel(owner_kind="ENTERPRISE", owner_cccd=None, owner_tax_code="0100109106"), None),
    ("land.parcel", parcel(certificate_issue_date=date(2026, 3, 2)),
     Rejection("date_impossible", "certificate_issue_date", "after the event's date (in Vietnam)")),
])
def test_check_names_the_reason_and_the_field(dataset: str, record: dict[str, Any],
                                               rejection: Rejection | None) -> None:
    births = {"001090000001": date(1990, 5, 1)}
    assert check(CATALOGUE.get(dataset), record, NOON, births.get) == rejection


def test_rejections_never_carry_the_values() -> None:
    record = citizen(cccd="001190000001", full_name="Nguyễn Văn An")
    rejection = check(CATALOGUE.get("population.citizen"), record, NOON)
    assert rejection is not None
    assert [v for v in ("001190000001", "Nguyễn", "1990") if v in rejection.detail + rejection.field] == []


def test_a_cccd_is_never_remapped_with_the_addresses() -> None:
    # Born in Hà Giang (02) before the reform, living at a pre-2025 Hà Giang address: the address is mapped to
    # Tuyên Quang (08), the CCCD keeps 002.
    dirty = citizen(cccd="002090000001", permanent_address={"line": "Số 1", "ward_code": "00688", "province_code": "02"})
    cleaned = clean_record("population.citizen", dirty)
    assert (cleaned.record["cccd"], cleaned.record["permanent_address"]) == (
        "002090000001", {"line": "Số 1", "ward_code": "00691", "province_code": "08"})
    assert check(CATALOGUE.get("population.citizen"), cleaned.record, NOON) is None


def test_original_codes_sit_beside_the_mapped_ones() -> None:
    cleaned = clean_record("civil_status.event", death(registration_province_code="02",
                                                       registration_ward_code="00688"))
    assert with_original_codes("civil_status.event", cleaned) == {
        **death(registration_province_code="08", registration_ward_code="00691"),
        "original_registration_province_code": "02", "original_registration_ward_code": "00688"}
    assert with_original_codes("civil_status.event", clean_record("civil_status.event", death())) == {
        **death(), "original_registration_province_code": None, "original_registration_ward_code": None}


def test_original_code_fields_of_every_dataset() -> None:
    assert {d.name: [f for _, _, f in original_code_fields(d.name)] for d in CATALOGUE} == {
        "population.citizen": ["original_permanent_address_province_code", "original_permanent_address_ward_code"],
        "enterprise.registration": ["original_head_office_address_province_code",
                                    "original_head_office_address_ward_code"],
        "social_insurance.participant": ["original_province_code"],
        "civil_status.event": ["original_registration_province_code", "original_registration_ward_code"],
        "land.parcel": ["original_province_code", "original_ward_code"],
    }
