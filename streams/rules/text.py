"""Free text: legacy encodings repaired, Unicode NFC, whitespace collapsed, personal names in name case (pure).

:func:`clean_text` is applied to every string of every record (``RULES.md`` of the simulator, step 1):

1. text with a non-ASCII character that reads as TCVN3 or VNI mojibake is decoded
   (:func:`streams.rules.legacy_text.repair`);
2. Unicode NFC (sources send decomposed ``e`` + U+0302 + U+0301 as often as the precomposed ``ế``);
3. every run of whitespace — spaces, tabs, newlines, U+00A0 — becomes one space, and the ends are trimmed.

:func:`name_case` is for personal names only (``Nguyễn Văn An``): organisations' names keep their case.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from streams.rules.legacy_text import repair


def clean_text(text: str) -> str:
    """Legacy encoding repaired, NFC, whitespace runs collapsed to one space, trimmed."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", repair(text))
    return " ".join(text.split())  # str.split() splits at runs of exactly the characters regex \s matches


def name_case(name: str) -> str:
    """Each space-separated word with its first letter upper case and the rest lower case."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in name.split(" "))


def clean_strings(value: Any) -> Any:
    """``value`` with :func:`clean_text` applied to every string inside it (records, arrays, maps);
    other values are returned as they are. Builds new containers; ``value`` is not changed."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_strings(v) for v in value]
    return value
