"""Decoded envelopes → columns for a columnar insert (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sinks.ddl import Column, version


@dataclass(frozen=True)
class Located:
    """A decoded event with its Kafka coordinates."""

    topic: str
    partition: int
    offset: int
    event: dict[str, Any]


def _get(event: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = event
    for step in path:
        if value is None:
            return None
        value = value.get(step)
    return value


def _empty(ch_type: str) -> Any:
    if ch_type.startswith("Array("):
        return []
    if ch_type.startswith("Map("):
        return {}
    return None


def to_columns(columns: Sequence[Column], events: Sequence[Located]) -> list[list[Any]]:
    """One list per column, in ``columns`` order."""
    out: list[list[Any]] = []
    for col in columns:
        if col.name == "_topic":
            out.append([e.topic for e in events])
        elif col.name == "_partition":
            out.append([e.partition for e in events])
        elif col.name == "_offset":
            out.append([e.offset for e in events])
        elif col.name == "_version":
            out.append([version(e.event) for e in events])
        elif col.name == "_is_deleted":
            out.append([1 if e.event["op"] == "d" else 0 for e in events])
        else:
            empty = _empty(col.type)
            values = [_get(e.event, col.path) for e in events]
            out.append(values if empty is None else [empty if v is None else v for v in values])
    return out
