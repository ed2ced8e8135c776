"""``hub dlq`` on a real broker and worker, and the ordering caveat of the death-before-birth rule."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from typer.testing import CliRunner

from hub import wire
from hub.catalogue import Catalogue, load_catalogue
from hub.settings import HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics, message_count
from producers.sdk import HubProducer
from registry.store import KafkaSchemaStore
from streams.dlq import app as dlq_app
from tests.integration.pipeline import streams_worker
from tests.integration.test_streams_pipeline import read_topic

T0 = datetime(2026, 3, 1, 5, 0, tzinfo=timezone.utc)


def citizen(**changes: Any) -> dict[str, Any]:
    record = {"cccd": "001090000001", "full_name": "Nguyễn Văn An", "date_of_birth": date(1990, 5, 1), "sex": "MALE",
              "place_of_origin": "Tỉnh Nam Định",
              "permanent_address": {"line": "Số 1 Tràng Tiền", "ward_code": "00097", "province_code": "01"},
              "ethnicity": "Kinh", "nationality": "VN", "phone": "0912345678"}
    return {**record, **changes}


def participant(**changes: Any) -> dict[str, Any]:
    record = {"si_code": "0112345678", "cccd": "001090000001", "employer_tax_code": "0100109106",
              "scheme": "COMPULSORY", "monthly_contribution_base": Decimal(9_000_000), "status": "ACTIVE",
              "start_date": date(2020, 1, 1), "end_date": None, "province_code": "01"}
    return {**record, **changes}


def death(event_id: str, day: date) -> dict[str, Any]:
    return {"civil_event_id": event_id, "event_type": "DEATH", "subject_cccd": "001090000001",
            "second_party_cccd": None, "event_date": day, "occurred_at": None, "registration_ward_code": "00097",
            "registration_province_code": "01", "registration_number": "5/2026", "registration_date": date(2026, 2, 21)}


@pytest.fixture
def hub_env(kafka: KafkaSettings, hub_settings: HubSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Catalogue]:
    """The environment ``hub dlq`` reads its settings from, and the topics."""
    for name, value in (("HUB_KAFKA_BOOTSTRAP", kafka.bootstrap_servers), ("HUB_NAMESPACE", hub_settings.namespace),
                        ("HUB_DATA_DIR", str(hub_settings.data_dir)), ("COLUMNS", "250")):
        monkeypatch.setenv(name, value)
    catalogue = load_catalogue()
    ensure_topics(kafka, hub_topics(catalogue, hub_settings.namespace))
    yield catalogue


def producer(kafka: KafkaSettings, ns: str, catalogue: Catalogue) -> HubProducer:
    return HubProducer(kafka.bootstrap_servers, ns, catalogue, KafkaSchemaStore(kafka.bootstrap_servers),
                       system="test-source")


def wait_count(kafka: KafkaSettings, topic: str, count: int, alive: Any, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while message_count(kafka.bootstrap_servers, topic) < count:
        assert alive(), "the streams worker died"
        assert time.monotonic() < deadline, f"{topic} did not reach {count} messages"
        time.sleep(0.3)


def test_list_show_and_replay(kafka: KafkaSettings, hub_settings: HubSettings, hub_env: Catalogue) -> None:
    ns, catalogue = hub_settings.namespace, hub_env
    insurance = catalogue.get("social_insurance.participant").topics(ns)
    sdk = producer(kafka, ns, catalogue)
    sdk.emit("population.citizen", "c", "001090000001", citizen(), event_time=T0)
    bad_id = sdk.emit("social_insurance.participant", "c", "0112345678",
                      participant(end_date=date(2019, 12, 31)), event_time=T0, position=7)
    assert sdk.flush(30).acknowledged == 2
    raw = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    raw.produce(insurance.raw, key=b"0112345678", value=b"\x00\x00\x00\x00")  # too short to be framed Avro
    assert raw.flush(30) == 0
    runner = CliRunner()
    with streams_worker(kafka, hub_settings) as worker:
        wait_count(kafka, insurance.dlq, 2, lambda: worker.poll() is None)
        letters = read_topic(kafka.bootstrap_servers, insurance.dlq)
        rejected = next(m for m in letters if m.headers.get("event_id") == bad_id.encode())
        position = f"{rejected.partition}:{rejected.offset}"

        listed = runner.invoke(dlq_app, ["list", "social_insurance.participant"])
        assert listed.exit_code == 0, listed.output
        assert "date_impossible 1" in listed.output and "short_frame 1" in listed.output

        shown = runner.invoke(dlq_app, ["show", "social_insurance.participant", position])
        assert shown.exit_code == 0, shown.output
        assert ("date_impossible" in shown.output, "end_date" in shown.output, "0112345678" in shown.output) == (
            True, True, False)  # the reason and field, never a value without --raw

        as_json = runner.invoke(dlq_app, ["show", "social_insurance.participant", position, "--raw", "--json"])
        assert as_json.exit_code == 0, as_json.output
        event = json.loads(as_json.output)
        assert (event["event_id"], event["dlq"], event["after"]["end_date"]) == (bad_id, position, "2019-12-31")

        fixed = Path(hub_settings.data_dir) / "fixed.jsonl"
        fixed.write_text(json.dumps({**event, "after": {**event["after"], "end_date": None}}) + "\n")
        replayed = runner.invoke(dlq_app, ["replay", "social_insurance.participant", "--file", str(fixed)])
        assert replayed.exit_code == 0, replayed.output
        wait_count(kafka, insurance.clean, 1, lambda: worker.poll() is None)

        garbage = next(m for m in letters if m.headers.get("reason") == b"short_frame")
        undecodable = runner.invoke(dlq_app, ["replay", "social_insurance.participant", "--offsets",
                                              f"{garbage.partition}:{garbage.offset}"])
        assert undecodable.exit_code == 2

    clean = read_topic(kafka.bootstrap_servers, insurance.clean)
    schemas = wire.SchemaCache(KafkaSchemaStore(kafka.bootstrap_servers).schema)
    replayed_event = schemas.decode(clean[0].value)[1]
    assert (len(clean), replayed_event["event_id"], replayed_event["after"]["end_date"],
            replayed_event["event_time"], replayed_event["source"]["position"]) == (1, bad_id, None, T0, 7)
    record = [json.loads(line) for line in (Path(hub_settings.data_dir) / "dlq" / "replays.jsonl").read_text().splitlines()]
    assert [(r["dataset"], r["dlq"], r["event_id"], r["outcome"]) for r in record] == [
        ("social_insurance.participant", position, bad_id, "sent")]


def test_a_death_processed_before_its_subject_is_accepted(kafka: KafkaSettings, hub_settings: HubSettings,
                                                           hub_env: Catalogue) -> None:
    ns, catalogue = hub_settings.namespace, hub_env
    civil = catalogue.get("civil_status.event").topics(ns)
    citizens = catalogue.get("population.citizen").topics(ns)
    sdk = producer(kafka, ns, catalogue)
    early = sdk.emit("civil_status.event", "c", "KT1", death("KT1", date(1980, 1, 1)), event_time=T0)
    assert sdk.flush(30).acknowledged == 1
    with streams_worker(kafka, hub_settings) as worker:
        alive = lambda: worker.poll() is None  # noqa: E731
        wait_count(kafka, civil.clean, 1, alive)  # the register does not know the subject yet: not checked
        sdk.emit("population.citizen", "c", "001090000001", citizen(), event_time=T0)
        assert sdk.flush(30).acknowledged == 2
        wait_count(kafka, citizens.clean, 1, alive)
        time.sleep(1)
        late = sdk.emit("civil_status.event", "c", "KT2", death("KT2", date(1980, 1, 1)), event_time=T0)
        assert sdk.flush(30).acknowledged == 3
        wait_count(kafka, civil.dlq, 1, alive)
    letters = read_topic(kafka.bootstrap_servers, civil.dlq)
    accepted = read_topic(kafka.bootstrap_servers, civil.clean)
    assert [(m.headers["event_id"], m.headers["reason"], m.headers["field"]) for m in letters] == [
        (late.encode(), b"death_before_birth", b"event_date")]
    assert len(accepted) == 1 and early != late
