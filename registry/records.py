"""The messages of the schemas topic, in the layout of Confluent's ``_schemas`` topic (pure encode/decode).

Keys and values are compact JSON, as Confluent's Jackson writes them; the key's fields come in Confluent's
order so that the same logical key is always the same bytes (compaction keys on bytes):

================  ===========================================================  ====================================
keytype           key                                                          value (``null`` = tombstone)
================  ===========================================================  ====================================
SCHEMA            ``{"keytype","subject","version","magic":1}``                ``{"subject","version","id","schema",
                                                                               "deleted"}``; ``deleted`` = soft delete
CONFIG            ``{"keytype","subject"?,"magic":0}`` (no subject: global)    ``{"compatibilityLevel"}``
MODE              ``{"keytype","subject"?,"magic":0}``                         ``{"mode"}``
DELETE_SUBJECT    ``{"keytype","subject","magic":0}``                          ``{"subject","version"}``: soft-deletes
                                                                               versions up to ``version``
NOOP              ``{"keytype","magic":0}``                                    ``{"maxId"}`` (hub extension, below)
================  ===========================================================  ====================================

A permanent delete writes tombstones, which compaction eventually removes together with the schema they
deleted. So that a schema id is never handed out twice, every permanent delete first writes the NOOP record
with the highest id ever assigned. Confluent's own reader skips NOOP records whatever their value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from registry.model import SchemaVersion

SCHEMA = "SCHEMA"
CONFIG = "CONFIG"
MODE = "MODE"
DELETE_SUBJECT = "DELETE_SUBJECT"
NOOP = "NOOP"
_MAGIC = {SCHEMA: 1}


@dataclass(frozen=True)
class Key:
    keytype: str
    subject: str | None = None
    version: int | None = None

    def encode(self) -> bytes:
        fields: dict[str, Any] = {"keytype": self.keytype}
        if self.subject is not None:
            fields["subject"] = self.subject
        if self.version is not None:
            fields["version"] = self.version
        fields["magic"] = _MAGIC.get(self.keytype, 0)
        return _dumps(fields)


@dataclass(frozen=True)
class Record:
    """One message of the topic; ``value`` None is a tombstone."""

    key: Key
    value: dict[str, Any] | None

    def encode(self) -> tuple[bytes, bytes | None]:
        return self.key.encode(), None if self.value is None else _dumps(self.value)


def _dumps(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def decode(key: bytes | None, value: bytes | None) -> Record | None:
    """The record in these bytes, or None if the key is not a registry key we understand."""
    try:
        k = json.loads(key) if key else None
        v = json.loads(value) if value else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(k, dict) or not isinstance(k.get("keytype"), str):
        return None
    subject, version = k.get("subject"), k.get("version")
    if (subject is not None and not isinstance(subject, str)) or (version is not None and not isinstance(version, int)):
        return None
    return Record(Key(k["keytype"], subject, version), v if isinstance(v, dict) else None)


# -- builders -----------------------------------------------------------------------------------
def schema_record(sv: SchemaVersion) -> Record:
    value = {"subject": sv.subject, "version": sv.version, "id": sv.id, "schema": sv.schema, "deleted": sv.deleted}
    return Record(Key(SCHEMA, sv.subject, sv.version), value)


def schema_tombstone(subject: str, version: int) -> Record:
    return Record(Key(SCHEMA, subject, version), None)


def config_record(subject: str | None, level: str | None) -> Record:
    return Record(Key(CONFIG, subject), None if level is None else {"compatibilityLevel": level})


def mode_record(subject: str | None, mode: str | None) -> Record:
    return Record(Key(MODE, subject), None if mode is None else {"mode": mode})


def delete_subject_record(subject: str, up_to_version: int | None) -> Record:
    value = None if up_to_version is None else {"subject": subject, "version": up_to_version}
    return Record(Key(DELETE_SUBJECT, subject), value)


def id_watermark_record(max_id: int) -> Record:
    return Record(Key(NOOP), {"maxId": max_id})
