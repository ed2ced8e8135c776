"""Decoded envelopes → columns for a columnar insert (pure).

Columns are built one at a time over the whole batch; the values of each path prefix (``after``,
``after.permanent_address``, …) are computed once per batch and shared by the columns below it, so a
row's nested dicts are walked once rather than once per column.
"""

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


def _empty(ch_type: str) -> Any:
    if ch_type.startswith("Array("):
        return []
    if ch_type.startswith("Map("):
        return {}
    return None


def to_columns(columns: Sequence[Column], events: Sequence[Located]) -> list[list[Any]]:
    """One list per column, in ``columns`` order."""
    prefixes: dict[tuple[str, ...], list[Any]] = {(): [e.event for e in events]}

    def values(path: tuple[str, ...]) -> list[Any]:
        found = prefixes.get(path)
        if found is None:
            parents = values(path[:-1])
            step = path[-1]
            found = prefixes[path] = [p.get(step) if p is not None else None for p in parents]
        return found

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
            column = values(col.path)
            out.append(column if empty is None else [empty if v is None else v for v in column])
    return out
