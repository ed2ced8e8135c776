"""How the validator checks Avro's logical types and turns schema defaults into Python values (pure).

Dates take ``datetime.date`` or ``'YYYY-MM-DD'``; instants an aware datetime, an ISO-8601 string with an
offset, or epoch milli/microseconds (normalised to aware UTC datetimes); decimals ``Decimal``, ``int`` or
``str`` within precision and scale (quantised to the scale; floats are refused as inexact); uuids ``UUID`` or
its string form. Split from :mod:`producers.validation`, which compiles these into a record's checks.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from producers.errors import FieldError, type_name

Check = Callable[[Any, str, list[FieldError]], Any]
"""Validates and normalises one value at ``path``, appending violations to the list."""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(_schema: dict[str, Any]) -> Check:
    def check_date(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, datetime):  # a date with a time: which day depends on a timezone
            errors.append(FieldError(path, "logical_type", "date", "datetime", "a date without time"))
        elif isinstance(value, date):
            return value
        elif isinstance(value, str):
            if _ISO_DATE.fullmatch(value):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    pass
            errors.append(FieldError(path, "logical_type", "date", "str", "ISO date YYYY-MM-DD"))
        else:
            errors.append(FieldError(path, "required" if value is None else "type", "date", type_name(value),
                                     "datetime.date or 'YYYY-MM-DD'"))
        return value
    return check_date


def _timestamp(schema: dict[str, Any]) -> Check:
    unit = "millis" if schema["logicalType"] == "timestamp-millis" else "micros"
    expected = str(schema["logicalType"])
    return lambda value, path, errors: instant(value, path, errors, expected, unit)


def instant(value: Any, path: str, errors: list[FieldError], expected: str = "timestamp-millis",
            unit: str = "millis") -> Any:
    """An aware datetime, an ISO-8601 string with an offset, or epoch milli/microseconds → aware UTC datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            errors.append(FieldError(path, "logical_type", expected, "datetime", "timezone-aware"))
            return value
        return value.astimezone(timezone.utc)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            errors.append(FieldError(path, "logical_type", expected, "str", "ISO-8601 with a UTC offset"))
            return value
        return parsed.astimezone(timezone.utc)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return _EPOCH + (timedelta(microseconds=value) if unit == "micros" else timedelta(milliseconds=value))
        except OverflowError:
            errors.append(FieldError(path, "range", expected, "int", f"epoch {unit} within years 1..9999"))
            return value
    errors.append(FieldError(path, "required" if value is None else "type", expected, type_name(value),
                             f"aware datetime, ISO-8601 string or epoch {unit}"))
    return value


def _decimal(schema: dict[str, Any]) -> Check | None:
    precision, scale = schema.get("precision"), schema.get("scale", 0)
    if not isinstance(precision, int) or not isinstance(scale, int) or not 0 <= scale <= precision:
        return None  # an invalid decimal annotation: Avro says to use the underlying type
    expected = f"decimal({precision},{scale})"
    quantum = Decimal(1).scaleb(-scale)
    context = Context(prec=precision + 1)

    def check_decimal(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
            errors.append(FieldError(path, "required" if value is None else "type", expected, type_name(value),
                                     "Decimal, int or str (floats are inexact)"))
            return value
        try:
            number = value if isinstance(value, Decimal) else Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            errors.append(FieldError(path, "logical_type", expected, type_name(value), "a finite decimal number"))
            return value
        _, digits, exponent = number.as_tuple()
        assert isinstance(exponent, int)
        integer_digits = number.adjusted() + 1 if any(digits) else 0
        if integer_digits > precision - scale:
            errors.append(FieldError(path, "decimal_precision", expected, type_name(value),
                                     f"at most {precision - scale} digits before the point"))
            return value
        extra = -scale - exponent  # digits below the scale, which must all be zero
        if extra > 0 and any(digits[-extra:]):
            errors.append(FieldError(path, "decimal_scale", expected, type_name(value),
                                     f"at most {scale} digits after the point"))
            return value
        return number.quantize(quantum, context=context)
    return check_decimal


def _uuid(_schema: dict[str, Any]) -> Check:
    def check_uuid(value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, uuid.UUID):
            return str(value)
        if not isinstance(value, str):
            errors.append(FieldError(path, "required" if value is None else "type", "uuid", type_name(value)))
            return value
        try:
            return str(uuid.UUID(value))
        except ValueError:
            errors.append(FieldError(path, "logical_type", "uuid", "str", "a UUID"))
            return value
    return check_uuid


def _time(schema: dict[str, Any]) -> Check:
    expected = str(schema["logicalType"])

    def check_time(value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, time):
            errors.append(FieldError(path, "required" if value is None else "type", expected, type_name(value),
                                     "datetime.time"))
        return value
    return check_time


LOGICAL: dict[str, Callable[[dict[str, Any]], Check | None]] = {
    "date": _date,
    "timestamp-millis": _timestamp,
    "timestamp-micros": _timestamp,
    "decimal": _decimal,
    "uuid": _uuid,
    "time-millis": _time,
    "time-micros": _time,
}


# -- defaults ------------------------------------------------------------------------------------
def default_value(check: Check, schema: Any, default: Any, name: str) -> Any:
    """A field's JSON default as the Python value a caller would pass, checked with the field's ``check``."""
    branch = schema[0] if isinstance(schema, list) else schema  # a union's default is of its first branch
    value = json_default(branch, default)
    errors: list[FieldError] = []
    normalised = check(value, name, errors)
    if errors:
        raise ValueError(f"default of field {name!r} does not match its type: {errors[0]}")
    return normalised


def json_default(schema: Any, value: Any) -> Any:
    """Avro's JSON encoding of a default → the Python value (days for dates, latin-1 strings for bytes…)."""
    if not isinstance(schema, dict):
        return value.encode("latin-1") if schema == "bytes" and isinstance(value, str) else value
    logical, kind = schema.get("logicalType"), schema["type"]
    if logical == "date" and isinstance(value, int):
        return date(1970, 1, 1) + timedelta(days=value)
    if logical == "decimal" and isinstance(value, str) and kind in ("bytes", "fixed"):
        unscaled = int.from_bytes(value.encode("latin-1"), "big", signed=True)
        return Decimal(unscaled).scaleb(-schema.get("scale", 0))
    if kind in ("bytes", "fixed") and isinstance(value, str):
        return value.encode("latin-1")
    if kind == "array" and isinstance(value, list):
        return [json_default(schema["items"], v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: json_default(schema["values"], v) for k, v in value.items()}
    if kind == "record" and isinstance(value, dict):
        types = {f["name"]: f["type"] for f in schema["fields"]}
        return {k: json_default(types.get(k), v) for k, v in value.items()}
    return value
