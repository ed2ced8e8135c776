"""Golden records merged from the datasets' clean current state with field-level survivorship (pure).

Each attribute of a golden record comes only from the dataset the catalogue names as its authority
(``Dataset.authoritative``); how each authority's records give their attributes is :data:`SOURCES` plus the
civil-status fold below. Within an authority, the record version with the latest (event time, source
position) wins. The golden ``citizen`` exists exactly while the population register has the CCCD; the
golden ``enterprise`` exactly while the business register has the tax code: deletes are honoured and
attributes of unknown people or enterprises are dropped.

Civil status is a history rather than a value: the live events are applied in order of their
``event_date`` (then event time, then ``civil_event_id``): a marriage makes both parties ``MARRIED`` with
each other as ``spouse_cccd``; a divorce makes both ``DIVORCED`` without spouse; a death sets the deceased's
``date_of_death`` and leaves the surviving spouse ``WIDOWED`` without spouse (the deceased keeps the status
held at death); births change no golden attribute. ``land_holdings`` is the sorted list of live parcels whose
holder is the citizen (``owner_kind`` CITIZEN) or the enterprise (ENTERPRISE).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from hub.catalogue import Catalogue

Version = tuple[datetime, int]
Live = Mapping[str, tuple[Version, dict[str, Any]]]
"""A dataset's clean current state: key → ((event time, source position), record)."""

SOURCES: dict[tuple[str, str], tuple[Callable[[dict[str, Any]], str | None], dict[str, str]]] = {
    # (dataset, golden entity): (the golden key of a record, {attribute: record field})
    ("population.citizen", "citizen"): (lambda r: r["cccd"], {
        a: a for a in ("full_name", "date_of_birth", "sex", "place_of_origin", "permanent_address", "ethnicity",
                       "nationality", "phone")}),
    ("social_insurance.participant", "citizen"): (lambda r: r["cccd"], {
        "social_insurance_code": "si_code", "employer_tax_code": "employer_tax_code",
        "insurance_scheme": "scheme", "insurance_status": "status"}),
    ("enterprise.registration", "enterprise"): (lambda r: r["tax_code"], {
        a: a for a in ("name", "name_en", "short_name", "legal_form", "state_owned", "status", "registration_date",
                       "main_industry_code", "head_office_address", "legal_representative_cccd", "charter_capital",
                       "phone", "email")}),
}
DERIVED: dict[tuple[str, str], tuple[str, ...]] = {
    ("civil_status.event", "citizen"): ("marital_status", "spouse_cccd", "date_of_death"),
    ("land.parcel", "citizen"): ("land_holdings",),
    ("land.parcel", "enterprise"): ("land_holdings",),
}
"""Attributes computed from a whole dataset rather than copied from one record."""
GOLDEN_KEYS = {"citizen": ("cccd", "population.citizen"), "enterprise": ("tax_code", "enterprise.registration")}


def attributes_by_authority() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every (dataset, entity) this module merges, with the attributes it takes from it."""
    known = {k: tuple(v[1]) for k, v in SOURCES.items()}
    known.update(DERIVED)
    return known


def merge(catalogue: Catalogue, live: Mapping[str, Live]) -> dict[str, dict[str, dict[str, Any]]]:
    """The golden records, entity → key → attributes (every authoritative attribute present, None if unknown)."""
    golden: dict[str, dict[str, dict[str, Any]]] = {}
    for entity, (key_name, register) in GOLDEN_KEYS.items():
        names = sorted({a for d in catalogue for a in d.authoritative[entity]})
        golden[entity] = {key: {key_name: key, **{a: None for a in names}, "land_holdings": []}
                          for key in live.get(register, {})}
    for (dataset, entity), (key_of, fields) in SOURCES.items():
        winners: dict[str, tuple[Version, dict[str, Any]]] = {}
        for version, record in live.get(dataset, {}).values():
            key = key_of(record)
            if key is not None and (key not in winners or version > winners[key][0]):
                winners[key] = (version, record)
        for key, (_, record) in winners.items():
            if key in golden[entity]:
                golden[entity][key].update({a: record[f] for a, f in fields.items()})
    _civil_status(golden["citizen"], live.get("civil_status.event", {}))
    _land(golden, live.get("land.parcel", {}))
    return golden


def _civil_status(citizens: dict[str, dict[str, Any]], events: Live) -> None:
    status: dict[str, str] = {}
    spouse: dict[str, str | None] = {}
    died: dict[str, Any] = {}
    ordered = sorted(events.values(), key=lambda vr: (vr[1]["event_date"], vr[0], vr[1]["civil_event_id"]))
    for _, event in ordered:
        subject, other, kind = event["subject_cccd"], event["second_party_cccd"], event["event_type"]
        if kind in ("MARRIAGE", "DIVORCE") and other is not None:
            for a, b in ((subject, other), (other, subject)):
                status[a] = "MARRIED" if kind == "MARRIAGE" else "DIVORCED"
                spouse[a] = b if kind == "MARRIAGE" else None
        elif kind == "DEATH":
            died[subject] = event["event_date"]
            partner = spouse.get(subject)
            if partner is not None and spouse.get(partner) == subject:
                status[partner], spouse[partner] = "WIDOWED", None
    for cccd, record in citizens.items():
        if cccd in status:
            record["marital_status"], record["spouse_cccd"] = status[cccd], spouse.get(cccd)
        record["date_of_death"] = died.get(cccd)


def _land(golden: dict[str, dict[str, dict[str, Any]]], parcels: Live) -> None:
    for _, parcel in parcels.values():
        holder = {"CITIZEN": ("citizen", parcel["owner_cccd"]),
                  "ENTERPRISE": ("enterprise", parcel["owner_tax_code"])}.get(parcel["owner_kind"])
        if holder is not None and holder[1] in golden[holder[0]]:
            golden[holder[0]][holder[1]]["land_holdings"].append(parcel["parcel_id"])
    for records in golden.values():
        for record in records.values():
            record["land_holdings"].sort()
