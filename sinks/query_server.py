"""A ClickHouse-HTTP-compatible query endpoint, served by the process that owns the embedded chdb path.

Only one process can open a chdb data path, so analysts reach the embedded engine through this endpoint:
``clickhouse_connect.get_client(host=…, port=8123)`` works against it, as do ``curl`` and ``hub sql``.
Like ClickHouse's HTTP interface it takes the query from ``?query=`` and/or the request body, an optional
trailing ``FORMAT`` clause or ``default_format`` (default ``TabSeparated``), and query parameters as
``param_<name>``. It is read-only: a statement must start with one of :data:`READ_ONLY_STATEMENTS` (the
embedded engine's session settings are shared with the sink's writer, so ``readonly=1`` cannot be set per
query there). ``GET /ping`` answers ``Ok.``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hub.errors import ClickHouseError
from sinks.clickhouse import ClickHouseWriter

READ_ONLY_STATEMENTS = ("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_TRAILING_FORMAT = re.compile(r"\s+FORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$", re.I)
_ERROR_CODE = re.compile(r"Code: (\d+)")


def read_only_violation(sql: str) -> str | None:
    """Why ``sql`` is refused on a read-only endpoint, or None if it may run (pure)."""
    text = _COMMENTS.sub(" ", sql).strip().rstrip(";").strip()
    if ";" in text:
        return "one statement per request"
    first = text.split(None, 1)[0].upper() if text else ""
    if first.lstrip("(") not in READ_ONLY_STATEMENTS:
        return f"read-only endpoint: {first or 'empty'} statements are not allowed"
    return None


def split_format(sql: str, default: str) -> tuple[str, str]:
    """(query without a trailing FORMAT clause, the format to answer in) (pure)."""
    match = _TRAILING_FORMAT.search(sql)
    if match is None:
        return sql.strip().rstrip(";"), default
    return sql[: match.start()].strip(), match.group(1)


def _error(status: int, code: int, message: str) -> Response:
    return PlainTextResponse(f"Code: {code}. DB::Exception: {message}\n", status_code=status,
                             headers={"X-ClickHouse-Exception-Code": str(code)})


def create_query_app(writer: ClickHouseWriter, writable: bool = False) -> Starlette:
    async def query(request: Request) -> Response:
        params = request.query_params
        sql = params.get("query", "")
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", errors="replace")
            sql = f"{sql}\n{body}" if sql else body
        if not sql.strip():
            return _error(400, 62, "Empty query. (SYNTAX_ERROR)")
        refused = None if writable else read_only_violation(sql)
        if refused:
            return _error(403, 164, f"{refused}. (READONLY)")
        sql, fmt = split_format(sql, params.get("default_format", "TabSeparated"))
        bound = {k[len("param_"):]: v for k, v in params.items() if k.startswith("param_")}
        query_id = params.get("query_id") or str(uuid.uuid4())
        started = time.perf_counter()
        try:
            data = writer.raw_query(sql, fmt=fmt, parameters=bound or None)
        except ClickHouseError as exc:
            cause = str(exc.__cause__ or exc)
            code = _ERROR_CODE.search(cause)
            return _error(500, int(code.group(1)) if code else 1000, cause.split("DB::Exception: ")[-1])
        summary = {"elapsed_ns": str(int((time.perf_counter() - started) * 1e9)), "result_bytes": str(len(data))}
        return Response(data, media_type="text/plain; charset=UTF-8", headers={
            "X-ClickHouse-Format": fmt, "X-ClickHouse-Timezone": "UTC", "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Server-Display-Name": "vn-data-hub", "X-ClickHouse-Summary": json.dumps(summary)})

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
