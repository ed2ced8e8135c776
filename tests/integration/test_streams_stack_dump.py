"""A running stream worker answers SIGUSR1 with where it is (streams.stack_dump), without values."""

from __future__ import annotations

import re

import pytest

from hub.catalogue import load_catalogue
from hub.settings import HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics
from streams.golden.agents import golden_topics_to_create
from tests.integration.pipeline import streams_worker
from tests.integration.stacks import dump_stacks
from tests.integration.streams_checks import wait_for


def test_sigusr1_writes_every_thread_and_task_stack_to_the_log_without_local_values(
        kafka: KafkaSettings, hub_settings: HubSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = hub_settings.namespace
    ensure_topics(kafka, [*hub_topics(load_catalogue(), ns), *golden_topics_to_create(ns)])
    monkeypatch.setenv("HUB_TEST_LOG_LEVEL", "info")  # to see the worker get ready
    log_path = hub_settings.data_dir / "streams.log"
    with streams_worker(kafka, hub_settings) as worker:
        wait_for(lambda: "[^Worker]: Ready" in log_path.read_text(errors="replace"), lambda: worker.poll() is None,
                 120, "the worker did not get ready")
        dump_stacks(worker)
        assert worker.poll() is None  # it answered and runs on
    log = log_path.read_text(errors="replace")
    threads = re.findall(r"^=== thread (.+)$", log, re.MULTILINE)
    assert "MainThread" in threads and len(threads) >= 2  # faust's consumer runs in a thread of its own
    assert re.search(r"^--- task ", log, re.MULTILINE)
    assert "in _drain_messages" in log  # faust's fetcher loop, down the awaits of its task
    assert "aiokafka/consumer/fetcher.py" in log  # a task of the consumer thread's loop
    assert "LOCAL VARIABLES" not in log  # mode's own dump prints locals
    report = log.split("=== partitions (flow active: True)\n")[1].splitlines()
    assert len([line for line in report if re.match(r"\S+\.raw\[\d\] committed=", line)]) == 5 * kafka.partitions
