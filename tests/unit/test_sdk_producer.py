"""HubProducer with no broker: a closed local port (nothing listens, so nothing leaves the machine) and
a registrar fake. Events turn into spooled ones within the delivery timeout, in emit order, and a
bad record is refused before anything is queued. Delivery against real Kafka: tests/integration."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import pytest

from hub.catalogue import load_catalogue
from producers.sdk import DeliveryPolicy, DeliveryReport, HubProducer
from producers.spool import Spool, SpoolLocked
from producers.validation import RecordInvalid
from registry.errors import StoreError
from tests.conftest import free_port

CATALOGUE = load_catalogue()
CITIZEN = CATALOGUE.get("population.citizen")
POLICY = DeliveryPolicy(delivery_timeout_s=1.0, probe_timeout_s=0.3, retry_min_s=60.0)


class Registrar:
    """Ids by subject, or a StoreError for every call when ``reachable`` is False."""

    def __init__(self, reachable: bool = True) -> None:
        self.reachable = reachable
        self.calls = 0

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        self.calls += 1
        if not self.reachable:
            raise StoreError("cannot create or describe topic _schemas: Local: Timed out")
        return 7


def producer(spool_dir: Path, registrar: Registrar | None = None) -> HubProducer:
    return HubProducer(f"127.0.0.1:{free_port()}", "t", CATALOGUE, registrar or Registrar(), system="dancu-core",
                       config={"log_level": 0}, spool_dir=spool_dir, policy=POLICY)


ENTERPRISE_RECORD = {"tax_code": "0101234567", "name": "Công ty TNHH Phần mềm Sông Hồng",
                     "legal_form": "LLC_ONE_MEMBER", "status": "ACTIVE", "registration_date": date(2015, 3, 9),
                     "main_industry_code": "6201", "head_office_address": {"line": "45 Lê Lợi", "province_code": "79"},
                     "charter_capital": Decimal("5000000000")}


def citizen(n: int) -> dict[str, Any]:
    return {"cccd": f"0011900{n:05d}", "full_name": "Phạm Thị Hương", "date_of_birth": date(1990, 5, 1),
            "sex": "FEMALE", "permanent_address": {"line": "88 Hùng Vương, Huế", "province_code": "46"},
            "ethnicity": "Kinh"}


def spooled(spool_dir: Path) -> list[tuple[str, str, str]]:
    """(event id, key, reason) of the spooled events in replay order, decoded from their Avro bodies."""
    spool = Spool.open(spool_dir / "dancu-core.sqlite3")
    try:
        rows = spool.oldest(10_000)
    finally:
        spool.close()
    found = []
    for row in rows:
        event = fastavro.schemaless_reader(io.BytesIO(row.body), CITIZEN.parsed_envelope, None)
        assert isinstance(event, dict)
        assert (row.event_id, row.key) == (event["event_id"], event["key"].encode())
        found.append((row.event_id, event["key"], row.reason.split(":")[0]))
    return found


def test_unreachable_broker_spools_every_event_in_emit_order(tmp_path: Path) -> None:
    sdk = producer(tmp_path)
    ids = [sdk.emit("population.citizen", "c", citizen(n)["cccd"], citizen(n)) for n in range(200)]
    report = sdk.close()
    assert report == DeliveryReport(spooled=200, backlog=200)
    assert spooled(tmp_path) == [(i, citizen(n)["cccd"], "_MSG_TIMED_OUT") for n, i in enumerate(ids)]


def test_a_new_producer_appends_behind_the_backlog(tmp_path: Path) -> None:
    first = producer(tmp_path)
    old = [first.emit("population.citizen", "c", citizen(n)["cccd"], citizen(n)) for n in range(50)]
    first.close()
    second = producer(tmp_path)
    assert second.report == DeliveryReport(backlog=50)
    new = [second.emit("population.citizen", "u", citizen(n)["cccd"], citizen(n)) for n in range(30)]
    assert second.close() == DeliveryReport(spooled=30, backlog=80)
    assert [i for i, _, _ in spooled(tmp_path)] == old + new
    assert {reason for _, _, reason in spooled(tmp_path)[50:]} == {"backlog"}


def test_unreachable_registry_spools_without_a_schema_id_and_backs_off(tmp_path: Path) -> None:
    registrar = Registrar(reachable=False)
    sdk = producer(tmp_path, registrar)
    ids = [sdk.emit("population.citizen", "c", citizen(n)["cccd"], citizen(n)) for n in range(20)]
    assert sdk.close() == DeliveryReport(spooled=20, backlog=20)
    reasons = ["registry unreachable"] + ["backlog"] * 19  # the rest queue behind the first, unasked
    assert (registrar.calls, spooled(tmp_path)) == (1, [(i, citizen(n)["cccd"], reason)
                                                        for n, (i, reason) in enumerate(zip(ids, reasons))])


def test_sends_failing_after_later_events_were_spooled_replay_before_them(tmp_path: Path) -> None:
    registrar = Registrar()
    sdk = producer(tmp_path, registrar)
    sent = [sdk.emit("population.citizen", "c", citizen(n)["cccd"], citizen(n)) for n in range(40)]  # unresolved
    registrar.reachable = False  # the next dataset's schema cannot be registered: its event is spooled at once
    behind = [sdk.emit("enterprise.registration", "c", "0101234567", ENTERPRISE_RECORD)]
    behind += [sdk.emit("population.citizen", "u", citizen(n)["cccd"], citizen(n)) for n in range(10)]
    assert sdk.close() == DeliveryReport(spooled=51, backlog=51)  # the 40 timed out after the 11 were spooled
    spool = Spool.open(tmp_path / "dancu-core.sqlite3")
    try:
        replay_order = [row.event_id for row in spool.oldest(100)]
    finally:
        spool.close()
    assert replay_order == sent + behind


def test_a_bad_record_is_refused_before_anything_is_queued(tmp_path: Path) -> None:
    sdk = producer(tmp_path)
    with pytest.raises(RecordInvalid) as info:
        sdk.emit("population.citizen", "c", "001190000001",
                 {**citizen(1), "date_of_birth": "01/05/1990", "sex": "Nữ"})
    assert [(e.path, e.rule) for e in info.value.errors] == [("date_of_birth", "logical_type"), ("sex", "enum")]
    assert sdk.close() == DeliveryReport()


def test_one_producer_per_spool(tmp_path: Path) -> None:
    owner = producer(tmp_path)
    with pytest.raises(SpoolLocked):
        producer(tmp_path)
    owner.close()
