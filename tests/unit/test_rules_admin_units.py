from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from vietnamadminunits import convert_address

from streams.rules.admin_units import (_DATA, admin_tables, current_pair, current_province, original_field,
                                       unknown_code)


@pytest.mark.parametrize(("old", "new"), [
    (("01", "00001"), ("01", "00097")),   # Phường Phúc Xá, Ba Đình → Phường Hồng Hà
    (("02", "00688"), ("08", "00691")),   # Hà Giang's Phường Quang Trung → Tuyên Quang's Phường Hà Giang 2
    (("92", "31268"), ("92", "31288")),   # Xã Tân Thạnh (divided) → its default successor, Xã Trường Thành
    (("01", "00097"), ("01", "00097")),   # already a 2025 pair
    (("01", "99999"), ("01", "99999")),   # unknown: left alone (and rejected by unknown_code)
])
def test_current_pair(old: tuple[str, str], new: tuple[str, str]) -> None:
    assert current_pair(*old) == new


def test_current_province() -> None:
    assert [current_province(c) for c in ("02", "77", "74", "79", "01")] == ["08", "79", "79", "79", "01"]


def test_the_reform_maps_63_provinces_onto_34() -> None:
    tables = admin_tables()
    assert len(tables.current_provinces) == 34
    assert len(tables.current_provinces | set(tables.legacy_provinces)) == 63
    assert set(tables.legacy_provinces.values()) <= tables.current_provinces


def test_ward_mapping_agrees_with_vietnamadminunits_converter() -> None:
    with closing(sqlite3.connect(f"file:{_DATA / 'dataset.db'}?mode=ro", uri=True)) as db:
        names = {r[0]: r[1:] for r in db.execute("SELECT wardCode, ward, district, province FROM admin_units_legacy")}
    sample = sorted(admin_tables().legacy_pairs.items())[::20]
    converted = {}
    for (_, ward), _new in sample:
        unit = convert_address(", ".join(names[ward]))
        converted[ward] = (unit.province_code, unit.ward_code)
    assert converted == {ward: new for (_, ward), new in sample}


def test_every_pre_2025_ward_is_current_or_has_a_successor() -> None:
    with closing(sqlite3.connect(f"file:{_DATA / 'dataset.db'}?mode=ro", uri=True)) as db:
        pairs = {tuple(r) for r in db.execute(
            "SELECT provinceCode, wardCode FROM admin_units_legacy WHERE wardCode IS NOT NULL")}
    tables = admin_tables()
    assert [p for p in pairs if p not in tables.current_pairs and p not in tables.legacy_pairs] == []
    assert [unknown_code(*current_pair(*p)) for p in sorted(pairs)[::50]] == [None] * len(sorted(pairs)[::50])


@pytest.mark.parametrize(("province", "ward", "problem"), [
    ("01", "00097", None),
    ("79", None, None),
    ("02", None, "province code is neither a July-2025 code nor one of the 63 before it"),  # not mapped yet
    ("99", "00097", "province code is neither a July-2025 code nor one of the 63 before it"),
    ("01", "99999", "ward code is not a ward of the province, in the July-2025 divisions or before them"),
    ("79", "00097", "ward code is not a ward of the province, in the July-2025 divisions or before them"),
])
def test_unknown_code(province: str, ward: str | None, problem: str | None) -> None:
    assert unknown_code(province, ward) == problem


def test_original_field_names_follow_the_sink_columns() -> None:
    assert [original_field("permanent_address", "ward_code"), original_field("", "registration_province_code")] \
        == ["original_permanent_address_ward_code", "original_registration_province_code"]
