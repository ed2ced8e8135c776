"""Running analyst queries: through the sink's endpoint on the embedded engine, directly on a server."""

from __future__ import annotations

import json
from typing import Any

import httpx

from hub.clickhouse import connect
from hub.errors import ClickHouseError
from hub.settings import ClickHouseSettings, HubSettings


def run_query(hub: HubSettings, ch: ClickHouseSettings, sql: str) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows of ``sql``. Raises :class:`ClickHouseError` with the engine's message."""
    if not ch.is_embedded(hub):
        result = connect(ch, hub).query(sql)
        return list(result.column_names), [list(r) for r in result.result_rows]
    url = f"http://{hub.sql_host}:{hub.sql_port}/"
    try:
        response = httpx.post(url, params={"default_format": "JSONCompact"}, content=sql.encode(), timeout=60)
    except httpx.HTTPError as exc:
        raise ClickHouseError(f"no query endpoint at {url} (is the hub up? `hub up`): {exc}") from exc
    if response.status_code != 200:
        raise ClickHouseError(response.text.strip())
    data = json.loads(response.content)
    return [m["name"] for m in data["meta"]], data["data"]
