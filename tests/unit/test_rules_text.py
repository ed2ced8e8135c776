from __future__ import annotations

import shutil
import subprocess
import unicodedata
from datetime import date

import pytest

from streams.rules.legacy_text import (TCVN3_DECODE, VNI_ENCODE, from_tcvn3, from_vni, is_syllable, repair,
                                             to_tcvn3_mojibake, to_vni_mojibake)
from producers.simulator.pools import build_pools
from streams.rules.text import clean_strings, clean_text, name_case


@pytest.mark.skipif(shutil.which("iconv") is None, reason="needs glibc's iconv to compare against")
def test_tcvn3_table_is_glibcs() -> None:
    decoded = []
    for byte in range(256):
        run = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=bytes([byte]), capture_output=True,
                             check=True)
        decoded.append(run.stdout.decode())
    assert list(TCVN3_DECODE) == decoded


def test_vni_covers_every_vietnamese_letter_in_both_cases() -> None:
    letters = {unicodedata.normalize("NFC", base + mark + tone)
               for base, marks in (("a", ("", "\u0302", "\u0306")), ("e", ("", "\u0302")), ("i", ("",)),
                                   ("o", ("", "\u0302", "\u031b")), ("u", ("", "\u031b")), ("y", ("",)))
               for mark in marks for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")}
    letters = (letters - set("aeiouy")) | {"đ"}
    assert set(VNI_ENCODE) == letters | {c.upper() for c in letters}
    assert len(VNI_ENCODE) == 134
    assert [from_vni(to_vni_mojibake(c)) for c in sorted(VNI_ENCODE)] == sorted(VNI_ENCODE)


@pytest.mark.parametrize(("mojibake", "text"), [
    # Published samples of each encoding read as Windows-1252.
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
    ("ñöôïc nhöõng Chæ thò Myõ", "được những Chỉ thị Mỹ"),
    ("VIEÄT NAM", "VIỆT NAM"),
    ("Ñaø Naüng", "Đà Nẵng"),
    ("céng hßa x· héi chñ nghÜa viÖt nam", "cộng hòa xã hội chủ nghĩa việt nam"),
    ("§éc lËp - Tù do - H¹nh phóc", "Độc lập - Tự do - Hạnh phúc"),
    ("B¸o c¸o tµi chÝnh quý II n¨m 2008", "Báo cáo tài chính quý II năm 2008"),
    ("NguyÔn V¨n §øc", "Nguyễn Văn Đức"),
    ("Nguyeãn Vaên Ñöùc", "Nguyễn Văn Đức"),
])
def test_repair_decodes_legacy_mojibake(mojibake: str, text: str) -> None:
    assert repair(mojibake) == text


@pytest.mark.parametrize("text", [
    "Hòa", "Tây Ninh", "Hoà Bình", "Nam Dinh", "Số 24 Khóm 48 Phố Thống Nhất", "Nguyễn Văn Đức", "LÊ HOÀNG MAI",
    "lê hoàng mai", "Señor Muñoz", "H'Mông", "0912345678", "",
])
def test_repair_leaves_unicode_and_foreign_text_alone(text: str) -> None:
    assert repair(text) == text


@pytest.mark.parametrize(("text", "tcvn3", "vni"), [
    ("Nguyễn Văn Đức", "NguyÔn V¨n §øc", "Nguyeãn Vaên Ñöùc"),
    ("Trần Thị Ánh", "TrÇn ThÞ ƒnh", "Traàn Thò AÙnh"),
    ("Quảng Ngãi", "Qu¶ng Ng·i", "Quaûng Ngaõi"),
])
def test_mojibake_of_known_text(text: str, tcvn3: str, vni: str) -> None:
    assert (to_tcvn3_mojibake(text), to_vni_mojibake(text)) == (tcvn3, vni)
    assert (from_tcvn3(tcvn3), from_vni(vni)) == (text, text)


@pytest.mark.parametrize(("word", "expected"), [
    ("Nguyễn", True), ("nghiêng", True), ("gì", True), ("quốc", True), ("kẻ", True), ("Hoà", True),
    ("xoong", True), ("NGƯỜI", True), ("khuya", True),
    ("ce", False), ("ngi", False), ("ka", False), ("NguyÔn", False), ("lÊ", False), ("V¨n", False),
    ("hoàng", True), ("người", True), ("tiên", True), ("khuyến", True), ("khuỷu", True), ("giữa", True),
    ("Hoắàng", False), ("Coäng", False), ("hoứa", False), ("Phaùm", False), ("Leõ", False), ("tiê", False),
    ("hóang", False), ("mưan", False),
])
def test_syllables(word: str, expected: bool) -> None:
    assert is_syllable(word) is expected


def test_most_pooled_text_can_be_sent_in_either_legacy_encoding() -> None:
    pools = build_pools(1)
    texts = [t for t in pools.male_names + pools.female_names + pools.streets if not t.isascii()]
    restored = {kind: sum(repair(encode(t)) == t for t in texts) / len(texts)
                for kind, encode in (("tcvn3", to_tcvn3_mojibake), ("vni", to_vni_mojibake))}
    assert {kind: share > 0.9 for kind, share in restored.items()} == {"tcvn3": True, "vni": True}


# Names covering the six tones (ngang, huyền, sắc, hỏi, ngã, nặng) and the letters ă â ê ô ơ ư đ.
NAMES = ["Nguyễn Thị Hồng Nhung", "Lê Thành Đạt", "Phạm Quỳnh Anh", "Trương Mỹ Lan", "Đỗ Thủy Tiên",
         "Hoàng Văn Thụ", "Bùi Ngọc Ẩn", "Vũ Thị Ơn", "Tăng Thanh Hà", "Lưu Bích Hường", "Ông Ích Khiêm",
         "Dương Hồng Sơn", "Quách Tuấn Du", "Giáp Văn Cương", "Ứng Hoàng Phúc", "Lâm Tâm Như"]


def test_the_names_cover_every_tone_and_vowel_letter() -> None:
    marks = {c for name in NAMES for c in unicodedata.normalize("NFD", name.lower()) if unicodedata.combining(c)}
    letters = {c for name in NAMES for c in name.lower()}
    assert marks == {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"}
    assert {"ă", "â", "ê", "ô", "ơ", "ư", "đ"} <= letters


@pytest.mark.parametrize("name", NAMES)
def test_clean_names_are_left_alone(name: str) -> None:
    assert (clean_text(name), name_case(clean_text(name)), repair(name)) == (name, name, name)


@pytest.mark.parametrize("name", NAMES)
def test_every_fixable_form_of_a_name_cleans_back(name: str) -> None:
    forms = {"nfd": unicodedata.normalize("NFD", name), "spaces": "  " + name.replace(" ", " \t\u00a0 ") + "\n",
             "upper": name.upper(), "lower": name.lower(),
             "tcvn3": to_tcvn3_mojibake(name), "vni": to_vni_mojibake(name)}
    assert {kind: name_case(clean_text(form)) for kind, form in forms.items()} == dict.fromkeys(forms, name)


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Nguyễn   Văn  An ", "Nguyễn Văn An"),
    (unicodedata.normalize("NFD", "Trần Thị Hằng"), "Trần Thị Hằng"),
    ("Hà\tNội\n", "Hà Nội"),
    ("Số\u00a01  Tràng Tiền", "Số 1 Tràng Tiền"),
    ("TØnh Nam §Þnh", "Tỉnh Nam Định"),                  # TCVN3 read as Windows-1252
    ("Soá 1 Traøng Tieàn", "Số 1 Tràng Tiền"),             # VNI read as Windows-1252
    ("Señor Muñoz", "Señor Muñoz"),                        # Latin-1 text that is not Vietnamese stays
    ("", ""),
])
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected
    assert unicodedata.is_normalized("NFC", clean_text(raw))


@pytest.mark.parametrize(("raw", "expected"), [
    ("NGUYỄN VĂN AN", "Nguyễn Văn An"), ("nguyễn văn an", "Nguyễn Văn An"), ("ĐỖ thị ỨNG", "Đỗ Thị Ứng"),
    ("H'Hen Niê", "H'hen Niê"),  # the rule is per space-separated word: an apostrophe does not start a word
])
def test_name_case(raw: str, expected: str) -> None:
    assert name_case(raw) == expected


def test_clean_strings_walks_records_lists_and_maps() -> None:
    value = {"name": " A  B ", "n": 3, "d": date(2000, 1, 2), "tags": [" x "], "m": {"k": " y "}, "z": None}
    assert clean_strings(value) == {"name": "A B", "n": 3, "d": date(2000, 1, 2), "tags": ["x"], "m": {"k": "y"},
                                    "z": None}
