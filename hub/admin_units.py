"""Vietnam's administrative units, read from the maintained ``vietnamadminunits`` package (not hand-typed).

``current_wards()`` are the July-2025 divisions (34 provinces, no district level); ``legacy_provinces()``
are the 63 provinces before it. A CCCD's first three digits are ``0`` + the legacy province code.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import vietnamadminunits

_DB = Path(vietnamadminunits.__file__).resolve().parent / "data" / "dataset.db"


@dataclass(frozen=True)
class Ward:
    province_code: str
    province: str
    ward_code: str
    ward: str


@dataclass(frozen=True)
class LegacyProvince:
    code: str
    name: str


def _rows(sql: str) -> list[tuple[str, ...]]:
    with sqlite3.connect(f"file:{_DB}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


@cache
def current_wards() -> tuple[Ward, ...]:
    rows = _rows("SELECT provinceCode, province, wardCode, ward FROM admin_units ORDER BY wardCode")
    return tuple(Ward(*r) for r in rows)


@cache
def legacy_provinces() -> tuple[LegacyProvince, ...]:
    rows = _rows("SELECT DISTINCT provinceCode, province FROM admin_units_legacy ORDER BY provinceCode")
    return tuple(LegacyProvince(*r) for r in rows)
