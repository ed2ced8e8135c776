from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.catalogue import load_catalogue
from hub.local.kafka import LocalKafka
from hub.local.stack import Stack
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, RegistrySettings
from monitor.settings import MonitorSettings
from producers.gateway.settings import GatewaySettings
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


def stack(tmp_path: Path, workers: int) -> Stack:
    return Stack(HubSettings(data_dir=tmp_path, stream_workers=workers), KafkaSettings(), ClickHouseSettings(),
                 RegistrySettings(), GatewaySettings(), MonitorSettings(), load_catalogue())


def test_the_stack_runs_one_stream_worker_per_setting_each_with_its_own_state(tmp_path: Path) -> None:
    assert [name for name, _ in stack(tmp_path, 1).services] == ["registry", "streams", "sink", "gateway", "monitor"]
    three = stack(tmp_path, 3)
    assert three.services == (("registry", "registry"), ("streams", "streams"), ("streams-2", "streams"),
                              ("streams-3", "streams"), ("sink", "sinks"), ("gateway", "producers.gateway"),
                              ("monitor", "monitor"))
    env = {"HUB_DATA_DIR": str(tmp_path)}
    assert three._service_env("streams", env) == env
    assert three._service_env("streams-3", env) == {"HUB_DATA_DIR": str(tmp_path.resolve() / "workers" / "streams-3")}


def test_a_worker_left_running_by_a_larger_stack_is_still_one_of_its_services(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "streams-4.pid").write_text(str(os.getpid()))  # alive
    (tmp_path / "run" / "streams-5.pid").write_text("999999999")  # gone
    assert [name for name, _ in stack(tmp_path, 2).services if name.startswith("streams")] == [
        "streams", "streams-2", "streams-4"]
