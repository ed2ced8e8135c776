"""The worker's output producer: a batch's bookkeeping of acknowledgements, with a fake client at the seam."""

from __future__ import annotations

import asyncio

import pytest

from streams.output import Acks, DeliveryFailed, OutputProducer, producer_config
from tests.unit.fakes_output import FakeClient, FakeDelivered, FakeError


def test_acks_are_done_when_every_message_sent_is_acknowledged() -> None:
    acks = Acks()
    acks.expect()
    acks.expect()
    acks.on_delivery(None, FakeDelivered("t", 0))
    first = acks.done
    acks.on_delivery(None, FakeDelivered("t", 1))
    assert (first, acks.done, acks.failure) == (False, True, None)


def test_the_first_refusal_ends_the_wait_and_is_kept() -> None:
    acks = Acks()
    for _ in range(3):
        acks.expect()
    acks.on_delivery(FakeError("MSG_SIZE_TOO_LARGE"), FakeDelivered("clean", 2))
    acks.on_delivery(FakeError("_MSG_TIMED_OUT"), FakeDelivered("dlq", 1))
    assert acks.done is True
    with pytest.raises(DeliveryFailed) as failed:
        acks.raise_if_failed()
    assert (failed.value.topic, failed.value.partition, failed.value.code) == ("clean", 2, "MSG_SIZE_TOO_LARGE")


def test_a_batch_sends_with_the_partition_only_when_given() -> None:
    client = FakeClient()
    batch = OutputProducer({}, lambda _config: client).batch()
    batch.send("clean", b"k1", b"v1", 3, [("late", b"1")])
    batch.send("golden", b"k2", b"v2")
    asyncio.run(batch.acknowledged())
    assert client.sent == [("clean", b"k1", b"v1", 3, [("late", b"1")]), ("golden", b"k2", b"v2", None, None)]
    assert (batch.acks.sent, batch.acks.acknowledged) == (2, 2)


def test_acknowledged_waits_until_the_reports_arrive() -> None:
    client = FakeClient(hold=True)
    batch = OutputProducer({}, lambda _config: client).batch()
    batch.send("t", b"k", b"v")

    async def scenario() -> tuple[bool, bool]:
        waiting = asyncio.ensure_future(batch.acknowledged())
        await asyncio.sleep(0.02)
        before = waiting.done()
        client.hold = False
        await asyncio.wait_for(waiting, 10)
        return before, waiting.done()

    assert asyncio.run(scenario()) == (False, True)


def test_a_refused_message_fails_the_batch() -> None:
    client = FakeClient(fail=True)
    batch = OutputProducer({}, lambda _config: client).batch()
    batch.send("dlq", None, b"v", 1)
    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(batch.acknowledged())
    assert (failed.value.topic, failed.value.partition) == ("dlq", 1)


def test_a_full_queue_is_drained_and_the_message_sent() -> None:
    client = FakeClient(buffer_full=2)
    batch = OutputProducer({}, lambda _config: client).batch()
    batch.send("t", b"k", b"v")
    assert (len(client.sent), batch.acks.sent, len(client.polls)) == (1, 1, 2)


def test_the_client_is_created_once_on_first_use() -> None:
    made: list[dict[str, object]] = []
    output = OutputProducer({"a": 1}, lambda config: made.append(config) or FakeClient())  # type: ignore[func-returns-value]
    before = list(made)
    output.batch()
    output.batch()
    assert (before, made) == ([], [{"a": 1}])


def test_keys_are_hashed_like_java_and_aiokafka_clients() -> None:
    config = producer_config("b:9092", "app-output")
    assert (config["partitioner"], config["enable.idempotence"], config["acks"]) == ("murmur2_random", True, "all")
