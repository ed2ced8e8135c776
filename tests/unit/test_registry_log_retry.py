"""The registry log's writer tries an aborted transaction again (registry.log.KafkaLog.append), without Kafka:
a producer double whose commits fail as the broker's do right after it started; a commit of unknown outcome
makes the registry read the log and plan again, so nothing is written twice."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from registry import commands
from registry import records as r
from registry.checker import compatibility_checker
from registry.errors import StoreError, StoreTimeout, WriterFenced
from registry.log import ABORTABLE_ATTEMPTS, OPEN_TRANSACTION_GRACE_S, KafkaLog
from registry.memory import MemoryLog
from registry.model import RegisterRequest
from registry.service import Registry


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


class _UnknownOutcome(_Producer):
    """A commit that fails with no abort asked for: its outcome is unknown (it may have landed)."""

    def commit_transaction(self, timeout: float) -> None:
        raise KafkaException(KafkaError(KafkaError.UNKNOWN, "EndTxn commit failed: Unknown broker error"))


def test_a_commit_of_unknown_outcome_gives_up_the_writer_role(monkeypatch: pytest.MonkeyPatch) -> None:
    log = writer(_UnknownOutcome(failures=0), monkeypatch)
    with pytest.raises(WriterFenced, match="outcome is unknown"):
        log.append([RECORD])
    assert log._producer is None  # the next write acquires afresh, reads the log, and plans again


class _AbortFailsToo(_Producer):
    """A commit that asks for an abort, and an abort that fails: the producer is unusable, the outcome unknown."""

    def abort_transaction(self, timeout: float) -> None:
        self.calls.append("abort")
        raise KafkaException(KafkaError(KafkaError._STATE, "Operation not valid in state Fatal error"))


def test_a_failed_abort_gives_up_the_writer_role_rather_than_failing_the_write(monkeypatch: pytest.MonkeyPatch) -> None:
    log = writer(_AbortFailsToo(failures=1), monkeypatch)
    with pytest.raises(WriterFenced, match="outcome is unknown"):
        log.append([RECORD])
    assert log._producer is None  # the registry acquires afresh, reads the log, and plans again


class _LandsThenFails(MemoryLog):
    """A log whose first append lands and then reports failure, as a commit of unknown outcome can."""

    def __init__(self) -> None:
        super().__init__()
        self.appends = 0

    def append(self, records: Any) -> None:
        self.appends += 1
        super().append(records)
        if self.appends == 1:
            self._epoch = None
            raise WriterFenced("the transaction's outcome is unknown")


def test_a_write_that_landed_unbeknown_is_not_written_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("registry.service.time.sleep", lambda s: None)
    log = _LandsThenFails()
    registry = Registry(log, compatibility_checker).start()
    request = RegisterRequest(schema=json.dumps({"type": "record", "name": "R", "fields": []}))
    result = registry.write(lambda s: commands.register(s, "orders-value", request, registry.checker))
    assert result["id"] >= 1
    assert (log.appends, len(log.topic.messages)) == (1, 1)  # planned again on the log: nothing left to write


def test_a_reader_stopped_by_an_open_transaction_waits_for_the_broker_to_abort_it() -> None:
    log = KafkaLog("127.0.0.1:1", "_schemas", timeout_s=10)
    log._position = log._readable_end = 238  # read all it may: offset 238 belongs to a transaction still open
    now = time.monotonic()
    assert log._reached(239, deadline=now - 1) is False  # within the grace: a killed writer's transaction
    with pytest.raises(StoreTimeout, match="reached offset 238 of 239"):
        log._reached(239, deadline=now - OPEN_TRANSACTION_GRACE_S - 1)
    log._readable_end = 200  # still reading committed records: the timeout is the timeout
    with pytest.raises(StoreTimeout):
        log._reached(239, deadline=now - 1)
    log._position = 239
    assert log._reached(239, deadline=now - 1) is True
