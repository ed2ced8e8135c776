"""Vietnamese text in the legacy 8-bit encodings TCVN3 and VNI, as it reaches the hub, and its repair (pure).

Before Unicode, Vietnamese was stored as bytes meant for special fonts: **TCVN3** (TCVN 5712:1993, one
byte per letter) and **VNI** (VNI-Windows: an ASCII vowel followed by a byte for its marks). A system that
reads those bytes as Windows-1252 sends *mojibake*: ``Nguyễn`` arrives as ``NguyÔn`` (TCVN3) or
``Nguyeãn`` (VNI). Windows-1252 is taken as the WHATWG Encoding Standard defines it: the five bytes the
code page leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become U+0081 … U+009D, so every byte has a char.

Sources of the tables:

* TCVN3: glibc's iconv charset ``TCVN5712-1`` (the full TCVN 5712 table: lowercase and the uppercase
  letters it places in 0x01-0x17 and 0x80-0x9F, and combining tone marks at 0xB0-0xB4), byte by byte;
  ``tests/unit/test_rules_text.py`` compares :data:`TCVN3_DECODE` with iconv.
* VNI: built from its rules below and checked against the VNI table of xvnkb (``vni.h``, Dao Hai Lam, 2002)
  and published VNI samples (``Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam``).

:func:`repair` is the cleaning rule the hub applies to every string (see ``RULES.md``): it only touches
text made wholly of Windows-1252 characters with at least one non-ASCII character, decodes it as TCVN3 and
as VNI, and keeps whichever of the three readings has the most well-formed Vietnamese syllables
(:func:`is_syllable`); the text as received wins ties, and a TCVN3/VNI tie leaves it unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Bytes 0x80-0xFF of TCVN5712-1, 16 per row.
_TCVN3_HIGH = (
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨ"
    "ÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"
    "\xa0ĂÂÊÔƠƯĐăâêôơưđẰ"
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"
    "éẹềểễếệìỉỄẾỒĩíịò"
    "Ổỏõóọồổỗốộờởỡớợù"
    "ỖủũúụừửữứựỳỷỹýỵỐ"
)
_TCVN3_LOW = {0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ",
              0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ"}

TCVN3_DECODE: tuple[str, ...] = tuple(
    _TCVN3_LOW.get(b, chr(b)) if b < 0x80 else _TCVN3_HIGH[b - 0x80] for b in range(256))
"""Byte → Unicode character of TCVN 5712:1993 (glibc ``TCVN5712-1``)."""

_TCVN3_ENCODE = {ch: b for b, ch in enumerate(TCVN3_DECODE) if b >= 0x80 or b in _TCVN3_LOW}


def _windows_1252() -> tuple[str, ...]:
    chars = []
    for b in range(256):
        try:
            chars.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(b))  # WHATWG: the undefined bytes map to the C1 control of the same number
    return tuple(chars)


W1252_DECODE: tuple[str, ...] = _windows_1252()
W1252_ENCODE: dict[str, int] = {ch: b for b, ch in enumerate(W1252_DECODE)}

# --- VNI -------------------------------------------------------------------------------------------
# A letter is an ASCII base followed by one mark byte; ơ, ư and the i/y forms with tones are whole bytes.
# Marks, lowercase bytes (uppercase = byte - 0x20), by tone: none, acute, grave, hook, tilde, dot below.
_TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_VNI_TONE = (None, 0xF9, 0xF8, 0xFB, 0xF5, 0xEF)
_VNI_CIRCUMFLEX = (0xE2, 0xE1, 0xE0, 0xE5, 0xE3, 0xE4)  # â ê ô, bare then with each tone
_VNI_BREVE = (0xEA, 0xE9, 0xE8, 0xFA, 0xFC, 0xEB)  # ă
_VNI_I = ("i", 0xED, 0xEC, 0xE6, 0xF3, 0xF2)  # i í ì ỉ ĩ ị: whole bytes
_VNI_HORN_O, _VNI_HORN_U, _VNI_DOT_Y, _VNI_D_STROKE = 0xF4, 0xF6, 0xEE, 0xF1


def _vni_table() -> dict[str, str]:
    """Unicode letter → its VNI bytes read as Windows-1252, for every Vietnamese letter, both cases."""
    table: dict[str, str] = {}

    def put(letter: str, lower: str) -> None:
        table[unicodedata.normalize("NFC", letter)] = lower
        upper = "".join(W1252_DECODE[W1252_ENCODE[c] - 0x20] if ord(c) >= 0xC0 else c.upper() for c in lower)
        table[unicodedata.normalize("NFC", letter).upper()] = upper

    for t, tone in enumerate(_TONES):
        for base in "aeouy":
            mark = _VNI_TONE[t]
            if base == "y" and t == 5:
                put("y" + tone, chr(_VNI_DOT_Y))
                continue
            put(base + tone, base + ("" if mark is None else chr(mark)))
        for base in "aeo":
            put(base + "\u0302" + tone, base + chr(_VNI_CIRCUMFLEX[t]))
        put("a\u0306" + tone, "a" + chr(_VNI_BREVE[t]))
        for horn, byte in (("o\u031b", _VNI_HORN_O), ("u\u031b", _VNI_HORN_U)):
            mark = _VNI_TONE[t]
            put(horn + tone, chr(byte) + ("" if mark is None else chr(mark)))
        i_form = _VNI_I[t]
        put("i" + tone, i_form if isinstance(i_form, str) else chr(i_form))
    put("đ", chr(_VNI_D_STROKE))
    for ascii_letter in "aeiouy":  # bare ASCII vowels are themselves
        table.pop(ascii_letter, None)
        table.pop(ascii_letter.upper(), None)
    return table


VNI_ENCODE: dict[str, str] = _vni_table()
_VNI_DECODE: dict[str, str] = {seq: letter for letter, seq in VNI_ENCODE.items()}


class NotEncodable(ValueError):
    """The text has a character the legacy encoding cannot represent."""


def to_tcvn3_mojibake(text: str) -> str:
    """``text`` (NFC) encoded as TCVN3 and read back as Windows-1252; raises :class:`NotEncodable`."""
    out = []
    for ch in text:
        if ord(ch) < 0x80:
            out.append(ch)
        elif ch in _TCVN3_ENCODE:
            out.append(W1252_DECODE[_TCVN3_ENCODE[ch]])
        else:
            raise NotEncodable(f"TCVN3 has no byte for U+{ord(ch):04X}")
    return "".join(out)


def to_vni_mojibake(text: str) -> str:
    """``text`` (NFC) encoded as VNI and read back as Windows-1252; raises :class:`NotEncodable`."""
    out = []
    for ch in text:
        if ord(ch) < 0x80:
            out.append(ch)
        elif ch in VNI_ENCODE:
            out.append(VNI_ENCODE[ch])
        else:
            raise NotEncodable(f"VNI has no bytes for U+{ord(ch):04X}")
    return "".join(out)


def from_tcvn3(mojibake: str) -> str:
    """Windows-1252 text re-read as TCVN3 (NFC); every byte decodes."""
    return unicodedata.normalize("NFC", "".join(TCVN3_DECODE[W1252_ENCODE[c]] for c in mojibake))


def from_vni(mojibake: str) -> str | None:
    """Windows-1252 text re-read as VNI, or None if some non-ASCII byte is not part of a VNI letter."""
    out, i = [], 0
    while i < len(mojibake):
        pair = mojibake[i:i + 2]
        if len(pair) == 2 and pair in _VNI_DECODE:
            out.append(_VNI_DECODE[pair])
            i += 2
        elif mojibake[i] in _VNI_DECODE:
            out.append(_VNI_DECODE[mojibake[i]])
            i += 1
        elif ord(mojibake[i]) < 0x80:
            out.append(mojibake[i])
            i += 1
        else:
            return None
    return "".join(out)


# --- Vietnamese syllables --------------------------------------------------------------------------
_ONSETS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "th", "tr", "qu",
           "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")
_CODAS = ("ch", "ng", "nh", "c", "m", "n", "p", "t", "")
# Nucleus (vowels without tone) → (coda allowed: "no" / "yes" / "must", positions the tone may take).
_NUCLEI: dict[str, tuple[str, frozenset[int]]] = {}
for _group, _rule in (
        ("a ă â e ê i o ô ơ u ư y", ("yes", frozenset({0}))),
        ("ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu ia ua ưa", ("no", frozenset({0}))),
        ("iê yê uô ươ oă uâ oo", ("must", frozenset({1}))),
        ("oa oe uê uơ uy", ("yes", frozenset({0, 1}))),  # "hòa" and "hoà" are both in use
        ("iêu yêu oai oay oao oeo uây uôi ươi ươu uyu", ("no", frozenset({1}))),
        ("uya", ("no", frozenset({1, 2}))),
        ("uyê", ("must", frozenset({2})))):
    for _nucleus in _group.split():
        _NUCLEI[_nucleus] = _rule
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_FRONT = ("e", "ê", "i", "y")


def _strip_tone(word: str) -> tuple[str, int | None, int]:
    """(the word without tone marks, index of the toned letter or None, number of tone marks)."""
    letters, toned, marks = [], None, 0
    for i, ch in enumerate(word):
        decomposed = unicodedata.normalize("NFD", ch)
        kept = "".join(c for c in decomposed if c not in _TONE_MARKS)
        if kept != decomposed:
            toned, marks = i, marks + len(decomposed) - len(kept)
        letters.append(unicodedata.normalize("NFC", kept))
    return "".join(letters), toned, marks


def _fits(onset: str, nucleus: str, coda: str, tone_at: int | None) -> bool:
    rule = _NUCLEI.get(nucleus)
    if rule is None or (rule[0] == "no" and coda) or (rule[0] == "must" and not coda):
        return False
    if onset in ("c", "g", "ng") and nucleus.startswith(_FRONT):
        return False
    if onset in ("k", "gh", "ngh") and not nucleus.startswith(_FRONT):
        return False
    positions = rule[1] if not (coda and len(rule[1]) > 1) else frozenset({max(rule[1])})
    return tone_at is None or tone_at in positions


@cache
def is_syllable(word: str) -> bool:
    """Whether ``word`` is a well-formed Vietnamese syllable: lower, Capitalised or UPPER case; at most one
    tone mark, on the vowel that carries it; an onset, nucleus and coda that Vietnamese spelling allows (c/g/ng
    not before e, ê, i, y and k/gh/ngh only before them; no coda after a closing glide; iê, uô, ươ… only
    with one)."""
    if not (word.islower() or word.isupper() or (word[:1].isupper() and word[1:].islower())):
        return False
    base, toned, marks = _strip_tone(word.lower())
    if marks > 1:
        return False
    for onset in _ONSETS:
        if not base.startswith(onset):
            continue
        start = len(onset)
        if onset == "gi" and (len(base) == 2 or base[2] in "ncmpt"):
            start = 1  # gì, gìn: the i is the vowel
        rest = base[start:]
        for coda in _CODAS:
            if not rest.endswith(coda):
                continue
            nucleus = rest[:len(rest) - len(coda)]
            if _fits(onset, nucleus, coda, None if toned is None else toned - start):
                return True
    return False


_WORDS = re.compile(r"[^\s,./\-'()0-9]+")


def syllable_score(text: str) -> int:
    """How many of the words of ``text`` are well-formed Vietnamese syllables."""
    return sum(1 for w in _WORDS.findall(text) if is_syllable(w))


def repair(text: str) -> str:
    """The legacy-encoding rule: ``text`` decoded from TCVN3 or VNI mojibake when that reading is the more
    Vietnamese one (see the module docstring); otherwise ``text`` unchanged."""
    if text.isascii() or any(c not in W1252_ENCODE for c in text):
        return text
    best, best_score, tie = text, syllable_score(text), False
    for candidate in (from_tcvn3(text), from_vni(text)):
        if candidate is None or candidate == text:
            continue
        score = syllable_score(candidate)
        if score > best_score:
            best, best_score, tie = candidate, score, False
        elif score == best_score and best is not text:
            tie = True
    return text if tie else best
