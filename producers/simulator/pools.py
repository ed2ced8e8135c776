"""Pools of Vietnamese names, streets and business names drawn once per seed from Faker's ``vi_VN`` locale.

Faker is slow per call, so the simulator draws from these pools instead. Every pooled string is checked to
be a fixed point of the cleaning rules (:func:`rules.clean_text`, and name case for personal names), so a
clean record never changes when it is cleaned except where the rules say it must (phones, old codes).
"""

from __future__ import annotations

from dataclasses import dataclass

from faker import Faker

from streams.rules.text import clean_text, name_case

ETHNICITIES = ("Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "H'Mông", "Dao", "Gia Rai")
ETHNICITY_WEIGHTS = (85, 2, 2, 1.5, 1.5, 1, 1, 1, 1, 1)

BUSINESS_LINES = (
    ("Thương mại", "Trading", "4690"), ("Xây dựng", "Construction", "4100"),
    ("Công nghệ", "Technology", "6201"), ("Vận tải", "Transport", "4933"),
    ("Thực phẩm", "Food", "1079"), ("Dịch vụ", "Services", "8299"),
    ("Du lịch", "Travel", "7912"), ("Nông sản", "Agricultural Products", "4620"),
    ("Bất động sản", "Real Estate", "6810"), ("Dệt may", "Textile", "1410"),
    ("Cơ khí", "Mechanical", "2592"), ("Nhà hàng", "Restaurant", "5610"),
    ("Bán lẻ", "Retail", "4711"), ("Thủy sản", "Seafood", "1020"),
)
"""(Vietnamese business word, English word, VSIC code of the main line)."""

_POOL_SIZE = 2000


@dataclass(frozen=True)
class Pools:
    male_names: tuple[str, ...]
    """Full names in Vietnamese order: family, middle, given."""
    female_names: tuple[str, ...]
    streets: tuple[str, ...]
    brands: tuple[str, ...]
    """Two given names used as a business's distinctive name, e.g. ``Minh Phát``."""


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _middle_name(faker: Faker, female: bool) -> str:
    if female and faker.pybool():
        return "Thị"
    while (middle := faker.middle_name()) in ("Văn", "Thị"):  # Văn is a man's middle name, Thị a woman's
        pass
    return str(middle)


def _full_name(faker: Faker, female: bool) -> str:
    if female:
        given = faker.first_name_female() if faker.pybool() else faker.first_name_unisex()
    else:
        given = faker.first_name_male() if faker.pybool() else faker.first_name_unisex()
    return f"{faker.last_name()} {_middle_name(faker, female)} {given}"


def build_pools(seed: int) -> Pools:
    """The pools for ``seed`` (deterministic: a Faker instance seeded with ``seed``)."""
    faker = Faker("vi_VN")
    faker.seed_instance(seed)
    male = _unique([_full_name(faker, female=False) for _ in range(_POOL_SIZE)])
    female = _unique([_full_name(faker, female=True) for _ in range(_POOL_SIZE)])
    streets = _unique([faker.street_address() for _ in range(_POOL_SIZE)])
    brands = _unique([f"{faker.first_name_unisex()} {faker.first_name_male()}" for _ in range(_POOL_SIZE)])
    pools = Pools(male_names=male, female_names=female, streets=streets, brands=brands)
    _check_clean(pools)
    return pools


def _check_clean(pools: Pools) -> None:
    for name in pools.male_names + pools.female_names:
        if name_case(clean_text(name)) != name:
            raise ValueError(f"pooled name {name!r} is not clean")
    for text in pools.streets + pools.brands + ETHNICITIES + tuple(w for w, _, _ in BUSINESS_LINES):
        if clean_text(text) != text:
            raise ValueError(f"pooled text {text!r} is not clean")
