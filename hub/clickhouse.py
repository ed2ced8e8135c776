"""One place that turns ClickHouse settings into a clickhouse-connect client.

``chdb://<path>`` gives the embedded engine (only one process may open a path); ``http(s)://host:port``
gives a ClickHouse server. The rest of the hub sees the same client interface either way.
"""

from __future__ import annotations

from urllib.parse import urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from hub.errors import ClickHouseError, ConfigError
from hub.settings import ClickHouseSettings, HubSettings


def connect(ch: ClickHouseSettings, hub: HubSettings) -> Client:
    """Open a client on the configured target and make sure the hub's database exists."""
    url = ch.resolved_url(hub)
    scheme = urlparse(url).scheme
    try:
        if scheme == "chdb":
            client = clickhouse_connect.get_client(dsn=url)
        elif scheme in ("http", "https"):
            parsed = urlparse(url)
            client = clickhouse_connect.get_client(
                host=parsed.hostname, port=parsed.port or (8443 if scheme == "https" else 8123),
                secure=scheme == "https", username=parsed.username or ch.username,
                password=parsed.password or ch.password.get_secret_value())
        else:
            raise ConfigError(f"HUB_CLICKHOUSE_URL must start with chdb:// or http(s)://, got scheme {scheme!r}")
        client.command(f"CREATE DATABASE IF NOT EXISTS `{ch.database}`")
    except ConfigError:
        raise
    except Exception as exc:
        raise ClickHouseError(f"cannot open ClickHouse at {scheme}://…: {exc}") from exc
    return client
