"""A ClickHouse-HTTP-style query endpoint served by the process that owns the embedded chdb data path.

``GET /?query=…`` or ``POST /`` with the query in the body (or in ``?query=`` with the body appended),
``default_format`` (default ``TabSeparated``) as in ClickHouse's HTTP interface. Read-only: queries run
unless the endpoint was started writable: a statement must be one of :data:`READ_ONLY_STATEMENTS`
(the embedded engine's session settings are shared with the sink's writer, so ``readonly=1`` cannot be
set per query there). ``GET /ping`` answers ``Ok.``.
"""

from __future__ import annotations

import re
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hub.errors import ClickHouseError
from sinks.clickhouse import ClickHouseWriter


READ_ONLY_STATEMENTS = ("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def read_only_violation(sql: str) -> str | None:
    """Why ``sql`` is refused on a read-only endpoint, or None if it may run (pure)."""
    text = _COMMENTS.sub(" ", sql).strip().rstrip(";").strip()
    if ";" in text:
        return "one statement per request"
    first = text.split(None, 1)[0].upper() if text else ""
    if first.lstrip("(") not in READ_ONLY_STATEMENTS:
        return f"read-only endpoint: {first or 'empty'} statements are not allowed"
    return None


def create_query_app(writer: ClickHouseWriter, writable: bool = False) -> Starlette:
    async def query(request: Request) -> Response:
        sql = request.query_params.get("query", "")
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", errors="replace")
            sql = f"{sql} {body}".strip() if sql else body
        if not sql.strip():
            return PlainTextResponse("Empty query\n", status_code=400)
        refused = None if writable else read_only_violation(sql)
        if refused:
            return PlainTextResponse(f"Code: 164. {refused} (READONLY)\n", status_code=403)
        fmt = request.query_params.get("default_format", "TabSeparated")
        try:
            data = writer.raw_query(sql, fmt=fmt)
        except ClickHouseError as exc:
            return PlainTextResponse(f"{exc.__cause__ or exc}\n", status_code=500)
        return Response(data, media_type="text/plain; charset=UTF-8",
                        headers={"X-ClickHouse-Format": fmt})

    async def ping(_: Request) -> Response:
        return PlainTextResponse("Ok.\n")

    return Starlette(routes=[Route("/", query, methods=["GET", "POST"]), Route("/ping", ping)])


class QueryServer:
    """Runs the query endpoint on a background thread."""

    def __init__(self, writer: ClickHouseWriter, host: str, port: int) -> None:
        config = uvicorn.Config(create_query_app(writer), host=host, port=port, log_level="warning",
                                lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="query-server", daemon=True)

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ClickHouseError("the query endpoint did not start (is its port in use?)")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
