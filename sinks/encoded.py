"""Inserting still-encoded Avro: ClickHouse decodes, not Python (pure builders).

Decoding each message with fastavro costs more CPU than ClickHouse's whole columnar insert of the row, so
the sink hands the Avro bodies to ClickHouse. A topic's run of messages written with one schema becomes
one Avro object container (the writer schema in its header, the bodies as one block); ``INSERT … FORMAT
Avro`` goes into a ``Null`` staging table shaped like the Avro record (records as ``Tuple``), and
materialized views flatten it into the history table (and route the monitor's canaries to the probe
landings table). The deduplication token of the insert reaches the views' target tables
(``deduplicate_blocks_in_dependent_materialized_views``), so the exactly-once effect is the same.

The Kafka coordinates travel inside each row: an Avro record's encoding is its fields' encodings one after
another, so prefixing a body with the encodings of ``_topic``, ``_partition`` and ``_offset`` gives a valid
body of the writer schema with those three fields in front (:func:`with_coordinates`).

Schemas this path cannot express (a union of two or more non-null types, a nullable array or map) raise
:class:`Unsupported`; the writer then decodes in Python.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import fastavro

from hub.probe_marks import LANDINGS_TABLE, PROBE_SYSTEM
from sinks.ddl import Column, history_table, logical_type
from sinks.targets import Shape, Target

COORDINATES = ({"name": "_topic", "type": "string"}, {"name": "_partition", "type": "int"},
               {"name": "_offset", "type": "long"})


class Unsupported(Exception):
    """The writer schema has a type the Avro input path cannot stage; decode in Python instead."""


@dataclass(frozen=True)
class EncodedRun:
    """Messages of one topic written with one schema, still Avro-encoded (no frame), with the partition
    and offset of each."""

    topic: str
    partitions: Sequence[int]
    schema_id: int
    offsets: Sequence[int]
    bodies: Sequence[bytes]

    def __len__(self) -> int:
        return len(self.bodies)


def fingerprint(schema: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:12]


def with_coordinates(schema: dict[str, Any]) -> dict[str, Any]:
    """The writer schema with ``_topic``, ``_partition``, ``_offset`` as its first fields."""
    out = copy.deepcopy(schema)
    out["fields"] = [*copy.deepcopy(COORDINATES), *out["fields"]]
    return out


def container_header(schema: dict[str, Any]) -> bytes:
    """The object-container header (magic, schema, null codec, sync marker) for :func:`with_coordinates`."""
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(with_coordinates(schema)), [])
    return buf.getvalue()


def _long(n: int) -> bytes:
    """Avro's zig-zag varint encoding of a long."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def container(header: bytes, run: EncodedRun) -> bytes:
    """One object container holding ``run`` as a single block, each body prefixed with its coordinates."""
    topic = run.topic.encode()
    prefixes: dict[int, bytes] = {}
    for partition in set(run.partitions):
        prefixes[partition] = _long(len(topic)) + topic + _long(partition)
    data = b"".join([prefixes[partition] + _long(offset) + body
                     for partition, offset, body in zip(run.partitions, run.offsets, run.bodies)])
    return b"".join((header, _long(len(run.bodies)), _long(len(data)), data, header[-16:]))


def staging_type(avro: Any, named: dict[str, Any] | None = None) -> str:
    """The ClickHouse type ClickHouse's Avro input reads ``avro`` into (records as named tuples).
    ``named`` collects the named types defined so far, for later references by name."""
    named = {} if named is None else named
    if isinstance(avro, list):
        branches = [t for t in avro if t != "null"]
        if len(branches) != 1:
            raise Unsupported("union of several types")
        inner = staging_type(branches[0], named)
        if "null" not in avro:
            return inner
        if inner.startswith(("Array(", "Map(")):
            raise Unsupported("nullable array or map")
        return f"Nullable({inner})"
    if isinstance(avro, str):
        simple = {"string": "String", "bytes": "String", "int": "Int32", "long": "Int64", "float": "Float32",
                  "double": "Float64", "boolean": "Bool"}
        if avro in simple:
            return simple[avro]
        if avro in named:
            return staging_type(named[avro], named)
        raise Unsupported(f"unknown type {avro!r}")
    kind = avro["type"]
    if kind in ("record", "enum", "fixed") and "name" in avro:
        named[avro["name"]] = avro
        if "namespace" in avro:
            named[f"{avro['namespace']}.{avro['name']}"] = avro
    if kind == "record":
        fields = ", ".join(f"`{f['name']}` {staging_type(f['type'], named)}" for f in avro["fields"])
        return f"Tuple({fields})"
    if kind == "enum":
        return "String"
    special = logical_type(avro)
    if special is not None:
        return special
    if kind == "array":
        return f"Array({staging_type(avro['items'], named)})"
    if kind == "map":
        return f"Map(String, {staging_type(avro['values'], named)})"
    return staging_type(kind, named)


def staging_table(target: Target, schema: dict[str, Any]) -> str:
    return f"{target.table_stem}_avro_{fingerprint(schema)}"


def _element(path: Sequence[str]) -> str:
    expression = f"`{path[0]}`"
    for step in path[1:]:
        expression = f"tupleElement({expression}, '{step}')"
    return expression


def create_staging(database: str, target: Target, schema: dict[str, Any], columns: Sequence[Column]) -> list[str]:
    """The ``Null`` table the containers of ``schema`` go into, and the views that flatten its rows into the
    history table's ``columns`` (those of :func:`sinks.ddl.value_columns` for ``schema``), canaries apart."""
    staging = staging_table(target, schema)
    named: dict[str, Any] = {}
    structure = ", ".join(f"`{f['name']}` {staging_type(f['type'], named)}" for f in with_coordinates(schema)["fields"])
    select = ", ".join(f"{_element(c.path or (c.name,))} AS `{c.name}`" for c in columns)
    statements = [f"CREATE TABLE IF NOT EXISTS `{database}`.`{staging}` ({structure}) ENGINE = Null"]
    where = ""
    if target.shape is Shape.CHANGES:
        canary = f"tupleElement(`source`, 'system') = '{PROBE_SYSTEM}'"
        where = f" WHERE NOT ({canary})"
        statements.append(
            f"CREATE MATERIALIZED VIEW IF NOT EXISTS `{database}`.`{staging}_probe` TO `{database}`.`{LANDINGS_TABLE}` "
            f"AS SELECT '{target.name}' AS dataset, `event_id`, `ingest_time`, `_topic`, `_partition`, `_offset` "
            f"FROM `{database}`.`{staging}` WHERE {canary}")
    statements.append(
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS `{database}`.`{staging}_mv` TO `{database}`.`{history_table(target)}` "
        f"AS SELECT {select} FROM `{database}`.`{staging}`{where}")
    return statements
