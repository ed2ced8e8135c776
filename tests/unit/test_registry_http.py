"""The registry's REST layer on an in-memory log: routes, content types, status and error codes, raw bodies."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from registry.app import RegistryApp
from registry.checker import compatibility_checker
from registry.memory import MemoryLog
from registry.service import Registry

V1_JSON = "application/vnd.schemaregistry.v1+json"
S1 = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'
S2 = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}'
BREAKING = '{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}'


class Http:
    """Requests to an ASGI app without a network (httpx's ASGI transport)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(send())

    def post(self, path: str, body: Any, content_type: str = V1_JSON) -> httpx.Response:
        return self("POST", path, content=json.dumps(body).encode(), headers={"Content-Type": content_type})


@pytest.fixture
def http() -> Http:
    return Http(RegistryApp(Registry(MemoryLog(), compatibility_checker).start()))


def answer(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


def test_root_types_and_content_type(http: Http) -> None:
    response = http("GET", "/")
    assert (response.status_code, response.json(), response.headers["content-type"]) == (200, {}, V1_JSON)
    assert answer(http("GET", "/schemas/types")) == (200, ["AVRO"])
    plain = http("GET", "/", headers={"Accept": "application/json"})
    assert plain.headers["content-type"] == "application/json"


@pytest.mark.parametrize("content_type", [V1_JSON, "application/vnd.schemaregistry+json", "application/json",
                                          "application/octet-stream", "application/json; charset=utf-8"])
def test_accepted_request_content_types(http: Http, content_type: str) -> None:
    assert answer(http.post("/subjects/s/versions", {"schema": S1}, content_type)) == (200, {"id": 1, "version": 1})


def test_register_read_back_and_raw_schema_bodies(http: Http) -> None:
    assert answer(http.post("/subjects/s/versions", {"schema": S1, "schemaType": "AVRO", "references": []})) == (
        200, {"id": 1, "version": 1})
    assert answer(http.post("/subjects/s/versions?normalize=False", {"schema": S2})) == (200, {"id": 2, "version": 2})
    assert answer(http("GET", "/subjects")) == (200, ["s"])
    assert answer(http("GET", "/subjects/s/versions")) == (200, [1, 2])
    assert answer(http("GET", "/subjects/s/versions/latest")) == (
        200, {"subject": "s", "version": 2, "id": 2, "schema": S2})
    assert http("GET", "/subjects/s/versions/1/schema").text == S1
    assert http("GET", "/schemas/ids/2/schema").text == S2
    assert answer(http("GET", "/schemas/ids/1")) == (200, {"schema": S1})
    assert answer(http("GET", "/schemas/ids/1/subjects")) == (200, ["s"])
    assert answer(http("GET", "/schemas/ids/1/versions")) == (200, [{"subject": "s", "version": 1}])
    assert answer(http("GET", "/subjects/s/versions/1/referencedby")) == (200, [])
    assert answer(http.post("/subjects/s", {"schema": S1})) == (200, {"subject": "s", "version": 1, "id": 1,
                                                                      "schema": S1})


def test_subjects_may_contain_slashes_when_encoded(http: Http) -> None:
    assert answer(http.post("/subjects/ns%2Fa-value/versions", {"schema": S1})) == (200, {"id": 1, "version": 1})
    assert answer(http("GET", "/subjects")) == (200, ["ns/a-value"])
    assert answer(http("GET", "/subjects/ns%2Fa-value/versions")) == (200, [1])


def test_deletes_and_boolean_flags_in_any_case(http: Http) -> None:
    http.post("/subjects/s/versions", {"schema": S1})
    assert answer(http("DELETE", "/subjects/s?permanent=true"))[1]["error_code"] == 40405
    assert answer(http("DELETE", "/subjects/s")) == (200, [1])
    assert answer(http("GET", "/subjects")) == (200, [])
    assert answer(http("GET", "/subjects?deleted=True")) == (200, ["s"])  # confluent-kafka-python sends True
    assert answer(http("GET", "/subjects/s/versions/1?deleted=true"))[0] == 200
    assert answer(http("DELETE", "/subjects/s?permanent=TRUE")) == (200, [1])
    assert answer(http("GET", "/schemas/ids/1")) == (404, {"error_code": 40403, "message": "Schema 1 not found"})


@pytest.mark.parametrize(("method", "path", "body", "expected"), [
    ("POST", "/subjects/s/versions", b"{not json", (400, 400)),
    ("POST", "/subjects/s/versions", b"", (400, 400)),
    ("POST", "/subjects/s/versions", b'["schema"]', (400, 400)),
    ("POST", "/subjects/s/versions", b'{"schema": 5}', (400, 400)),
    ("POST", "/subjects/s/versions", b'{"schema": "{\\"type\\": \\"nope\\"}"}', (422, 42201)),
    ("POST", "/subjects/s/versions", b'{"schema": "syntax = \\"proto3\\";", "schemaType": "PROTOBUF"}', (422, 42201)),
    ("GET", "/subjects/s/versions", None, (404, 40401)),
    ("GET", "/subjects/s/versions/zero", None, (422, 42202)),
    ("GET", "/subjects/s/versions/1", None, (404, 40401)),
    ("GET", "/subjects/s/versions/1/referencedby", None, (404, 40401)),
    ("GET", "/schemas/ids/77", None, (404, 40403)),
    ("GET", "/schemas/ids/abc", None, (404, 40403)),
    ("PUT", "/config", b'{"compatibility": "SOMETIMES"}', (422, 42203)),
    ("PUT", "/mode", b'{"mode": "SOMETIMES"}', (422, 42204)),
    ("GET", "/config/s", None, (404, 40408)),
    ("GET", "/mode/s", None, (404, 40409)),
    ("DELETE", "/config/s", None, (404, 40401)),
    ("DELETE", "/mode/s", None, (404, 40401)),
    ("POST", "/compatibility/subjects/s/versions/3", b'{"schema": "\\"int\\""}', (404, 40402)),
    ("GET", "/no/such/thing", None, (404, 404)),
    ("PATCH", "/subjects", None, (405, 405)),
])
def test_errors_answer_confluents_codes(http: Http, method: str, path: str, body: bytes | None,
                                        expected: tuple[int, int]) -> None:
    response = http(method, path, content=body, headers={"Content-Type": V1_JSON} if body is not None else {})
    assert (response.status_code, response.json()["error_code"]) == expected
    assert sorted(response.json()) == ["error_code", "message"]


def test_unsupported_media_type_is_415(http: Http) -> None:
    response = http.post("/subjects/s/versions", {"schema": S1}, content_type="text/plain")
    assert answer(response) == (415, {"error_code": 415, "message": "HTTP 415 Unsupported Media Type: 'text/plain'; "
                                      "send application/vnd.schemaregistry.v1+json, application/json or "
                                      "application/octet-stream"})


def test_incompatible_registration_and_verbose_compatibility(http: Http) -> None:
    http.post("/subjects/s/versions", {"schema": S1})
    status, body = answer(http.post("/subjects/s/versions", {"schema": BREAKING}))
    assert (status, body["error_code"]) == (409, 409)
    assert "TYPE_MISMATCH" in body["message"]
    assert answer(http.post("/compatibility/subjects/s/versions/latest", {"schema": S2})) == (
        200, {"is_compatible": True})
    status, body = answer(http.post("/compatibility/subjects/s/versions?verbose=True", {"schema": BREAKING}))
    assert (status, body["is_compatible"], len(body["messages"])) == (200, False, 1)
    assert answer(http.post("/compatibility/subjects/other/versions/latest", {"schema": BREAKING})) == (
        200, {"is_compatible": True})


def test_config_and_mode_endpoints(http: Http) -> None:
    assert answer(http("GET", "/config")) == (200, {"compatibilityLevel": "BACKWARD"})
    assert answer(http.post("/config", {}, V1_JSON)) == (405, {"error_code": 405,
                                                               "message": "HTTP 405 Method Not Allowed: POST /config"})
    assert answer(http("PUT", "/config/s", json={"compatibility": "FORWARD"})) == (200, {"compatibility": "FORWARD"})
    assert answer(http("GET", "/config/s")) == (200, {"compatibilityLevel": "FORWARD"})
    assert answer(http("GET", "/config/t?defaultToGlobal=true")) == (200, {"compatibilityLevel": "BACKWARD"})
    assert answer(http("DELETE", "/config/s")) == (200, {"compatibilityLevel": "FORWARD"})
    assert answer(http("PUT", "/mode/s", json={"mode": "IMPORT"})) == (200, {"mode": "IMPORT"})
    assert answer(http.post("/subjects/s/versions", {"schema": S1, "id": 10, "version": 4})) == (
        200, {"id": 10, "version": 4})
    assert answer(http("GET", "/mode/s")) == (200, {"mode": "IMPORT"})
    assert answer(http("DELETE", "/mode/s")) == (200, {"mode": "IMPORT"})
    assert answer(http("PUT", "/mode?force=true", json={"mode": "READONLY"})) == (200, {"mode": "READONLY"})
    assert answer(http.post("/subjects/t/versions", {"schema": S2})) == (
        422, {"error_code": 42205, "message": "Subject t is in read-only mode"})
    assert answer(http("GET", "/mode")) == (200, {"mode": "READONLY"})


def test_a_follower_without_a_leader_url_refuses_writes_but_reads() -> None:
    http = Http(RegistryApp(Registry(MemoryLog(), compatibility_checker, leader=False).start()))
    assert answer(http.post("/subjects/s/versions", {"schema": S1}))[1]["error_code"] == 50004
    assert answer(http("PUT", "/config", json={"compatibility": "NONE"}))[1]["error_code"] == 50004
    assert answer(http("GET", "/subjects")) == (200, [])


def test_unexpected_failures_are_500_without_details() -> None:
    def broken_checker(new: Any, existing: Any, level: str) -> list[str]:
        raise RuntimeError("boom")

    http = Http(RegistryApp(Registry(MemoryLog(), broken_checker).start()))
    http.post("/subjects/s/versions", {"schema": S1})
    assert answer(http.post("/subjects/s/versions", {"schema": S2})) == (
        500, {"error_code": 500, "message": "Internal Server Error"})
