"""Reading Avro schemas sent to the registry: JSON, Avro rules, the stored text and the identity.

The one place that calls fastavro's parser; its many exception types become :class:`InvalidSchema` (42201).
fastavro accepts a few things the Avro specification (and Confluent's Java parser) reject — a record
without ``fields``, names starting with a digit, a union with the same type twice or a union inside a
union — so those are checked here first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastavro.schema import parse_schema, to_parsing_canonical_form

from registry.errors import InvalidSchema

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FULLNAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_NAMED = ("record", "error", "enum", "fixed")


@dataclass(frozen=True)
class ParsedSchema:
    """A valid Avro schema: ``text`` as stored (compact JSON), ``value`` its JSON, ``canonical`` its identity."""

    text: str
    value: Any
    canonical: str


def parse(text: str) -> ParsedSchema:
    """Parse and check a schema sent as text; raises :class:`InvalidSchema` with the reason and location."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidSchema(f"not JSON: {exc}") from exc
    return parse_value(value)


def parse_value(value: Any) -> ParsedSchema:
    """Parse and check a schema given as parsed JSON (dict, list or str)."""
    _check(value, "")
    try:
        canonical = str(to_parsing_canonical_form(parse_schema(value)))
    except KeyError as exc:
        raise InvalidSchema(f"missing attribute {exc}") from exc
    except Exception as exc:  # fastavro raises SchemaParseException, UnknownType, ValueError, TypeError …
        raise InvalidSchema(f"{type(exc).__name__}: {exc}") from exc
    return ParsedSchema(text=compact(value), value=value, canonical=canonical)


def compact(value: Any) -> str:
    """The stored form of a schema: compact JSON, non-ASCII kept (Vietnamese docs stay readable)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=4096)
def canonical_or_none(text: str) -> str | None:
    """Identity of a stored schema text, or None if it is not a valid schema (replay never fails on it)."""
    try:
        return parse(text).canonical
    except InvalidSchema:
        return None


# -- the checks fastavro leaves out ------------------------------------------------------------
def _fail(path: str, reason: str) -> InvalidSchema:
    return InvalidSchema(f"{reason} at {path or '/'}")


def _check(node: Any, path: str) -> None:
    if isinstance(node, list):
        _check_union(node, path)
    elif isinstance(node, dict):
        _check_complex(node, path)
    elif not isinstance(node, str):
        raise _fail(path, f"a schema must be a JSON string, object or array, not {type(node).__name__}")


def _check_union(branches: list[Any], path: str) -> None:
    seen: set[str] = set()
    for i, branch in enumerate(branches):
        where = f"{path}/{i}"
        if isinstance(branch, list):
            raise _fail(where, "a union may not directly contain another union")
        kind = _branch_kind(branch)
        if kind in seen:
            raise _fail(where, f"duplicate type {kind!r} in union")
        seen.add(kind)
        _check(branch, where)


def _branch_kind(branch: Any) -> str:
    if isinstance(branch, dict):
        t = branch.get("type")
        if t in _NAMED:
            return str(branch.get("name"))
        return str(t) if isinstance(t, str) else json.dumps(t)
    return str(branch)


def _check_complex(node: dict[str, Any], path: str) -> None:
    t = node.get("type")
    if t in _NAMED:
        name = node.get("name")
        if not isinstance(name, str) or not _FULLNAME.match(name):
            raise _fail(path, f"invalid {t} name {name!r}")
    if t in ("record", "error"):
        _check_fields(node.get("fields"), path)
    elif t == "enum":
        symbols = node.get("symbols")
        if not isinstance(symbols, list) or not all(isinstance(s, str) and _NAME.match(s) for s in symbols):
            raise _fail(path, "enum symbols must be a list of Avro names")
    elif t == "array":
        _check(node.get("items"), f"{path}/items")
    elif t == "map":
        _check(node.get("values"), f"{path}/values")
    elif isinstance(t, (dict, list)):
        _check(t, f"{path}/type")


def _check_fields(fields: Any, path: str) -> None:
    if not isinstance(fields, list):
        raise _fail(path, "a record needs a 'fields' list")
    names: set[str] = set()
    for i, field in enumerate(fields):
        where = f"{path}/fields/{i}"
        if not isinstance(field, dict) or "type" not in field:
            raise _fail(where, "a field needs a 'name' and a 'type'")
        name = field.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(where, f"invalid field name {name!r}")
        if name in names:
            raise _fail(where, f"duplicate field name {name!r}")
        names.add(name)
        _check(field["type"], f"{where}/type")
