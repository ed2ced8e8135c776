"""Reading the analyst tables for the monitor: freshness, row counts, dead letters, data quality.

Queries go through the sink's read-only query endpoint on the embedded engine (only the sink's process may
open the chdb path) and straight to the server otherwise — the same way ``hub sql`` does. Probe canaries
(``source_system = 'hub-probe'``) are left out of every figure here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from clickhouse_connect.driver.client import Client

from hub.catalogue import Catalogue
from hub.clickhouse import connect
from hub.errors import ClickHouseError
from hub.settings import ClickHouseSettings, HubSettings
from hub.sql import run_query
from hub.probe_marks import PROBE_SYSTEM
from monitor.state import DeadLetterCount, DeadLetterRow, QualityScore, TableFreshness
from sinks import dead_letters
from sinks.ddl import history_table


class SqlSource:
    """Runs read-only SQL on the configured ClickHouse target; raises :class:`ClickHouseError`."""

    def __init__(self, hub: HubSettings, ch: ClickHouseSettings) -> None:
        self.hub, self.ch = hub, ch
        self.database = ch.database
        self._client: Client | None = None

    def rows(self, sql: str) -> list[list[Any]]:
        if self.ch.is_embedded(self.hub):
            return run_query(self.hub, self.ch, sql)[1]
        try:
            if self._client is None:
                self._client = connect(self.ch, self.hub)
            return [list(r) for r in self._client.query(sql).result_rows]
        except ClickHouseError:
            raise
        except Exception as exc:
            raise ClickHouseError(f"query failed: {exc}") from exc


def _ms(value: Any) -> int | None:
    ms = int(value)
    return ms if ms > 0 else None


class TableReader:
    """The figures of the dashboard and metrics that live in ClickHouse."""

    def __init__(self, sql: SqlSource, catalogue: Catalogue, quality_table: str = "data_quality") -> None:
        self._sql = sql
        self._db = sql.database
        self._catalogue = catalogue
        self._quality_table = quality_table

    def freshness(self, now_ms: int | None = None) -> tuple[TableFreshness, ...]:
        """Rows and age of the newest event / newest landing of every dataset's history table."""
        parts = [f"SELECT '{d.name}', '{history_table(d)}', count(), toUnixTimestamp64Milli(max(event_time)), "
                 f"toUnixTimestamp64Milli(max(_sink_time)) FROM `{self._db}`.`{history_table(d)}` "
                 f"WHERE source_system != '{PROBE_SYSTEM}'" for d in self._catalogue]
        rows = self._sql.rows(" UNION ALL ".join(parts))
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        out = []
        for dataset, table, count, event_ms, sink_ms in sorted(rows, key=lambda r: str(r[1])):
            e, s = _ms(event_ms), _ms(sink_ms)
            out.append(TableFreshness(str(table), str(dataset), int(count),
                                      None if e is None else max(0.0, (now - e) / 1000),
                                      None if s is None else max(0.0, (now - s) / 1000)))
        return tuple(out)

    def dead_letter_counts(self) -> tuple[DeadLetterCount, ...]:
        rows = self._sql.rows(f"SELECT dataset, reason, count() FROM `{self._db}`.`{dead_letters.TABLE}` "
                              "GROUP BY dataset, reason ORDER BY dataset, reason")
        return tuple(DeadLetterCount(str(d), str(r), int(n)) for d, r, n in rows)

    def latest_dead_letters(self, limit: int = 20) -> tuple[DeadLetterRow, ...]:
        rows = self._sql.rows(
            f"SELECT dataset, reason, field, source_topic, source_partition, source_offset, "
            f"toUnixTimestamp64Milli(rejected_at) FROM `{self._db}`.`{dead_letters.TABLE}` "
            f"ORDER BY rejected_at DESC, _topic, _partition, _offset DESC LIMIT {int(limit)}")
        return tuple(DeadLetterRow(str(d), str(r), str(f), str(t), int(p), int(o), int(ms))
                     for d, r, f, t, p, o, ms in rows)

    def quality(self) -> tuple[QualityScore, ...] | None:
        """Scores per dataset from the data-quality table, or None when there is no such table (yet).

        Understood shapes: a ``score`` column (its average over the last hour, measure ``score``) and
        ``received``/``valid`` counts (their ratio over the last hour, measure ``valid_ratio``); rows are
        taken from the last hour when the table has a ``minute`` or ``window_start`` column, else all."""
        table = self._quality_table
        exists = self._sql.rows(f"EXISTS TABLE `{self._db}`.`{table}`")
        if not exists or not int(exists[0][0]):
            return None
        columns = {str(r[0]) for r in self._sql.rows(f"DESCRIBE TABLE `{self._db}`.`{table}`")}
        if "dataset" not in columns:
            return None
        time_column = next((c for c in ("minute", "window_start") if c in columns), None)
        where = f"WHERE `{time_column}` >= now() - INTERVAL 1 HOUR" if time_column else ""
        measures: list[tuple[str, str]] = []
        if "score" in columns:
            measures.append(("score", "avg(score)"))
        if {"received", "valid"} <= columns:
            measures.append(("valid_ratio", "sum(valid) / greatest(sum(received), 1)"))
        out: list[QualityScore] = []
        for measure, expr in measures:
            rows = self._sql.rows(f"SELECT dataset, toFloat64({expr}) FROM `{self._db}`.`{table}` {where} "
                                  "GROUP BY dataset ORDER BY dataset")
            out += [QualityScore(str(d), measure, round(float(v), 6), "table") for d, v in rows]
        return tuple(out)


def topic_quality(stages: Sequence[Any]) -> tuple[QualityScore, ...]:
    """Share of events that passed validation, per dataset, from topic offsets: clean ÷ (clean + dlq)."""
    return tuple(QualityScore(s.dataset, "valid_ratio", round(s.clean / (s.clean + s.dlq), 6), "topics")
                 for s in stages if s.clean + s.dlq > 0)
