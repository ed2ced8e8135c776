"""What the rules return: a cleaned record, or a rejection with a stable reason code and a field path.

Reason codes are part of the hub's contract: they are the ``reason`` header of dead letters, the
``reason`` column of the ``dead_letters`` table and the simulator manifest's ``rejected`` values. A
:class:`Rejection` never carries a value of the record (records hold personal data): ``field`` is a
path such as ``permanent_address.line`` and ``detail`` is written from the rule, not from the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Record rules (streams.rules.records, in the order they are checked).
REQUIRED_MISSING = "required_missing"
ENUM_INVALID = "enum_invalid"
CCCD_INCONSISTENT = "cccd_inconsistent"
MST_CHECK_DIGIT = "mst_check_digit"
SI_CODE_INVALID = "si_code_invalid"
ADMIN_CODE_UNKNOWN = "admin_code_unknown"
DATE_IMPOSSIBLE = "date_impossible"
DEATH_BEFORE_BIRTH = "death_before_birth"
RECORD_REASONS = (REQUIRED_MISSING, ENUM_INVALID, CCCD_INCONSISTENT, MST_CHECK_DIGIT, SI_CODE_INVALID,
                  ADMIN_CODE_UNKNOWN, DATE_IMPOSSIBLE, DEATH_BEFORE_BIRTH)
"""Every reason :func:`streams.rules.records.check` returns, in the order the checks run."""

# Envelope rules (streams.processor): what arrives is not a usable change event of the dataset.
KEY_MISMATCH = "key_mismatch"
OP_MISMATCH = "op_mismatch"
SCHEMA_MISMATCH = "schema_mismatch"
PROCESSING_FAILED = "processing_failed"
ENVELOPE_REASONS = (KEY_MISMATCH, OP_MISMATCH, SCHEMA_MISMATCH, PROCESSING_FAILED)
"""Besides these, undecodable bytes are rejected with :class:`hub.errors.WireFormatError`'s codes
(``empty``, ``short_frame``, ``bad_magic``, ``unknown_schema``, ``avro_decode``)."""


@dataclass(frozen=True)
class Rejection:
    """Why an event is set aside: a stable ``reason`` code, the ``field`` path it concerns ("" for the
    whole message) and a ``detail`` that names the rule, never the value."""

    reason: str
    field: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Cleaned:
    """A cleaned record, and the pre-2025 codes it arrived with: address path (``.`` for the record
    itself) → field → original code."""

    record: dict[str, Any]
    original_admin_codes: dict[str, dict[str, str | None]] = field(default_factory=dict)
