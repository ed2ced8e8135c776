"""Identifiers of the Vietnamese registers: CCCD, tax code (MST), social-insurance code, phone numbers (pure).

The validators (:func:`cccd_problem`, :func:`mst_problem`, :func:`si_code_valid`, :func:`e164`) are the
hub's rules; the makers (:func:`cccd`, :func:`mst`, :func:`with_wrong_check_digit`,
:func:`old_mobile_form`) are their inverses, used by the simulator to send valid and invalid identifiers.

* **CCCD** (12 digits, Circular 59/2021/TT-BCA): ``0`` + the 2-digit code of the (pre-July-2025) province
  where the birth was registered, one sex/century digit (1900s: male 0, female 1; 2000s: 2/3; 2100s: 4/5;
  2200s: 6/7; 2300s: 8/9), the last two digits of the birth year, six serial digits.
* **MST** (tax code): 10 digits, the 10th a check digit over the first nine with weights
  31, 29, 23, 19, 17, 13, 7, 5, 3: ``check = 10 - (sum mod 11)``; a body whose check would be 10
  (sum divisible by 11) is never issued. A dependent unit appends ``-`` and a 3-digit suffix.
  Checked against published codes, e.g. 0100109106, 0300588569, 0101248141.
* **Social-insurance code** (mã số BHXH): 10 digits, printed on the social-insurance book and the
  health-insurance card (Decision 595/QĐ-BHXH; for children under 6 it was derived from the card number).
* **Phones**: the E.164 form ``+84`` + national significant number. Mobile numbers renumbered from 11 to
  10 digits between 15 Sep 2018 and 30 Jun 2019 keep their last 7 digits and change prefix
  (:data:`RENUMBERED_MOBILE_PREFIXES`, the Ministry of Information and Communications' plan as
  published by the operators, e.g. mobifone.vn).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from hub.admin_units import legacy_provinces

MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

RENUMBERED_MOBILE_PREFIXES: dict[str, str] = {
    # Viettel
    "0162": "032", "0163": "033", "0164": "034", "0165": "035",
    "0166": "036", "0167": "037", "0168": "038", "0169": "039",
    # MobiFone
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    # VinaPhone
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    # Vietnamobile
    "0186": "056", "0188": "058",
    # Gmobile
    "0199": "059",
}
"""Old 11-digit mobile prefix → new 10-digit prefix (national form, with the leading 0)."""

OLD_PREFIX_OF: dict[str, str] = {new: old for old, new in RENUMBERED_MOBILE_PREFIXES.items()}

MOBILE_PREFIXES = ("086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039",
                   "088", "091", "094", "081", "082", "083", "084", "085",
                   "089", "090", "093", "070", "076", "077", "078", "079",
                   "092", "056", "058", "099", "059")
"""Mobile prefixes in use since 2019 (national form)."""

_E164_VN = re.compile(r"\+84(?:[35789]\d{8}|2\d{9})")
_PHONE_NOISE = re.compile(r"[\s.\-()]")
_CCCD = re.compile(r"0\d{11}")
_MST = re.compile(r"(\d{10})(?:-\d{3})?")
_SI_CODE = re.compile(r"\d{10}")


@cache
def legacy_province_codes() -> frozenset[str]:
    """The 63 two-digit province codes before July 2025 (which CCCDs keep using)."""
    return frozenset(p.code for p in legacy_provinces())


def sex_century_digit(female: bool, birth_year: int) -> int:
    """The CCCD's 4th digit; raises ValueError outside the years 1900-2399 it can express."""
    century = birth_year // 100 - 19
    if not 0 <= century <= 4:
        raise ValueError(f"a CCCD cannot encode birth year {birth_year}")
    return century * 2 + (1 if female else 0)


def cccd(province_code: str, female: bool, birth: date, serial: int) -> str:
    """A CCCD: 3-digit province of birth registration, sex/century digit, 2-digit birth year, 6 serial digits."""
    return f"0{province_code}{sex_century_digit(female, birth.year)}{birth.year % 100:02d}{serial % 1_000_000:06d}"


def cccd_well_formed(value: str) -> bool:
    """12 digits, starting ``0`` + one of the 63 legacy province codes."""
    return bool(_CCCD.fullmatch(value)) and value[1:3] in legacy_province_codes()


def cccd_matches(value: str, female: bool, birth: date) -> bool:
    """Well formed, and its sex/century digit and birth-year digits agree with ``female`` and ``birth``."""
    return cccd_problem(value, female, birth) is None


def cccd_problem(value: str, female: bool | None = None, birth: date | None = None) -> str | None:
    """What is wrong with the CCCD ``value`` (a description of the rule, never of the value), or None.

    Without ``female`` and ``birth`` only the layout and the province digits are checked. The province
    digits are those of the 63 provinces before July 2025: a CCCD is never remapped to 2025 codes."""
    if not _CCCD.fullmatch(value):
        return "not 12 digits starting with 0"
    if value[1:3] not in legacy_province_codes():
        return "digits 2-3 name no province (of the 63 before July 2025)"
    if female is None or birth is None:
        return None
    try:
        expected = sex_century_digit(female, birth.year)
    except ValueError:
        return "date_of_birth is outside the years a CCCD can encode (1900-2399)"
    if value[3] != str(expected):
        return "digit 4 (sex and century of birth) contradicts sex and date_of_birth"
    if value[4:6] != f"{birth.year % 100:02d}":
        return "digits 5-6 (year of birth) contradict date_of_birth"
    return None


def mst_check_digit(body: str) -> int | None:
    """The check digit of a 9-digit MST body, or None when the body admits none (the formula gives 10)."""
    check = 10 - sum(w * int(d) for w, d in zip(MST_WEIGHTS, body, strict=True)) % 11
    return None if check == 10 else check


def mst(body: str) -> str | None:
    """The 10-digit MST for a 9-digit body, or None when the body admits no check digit."""
    check = mst_check_digit(body)
    return None if check is None else f"{body}{check}"


def mst_valid(value: str) -> bool:
    """``NNNNNNNNNN`` or ``NNNNNNNNNN-NNN`` whose 10th digit is the check digit of the first nine."""
    return mst_problem(value) is None


def mst_problem(value: str) -> str | None:
    """What is wrong with the tax code ``value`` (never the value itself), or None."""
    match = _MST.fullmatch(value)
    if match is None:
        return "not NNNNNNNNNN or NNNNNNNNNN-NNN (10 digits, optionally a 3-digit branch suffix)"
    if mst(match.group(1)[:9]) != match.group(1):
        return "digit 10 is not the check digit of the first nine"
    return None


def si_code_valid(value: str) -> bool:
    """A social-insurance code: exactly 10 digits."""
    return bool(_SI_CODE.fullmatch(value))


def with_wrong_check_digit(value: str, shift: int) -> str:
    """``value`` (a valid MST) with its 10th digit moved by ``shift`` (1-9) modulo 10: never valid."""
    wrong = (int(value[9]) + shift) % 10
    return f"{value[:9]}{wrong}{value[10:]}"


def e164(phone: str) -> str | None:
    """A Vietnamese phone number in E.164 form, or None when ``phone`` is not one.

    Spaces, dots, dashes and parentheses are dropped; ``+84``/``0084`` become the national ``0``; an old
    11-digit mobile number gets its new prefix; the result must be a 10-digit mobile or 11-digit landline
    number in national form, returned as ``+84`` + the digits after the ``0``.
    """
    digits = _PHONE_NOISE.sub("", phone)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    if len(digits) == 11 and digits[:4] in RENUMBERED_MOBILE_PREFIXES:
        digits = RENUMBERED_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    candidate = "+84" + digits[1:] if digits.startswith("0") else ""
    return candidate if _E164_VN.fullmatch(candidate) else None


def old_mobile_form(national: str) -> str | None:
    """The pre-2018 11-digit form of a 10-digit national mobile number, or None if its prefix was not renumbered."""
    old = OLD_PREFIX_OF.get(national[:3])
    return None if old is None else old + national[3:]
