from __future__ import annotations

from datetime import date

import pytest

from streams.rules import identifiers

# Tax codes of well-known enterprises (public register data).
PUBLISHED_MSTS = ["0100109106", "0300588569", "0101248141", "0100112437"]


@pytest.mark.parametrize("value", PUBLISHED_MSTS + ["0100109106-001", "0300588569-012"])
def test_published_tax_codes_are_valid(value: str) -> None:
    assert identifiers.mst_valid(value) is True


@pytest.mark.parametrize("value", [
    "0100109107",        # check digit off by one
    "0300588560",
    "010010910",         # 9 digits
    "01001091066",       # 11 digits
    "0100109106-01",     # branch suffix of 2 digits
    "0100109106/001",
    "010010910A",
])
def test_malformed_tax_codes_are_invalid(value: str) -> None:
    assert identifiers.mst_valid(value) is False


@pytest.mark.parametrize(("body", "expected"), [
    ("010010910", 6), ("030058856", 9), ("010124814", 1), ("010011243", 7),
    ("000000000", None),  # weighted sum divisible by 11: 10 - 0 = 10, no digit
])
def test_check_digit(body: str, expected: int | None) -> None:
    assert identifiers.mst_check_digit(body) == expected


@pytest.mark.parametrize("shift", range(1, 10))
def test_a_shifted_check_digit_is_always_wrong(shift: int) -> None:
    assert [identifiers.mst_valid(identifiers.with_wrong_check_digit(v, shift)) for v in PUBLISHED_MSTS] == [False] * 4


def test_generated_tax_codes_are_valid_or_absent() -> None:
    bodies = [f"{n:09d}" for n in range(0, 1_000_000_000, 7_654_321)]
    made = [identifiers.mst(b) for b in bodies]
    assert all(identifiers.mst_valid(m) for m in made if m is not None)
    assert [b for b, m in zip(bodies, made) if m is None] == [b for b in bodies if identifiers.mst_check_digit(b) is None]


@pytest.mark.parametrize(("province", "female", "born", "serial", "expected"), [
    ("01", True, date(2003, 2, 1), 42, "001303000042"),
    ("79", False, date(1985, 2, 1), 7, "079085000007"),
    ("96", True, date(1950, 12, 31), 999_999, "096150999999"),
    ("01", False, date(2026, 1, 5), 1, "001226000001"),
])
def test_cccd_layout(province: str, female: bool, born: date, serial: int, expected: str) -> None:
    assert identifiers.cccd(province, female, born, serial) == expected
    assert identifiers.cccd_matches(expected, female, born) is True


@pytest.mark.parametrize(("value", "female", "born"), [
    ("001090000001", True, date(1990, 5, 1)),    # says male
    ("001190000001", False, date(1990, 5, 1)),   # says female
    ("001290000001", False, date(1990, 5, 1)),   # says born in the 2000s
    ("001091000001", False, date(1990, 5, 1)),   # says born in 1991
    ("003090000001", False, date(1990, 5, 1)),   # 03 is no province
    ("00109000001", False, date(1990, 5, 1)),    # 11 digits
    ("101090000001", False, date(1990, 5, 1)),   # does not start with 0
])
def test_inconsistent_cccds(value: str, female: bool, born: date) -> None:
    assert identifiers.cccd_matches(value, female, born) is False


def test_well_formed_means_a_province_of_before_2025() -> None:
    assert [identifiers.cccd_well_formed(v) for v in ("002090000001", "091090000001", "099090000001", "000090000001")] \
        == [True, True, False, False]


@pytest.mark.parametrize(("phone", "expected"), [
    ("0912345678", "+84912345678"),
    ("+84912345678", "+84912345678"),
    ("+84 91 234 5678", "+84912345678"),
    ("(+84) 912.345.678", "+84912345678"),
    ("0084912345678", "+84912345678"),
    ("0912-345-678", "+84912345678"),
    ("01623456789", "+84323456789"),     # Viettel 0162 → 032
    ("0169 933 3999", "+84399333999"),
    ("0120.456.7890", "+84704567890"),   # MobiFone 0120 → 070
    ("01298222888", "+84828222888"),     # VinaPhone 0129 → 082
    ("01888555888", "+84588555888"),     # Vietnamobile 0188 → 058
    ("01865555888", "+84565555888"),     # Vietnamobile 0186 → 056
    ("01995959999", "+84595959999"),     # Gmobile 0199 → 059
    ("02438251234", "+842438251234"),    # Hà Nội landline
    ("12345", None),
    ("01012345678", None),               # 0101 was never a mobile prefix
    ("091234567", None),
])
def test_e164(phone: str, expected: str | None) -> None:
    assert identifiers.e164(phone) == expected


def test_renumbering_table_is_the_published_one() -> None:
    assert len(identifiers.RENUMBERED_MOBILE_PREFIXES) == 21
    assert sorted(identifiers.RENUMBERED_MOBILE_PREFIXES.values()) == sorted(
        ["032", "033", "034", "035", "036", "037", "038", "039", "070", "079", "077", "076", "078",
         "083", "084", "085", "081", "082", "056", "058", "059"])
    assert [identifiers.old_mobile_form(n) for n in ("0323456789", "0704567890", "0912345678")] \
        == ["01623456789", "01204567890", None]


@pytest.mark.parametrize(("value", "female", "born", "problem"), [
    ("001090000001", False, date(1990, 5, 1), None),
    ("079303000042", True, date(2003, 2, 1), None),   # Hồ Chí Minh City, a woman born in 2003
    ("0010900000", False, date(1990, 5, 1), "not 12 digits starting with 0"),
    ("00109000000A", False, date(1990, 5, 1), "not 12 digits starting with 0"),
    ("101090000001", False, date(1990, 5, 1), "not 12 digits starting with 0"),
    ("003090000001", False, date(1990, 5, 1), "digits 2-3 name no province (of the 63 before July 2025)"),
    ("001190000001", False, date(1990, 5, 1),
     "digit 4 (sex and century of birth) contradicts sex and date_of_birth"),
    ("001091000001", False, date(1990, 5, 1), "digits 5-6 (year of birth) contradict date_of_birth"),
    ("001099000001", False, date(1899, 5, 1), "date_of_birth is outside the years a CCCD can encode (1900-2399)"),
])
def test_cccd_problem_names_the_rule(value: str, female: bool, born: date, problem: str | None) -> None:
    assert identifiers.cccd_problem(value, female, born) == problem


def test_a_cccd_keeps_the_province_of_before_2025() -> None:
    # Hà Giang (02) merged into Tuyên Quang (08) in July 2025; CCCDs issued with 002 stay valid and unmapped.
    assert [identifiers.cccd_problem(v) for v in ("002090000001", "008090000001")] == [None, None]
    assert identifiers.cccd_well_formed("002090000001") is True


@pytest.mark.parametrize(("value", "problem"), [
    ("0100109106", None),
    ("0100109106-001", None),
    ("0100109107", "digit 10 is not the check digit of the first nine"),
    ("0100109106-01", "not NNNNNNNNNN or NNNNNNNNNN-NNN (10 digits, optionally a 3-digit branch suffix)"),
    ("0100109106 001", "not NNNNNNNNNN or NNNNNNNNNN-NNN (10 digits, optionally a 3-digit branch suffix)"),
])
def test_mst_problem_names_the_rule(value: str, problem: str | None) -> None:
    assert identifiers.mst_problem(value) == problem


@pytest.mark.parametrize(("value", "valid"), [
    ("0123456789", True), ("7912345678", True),
    ("012345678", False), ("01234567890", False), ("01234 56789", False), ("012345678A", False), ("", False),
])
def test_social_insurance_code(value: str, valid: bool) -> None:
    assert identifiers.si_code_valid(value) is valid
