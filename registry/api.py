"""The REST endpoints: a route table of thin handlers from an HTTP call to a query or a command.

Handlers are synchronous (they may wait on Kafka) and run in a worker thread; they parse path and query
parameters, then call :mod:`registry.queries` (reads) or :mod:`registry.commands` (writes, marked
``write=True`` so that a follower forwards them to the leader).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry import commands, queries
from registry.model import SCHEMA_TYPES, RegisterRequest, VersionRef
from registry.service import Registry


@dataclass(frozen=True)
class Call:
    """One HTTP request as handlers see it: decoded path parameters, query parameters, parsed JSON body."""

    registry: Registry
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any = None

    def flag(self, name: str) -> bool:
        """A boolean query parameter, as JAX-RS reads it: ``true`` in any case is true, anything else false."""
        return self.query.get(name, "").strip().lower() == "true"

    @property
    def subject(self) -> str:
        return self.params["subject"]

    def version(self) -> VersionRef:
        return VersionRef.parse(self.params["version"])

    def schema_id(self) -> int:
        return queries.parse_id(self.params["id"])

    def request(self) -> RegisterRequest:
        return RegisterRequest.from_json(self.body)


@dataclass(frozen=True)
class Reply:
    """``value`` is sent as JSON, or as it is when ``raw`` (a schema's own text)."""

    value: Any
    raw: bool = False


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: tuple[str, ...]
    handler: Handler
    write: bool = False
    body: bool = False


# -- handlers ------------------------------------------------------------------------------------
def root(c: Call) -> Reply:
    return Reply({})


def schema_types(c: Call) -> Reply:
    return Reply(list(SCHEMA_TYPES))


def subjects(c: Call) -> Reply:
    prefix = c.query.get("subjectPrefix", "")
    prefix = "" if prefix == ":*:" else prefix  # Confluent's "any context" default
    return Reply(c.registry.read(lambda s: queries.list_subjects(s, c.flag("deleted"), c.flag("deletedOnly"), prefix)))


def versions(c: Call) -> Reply:
    deleted, deleted_only = c.flag("deleted"), c.flag("deletedOnly")
    return Reply(c.registry.read(lambda s: queries.list_versions(s, c.subject, deleted, deleted_only)))


def register(c: Call) -> Reply:
    request = c.request()
    return Reply(c.registry.write(lambda s: commands.register(s, c.subject, request, c.registry.checker)))


def version(c: Call) -> Reply:
    ref = c.version()
    return Reply(c.registry.read(lambda s: queries.get_version(s, c.subject, ref, c.flag("deleted"))).to_json())


def version_schema(c: Call) -> Reply:
    ref = c.version()
    return Reply(c.registry.read(lambda s: queries.get_version(s, c.subject, ref, c.flag("deleted"))).schema, raw=True)


def referenced_by(c: Call) -> Reply:
    """Ids of schemas referencing this version: none, as this registry does not support references."""
    ref = c.version()
    c.registry.read(lambda s: queries.get_version(s, c.subject, ref, deleted=True))
    return Reply([])


def delete_version(c: Call) -> Reply:
    ref = c.version()
    return Reply(c.registry.write(lambda s: commands.delete_version(s, c.subject, ref, c.flag("permanent"))))


def lookup(c: Call) -> Reply:
    request = c.request()
    return Reply(c.registry.read(lambda s: queries.lookup(s, c.subject, request, c.flag("deleted"))).to_json())


def delete_subject(c: Call) -> Reply:
    return Reply(c.registry.write(lambda s: commands.delete_subject(s, c.subject, c.flag("permanent"))))


def schema_by_id(c: Call) -> Reply:
    sid = c.schema_id()
    return Reply(c.registry.read(lambda s: queries.schema_by_id(s, sid)))


def schema_text_by_id(c: Call) -> Reply:
    sid = c.schema_id()
    return Reply(c.registry.read(lambda s: queries.schema_text(s, sid)), raw=True)


def subjects_of_id(c: Call) -> Reply:
    sid = c.schema_id()
    return Reply(c.registry.read(lambda s: queries.subjects_of_id(s, sid, c.flag("deleted"))))


def versions_of_id(c: Call) -> Reply:
    sid = c.schema_id()
    return Reply(c.registry.read(lambda s: queries.versions_of_id(s, sid, c.flag("deleted"))))


def compatibility(c: Call) -> Reply:
    ref = c.version() if "version" in c.params else None
    request = c.request()
    return Reply(c.registry.read(
        lambda s: queries.check_compatibility(s, c.subject, ref, request, c.registry.checker, c.flag("verbose"))))


def get_config(c: Call) -> Reply:
    subject = c.params.get("subject")
    return Reply(c.registry.read(lambda s: queries.get_config(s, subject, c.flag("defaultToGlobal"))))


def put_config(c: Call) -> Reply:
    subject = c.params.get("subject")
    return Reply(c.registry.write(lambda s: commands.set_config(s, subject, c.body)))


def delete_config(c: Call) -> Reply:
    subject = c.params.get("subject")
    return Reply(c.registry.write(lambda s: commands.delete_config(s, subject)))


def get_mode(c: Call) -> Reply:
    subject = c.params.get("subject")
    return Reply(c.registry.read(lambda s: queries.get_mode(s, subject, c.flag("defaultToGlobal"))))


def put_mode(c: Call) -> Reply:
    subject = c.params.get("subject")
    return Reply(c.registry.write(lambda s: commands.set_mode(s, subject, c.body, c.flag("force"))))


def delete_mode(c: Call) -> Reply:
    return Reply(c.registry.write(lambda s: commands.delete_mode(s, c.subject)))


def _route(method: str, path: str, handler: Handler, write: bool = False, body: bool = False) -> Route:
    return Route(method, tuple(p for p in path.split("/") if p), handler, write, body)


ROUTES = (
    _route("GET", "/", root),
    _route("GET", "/schemas/types", schema_types),
    _route("GET", "/schemas/ids/{id}", schema_by_id),
    _route("GET", "/schemas/ids/{id}/schema", schema_text_by_id),
    _route("GET", "/schemas/ids/{id}/subjects", subjects_of_id),
    _route("GET", "/schemas/ids/{id}/versions", versions_of_id),
    _route("GET", "/subjects", subjects),
    _route("POST", "/subjects/{subject}", lookup, body=True),
    _route("DELETE", "/subjects/{subject}", delete_subject, write=True),
    _route("GET", "/subjects/{subject}/versions", versions),
    _route("POST", "/subjects/{subject}/versions", register, write=True, body=True),
    _route("GET", "/subjects/{subject}/versions/{version}", version),
    _route("DELETE", "/subjects/{subject}/versions/{version}", delete_version, write=True),
    _route("GET", "/subjects/{subject}/versions/{version}/schema", version_schema),
    _route("GET", "/subjects/{subject}/versions/{version}/referencedby", referenced_by),
    _route("POST", "/compatibility/subjects/{subject}/versions", compatibility, body=True),
    _route("POST", "/compatibility/subjects/{subject}/versions/{version}", compatibility, body=True),
    _route("GET", "/config", get_config),
    _route("PUT", "/config", put_config, write=True, body=True),
    _route("DELETE", "/config", delete_config, write=True),
    _route("GET", "/config/{subject}", get_config),
    _route("PUT", "/config/{subject}", put_config, write=True, body=True),
    _route("DELETE", "/config/{subject}", delete_config, write=True),
    _route("GET", "/mode", get_mode),
    _route("PUT", "/mode", put_mode, write=True, body=True),
    _route("GET", "/mode/{subject}", get_mode),
    _route("PUT", "/mode/{subject}", put_mode, write=True, body=True),
    _route("DELETE", "/mode/{subject}", delete_mode, write=True),
)


def match(segments: tuple[str, ...]) -> list[tuple[Route, dict[str, str]]]:
    """Routes whose pattern fits these decoded path segments, with the parameters they bind."""
    found = []
    for route in ROUTES:
        if len(route.pattern) != len(segments):
            continue
        params: dict[str, str] = {}
        for want, got in zip(route.pattern, segments):
            if want.startswith("{"):
                params[want[1:-1]] = got
            elif want != got:
                break
        else:
            found.append((route, params))
    return found
