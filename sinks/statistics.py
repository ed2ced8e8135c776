"""Official statistics as ClickHouse views over the current-state tables (pure SQL builders).

They are plain views: each query reads the current state under ``FINAL`` (deletes excluded), so the
figures are current as soon as the sink has landed a batch. Analysts query them like tables.

================================  ==============================================================
view                              what it counts
================================  ==============================================================
``stat_population``               living citizens by 2025 province code, sex and 5-year age band
                                  (85+ open-ended); a citizen is dead once a civil-status DEATH
                                  event names them
``stat_enterprises_active``       enterprises with status ACTIVE by head-office province and VSIC
                                  2018 section (A–U, from the first two digits of the main
                                  industry code)
``stat_insured_workers``          social-insurance participants with status ACTIVE by province
                                  and scheme
``stat_land_area``                land area (m² and ha) and parcel count by land-use code and
                                  province
================================  ==============================================================
"""

from __future__ import annotations

# VSIC 2018 follows ISIC Rev. 4: a section is a range of two-digit divisions.
VSIC_SECTIONS = (
    ("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43), ("G", 45, 47),
    ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68), ("M", 69, 75), ("N", 77, 82),
    ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93), ("S", 94, 96), ("T", 97, 98), ("U", 99, 99),
)


def vsic_section_sql(column: str) -> str:
    """A ClickHouse expression mapping a VSIC code column to its section letter ('?' when unknown)."""
    division = f"toUInt8OrZero(substring({column}, 1, 2))"
    branches = ", ".join(f"{division} BETWEEN {lo} AND {hi}, '{letter}'" for letter, lo, hi in VSIC_SECTIONS)
    return f"multiIf({branches}, '?')"


def statistics_views(db: str) -> dict[str, str]:
    """View name → ``CREATE OR REPLACE VIEW`` statement."""
    dead = (f"SELECT subject_cccd FROM `{db}`.civil_status_event_current FINAL "
            "WHERE event_type = 'DEATH' AND subject_cccd IS NOT NULL")
    age = "dateDiff('year', date_of_birth, today())"
    return {
        "stat_population": f"""CREATE OR REPLACE VIEW `{db}`.stat_population AS
SELECT permanent_address_province_code AS province_code, sex,
       if({age} >= 85, '85+', concat(toString(intDiv({age}, 5) * 5), '-', toString(intDiv({age}, 5) * 5 + 4)))
         AS age_band,
       count() AS people
FROM `{db}`.population_citizen_current FINAL
WHERE cccd NOT IN ({dead})
GROUP BY province_code, sex, age_band""",
        "stat_enterprises_active": f"""CREATE OR REPLACE VIEW `{db}`.stat_enterprises_active AS
SELECT head_office_address_province_code AS province_code, {vsic_section_sql('main_industry_code')} AS vsic_section,
       count() AS enterprises
FROM `{db}`.enterprise_registration_current FINAL
WHERE status = 'ACTIVE'
GROUP BY province_code, vsic_section""",
        "stat_insured_workers": f"""CREATE OR REPLACE VIEW `{db}`.stat_insured_workers AS
SELECT province_code, scheme, count() AS workers
FROM `{db}`.social_insurance_participant_current FINAL
WHERE status = 'ACTIVE'
GROUP BY province_code, scheme""",
        "stat_land_area": f"""CREATE OR REPLACE VIEW `{db}`.stat_land_area AS
SELECT land_use_code, province_code, sum(p.area_m2) AS area_m2, sum(p.area_m2) / 10000 AS area_ha,
       count() AS parcels
FROM `{db}`.land_parcel_current AS p FINAL
GROUP BY land_use_code, province_code""",
    }
