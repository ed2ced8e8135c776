"""Enumerations: a value of an Avro enum must be one of the catalogue's symbols (pure).

Avro decoding already guarantees a symbol of the *writer's* schema; a source on a schema version with
symbols the catalogue does not have (``sex: OTHER``) would otherwise pass them on.
"""

from __future__ import annotations

from typing import Any


def _enum_symbols(avro: Any) -> tuple[str, ...] | None:
    if isinstance(avro, dict) and avro.get("type") == "enum":
        return tuple(avro["symbols"])
    if isinstance(avro, list):
        for branch in avro:
            symbols = _enum_symbols(branch)
            if symbols is not None:
                return symbols
    return None


def _record_of(avro: Any) -> dict[str, Any] | None:
    if isinstance(avro, dict) and avro.get("type") == "record":
        return avro
    if isinstance(avro, list):
        return next((r for r in map(_record_of, avro) if r is not None), None)
    return None


def invalid_enum(schema: dict[str, Any], record: dict[str, Any], prefix: str = "") -> str | None:
    """The path of the first enum field of ``record`` whose value is not a symbol of ``schema`` (the
    catalogue's record schema), descending into nested records; None when all are symbols or null."""
    for f in schema["fields"]:
        value = record.get(f["name"])
        if value is None:
            continue
        symbols = _enum_symbols(f["type"])
        if symbols is not None and value not in symbols:
            return prefix + f["name"]
        nested = _record_of(f["type"])
        if nested is not None and isinstance(value, dict):
            found = invalid_enum(nested, value, f"{prefix}{f['name']}.")
            if found is not None:
                return found
    return None
