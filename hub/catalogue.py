"""Loading the shared-data catalogue (``schemas/``) into frozen values.

A dataset's wire schema is its record schema wrapped in the change envelope: the envelope's ``after``
field is ``["null", <record>]``. Topic names are derived from the namespace and the dataset name.
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


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"cannot read schema {path}: {exc}") from exc


def load_catalogue(path: Path = schemas.CATALOGUE_FILE) -> Catalogue:
    """Load and check the catalogue; raises :class:`CatalogueError` naming the bad entry."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"cannot read catalogue {path}: {exc}") from exc
    root = path.parent
    envelope = _read_json(root / raw["envelope"])
    datasets: dict[str, Dataset] = {}
    for name, entry in raw["datasets"].items():
        try:
            record = _read_json(root / entry["schema"])
            wrapped = wrap_in_envelope(envelope, record)
            fastavro.parse_schema(copy.deepcopy(wrapped))
            datasets[name] = Dataset(
                name=name,
                owner=Owner(**entry["owner"]),
                key=tuple(entry["key"]),
                personal_data=tuple(entry.get("personal_data", ())),
                retention_days=int(entry["retention_days"]),
                description_en=entry["description"]["en"],
                description_vi=entry["description"]["vi"],
                record_schema=record,
                envelope_schema=wrapped,
            )
        except (KeyError, TypeError, fastavro.schema.SchemaParseException) as exc:
            raise CatalogueError(f"catalogue entry {name!r} is invalid: {exc!r}") from exc
    return Catalogue(datasets=datasets)
