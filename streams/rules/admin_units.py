"""Administrative codes before and after 1 July 2025, and the mapping between them (pure, read once).

The 2025 reform merged 63 provinces into 34 and removed the district level. Addresses still written with
the old codes are mapped with the conversion tables that ship with the maintained ``vietnamadminunits``
package (``data/converter_2025.json``), without its geocoding step:

* a pre-2025 ward that passed whole into one 2025 ward maps to that ward;
* a ward divided between several 2025 wards maps to the one the package marks ``isDefaultNewWard``;
* a pre-2025 province maps to the 2025 province that absorbed it.

Only codes that are *not* valid 2025 codes are mapped: a (province, ward) pair that is a 2025 pair, or a
province code that is a 2025 code, is taken as already current. The codes are GSO codes: 2-digit provinces,
5-digit wards. A code that is neither a 2025 code nor a pre-2025 one is rejected (:func:`unknown_code`).

The hub keeps the code an event arrived with beside the mapped one (:func:`original_field` names the clean
record's field for it). A CCCD is not an address: its digits 2-3 keep the pre-2025 province of birth
registration for life and are never mapped (:mod:`streams.rules.identifiers`).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import vietnamadminunits

from hub.admin_units import current_wards

_DATA = Path(vietnamadminunits.__file__).resolve().parent / "data"


@dataclass(frozen=True)
class AdminTables:
    """The 2025 codes, and the pre-2025 codes that are not 2025 codes with their 2025 successors."""

    current_pairs: frozenset[tuple[str, str]]
    current_provinces: frozenset[str]
    legacy_pairs: dict[tuple[str, str], tuple[str, str]]
    """(old province, old ward) → (2025 province, 2025 ward), for old pairs that are not 2025 pairs."""
    legacy_provinces: dict[str, str]
    """Old province code → 2025 province code, for old codes that are not 2025 codes."""
    predecessors: dict[tuple[str, str], tuple[tuple[str, str], ...]]
    """2025 (province, ward) → the old pairs of :attr:`legacy_pairs` that map to it, sorted."""
    province_predecessors: dict[str, tuple[str, ...]]
    """2025 province → the old province codes of :attr:`legacy_provinces` that map to it, sorted."""


def _rows(sql: str) -> list[tuple[str, ...]]:
    with closing(sqlite3.connect(f"file:{_DATA / 'dataset.db'}?mode=ro", uri=True)) as db:
        rows: list[tuple[str, ...]] = db.execute(sql).fetchall()
    return rows


def _legacy_rows() -> list[tuple[str, ...]]:
    """(province code, province key, district key, ward code, ward key) of every pre-2025 ward."""
    return _rows("SELECT provinceCode, provinceKey, districtKey, wardCode, wardKey FROM admin_units_legacy "
                 "WHERE wardCode IS NOT NULL ORDER BY wardCode")


def _current_keys() -> dict[tuple[str, str], tuple[str, str]]:
    rows = _rows("SELECT provinceKey, wardKey, provinceCode, wardCode FROM admin_units")
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def _successors(conversion: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(2025 province key, old "province_district_ward" key) → 2025 ward key."""
    successors: dict[tuple[str, str], str] = {}
    for new_province, wards in conversion["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, new_wards in wards.items():
            defaults = [w["newWardKey"] for w in new_wards if w["isDefaultNewWard"]]
            if len(defaults) == 1:
                successors[(new_province, old_key)] = defaults[0]
    for new_province, wards in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            for old_key in old_keys:
                successors[(new_province, old_key)] = new_ward  # a whole ward wins over a divided one's default
    return successors


@cache
def admin_tables() -> AdminTables:
    """Read once from ``vietnamadminunits``' data files."""
    conversion = json.loads((_DATA / "converter_2025.json").read_text(encoding="utf-8"))
    new_province_of = {old: new for new, olds in conversion["DICT_PROVINCE"].items() for old in olds}
    by_key = _current_keys()
    current_pairs = frozenset((w.province_code, w.ward_code) for w in current_wards())
    current_provinces = frozenset(p for p, _ in current_pairs)
    province_code_of_key = {k[0]: v[0] for k, v in by_key.items()}
    successors = _successors(conversion)
    legacy_pairs: dict[tuple[str, str], tuple[str, str]] = {}
    legacy_provinces: dict[str, str] = {}
    for province_code, province_key, district_key, ward_code, ward_key in _legacy_rows():
        new_province = new_province_of[province_key]
        if province_code not in current_provinces:
            legacy_provinces[province_code] = province_code_of_key[new_province]
        if (province_code, ward_code) in current_pairs:
            continue
        new_ward = successors.get((new_province, f"{province_key}_{district_key}_{ward_key}"))
        successor = by_key.get((new_province, new_ward)) if new_ward else None
        if successor is not None:
            legacy_pairs[(province_code, ward_code)] = successor
    predecessors: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for old, new in sorted(legacy_pairs.items()):
        predecessors[new].append(old)
    province_predecessors: dict[str, list[str]] = defaultdict(list)
    for old_code, new_code in sorted(legacy_provinces.items()):
        province_predecessors[new_code].append(old_code)
    return AdminTables(current_pairs=current_pairs, current_provinces=current_provinces,
                       legacy_pairs=legacy_pairs, legacy_provinces=legacy_provinces,
                       predecessors={k: tuple(v) for k, v in predecessors.items()},
                       province_predecessors={k: tuple(v) for k, v in province_predecessors.items()})


def current_pair(province_code: str, ward_code: str | None) -> tuple[str, str | None]:
    """The 2025 (province, ward) for a pair that may carry pre-2025 codes; a 2025 pair or an unknown pair is
    returned unchanged; without a ward, only the province is mapped."""
    if ward_code is None:
        return current_province(province_code), None
    return admin_tables().legacy_pairs.get((province_code, ward_code), (province_code, ward_code))


def current_province(province_code: str) -> str:
    """The 2025 province code for a province code that may be a pre-2025 one; others unchanged."""
    return admin_tables().legacy_provinces.get(province_code, province_code)


def unknown_code(province_code: str, ward_code: str | None) -> str | None:
    """What is wrong with a (province, ward) pair after :func:`current_pair`, or None when it is a July-2025
    pair (or, without a ward, a July-2025 province). Describes the rule, never the codes."""
    tables = admin_tables()
    if province_code not in tables.current_provinces:
        return "province code is neither a July-2025 code nor one of the 63 before it"
    if ward_code is not None and (province_code, ward_code) not in tables.current_pairs:
        return "ward code is not a ward of the province, in the July-2025 divisions or before them"
    return None


def original_field(path: str, name: str) -> str:
    """The name of the clean-record field that keeps the code ``path``/``name`` arrived with, before it was
    mapped: ``original_`` + the flattened column name (``original_permanent_address_province_code``,
    ``original_province_code``)."""
    return "original_" + (f"{path}_{name}" if path else name)
