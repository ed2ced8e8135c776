"""Loading a CSV or JSON Lines file into a dataset's raw topic through the SDK (``hub load``).

Pure core, thin shell. :func:`leaf_fields`, :func:`load_mapping`, :func:`header_mapping` and
:class:`RowMapper` turn one row into :class:`Mapped` (key and normalised record) or :class:`Rejected`
(every violation as a :class:`~producers.validation.FieldError`: path, rule, types — never the value).
:class:`SourceFile` reads the file line by line (memory stays flat whatever its size) and :func:`load`
sends mapped rows with an :class:`Emitter` — the SDK's ``HubProducer``, so validation, envelope, wire
format and the idempotent producer are the SDK's — and writes the rejects file.

Mapping file (YAML)::

    dataset: population.citizen            # optional; must then match --dataset
    fields:                                # record field path: source column (or JSON key)
      cccd: so_dinh_danh
      permanent_address.province_code: ma_tinh

Without one, a CSV header names the fields (``permanent_address.line`` …) and a JSON line is the record.
CSV cells are text, coerced by the field's Avro type: int/long (whole numbers), float/double, boolean
(true/false, 1/0, yes/no, có/không); date (``YYYY-MM-DD``), timestamp (ISO 8601 with offset) and decimal
stay text for the SDK's validation to parse. An empty cell is null for a nullable field. JSON values are
used as they are. The key is the record's catalogue key fields (joined with ``|`` if several).

Rejects file: one JSON line per rejected row, ``{"line": 7, "errors": [{"path", "rule", "expected",
"actual", "detail"}]}``. Besides the validation's rules: ``encoding`` (line not UTF-8), ``csv``
(malformed), ``columns`` (cell count differs from the header), ``json`` (line is not a JSON object) and
``kafka_refused`` (the client or broker refused the event for good). Row-level errors have path ``""``.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

import yaml

from hub.catalogue import Dataset
from hub.errors import HubError, KafkaError, ValidationError
from producers.sdk import DeliveryReport
from producers.validation import FieldError, RecordInvalid, type_name, validator_for

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_REAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
_BOOLEANS = {"true": True, "1": True, "yes": True, "có": True, "false": False, "0": False, "no": False,
             "không": False}
_TCVN3_HINT = "convert the file to UTF-8 (TCVN3: iconv -f TCVN5712-1 -t UTF-8)"


class LoaderError(HubError):
    """The load cannot start or go on: unreadable file, bad mapping, header without a mapped column."""


class Emitter(Protocol):
    """What the loader and the gateway need of a producer (:class:`producers.sdk.HubProducer` is one)."""

    def emit(self, dataset_name: str, op: str, key: str, record: dict[str, Any] | None,
             event_time: datetime | None = None, event_id: str | None = None,
             position: int | None = None) -> str: ...

    def flush(self, timeout_s: float | None = None) -> DeliveryReport: ...


# -- mapping (pure) ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Leaf:
    """A field of a record schema that holds a value (not a nested record)."""

    path: str
    kind: str
    """How a CSV cell becomes its value: ``int``, ``float``, ``boolean``, ``string`` or ``parsed``."""
    expected: str
    nullable: bool
    required: bool
    """Absent is an error: neither it nor any record above it is nullable or has a default."""


@dataclass(frozen=True)
class FieldMap:
    """Source column ``column`` fills the record field ``leaf.path``."""

    leaf: Leaf
    column: str


_KINDS = {"int": "int", "long": "int", "float": "float", "double": "float", "boolean": "boolean"}


def _kind(avro: Any) -> str:
    """How a CSV cell becomes a value of this Avro type (None: a union of several types, left as text)."""
    if isinstance(avro, dict):
        if "logicalType" in avro:
            return "parsed"
        return _kind(avro["type"]) if isinstance(avro["type"], str) and avro["type"] != "enum" else "string"
    return _KINDS.get(avro, "string") if isinstance(avro, str) else "string"


def leaf_fields(schema: dict[str, Any]) -> tuple[dict[str, Leaf], tuple[str, ...]]:
    """Every leaf of a record schema by dotted path, and the paths of its nullable nested records."""
    label = validator_for(schema).label
    named: dict[str, dict[str, Any]] = {}
    leaves: dict[str, Leaf] = {}
    optional: list[str] = []

    def walk(record: dict[str, Any], prefix: str, namespace: str | None, required: bool) -> None:
        namespace = record.get("namespace", namespace)
        named[record["name"]] = named[f"{namespace}.{record['name']}"] = record
        for f in record["fields"]:
            path, avro = prefix + f["name"], f["type"]
            nullable = isinstance(avro, list) and "null" in avro
            branches = [t for t in avro if t != "null"] if isinstance(avro, list) else [avro]
            inner = branches[0] if len(branches) == 1 else None
            nested = named.get(inner) if isinstance(inner, str) else inner
            needed = required and not nullable and "default" not in f
            if isinstance(nested, dict) and nested.get("type") == "record":
                optional.extend([path] if nullable else [])
                walk(nested, path + ".", namespace, needed)
            else:
                leaves[path] = Leaf(path, _kind(inner), label(avro, namespace), nullable, needed)

    walk(schema, "", None, True)
    return leaves, tuple(optional)


def _mapped(dataset: Dataset, targets: Mapping[str, str], where: str) -> tuple[FieldMap, ...]:
    leaves, _ = leaf_fields(dataset.record_schema)
    fields = []
    for path, column in targets.items():
        if path not in leaves:
            inside = sorted(p for p in leaves if p.startswith(f"{path}."))
            hint = f"it is a record: map its fields ({', '.join(inside)})" if inside else \
                f"fields are: {', '.join(leaves)}"
            raise LoaderError(f"{where}: {path!r} is not a field of {dataset.name}; {hint}")
        fields.append(FieldMap(leaves[path], column))
    missing = [p for p, leaf in leaves.items() if leaf.required and p not in targets]
    if missing:
        raise LoaderError(f"{where}: required field(s) of {dataset.name} not mapped: {', '.join(missing)}")
    return tuple(fields)


def load_mapping(dataset: Dataset, text: str, where: str = "mapping") -> tuple[FieldMap, ...]:
    """The mapping file's fields, checked against the dataset's schema; raises :class:`LoaderError`."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LoaderError(f"{where} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), dict) or set(raw) - {"dataset", "fields"}:
        raise LoaderError(f"{where} must be a mapping with 'fields' (field path: column) and optional 'dataset'")
    if raw.get("dataset", dataset.name) != dataset.name:
        raise LoaderError(f"{where} is for dataset {raw['dataset']!r}, not {dataset.name!r}")
    bad = [str(p) for p, c in raw["fields"].items() if not isinstance(c, str) or not c]
    if bad:
        raise LoaderError(f"{where}: the column of {', '.join(bad)} must be a non-empty string")
    return _mapped(dataset, raw["fields"], where)


def header_mapping(dataset: Dataset, header: list[str], where: str = "header") -> tuple[FieldMap, ...]:
    """Without a mapping file, each CSV column names a field path; raises :class:`LoaderError`."""
    return _mapped(dataset, {column: column for column in header}, where)


def check_columns(fields: tuple[FieldMap, ...], header: list[str], where: str) -> None:
    """Raise :class:`LoaderError` unless every mapped column is in ``header`` exactly once."""
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise LoaderError(f"{where}: column(s) {', '.join(repeated)} appear more than once in the header")
    missing = [f"{f.column!r} (for {f.leaf.path})" for f in fields if f.column not in header]
    if missing:
        raise LoaderError(f"{where}: the header has no column {', '.join(missing)}; it has: {', '.join(header)}")


def coerce(leaf: Leaf, cell: str) -> tuple[Any, FieldError | None]:
    """A CSV cell as the value for ``leaf`` (pure): ``(value, None)`` or ``(cell, error)``."""
    text = cell if leaf.kind == "string" else cell.strip()
    if text == "":
        if leaf.nullable:
            return None, None
        if leaf.kind != "string":
            return cell, FieldError(leaf.path, "required", leaf.expected, "empty")
    if leaf.kind == "int" and _WHOLE.fullmatch(text):
        return int(text), None
    if leaf.kind == "float" and _REAL.fullmatch(text) and math.isfinite(float(text)):
        return float(text), None
    if leaf.kind == "boolean" and text.casefold() in _BOOLEANS:
        return _BOOLEANS[text.casefold()], None
    if leaf.kind in ("string", "parsed"):
        return text, None
    wanted = {"int": "a whole number", "float": "a finite number", "boolean": "true/false, 1/0, yes/no, có/không"}
    return cell, FieldError(leaf.path, "type", leaf.expected, "str", f"CSV cell must be {wanted[leaf.kind]}")


def record_key(dataset: Dataset, record: Mapping[str, Any]) -> str:
    """The envelope key of ``record``: its catalogue key fields' values, joined with ``|`` (pure)."""
    return "|".join(str(_get(record, path)) for path in dataset.key)


def _get(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for step in path.split("."):
        value = value.get(step) if isinstance(value, Mapping) else None
    return value


@dataclass(frozen=True)
class Mapped:
    key: str
    record: dict[str, Any]


@dataclass(frozen=True)
class Rejected:
    errors: tuple[FieldError, ...]


class RowMapper:
    """Rows → records of one dataset. ``fields`` None: the row is the record; ``cells``: coerce CSV text."""

    def __init__(self, dataset: Dataset, fields: tuple[FieldMap, ...] | None, cells: bool) -> None:
        self._dataset, self._fields, self._cells = dataset, fields, cells
        self._validator = validator_for(dataset.record_schema)
        self._steps = [(f, *_split(f.leaf.path)) for f in fields or ()]
        optional = sorted(leaf_fields(dataset.record_schema)[1], key=lambda p: -p.count("."))  # deepest first
        self._inside = {p: [f.leaf.path for f in fields or () if f.leaf.path.startswith(f"{p}.")] for p in optional}

    def map(self, row: Mapping[str, Any]) -> Mapped | Rejected:
        """The key and normalised record, or every violation (pure)."""
        errors: list[FieldError] = []
        record = dict(row) if self._fields is None else self._build(row, errors)
        normalised, found = self._validator.validate(record)
        coerced = {e.path for e in errors}
        errors += [e for e in found if e.path not in coerced]
        key = record_key(self._dataset, normalised) if isinstance(normalised, Mapping) else ""
        if key == "" and not any(e.path in self._dataset.key for e in errors):
            errors.append(FieldError(self._dataset.key[0], "required", "non-empty key", "empty"))
        return Rejected(tuple(errors)) if errors else Mapped(key, normalised)

    def _build(self, row: Mapping[str, Any], errors: list[FieldError]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        blank: set[str] = set()
        for f, parent, name in self._steps:
            if f.column not in row:
                continue
            value = row[f.column]
            if self._cells and isinstance(value, str):
                if not value.strip():
                    blank.add(f.leaf.path)
                value, error = coerce(f.leaf, value)
                if error is not None:
                    errors.append(error)
            elif value is None:
                blank.add(f.leaf.path)
            _put(record, parent, name, value)
        for path, inside in self._inside.items():  # a nullable nested record whose cells are all empty is null
            if inside and blank.issuperset(inside):
                _put(record, *_split(path), None)
        return record


def _split(path: str) -> tuple[str, str]:
    """``a.b.c`` → (``a.b``, ``c``); ``a`` → (``""``, ``a``)."""
    parent, _, name = path.rpartition(".")
    return parent, name


def _put(record: dict[str, Any], parent: str, name: str, value: Any) -> None:
    for step in parent.split(".") if parent else ():
        record = record.setdefault(step, {})
    record[name] = value


# -- reading (I/O) ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One row of the file: its first physical line, and its values or why it cannot be read."""

    line: int
    values: Mapping[str, Any] | None
    error: FieldError | None = None


class _Lines:
    """The decoded physical lines of a binary stream, counting lines and bytes; undecodable lines are
    skipped and noted in ``bad``."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.number = self.bytes_read = 0
        self.first: int | None = None
        self.bad: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for raw in self._stream:
            self.number += 1
            self.bytes_read += len(raw)
            try:
                text = (raw[len(codecs.BOM_UTF8):] if self.number == 1 and raw.startswith(codecs.BOM_UTF8)
                        else raw).decode("utf-8")
            except UnicodeDecodeError:
                self.bad.append(self.number)
                continue
            self.first = self.number if self.first is None else self.first
            yield text

    def undecodable(self) -> Iterator[Row]:
        for line in self.bad:
            yield Row(line, None, FieldError("", "encoding", "UTF-8", "bytes", _TCVN3_HINT))
        self.bad.clear()


class SourceFile:
    """An open CSV or JSON Lines file whose mapping is checked against it; iterate :meth:`rows`."""

    def __init__(self, path: Path, dataset: Dataset, fields: tuple[FieldMap, ...] | None,
                 delimiter: str = ",") -> None:
        """Open ``path`` and read a CSV's header; raises :class:`LoaderError` naming the problem."""
        self.format = FORMATS.get(path.suffix.lower())
        if self.format is None:
            raise LoaderError(f"cannot tell the format of {path}: name it .csv, .jsonl or .ndjson")
        try:
            self.size = path.stat().st_size
            self._stream = path.open("rb")
        except OSError as exc:
            raise LoaderError(f"cannot read {path}: {exc.strerror or exc}") from exc
        self._lines = _Lines(self._stream)
        self._header: list[str] = []
        if self.format == "csv":
            self._reader = csv.reader(self._lines, delimiter=delimiter)
            try:
                first = next(self._reader, None)
            except csv.Error as exc:
                self.close()
                raise LoaderError(f"{path}: the CSV header on line 1 is malformed: {exc}") from exc
            problem = "is not UTF-8; " + _TCVN3_HINT if self._lines.bad else "is missing" if first is None else ""
            if problem:
                self.close()
                raise LoaderError(f"{path}: the CSV header {problem}")
            self._header = [c.strip() for c in first or ()]
            where = f"{path} (without --mapping, its header must name record fields)"
            fields = header_mapping(dataset, self._header, where) if fields is None else fields
            check_columns(fields, self._header, str(path))
        self.mapper = RowMapper(dataset, fields, cells=self.format == "csv")

    @property
    def bytes_read(self) -> int:
        return self._lines.bytes_read

    def rows(self) -> Iterator[Row]:
        return self._csv_rows() if self.format == "csv" else self._json_rows()

    def _csv_rows(self) -> Iterator[Row]:
        width = len(self._header)
        while True:
            self._lines.first = None
            try:
                cells = next(self._reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield from self._lines.undecodable()
                yield Row(self._lines.first or self._lines.number, None, FieldError("", "csv", "CSV row", "str", str(exc)))
                continue
            yield from self._lines.undecodable()
            line = self._lines.first or self._lines.number
            if not cells:
                continue
            if len(cells) != width:
                yield Row(line, None, FieldError("", "columns", f"{width} cells", f"{len(cells)} cells"))
            else:
                yield Row(line, dict(zip(self._header, cells)))
        yield from self._lines.undecodable()

    def _json_rows(self) -> Iterator[Row]:
        for text in self._lines:
            yield from self._lines.undecodable()
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Row(self._lines.number, None, FieldError("", "json", "JSON object", "str", exc.msg))
                continue
            if isinstance(value, dict):
                yield Row(self._lines.number, value)
            else:
                yield Row(self._lines.number, None, FieldError("", "json", "JSON object", type_name(value)))
        yield from self._lines.undecodable()

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# -- sending (the shell) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadSummary:
    rows: int
    sent: int
    """Acknowledged by Kafka."""
    spooled: int
    """Handed to the SDK but not acknowledged yet: in its spool, replayed by the next run of the system."""
    rejected: int
    rejected_by_rule: dict[str, int]
    """Rejected rows per rule code (a row breaking two rules counts under each)."""
    elapsed_s: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """0 all rows acknowledged, 1 some rejected, 3 none rejected but some not acknowledged yet."""
        return 1 if self.rejected else 3 if self.spooled else 0


def reject_line(line: int, errors: tuple[FieldError, ...]) -> str:
    """One line of the rejects file: the line number and each error's path, rule and types (no values)."""
    return json.dumps({"line": line, "errors": [
        {"path": e.path, "rule": e.rule, "expected": e.expected_type, "actual": e.actual_type, "detail": e.detail}
        for e in errors]}, ensure_ascii=False) + "\n"


def emit_errors(exc: ValidationError | KafkaError) -> tuple[FieldError, ...]:
    """The field errors of an exception raised by ``Emitter.emit``."""
    if isinstance(exc, RecordInvalid):
        return exc.errors
    if isinstance(exc, ValidationError):
        return (FieldError(exc.field, exc.rule, "", ""),)
    return (FieldError("", "kafka_refused", "", "", str(exc)),)


def load(source: SourceFile, producer: Emitter, dataset: str, op: str, rejects: IO[str] | None = None,
         progress: Callable[[int], None] | None = None, flush_every: int = 20_000,
         clock: Callable[[], float] = time.monotonic) -> LoadSummary:
    """Send every row of ``source`` (position = its line number), write rejects, and flush; returns counts.

    Flushes every ``flush_every`` events so that events the broker refuses are reported with their line."""
    started, rows, emitted, failed = clock(), 0, 0, 0
    by_rule: Counter[str] = Counter()
    window: dict[str, int] = {}  # event id -> line, for the events since the last flush

    def reject(line: int, errors: tuple[FieldError, ...]) -> None:
        by_rule.update({e.rule for e in errors})
        if rejects is not None:
            rejects.write(reject_line(line, errors))

    def settle() -> DeliveryReport:
        nonlocal failed
        report = producer.flush()
        for event_id, reason in report.failed.items():
            if event_id in window:
                failed += 1
                reject(window[event_id], (FieldError("", "kafka_refused", "", "", reason),))
        window.clear()
        return report

    for row in source.rows():
        rows += 1
        outcome = Rejected((row.error,)) if row.error else source.mapper.map(row.values or {})
        if isinstance(outcome, Mapped):
            try:
                window[producer.emit(dataset, op, outcome.key, outcome.record, position=row.line)] = row.line
                emitted += 1
            except (ValidationError, KafkaError) as exc:
                outcome = Rejected(emit_errors(exc))
        if isinstance(outcome, Rejected):
            reject(row.line, outcome.errors)
        if len(window) >= flush_every:
            settle()
        if progress is not None and rows % 512 == 0:
            progress(source.bytes_read)
    report = settle()
    if progress is not None:
        progress(source.bytes_read)
    unconfirmed = min(report.backlog + report.pending, emitted - failed)
    return LoadSummary(rows=rows, sent=emitted - failed - unconfirmed, spooled=unconfirmed,
                       rejected=rows - emitted + failed, rejected_by_rule=dict(sorted(by_rule.items())),
                       elapsed_s=clock() - started)
