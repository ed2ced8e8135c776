"""The monitor's HTTP side: the dashboard page, its JSON API and the Prometheus endpoint.

=================  ===========================================================================
route              answers
=================  ===========================================================================
``/``              the dashboard (static page; fetches ``/api/state`` every few seconds)
``/api/state``     the latest state and the chart history (JSON)
``/api/lag``       the latest lag report, the same document as ``hub lag --json``
``/metrics``       Prometheus text format
``/healthz``       ``ok`` once the first sample is taken, 503 before
``/static/…``      the page's script, style and the vendored Chart.js
=================  ===========================================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from monitor.history import History
from monitor.lag import LagReport
from monitor.metrics import monitor_registry
from monitor.state import MonitorState

STATIC = Path(__file__).with_name("static")


class StateSource(Protocol):
    """What the web app reads (:class:`monitor.service.Monitor` is one)."""

    @property
    def state(self) -> MonitorState | None: ...

    @property
    def history(self) -> History: ...

    def lag(self) -> LagReport | None: ...


def create_web_app(monitor: StateSource) -> Starlette:
    registry = monitor_registry(lambda: monitor.state)

    async def index(_: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def state(_: Request) -> Response:
        current = monitor.state
        if current is None:
            return JSONResponse({"error": "no sample yet"}, status_code=503)
        return JSONResponse({**current.to_dict(), "history": monitor.history.to_dict()},
                            headers={"Cache-Control": "no-store"})

    async def lag(_: Request) -> Response:
        report = monitor.lag()
        if report is None:
            return JSONResponse({"error": "no lag sample yet"}, status_code=503)
        return JSONResponse(report.to_dict(), headers={"Cache-Control": "no-store"})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(_: Request) -> Response:
        ready = monitor.state is not None
        return PlainTextResponse("ok\n" if ready else "starting\n", status_code=200 if ready else 503)

    return Starlette(routes=[
        Route("/", index), Route("/api/state", state), Route("/api/lag", lag), Route("/metrics", metrics),
        Route("/healthz", healthz), Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
