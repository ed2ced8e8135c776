"""Integration fixtures: a real Kafka broker for the session, unique names per test.

The broker is the project's own launcher (:class:`hub.local.kafka.LocalKafka`) on free ports in a temp
dir, or an existing cluster named by ``HUB_KAFKA_BOOTSTRAP``. If neither works the tests fail: a
missing broker is never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.local.kafka import LocalKafka, broker_answers
from hub.settings import HubSettings, KafkaSettings
from tests.conftest import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaSettings]:
    existing = os.environ.get("HUB_KAFKA_BOOTSTRAP")
    if existing:
        if not broker_answers(existing, 10.0):
            pytest.fail(f"HUB_KAFKA_BOOTSTRAP={existing} does not answer metadata requests")
        yield KafkaSettings(bootstrap=existing)
        return
    settings = KafkaSettings(port=free_port(), controller_port=free_port(), partitions=4)
    hub = HubSettings(data_dir=tmp_path_factory.mktemp("kafka"))
    broker = LocalKafka(settings, hub)
    broker.start()
    try:
        yield settings
    finally:
        broker.stop()


@pytest.fixture
def namespace() -> str:
    """A namespace (topic and group prefix) no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def database(namespace: str) -> str:
    return f"db_{namespace}"


@pytest.fixture
def hub_settings(tmp_path: Path, namespace: str) -> HubSettings:
    return HubSettings(data_dir=tmp_path / "hub", namespace=namespace, sql_port=free_port())


@pytest.fixture(scope="session")
def chdb_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One embedded ClickHouse path for the session (a process can open only one); tests use own databases."""
    return f"chdb://{tmp_path_factory.mktemp('chdb')}"
