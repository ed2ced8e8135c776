"""The ingest gateway without a network: tokens, request parsing and checks (pure, table-driven), answers, and
the ASGI app in-process with the fake producer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient
from typer.testing import CliRunner

from hub.catalogue import load_catalogue
from hub.errors import ConfigError
from producers.cli import app as cli
from producers.gateway.app import GatewayApp
from producers.gateway.auth import (
    TokenFile,
    add_token,
    bearer_token,
    hash_token,
    ministry_for,
    parse_tokens,
    read_tokens,
    revoke_token,
)
from producers.gateway.errors import BadRequest, GatewayError, PayloadTooLarge, UnsupportedMediaType
from producers.gateway.events import (
    FIELDS,
    SPOOLED_MESSAGE,
    IncomingEvent,
    Invalid,
    Outcome,
    answer,
    check_event,
    check_length,
    is_batch,
    parse_body,
)
from producers.gateway.openapi import openapi
from producers.gateway.settings import GatewaySettings
from producers.validation import FieldError
from tests.unit.fakes_producer import REFUSED, Emitted, FakeProducer

CATALOGUE = load_catalogue()
CITIZEN = CATALOGUE.get("population.citizen")
RECORD = {"cccd": "001090000001", "full_name": "Nguyễn Văn An", "date_of_birth": "1990-05-01", "sex": "MALE",
          "permanent_address": {"line": "12 Tràng Tiền, Hoàn Kiếm", "province_code": "01"}, "ethnicity": "Kinh"}
NORMALISED = {**RECORD, "date_of_birth": date(1990, 5, 1), "place_of_origin": None, "nationality": "VN",
              "phone": None, "permanent_address": {"line": "12 Tràng Tiền, Hoàn Kiếm", "ward_code": None,
                                                   "province_code": "01"}}


def error(path: str, rule: str, expected: str, actual: str, detail: str = "") -> FieldError:
    return FieldError(path, rule, expected, actual, detail)


# -- tokens ---------------------------------------------------------------------------------------------
def test_a_token_is_stored_only_as_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "gateway" / "tokens.yaml"
    token = add_token(path, "BCA")
    text = path.read_text(encoding="utf-8")
    assert (token in text, read_tokens(path), path.stat().st_mode & 0o777) == (
        False, {"BCA": hash_token(token)}, 0o600)
    assert token.startswith("hub_") and len(token) == 47


def test_adding_twice_needs_replace_and_rotates(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    first = add_token(path, "BTC")
    with pytest.raises(ConfigError) as info:
        add_token(path, "BTC")
    assert str(info.value) == f"BTC already has a gateway token in {path}; pass --replace to rotate it"
    second = add_token(path, "BTC", replace=True)
    assert (json.loads(path.read_text()), first != second) == ({"BTC": hash_token(second)}, True)
    assert (revoke_token(path, "BTC"), revoke_token(path, "BTC"), read_tokens(path)) == (True, False, {})


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), ("", None), (None, None)],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_ministry_for_compares_every_hash() -> None:
    hashes = {"BCA": hash_token("tok-bca"), "BTC": hash_token("tok-btc")}
    assert [ministry_for(t, hashes) for t in ("tok-bca", "tok-btc", "tok-bhxh", "")] == ["BCA", "BTC", None, None]


@pytest.mark.parametrize(
    ("text", "message"),
    [("BCA: abc", "tokens file t.yaml: entries BCA are not 64-hex-digit SHA-256 hashes"),
     ("- BCA", "tokens file t.yaml must map ministry codes to SHA-256 hashes"),
     (f"BCA: {'A' * 64}\nBTC: {'a' * 64}", "tokens file t.yaml: entries BCA are not 64-hex-digit SHA-256 hashes")],
)
def test_bad_tokens_files_name_the_entry_not_the_hash(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_tokens(text, "t.yaml")
    assert str(info.value) == message


def test_the_token_file_is_reread_when_it_changes_and_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    tokens = TokenFile(path)
    assert tokens.ministry_for("Bearer x") is None  # no file: nobody
    bca = add_token(path, "BCA")
    assert tokens.ministry_for(f"Bearer {bca}") == "BCA"
    btp = add_token(path, "BTP")
    assert (tokens.ministry_for(f"Bearer {bca}"), tokens.ministry_for(f"Bearer {btp}")) == ("BCA", "BTP")
    path.write_text("BCA: [not, a, hash]\n")
    assert tokens.ministry_for(f"Bearer {bca}") is None
    path.unlink()
    assert tokens.ministry_for(f"Bearer {bca}") is None


# -- request parsing ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content_type", "batch"),
    [("application/json", False), ("application/json; charset=utf-8", False), ("Application/JSON", False),
     ("application/x-ndjson", True), ('application/x-ndjson; charset="UTF-8"', True)],
)
def test_media_types(content_type: str, batch: bool) -> None:
    assert is_batch(content_type) == batch


@pytest.mark.parametrize("content_type", [None, "", "text/csv", "application/jsonl", "application/json; charset=latin-1",
                                          "multipart/form-data; boundary=x"])
def test_other_media_types_are_415(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType):
        is_batch(content_type)


@pytest.mark.parametrize(("length", "too_large"), [(None, False), ("100", False), ("101", True), ("x", False)])
def test_declared_length(length: str | None, too_large: bool) -> None:
    try:
        check_length(length, 100)
        refused = False
    except PayloadTooLarge as exc:
        refused = (exc.status, exc.limit) == (413, 100)
    assert refused == too_large


def test_parse_body() -> None:
    assert parse_body(b'\xef\xbb\xbf{"op": "c"}', batch=False) == [(1, {"op": "c"})]
    assert parse_body(b'{"op": "c"}\n\n[1]\r\n"x"\n', batch=True) == [(1, {"op": "c"}), (3, [1]), (4, "x")]


@pytest.mark.parametrize(
    ("body", "batch", "message", "line"),
    [(b'{"op": "c",}', False, "the body is not JSON: Expecting property name enclosed in double quotes "
                              "(line 1, column 12)", None),
     (b"\xff", False, "the body is not UTF-8", None),
     (b'{"op": "c"}\n{"op": \n', True, "line 2 is not JSON: Expecting value (column 8)", 2),
     (b'{"op": "c"}\n{"op": "c"}\n\xc3(\n', True, "line 3 is not UTF-8", 3),
     (b"\n \n", True, "the body holds no event", None)],
)
def test_unparsable_bodies_are_400_naming_the_line(body: bytes, batch: bool, message: str, line: int | None) -> None:
    with pytest.raises(BadRequest) as info:
        parse_body(body, batch)
    assert (info.value.status, info.value.message, info.value.line) == (400, message, line)


# -- checking one event ----------------------------------------------------------------------------------
def test_a_valid_event_is_normalised() -> None:
    event = {"op": "c", "key": "001090000001", "record": RECORD, "event_time": "2026-11-27T08:00:00+07:00",
             "event_id": "dancu-42"}
    assert check_event(3, event, CITIZEN) == IncomingEvent(
        3, "c", "001090000001", NORMALISED, datetime(2026, 11, 27, 1, tzinfo=timezone.utc), "dancu-42")
    assert check_event(1, {"op": "d", "key": "001090000001"}, CITIZEN) == IncomingEvent(
        1, "d", "001090000001", None, None, None)


@pytest.mark.parametrize(
    ("event", "errors"),
    [
        ({"key": "001090000001", "record": RECORD},
         [error("op", "required", "enum op", "missing", "one of c, u, d, r")]),
        ({"op": "x", "key": "001090000001", "record": RECORD},
         [error("op", "enum", "enum op", "str", "one of c, u, d, r")]),
        ({"op": "c", "key": 1090000001, "record": RECORD},
         [error("key", "type", "string", "int", "a non-empty string: the record's key")]),
        ({"op": "c", "key": "079185000002", "record": RECORD},
         [error("key", "key_mismatch", "string", "str", "must equal the record's cccd")]),
        ({"op": "c", "key": "001090000001"},
         [error("record", "required", "record Citizen", "missing")]),
        ({"op": "u", "key": "001090000001", "record": [RECORD]},
         [error("record", "type", "record Citizen", "list")]),
        ({"op": "d", "key": "001090000001", "record": RECORD},
         [error("record", "type", "null", "dict", "a delete (op d) carries no record")]),
        ({"op": "c", "key": "001090000001", "record": {**RECORD, "date_of_birth": "01/05/1990", "sex": "NAM",
                                                        "permanent_address": {"line": "12 Tràng Tiền"}}},
         [error("record.date_of_birth", "logical_type", "date", "str", "ISO date YYYY-MM-DD"),
          error("record.sex", "enum", "enum Sex", "str", "one of MALE, FEMALE"),
          error("record.permanent_address.province_code", "required", "string", "missing")]),
        ({"op": "c", "key": "001090000001", "record": RECORD, "event_time": "2026-11-27T08:00:00"},
         [error("event_time", "logical_type", "timestamp-millis", "str", "ISO-8601 with a UTC offset")]),
        ({"op": "c", "key": "001090000001", "record": RECORD, "event_id": ""},
         [error("event_id", "type", "string", "str", "1 to 128 characters")]),
        ({"op": "c", "key": "001090000001", "record": RECORD, "after": RECORD, "số cccd": "x"},
         [error("after", "unknown_field", "absent", "dict", "events have op, key, record, event_time, event_id"),
          error("<field #4>", "unknown_field", "absent", "str", "events have op, key, record, event_time, event_id")]),
        ("001090000001", [error("", "type", "object", "str")]),
    ],
)
def test_bad_events_list_every_violation_without_values(event: object, errors: list[FieldError]) -> None:
    assert check_event(7, event, CITIZEN) == Invalid(7, tuple(errors))


# -- answers ---------------------------------------------------------------------------------------
A = Outcome(1, "accepted", "e1")
S = Outcome(2, "spooled", "e2")
R = Outcome(3, "rejected", errors=(error("record.sex", "enum", "enum Sex", "str", "one of MALE, FEMALE"),))


@pytest.mark.parametrize(("outcomes", "status"), [([A], 200), ([A, A], 200), ([A, S], 202), ([S], 202),
                                                  ([R], 422), ([R, R], 422), ([A, R], 207), ([S, R], 207)])
def test_answer_status(outcomes: list[Outcome], status: int) -> None:
    assert answer("population.citizen", outcomes)[0] == status


def test_answer_body() -> None:
    assert answer("population.citizen", [A, S, R]) == (207, {
        "dataset": "population.citizen", "accepted": 1, "spooled": 1, "rejected": 1, "message": SPOOLED_MESSAGE,
        "results": [{"line": 1, "status": "accepted", "event_id": "e1"},
                    {"line": 2, "status": "spooled", "event_id": "e2"},
                    {"line": 3, "status": "rejected", "errors": [
                        {"path": "record.sex", "rule": "enum", "expected": "enum Sex", "actual": "str",
                         "detail": "one of MALE, FEMALE"}]}]})


def test_openapi_describes_every_event_field_and_dataset() -> None:
    doc = openapi(CATALOGUE, 1000)
    assert set(doc["components"]["schemas"]["Event"]["properties"]) == set(FIELDS)
    assert doc["paths"]["/v1/datasets/{dataset}/events"]["post"]["parameters"][0]["schema"]["enum"] == [
        "population.citizen", "enterprise.registration", "social_insurance.participant", "civil_status.event",
        "land.parcel"]


# -- the app, in-process with the fake producer ---------------------------------------------------------
class Gateway:
    def __init__(self, tmp_path: Path, producer: FakeProducer, max_body_bytes: int = 64 * 1024) -> None:
        tokens = tmp_path / "tokens.yaml"
        self.bca, self.btc = add_token(tokens, "BCA"), add_token(tokens, "BTC")
        self.producer = producer
        settings = GatewaySettings(tokens_file=tokens, max_body_bytes=max_body_bytes, retry_after_s=7,
                                   replay_timeout_s=0.5)
        self.client = TestClient(GatewayApp(CATALOGUE, producer, TokenFile(tokens), settings))

    def post(self, body: bytes | Iterator[bytes], dataset: str = "population.citizen", token: str | None = "bca",
             content_type: str = "application/x-ndjson", **headers: str) -> tuple[int, dict, dict[str, str]]:
        if token is not None:
            headers["Authorization"] = f"Bearer {getattr(self, token, token)}"
        response = self.client.post(f"/v1/datasets/{dataset}/events", content=body,
                                    headers={"Content-Type": content_type, **headers})
        return response.status_code, response.json(), dict(response.headers)


def ndjson(*events: object) -> bytes:
    return b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in events)


def citizen(cccd: str, **changes: object) -> dict[str, object]:
    return {"op": "c", "key": cccd, "record": {**RECORD, "cccd": cccd, **changes}}


@pytest.fixture
def gateway(tmp_path: Path) -> Gateway:
    return Gateway(tmp_path, FakeProducer())


def test_a_batch_is_answered_per_event(gateway: Gateway) -> None:
    status, body, _ = gateway.post(ndjson(citizen("001090000001"), citizen("079185000002", sex="NAM"),
                                          citizen("027200000003")))
    assert (status, body) == (207, {
        "dataset": "population.citizen", "accepted": 2, "spooled": 0, "rejected": 1,
        "results": [{"line": 1, "status": "accepted", "event_id": "event-1"},
                    {"line": 2, "status": "rejected", "errors": [
                        {"path": "record.sex", "rule": "enum", "expected": "enum Sex", "actual": "str",
                         "detail": "one of MALE, FEMALE"}]},
                    {"line": 3, "status": "accepted", "event_id": "event-2"}]})
    assert [(e.key, e.op, e.record) for e in gateway.producer.emitted] == [
        ("001090000001", "c", NORMALISED), ("027200000003", "c", {**NORMALISED, "cccd": "027200000003"})]
    assert gateway.producer.flushes == [0, None]  # a look at the spool, then the wait for acknowledgements


def test_a_single_json_event(gateway: Gateway) -> None:
    event = {**citizen("001090000001"), "event_id": "dancu-7", "event_time": 1764205200000}
    status, body, _ = gateway.post(json.dumps(event).encode(), content_type="application/json")
    assert (status, body["results"]) == (200, [{"line": 1, "status": "accepted", "event_id": "dancu-7"}])
    assert gateway.producer.emitted == [Emitted("population.citizen", "c", "001090000001", NORMALISED,
                                                datetime(2025, 11, 27, 1, tzinfo=timezone.utc), "dancu-7", None)]


def test_a_rejected_single_event_is_422(gateway: Gateway) -> None:
    status, body, _ = gateway.post(json.dumps(citizen("001090000001", date_of_birth="1990-13-01")).encode(),
                                   content_type="application/json")
    assert (status, body["results"], gateway.producer.emitted) == (422, [{"line": 1, "status": "rejected", "errors": [
        {"path": "record.date_of_birth", "rule": "logical_type", "expected": "date", "actual": "str",
         "detail": "ISO date YYYY-MM-DD"}]}], [])


@pytest.mark.parametrize(
    ("token", "dataset", "status", "error_code"),
    [(None, "population.citizen", 401, "unauthorized"),
     ("not-a-token", "population.citizen", 401, "unauthorized"),
     ("btc", "population.citizen", 403, "forbidden"),
     ("bca", "enterprise.registration", 403, "forbidden"),
     ("bca", "population.citizens", 404, "unknown_dataset")],
)
def test_who_may_send_what(gateway: Gateway, token: str | None, dataset: str, status: int, error_code: str) -> None:
    got, body, headers = gateway.post(ndjson(citizen("001090000001")), dataset=dataset, token=token)
    assert (got, body["error"], gateway.producer.emitted) == (status, error_code, [])
    assert headers.get("www-authenticate") == ('Bearer realm="hub-gateway"' if status == 401 else None)


def test_the_owner_of_another_dataset_may_send_it(gateway: Gateway) -> None:
    event = {"op": "d", "key": "0123456789"}
    status, body, _ = gateway.post(ndjson(event), dataset="enterprise.registration", token="btc")
    assert (status, body["accepted"], gateway.producer.emitted[0].key) == (200, 1, "0123456789")


def test_forbidden_names_the_owner_not_the_token(gateway: Gateway) -> None:
    _, body, _ = gateway.post(ndjson(citizen("001090000001")), token="btc")
    assert body == {"error": "forbidden", "message": "population.citizen is owned by BCA; this token is BTC's"}


def test_other_content_types_are_415(gateway: Gateway) -> None:
    status, body, _ = gateway.post(b"cccd\n001090000001\n", content_type="text/csv")
    assert (status, body["error"]) == (415, "unsupported_media_type")


def test_unparsable_ndjson_is_400_naming_the_line_and_nothing_is_sent(gateway: Gateway) -> None:
    status, body, _ = gateway.post(ndjson(citizen("001090000001")) + b'{"op": "c", "key": \n')
    assert (status, body, gateway.producer.emitted) == (400, {
        "error": "invalid_json", "message": "line 2 is not JSON: Expecting value (column 20)", "line": 2}, [])


def test_bodies_over_the_limit_are_413_by_declared_and_by_streamed_size(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, FakeProducer(), max_body_bytes=1000)
    big = ndjson(*(citizen(f"0010900000{i:02d}") for i in range(10)))
    assert len(big) > 1000
    declared = gateway.post(big)
    streamed = gateway.post(iter([big[:600], big[600:]]))  # chunked: no Content-Length
    assert (declared[0], declared[1]["error"], streamed[0], streamed[1]["error"]) == (
        413, "body_too_large", 413, "body_too_large")
    assert "content-length" not in gateway.client.build_request("POST", "/", content=iter([b"x"])).headers
    small = gateway.post(iter([ndjson(citizen("001090000001"))]))
    assert (small[0], gateway.producer.emitted[0].key) == (200, "001090000001")


def test_spooled_events_are_answered_202(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, FakeProducer(spool=True))
    status, body, _ = gateway.post(ndjson(citizen("001090000001")))
    assert (status, body["spooled"], body["results"], body["message"]) == (
        202, 1, [{"line": 1, "status": "spooled", "event_id": "event-1"}], SPOOLED_MESSAGE)


def test_a_backlog_kafka_will_not_take_is_503_with_retry_after_and_nothing_sent(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, FakeProducer(backlog=12))
    status, body, headers = gateway.post(ndjson(citizen("001090000001")))
    assert (status, body, headers["retry-after"], gateway.producer.emitted, gateway.producer.flushes) == (
        503, {"error": "kafka_unavailable",
              "message": "Kafka is not taking events (12 wait in the gateway's spool); nothing was sent: retry after 7s"},
        "7", [], [0, 0.5])


def test_a_backlog_that_replays_lets_the_request_through(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, FakeProducer(backlog=12, recovers=True))
    status, body, _ = gateway.post(ndjson(citizen("001090000001")))
    assert (status, body["accepted"]) == (200, 1)


def test_events_the_broker_refuses_are_rejected(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, FakeProducer(refuse=frozenset({"001090000001"})))
    status, body, _ = gateway.post(ndjson(citizen("001090000001"), citizen("027200000003")))
    assert (status, body["results"]) == (207, [
        {"line": 1, "status": "rejected", "event_id": "event-1", "errors": [
            {"path": "", "rule": "kafka_refused", "expected": "", "actual": "", "detail": REFUSED}]},
        {"line": 2, "status": "accepted", "event_id": "event-2"}])


def test_health_and_openapi(gateway: Gateway) -> None:
    health, doc = gateway.client.get("/healthz"), gateway.client.get("/openapi.json")
    assert (health.status_code, health.json(), doc.status_code, doc.json()["openapi"]) == (200, {"status": "ok"},
                                                                                           200, "3.1.0")


def test_errors_carry_status_and_code() -> None:
    assert (GatewayError("x").status, GatewayError("x").body()) == (500, {"error": "internal", "message": "x"})


# -- the tokens CLI -------------------------------------------------------------------------------------
def test_tokens_add_prints_the_token_once_and_stores_its_hash(tmp_path: Path) -> None:
    env = {"HUB_GATEWAY_TOKENS_FILE": str(tmp_path / "t.yaml"), "HUB_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["gateway", "tokens", "add", "BHXH"], env=env)
    token = result.stdout.strip()
    assert (result.exit_code, yaml.safe_load((tmp_path / "t.yaml").read_text())) == (0, {"BHXH": hash_token(token)})
    again = CliRunner().invoke(cli, ["gateway", "tokens", "add", "BHXH"], env=env)
    assert (again.exit_code, again.stdout) == (2, "")
    unknown = CliRunner().invoke(cli, ["gateway", "tokens", "add", "BYT"], env=env)
    assert (unknown.exit_code, " ".join(unknown.stderr.split())) == (
        2, "error: 'BYT' owns no dataset; the catalogue's owners are BCA, BHXH, BNNMT, BTC, BTP")
    revoked = CliRunner().invoke(cli, ["gateway", "tokens", "revoke", "BHXH"], env=env)
    assert (revoked.exit_code, read_tokens(tmp_path / "t.yaml")) == (0, {})
