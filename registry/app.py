"""The ASGI application: routing on the raw path, content types, JSON bodies, errors, forwarding to the leader.

Routing uses the undecoded path, split on ``/`` and then percent-decoded segment by segment, so a
subject containing ``/`` (sent as ``%2F``) is one parameter. Starlette supplies requests and responses.
Any :class:`RegistryError` becomes Confluent's ``{"error_code", "message"}`` body with its status.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from registry import api
from registry.errors import (
    BadRequest,
    ForwardingFailed,
    MethodNotAllowed,
    NoSuchEndpoint,
    RegistryError,
    UnknownLeader,
    UnsupportedMediaType,
)
from registry.service import Registry

log = logging.getLogger(__name__)
V1 = "application/vnd.schemaregistry.v1+json"
_ACCEPTED_BODIES = {"", V1, "application/vnd.schemaregistry+json", "application/json", "application/octet-stream"}
_ANSWERABLE = (V1, "application/vnd.schemaregistry+json", "application/json")


class RegistryApp:
    """The registry's REST API over ``registry``; a follower forwards writes to ``leader_url``."""

    def __init__(self, registry: Registry, leader_url: str | None = None, forward_timeout_s: float = 30.0) -> None:
        self.registry = registry
        self.leader_url = leader_url.rstrip("/") if leader_url else None
        self.forward_timeout_s = forward_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        media = _answer_type(request.headers.get("accept", ""))
        try:
            route, params = _route(request)
            if route.write and not self.registry.leader:
                return await self._forward(request)
            body = await _json_body(request) if route.body else None
            call = api.Call(self.registry, params, dict(request.query_params), body)
            reply = await run_in_threadpool(route.handler, call)
            content = reply.value if reply.raw else _dumps(reply.value)
            return Response(content, 200, media_type=media)
        except RegistryError as exc:
            if exc.http_status >= 500:
                log.warning("%s %s: %s", request.method, request.url.path, exc)
            return Response(_dumps(exc.to_json()), exc.http_status, media_type=media)
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            return Response(_dumps({"error_code": 500, "message": "Internal Server Error"}), 500, media_type=media)

    async def _forward(self, request: Request) -> Response:
        """Send a write to the leader, answer what it answered, then catch up so our own reads see it."""
        if self.leader_url is None:
            raise UnknownLeader()
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        url = self.leader_url + raw_path.decode("latin-1")
        headers = {k: v for k, v in request.headers.items() if k in ("content-type", "accept")}
        try:
            async with httpx.AsyncClient(timeout=self.forward_timeout_s) as client:
                answer = await client.request(request.method, url, params=dict(request.query_params),
                                              content=await request.body(), headers=headers)
        except httpx.HTTPError as exc:
            raise ForwardingFailed(self.leader_url, f"{type(exc).__name__}: {exc}") from exc
        if answer.is_success:
            await run_in_threadpool(self.registry.log.sync)
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type", V1))


def _route(request: Request) -> tuple[api.Route, dict[str, str]]:
    raw_path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    segments = tuple(unquote(p) for p in raw_path.split("?", 1)[0].split("/") if p)
    candidates = api.match(segments)
    if not candidates:
        raise NoSuchEndpoint(request.url.path)
    for route, params in candidates:
        if route.method == request.method:
            return route, params
    raise MethodNotAllowed(request.method, request.url.path)


async def _json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _ACCEPTED_BODIES:
        raise UnsupportedMediaType(content_type)
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("the request has no body; send a JSON object")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Unparsable JSON in the request body: {exc}") from exc


def _answer_type(accept: str) -> str:
    wanted = [part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()]
    for media in wanted:
        if media in _ANSWERABLE:
            return media
    return V1


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
