"""The gateway's OpenAPI 3.1 document, written by hand (served at ``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from hub.catalogue import Catalogue
from producers.gateway.events import MAX_EVENT_ID, NDJSON

_ERROR = {"type": "object", "required": ["error", "message"], "properties": {
    "error": {"type": "string", "description": "Stable code: invalid_json, unauthorized, forbidden, "
                                               "unknown_dataset, body_too_large, unsupported_media_type, "
                                               "kafka_unavailable."},
    "message": {"type": "string"},
    "line": {"type": "integer", "description": "The NDJSON line that is not JSON (400 only)."}}}
_FIELD_ERROR = {"type": "object", "properties": {
    "path": {"type": "string", "description": "Where in the event, e.g. record.permanent_address.province_code; "
                                              "empty for the whole event."},
    "rule": {"type": "string", "description": "required, type, enum, logical_type, decimal_precision, "
                                              "decimal_scale, range, unknown_field, key_mismatch, kafka_refused…"},
    "expected": {"type": "string"}, "actual": {"type": "string", "description": "The type found, never the value."},
    "detail": {"type": "string"}}}
_EVENT = {"type": "object", "required": ["op", "key"], "additionalProperties": False, "properties": {
    "op": {"enum": ["c", "u", "d", "r"], "description": "create, update, delete, snapshot row"},
    "key": {"type": "string", "description": "The record's catalogue key (e.g. cccd), joined with | if several."},
    "record": {"type": ["object", "null"], "description": "The full record after the change, as its dataset's "
               "Avro schema in the catalogue describes it: dates YYYY-MM-DD, instants ISO 8601 with offset or "
               "epoch milliseconds, decimals as strings. Null or absent exactly for op d."},
    "event_time": {"type": ["string", "integer", "null"], "description": "When the change happened at the source."},
    "event_id": {"type": ["string", "null"], "maxLength": MAX_EVENT_ID,
                 "description": "Set it to resend safely: the hub drops duplicates by event id."}}}
_ANSWER = {"type": "object", "properties": {
    "dataset": {"type": "string"}, "accepted": {"type": "integer"}, "spooled": {"type": "integer"},
    "rejected": {"type": "integer"}, "message": {"type": "string"},
    "results": {"type": "array", "items": {"type": "object", "properties": {
        "line": {"type": "integer", "description": "The event's NDJSON line (1 for a single JSON event)."},
        "status": {"enum": ["accepted", "spooled", "rejected"]},
        "event_id": {"type": "string"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}}}}}}


def _answer(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, **({"headers": headers} if headers else {}),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi(catalogue: Catalogue, max_body_bytes: int) -> dict[str, Any]:
    """The document, naming the catalogue's datasets and their owners."""
    owners = "; ".join(f"{d.name}: {d.owner.code}" for d in catalogue)
    ingest = {
        "summary": "Send change events of a dataset",
        "description": "One JSON event, or one event per line (NDJSON). Each event is answered: accepted "
                       "once Kafka acknowledged it, spooled, or rejected with its field errors. Only the "
                       f"dataset's owner may send ({owners}). Bodies over {max_body_bytes} bytes get 413.",
        "security": [{"bearer": []}],
        "parameters": [{"name": "dataset", "in": "path", "required": True,
                        "schema": {"enum": [d.name for d in catalogue]}}],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Event"}},
            NDJSON: {"schema": {"type": "string", "description": "One Event per line."}}}},
        "responses": {
            "200": _answer("Every event accepted (acknowledged by Kafka)."),
            "202": _answer("None rejected, some spooled: they reach Kafka once it answers."),
            "207": _answer("Some events rejected, the others accepted or spooled."),
            "422": _answer("Every event rejected."),
            "400": _error("Not JSON (for NDJSON, `line` names the line), or no event."),
            "401": _error("No bearer token, or one no ministry holds.",
                          {"WWW-Authenticate": {"schema": {"type": "string"}}}),
            "403": _error("The token's ministry does not own this dataset."),
            "404": _error("No such dataset in the catalogue."),
            "413": _error("The body is larger than the gateway accepts."),
            "415": _error(f"Content-Type is neither application/json nor {NDJSON} (UTF-8)."),
            "503": _error("Kafka is not taking events; nothing was sent.",
                          {"Retry-After": {"schema": {"type": "integer"}}}),
        },
    }
    health = {"summary": "Liveness", "responses": {"200": {"description": "The gateway is up.", "content": {
        "application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ok"}}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hub ingest gateway", "version": "1",
                 "description": "Ministries' systems send change events of their datasets to the national data hub."},
        "paths": {"/v1/datasets/{dataset}/events": {"post": ingest}, "/healthz": {"get": health}},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "The ministry's API token."}},
            "schemas": {"Event": _EVENT, "Answer": _ANSWER, "FieldError": _FIELD_ERROR, "Error": _ERROR},
        },
    }
