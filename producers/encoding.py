"""One-pass Avro encoding of values that are already valid and normal — the SDK's fast path (pure).

Why this exists: emitting an event used to walk the record twice — :mod:`producers.validation` checks and
normalises it, then ``fastavro.schemaless_writer`` walks it again, validating every union branch it tries
(the ``after`` union re-validates the whole record). On a 2-core machine that was ~15 µs to validate plus
~26 µs to encode a citizen, when bare ``Producer.produce`` of the same bytes costs ~9 µs.

:class:`FastWriter` compiles a schema once into closures that check each value *and* write its Avro binary
in the same pass. It accepts only values already in the form the validator would return unchanged — the
exact Python types (``str``, ``int`` in range, ``bool``, ``float``, ``bytes``, ``dict``, ``list``,
``datetime.date``, aware ``datetime``, ``Decimal`` at the schema's scale), enum symbols, no unknown
fields — and returns ``None`` for anything else (ISO strings, epoch numbers, ``Mapping`` subclasses,
missing fields without a default, unions with several non-null branches…). The caller then takes the
validating path (:func:`producers.validation.check` + fastavro), so bad records still get every field error
by path, rule and type, and odd-but-valid values are normalised exactly as before. The bytes equal
fastavro's for the normalised value (``tests/unit/test_sdk_encoding.py`` compares them on every dataset).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from producers.logical import LOGICAL, json_default
from producers.validation import PRIMITIVES

Write = Callable[[Any, bytearray], None]
"""Checks one value and appends its Avro binary to the buffer; raises :class:`Bail` if it is not normal."""


class Bail(Exception):
    """A value the fast path does not take as it is (internal: :meth:`FastWriter.write` returns None)."""


_ABSENT = object()
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_UTC = timezone.utc
_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_DOUBLE = struct.Struct("<d").pack
_FLOAT = struct.Struct("<f").pack


def _varint(n: int) -> bytes:
    """Avro's zig-zag variable-length encoding of a long (unrolled for up to three bytes: days, lengths)."""
    z = (n << 1) ^ (n >> 63)
    if z < 0x4000:
        return bytes((z,)) if z < 0x80 else bytes(((z & 0x7F) | 0x80, z >> 7))
    if z < 0x200000:
        return bytes(((z & 0x7F) | 0x80, ((z >> 7) & 0x7F) | 0x80, z >> 14))
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


SMALL = _SMALL = tuple(_varint(n) for n in range(2048))  # lengths and small numbers, the common case


_DAYS: dict[date, bytes] = {}  # dates seen -> their Avro (days since 1970): three bytes built once, not per event


def _day(value: date) -> bytes:
    data = _varint(value.toordinal() - _EPOCH_DAY)
    if len(_DAYS) < 100_000:  # about three centuries of distinct days; bounded whatever the data
        _DAYS[value] = data
    return data


def long_bytes(n: int) -> bytes:
    return _SMALL[n] if 0 <= n < 2048 else _varint(n)


def _bail(_value: Any, _out: bytearray) -> None:
    raise Bail


class FastWriter:
    """A schema compiled into one checking-and-writing pass. Build once per schema (it is immutable)."""

    def __init__(self, schema: Any) -> None:
        self._named: dict[str, Write] = {}
        self._unions: dict[Write, tuple[bytes | None, bytes, Write]] = {}  # writer -> (null tag, tag, inner)
        self._root = self._compile(schema, None)

    @property
    def writer(self) -> Write:
        """The compiled writer itself, to write into a caller's buffer; it raises :class:`Bail`,
        ``KeyError``, ``UnicodeEncodeError``, ``OverflowError`` or ``struct.error`` where :meth:`write`
        declines."""
        return self._root

    def write(self, value: Any, prefix: bytes = b"") -> bytes | None:
        """``prefix`` followed by the Avro binary of ``value``, or None if the value is not already valid
        and normal for the schema."""
        out = bytearray(prefix)
        try:
            self._root(value, out)
        except (Bail, KeyError, UnicodeEncodeError, OverflowError, struct.error):  # KeyError: a field absent
            return None
        return bytes(out)

    # -- compiling ------------------------------------------------------------------------------
    def _compile(self, schema: Any, namespace: str | None) -> Write:
        if isinstance(schema, list):
            return self._union(schema, namespace)
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return _primitive(schema)
            full = schema if "." in schema or not namespace else f"{namespace}.{schema}"
            named = self._named
            return lambda value, out: named.get(full, _bail)(value, out)  # bound late: may be recursive
        kind, logical = schema["type"], schema.get("logicalType")
        if logical is not None and (special := _logical(schema)) is not None:
            return special
        if kind in ("record", "error", "enum", "fixed"):
            name = schema["name"]
            ns = schema.get("namespace", namespace)
            full = name if "." in name or not ns else f"{ns}.{name}"
            if kind == "enum":
                writer = _enum(schema)
            elif kind == "fixed":
                writer = _fixed(int(schema["size"]))
            else:
                writer = self._record(schema, full.rpartition(".")[0] or None, full)
            self._named[full] = writer
            return writer
        if kind == "array":
            return _array(self._compile(schema["items"], namespace))
        if kind == "map":
            return _map(self._compile(schema["values"], namespace))
        return self._compile(kind, namespace)

    def _union(self, branches: list[Any], namespace: str | None) -> Write:
        others = [i for i, b in enumerate(branches) if b != "null"]
        null_tag = long_bytes(branches.index("null")) if "null" in branches else None
        # With several non-null branches, which one applies is the validator's call: only null is taken.
        tag, inner = (long_bytes(others[0]), self._compile(branches[others[0]], namespace)) if len(others) == 1 \
            else (b"", _bail)

        def write_union(value: Any, out: bytearray) -> None:
            if value is None:
                if null_tag is None:
                    raise Bail
                out += null_tag
            else:
                out += tag
                inner(value, out)
        self._unions[write_union] = (null_tag, tag, inner)
        return write_union

    def _record(self, schema: dict[str, Any], namespace: str | None, full: str) -> Write:
        # A field refers back to this record through the late-bound lookup of _compile, so the fields can
        # be compiled before the record's own writer exists.
        fields, defaults = [], {}
        for f in schema["fields"]:
            fields.append((f["name"], f["type"], self._compile(f["type"], namespace)))
            if "default" in f:
                branch = f["type"][0] if isinstance(f["type"], list) else f["type"]
                try:
                    defaults[f["name"]] = json_default(branch, f["default"])
                except (AttributeError, TypeError, ValueError):
                    pass  # a default this pass cannot read: the validating path fills that field in
        return _record_writer(full, fields, defaults, self._unions)


# -- records ---------------------------------------------------------------------------------------
def _record_writer(full: str, fields: list[tuple[str, Any, Write]], defaults: dict[str, Any],
                   unions: dict[Write, tuple[bytes | None, bytes, Write]]) -> Write:
    """A record's writer as one generated function: per field, in order, a straight-line check and write.

    Strings, ints/longs, enums, dates, instants and nullable unions — most fields — are written inline;
    other types call their compiled writer. Generated rather than looped over: the per-field loop and calls
    were a third of the fast path. A record missing fields gets the schema's defaults merged in first (a
    field still absent raises ``KeyError``: :meth:`FastWriter.write` declines the value); its writers check
    the defaults like any value, so a default this pass does not take sends the record to the validator."""
    env: dict[str, Any] = {"Bail": Bail, "DEFAULTS": defaults, "SMALL": _SMALL, "varint": _varint, "date": date,
                           "DAYS": _DAYS, "day": _day,
                           "datetime": datetime, "UTC": _UTC, "EPOCH": _EPOCH, "EPOCH_DAY": _EPOCH_DAY}
    lines = ["def write_record(value, out):", " if type(value) is not dict: raise Bail",
             f" if len(value) != {len(fields)}:"]
    if defaults:
        lines += ["  value = {**DEFAULTS, **value}",
                  f"  if len(value) != {len(fields)}: raise Bail  # unknown fields: the validator names them"]
    else:
        lines += ["  raise Bail  # absent or unknown fields: the validator names them"]
    for i, (name, schema, write) in enumerate(fields):
        env[f"W{i}"] = write
        lines += [f" v = value[{name!r}]", *[" " + line for line in _inline(schema, i, env, unions)]]
    exec(compile("\n".join(lines), f"<avro writer {full}>", "exec"), env)  # noqa: S102 - our own source
    return env["write_record"]  # type: ignore[no-any-return]


_WRITE_STRING = ["d = v.encode()", "n = len(d)", "out += SMALL[n] if n < 2048 else varint(n)", "out += d"]


def _inline(schema: Any, i: int, env: dict[str, Any], unions: dict[Write, tuple[bytes | None, bytes, Write]],
            ) -> list[str]:
    """Source lines writing field ``i`` (value ``v``): inline for common types, else a call of ``W<i>``."""
    if isinstance(schema, dict) and isinstance(schema["type"], str) and schema["type"] in ("string", "int", "long") \
            and schema.get("logicalType") not in LOGICAL:  # no logical type the validator knows
        schema = schema["type"]
    if schema == "string":
        return ["if type(v) is not str: raise Bail", *_WRITE_STRING]
    if isinstance(schema, str) and schema in _RANGE:
        env[f"LO{i}"], env[f"HI{i}"] = _RANGE[schema]
        return [f"if type(v) is not int or not LO{i} <= v <= HI{i}: raise Bail",
                "out += SMALL[v] if 0 <= v < 2048 else varint(v)"]
    if isinstance(schema, dict) and schema.get("type") == "enum" and "logicalType" not in schema:
        env[f"E{i}"] = {symbol: long_bytes(n) for n, symbol in enumerate(schema["symbols"])}
        return [f"t = E{i}.get(v) if type(v) is str else None", "if t is None: raise Bail", "out += t"]
    if isinstance(schema, dict) and schema.get("logicalType") in _INLINE_LOGICAL and \
            schema["type"] == _INLINE_LOGICAL[schema["logicalType"]]:
        if schema["logicalType"] == "date":  # a datetime is a date too, and one the validator refuses
            return ["if type(v) is not date: raise Bail", "d = DAYS.get(v)", "out += day(v) if d is None else d"]
        env[f"M{i}"] = [(0, _varint(0))]  # the previous instant's bytes: events of one millisecond share them
        return ["if type(v) is not datetime or (v.tzinfo is not UTC and v.utcoffset() is None): raise Bail",
                "dl = v - EPOCH", "n = (dl.days * 86400 + dl.seconds) * 1000 + dl.microseconds // 1000",
                f"seen, d = M{i}[0]", "if seen != n:", " d = varint(n)", f" M{i}[0] = (n, d)", "out += d"]
    union = unions.get(env[f"W{i}"])
    if union is not None and union[0] is not None and union[2] is not _bail:
        env[f"N{i}"], env[f"T{i}"], env[f"I{i}"] = union
        if isinstance(schema, list) and "string" in schema:
            return ["if v is None:", f" out += N{i}", "elif type(v) is str:", f" out += T{i}",
                    *[" " + line for line in _WRITE_STRING], "else:", " raise Bail"]
        return ["if v is None:", f" out += N{i}", "else:", f" out += T{i}", f" I{i}(v, out)"]
    return [f"W{i}(v, out)"]


_INLINE_LOGICAL = {"date": "int", "timestamp-millis": "long"}


# -- primitives ------------------------------------------------------------------------------------
def _primitive(kind: str) -> Write:
    if kind == "null":
        def write_null(value: Any, out: bytearray) -> None:
            if value is not None:
                raise Bail
        return write_null
    if kind == "boolean":
        def write_boolean(value: Any, out: bytearray) -> None:
            if value is True:
                out += b"\x01"
            elif value is False:
                out += b"\x00"
            else:
                raise Bail
        return write_boolean
    if kind in _RANGE:
        low, high = _RANGE[kind]

        def write_long(value: Any, out: bytearray) -> None:
            if type(value) is not int or not low <= value <= high:
                raise Bail
            out += _SMALL[value] if 0 <= value < 2048 else _varint(value)
        return write_long
    if kind in ("float", "double"):
        pack = _FLOAT if kind == "float" else _DOUBLE

        def write_real(value: Any, out: bytearray) -> None:
            if type(value) is not float and type(value) is not int:
                raise Bail
            out += pack(value)
        return write_real
    if kind == "string":
        def write_string(value: Any, out: bytearray) -> None:
            if type(value) is not str:
                raise Bail
            data = value.encode()
            n = len(data)
            out += _SMALL[n] if n < 2048 else _varint(n)
            out += data
        return write_string
    assert kind == "bytes"

    def write_bytes(value: Any, out: bytearray) -> None:
        if type(value) is not bytes:
            raise Bail
        out += long_bytes(len(value))
        out += value
    return write_bytes


def _enum(schema: dict[str, Any]) -> Write:
    tags = {symbol: long_bytes(i) for i, symbol in enumerate(schema["symbols"])}

    def write_enum(value: Any, out: bytearray) -> None:
        tag = tags.get(value) if type(value) is str else None
        if tag is None:
            raise Bail
        out += tag
    return write_enum


def _fixed(size: int) -> Write:
    def write_fixed(value: Any, out: bytearray) -> None:
        if type(value) is not bytes or len(value) != size:
            raise Bail
        out += value
    return write_fixed


def _array(items: Write) -> Write:
    def write_array(value: Any, out: bytearray) -> None:
        if type(value) is not list:
            raise Bail
        if value:
            out += long_bytes(len(value))
            for item in value:
                items(item, out)
        out += b"\x00"
    return write_array


def _map(values: Write) -> Write:
    def write_map(value: Any, out: bytearray) -> None:
        if type(value) is not dict:
            raise Bail
        if value:
            out += long_bytes(len(value))
            for key, item in value.items():
                if type(key) is not str:
                    raise Bail
                data = key.encode()
                out += long_bytes(len(data))
                out += data
                values(item, out)
        out += b"\x00"
    return write_map


# -- logical types ---------------------------------------------------------------------------------
def _logical(schema: dict[str, Any]) -> Write | None:
    """The writer of a logical type the validator knows, or None where it checks the underlying type."""
    logical, kind = schema["logicalType"], schema["type"]
    if logical == "date":
        def write_date(value: Any, out: bytearray) -> None:
            if type(value) is not date:  # a datetime is a date too, and one the validator refuses
                raise Bail
            data = _DAYS.get(value)
            out += _day(value) if data is None else data
        return write_date
    if logical in ("timestamp-millis", "timestamp-micros"):
        millis = logical == "timestamp-millis"
        last = [(0, _varint(0))]  # the previous instant's bytes: events of one millisecond share them

        def write_timestamp(value: Any, out: bytearray) -> None:
            if type(value) is not datetime or (value.tzinfo is not _UTC and value.utcoffset() is None):
                raise Bail
            delta = value - _EPOCH
            seconds = delta.days * 86_400 + delta.seconds
            n = seconds * 1000 + delta.microseconds // 1000 if millis else seconds * 1_000_000 + delta.microseconds
            seen, data = last[0]  # one tuple: consistent even if threads share the writer
            if seen != n:
                data = _varint(n)
                last[0] = (n, data)
            out += data
        return write_timestamp
    if logical == "decimal":
        precision, scale = schema.get("precision"), schema.get("scale", 0)
        if not isinstance(precision, int) or not isinstance(scale, int) or not 0 <= scale <= precision:
            return None  # an invalid annotation: the validator checks the underlying type
        return _decimal(precision, scale) if kind == "bytes" else _bail
    if logical in ("uuid", "time-millis", "time-micros"):
        return _bail
    return None


def _decimal(precision: int, scale: int) -> Write:
    """Decimals with at most ``scale`` digits after the point (what the validator quantises exactly)."""
    def write_decimal(value: Any, out: bytearray) -> None:
        if type(value) is not Decimal:
            raise Bail
        sign, digits, exponent = value.as_tuple()
        # NaN and infinities have a str exponent; more digits after the point need the validator's rounding check
        if type(exponent) is not int or exponent < -scale or len(digits) + exponent + scale > precision:
            raise Bail
        unscaled = 0
        for digit in digits:
            unscaled = unscaled * 10 + digit
        unscaled *= 10 ** (exponent + scale)
        size = (unscaled.bit_length() + 8) // 8
        data = (-unscaled if sign else unscaled).to_bytes(size, "big", signed=True)
        out += long_bytes(len(data))
        out += data
    return write_decimal
