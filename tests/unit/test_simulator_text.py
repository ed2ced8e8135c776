from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest

from producers.simulator.legacy_text import (TCVN3_DECODE, VNI_ENCODE, from_tcvn3, from_vni, is_syllable, repair,
                                             to_tcvn3_mojibake, to_vni_mojibake)
from producers.simulator.pools import build_pools


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
