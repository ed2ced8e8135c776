"""The registry log's writer tries an aborted transaction again (registry.log.KafkaLog.append), without Kafka:
a producer double whose commits fail as the broker's do right after it started."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from registry import records as r
from registry.errors import StoreError
from registry.log import ABORTABLE_ATTEMPTS, KafkaLog


class _Producer:
    """Fails the first ``failures`` commits with an abortable error; records what it was asked."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[str] = []

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def produce(self, topic: str, key: bytes, value: bytes | None, partition: int) -> None:
        self.calls.append(f"produce {key.decode()}")

    def commit_transaction(self, timeout: float) -> None:
        if self.failures:
            self.failures -= 1
            raise KafkaException(KafkaError(KafkaError._FAIL, "EndTxn commit failed: Unknown broker error",
                                            txn_requires_abort=True))
        self.calls.append("commit")

    def abort_transaction(self, timeout: float) -> None:
        self.calls.append("abort")


def writer(producer: _Producer, monkeypatch: pytest.MonkeyPatch) -> KafkaLog:
    log = KafkaLog("127.0.0.1:1", "_schemas")
    log._producer = producer  # type: ignore[assignment]
    monkeypatch.setattr(log, "sync", lambda: None)
    monkeypatch.setattr("registry.log.time.sleep", lambda s: None)
    return log


RECORD = r.mode_record("orders-value", "READONLY")


def key_of(record: Any) -> str:
    return record.encode()[0].decode()


def test_an_aborted_transaction_is_tried_again_and_written_once(monkeypatch: pytest.MonkeyPatch) -> None:
    producer = _Producer(failures=2)
    writer(producer, monkeypatch).append([RECORD])
    produce = f"produce {key_of(RECORD)}"
    assert producer.calls == ["begin", produce, "abort", "begin", produce, "abort", "begin", produce, "commit"]


def test_an_abort_on_every_attempt_is_a_store_error(monkeypatch: pytest.MonkeyPatch) -> None:
    producer = _Producer(failures=ABORTABLE_ATTEMPTS)
    with pytest.raises(StoreError, match="writing to _schemas"):
        writer(producer, monkeypatch).append([RECORD])
    assert producer.calls.count("begin") == ABORTABLE_ATTEMPTS
    assert "commit" not in producer.calls
