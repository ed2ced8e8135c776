"""The rules of each dataset's records: which fields are names, phones, identifiers, addresses, dates (pure).

* :func:`clean_record` — every string cleaned (:mod:`.text`), personal names in name case, phones in E.164
  (:mod:`.identifiers`), pre-July-2025 administrative codes mapped to 2025 codes (:mod:`.admin_units`),
  the original codes returned beside the record.
* :func:`check` — the first rule a cleaned record breaks, as a :class:`~streams.rules.base.Rejection`
  (reason code, field path, detail), or None. Checked in this order: required fields, enumerations, CCCDs,
  tax codes, social-insurance codes, administrative codes, impossible dates, death before birth.
* :func:`reject_reason` — only the reason code of :func:`check` (the simulator's manifest uses it).

The simulator's ``RULES.md`` states these rules in prose; its manifest is built with these functions, so
the stream processors and the ground truth they are tested against cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from hub.catalogue import Dataset
from streams.rules import admin_units, identifiers
from streams.rules.base import (ADMIN_CODE_UNKNOWN, CCCD_INCONSISTENT, ENUM_INVALID, MST_CHECK_DIGIT,
                                REQUIRED_MISSING, SI_CODE_INVALID, Cleaned, Rejection)
from streams.rules.dates import death_before_birth, in_future, local_date, out_of_order
from streams.rules.enumerations import invalid_enum
from streams.rules.text import clean_strings, name_case

NAME_FIELDS: dict[str, tuple[str, ...]] = {"population.citizen": ("full_name",)}
PHONE_FIELDS: dict[str, tuple[str, ...]] = {"population.citizen": ("phone",), "enterprise.registration": ("phone",)}
ADMIN_CODES: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "population.citizen": (("permanent_address", "province_code", "ward_code"),),
    "enterprise.registration": (("head_office_address", "province_code", "ward_code"),),
    "social_insurance.participant": (("", "province_code", None),),
    "civil_status.event": (("", "registration_province_code", "registration_ward_code"),),
    "land.parcel": (("", "province_code", "ward_code"),),
}
"""Per dataset: (record path of the address, or "" for the record itself; province field; ward field)."""
CCCD_FIELDS: dict[str, tuple[str, ...]] = {
    "population.citizen": ("cccd",),
    "enterprise.registration": ("legal_representative_cccd",),
    "social_insurance.participant": ("cccd",),
    "civil_status.event": ("subject_cccd", "second_party_cccd"),
    "land.parcel": ("owner_cccd",),
}
MST_FIELDS: dict[str, tuple[str, ...]] = {
    "enterprise.registration": ("tax_code",),
    "social_insurance.participant": ("employer_tax_code",),
    "land.parcel": ("owner_tax_code",),
}
SI_CODE_FIELDS: dict[str, tuple[str, ...]] = {"social_insurance.participant": ("si_code",)}
NOT_IN_FUTURE: dict[str, tuple[str, ...]] = {
    "population.citizen": ("date_of_birth",),
    "enterprise.registration": ("registration_date",),
    "social_insurance.participant": ("start_date",),
    "civil_status.event": ("event_date", "registration_date"),
    "land.parcel": ("certificate_issue_date",),
}
DATE_ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    "social_insurance.participant": (("start_date", "end_date"),),
    "civil_status.event": (("event_date", "registration_date"),),
}
"""Per dataset: (earlier, later) date fields; the later may not be before the earlier."""


def clean_record(dataset: str, record: dict[str, Any]) -> Cleaned:
    """``record`` after the cleaning rules of ``dataset`` (a new dict; ``record`` is not changed)."""
    out: dict[str, Any] = clean_strings(record)
    for name in NAME_FIELDS.get(dataset, ()):
        if isinstance(out.get(name), str):
            out[name] = name_case(out[name])
    for phone in PHONE_FIELDS.get(dataset, ()):
        if isinstance(out.get(phone), str):
            out[phone] = identifiers.e164(out[phone]) or out[phone]
    originals: dict[str, dict[str, str | None]] = {}
    for path, province_field, ward_field in ADMIN_CODES.get(dataset, ()):
        holder = out.get(path) if path else out
        if not isinstance(holder, dict) or not isinstance(holder.get(province_field), str):
            continue
        province = holder[province_field]
        ward = holder.get(ward_field) if ward_field else None
        new_province, new_ward = admin_units.current_pair(province, ward)
        if (new_province, new_ward) != (province, ward):
            original: dict[str, str | None] = {province_field: province}
            if ward_field:
                original[ward_field] = ward
                holder[ward_field] = new_ward
            holder[province_field] = new_province
            originals[path or "."] = original
    return Cleaned(out, originals)


def original_code_fields(dataset: str) -> tuple[tuple[str, str, str], ...]:
    """(address path, code field, clean-record field keeping its original) for every administrative code of
    ``dataset`` that may be mapped, e.g. ``("permanent_address", "ward_code", "original_permanent_address_ward_code")``."""
    return tuple((path, name, admin_units.original_field(path, name))
                 for path, province_field, ward_field in ADMIN_CODES.get(dataset, ())
                 for name in (province_field, ward_field) if name is not None)


def with_original_codes(dataset: str, cleaned: Cleaned) -> dict[str, Any]:
    """The cleaned record with its ``original_*`` fields: the code each address arrived with where it was
    mapped, None where it was already a July-2025 code."""
    out = dict(cleaned.record)
    for path, name, field_name in original_code_fields(dataset):
        out[field_name] = cleaned.original_admin_codes.get(path or ".", {}).get(name)
    return out


def missing_required(schema: dict[str, Any], record: dict[str, Any], prefix: str = "") -> list[str]:
    """Paths of the fields of ``schema`` that are neither nullable nor defaulted and are absent from
    ``record`` or null in it, descending into nested records that are present."""
    missing = []
    for f in schema["fields"]:
        name, avro = f["name"], f["type"]
        nullable = avro == "null" or (isinstance(avro, list) and "null" in avro)
        if record.get(name) is None:
            if not nullable and (name in record or "default" not in f):
                missing.append(prefix + name)
        elif isinstance(avro, dict) and avro.get("type") == "record" and isinstance(record[name], dict):
            missing.extend(missing_required(avro, record[name], f"{prefix}{name}."))
    return missing


def _cccd(dataset: str, record: dict[str, Any]) -> Rejection | None:
    for name in CCCD_FIELDS.get(dataset, ()):
        value = record.get(name)
        if value is None:
            continue
        if dataset == "population.citizen" and isinstance(record.get("date_of_birth"), date):
            problem = identifiers.cccd_problem(value, record.get("sex") == "FEMALE", record["date_of_birth"])
        else:
            problem = identifiers.cccd_problem(value)
        if problem is not None:
            return Rejection(CCCD_INCONSISTENT, name, problem)
    return None


def _identifiers(dataset: str, record: dict[str, Any]) -> Rejection | None:
    for name in MST_FIELDS.get(dataset, ()):
        problem = identifiers.mst_problem(record[name]) if record.get(name) is not None else None
        if problem is not None:
            return Rejection(MST_CHECK_DIGIT, name, problem)
    for name in SI_CODE_FIELDS.get(dataset, ()):
        if record.get(name) is not None and not identifiers.si_code_valid(record[name]):
            return Rejection(SI_CODE_INVALID, name, "not 10 digits")
    return None


def _admin_codes(dataset: str, record: dict[str, Any]) -> Rejection | None:
    for path, province_field, ward_field in ADMIN_CODES.get(dataset, ()):
        holder = record.get(path) if path else record
        if not isinstance(holder, dict) or not isinstance(holder.get(province_field), str):
            continue
        ward = holder.get(ward_field) if ward_field else None
        problem = admin_units.unknown_code(holder[province_field], ward)
        if problem is not None:
            field = ward_field if ward_field and problem.startswith("ward") else province_field
            return Rejection(ADMIN_CODE_UNKNOWN, f"{path}.{field}" if path else field, problem)
    return None


def check(dataset: Dataset, record: dict[str, Any] | None, event_time: datetime,
          birth_of: Callable[[str], date | None] = lambda _cccd: None) -> Rejection | None:
    """The first rule the cleaned ``record`` breaks, or None if the event is acceptable.

    ``birth_of`` gives a citizen's date of birth as the hub knows it (clean current state of
    ``population.citizen``); only the death-before-birth rule needs it. Deletes (no record) are acceptable.
    """
    if record is None:
        return None
    missing = missing_required(dataset.record_schema, record)
    if missing:
        return Rejection(REQUIRED_MISSING, missing[0], "absent or null, and neither nullable nor defaulted")
    enum_path = invalid_enum(dataset.record_schema, record)
    if enum_path is not None:
        return Rejection(ENUM_INVALID, enum_path, "not a symbol of the catalogue's enumeration")
    name = dataset.name
    return (_cccd(name, record) or _identifiers(name, record) or _admin_codes(name, record)
            or in_future(record, NOT_IN_FUTURE.get(name, ()), local_date(event_time))
            or out_of_order(record, DATE_ORDER.get(name, ()))
            or (death_before_birth(record, birth_of) if name == "civil_status.event" else None))


def reject_reason(dataset: Dataset, record: dict[str, Any] | None, event_time: datetime,
                  birth_of: Callable[[str], date | None] = lambda _cccd: None) -> str | None:
    """The reason code :func:`check` gives, or None if the event is acceptable."""
    rejection = check(dataset, record, event_time, birth_of)
    return None if rejection is None else rejection.reason
