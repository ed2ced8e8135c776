"""Avro schema JSON (dict/list/str, as ``json.loads`` gives it) turned into a graph of nodes.

Named types are defined once and shared: a later reference to a record, enum or fixed by its name
(or full name) points to the same node object, so recursive schemas become cycles. Compatibility
checking memoises on node identity, exactly as Avro's Java ``SchemaCompatibility`` does on ``Schema``
objects; for that reason every primitive, array, map and union occurrence gets a node of its own, as
the Java parser creates a new ``Schema`` for each.

Name resolution follows the Avro spec (and the Java parser): a name with a dot is a full name; a
simple name takes the namespace of the ``namespace`` attribute or of the enclosing named type;
``"namespace": ""`` means the null namespace; a reference to a simple name is looked up in the
enclosing namespace first, then in the null namespace. Aliases of named types are made full names
relative to the type's own namespace. A schema that cannot be resolved (unknown name, missing
attribute, redefinition, duplicate union branch or enum symbol) raises ``registry.errors.InvalidSchema``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from registry.errors import InvalidSchema

SchemaJson: TypeAlias = dict[str, Any] | list[Any] | str
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


@dataclass(frozen=True)
class Name:
    name: str
    space: str | None

    @property
    def full(self) -> str:
        return f"{self.space}.{self.name}" if self.space else self.name

    @classmethod
    def of(cls, text: str, space: str | None) -> Name:
        if "." in text:
            ns, _, simple = text.rpartition(".")
            return cls(simple, ns or None)
        return cls(text, space or None)


# eq=False everywhere: nodes compare and hash by identity, which the memoisation relies on.
@dataclass(eq=False)
class Primitive:
    type: str
    decimal: tuple[int, int] | None = None  # (precision, scale) of a valid decimal logical type


@dataclass(eq=False)
class Array:
    items: Node
    type: str = "array"


@dataclass(eq=False)
class Map:
    values: Node
    type: str = "map"


@dataclass(eq=False)
class Union:
    branches: list[Node]
    type: str = "union"


@dataclass(eq=False)
class Field:
    name: str
    schema: Node
    aliases: tuple[str, ...]
    has_default: bool  # a "default" key is present, even ``null``


@dataclass(eq=False)
class Record:
    name: Name
    aliases: frozenset[str]
    fields: list[Field] = field(default_factory=list)
    type: str = "record"


@dataclass(eq=False)
class Enum:
    name: Name
    aliases: frozenset[str]
    symbols: tuple[str, ...]
    default: str | None
    type: str = "enum"


@dataclass(eq=False)
class Fixed:
    name: Name
    aliases: frozenset[str]
    size: int
    decimal: tuple[int, int] | None = None
    type: str = "fixed"


Node: TypeAlias = Primitive | Array | Map | Union | Record | Enum | Fixed
Named: TypeAlias = Record | Enum | Fixed


def parse(schema: SchemaJson) -> Node:
    """Resolve a parsed-JSON Avro schema into a node graph; raise :class:`InvalidSchema` if it cannot be."""
    return _Parser().node(schema, None)


class _Parser:
    def __init__(self) -> None:
        self._names: dict[str, Named] = {}

    def node(self, schema: Any, space: str | None) -> Node:
        if isinstance(schema, str):
            return self._reference(schema, space)
        if isinstance(schema, list):
            return _union([self.node(branch, space) for branch in schema])
        if not isinstance(schema, dict):
            raise InvalidSchema(f"not an Avro schema: {schema!r}")
        kind = schema.get("type")
        if isinstance(kind, (dict, list)):
            return self.node(kind, space)
        if not isinstance(kind, str):
            raise InvalidSchema(f"schema has no 'type': {schema!r}")
        if kind in PRIMITIVES:
            return Primitive(kind, _decimal(schema, None) if kind == "bytes" else None)
        if kind == "array":
            return Array(self.node(_required(schema, "items"), space))
        if kind == "map":
            return Map(self.node(_required(schema, "values"), space))
        if kind in ("record", "error", "enum", "fixed"):
            return self._named(kind, schema, space)
        return self._reference(kind, space)

    def _reference(self, text: str, space: str | None) -> Node:
        if text in PRIMITIVES:
            return Primitive(text)
        found = self._names.get(Name.of(text, space).full) or self._names.get(text)
        if found is None:
            raise InvalidSchema(f"unknown type name {text!r}")
        return found

    def _named(self, kind: str, schema: dict[str, Any], space: str | None) -> Named:
        name_text = _required(schema, "name")
        ns = schema.get("namespace")
        name = Name.of(str(name_text), space if ns is None else str(ns))
        aliases = frozenset(Name.of(str(a), name.space).full for a in schema.get("aliases") or ())
        node: Named
        if kind == "enum":
            default = schema.get("default")
            symbols = tuple(str(s) for s in _required(schema, "symbols"))
            if len(set(symbols)) != len(symbols) or (default is not None and default not in symbols):
                raise InvalidSchema(f"enum {name.full!r} has duplicate symbols or a default not among them")
            node = Enum(name, aliases, symbols, default)
        elif kind == "fixed":
            size = _required(schema, "size")
            if not isinstance(size, int) or size < 0:
                raise InvalidSchema(f"fixed {name.full!r} has an invalid size: {size!r}")
            node = Fixed(name, aliases, size, _decimal(schema, size))
        else:
            node = Record(name, aliases)
        if name.full in self._names:
            raise InvalidSchema(f"type {name.full!r} is defined twice")
        self._names[name.full] = node  # before the fields: they may refer to the record itself
        if isinstance(node, Record):
            node.fields = [self._field(f, name.space) for f in _required(schema, "fields")]
            seen = [f.name for f in node.fields]
            if len(set(seen)) != len(seen):
                raise InvalidSchema(f"record {name.full!r} has duplicate field names")
        return node

    def _field(self, spec: Any, space: str | None) -> Field:
        if not isinstance(spec, dict):
            raise InvalidSchema(f"record field is not an object: {spec!r}")
        return Field(
            name=str(_required(spec, "name")),
            schema=self.node(_required(spec, "type"), space),
            aliases=tuple(str(a) for a in spec.get("aliases") or ()),
            has_default="default" in spec,
        )


def _union(branches: list[Node]) -> Union:
    keys = [b.name.full if isinstance(b, (Record, Enum, Fixed)) else b.type for b in branches]
    if "union" in keys or len(set(keys)) != len(keys):
        raise InvalidSchema(f"union has a nested union or two branches of one type: {keys}")
    return Union(branches)


def _required(schema: dict[str, Any], key: str) -> Any:
    if key not in schema:
        raise InvalidSchema(f"schema lacks {key!r}: {schema!r}")
    return schema[key]


def _decimal(schema: dict[str, Any], fixed_size: int | None) -> tuple[int, int] | None:
    """(precision, scale) of a valid decimal; like Avro, an invalid decimal is left as its base type."""
    if schema.get("logicalType") != "decimal":
        return None
    precision, scale = schema.get("precision"), schema.get("scale", 0)
    if not isinstance(precision, int) or not isinstance(scale, int):
        return None
    limit = math.floor(math.log10(2 ** (8 * fixed_size - 1) - 1)) if fixed_size else precision
    if precision <= 0 or not 0 <= scale <= precision or precision > limit:
        return None
    return precision, scale
