"""Avro schema compatibility, as the Confluent Schema Registry decides it.

Confluent delegates to Apache Avro's Java ``SchemaCompatibility`` (reader/writer resolution per the
Avro spec, "Schema Resolution") and formats each incompatibility with its ``Difference`` class; this
module reproduces both on parsed-JSON schemas, including Avro's quirks:

- named types match by *unqualified* name, or when a reader alias equals the writer's full name;
- a reader enum with a ``default`` accepts writer symbols it lacks; a reader *field* of such an enum
  type that is missing from the writer and has no field default is reported as ``TYPE_MISMATCH``
  (Avro compares the enum with the writer record), not as a missing default;
- a pair of nodes already checked is not checked again: its earlier result is reused (and repeated,
  with its first location) and a pair still being checked counts as compatible (recursive types);
- logical types are ignored: only the underlying type is resolved. Avro never merged decimal
  resolution (AVRO-2078, apache/avro#247, still open), so Confluent accepts a change of decimal
  precision or scale. ``strict_decimal=True`` applies the Avro spec's rule instead ("decimal types
  match if their scales and precisions match"), reported as ``DECIMAL_SCALE_OR_PRECISION_MISMATCH``.

:func:`can_read` checks one reader against one writer; :func:`check` applies a registry level to a
subject's history the way Confluent's ``CompatibilityChecker`` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from registry._schema_graph import (
    Array,
    Field,
    Fixed,
    Map,
    Named,
    Node,
    Primitive,
    Record,
    SchemaJson,
    Union,
    parse,
)
from registry._schema_graph import Enum as EnumNode
from registry.errors import InvalidSchema

__all__ = ["Incompatibility", "IncompatibilityType", "InvalidSchema", "Level", "can_read", "check"]


class Level(str, Enum):
    """A subject's compatibility level, with Confluent's names."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"


class IncompatibilityType(str, Enum):
    """Avro's ``SchemaIncompatibilityType`` names (the last one only with ``strict_decimal``)."""

    NAME_MISMATCH = "NAME_MISMATCH"
    FIXED_SIZE_MISMATCH = "FIXED_SIZE_MISMATCH"
    MISSING_ENUM_SYMBOLS = "MISSING_ENUM_SYMBOLS"
    READER_FIELD_MISSING_DEFAULT_VALUE = "READER_FIELD_MISSING_DEFAULT_VALUE"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    MISSING_UNION_BRANCH = "MISSING_UNION_BRANCH"
    DECIMAL_SCALE_OR_PRECISION_MISMATCH = "DECIMAL_SCALE_OR_PRECISION_MISMATCH"


_T = IncompatibilityType

# Confluent's descriptions; {r}/{w} are the roles ("new"/"old") of the reader and writer schemas.
_DESCRIPTIONS = {
    _T.FIXED_SIZE_MISMATCH: (
        "The size of FIXED type field at path '{p}' in the {r} schema does not match with the {w} schema"
    ),
    _T.TYPE_MISMATCH: "The type (path '{p}') of a field in the {r} schema does not match with the {w} schema",
    _T.NAME_MISMATCH: "The name of the schema has changed (path '{p}')",
    _T.MISSING_ENUM_SYMBOLS: "The {r} schema is missing enum symbols '{m}' at path '{p}' in the {w} schema",
    _T.MISSING_UNION_BRANCH: "The {r} schema is missing a type inside a union field at path '{p}' in the {w} schema",
    _T.READER_FIELD_MISSING_DEFAULT_VALUE: (
        "The field '{m}' at path '{p}' in the {r} schema has no default value and is missing in the {w} schema"
    ),
    _T.DECIMAL_SCALE_OR_PRECISION_MISMATCH: (
        "The decimal precision or scale at path '{p}' in the {r} schema does not match with the {w} schema"
    ),
}


@dataclass(frozen=True)
class Incompatibility:
    """One reason why the reader schema cannot read what the writer schema wrote.

    ``location`` is a JSON pointer into the reader schema (``/fields/3/type``); ``message`` is Avro's
    detail (Confluent's ``additionalInfo``): the field name, the missing symbols, the expected name or
    size, or the two type names. ``reader`` says whether the reader was the new or the old schema.
    """

    type: IncompatibilityType
    location: str
    message: str
    reader: Literal["new", "old"] = "new"

    @property
    def description(self) -> str:
        writer = "old" if self.reader == "new" else "new"
        return _DESCRIPTIONS[self.type].format(p=self.location, m=self.message, r=self.reader, w=writer)

    def __str__(self) -> str:
        return (
            f"{{errorType:'{self.type.value}', description:'{self.description}', "
            f"additionalInfo:'{self.message}'}}"
        )


def can_read(reader: SchemaJson, writer: SchemaJson, *, strict_decimal: bool = False) -> list[Incompatibility]:
    """Why data written with ``writer`` cannot be read with ``reader``; empty when it always can.

    Schemas are parsed JSON. Raises ``registry.errors.InvalidSchema`` if either cannot be resolved, or
    if a reader field matches two writer fields (by name and by alias), which Avro refuses too (Confluent
    then answers 409 "Unexpected exception during compatibility check"; we answer 422).
    """
    checker = _Checker(strict_decimal)
    return checker.compatibility("", parse(reader), parse(writer), [])


def check(
    new: SchemaJson, existing: Sequence[SchemaJson], level: Level, *, strict_decimal: bool = False
) -> list[Incompatibility]:
    """Incompatibilities of ``new`` with a subject's ``existing`` versions (oldest first) at ``level``.

    BACKWARD: ``new`` reads the latest; FORWARD: the latest reads ``new``; FULL: both, forward first.
    The transitive levels check every version, newest first, and (as Confluent does) report only the
    first version found incompatible. NONE, or no existing version, is always compatible.
    """
    if level is Level.NONE or not existing:
        return []
    versions = list(reversed(existing)) if level.value.endswith("_TRANSITIVE") else [existing[-1]]
    for old in versions:
        found = _against(new, old, level, strict_decimal)
        if found:
            return found
    return []


def _against(new: SchemaJson, old: SchemaJson, level: Level, strict_decimal: bool) -> list[Incompatibility]:
    found: list[Incompatibility] = []
    if level.value.startswith(("FORWARD", "FULL")):
        found += [dataclasses.replace(i, reader="old") for i in can_read(old, new, strict_decimal=strict_decimal)]
    if level.value.startswith(("BACKWARD", "FULL")):
        found += can_read(new, old, strict_decimal=strict_decimal)
    return found


_PROMOTIONS = {  # reader type -> writer types it can read besides its own
    "long": {"int"},
    "float": {"int", "long"},
    "double": {"int", "long", "float"},
    "bytes": {"string"},
    "string": {"bytes"},
}
_IN_PROGRESS: list[Incompatibility] = []  # sentinel, compared by identity


class _Checker:
    """One reader/writer check; memoises results per pair of nodes, like Avro's checker."""

    def __init__(self, strict_decimal: bool) -> None:
        self._strict_decimal = strict_decimal
        self._memo: dict[tuple[Node, Node], list[Incompatibility]] = {}

    def compatibility(self, token: str, reader: Node, writer: Node, path: list[str]) -> list[Incompatibility]:
        """Check a pair at ``path`` + ``token``. Avro starts a fresh path (``[]``) for union probes."""
        path.append(token)
        result = self._memo.get((reader, writer))
        if result is None:
            self._memo[(reader, writer)] = _IN_PROGRESS
            result = self._memo[(reader, writer)] = self._calculate(reader, writer, path)
        elif result is _IN_PROGRESS:
            result = []  # recursion: compatible unless proven otherwise elsewhere
        path.pop()
        return list(result)  # a copy: memoised results are shared

    def _calculate(self, reader: Node, writer: Node, path: list[str]) -> list[Incompatibility]:
        if reader.type == writer.type:
            return self._same_type(reader, writer, path)
        if isinstance(writer, Union):
            found: list[Incompatibility] = []
            for i, branch in enumerate(writer.branches):
                found += self.compatibility(str(i), reader, branch, path)
            return found
        if isinstance(reader, Union):
            if any(not self.compatibility("", branch, writer, []) for branch in reader.branches):
                return []
            return [_incompatible(_T.MISSING_UNION_BRANCH, path, f"reader union lacking writer type: {_t(writer)}")]
        if writer.type in _PROMOTIONS.get(reader.type, ()):
            return []
        return [_type_mismatch(reader, writer, path)]

    def _same_type(self, reader: Node, writer: Node, path: list[str]) -> list[Incompatibility]:
        if isinstance(reader, Primitive) and isinstance(writer, Primitive):
            return self._decimals(reader.decimal, writer.decimal, path)
        if isinstance(reader, Array) and isinstance(writer, Array):
            return self.compatibility("items", reader.items, writer.items, path)
        if isinstance(reader, Map) and isinstance(writer, Map):
            return self.compatibility("values", reader.values, writer.values, path)
        if isinstance(reader, Fixed) and isinstance(writer, Fixed):
            found = _names(reader, writer, path)
            if reader.size != writer.size:
                message = f"expected: {writer.size}, found: {reader.size}"
                found.append(_incompatible(_T.FIXED_SIZE_MISMATCH, [*path, "size"], message))
            return found + self._decimals(reader.decimal, writer.decimal, path)
        if isinstance(reader, EnumNode) and isinstance(writer, EnumNode):
            return _names(reader, writer, path) + _enum_symbols(reader, writer, path)
        if isinstance(reader, Record) and isinstance(writer, Record):
            return _names(reader, writer, path) + self._fields(reader, writer, path)
        if isinstance(reader, Union) and isinstance(writer, Union):
            found = []
            for i, branch in enumerate(writer.branches):
                if self.compatibility("", reader, branch, []):
                    message = f"reader union lacking writer type: {_t(branch)}"
                    found.append(_incompatible(_T.MISSING_UNION_BRANCH, [*path, str(i)], message))
            return found
        raise AssertionError(f"unexpected pair {reader!r} / {writer!r}")

    def _fields(self, reader: Record, writer: Record, path: list[str]) -> list[Incompatibility]:
        found: list[Incompatibility] = []
        path.append("fields")
        for pos, field in enumerate(reader.fields):
            path.append(str(pos))
            source = _writer_field(writer, field)
            if source is not None:
                found += self.compatibility("type", field.schema, source.schema, path)
            elif field.has_default:
                pass
            elif isinstance(field.schema, EnumNode) and field.schema.default is not None:
                # Avro's behaviour: it resolves the enum against the writer *record* (a type mismatch).
                found += self.compatibility("type", field.schema, writer, path)
            else:
                found.append(_incompatible(_T.READER_FIELD_MISSING_DEFAULT_VALUE, path, field.name))
            path.pop()
        path.pop()
        return found

    def _decimals(
        self, reader: tuple[int, int] | None, writer: tuple[int, int] | None, path: list[str]
    ) -> list[Incompatibility]:
        if not self._strict_decimal or reader is None or writer is None or reader == writer:
            return []
        message = f"reader decimal(precision, scale) {reader} does not match writer {writer}"
        return [_incompatible(_T.DECIMAL_SCALE_OR_PRECISION_MISMATCH, path, message)]


def _writer_field(writer: Record, field: Field) -> Field | None:
    """The writer field a reader field reads: same name, or a name among the reader field's aliases."""
    wanted = (field.name, *field.aliases)
    matches = [f for f in writer.fields if f.name in wanted]
    if len(matches) > 1:
        names = ", ".join(f.name for f in matches)
        raise InvalidSchema(f"reader field {field.name!r} matches several writer fields: {names}")
    return matches[0] if matches else None


def _names(reader: Named, writer: Named, path: list[str]) -> list[Incompatibility]:
    if reader.name.name == writer.name.name or writer.name.full in reader.aliases:
        return []
    return [_incompatible(_T.NAME_MISMATCH, [*path, "name"], f"expected: {writer.name.full}")]


def _enum_symbols(reader: EnumNode, writer: EnumNode, path: list[str]) -> list[Incompatibility]:
    missing = sorted(set(writer.symbols) - set(reader.symbols))
    if not missing or (reader.default is not None and reader.default in reader.symbols):
        return []
    return [_incompatible(_T.MISSING_ENUM_SYMBOLS, [*path, "symbols"], f"[{', '.join(missing)}]")]


def _type_mismatch(reader: Node, writer: Node, path: list[str]) -> Incompatibility:
    message = f"reader type: {_t(reader)} not compatible with writer type: {_t(writer)}"
    return _incompatible(_T.TYPE_MISMATCH, path, message)


def _incompatible(kind: IncompatibilityType, path: list[str], message: str) -> Incompatibility:
    # path[0] is the root token; the rest are JSON pointer reference tokens, escaped as such.
    pointer = "/" + "/".join(token.replace("~", "~0").replace("/", "~1") for token in path[1:])
    return Incompatibility(kind, pointer, message)


def _t(node: Node) -> str:
    return node.type.upper()
