"""The raw and clean observations of a dataset, taken by its cleaning agent instead of two more readers.

The standalone observers (:mod:`.agents`) read a dataset's raw and clean topics once more and decode every
message again, only to learn its source system, event time and non-null fields. The hub's cleaning agent
(:class:`streams.agent.CleaningAgent`) has all of that in hand, so in the hub's worker it observes both
stages itself and sends the news with the batch's output; its dead letters are still observed on the
dead-letter topic, which other writers share.

What a tapped observation says is what the observer of the topic would have said:

* raw: the raw message's timestamp and the envelope's source system (``unknown`` when it does not decode);
* clean: the time the clean message is sent, its freshness, and the paths of the cleaned record that the
  clean message carries as non-null — a field the writer's schema lacked counts when the clean schema's
  default fills it (:class:`Presence`).

Like an observer, a tap counts a raw message once per worker life (:class:`.seen.Seen`): a batch read again
after a seek counts only the messages it did not count before, and their clean events with them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from streams.quality.aggregate import UNKNOWN_SYSTEM, Observation, field_paths, nested_record, summarize
from streams.quality.codec import encode_news
from streams.quality.seen import Seen

_MISSING = object()

Committed = Callable[[], Mapping[Hashable, int | None]]
"""The committed offset of each partition, as faust's consumer holds it."""


class Presence:
    """The leaf paths of a record schema that a record fills with a non-null value once written with it
    (a field absent from the record takes the schema's default)."""

    def __init__(self, record_schema: Mapping[str, Any]) -> None:
        self.paths = field_paths(record_schema)
        self._steps = [self._steps_of(record_schema, path.split(".")) for path in self.paths]

    @staticmethod
    def _steps_of(schema: Mapping[str, Any], names: list[str]) -> tuple[tuple[str, Any], ...]:
        steps, fields = [], schema["fields"]
        for name in names:
            f = next(f for f in fields if f["name"] == name)
            steps.append((name, f.get("default")))
            nested = nested_record(f["type"])
            fields = nested["fields"] if nested is not None else []
        return tuple(steps)

    def of(self, record: Mapping[str, Any]) -> frozenset[str]:
        found = []
        for path, steps in zip(self.paths, self._steps):
            value: Any = record
            for name, default in steps:
                value = value.get(name, default) if isinstance(value, Mapping) else None
            if value is not None:
                found.append(path)
        return frozenset(found)


class QualityTap:
    """One cleaning agent's observations; per batch: :meth:`begin`, :meth:`raw` and :meth:`clean` for each
    fresh message, :meth:`send` with the batch's output, :meth:`counted` once it is acknowledged."""

    def __init__(self, dataset: str, record_schema: Mapping[str, Any], news_topic: str, committed: Committed,
                 clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.dataset = dataset
        self._presence = Presence(record_schema)
        self._news = news_topic
        self._committed = committed
        self._clock_ms = clock_ms
        self._seen = Seen()
        self._observations: list[Observation] = []
        self._fresh: list[tuple[Hashable, int]] = []

    def begin(self, messages: Sequence[tuple[Hashable, int]]) -> list[bool]:
        """Per (partition, offset) of the batch, whether to observe it (not counted before)."""
        fresh = self._seen.fresh(messages)
        self._fresh = [m for m, new in zip(messages, fresh) if new]
        self._observations = []
        return fresh

    def raw(self, at_ms: int, system: str | None) -> None:
        self._observations.append(Observation(self.dataset, system or UNKNOWN_SYSTEM, "raw", at_ms))

    def clean(self, envelope: Mapping[str, Any], record: Mapping[str, Any] | None) -> None:
        """A clean event sent now: ``envelope`` as decoded from the raw message, ``record`` the cleaned one
        (None for a delete)."""
        now = self._clock_ms()
        event_ms = int(envelope["event_time"].timestamp() * 1000)
        self._observations.append(Observation(
            self.dataset, str(envelope["source"]["system"]), "clean", now, freshness_ms=now - event_ms,
            present=None if record is None else self._presence.of(record)))

    def send(self, send: Callable[[str, bytes, bytes], None]) -> None:
        """Send the batch's news (one per source system and minute, both stages together)."""
        for stats in summarize(self._observations):
            send(self._news, f"{stats.dataset}|{stats.system}".encode(), encode_news(stats))
        self._observations = []

    def counted(self) -> None:
        """The batch's news is acknowledged: its messages are not observed again."""
        self._seen.counted(self._fresh, self._committed())
        self._fresh = []
