"""A small HTTP client of the registry's REST API, for the ``hub schemas`` commands.

Every error the registry answers is raised as :class:`registry.errors.RemoteError` with Confluent's
status, ``error_code`` and message; a registry that does not answer raises :class:`Unreachable`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from registry.errors import RemoteError, Unreachable

_JSON = "application/vnd.schemaregistry.v1+json"


class RegistryClient:
    def __init__(self, url: str, timeout_s: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s, transport=transport,
                                  headers={"Accept": _JSON})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
        try:
            response = self._http.request(method, path, json=body, params=query,
                                          headers={"Content-Type": _JSON} if body is not None else None)
        except httpx.HTTPError as exc:
            raise Unreachable(self.url, f"{type(exc).__name__}: {exc}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.is_success:
            return answer
        if isinstance(answer, dict) and "error_code" in answer:
            raise RemoteError(response.status_code, int(answer["error_code"]), str(answer.get("message")))
        raise RemoteError(response.status_code, response.status_code, response.text[:500])

    @staticmethod
    def _subject(subject: str) -> str:
        return quote(subject, safe="")

    def subjects(self) -> list[str]:
        return list(self._call("GET", "/subjects"))

    def versions(self, subject: str) -> list[int]:
        return list(self._call("GET", f"/subjects/{self._subject(subject)}/versions"))

    def version(self, subject: str, version: int | str = "latest") -> dict[str, Any]:
        """``{"subject", "version", "id", "schema"}`` of one version (``latest`` by default)."""
        return dict(self._call("GET", f"/subjects/{self._subject(subject)}/versions/{version}"))

    def register(self, subject: str, schema: str) -> dict[str, Any]:
        """Register a schema (JSON text); answers ``{"id", "version"}``."""
        return dict(self._call("POST", f"/subjects/{self._subject(subject)}/versions", {"schema": schema}))

    def check(self, subject: str, schema: str) -> tuple[bool, list[str]]:
        """Whether ``schema`` could be registered under ``subject`` now, and the reasons if not."""
        answer = self._call("POST", f"/compatibility/subjects/{self._subject(subject)}/versions",
                            {"schema": schema}, {"verbose": "true"})
        return bool(answer["is_compatible"]), list(answer.get("messages") or [])

    def level(self, subject: str) -> str:
        """The compatibility level that applies to ``subject`` (its own, else the global one)."""
        answer = self._call("GET", f"/config/{self._subject(subject)}", query={"defaultToGlobal": "true"})
        return str(answer["compatibilityLevel"])
