"""What each topic the sink reads lands in (pure).

Three kinds of topics carry rows for analysts, and each becomes a pair of tables (``<stem>_history``
with every message, ``<stem>_current`` with one row per key under ``FINAL``, filled by a materialized view):

==========================  ====================  =====================  ==================================
topic                       tables                one current row per    the latest is
==========================  ====================  =====================  ==================================
``<ns>.<dataset>.clean``    ``<dataset>_*``       key                    (event time, source position);
                                                                         deletes vanish under FINAL
``<ns>.golden.<entity>``    ``golden_<entity>_*`` golden key (CCCD,      the golden record's revision
                                                  tax code)              (``source.position``); deletes vanish
``<ns>.quality``            ``quality_window_*``  (dataset, source       the window's ``revision``: a window
                                                  system, window start)  re-published after late news replaces
                                                                         the earlier one
==========================  ====================  =====================  ==================================

Golden changes are versioned by revision alone, not by event time: the golden merge numbers a record's
changes in the order it made them, and that is the order the record went through.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from hub.catalogue import GOLDEN_ENTITIES, Catalogue, Dataset
from streams.golden import publish as golden_publish
from streams.quality import publish as quality_publish


class Shape(Enum):
    CHANGES = "changes"
    """Values are the hub's change envelope (``event_id, op, key, after, source, …``)."""
    WINDOWS = "windows"
    """Values are plain quality-window records."""


CHANGE_VERSION_SQL = ("bitOr(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(event_time)), 64), "
                      "toUInt128(reinterpretAsUInt64(source_position)))")
"""Dataset rows: event time (ms) in the high 64 bits, source position in the low 64 bits
(:func:`sinks.ddl.version` computes the same in Python)."""
REVISION_VERSION_SQL = "toUInt128(reinterpretAsUInt64(source_position))"
WINDOW_VERSION_SQL = "toUInt128(revision)"


@dataclass(frozen=True)
class Target:
    """One topic's destination: table names, the value schema columns come from, how rows replace."""

    name: str
    """``population.citizen``, ``golden.citizen``, ``quality``: also the ``dataset`` of its dead letters."""
    table_stem: str
    value_schema: dict[str, Any]
    """The schema of the topic's values as the hub defines it (writers may add optional fields)."""
    shape: Shape
    current_key: tuple[str, ...]
    version_sql: str
    deleted_sql: str

    @property
    def history_order(self) -> tuple[str, ...]:
        after_key = ("event_time",) if self.shape is Shape.CHANGES else ()
        return (*self.current_key, *after_key, "_partition", "_offset")


def dataset_target(dataset: Dataset) -> Target:
    return Target(dataset.name, dataset.table_stem, dataset.envelope_schema, Shape.CHANGES, ("key",),
                  CHANGE_VERSION_SQL, "toUInt8(op = 'd')")


def golden_target(entity: str) -> Target:
    return Target(f"golden.{entity}", f"golden_{entity}", golden_publish.envelope_schema(entity), Shape.CHANGES,
                  ("key",), REVISION_VERSION_SQL, "toUInt8(op = 'd')")


def quality_target() -> Target:
    return Target("quality", "quality_window", quality_publish.schema(), Shape.WINDOWS,
                  ("dataset", "source_system", "window_start"), WINDOW_VERSION_SQL, "toUInt8(0)")


def as_target(table: Target | Dataset) -> Target:
    """Callers holding a catalogue :class:`Dataset` may pass it wherever a target is expected."""
    return table if isinstance(table, Target) else dataset_target(table)


def all_targets(catalogue: Catalogue) -> list[Target]:
    """Every target whose tables the sink keeps: the catalogue's datasets, the golden records, quality."""
    return [*(dataset_target(d) for d in catalogue), *(golden_target(e) for e in GOLDEN_ENTITIES), quality_target()]


def topic_targets(catalogue: Catalogue, namespace: str) -> dict[str, Target]:
    """Topic → target for every topic of row data (dead-letter topics are separate: see :func:`dlq_topics`)."""
    topics = {d.topics(namespace).clean: dataset_target(d) for d in catalogue}
    topics.update({golden_publish.golden_topic(namespace, e): golden_target(e) for e in GOLDEN_ENTITIES})
    topics[quality_publish.quality_topic(namespace)] = quality_target()
    return topics


def dlq_topics(catalogue: Catalogue, namespace: str) -> dict[str, Target]:
    """Dead-letter topic → its dataset's target."""
    return {d.topics(namespace).dlq: dataset_target(d) for d in catalogue}


def sink_topics(namespace: str) -> list[str]:
    """The topics the sink reads that the catalogue's topics do not include: create them before subscribing."""
    return [*(golden_publish.golden_topic(namespace, e) for e in GOLDEN_ENTITIES), quality_publish.quality_topic(namespace)]
