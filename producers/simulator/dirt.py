"""The kinds of dirt the simulator puts into the streams, and how a clean record is made dirty.

Three classes (the full rules are in ``RULES.md``):

* **fixable** — the hub cleans the record and accepts the event: :data:`FIXABLE`;
* **delivery** — the event is valid, but arrives twice, out of order or late: :data:`DELIVERY`;
* **rejected** — the hub must dead-letter the event with the reason code named like the kind:
  :data:`REJECTED` (made by :mod:`producers.simulator.bad_events`).

:func:`make_dirty` returns a dirty copy of a record for a fixable kind, or None when the kind does not apply
to that record (no text with diacritics, no phone, no older code for its ward…). Every dirty value is checked
to clean back to the original under :mod:`streams.rules`.
"""

from __future__ import annotations

import copy
import random
import unicodedata
from functools import lru_cache
from typing import Any

from streams.rules import identifiers
from streams.rules.admin_units import admin_tables
from streams.rules.base import (CCCD_INCONSISTENT, DATE_IMPOSSIBLE, DEATH_BEFORE_BIRTH, MST_CHECK_DIGIT,
                                REQUIRED_MISSING)
from streams.rules.legacy_text import NotEncodable, to_tcvn3_mojibake, to_vni_mojibake
from streams.rules.records import ADMIN_CODES, clean_record
from streams.rules.text import clean_text

NFD = "nfd"
TCVN3 = "tcvn3"
VNI = "vni"
WHITESPACE = "whitespace"
NAME_CASING = "name_casing"
PHONE_LEGACY = "phone_legacy"
PHONE_FORMAT = "phone_format"
LEGACY_ADMIN_CODES = "legacy_admin_codes"
DUPLICATE = "duplicate"
OUT_OF_ORDER = "out_of_order"
LATE = "late"

FIXABLE = (NFD, TCVN3, VNI, WHITESPACE, NAME_CASING, PHONE_LEGACY, PHONE_FORMAT, LEGACY_ADMIN_CODES)
DELIVERY = (DUPLICATE, OUT_OF_ORDER, LATE)
REJECTED = (REQUIRED_MISSING, CCCD_INCONSISTENT, MST_CHECK_DIGIT, DATE_IMPOSSIBLE, DEATH_BEFORE_BIRTH)
KINDS = FIXABLE + DELIVERY + REJECTED

TEXT_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "population.citizen": (("full_name",), ("place_of_origin",), ("permanent_address", "line"), ("ethnicity",)),
    "enterprise.registration": (("name",), ("short_name",), ("head_office_address", "line")),
}
"""Free-text fields in Vietnamese, as paths into the record."""

_TEXT_KINDS = ("population.citizen", "enterprise.registration")
FIXABLE_DATASETS: dict[str, tuple[str, ...]] = {
    NFD: _TEXT_KINDS, TCVN3: _TEXT_KINDS, VNI: _TEXT_KINDS, WHITESPACE: _TEXT_KINDS,
    NAME_CASING: ("population.citizen",), PHONE_LEGACY: _TEXT_KINDS, PHONE_FORMAT: _TEXT_KINDS,
    LEGACY_ADMIN_CODES: tuple(ADMIN_CODES),
}
"""The datasets whose records each fixable kind can appear in."""

_PHONE_FIELD = {"population.citizen": "phone", "enterprise.registration": "phone"}
_MOJIBAKE = {TCVN3: to_tcvn3_mojibake, VNI: to_vni_mojibake}


def _get(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _set(record: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for step in path[:-1]:
        record = record[step]
    record[path[-1]] = value


@lru_cache(maxsize=1 << 16)
def _legacy(kind: str, text: str) -> str | None:
    """``text`` as ``kind`` mojibake (pure, so memoised), or None when there is no such text."""
    try:
        return _MOJIBAKE[kind](text)
    except NotEncodable:
        return None


def _spaced(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    joints = [rng.choice((" ", "  ", " \t", "\u00a0", " \n ")) for _ in words[1:]]
    middle = words[0] + "".join(j + w for j, w in zip(joints, words[1:]))
    return rng.choice(("", " ", "  ", "\t")) + middle + rng.choice((" ", "  ", "\n", ""))


def _phone_variant(kind: str, national: str, rng: random.Random) -> str | None:
    if kind == PHONE_LEGACY:
        old = identifiers.old_mobile_form(national)
        if old is None:
            return None
        return rng.choice((old, f"{old[:4]} {old[4:7]} {old[7:]}", f"{old[:4]}.{old[4:7]}.{old[7:]}"))
    rest = national[1:]
    return rng.choice((f"+84{rest}", f"+84 {rest[:2]} {rest[2:5]} {rest[5:]}", f"(+84) {rest}", f"0084{rest}",
                       f"{national[:4]} {national[4:7]} {national[7:]}", f"{national[:4]}.{national[4:7]}.{national[7:]}"))


def _older_codes(dataset: str, record: dict[str, Any], rng: random.Random) -> bool:
    tables = admin_tables()
    changed = False
    for path, province_field, ward_field in ADMIN_CODES[dataset]:
        holder = record[path] if path else record
        if ward_field is None:
            olds = tables.province_predecessors.get(holder[province_field], ())
            if olds:
                holder[province_field] = rng.choice(olds)
                changed = True
            continue
        pairs = tables.predecessors.get((holder[province_field], holder[ward_field]), ())
        if pairs:
            holder[province_field], holder[ward_field] = rng.choice(pairs)
            changed = True
    return changed


def make_dirty(kind: str, dataset: str, record: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    """A dirty copy of the clean ``record`` for the fixable ``kind``, or None if the kind does not apply."""
    if dataset not in FIXABLE_DATASETS[kind]:
        return None
    dirty = copy.deepcopy(record)
    changed = False
    if kind in (NFD, TCVN3, VNI, WHITESPACE):
        fields = TEXT_FIELDS[dataset]
        if kind == WHITESPACE:  # one or two fields, not all
            fields = tuple(rng.sample(fields, k=min(len(fields), 1 + int(rng.random() * 2))))
        for path in fields:
            text = _get(dirty, path)
            if not isinstance(text, str):
                continue
            if kind == NFD:
                new: str | None = unicodedata.normalize("NFD", text)
            elif kind == WHITESPACE:
                new = _spaced(text, rng)
            else:
                new = _legacy(kind, text)
            if new is not None and new != text and clean_text(new) == text:  # the rules must restore it
                _set(dirty, path, new)
                changed = True
    elif kind == NAME_CASING:
        name = dirty["full_name"]
        # Whole-name or per-word upper/lower case, as registers keep them (never mixed case inside a word).
        words = [rng.choice((w.upper(), w.lower(), w)) for w in name.split(" ")]
        dirty["full_name"] = rng.choice((name.upper(), name.lower(), " ".join(words)))
        changed = dirty["full_name"] != name
    elif kind in (PHONE_LEGACY, PHONE_FORMAT):
        phone = dirty.get(_PHONE_FIELD[dataset])
        variant = _phone_variant(kind, phone, rng) if isinstance(phone, str) and phone.startswith("0") else None
        if variant is not None:
            dirty[_PHONE_FIELD[dataset]] = variant
            changed = True
    elif kind == LEGACY_ADMIN_CODES:
        changed = _older_codes(dataset, dirty, rng)
    if not changed or clean_record(dataset, dirty).record != clean_record(dataset, record).record:
        return None
    return dirty
