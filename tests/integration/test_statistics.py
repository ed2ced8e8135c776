"""Official statistics views on the embedded engine: figures follow the current state, deaths and deletes."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hub.catalogue import load_catalogue
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings
from sinks.clickhouse import ClickHouseWriter
from sinks.rows import Located
from sinks.statistics import vsic_section_sql

T0 = datetime(2026, 5, 1, tzinfo=timezone.utc)


def event(key: str, after: dict[str, Any] | None, seconds: int, position: int) -> dict[str, Any]:
    t = T0 + timedelta(seconds=seconds)
    return {"event_id": f"{key}-{seconds}", "op": "d" if after is None else "u", "key": key, "after": after,
            "event_time": t, "ingest_time": t, "source": {"ministry": "X", "system": "s", "position": position}}


def citizen(cccd: str, sex: str, born: date, province: str) -> dict[str, Any]:
    return {"cccd": cccd, "full_name": "Nguyễn Văn A", "date_of_birth": born, "sex": sex, "place_of_origin": None,
            "permanent_address": {"line": "1", "ward_code": None, "province_code": province},
            "ethnicity": "Kinh", "nationality": "VN", "phone": None}


def age_band(born: date) -> str:
    today = date.today()
    age = today.year - born.year  # ClickHouse's dateDiff('year') counts calendar-year boundaries
    return "85+" if age >= 85 else f"{age // 5 * 5}-{age // 5 * 5 + 4}"


def test_statistics_views(hub_settings: HubSettings, chdb_url: str, database: str) -> None:
    catalogue = load_catalogue()
    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings),
                              database, catalogue)
    writer.ensure_tables()

    def write(dataset: str, events: list[dict[str, Any]]) -> None:
        located = [Located("t", 0, i, e) for i, e in enumerate(events)]
        writer.write(catalogue.get(dataset), located, f"{dataset}/{len(events)}")

    born = [date(1990, 1, 1), date(1950, 6, 1), date(2001, 3, 3), date(1930, 1, 1)]
    write("population.citizen", [
        event("c1", citizen("c1", "MALE", born[0], "01"), 1, 1),
        event("c2", citizen("c2", "FEMALE", born[1], "01"), 2, 2),
        event("c3", citizen("c3", "FEMALE", born[2], "79"), 3, 3),
        event("c3", citizen("c3", "FEMALE", born[2], "01"), 4, 4),   # moved: counts in 01 now
        event("c4", citizen("c4", "MALE", born[3], "79"), 5, 5),
        event("c4", None, 6, 6),                                      # deleted from the register
    ])
    write("civil_status.event", [event("e1", {
        "civil_event_id": "e1", "event_type": "DEATH", "subject_cccd": "c2", "second_party_cccd": None,
        "event_date": date(2026, 4, 1), "occurred_at": None, "registration_ward_code": "00004",
        "registration_province_code": "01", "registration_number": "1", "registration_date": date(2026, 4, 2)},
        1, 1)])
    got = writer.client.query(f"SELECT province_code, sex, age_band, people FROM {database}.stat_population "
                              "ORDER BY province_code, sex, age_band").result_rows
    assert got == sorted([("01", "FEMALE", age_band(born[2]), 1), ("01", "MALE", age_band(born[0]), 1)])

    def enterprise(mst: str, status: str, vsic: str, province: str) -> dict[str, Any]:
        return {"tax_code": mst, "name": "Công ty A", "name_en": None, "short_name": None,
                "legal_form": "JOINT_STOCK", "state_owned": False, "status": status,
                "registration_date": date(2020, 1, 1), "main_industry_code": vsic,
                "head_office_address": {"line": "1", "ward_code": None, "province_code": province},
                "legal_representative_cccd": "c1", "charter_capital": Decimal(1_000_000_000), "phone": None,
                "email": None}

    write("enterprise.registration", [
        event("m1", enterprise("m1", "ACTIVE", "6201", "01"), 1, 1),
        event("m2", enterprise("m2", "ACTIVE", "1010", "01"), 2, 2),
        event("m3", enterprise("m3", "ACTIVE", "6202", "01"), 3, 3),
        event("m3", enterprise("m3", "DISSOLVED", "6202", "01"), 4, 4),
    ])
    assert writer.client.query(f"SELECT province_code, vsic_section, enterprises FROM {database}."
                               "stat_enterprises_active ORDER BY vsic_section").result_rows == [
        ("01", "C", 1), ("01", "J", 1)]

    def parcel(pid: str, use: str, area: str) -> dict[str, Any]:
        return {"parcel_id": pid, "map_sheet_number": 1, "parcel_number": 2, "province_code": "01",
                "ward_code": "00004", "area_m2": Decimal(area), "land_use_code": use, "owner_kind": "CITIZEN",
                "owner_cccd": "c1", "owner_tax_code": None, "certificate_number": None,
                "certificate_issue_date": None}

    write("land.parcel", [event("p1", parcel("p1", "ODT", "120.5"), 1, 1),
                          event("p2", parcel("p2", "ODT", "79.5"), 2, 2),
                          event("p3", parcel("p3", "LUC", "5000.0"), 3, 3)])
    assert writer.client.query(f"SELECT land_use_code, area_m2, parcels FROM {database}.stat_land_area "
                               "ORDER BY land_use_code").result_rows == [("LUC", Decimal("5000.0"), 1),
                                                                         ("ODT", Decimal("200.0"), 2)]


def test_vsic_sections(hub_settings: HubSettings, chdb_url: str, database: str) -> None:
    client = connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings)
    codes = ["0111", "0810", "1010", "3510", "4100", "4711", "6201", "8411", "9700", "9900", "", "x"]
    got = [client.query(f"SELECT {vsic_section_sql('c')} FROM (SELECT {{c:String}} AS c)",
                        parameters={"c": c}).result_rows[0][0] for c in codes]
    assert got == ["A", "B", "C", "D", "F", "G", "J", "O", "T", "U", "?", "?"]
