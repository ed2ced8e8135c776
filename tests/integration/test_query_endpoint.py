"""clickhouse-connect's ordinary HTTP client against the embedded engine's endpoint gets what `hub sql` gets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import clickhouse_connect
import httpx
import pytest

from hub.catalogue import load_catalogue
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings
from hub.sql import run_query
from sinks.clickhouse import ClickHouseWriter
from sinks.query_server import QueryServer
from sinks.rows import Located


@pytest.fixture
def served(hub_settings: HubSettings, chdb_url: str, database: str) -> Iterator[ClickHouseWriter]:
    catalogue = load_catalogue()
    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings),
                              database, catalogue)
    writer.ensure_tables()
    t = datetime(2026, 3, 1, tzinfo=timezone.utc)
    events = [Located("t", p, i, {"event_id": f"e{p}-{i}", "op": "d", "key": f"k{i % 7}", "after": None,
                                  "event_time": t, "ingest_time": t,
                                  "source": {"ministry": "BCA", "system": "s", "position": i}})
              for p in range(2) for i in range(50)]
    writer.write(catalogue.get("population.citizen"), events, "t/all")
    server = QueryServer(writer, hub_settings.sql_host, hub_settings.sql_port)
    server.start()
    try:
        yield writer
    finally:
        server.stop()


def test_clickhouse_connect_client_matches_hub_sql(served: ClickHouseWriter, hub_settings: HubSettings,
                                                    database: str) -> None:
    client = clickhouse_connect.get_client(host=hub_settings.sql_host, port=hub_settings.sql_port)
    sql = (f"SELECT key, count() AS n, max(_offset) AS last FROM {database}.population_citizen_history "
           "GROUP BY key ORDER BY key")
    via_client = [list(r) for r in client.query(sql).result_rows]
    names, via_hub = run_query(hub_settings, ClickHouseSettings(database=database), sql)
    assert names == ["key", "n", "last"]
    assert via_client == [[k, int(n), int(last)] for k, n, last in via_hub]
    assert via_client[0] == ["k0", 16, 49]
    assert client.query("SELECT {x:Int32} * 2 AS y", parameters={"x": 21}).result_rows == [(42,)]
    assert client.command("SELECT 1") == 1


def test_endpoint_speaks_clickhouse_http(served: ClickHouseWriter, hub_settings: HubSettings,
                                         database: str) -> None:
    url = f"http://{hub_settings.sql_host}:{hub_settings.sql_port}/"
    answer = httpx.get(url, params={"query": f"SELECT count() FROM {database}.population_citizen_history"})
    assert (answer.status_code, answer.text, answer.headers["X-ClickHouse-Format"]) == (200, "100\n", "TabSeparated")
    answer = httpx.post(url, content=b"SELECT 1 AS a FORMAT JSONEachRow")
    assert answer.text == '{"a":1}\n'
    refused = httpx.post(url, content=f"DROP TABLE {database}.population_citizen_history".encode())
    assert (refused.status_code, refused.headers["X-ClickHouse-Exception-Code"]) == (403, "164")
    broken = httpx.post(url, content=b"SELECT no_such_function(1)")
    assert broken.status_code == 500 and broken.headers["X-ClickHouse-Exception-Code"] == "46"
    with pytest.raises(Exception, match="UNKNOWN_TABLE|Unknown table"):
        clickhouse_connect.get_client(host=hub_settings.sql_host, port=hub_settings.sql_port).query(
            f"SELECT * FROM {database}.nope")
