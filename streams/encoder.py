"""Records of one schema in the Confluent wire format, for the processors' output (pure).

The processors encode what they built themselves — cleaned envelopes, golden changes, quality windows — so
nearly every record is already exactly of its schema's types. :class:`producers.encoding.FastWriter` (the
SDK's compiled one-pass writer) checks and writes those about 9x faster than fastavro, which validates a
whole record again to pick each union branch (a golden change: 166 → 18 µs). Whatever the fast pass
declines — an unusual but valid value, or an invalid one — goes through fastavro as before, so a value that
does not fit still raises there and the bytes are fastavro's either way.
"""

from __future__ import annotations

import copy
from typing import Any

import fastavro

from hub import wire
from producers.encoding import FastWriter


class FramedEncoder:
    """Encodes records of ``schema``; raises fastavro's errors for a record that does not fit it."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._fast = FastWriter(schema)
        self._parsed = fastavro.parse_schema(copy.deepcopy(schema))
        self._headers: dict[int, bytes] = {}

    def encode(self, schema_id: int, record: dict[str, Any]) -> bytes:
        header = self._headers.get(schema_id)
        if header is None:
            header = self._headers[schema_id] = wire.frame(schema_id, b"")
        framed = self._fast.write(record, header)
        return framed if framed is not None else wire.encode(schema_id, self._parsed, record)
