"""Loading the shared-data catalogue (``schemas/``) into frozen values.

A dataset's wire schema is its record schema wrapped in the change envelope: the envelope's ``after``
field is ``["null", <record>]``. Topic names are derived from the namespace and the dataset name.

Loading checks what the rest of the hub relies on: every schema parses on its own and wrapped in the
envelope, every key field and personal-data path names a field of the record (nested with ``.``), key
fields are not nullable, and ``authoritative`` names only known golden records. Any failure is a
:class:`~hub.errors.CatalogueError` naming the dataset and the bad entry.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import fastavro
import yaml

import schemas
from hub.errors import CatalogueError

_RECORD_PLACEHOLDER = "__RECORD__"

GOLDEN_ENTITIES = ("citizen", "enterprise")
"""The golden records merged from all datasets; ``Dataset.authoritative`` is keyed by these."""


@dataclass(frozen=True)
class Owner:
    code: str
    name_en: str
    name_vi: str


@dataclass(frozen=True)
class Topics:
    raw: str
    clean: str
    dlq: str


@dataclass(frozen=True)
class Dataset:
    """One shared dataset of the catalogue."""

    name: str
    owner: Owner
    key: tuple[str, ...]
    personal_data: tuple[str, ...]
    retention_days: int
    description_en: str
    description_vi: str
    record_schema: dict[str, Any] = field(repr=False)
    envelope_schema: dict[str, Any] = field(repr=False)
    authoritative: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Golden-record attribute names this dataset is the authority for, per entity of
    :data:`GOLDEN_ENTITIES` (the loader fills every entity, with ``()`` where it has none)."""

    def topics(self, namespace: str) -> Topics:
        base = f"{namespace}.{self.name}"
        return Topics(raw=f"{base}.raw", clean=f"{base}.clean", dlq=f"{base}.dlq")

    @property
    def table_stem(self) -> str:
        """Base name of this dataset's ClickHouse tables, e.g. ``population_citizen``."""
        return self.name.replace(".", "_")

    @cached_property
    def parsed_record(self) -> Any:
        return fastavro.parse_schema(copy.deepcopy(self.record_schema))

    @cached_property
    def parsed_envelope(self) -> Any:
        return fastavro.parse_schema(copy.deepcopy(self.envelope_schema))


@dataclass(frozen=True)
class Catalogue:
    datasets: dict[str, Dataset]

    def get(self, name: str) -> Dataset:
        try:
            return self.datasets[name]
        except KeyError:
            known = ", ".join(sorted(self.datasets))
            raise CatalogueError(f"unknown dataset {name!r}; the catalogue has: {known}") from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.datasets.values())


def wrap_in_envelope(envelope: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Return the envelope schema with its ``after`` placeholder replaced by ``record`` (pure)."""
    wrapped = copy.deepcopy(envelope)
    wrapped["name"] = f"{record['name']}Change"
    wrapped["namespace"] = record.get("namespace", envelope.get("namespace"))
    for f in wrapped["fields"]:
        if f["name"] == "after":
            f["type"] = ["null" if t == "null" else copy.deepcopy(record) for t in f["type"]]
            return wrapped
    raise CatalogueError("envelope schema has no 'after' field")


def field_at(record: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The Avro field at the dotted ``path`` of ``record`` (descending into nested and nullable records,
    also ones referenced by name), or None when there is no such field (pure)."""
    named = _named_records(record)
    current: dict[str, Any] | None = record
    found: dict[str, Any] | None = None
    for step in path.split("."):
        if current is None:
            return None
        found = next((f for f in current.get("fields", ()) if f.get("name") == step), None)
        if found is None:
            return None
        current = _record_in(found["type"], named)
    return found


def _named_records(schema: Any, found: dict[str, dict[str, Any]] | None = None,
                   namespace: str | None = None) -> dict[str, dict[str, Any]]:
    """Every record defined inside ``schema``, by short and by full name."""
    found = {} if found is None else found
    if isinstance(schema, list):
        for branch in schema:
            _named_records(branch, found, namespace)
    elif isinstance(schema, dict) and schema.get("type") == "record":
        namespace = schema.get("namespace", namespace)
        found[schema["name"]] = schema
        found[f"{namespace}.{schema['name']}" if namespace else schema["name"]] = schema
        for f in schema.get("fields", ()):
            _named_records(f.get("type"), found, namespace)
    return found


def _record_in(avro: Any, named: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The record behind a field type: a record, a name of one, or ``["null", <record>]``."""
    if isinstance(avro, str):
        return named.get(avro)
    if isinstance(avro, dict):
        return avro if avro.get("type") == "record" else None
    if isinstance(avro, list):
        records = [r for r in (_record_in(t, named) for t in avro if t != "null") if r is not None]
        return records[0] if len(records) == 1 and len(avro) == 2 and "null" in avro else None
    return None


def _is_nullable(avro: Any) -> bool:
    return avro == "null" or (isinstance(avro, list) and "null" in avro)


def check_paths(name: str, record: dict[str, Any], key: tuple[str, ...], personal_data: tuple[str, ...]) -> None:
    """Raise :class:`CatalogueError` unless every key field and personal-data path is a field of ``record``
    and no key field is nullable."""
    if not key:
        raise CatalogueError(f"dataset {name!r}: key lists no field")
    for kind, paths in (("key field", key), ("personal_data path", personal_data)):
        for path in paths:
            found = field_at(record, path)
            if found is None:
                raise CatalogueError(f"dataset {name!r}: {kind} {path!r} is not a field of record "
                                     f"{record.get('name')!r}")
            if kind == "key field" and _is_nullable(found["type"]):
                raise CatalogueError(f"dataset {name!r}: key field {path!r} is nullable")


def _authoritative(name: str, raw: Any) -> dict[str, tuple[str, ...]]:
    """``{entity: [attribute, ...]}`` from the catalogue, with every golden entity present."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise CatalogueError(f"dataset {name!r}: authoritative must map golden records to attribute lists")
    unknown = sorted(set(raw) - set(GOLDEN_ENTITIES))
    if unknown:
        raise CatalogueError(f"dataset {name!r}: authoritative names unknown golden record(s) {unknown}; "
                             f"known: {', '.join(GOLDEN_ENTITIES)}")
    result: dict[str, tuple[str, ...]] = {}
    for entity in GOLDEN_ENTITIES:
        attributes = raw.get(entity) or []
        if not isinstance(attributes, list) or not all(isinstance(a, str) and a for a in attributes):
            raise CatalogueError(f"dataset {name!r}: authoritative.{entity} must be a list of attribute names")
        result[entity] = tuple(attributes)
    return result


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"cannot read schema {path}: {exc}") from exc


def _load_dataset(name: str, entry: dict[str, Any], root: Path, envelope: dict[str, Any]) -> Dataset:
    record = _read_json(root / entry["schema"])
    fastavro.parse_schema(copy.deepcopy(record))
    wrapped = wrap_in_envelope(envelope, record)
    fastavro.parse_schema(copy.deepcopy(wrapped))
    key = tuple(entry["key"])
    personal_data = tuple(entry.get("personal_data") or ())
    check_paths(name, record, key, personal_data)
    retention_days = entry["retention_days"]
    if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days <= 0:
        raise CatalogueError(f"dataset {name!r}: retention_days must be a positive whole number of days")
    return Dataset(
        name=name,
        owner=Owner(**entry["owner"]),
        key=key,
        personal_data=personal_data,
        retention_days=retention_days,
        description_en=entry["description"]["en"],
        description_vi=entry["description"]["vi"],
        record_schema=record,
        envelope_schema=wrapped,
        authoritative=_authoritative(name, entry.get("authoritative")),
    )


def load_catalogue(path: Path = schemas.CATALOGUE_FILE) -> Catalogue:
    """Load and check the catalogue; raises :class:`CatalogueError` naming the bad entry."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read catalogue {path}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("datasets"), dict) or "envelope" not in raw:
        raise CatalogueError(f"catalogue {path} needs an 'envelope' file and a 'datasets' mapping")
    root = path.parent
    envelope = _read_json(root / raw["envelope"])
    datasets: dict[str, Dataset] = {}
    for name, entry in raw["datasets"].items():
        try:
            datasets[name] = _load_dataset(name, entry, root, envelope)
        except (KeyError, TypeError, ValueError, fastavro.schema.SchemaParseException) as exc:
            # ValueError covers fastavro's UnknownType (a type name nothing defines).
            raise CatalogueError(f"catalogue entry {name!r} is invalid: {exc!r}") from exc
    return Catalogue(datasets=datasets)
