from __future__ import annotations

from datetime import date

import pytest

from producers.simulator import codes

# Tax codes of well-known enterprises (public register data).
PUBLISHED_MSTS = ["0100109106", "0300588569", "0101248141", "0100112437"]


@pytest.mark.parametrize("value", PUBLISHED_MSTS + ["0100109106-001", "0300588569-012"])
def test_published_tax_codes_are_valid(value: str) -> None:
    assert codes.mst_valid(value) is True


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
    assert codes.mst_valid(value) is False


@pytest.mark.parametrize(("body", "expected"), [
    ("010010910", 6), ("030058856", 9), ("010124814", 1), ("010011243", 7),
    ("000000000", None),  # weighted sum divisible by 11: 10 - 0 = 10, no digit
])
def test_check_digit(body: str, expected: int | None) -> None:
    assert codes.mst_check_digit(body) == expected


@pytest.mark.parametrize("shift", range(1, 10))
def test_a_shifted_check_digit_is_always_wrong(shift: int) -> None:
    assert [codes.mst_valid(codes.with_wrong_check_digit(v, shift)) for v in PUBLISHED_MSTS] == [False] * 4


def test_generated_tax_codes_are_valid_or_absent() -> None:
    bodies = [f"{n:09d}" for n in range(0, 1_000_000_000, 7_654_321)]
    made = [codes.mst(b) for b in bodies]
    assert all(codes.mst_valid(m) for m in made if m is not None)
    assert [b for b, m in zip(bodies, made) if m is None] == [b for b in bodies if codes.mst_check_digit(b) is None]


@pytest.mark.parametrize(("province", "female", "born", "serial", "expected"), [
    ("01", True, date(2003, 2, 1), 42, "001303000042"),
    ("79", False, date(1985, 2, 1), 7, "079085000007"),
    ("96", True, date(1950, 12, 31), 999_999, "096150999999"),
    ("01", False, date(2026, 1, 5), 1, "001226000001"),
])
def test_cccd_layout(province: str, female: bool, born: date, serial: int, expected: str) -> None:
    assert codes.cccd(province, female, born, serial) == expected
    assert codes.cccd_matches(expected, female, born) is True


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
    assert codes.cccd_matches(value, female, born) is False


def test_well_formed_means_a_province_of_before_2025() -> None:
    assert [codes.cccd_well_formed(v) for v in ("002090000001", "091090000001", "099090000001", "000090000001")] \
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
    assert codes.e164(phone) == expected


def test_renumbering_table_is_the_published_one() -> None:
    assert len(codes.RENUMBERED_MOBILE_PREFIXES) == 21
    assert sorted(codes.RENUMBERED_MOBILE_PREFIXES.values()) == sorted(
        ["032", "033", "034", "035", "036", "037", "038", "039", "070", "079", "077", "076", "078",
         "083", "084", "085", "081", "082", "056", "058", "059"])
    assert [codes.old_mobile_form(n) for n in ("0323456789", "0704567890", "0912345678")] \
        == ["01623456789", "01204567890", None]
