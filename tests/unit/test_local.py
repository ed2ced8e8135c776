from __future__ import annotations

from pathlib import Path

import pytest

from hub.local.kafka import LocalKafka
from hub.settings import HubSettings, KafkaSettings
from sinks.query_server import read_only_violation


def test_broker_properties_use_the_chosen_ports_and_data_dir(tmp_path: Path) -> None:
    broker = LocalKafka(KafkaSettings(port=19092, controller_port=19093, partitions=3), HubSettings(data_dir=tmp_path))
    props = dict(line.split("=", 1) for line in broker.server_properties().splitlines() if line)
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["process.roles"] == "broker,controller"
    assert props["log.dirs"] == str(tmp_path.resolve() / "kafka" / "log")
    assert props["num.partitions"] == "3"


def test_kafka_settings_choose_local_or_existing() -> None:
    assert KafkaSettings(port=1234).bootstrap_servers == "127.0.0.1:1234"
    assert KafkaSettings(port=1234).is_local
    existing = KafkaSettings(bootstrap="kafka:9092")
    assert (existing.bootstrap_servers, existing.is_local) == ("kafka:9092", False)


def test_settings_reject_unknown_keys() -> None:
    with pytest.raises(ValueError):
        KafkaSettings(prot=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("SELECT 1", None),
        ("  -- comment\n select count() from t", None),
        ("WITH x AS (SELECT 1) SELECT * FROM x;", None),
        ("SHOW TABLES", None),
        ("(SELECT 1)", None),
        ("DROP TABLE t", "read-only endpoint: DROP statements are not allowed"),
        ("INSERT INTO t VALUES (1)", "read-only endpoint: INSERT statements are not allowed"),
        ("SELECT 1; DROP TABLE t", "one statement per request"),
        ("/* x */ ALTER TABLE t DELETE WHERE 1", "read-only endpoint: ALTER statements are not allowed"),
        ("", "read-only endpoint: empty statements are not allowed"),
    ],
)
def test_read_only_endpoint_refuses_writes(sql: str, refusal: str | None) -> None:
    assert read_only_violation(sql) == refusal
