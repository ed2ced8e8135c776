"""The ClickHouse side of the sink: tables, schema evolution, deduplicated columnar inserts, recovery.

Per target (a dataset, a golden entity, the quality windows: :mod:`sinks.targets`) two tables (see
:mod:`sinks.ddl`): ``<stem>_history`` (every message) and ``<stem>_current`` (ReplacingMergeTree by
version with a delete flag). The sink inserts each batch once,
into the history table; a materialized view fills the current table inside ClickHouse (with
``deduplicate_blocks_in_dependent_materialized_views`` so a retried token inserts nothing twice there
either). The history table's highest stored offset is the sink's recovery point.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Sequence
from typing import Any

import fastavro
from clickhouse_connect.driver.client import Client

from hub.catalogue import Catalogue, Dataset
from hub.errors import ClickHouseError
from hub.wire import without_time_types
from sinks.ddl import (Column, add_columns, apply_merge_settings, create_current_table, create_current_view,
                       create_history_table, current_table, current_view, history_columns, history_table, value_columns)
from hub.probe_marks import LANDINGS_TABLE, is_canary
from sinks import dead_letters
from sinks.dead_letters import DeadLetter
from sinks.encoded import EncodedRun, Unsupported, container, container_header, create_staging, fingerprint, staging_table
from sinks.rows import Located, to_columns
from sinks.statistics import statistics_views
from sinks.targets import Shape, Target, all_targets, as_target


log = logging.getLogger("hub.sink")


class ClickHouseWriter:
    """Writes history and current rows; thread-safe, so one client can also answer analysts' queries."""

    def __init__(self, client: Client, database: str, catalogue: Catalogue) -> None:
        self.client = client
        self.database = database
        self.catalogue = catalogue
        self.lock = threading.RLock()
        self._table_columns: dict[str, set[str]] = {}
        self._staged: dict[str, bytes] = {}  # writer-schema fingerprint → container header, staging created

    def _run(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                raise ClickHouseError(f"{what} failed: {exc}") from exc

    def ensure_tables(self) -> None:
        for target in all_targets(self.catalogue):
            for ddl in (create_history_table(self.database, target), create_current_table(self.database, target)):
                self._run(f"creating tables of {target.name}", self.client.command, ddl)
            for table in (history_table(target), current_table(target)):
                self._run(f"setting merges of {table}", self.client.command, apply_merge_settings(self.database, table))
            self._evolve(target, history_columns(target), recreate_view=True)
        self._run("creating the dead-letter table", self.client.command, dead_letters.create_table(self.database))
        self._run("creating the probe landings table", self.client.command,
                  f"CREATE TABLE IF NOT EXISTS `{self.database}`.`{LANDINGS_TABLE}` (dataset LowCardinality(String), "
                  "event_id String, ingest_time DateTime64(3, 'UTC'), _topic LowCardinality(String), "
                  "_partition UInt32, _offset UInt64, _sink_time DateTime64(3, 'UTC') DEFAULT now64(3)) "
                  "ENGINE = MergeTree ORDER BY (dataset, ingest_time) "
                  "SETTINGS non_replicated_deduplication_window = 10000")
        if {"population.citizen", "civil_status.event", "enterprise.registration", "social_insurance.participant",
                "land.parcel"} <= set(self.catalogue.datasets):
            for name, ddl in statistics_views(self.database).items():
                self._run(f"creating view {name}", self.client.command, ddl)

    def _existing(self, table: str) -> set[str]:
        known = self._table_columns.get(table)
        if known is None:
            rows = self._run(f"describing {table}", self.client.query,
                             f"DESCRIBE TABLE `{self.database}`.`{table}`").result_rows
            known = self._table_columns[table] = {str(r[0]) for r in rows}
        return known

    def _evolve(self, target: Target, columns: Sequence[Column], recreate_view: bool = False) -> None:
        """Add the columns a newer writer schema brought to both tables (existing ones keep their type) and
        re-create the view that feeds the current table so it carries them."""
        history, current = history_table(target), current_table(target)
        missing = [c for c in columns if c.name not in self._existing(history)]
        missing_current = [c for c in columns if c.name not in self._existing(current)]
        for table, cols in ((history, missing), (current, missing_current)):
            for statement in add_columns(self.database, table, cols):
                self._run(f"evolving {table}", self.client.command, statement)
            self._existing(table).update(c.name for c in cols)
        if missing or missing_current or recreate_view:
            all_columns = [c for c in _union([history_columns(target), columns])
                           if c.name in self._existing(history)]
            for statement in create_current_view(self.database, target, all_columns):
                self._run(f"re-creating {current_view(target)}", self.client.command, statement)

    def write(self, table: Target | Dataset, events: Sequence[Located] | EncodedRun, token: str,
              writer_schemas: Sequence[dict[str, Any]] = ()) -> None:
        """Insert ``events`` into the target's history table (and through its view, the current table),
        once per ``token``.

        ``writer_schemas`` are the schemas the values were written with (for an :class:`EncodedRun`, exactly
        its one schema); columns they add to the hub's are added to the tables first."""
        target = as_target(table)
        columns = _union([value_columns(target, target.value_schema),
                          *(value_columns(target, s) for s in writer_schemas)])
        if any(c.name not in self._existing(history_table(target)) for c in columns):
            self._evolve(target, columns)
        if isinstance(events, EncodedRun):
            events = self._write_encoded(target, events, token, writer_schemas[0])
            if not events:
                return
        canaries = [e for e in events if is_canary(e.event)] if target.shape is Shape.CHANGES else []
        if canaries:  # the monitor's probe events: kept out of analyst tables
            events = [e for e in events if not is_canary(e.event)]
            self._run("insert into probe landings", self.client.insert, f"{self.database}.{LANDINGS_TABLE}",
                      [[target.name] * len(canaries), [e.event["event_id"] for e in canaries],
                       [e.event["ingest_time"] for e in canaries], [e.topic for e in canaries],
                       [e.partition for e in canaries], [e.offset for e in canaries]],
                      column_names=["dataset", "event_id", "ingest_time", "_topic", "_partition", "_offset"],
                      column_type_names=["String", "String", "DateTime64(3, 'UTC')", "String", "UInt32", "UInt64"],
                      column_oriented=True, settings={"insert_deduplication_token": f"{token}/probe"})
        if not events:
            return
        history = history_table(target)
        self._run(f"insert into {history}", self.client.insert, f"{self.database}.{history}", to_columns(columns, events),
                  column_names=[c.name for c in columns], column_type_names=[c.type for c in columns],
                  column_oriented=True, settings={"insert_deduplication_token": token,
                                                  "deduplicate_blocks_in_dependent_materialized_views": 1})

    def _write_encoded(self, target: Target, run: EncodedRun, token: str, schema: dict[str, Any]) -> list[Located]:
        """Insert ``run`` through ClickHouse's Avro input (:mod:`sinks.encoded`); returns nothing when it
        landed, or the run decoded in Python when ClickHouse cannot stage the schema or refused the data
        (a corrupt body: the Python path skips it). An unreachable server fails the Python path too."""
        key = f"{target.table_stem}/{fingerprint(schema)}"
        try:
            if key not in self._staged:
                for statement in create_staging(self.database, target, schema, value_columns(target, schema)):
                    self._run(f"creating the Avro staging of {target.name}", self.client.command, statement)
                self._staged[key] = container_header(schema)
            self._run(f"Avro insert into {history_table(target)}", self.client.raw_insert,
                      f"`{self.database}`.`{staging_table(target, schema)}`", insert_block=container(self._staged[key], run),
                      fmt="Avro", settings={"insert_deduplication_token": token,
                                            "deduplicate_blocks_in_dependent_materialized_views": 1})
            return []
        except (Unsupported, ClickHouseError) as exc:
            log.warning("Avro insert of %s not possible (%s); decoding in Python", run.topic, type(exc).__name__)
            return _decoded(run, schema)

    def write_dead_letters(self, letters: Sequence[DeadLetter], token: str) -> None:
        self._run(f"insert into {dead_letters.TABLE}", self.client.insert, f"{self.database}.{dead_letters.TABLE}",
                  dead_letters.columns_of(letters), column_names=[n for n, _ in dead_letters.COLUMNS],
                  column_type_names=[t for _, t in dead_letters.COLUMNS], column_oriented=True,
                  settings={"insert_deduplication_token": token})

    def max_offsets(self, table: Target | Dataset, topic: str) -> dict[int, int]:
        tables = [dead_letters.TABLE] if topic.endswith(".dlq") else [history_table(table), LANDINGS_TABLE]
        union = " UNION ALL ".join(f"SELECT _partition, _offset FROM `{self.database}`.`{t}` "
                                   "WHERE _topic = {topic:String}" for t in tables)
        result = self._run(
            "reading stored offsets", self.client.query,
            f"SELECT _partition, max(_offset) FROM ({union}) GROUP BY _partition", parameters={"topic": topic})
        return {int(p): int(o) for p, o in result.result_rows}

    def raw_query(self, sql: str, fmt: str, parameters: dict[str, Any] | None = None) -> bytes:
        return self._run("query", self.client.raw_query, sql, parameters=parameters, fmt=fmt)  # type: ignore[no-any-return]


def _decoded(run: EncodedRun, schema: dict[str, Any]) -> list[Located]:
    """``run`` decoded with fastavro (times as ints, like the sink's schema cache); undecodable bodies are
    skipped with their offsets logged, never their bytes."""
    parsed = fastavro.parse_schema(without_time_types(schema))
    found = []
    for partition, offset, body in zip(run.partitions, run.offsets, run.bodies):
        try:
            event = fastavro.schemaless_reader(io.BytesIO(body), parsed, None)
        except Exception:  # fastavro raises many types on corrupt input
            event = None
        if isinstance(event, dict):
            found.append(Located(run.topic, partition, offset, event))
        else:
            log.warning("undecodable %s[%d]@%d: avro_decode", run.topic, partition, offset)
    return found


def _union(column_lists: Sequence[Sequence[Column]]) -> list[Column]:
    seen: dict[str, Column] = {}
    for columns in column_lists:
        for column in columns:
            seen.setdefault(column.name, column)
    return list(seen.values())
