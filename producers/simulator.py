"""A reproducible simulator of the ministries' change streams (same seed, same stream).

This slice simulates the population register: new citizens (op ``c``) and later updates of some of
them (op ``u``: a move of permanent address or a new phone). Names and addresses come from Faker's
``vi_VN`` locale, administrative codes from :mod:`hub.admin_units`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from faker import Faker

from hub.admin_units import current_wards, legacy_provinces

ETHNICITIES = ("Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "H'Mông", "Dao", "Gia Rai")


@dataclass(frozen=True)
class Change:
    """One simulated change event, before it is wrapped in the envelope."""

    dataset: str
    op: str
    key: str
    record: dict[str, Any] | None
    event_time: datetime


def cccd(province_code: str, female: bool, birth: date, serial: int) -> str:
    """A CCCD: 3-digit province of birth registration, sex/century digit, 2-digit birth year, 6 serial digits."""
    century = (birth.year // 100) - 19  # 0 for 1900s, 1 for 2000s
    sex_digit = century * 2 + (1 if female else 0)
    return f"0{province_code}{sex_digit}{birth.year % 100:02d}{serial % 1_000_000:06d}"


class PopulationSimulator:
    """Generates citizens and their later changes from a seed."""

    def __init__(self, seed: int, start: datetime | None = None, update_ratio: float = 0.2) -> None:
        self._rng = random.Random(seed)
        self._faker = Faker("vi_VN")
        self._faker.seed_instance(seed)
        self._wards = current_wards()
        self._origins = legacy_provinces()
        self._clock = start or datetime(2026, 1, 1, tzinfo=timezone.utc)
        self._update_ratio = update_ratio
        self._people: list[dict[str, Any]] = []
        self._serial = 0

    def _tick(self) -> datetime:
        self._clock += timedelta(milliseconds=self._rng.randint(1, 50))
        return self._clock

    def _address(self) -> dict[str, Any]:
        ward = self._rng.choice(self._wards)
        return {"line": self._faker.street_address(), "ward_code": ward.ward_code,
                "province_code": ward.province_code}

    def _phone(self) -> str:
        return "0" + self._rng.choice("35789") + "".join(self._rng.choice("0123456789") for _ in range(8))

    def new_citizen(self) -> dict[str, Any]:
        female = self._rng.random() < 0.5
        birth = date(1940, 1, 1) + timedelta(days=self._rng.randint(0, 365 * 85))
        origin = self._rng.choice(self._origins)
        self._serial += 1
        name = self._faker.name_female() if female else self._faker.name_male()
        return {
            "cccd": cccd(origin.code, female, birth, self._rng.randint(0, 999_999)),
            "full_name": name,
            "date_of_birth": birth,
            "sex": "FEMALE" if female else "MALE",
            "place_of_origin": origin.name,
            "permanent_address": self._address(),
            "ethnicity": self._rng.choices(ETHNICITIES, weights=(85, 2, 2, 1.5, 1.5, 1, 1, 1, 1, 1))[0],
            "nationality": "VN",
            "phone": self._phone() if self._rng.random() < 0.8 else None,
        }

    def changes(self, count: int) -> Iterator[Change]:
        """``count`` changes: mostly new citizens, some updates of earlier ones."""
        for _ in range(count):
            if self._people and self._rng.random() < self._update_ratio:
                person = dict(self._rng.choice(self._people))
                if self._rng.random() < 0.5:
                    person["permanent_address"] = self._address()
                else:
                    person["phone"] = self._phone()
                yield Change("population.citizen", "u", person["cccd"], person, self._tick())
            else:
                person = self.new_citizen()
                if len(self._people) < 100_000:
                    self._people.append(person)
                yield Change("population.citizen", "c", person["cccd"], person, self._tick())
