"""The hub's cleaning and validation rules, as pure functions over plain values, one module per concern.

==========================  ===================================================================================
module                      concern
==========================  ===================================================================================
:mod:`.base`                reason codes, :class:`Rejection` (reason, field path, detail), :class:`Cleaned`
:mod:`.text`                Unicode NFC, whitespace, personal-name casing
:mod:`.legacy_text`         TCVN3 and VNI mojibake: detection and repair
:mod:`.identifiers`         CCCD, tax code (MST) check digit and branch suffix, social-insurance code, E.164 phones
:mod:`.dates`               no future dates, dates in order, no death before birth
:mod:`.enumerations`        enum values among the catalogue's symbols
:mod:`.admin_units`         July-2025 administrative codes: validation, mapping of pre-2025 codes
:mod:`.records`             which fields of each dataset each rule applies to; :func:`clean_record`, :func:`check`
==========================  ===================================================================================

The stream processors (:mod:`streams.processor`) apply them to every event; the simulator's manifest
(``producers/simulator/manifest.py``) applies the same functions to compute the ground truth.
"""

from streams.rules.base import Cleaned, Rejection
from streams.rules.records import check, clean_record, reject_reason

__all__ = ["Cleaned", "Rejection", "check", "clean_record", "reject_reason"]
