"""The gateway's ASGI application (Starlette): authenticate, route, read the body within its limit, then
hand the bytes to the pure core (:mod:`producers.gateway.events`) and the SDK (:mod:`.delivery`).

Checks, in order: 401 (no or unknown token), 404 (unknown dataset), 403 (not the owner), 415 (media type),
413 (declared, then streamed size), 400 (not JSON). Logs carry the dataset, the ministry, counts and
codes — never tokens or values.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from hub.catalogue import Catalogue, Dataset
from hub.errors import CatalogueError
from producers.gateway.auth import TokenFile
from producers.gateway.delivery import deliver
from producers.gateway.errors import Forbidden, GatewayError, PayloadTooLarge, Unauthorized, UnknownDataset
from producers.gateway.events import Outcome, answer, check_event, check_length, is_batch, parse_body
from producers.gateway.openapi import openapi
from producers.gateway.settings import GatewaySettings
from producers.loader import Emitter

log = logging.getLogger(__name__)


class GatewayApp:
    """``POST /v1/datasets/{dataset}/events``, ``GET /healthz``, ``GET /openapi.json``."""

    def __init__(self, catalogue: Catalogue, producer: Emitter, tokens: TokenFile, settings: GatewaySettings,
                 on_shutdown: Callable[[], None] | None = None) -> None:
        """``on_shutdown`` runs (in a thread) once the server stopped taking requests: close the producer there."""
        self.catalogue, self.producer, self.tokens, self.settings = catalogue, producer, tokens, settings
        self._openapi = openapi(catalogue, settings.max_body_bytes)

        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            yield
            if on_shutdown is not None:
                await run_in_threadpool(on_shutdown)

        self._app = Starlette(routes=[
            Route("/v1/datasets/{dataset}/events", self.ingest, methods=["POST"]),
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
        ], lifespan=lifespan)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    async def healthz(self, _request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def openapi(self, _request: Request) -> Response:
        return JSONResponse(self._openapi)

    async def ingest(self, request: Request) -> Response:
        name = request.path_params["dataset"]
        try:
            ministry = self.tokens.ministry_for(request.headers.get("authorization"))
            if ministry is None:
                raise Unauthorized("send the ministry's API token as 'Authorization: Bearer <token>'")
            dataset = self._owned(name, ministry)
            batch = is_batch(request.headers.get("content-type"))
            check_length(request.headers.get("content-length"), self.settings.max_body_bytes)
            body = await self._body(request)
            outcomes = await run_in_threadpool(self._process, dataset, body, batch)
        except GatewayError as exc:
            log.info("POST %s refused: %s %s", name, exc.status, exc.code)
            return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers())
        status, body_json = answer(dataset.name, outcomes)
        log.info("POST %s by %s: %s (%d accepted, %d spooled, %d rejected)", dataset.name, ministry, status,
                 body_json["accepted"], body_json["spooled"], body_json["rejected"])
        return JSONResponse(body_json, status_code=status)

    def _owned(self, name: str, ministry: str) -> Dataset:
        try:
            dataset = self.catalogue.get(name)
        except CatalogueError:
            raise UnknownDataset(f"no dataset {name!r} in the catalogue") from None
        if dataset.owner.code != ministry:
            raise Forbidden(f"{name} is owned by {dataset.owner.code}; this token is {ministry}'s")
        return dataset

    async def _body(self, request: Request) -> bytes:
        """The body, refused with 413 as soon as it passes the limit (whatever Content-Length said)."""
        limit, chunks, size = self.settings.max_body_bytes, [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def _process(self, dataset: Dataset, body: bytes, batch: bool) -> list[Outcome]:
        """Parse, check and deliver (blocking: JSON parsing, validation, waiting for Kafka)."""
        events = [check_event(line, value, dataset) for line, value in parse_body(body, batch)]
        return deliver(self.producer, dataset.name, events, self.settings.replay_timeout_s,
                       self.settings.retry_after_s)


