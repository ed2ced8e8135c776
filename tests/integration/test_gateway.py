"""The ingest gateway over real HTTP (uvicorn on a free port) and a real broker: accepted events are on the raw
topic once answered, rejected ones are not, and every refusal path answers its status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.catalogue import load_catalogue
from hub.settings import KafkaSettings
from hub.topics import ensure_topics
from producers.gateway.app import GatewayApp
from producers.gateway.auth import TokenFile, add_token
from producers.gateway.main import GatewayServer
from producers.gateway.settings import GatewaySettings
from producers.sdk import HubProducer
from registry.store import KafkaSchemaStore
from tests.conftest import free_port
from tests.integration.test_loader import read_events

CITIZEN = "population.citizen"
ENTERPRISE = "enterprise.registration"
RECORD = {"full_name": "Nguyễn Văn An", "date_of_birth": "1990-05-01", "sex": "MALE",
          "permanent_address": {"line": "12 Tràng Tiền, Hoàn Kiếm", "province_code": "01"}, "ethnicity": "Kinh"}


@dataclass
class Running:
    url: str
    tokens: dict[str, str]
    kafka: KafkaSettings
    namespace: str

    def post(self, dataset: str, body: bytes | Iterator[bytes], ministry: str | None = "BCA",
             content_type: str = "application/x-ndjson") -> httpx.Response:
        headers = {"Content-Type": content_type}
        if ministry is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(ministry, ministry)}"
        return httpx.post(f"{self.url}/v1/datasets/{dataset}/events", content=body, headers=headers, timeout=60)

    def topic_events(self, dataset: str) -> list[dict[str, Any]]:
        topic = load_catalogue().get(dataset).topics(self.namespace).raw
        store = KafkaSchemaStore(self.kafka.bootstrap_servers, f"_schemas_{self.namespace}")
        try:
            return read_events(self.kafka.bootstrap_servers, topic, store)
        finally:
            store.close()


@pytest.fixture
def gateway(kafka: KafkaSettings, namespace: str, tmp_path: Path) -> Iterator[Running]:
    catalogue = load_catalogue()
    ensure_topics(kafka, [catalogue.get(d).topics(namespace).raw for d in (CITIZEN, ENTERPRISE)])
    store = KafkaSchemaStore(kafka.bootstrap_servers, f"_schemas_{namespace}")
    producer = HubProducer(kafka.bootstrap_servers, namespace, catalogue, store, system="hub-gateway",
                           spool_dir=tmp_path / "spool")
    tokens_file = tmp_path / "gateway" / "tokens.yaml"
    tokens = {m: add_token(tokens_file, m) for m in ("BCA", "BTC")}
    settings = GatewaySettings(port=free_port(), tokens_file=tokens_file, max_body_bytes=20_000)
    app = GatewayApp(catalogue, producer, TokenFile(tokens_file), settings)
    try:
        with GatewayServer(app, settings.host, settings.port) as server:
            yield Running(server.url, tokens, kafka, namespace)
    finally:
        producer.close()
        store.close()


def ndjson(*events: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in events)


def citizen(cccd: str, **changes: Any) -> dict[str, Any]:
    return {"op": "c", "key": cccd, "record": {**RECORD, "cccd": cccd, **changes}}


def test_accepted_events_are_on_the_topic_and_rejected_ones_are_not(gateway: Running) -> None:
    batch = gateway.post(CITIZEN, ndjson(citizen("001090000001"), citizen("079185000002", date_of_birth="31/12/1985"),
                                         {**citizen("027200000003"), "event_id": "dancu-3",
                                          "event_time": "2026-11-27T08:00:00+07:00"}))
    single = gateway.post(CITIZEN, json.dumps({"op": "d", "key": "046199000004"}).encode(), "BCA", "application/json")
    enterprise = {"op": "u", "key": "0101234567", "record": {
        "tax_code": "0101234567", "name": "Công ty TNHH Phần mềm Sông Hồng", "legal_form": "LLC_ONE_MEMBER",
        "status": "ACTIVE", "registration_date": "2015-06-01", "main_industry_code": "6201",
        "head_office_address": {"line": "1 Đại Cồ Việt, Hai Bà Trưng", "province_code": "01"},
        "charter_capital": "5000000000"}}
    other = gateway.post(ENTERPRISE, ndjson(enterprise), "BTC")

    results = batch.json()["results"]
    assert (batch.status_code, single.status_code, other.status_code) == (207, 200, 200)
    assert [{k: v for k, v in r.items() if k != "event_id"} for r in results] == [
        {"line": 1, "status": "accepted"},
        {"line": 2, "status": "rejected", "errors": [{"path": "record.date_of_birth", "rule": "logical_type",
                                                      "expected": "date", "actual": "str",
                                                      "detail": "ISO date YYYY-MM-DD"}]},
        {"line": 3, "status": "accepted"}]
    assert results[2]["event_id"] == "dancu-3"

    accepted = {results[0]["event_id"]: "001090000001", "dancu-3": "027200000003",
                single.json()["results"][0]["event_id"]: "046199000004"}
    on_topic = gateway.topic_events(CITIZEN)
    assert sorted((e["event_id"], e["key"], e["op"]) for e in on_topic) == sorted(
        (i, k, "d" if k == "046199000004" else "c") for i, k in accepted.items())
    by_key = {e["key"]: e for e in on_topic}
    assert by_key["027200000003"]["after"] == {
        **RECORD, "cccd": "027200000003", "date_of_birth": date(1990, 5, 1), "place_of_origin": None,
        "permanent_address": {"line": "12 Tràng Tiền, Hoàn Kiếm", "ward_code": None, "province_code": "01"},
        "nationality": "VN", "phone": None}
    assert (by_key["027200000003"]["event_time"], by_key["046199000004"]["after"],
            by_key["001090000001"]["source"]["ministry"]) == (datetime(2026, 11, 27, 1, tzinfo=timezone.utc), None,
                                                              "BCA")
    [registration] = gateway.topic_events(ENTERPRISE)
    assert (registration["key"], registration["after"]["charter_capital"], registration["source"]["ministry"]) == (
        "0101234567", Decimal("5000000000"), "BTC")


def test_refused_requests_answer_their_status_and_send_nothing(gateway: Running) -> None:
    event = ndjson(citizen("001090000001"))
    big = ndjson(*(citizen(f"0010900{i:05d}") for i in range(200)))
    assert len(big) > 20_000
    answers = {
        "no token": gateway.post(CITIZEN, event, None),
        "unknown token": gateway.post(CITIZEN, event, "hub_not-a-token"),
        "another ministry's dataset": gateway.post(CITIZEN, event, "BTC"),
        "unknown dataset": gateway.post("population.citizens", event),
        "csv": gateway.post(CITIZEN, b"cccd\n001090000001\n", content_type="text/csv"),
        "declared too large": gateway.post(CITIZEN, big),
        "streamed too large": gateway.post(CITIZEN, iter([big[:10_000], big[10_000:]])),
        "bad ndjson": gateway.post(CITIZEN, event + b'{"op": "c", "key": "001090000002", \n'),
    }
    assert {what: (r.status_code, r.json()["error"]) for what, r in answers.items()} == {
        "no token": (401, "unauthorized"),
        "unknown token": (401, "unauthorized"),
        "another ministry's dataset": (403, "forbidden"),
        "unknown dataset": (404, "unknown_dataset"),
        "csv": (415, "unsupported_media_type"),
        "declared too large": (413, "body_too_large"),
        "streamed too large": (413, "body_too_large"),
        "bad ndjson": (400, "invalid_json"),
    }
    assert answers["bad ndjson"].json()["line"] == 2
    assert gateway.topic_events(CITIZEN) == []
    health = httpx.get(f"{gateway.url}/healthz")
    spec = httpx.get(f"{gateway.url}/openapi.json")
    assert (health.status_code, health.json(), spec.status_code, sorted(spec.json()["paths"])) == (
        200, {"status": "ok"}, 200, ["/healthz", "/v1/datasets/{dataset}/events"])
