"""What the monitor reads from ClickHouse, against a scripted SQL source (the seam): freshness without
canaries, the data-quality table when it exists (and its absence), quality from topic offsets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.catalogue import load_catalogue
from monitor.state import QualityScore, StageCounts, TableFreshness
from monitor.tables import SqlSource, TableReader, topic_quality


@dataclass
class ScriptedSql:
    """Answers by the first matching fragment of the query; records every query."""

    answers: list[tuple[str, list[list[Any]]]]
    database: str = "hub"
    queries: list[str] = field(default_factory=list)

    def rows(self, sql: str) -> list[list[Any]]:
        self.queries.append(sql)
        return next(rows for fragment, rows in self.answers if fragment in sql)


def reader(sql: ScriptedSql) -> TableReader:
    source: SqlSource = sql  # type: ignore[assignment]
    return TableReader(source, load_catalogue())


def test_freshness_leaves_canaries_out_and_reads_ages() -> None:
    sql = ScriptedSql([("UNION ALL", [["population.citizen", "population_citizen_history", "3", "90000", "99000"],
                                       ["land.parcel", "land_parcel_history", "0", "0", "0"]])])
    assert reader(sql).freshness(now_ms=100_000) == (
        TableFreshness("land_parcel_history", "land.parcel", 0, None, None),
        TableFreshness("population_citizen_history", "population.citizen", 3, 10.0, 1.0))
    assert sql.queries[0].count("WHERE source_system != 'hub-probe'") == len(load_catalogue().datasets)


def test_quality_table_absent_or_unknown_shape() -> None:
    assert reader(ScriptedSql([("EXISTS TABLE", [[0]])])).quality() is None
    assert reader(ScriptedSql([("EXISTS TABLE", [[1]]), ("DESCRIBE", [["minute"], ["score"]])])).quality() is None


def test_quality_table_with_counts_and_scores() -> None:
    sql = ScriptedSql([("EXISTS TABLE", [[1]]),
                       ("DESCRIBE", [["minute"], ["dataset"], ["received"], ["valid"], ["score"]]),
                       ("avg(score)", [["population.citizen", 0.875]]),
                       ("sum(valid)", [["population.citizen", "0.99"]])])
    assert reader(sql).quality() == (QualityScore("population.citizen", "score", 0.875, "table"),
                                     QualityScore("population.citizen", "valid_ratio", 0.99, "table"))
    assert "WHERE `minute` >= now() - INTERVAL 1 HOUR" in sql.queries[-1]


def test_quality_from_topic_offsets() -> None:
    assert topic_quality([StageCounts("population.citizen", 103, 97, 3, 97), StageCounts("land.parcel", 0, 0, 0, 0)]
                         ) == (QualityScore("population.citizen", "valid_ratio", 0.97, "topics"),)
