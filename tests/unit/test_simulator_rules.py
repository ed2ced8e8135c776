from __future__ import annotations

import sqlite3
from contextlib import closing
import unicodedata
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from vietnamadminunits import convert_address

from hub.catalogue import load_catalogue
from producers.simulator import rules
from producers.simulator.admin import _DATA, admin_tables, current_pair, current_province

CATALOGUE = load_catalogue()
NOON = datetime(2026, 3, 1, 5, 0, tzinfo=timezone.utc)  # 12:00 in Vietnam


def citizen(**changes: Any) -> dict[str, Any]:
    record = {"cccd": "001090000001", "full_name": "Nguyễn Văn An", "date_of_birth": date(1990, 5, 1), "sex": "MALE",
              "place_of_origin": "Tỉnh Nam Định",
              "permanent_address": {"line": "Số 1 Tràng Tiền", "ward_code": "00097", "province_code": "01"},
              "ethnicity": "Kinh", "nationality": "VN", "phone": "0912345678"}
    return {**record, **changes}


@pytest.mark.parametrize(("old", "new"), [
    (("01", "00001"), ("01", "00097")),   # Phường Phúc Xá, Ba Đình → Phường Hồng Hà
    (("02", "00688"), ("08", "00691")),   # Hà Giang's Phường Quang Trung → Tuyên Quang's Phường Hà Giang 2
    (("92", "31268"), ("92", "31288")),   # Xã Tân Thạnh (divided) → its default successor, Xã Trường Thành
    (("01", "00097"), ("01", "00097")),   # already a 2025 pair
    (("01", "99999"), ("01", "99999")),   # unknown: left alone
])
def test_current_pair(old: tuple[str, str], new: tuple[str, str]) -> None:
    assert current_pair(*old) == new


def test_current_province() -> None:
    assert [current_province(c) for c in ("02", "77", "74", "79", "01")] == ["08", "79", "79", "79", "01"]


def test_ward_mapping_agrees_with_vietnamadminunits_converter() -> None:
    with closing(sqlite3.connect(f"file:{_DATA / 'dataset.db'}?mode=ro", uri=True)) as db:
        names = {r[0]: r[1:] for r in db.execute("SELECT wardCode, ward, district, province FROM admin_units_legacy")}
    sample = sorted(admin_tables().legacy_pairs.items())[::20]
    converted = {}
    for (_, ward), _new in sample:
        unit = convert_address(", ".join(names[ward]))
        converted[ward] = (unit.province_code, unit.ward_code)
    assert converted == {ward: new for (_, ward), new in sample}


def test_clean_record_of_a_clean_citizen_only_formats_the_phone() -> None:
    assert rules.clean_record("population.citizen", citizen()) == rules.Cleaned(citizen(phone="+84912345678"), {})


def test_clean_record_fixes_every_fixable_dirt() -> None:
    dirty = citizen(full_name=unicodedata.normalize("NFD", " NGUYỄN  VĂN\tAN "), place_of_origin="TØnh Nam §Þnh",
                    permanent_address={"line": "Soá 1 Traøng Tieàn", "ward_code": "00001", "province_code": "01"},
                    phone="0162 345 6789")
    expected = citizen(phone="+84323456789")
    assert rules.clean_record("population.citizen", dirty) == rules.Cleaned(
        expected, {"permanent_address": {"province_code": "01", "ward_code": "00001"}})


def test_clean_record_maps_a_lone_province_code() -> None:
    record = {"si_code": "0112345678", "cccd": "001090000001", "employer_tax_code": None, "scheme": "HEALTH_ONLY",
              "monthly_contribution_base": None, "status": "ACTIVE", "start_date": date(2020, 1, 1),
              "end_date": None, "province_code": "77"}
    assert rules.clean_record("social_insurance.participant", record) == rules.Cleaned(
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
    assert rules.reject_reason(CATALOGUE.get(dataset), record, NOON, births.get) == reason


def test_deletes_are_never_rejected() -> None:
    assert rules.reject_reason(CATALOGUE.get("population.citizen"), None, NOON) is None
