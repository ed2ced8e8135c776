"""The manifest's rules on a small scenario whose outcome was worked out by hand."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from producers.simulator import Change, build_manifest
from producers.simulator.golden import attributes_by_authority
from hub.catalogue import load_catalogue

A, B, C, D = "001190000011", "001088000022", "001095000033", "001290000044"
E, F = "0100109106", "0300588569"


def at(second: int) -> datetime:
    return datetime(2026, 3, 1, 5, 0, second, tzinfo=timezone.utc)


def person(cccd: str, name: str, born: date, female: bool, **changes: Any) -> dict[str, Any]:
    record = {"cccd": cccd, "full_name": name, "date_of_birth": born, "sex": "FEMALE" if female else "MALE",
              "place_of_origin": "Thành phố Hà Nội",
              "permanent_address": {"line": "Số 1 Tràng Tiền", "ward_code": "00097", "province_code": "01"},
              "ethnicity": "Kinh", "nationality": "VN", "phone": None}
    return {**record, **changes}


def participation(si_code: str, cccd: str, employer: str | None) -> dict[str, Any]:
    return {"si_code": si_code, "cccd": cccd, "employer_tax_code": employer,
            "scheme": "COMPULSORY" if employer else "HEALTH_ONLY",
            "monthly_contribution_base": Decimal(10_000_000) if employer else None, "status": "ACTIVE",
            "start_date": date(2020, 1, 1), "end_date": None, "province_code": "01"}


def enterprise(tax_code: str, representative: str) -> dict[str, Any]:
    return {"tax_code": tax_code, "name": "Công ty TNHH Thương mại Minh Phát", "name_en": None, "short_name": None,
            "legal_form": "LLC_MULTI_MEMBER", "state_owned": False, "status": "ACTIVE",
            "registration_date": date(2015, 6, 1), "main_industry_code": "4690",
            "head_office_address": {"line": "Số 2 Hàng Bài", "ward_code": "00097", "province_code": "01"},
            "legal_representative_cccd": representative, "charter_capital": Decimal(2_000_000_000),
            "phone": "02438251234", "email": None}


def civil(event_id: str, kind: str, subject: str, second: str | None, day: date) -> dict[str, Any]:
    return {"civil_event_id": event_id, "event_type": kind, "subject_cccd": subject, "second_party_cccd": second,
            "event_date": day, "occurred_at": None, "registration_ward_code": "00097",
            "registration_province_code": "01", "registration_number": "1/2026", "registration_date": date(2026, 2, 25)}


def parcel(parcel_id: str, kind: str, cccd: str | None = None, tax_code: str | None = None) -> dict[str, Any]:
    return {"parcel_id": parcel_id, "map_sheet_number": 3, "parcel_number": 12, "province_code": "01",
            "ward_code": "00097", "area_m2": Decimal("120.5"), "land_use_code": "ODT", "owner_kind": kind,
            "owner_cccd": cccd, "owner_tax_code": tax_code, "certificate_number": None, "certificate_issue_date": None}


MAI = person(A, "Trần Thị Mai", date(1990, 1, 2), True, phone="0912345678")
MAI_MOVED = person(A, "Trần Thị Mai", date(1990, 1, 2), True, phone="0912345678",
                   permanent_address={"line": "Số 9 Hàng Gai", "ward_code": "00001", "province_code": "01"})
MAI_OLD_PHONE = person(A, "Trần Thị Mai", date(1990, 1, 2), True, phone="0987654321")
BINH = person(B, "LÊ  VĂN BÌNH", date(1988, 3, 4), False)

CHANGES = [
    Change("population.citizen", "c", A, MAI, at(1), None, 1, "p1"),
    Change("population.citizen", "c", B, BINH, at(2), "whitespace", 2, "p2"),
    Change("population.citizen", "u", A, MAI_MOVED, at(10), "legacy_admin_codes", 4, "p4"),
    Change("population.citizen", "u", A, MAI_OLD_PHONE, at(5), "late", 3, "p3"),  # older than p4: not current
    Change("population.citizen", "c", B, BINH, at(2), "duplicate", 2, "p2"),
    Change("population.citizen", "c", C, person(C, "Phạm Văn Cường", date(1995, 7, 7), False), at(11), None, 5, "p5"),
    Change("population.citizen", "d", C, None, at(12), None, 6, "p6"),
    Change("population.citizen", "c", D, person(D, "Đỗ Văn Dũng", date(1990, 1, 1), False), at(13),
           "cccd_inconsistent", 7, "p7"),  # says born in the 2000s
    Change("social_insurance.participant", "c", "0112345678", participation("0112345678", A, E), at(20), None, 1, "s1"),
    Change("social_insurance.participant", "c", "0187654321", participation("0187654321", C, None), at(21), None, 2,
           "s2"),
    Change("social_insurance.participant", "u", "0112345678", participation("0112345678", A, "0100109107"), at(22),
           "mst_check_digit", 3, "s3"),
    Change("enterprise.registration", "c", E, enterprise(E, B), at(30), None, 1, "e1"),
    Change("enterprise.registration", "c", F, enterprise(F, A), at(31), None, 2, "e2"),
    Change("enterprise.registration", "d", F, None, at(32), None, 3, "e3"),
    Change("civil_status.event", "c", "KH1", civil("KH1", "MARRIAGE", A, B, date(2026, 2, 1)), at(40), None, 1, "v1"),
    Change("civil_status.event", "c", "KT1", civil("KT1", "DEATH", B, None, date(2026, 2, 20)), at(41), None, 2, "v2"),
    Change("civil_status.event", "c", "KT2", civil("KT2", "DEATH", A, None, date(1989, 1, 1)), at(42),
           "death_before_birth", 3, "v3"),
    Change("land.parcel", "c", "P1", parcel("P1", "CITIZEN", cccd=A), at(50), None, 1, "l1"),
    Change("land.parcel", "c", "P2", parcel("P2", "ENTERPRISE", tax_code=E), at(51), None, 2, "l2"),
    Change("land.parcel", "c", "P3", parcel("P3", "ENTERPRISE", tax_code=F), at(52), None, 3, "l3"),
    Change("land.parcel", "c", "P4", parcel("P4", "CITIZEN", cccd=A), at(53), None, 4, "l4"),
    Change("land.parcel", "d", "P4", None, at(54), None, 5, "l5"),
]

MAI_CLEAN = {**MAI_MOVED, "phone": "+84912345678",
             "permanent_address": {"line": "Số 9 Hàng Gai", "ward_code": "00097", "province_code": "01"}}
BINH_CLEAN = {**BINH, "full_name": "Lê Văn Bình"}


def test_current_state_rejections_and_duplicates() -> None:
    manifest = build_manifest(CHANGES)
    citizens = manifest.datasets["population.citizen"]
    assert citizens.state == {A: MAI_CLEAN, B: BINH_CLEAN}
    assert citizens.versions == {A: (at(10), 4), B: (at(2), 2)}
    assert citizens.rejected == {"p7": "cccd_inconsistent"}
    assert citizens.duplicates == ("p2",)
    assert citizens.original_admin_codes == {"p4": {"permanent_address": {"province_code": "01", "ward_code": "00001"}}}
    assert citizens.counts == {"delivered": 8, "duplicates": 1, "distinct_events": 7, "rejected": 1, "accepted": 6,
                               "current_keys": 2}
    assert {name: t.rejected for name, t in manifest.datasets.items() if t.rejected} == {
        "population.citizen": {"p7": "cccd_inconsistent"},
        "social_insurance.participant": {"s3": "mst_check_digit"},
        "civil_status.event": {"v3": "death_before_birth"}}
    assert sorted(manifest.datasets["land.parcel"].state) == ["P1", "P2", "P3"]
    assert manifest.datasets["social_insurance.participant"].state == {
        "0112345678": participation("0112345678", A, E), "0187654321": participation("0187654321", C, None)}


def test_golden_records_follow_the_authorities() -> None:
    golden = build_manifest(CHANGES).golden
    assert golden["citizen"] == {
        A: {"cccd": A, "full_name": "Trần Thị Mai", "date_of_birth": date(1990, 1, 2), "sex": "FEMALE",
            "place_of_origin": "Thành phố Hà Nội",
            "permanent_address": {"line": "Số 9 Hàng Gai", "ward_code": "00097", "province_code": "01"},
            "ethnicity": "Kinh", "nationality": "VN", "phone": "+84912345678",
            "social_insurance_code": "0112345678", "employer_tax_code": E, "insurance_scheme": "COMPULSORY",
            "insurance_status": "ACTIVE", "marital_status": "WIDOWED", "spouse_cccd": None, "date_of_death": None,
            "land_holdings": ["P1"]},
        B: {"cccd": B, "full_name": "Lê Văn Bình", "date_of_birth": date(1988, 3, 4), "sex": "MALE",
            "place_of_origin": "Thành phố Hà Nội",
            "permanent_address": {"line": "Số 1 Tràng Tiền", "ward_code": "00097", "province_code": "01"},
            "ethnicity": "Kinh", "nationality": "VN", "phone": None,
            "social_insurance_code": None, "employer_tax_code": None, "insurance_scheme": None,
            "insurance_status": None, "marital_status": "MARRIED", "spouse_cccd": A,
            "date_of_death": date(2026, 2, 20), "land_holdings": []},
    }
    assert golden["enterprise"] == {E: {**enterprise(E, B), "phone": "+842438251234", "land_holdings": ["P2"]}}


def test_later_divorce_and_remarriage_decide_by_event_date() -> None:
    events = [
        Change("population.citizen", "c", A, MAI, at(1), None, 1, "p1"),
        Change("population.citizen", "c", B, BINH, at(2), None, 2, "p2"),
        Change("population.citizen", "c", C, person(C, "Phạm Văn Cường", date(1995, 7, 7), False), at(3), None, 3,
               "p3"),
        # Sent out of date order: the divorce is registered (and sent) before a late correction of the marriage.
        Change("civil_status.event", "c", "KH1", civil("KH1", "MARRIAGE", A, B, date(2025, 1, 1)), at(10), None, 1,
               "v1"),
        Change("civil_status.event", "c", "LH1", civil("LH1", "DIVORCE", B, A, date(2025, 6, 1)), at(11), None, 2, "v2"),
        Change("civil_status.event", "u", "KH1", {**civil("KH1", "MARRIAGE", A, B, date(2025, 1, 1)),
                                                  "registration_number": "2/2025"}, at(12), None, 3, "v3"),
        Change("civil_status.event", "c", "KH2", civil("KH2", "MARRIAGE", A, C, date(2026, 1, 5)), at(13), None, 4,
               "v4"),
    ]
    golden = build_manifest(events).golden["citizen"]
    assert {k: (g["marital_status"], g["spouse_cccd"]) for k, g in golden.items()} == {
        A: ("MARRIED", C), B: ("DIVORCED", None), C: ("MARRIED", A)}


def test_golden_attributes_are_exactly_the_catalogues() -> None:
    catalogue = load_catalogue()
    expected = {(d.name, entity): tuple(attrs) for d in catalogue for entity, attrs in d.authoritative.items() if attrs}
    assert {k: tuple(v) for k, v in attributes_by_authority().items()} == expected


def test_json_is_deterministic_and_plain(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    build_manifest(CHANGES).to_json(first)
    build_manifest(list(CHANGES)).to_json(second)
    assert first.read_bytes() == second.read_bytes()
    loaded = json.loads(first.read_text(encoding="utf-8"))
    assert loaded["golden"]["citizen"][B]["date_of_death"] == "2026-02-20"
    assert loaded["datasets"]["social_insurance.participant"]["state"]["0112345678"]["monthly_contribution_base"] \
        == "10000000"
    assert loaded["datasets"]["population.citizen"]["rejected"] == {"p7": "cccd_inconsistent"}
    assert loaded["datasets"]["population.citizen"]["duplicates"] == ["p2"]
