"""The simulated world: people, enterprises, insurance participations, land parcels, civil-status events.

Entities are mutable and private to the generator; ``record()`` renders an entity as its dataset's record
(a fresh dict each time, clean: as the owning ministry means it). :class:`Bag` gives O(1) add, remove and
uniform random choice with a deterministic order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Bag(Generic[T]):
    """A set of keys with uniform random choice; removal swaps the last key in (deterministic)."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._index: dict[T, int] = {}

    def add(self, item: T) -> None:
        if item not in self._index:
            self._index[item] = len(self._items)
            self._items.append(item)

    def discard(self, item: T) -> None:
        i = self._index.pop(item, None)
        if i is None:
            return
        last = self._items.pop()
        if i < len(self._items):
            self._items[i] = last
            self._index[last] = i

    def choice(self, rng: random.Random) -> T | None:
        return self._items[int(rng.random() * len(self._items))] if self._items else None

    def __contains__(self, item: object) -> bool:
        return item in self._index

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Address:
    line: str
    ward_code: str
    province_code: str

    def record(self) -> dict[str, Any]:
        return {"line": self.line, "ward_code": self.ward_code, "province_code": self.province_code}


@dataclass
class Person:
    cccd: str
    full_name: str
    date_of_birth: date
    female: bool
    place_of_origin: str
    address: Address
    ethnicity: str
    phone: str | None
    alive: bool = True
    spouse: str | None = None
    last_civil_date: date = date.min
    """Date of the latest civil-status event about this person: a new one may not be dated earlier."""
    si_code: str | None = None

    def record(self) -> dict[str, Any]:
        return {"cccd": self.cccd, "full_name": self.full_name, "date_of_birth": self.date_of_birth,
                "sex": "FEMALE" if self.female else "MALE", "place_of_origin": self.place_of_origin,
                "permanent_address": self.address.record(), "ethnicity": self.ethnicity,
                "nationality": "VN", "phone": self.phone}

    def age(self, today: date) -> int:
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass
class Enterprise:
    tax_code: str
    name: str
    name_en: str | None
    short_name: str | None
    legal_form: str
    state_owned: bool
    status: str
    registration_date: date
    main_industry_code: str
    address: Address
    legal_representative_cccd: str | None
    charter_capital: Decimal
    phone: str | None
    email: str | None
    employees: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {"tax_code": self.tax_code, "name": self.name, "name_en": self.name_en,
                "short_name": self.short_name, "legal_form": self.legal_form, "state_owned": self.state_owned,
                "status": self.status, "registration_date": self.registration_date,
                "main_industry_code": self.main_industry_code, "head_office_address": self.address.record(),
                "legal_representative_cccd": self.legal_representative_cccd,
                "charter_capital": self.charter_capital, "phone": self.phone, "email": self.email}


@dataclass
class Participation:
    si_code: str
    cccd: str
    employer_tax_code: str | None
    scheme: str
    monthly_contribution_base: Decimal | None
    status: str
    start_date: date
    end_date: date | None
    province_code: str

    def record(self) -> dict[str, Any]:
        return {"si_code": self.si_code, "cccd": self.cccd, "employer_tax_code": self.employer_tax_code,
                "scheme": self.scheme, "monthly_contribution_base": self.monthly_contribution_base,
                "status": self.status, "start_date": self.start_date, "end_date": self.end_date,
                "province_code": self.province_code}


@dataclass
class CivilEvent:
    civil_event_id: str
    event_type: str
    subject_cccd: str
    second_party_cccd: str | None
    event_date: date
    occurred_at: datetime | None
    registration_ward_code: str
    registration_province_code: str
    registration_number: str
    registration_date: date

    def record(self) -> dict[str, Any]:
        return {"civil_event_id": self.civil_event_id, "event_type": self.event_type,
                "subject_cccd": self.subject_cccd, "second_party_cccd": self.second_party_cccd,
                "event_date": self.event_date, "occurred_at": self.occurred_at,
                "registration_ward_code": self.registration_ward_code,
                "registration_province_code": self.registration_province_code,
                "registration_number": self.registration_number, "registration_date": self.registration_date}


@dataclass
class Parcel:
    parcel_id: str
    map_sheet_number: int
    parcel_number: int
    province_code: str
    ward_code: str
    area_m2: Decimal
    land_use_code: str
    owner_kind: str
    owner_cccd: str | None
    owner_tax_code: str | None
    certificate_number: str | None
    certificate_issue_date: date | None

    def record(self) -> dict[str, Any]:
        return {"parcel_id": self.parcel_id, "map_sheet_number": self.map_sheet_number,
                "parcel_number": self.parcel_number, "province_code": self.province_code,
                "ward_code": self.ward_code, "area_m2": self.area_m2, "land_use_code": self.land_use_code,
                "owner_kind": self.owner_kind, "owner_cccd": self.owner_cccd, "owner_tax_code": self.owner_tax_code,
                "certificate_number": self.certificate_number, "certificate_issue_date": self.certificate_issue_date}


@dataclass
class World:
    """Everything the generator has created, with the bags it draws from."""

    people: dict[str, Person] = field(default_factory=dict)
    living: Bag[str] = field(default_factory=Bag)
    married: Bag[str] = field(default_factory=Bag)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)
    open_enterprises: Bag[str] = field(default_factory=Bag)
    represented: dict[str, list[str]] = field(default_factory=dict)
    """CCCD → tax codes of the enterprises the person represents."""
    participations: dict[str, Participation] = field(default_factory=dict)
    """By CCCD: each person's one social-insurance participation."""
    insured: Bag[str] = field(default_factory=Bag)
    """CCCDs of living people with a participation."""
    civil_events: dict[str, CivilEvent] = field(default_factory=dict)
    civil_ids: Bag[str] = field(default_factory=Bag)
    parcels: dict[str, Parcel] = field(default_factory=dict)
    parcel_ids: Bag[str] = field(default_factory=Bag)
    issued: set[str] = field(default_factory=set)
    """Every identifier handed out (CCCDs, tax codes, SI codes, ids): for uniqueness checks only."""
