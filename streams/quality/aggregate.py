"""Data-quality metrics of the pipeline's topics, per dataset, source system and minute (pure).

Each message of a dataset's raw, clean or dead-letter topic is one :class:`Observation`, in the minute of its
Kafka timestamp (when the source sent it, when the hub cleaned it, when it was rejected). Observations add
up to :class:`WindowStats`, which merge exactly, so workers can aggregate their own partitions and one
place combine them. What a window measures:

* ``received``: raw messages; ``valid``: clean events; ``rejected``: dead letters by reason code;
* ``completeness``: per field of the dataset's record (nested fields with ``.``), the share of clean events
  carrying a record (deletes carry none) in which it is not null;
* ``freshness``: clean timestamp minus event time, in milliseconds (:class:`~.sketch.Sketch`).

A message whose envelope cannot be read (it can only be raw or dead-lettered) counts under the source
system ``unknown``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from streams.quality.sketch import Sketch

WINDOW_MS = 60_000
UNKNOWN_SYSTEM = "unknown"
STAGES = ("raw", "clean", "dlq")


@dataclass(frozen=True)
class Observation:
    """One message of a dataset's raw, clean or dead-letter topic."""

    dataset: str
    system: str
    stage: str
    """``raw``, ``clean`` or ``dlq``."""
    at_ms: int
    """The message's timestamp."""
    reason: str | None = None
    """A dead letter's reason code."""
    freshness_ms: int | None = None
    """A clean event's timestamp minus its event time."""
    present: frozenset[str] | None = None
    """A clean event's non-null field paths; None when it carries no record (a delete)."""


def field_paths(record_schema: Mapping[str, Any], prefix: str = "") -> tuple[str, ...]:
    """The leaf field paths of a record schema, nested records joined with ``.``."""
    paths: list[str] = []
    for f in record_schema["fields"]:
        nested = nested_record(f["type"])
        name = f"{prefix}{f['name']}"
        paths.extend(field_paths(nested, f"{name}.") if nested is not None else (name,))
    return tuple(paths)


def nested_record(avro: Any) -> Mapping[str, Any] | None:
    """The record schema a field of type ``avro`` holds (also inside a union with null), if any."""
    if isinstance(avro, dict) and avro.get("type") == "record":
        return avro
    if isinstance(avro, list):
        records = [t for t in avro if isinstance(t, dict) and t.get("type") == "record"]
        return records[0] if len(records) == 1 else None
    return None


def present_paths(record: Mapping[str, Any], paths: Iterable[str]) -> frozenset[str]:
    """Those of ``paths`` whose value in ``record`` is not null (a null record above a field makes it null)."""
    found = []
    for path in paths:
        value: Any = record
        for step in path.split("."):
            value = value.get(step) if isinstance(value, Mapping) else None
        if value is not None:
            found.append(path)
    return frozenset(found)


def observe_envelope(dataset: str, stage: str, at_ms: int, envelope: Mapping[str, Any] | None,
                     paths: Iterable[str] = (), reason: str | None = None) -> Observation:
    """The observation of a message whose envelope was decoded (``envelope``), or could not be (None)."""
    if envelope is None:
        return Observation(dataset, UNKNOWN_SYSTEM, stage, at_ms, reason)
    system = str(envelope["source"]["system"])
    if stage != "clean":
        return Observation(dataset, system, stage, at_ms, reason)
    after = envelope.get("after")
    event_ms = int(envelope["event_time"].timestamp() * 1000)
    return Observation(dataset, system, stage, at_ms, freshness_ms=at_ms - event_ms,
                       present=present_paths(after, paths) if after is not None else None)


@dataclass(frozen=True)
class WindowStats:
    """What one minute of one dataset and source system added up to (a part of it, or all of it)."""

    dataset: str
    system: str
    start_ms: int
    received: int = 0
    valid: int = 0
    rejected: tuple[tuple[str, int], ...] = ()
    """(reason code, dead letters), sorted."""
    records: int = 0
    """Clean events that carry a record: the denominator of completeness."""
    present: tuple[tuple[str, int], ...] = ()
    """(field path, records in which it is not null), sorted."""
    freshness: Sketch = field(default_factory=Sketch)
    last_ms: int = 0
    """The latest message timestamp seen."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.dataset, self.system)

    def merge(self, other: WindowStats) -> WindowStats:
        """The stats of both parts (of the same dataset, system and window)."""
        if (other.dataset, other.system, other.start_ms) != (self.dataset, self.system, self.start_ms):
            raise ValueError("only stats of the same dataset, system and window merge")
        return WindowStats(self.dataset, self.system, self.start_ms, self.received + other.received,
                           self.valid + other.valid, _add(self.rejected, other.rejected),
                           self.records + other.records, _add(self.present, other.present),
                           self.freshness.merge(other.freshness), max(self.last_ms, other.last_ms))


def _add(a: tuple[tuple[str, int], ...], b: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    total = Counter(dict(a))
    total.update(dict(b))
    return tuple(sorted(total.items()))


def window_start(at_ms: int) -> int:
    return at_ms - at_ms % WINDOW_MS


def summarize(observations: Iterable[Observation]) -> tuple[WindowStats, ...]:
    """The observations added up per (dataset, system, window), in that order."""
    groups: dict[tuple[str, str, int], list[Observation]] = defaultdict(list)
    for o in observations:
        groups[(o.dataset, o.system, window_start(o.at_ms))].append(o)
    return tuple(_stats(key, group) for key, group in sorted(groups.items()))


def _stats(key: tuple[str, str, int], group: list[Observation]) -> WindowStats:
    clean = [o for o in group if o.stage == "clean"]
    bodies = [o.present for o in clean if o.present is not None]
    return WindowStats(
        *key,
        received=sum(1 for o in group if o.stage == "raw"),
        valid=len(clean),
        rejected=tuple(sorted(Counter(o.reason or "unknown" for o in group if o.stage == "dlq").items())),
        records=len(bodies),
        present=tuple(sorted(Counter(p for body in bodies for p in body).items())),
        freshness=Sketch.of(o.freshness_ms for o in clean if o.freshness_ms is not None),
        last_ms=max(o.at_ms for o in group))
