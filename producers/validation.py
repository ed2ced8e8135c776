"""Checking a record against its dataset's Avro record schema, with one precise error per violation (pure).

:func:`check` walks the record and the schema together and returns the *normalised* record — dates from
``'YYYY-MM-DD'`` strings, timestamps as aware UTC datetimes, decimals quantised to their scale, missing
optional fields filled from their defaults — or raises :class:`RecordInvalid` listing every violation,
not only the first.

Each violation is a :class:`producers.errors.FieldError`: the dotted path inside the record
(``permanent_address.province_code``; array items as ``phones[2]``; map entries by position as
``labels[#0]``, because map keys can be personal data), a stable rule code, the expected type and the
Python type of the value found. Messages never quote a value: records carry personal data.

Rule codes: ``required`` (absent without default, or null where null is not allowed), ``type``,
``enum``, ``logical_type`` (a value of the right type that is not a valid date, instant, uuid or
decimal), ``decimal_precision``, ``decimal_scale``, ``range`` (int/long overflow), ``encoding`` (a
string UTF-8 cannot encode: a lone surrogate), ``fixed_size``, ``map_key`` and ``unknown_field``.
Logical types and defaults live in :mod:`producers.logical`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from hub.catalogue import Dataset
from producers.errors import MISSING, FieldError, RecordInvalid, type_name
from producers.logical import LOGICAL, Check, default_value, instant, json_default

__all__ = ["MISSING", "PRIMITIVES", "Check", "FieldError", "RecordInvalid", "RecordValidator", "check", "instant",
           "json_default", "type_name", "utf8", "validator_for"]

PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
_INT_RANGE: dict[str, tuple[int, int]] = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


_NOT_UTF8 = "text UTF-8 can encode (no lone surrogates)"


def utf8(text: str) -> bool:
    """Whether UTF-8 can encode ``text``: Python strings may hold lone surrogates (e.g. from
    ``surrogateescape`` decoding or JSON ``\\ud800`` escapes); Avro strings may not."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class RecordValidator:
    """A record schema compiled into checks; build once per schema, call :meth:`validate` per record."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._named: dict[str, Check] = {}
        self._names: dict[str, str] = {}  # full name -> expected-type label
        self._root = self._compile(schema, None)

    def validate(self, record: Any) -> tuple[Any, tuple[FieldError, ...]]:
        """The normalised record and every violation found (empty when valid)."""
        errors: list[FieldError] = []
        normalised = self._root(record, "", errors)
        return normalised, tuple(errors)

    # -- compiling ------------------------------------------------------------------------------
    def _full_name(self, name: str, namespace: str | None) -> str:
        return name if "." in name or not namespace else f"{namespace}.{name}"

    def _compile(self, schema: Any, namespace: str | None) -> Check:
        if isinstance(schema, list):
            return self._union(schema, namespace)
        if isinstance(schema, str):
            return self._primitive(schema) if schema in PRIMITIVES else self._reference(schema, namespace)
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical is not None and (checker := LOGICAL.get(logical)) is not None:
            accepted = checker(schema)
            if accepted is not None:
                return accepted
        if kind == "record" or kind == "error":
            return self._record(schema, namespace)
        if kind == "enum":
            return self._enum(schema, namespace)
        if kind == "fixed":
            return self._fixed(schema, namespace)
        if kind == "array":
            return self._array(schema, namespace)
        if kind == "map":
            return self._map(schema, namespace)
        return self._compile(kind, namespace)  # {"type": "string"} and unknown logical types

    def label(self, schema: Any, namespace: str | None = None) -> str:
        """The expected-type label of a schema, e.g. ``string``, ``record Address``, ``null|date``."""
        if isinstance(schema, list):
            return "|".join(self.label(s, namespace) for s in schema)
        if isinstance(schema, str):
            return schema if schema in PRIMITIVES else self._names.get(self._full_name(schema, namespace), schema)
        logical = schema.get("logicalType")
        if logical == "decimal":
            return f"decimal({schema.get('precision')},{schema.get('scale', 0)})"
        if logical in LOGICAL:
            return str(logical)
        kind = schema["type"]
        if kind in ("record", "error", "enum", "fixed"):
            return f"{kind} {schema['name']}"
        if kind == "array":
            return f"array<{self.label(schema['items'], namespace)}>"
        if kind == "map":
            return f"map<{self.label(schema['values'], namespace)}>"
        return self.label(kind, namespace)

    def _define(self, schema: dict[str, Any], namespace: str | None) -> tuple[str, str | None]:
        full = self._full_name(schema["name"], schema.get("namespace", namespace))
        self._names[full] = f"{schema['type']} {schema['name']}"
        return full, full.rpartition(".")[0] or None

    def _reference(self, name: str, namespace: str | None) -> Check:
        full = self._full_name(name, namespace)
        if full not in self._names:
            raise ValueError(f"schema references unknown type {name!r}")
        named = self._named
        compiled = named.get(full)
        if compiled is not None:
            return compiled
        return lambda value, path, errors: named[full](value, path, errors)  # recursive: bound late

    def _primitive(self, kind: str) -> Check:
        if kind == "null":
            def check_null(value: Any, path: str, errors: list[FieldError]) -> Any:
                if value is not None:
                    errors.append(FieldError(path, "type", "null", type_name(value)))
                return None
            return check_null
        accepts, convert = _PRIMITIVE_TYPES[kind]
        bounds = _INT_RANGE.get(kind)

        def check(value: Any, path: str, errors: list[FieldError]) -> Any:
            if value is None:
                errors.append(FieldError(path, "required", kind, "null"))
                return value
            if not isinstance(value, accepts) or (isinstance(value, bool) and kind != "boolean"):
                errors.append(FieldError(path, "type", kind, type_name(value)))
                return value
            if bounds is not None and isinstance(value, int) and not bounds[0] <= value <= bounds[1]:
                errors.append(FieldError(path, "range", kind, type_name(value), f"{bounds[0]}..{bounds[1]}"))
            elif kind == "string" and isinstance(value, str) and not utf8(value):
                errors.append(FieldError(path, "encoding", kind, type_name(value), _NOT_UTF8))
            return convert(value)
        return check

    def _union(self, branches: list[Any], namespace: str | None) -> Check:
        nullable = "null" in branches
        others = [b for b in branches if b != "null"]
        checks = [self._compile(b, namespace) for b in others]
        expected = self.label(branches, namespace)
        if len(checks) == 1:
            only = checks[0]

            def check_nullable(value: Any, path: str, errors: list[FieldError]) -> Any:
                if value is None:
                    if not nullable:
                        errors.append(FieldError(path, "required", expected, "null"))
                    return None
                return only(value, path, errors)
            return check_nullable

        def check_union(value: Any, path: str, errors: list[FieldError]) -> Any:
            if value is None:
                if not nullable:
                    errors.append(FieldError(path, "required", expected, "null"))
                return None
            for branch in checks:
                scratch: list[FieldError] = []
                normalised = branch(value, path, scratch)
                if not scratch:
                    return normalised
            errors.append(FieldError(path, "type", expected, type_name(value)))
            return value
        return check_union

    def _record(self, schema: dict[str, Any], namespace: str | None) -> Check:
        full, inner_ns = self._define(schema, namespace)
        expected = f"record {schema['name']}"
        fields: list[tuple[str, Check, str, bool, Any]] = []
        names: set[str] = set()

        def check_record(value: Any, path: str, errors: list[FieldError]) -> Any:
            if not isinstance(value, Mapping):
                kind = "required" if value is None else "type"
                errors.append(FieldError(path or "<record>", kind, expected, type_name(value)))
                return value
            out: dict[str, Any] = {}
            for name, check, label, has_default, default in fields:
                fpath = _join(path, name)
                if name in value:
                    out[name] = check(value[name], fpath, errors)
                elif has_default:
                    out[name] = copy.deepcopy(default)
                else:
                    errors.append(FieldError(fpath, "required", label, MISSING))
            for i, key in enumerate(value):
                if key not in names:
                    shown = key if isinstance(key, str) and _IDENTIFIER.fullmatch(key) else f"<field #{i}>"
                    errors.append(FieldError(_join(path, shown), "unknown_field", "absent", type_name(value[key]),
                                             f"{schema['name']} has no such field"))
            return out

        self._named[full] = check_record  # before the fields: a field may refer back to this record
        for f in schema["fields"]:
            check = self._compile(f["type"], inner_ns)
            has_default = "default" in f
            default = default_value(check, f["type"], f["default"], f["name"]) if has_default else None
            fields.append((f["name"], check, self.label(f["type"], inner_ns), has_default, default))
            names.add(f["name"])
        return check_record

    def _enum(self, schema: dict[str, Any], namespace: str | None) -> Check:
        full, _ = self._define(schema, namespace)
        symbols = frozenset(schema["symbols"])
        expected = f"enum {schema['name']}"
        detail = "one of " + ", ".join(schema["symbols"])

        def check_enum(value: Any, path: str, errors: list[FieldError]) -> Any:
            if not isinstance(value, str):
                errors.append(FieldError(path, "required" if value is None else "type", expected, type_name(value)))
            elif value not in symbols:
                errors.append(FieldError(path, "enum", expected, "str", detail))
            return value
        self._named[full] = check_enum
        return check_enum

    def _fixed(self, schema: dict[str, Any], namespace: str | None) -> Check:
        full, _ = self._define(schema, namespace)
        size = int(schema["size"])
        expected = f"fixed {schema['name']}"

        def check_fixed(value: Any, path: str, errors: list[FieldError]) -> Any:
            if not isinstance(value, (bytes, bytearray)):
                errors.append(FieldError(path, "required" if value is None else "type", expected, type_name(value)))
            elif len(value) != size:
                errors.append(FieldError(path, "fixed_size", expected, type_name(value), f"exactly {size} bytes"))
            return bytes(value) if isinstance(value, bytearray) else value
        self._named[full] = check_fixed
        return check_fixed

    def _array(self, schema: dict[str, Any], namespace: str | None) -> Check:
        items = self._compile(schema["items"], namespace)
        expected = self.label(schema, namespace)

        def check_array(value: Any, path: str, errors: list[FieldError]) -> Any:
            if not isinstance(value, (list, tuple)):
                errors.append(FieldError(path, "required" if value is None else "type", expected, type_name(value)))
                return value
            return [items(item, f"{path}[{i}]", errors) for i, item in enumerate(value)]
        return check_array

    def _map(self, schema: dict[str, Any], namespace: str | None) -> Check:
        values = self._compile(schema["values"], namespace)
        expected = self.label(schema, namespace)

        def check_map(value: Any, path: str, errors: list[FieldError]) -> Any:
            if not isinstance(value, Mapping):
                errors.append(FieldError(path, "required" if value is None else "type", expected, type_name(value)))
                return value
            out: dict[str, Any] = {}
            for i, (key, item) in enumerate(value.items()):
                entry = f"{path}[#{i}]"
                if not isinstance(key, str):
                    errors.append(FieldError(entry, "map_key", "string", type_name(key)))
                elif not utf8(key):
                    errors.append(FieldError(entry, "map_key", "string", "str", _NOT_UTF8))
                out[key] = values(item, entry, errors)
            return out
        return check_map


_PRIMITIVE_TYPES: dict[str, tuple[type | tuple[type, ...], Callable[[Any], Any]]] = {
    "boolean": (bool, lambda v: v),
    "int": (int, int),
    "long": (int, int),
    "float": ((int, float), float),
    "double": ((int, float), float),
    "bytes": ((bytes, bytearray), bytes),
    "string": (str, lambda v: v),
}


# -- entry points --------------------------------------------------------------------------------
_VALIDATORS: dict[int, RecordValidator] = {}


def validator_for(schema: dict[str, Any]) -> RecordValidator:
    """The compiled validator of ``schema``, built on first use (keyed by the schema object itself)."""
    found = _VALIDATORS.get(id(schema))
    if found is None or found.schema is not schema:  # the validator holds the schema, so ids are not reused
        found = _VALIDATORS[id(schema)] = RecordValidator(schema)
    return found


def check(dataset: Dataset, record: Any) -> dict[str, Any]:
    """The record normalised for ``dataset``'s record schema; raises :class:`RecordInvalid` listing every
    violation (field path, rule, expected and actual type — never the value)."""
    normalised, errors = validator_for(dataset.record_schema).validate(record)
    if errors:
        raise RecordInvalid.of(dataset.name, errors)
    return normalised  # type: ignore[no-any-return]
