"""The hub's cleaning and rejection rules that the simulator's ground truth assumes (pure).

These functions are the reference the stream processors are tested against (through the manifest); the
rules are written out in ``RULES.md`` beside this module. In short:

* :func:`clean_record` — every string: legacy TCVN3/VNI mojibake repaired (:func:`legacy_text.repair`),
  Unicode NFC, runs of whitespace collapsed to one space, trimmed; personal names (``full_name``) in name
  case; phones in E.164 (``+84…``, old 11-digit mobile prefixes renumbered); pre-July-2025 administrative
  codes mapped to 2025 codes (the originals are returned beside the record).
* :func:`reject_reason` — the reason code of an event the hub must dead-letter, or None.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hub.catalogue import Dataset
from producers.simulator import admin, codes
from producers.simulator.legacy_text import repair

VIETNAM_TIME = timezone(timedelta(hours=7))

REQUIRED_MISSING = "required_missing"
CCCD_INCONSISTENT = "cccd_inconsistent"
MST_CHECK_DIGIT = "mst_check_digit"
DATE_IMPOSSIBLE = "date_impossible"
DEATH_BEFORE_BIRTH = "death_before_birth"
REASON_CODES = (REQUIRED_MISSING, CCCD_INCONSISTENT, MST_CHECK_DIGIT, DATE_IMPOSSIBLE, DEATH_BEFORE_BIRTH)
"""Every reason code :func:`reject_reason` returns, in the order the checks run."""

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

@dataclass(frozen=True)
class Cleaned:
    """A cleaned record, and the pre-2025 codes it arrived with: address path → original codes."""

    record: dict[str, Any]
    original_admin_codes: dict[str, dict[str, str | None]] = field(default_factory=dict)


def clean_text(text: str) -> str:
    """Legacy encoding repaired, NFC, whitespace runs collapsed to one space, trimmed."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", repair(text))
    return " ".join(text.split())  # str.split() splits at runs of exactly the characters regex \s matches


def name_case(name: str) -> str:
    """Each space-separated word with its first letter upper case and the rest lower case."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in name.split(" "))


def _clean_strings(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _clean_strings(v) for k, v in value.items()}
    return value


def clean_record(dataset: str, record: dict[str, Any]) -> Cleaned:
    """``record`` after the cleaning rules of ``dataset`` (a new dict; ``record`` is not changed)."""
    out: dict[str, Any] = _clean_strings(record)
    for name in NAME_FIELDS.get(dataset, ()):
        if isinstance(out.get(name), str):
            out[name] = name_case(out[name])
    for phone in PHONE_FIELDS.get(dataset, ()):
        if isinstance(out.get(phone), str):
            out[phone] = codes.e164(out[phone]) or out[phone]
    originals: dict[str, dict[str, str | None]] = {}
    for path, province_field, ward_field in ADMIN_CODES.get(dataset, ()):
        holder = out.get(path) if path else out
        if not isinstance(holder, dict) or not isinstance(holder.get(province_field), str):
            continue
        province = holder[province_field]
        ward = holder.get(ward_field) if ward_field else None
        new_province, new_ward = admin.current_pair(province, ward)
        if (new_province, new_ward) != (province, ward):
            original: dict[str, str | None] = {province_field: province}
            if ward_field:
                original[ward_field] = ward
                holder[ward_field] = new_ward
            holder[province_field] = new_province
            originals[path or "."] = original
    return Cleaned(out, originals)


def local_date(instant: datetime) -> date:
    """The calendar date in Vietnam (UTC+7) at ``instant``."""
    return instant.astimezone(VIETNAM_TIME).date()


def missing_required(schema: dict[str, Any], record: dict[str, Any], prefix: str = "") -> list[str]:
    """Paths of fields that are neither nullable nor defaulted and absent from ``record`` (nested records too)."""
    missing = []
    for f in schema["fields"]:
        name, avro = f["name"], f["type"]
        nullable = avro == "null" or (isinstance(avro, list) and "null" in avro)
        if name not in record:
            if not nullable and "default" not in f:
                missing.append(prefix + name)
        elif isinstance(avro, dict) and avro.get("type") == "record" and isinstance(record[name], dict):
            missing.extend(missing_required(avro, record[name], f"{prefix}{name}."))
    return missing


def _cccd_inconsistent(dataset: str, record: dict[str, Any]) -> bool:
    if dataset == "population.citizen":
        birth, sex = record["date_of_birth"], record["sex"]
        return not (isinstance(birth, date) and codes.cccd_matches(record["cccd"], sex == "FEMALE", birth))
    return any(record.get(f) is not None and not codes.cccd_well_formed(record[f])
               for f in CCCD_FIELDS.get(dataset, ()))


def _dates_impossible(dataset: str, record: dict[str, Any], today: date) -> bool:
    if dataset == "population.citizen":
        return bool(record["date_of_birth"] > today)
    if dataset == "enterprise.registration":
        return bool(record["registration_date"] > today)
    if dataset == "social_insurance.participant":
        end = record.get("end_date")
        return bool(record["start_date"] > today or (end is not None and end < record["start_date"]))
    if dataset == "civil_status.event":
        return bool(record["event_date"] > today or record["registration_date"] < record["event_date"]
                    or record["registration_date"] > today)
    if dataset == "land.parcel":
        issued = record.get("certificate_issue_date")
        return issued is not None and bool(issued > today)
    return False


def reject_reason(dataset: Dataset, record: dict[str, Any] | None, event_time: datetime,
                  birth_of: Callable[[str], date | None] = lambda _cccd: None) -> str | None:
    """The reason code the hub must dead-letter this event with, or None if it is acceptable.

    ``birth_of`` gives a citizen's date of birth as the hub knows it (clean current state of
    ``population.citizen``); only the death-before-birth rule needs it. Deletes (no record) are acceptable.
    """
    if record is None:
        return None
    if missing_required(dataset.record_schema, record):
        return REQUIRED_MISSING
    name = dataset.name
    if _cccd_inconsistent(name, record):
        return CCCD_INCONSISTENT
    if any(record.get(f) is not None and not codes.mst_valid(record[f]) for f in MST_FIELDS.get(name, ())):
        return MST_CHECK_DIGIT
    if _dates_impossible(name, record, local_date(event_time)):
        return DATE_IMPOSSIBLE
    if name == "civil_status.event" and record["event_type"] == "DEATH":
        born = birth_of(record["subject_cccd"])
        if born is not None and record["event_date"] < born:
            return DEATH_BEFORE_BIRTH
    return None
