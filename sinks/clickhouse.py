"""The ClickHouse side of the sink: table creation, deduplicated columnar inserts, recovery queries."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from clickhouse_connect.driver.client import Client

from hub.catalogue import Catalogue, Dataset
from hub.errors import ClickHouseError
from sinks.ddl import create_history_table, history_columns, history_table
from sinks.rows import Located, to_columns


class ClickHouseWriter:
    """Writes history rows; thread-safe, so the same client can also answer analysts' queries."""

    def __init__(self, client: Client, database: str, catalogue: Catalogue) -> None:
        self.client = client
        self.database = database
        self.catalogue = catalogue
        self.lock = threading.RLock()

    def _run(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                raise ClickHouseError(f"{what} failed: {exc}") from exc

    def ensure_tables(self) -> None:
        for dataset in self.catalogue:
            self._run(f"creating {history_table(dataset)}", self.client.command,
                      create_history_table(self.database, dataset))

    def write(self, dataset: Dataset, events: Sequence[Located], token: str) -> None:
        columns = history_columns(dataset)
        self._run(f"insert into {history_table(dataset)}", self.client.insert,
                  f"{self.database}.{history_table(dataset)}", to_columns(columns, events),
                  column_names=[c.name for c in columns], column_type_names=[c.type for c in columns],
                  column_oriented=True, settings={"insert_deduplication_token": token})

    def max_offsets(self, dataset: Dataset, topic: str) -> dict[int, int]:
        result = self._run(
            "reading stored offsets", self.client.query,
            f"SELECT _partition, max(_offset) FROM `{self.database}`.`{history_table(dataset)}` "
            "WHERE _topic = {topic:String} GROUP BY _partition", parameters={"topic": topic})
        return {int(p): int(o) for p, o in result.result_rows}

    def raw_query(self, sql: str, fmt: str, parameters: dict[str, Any] | None = None) -> bytes:
        return self._run("query", self.client.raw_query, sql, parameters=parameters, fmt=fmt)  # type: ignore[no-any-return]
