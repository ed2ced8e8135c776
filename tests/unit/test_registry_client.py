"""The registry's HTTP client: answers, Confluent errors kept as received, and an unreachable registry."""

from __future__ import annotations

import httpx
import pytest

from registry.client import RegistryClient
from registry.errors import RemoteError, Unreachable


def client_answering(status: int, body: bytes, seen: list[httpx.Request] | None = None) -> RegistryClient:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=body, headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})

    return RegistryClient("http://registry:8081/", transport=httpx.MockTransport(handle))


def test_requests_and_answers() -> None:
    seen: list[httpx.Request] = []
    with client_answering(200, b'{"is_compatible": false, "messages": ["why"]}', seen) as client:
        assert client.check("ns/a-value", '"int"') == (False, ["why"])
    request = seen[0]
    assert (request.method, str(request.url), request.content, request.headers["content-type"]) == (
        "POST", "http://registry:8081/compatibility/subjects/ns%2Fa-value/versions?verbose=true",
        b'{"schema":"\\"int\\""}', "application/vnd.schemaregistry.v1+json")


def test_confluent_errors_are_raised_as_received() -> None:
    with client_answering(404, b'{"error_code": 40401, "message": "Subject \'x\' not found."}') as client:
        with pytest.raises(RemoteError) as caught:
            client.version("x")
    assert (caught.value.http_status, caught.value.error_code, str(caught.value)) == (
        404, 40401, "Subject 'x' not found.")
    with client_answering(502, b"Bad Gateway") as client:
        with pytest.raises(RemoteError) as caught:
            client.subjects()
    assert (caught.value.http_status, caught.value.error_code, str(caught.value)) == (502, 502, "Bad Gateway")


def test_an_unreachable_registry_says_where_it_looked() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    with RegistryClient("http://registry:8081", transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(Unreachable) as caught:
            client.subjects()
    assert (str(caught.value), caught.value.error_code) == (
        "no answer from the schema registry at http://registry:8081: ConnectError: Connection refused", -1)
