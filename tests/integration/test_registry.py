"""The registry service on a real broker, driven by confluent-kafka's own Schema Registry client and serdes.

Each test has its own schemas topic (``_schemas_<namespace>``) and its own service on a free port.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext
from typer.testing import CliRunner

from hub.catalogue import Dataset, load_catalogue
from hub.settings import KafkaSettings
from hub.topics import ensure_topics
from hub.wire import unframe
from registry.cli import app as schemas_cli
from registry.errors import StoreTimeout
from registry.log import KafkaLog
from registry.main import RegistryServer
from registry.records import NOOP, Key, Record
from registry.settings import RegistryServiceSettings
from registry.store import KafkaSchemaStore
from tests.conftest import free_port

V1_JSON = "application/vnd.schemaregistry.v1+json"


@pytest.fixture
def schemas_topic(namespace: str) -> str:
    return f"_schemas_{namespace}"


def serve(kafka: KafkaSettings, topic: str, **settings: Any) -> RegistryServer:
    return RegistryServer(kafka, RegistryServiceSettings(port=free_port(), topic=topic, **settings))


@pytest.fixture
def registry(kafka: KafkaSettings, schemas_topic: str) -> Iterator[RegistryServer]:
    with serve(kafka, schemas_topic) as server:
        yield server


# -- sample values for any Avro schema ---------------------------------------------------------
def sample(schema: Any, names: dict[str, Any] | None = None) -> Any:
    """A value of ``schema`` that survives an Avro round trip unchanged (first non-null union branch)."""
    names = {} if names is None else names
    if isinstance(schema, list):
        return sample(next(b for b in schema if b != "null"), names)
    if isinstance(schema, str):
        if schema in names:
            return sample(names[schema], names)
        return {"null": None, "boolean": True, "int": 7, "long": 1_234_567_890_123, "float": 1.5, "double": 2.25,
                "bytes": b"\x00\xff", "string": "Nguyễn Thị Ánh"}[schema]
    logical, kind = schema.get("logicalType"), schema["type"]
    if logical == "date":
        return date(1990, 5, 17)
    if logical == "timestamp-millis":
        return datetime(2026, 11, 27, 8, 30, 15, 123000, tzinfo=timezone.utc)
    if logical == "decimal":
        return Decimal(1).scaleb(-schema.get("scale", 0))
    if kind in ("record", "enum", "fixed"):
        names[schema["name"].rsplit(".", 1)[-1]] = schema
        if "namespace" in schema:
            names[f"{schema['namespace']}.{schema['name']}"] = schema
    if kind == "record":
        return {f["name"]: sample(f["type"], names) for f in schema["fields"]}
    if kind == "enum":
        return schema["symbols"][0]
    if kind == "fixed":
        return b"\x01" * schema["size"]
    if kind == "array":
        return [sample(schema["items"], names)]
    if kind == "map":
        return {"k": sample(schema["values"], names)}
    return sample(kind, names)


def breaking(dataset: Dataset) -> dict[str, Any]:
    """The dataset's envelope with a new required field in the record: old data cannot be read with it."""
    schema = copy.deepcopy(dataset.envelope_schema)
    after = next(f for f in schema["fields"] if f["name"] == "after")
    record = next(t for t in after["type"] if isinstance(t, dict))
    record["fields"].append({"name": "tax_code", "type": "string"})
    return schema


def evolved(dataset: Dataset) -> dict[str, Any]:
    """The dataset's envelope with a new optional field: a compatible change."""
    schema = breaking(dataset)
    after = next(f for f in schema["fields"] if f["name"] == "after")
    field = next(t for t in after["type"] if isinstance(t, dict))["fields"][-1]
    field.update(type=["null", "string"], default=None)
    return schema


def observe(url: str) -> dict[str, Any]:
    """Everything a client can read from the registry at ``url``."""
    with httpx.Client(base_url=url, timeout=30) as http:
        def get(path: str) -> Any:
            response = http.get(path)
            return response.status_code, response.json()

        subjects = get("/subjects?deleted=true")[1]
        view: dict[str, Any] = {"subjects": subjects, "live": get("/subjects")[1], "config": get("/config"),
                                "mode": get("/mode")}
        for subject in subjects:
            versions = get(f"/subjects/{subject}/versions?deleted=true")[1]
            view[subject] = {
                "versions": [get(f"/subjects/{subject}/versions/{v}?deleted=true") for v in versions],
                "config": get(f"/config/{subject}"), "mode": get(f"/mode/{subject}")}
        return view


# -- tests -------------------------------------------------------------------------------------
def test_confluent_serdes_round_trip_every_dataset_through_a_topic(kafka: KafkaSettings, registry: RegistryServer,
                                                                   namespace: str) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    catalogue = load_catalogue()
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    sent: dict[str, Any] = {}
    for dataset in catalogue:
        topic = dataset.topics(namespace).raw
        ensure_topics(kafka, [topic])
        serializer = AvroSerializer(client, json.dumps(dataset.envelope_schema))  # registers on first use
        record = sample(dataset.envelope_schema)
        producer.produce(topic, key=record["key"].encode(),
                         value=serializer(record, SerializationContext(topic, MessageField.VALUE)), partition=0)
        sent[topic] = record
    assert producer.flush(30) == 0

    assert client.get_subjects() == sorted(f"{topic}-value" for topic in sent)
    deserializer = AvroDeserializer(client)
    for number, (topic, record) in enumerate(sent.items(), start=1):
        subject = f"{topic}-value"
        dataset = next(d for d in catalogue if d.topics(namespace).raw == topic)
        as_schema = Schema(json.dumps(dataset.envelope_schema), "AVRO")
        latest = client.get_latest_version(subject)
        assert (latest.schema_id, latest.version, latest.subject) == (number, 1, subject)
        assert client.lookup_schema(subject, as_schema).schema_id == number
        assert client.register_schema(subject, as_schema) == number  # idempotent
        assert json.loads(client.get_schema(number).schema_str) == dataset.envelope_schema
        assert client.get_version(subject, 1).schema_id == number

        consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"{namespace}-{topic}",
                             "auto.offset.reset": "earliest"})
        consumer.subscribe([topic])
        try:
            msg = None
            for _ in range(60):
                msg = consumer.poll(1.0)
                if msg is not None and msg.error() is None:
                    break
            assert msg is not None and msg.error() is None
            value = msg.value()
            assert unframe(value)[0] == number
            assert deserializer(value, SerializationContext(topic, MessageField.VALUE)) == record
        finally:
            consumer.close()


def test_a_breaking_change_is_refused_with_a_readable_reason(registry: RegistryServer) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    citizen = load_catalogue().get("population.citizen")
    subject = "population.citizen-value"
    assert client.register_schema(subject, Schema(json.dumps(citizen.envelope_schema), "AVRO")) == 1
    with pytest.raises(SchemaRegistryError) as caught:
        client.register_schema(subject, Schema(json.dumps(breaking(citizen)), "AVRO"))
    error = caught.value
    assert (error.http_status_code, error.error_code) == (409, 409)
    assert error.error_message == (
        'Schema being registered is incompatible with an earlier schema for subject "population.citizen-value" '
        "(BACKWARD), details: [{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type "
        "inside a union field at path '/fields/3/type/1' in the old schema', additionalInfo:'reader union lacking "
        "writer type: RECORD'}]")  # Avro's wording for a record inside a union ("after") that cannot be read
    assert client.test_compatibility(subject, Schema(json.dumps(breaking(citizen)), "AVRO")) is False
    assert client.test_compatibility(subject, Schema(json.dumps(evolved(citizen)), "AVRO")) is True
    assert client.register_schema(subject, Schema(json.dumps(evolved(citizen)), "AVRO")) == 2
    assert client.get_versions(subject) == [1, 2]


def test_bad_requests_get_confluents_codes(registry: RegistryServer) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    client.register_schema("s-value", Schema('"string"', "AVRO"))

    def call(method: str, path: str, body: bytes | None = None) -> tuple[int, int]:
        response = httpx.request(method, registry.url + path, content=body, headers={"Content-Type": V1_JSON})
        assert response.headers["content-type"] == V1_JSON
        return response.status_code, response.json()["error_code"]

    assert [call("POST", "/subjects/s-value/versions", b'{"schema": '),
            call("POST", "/subjects/s-value/versions", b'{"schema": "{\\"type\\": \\"record\\"}"}'),
            call("POST", "/subjects/s-value/versions",
                 b'{"schema": "syntax = \\"proto3\\";", "schemaType": "PROTOBUF"}'),
            call("GET", "/subjects/nobody-value/versions/latest"),
            call("GET", "/subjects/s-value/versions/42"),
            call("GET", "/subjects/s-value/versions/first"),
            call("GET", "/schemas/ids/999"),
            call("DELETE", "/subjects/s-value?permanent=true")] == [
        (400, 400), (422, 42201), (422, 42201), (404, 40401), (404, 40402), (422, 42202), (404, 40403), (404, 40405)]
    with pytest.raises(SchemaRegistryError) as caught:
        client.get_schema(999)
    assert (caught.value.http_status_code, caught.value.error_code) == (404, 40403)


def test_a_restart_rebuilds_the_same_registry_and_never_reuses_ids(kafka: KafkaSettings, schemas_topic: str) -> None:
    catalogue = load_catalogue()
    citizen, other = catalogue.get("population.citizen"), next(d for d in catalogue if d.name != "population.citizen")
    with serve(kafka, schemas_topic) as first:
        client = SchemaRegistryClient({"url": first.url})
        assert client.register_schema("a-value", Schema(json.dumps(citizen.envelope_schema))) == 1
        assert client.register_schema("a-value", Schema(json.dumps(evolved(citizen)))) == 2
        assert client.register_schema("b-value", Schema(json.dumps(other.envelope_schema))) == 3
        assert client.register_schema("c-value", Schema('"string"')) == 4
        client.set_compatibility(level="FULL")
        client.set_compatibility("b-value", "NONE")
        client.update_mode("c-value", "READONLY")
        assert client.delete_version("a-value", 2) == 2
        assert client.delete_version("a-value", 2, permanent=True) == 2
        assert client.delete_subject("b-value") == [1]
        before, state_before = observe(first.url), first.registry.snapshot()
    assert before["subjects"] == ["a-value", "b-value", "c-value"]
    assert before["live"] == ["a-value", "c-value"]

    with serve(kafka, schemas_topic) as second:
        assert observe(second.url) == before
        assert second.registry.snapshot() == state_before
        client = SchemaRegistryClient({"url": second.url})
        assert client.register_schema("a-value", Schema(json.dumps(evolved(citizen)))) == 5  # 2 stays retired
        assert client.get_version("a-value", 2).schema_id == 5  # version numbers, unlike ids, are reused


def test_a_follower_serves_reads_and_forwards_writes_to_the_leader(kafka: KafkaSettings, schemas_topic: str) -> None:
    with serve(kafka, schemas_topic) as leader, \
            serve(kafka, schemas_topic, leader=False, leader_url=leader.url) as follower:
        via_follower = SchemaRegistryClient({"url": follower.url})
        assert via_follower.register_schema("f-value", Schema('"string"')) == 1
        assert via_follower.get_latest_version("f-value").schema_id == 1  # read-your-writes on the follower
        via_follower.set_compatibility("f-value", "FULL")
        assert SchemaRegistryClient({"url": leader.url}).get_compatibility("f-value") == "FULL"
        leader.registry.log.sync()
        assert follower.registry.snapshot() == leader.registry.snapshot()
    with serve(kafka, schemas_topic, leader=False) as lone_follower:
        response = httpx.put(f"{lone_follower.url}/config", json={"compatibility": "NONE"})
        assert (response.status_code, response.json()["error_code"]) == (500, 50004)


def test_the_store_and_the_service_write_one_topic_without_collisions(kafka: KafkaSettings,
                                                                     registry: RegistryServer) -> None:
    store = KafkaSchemaStore(kafka.bootstrap_servers, registry.settings.topic, timeout_s=30)
    client = SchemaRegistryClient({"url": registry.url})
    try:
        ids = []
        for n in range(4):  # the writer role changes hands on every registration
            record = {"type": "record", "name": f"R{n}", "fields": [{"name": "a", "type": "int"}]}
            ids.append(store.register(f"store-{n}-value", record))
            ids.append(client.register_schema(f"http-{n}-value", Schema(json.dumps({**record, "name": f"H{n}"}))))
        assert ids == [1, 2, 3, 4, 5, 6, 7, 8]
        assert store.schema(8) == {"type": "record", "name": "H3", "fields": [{"name": "a", "type": "int"}]}
        store.refresh()
        registry.registry.log.sync()
        assert store._registry.snapshot() == registry.registry.snapshot()
    finally:
        store.close()


def test_cli_tells_a_ministry_whether_its_changed_avsc_is_compatible(registry: RegistryServer, tmp_path: Path) -> None:
    citizen = load_catalogue().get("population.citizen")
    files = {}
    for name, schema in (("v1", citizen.envelope_schema), ("ok", evolved(citizen)), ("bad", breaking(citizen))):
        files[name] = tmp_path / f"{name}.avsc"
        files[name].write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    runner = CliRunner()
    env = {"HUB_REGISTRY_URL": registry.url}

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(schemas_cli, list(args), env=env)
        return result.exit_code, result.output

    assert run("register", "citizen-value", str(files["v1"])) == (0, "citizen-value: schema id 1, version 1\n")
    assert run("check", "citizen-value", str(files["ok"])) == (
        0, f"compatible: {files['ok']} can be registered under citizen-value (BACKWARD)\n")
    assert run("check", "citizen-value", str(files["bad"])) == (1, (
        f"incompatible: {files['bad']} breaks BACKWARD compatibility of citizen-value:\n"
        "  - The new schema is missing a type inside a union field at path '/fields/3/type/1' in the old schema "
        "[MISSING_UNION_BRANCH]\n"
        "changes against version 1:\n"
        "  + after.tax_code: string\n"))
    assert run("diff", "citizen-value", str(files["bad"])) == (0, (
        f"citizen-value version 1 → {files['bad']}:\n  + after.tax_code: string\n"))
    code, listing = run("list")
    assert (code, "citizen-value" in listing) == (0, True)
    code, shown = run("show", "citizen-value", "--version", "1")
    assert (code, shown.splitlines()[0]) == (0, "citizen-value version 1 (schema id 1)")
    assert run("show", "nobody") == (2, "error 40401: Subject 'nobody' not found.\n")


def test_a_follower_whose_leader_is_down_answers_50003(kafka: KafkaSettings, schemas_topic: str) -> None:
    dead_leader = f"http://127.0.0.1:{free_port()}"
    with serve(kafka, schemas_topic, leader=False, leader_url=dead_leader, timeout_s=5) as follower:
        response = httpx.post(f"{follower.url}/subjects/s-value/versions", json={"schema": '"string"'})
    assert (response.status_code, response.json()["error_code"]) == (500, 50003)
    assert response.json()["message"].startswith(f"Error while forwarding the request to the leader {dead_leader}: ")


def test_the_log_waits_for_an_open_transaction_and_then_times_out_with_50002(kafka: KafkaSettings,
                                                                           schemas_topic: str) -> None:
    applied: list[Record] = []
    log = KafkaLog(kafka.bootstrap_servers, schemas_topic, timeout_s=2)
    log.start(applied.append)
    stranger = Producer({"bootstrap.servers": kafka.bootstrap_servers, "transactional.id": f"{schemas_topic}-x"})
    try:
        stranger.init_transactions(30)
        stranger.begin_transaction()
        stranger.produce(schemas_topic, key=Key(NOOP).encode(), value=b'{"maxId":5}', partition=0)
        stranger.flush(30)
        with pytest.raises(StoreTimeout) as caught:
            log.sync()  # read_committed cannot pass the open transaction
        assert (caught.value.http_status, caught.value.error_code) == (500, 50002)
        stranger.commit_transaction(30)
        log.sync()
        assert applied == [Record(Key(NOOP), {"maxId": 5})]
    finally:
        log.close()
