"""Avro compatibility as Confluent's registry decides it (Avro's Java SchemaCompatibility rules)."""

from __future__ import annotations

from typing import Any

import pytest

from registry.compatibility import Incompatibility, IncompatibilityType, Level, can_read, check
from registry.errors import InvalidSchema


def rec(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def f(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def enum(name: str, *symbols: str, **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": name, "symbols": list(symbols), **extra}


def fixed(name: str, size: int, **extra: Any) -> dict[str, Any]:
    return {"type": "fixed", "name": name, "size": size, **extra}


def decimal(precision: int, scale: int) -> dict[str, Any]:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}


TM, NM, FS = "TYPE_MISMATCH", "NAME_MISMATCH", "FIXED_SIZE_MISMATCH"
MES, MUB, RFD = "MISSING_ENUM_SYMBOLS", "MISSING_UNION_BRANCH", "READER_FIELD_MISSING_DEFAULT_VALUE"

R_A = rec("R", f("a", "int"))
TIMESTAMP_MS = {"type": "long", "logicalType": "timestamp-millis"}
LIST_NODE = rec("Node", f("value", "int"), f("next", ["null", "Node"]))
LIST_NODE_NEW_FIELD = rec("Node", f("value", "int"), f("next", ["null", "Node"]), f("label", "string"))
LIST_NODE_NEW_DEFAULT = rec("Node", f("value", "int"), f("next", ["null", "Node"]), f("label", "string", default=""))

# (id, reader, writer, expected [(type, location)] in Avro's order)
CASES: list[tuple[str, Any, Any, list[tuple[str, str]]]] = [
    # primitives and promotions
    ("same-primitive", "int", "int", []),
    ("object-form-primitive", {"type": "string"}, "string", []),
    ("null-null", "null", "null", []),
    ("int-to-long", "long", "int", []),
    ("int-to-float", "float", "int", []),
    ("long-to-float", "float", "long", []),
    ("int-to-double", "double", "int", []),
    ("long-to-double", "double", "long", []),
    ("float-to-double", "double", "float", []),
    ("string-to-bytes", "bytes", "string", []),
    ("bytes-to-string", "string", "bytes", []),
    ("long-narrowed-to-int", "int", "long", [(TM, "/")]),
    ("double-narrowed-to-float", "float", "double", [(TM, "/")]),
    ("float-to-long", "long", "float", [(TM, "/")]),
    ("int-to-string", "string", "int", [(TM, "/")]),
    ("null-to-boolean", "boolean", "null", [(TM, "/")]),
    ("record-vs-int", rec("R", f("a", "int")), "int", [(TM, "/")]),
    # records
    ("same-record", rec("R", f("a", "int")), rec("R", f("a", "int")), []),
    ("reader-adds-field-with-default", rec("R", f("a", "int"), f("b", "string", default="x")), R_A, []),
    ("reader-adds-field-null-default", rec("R", f("a", "int"), f("b", ["null", "string"], default=None)), R_A, []),
    ("reader-adds-field-no-default", rec("R", f("a", "int"), f("b", "string")), R_A, [(RFD, "/fields/1")]),
    ("writer-extra-field-ignored", rec("R", f("a", "int")), rec("R", f("a", "int"), f("b", "string")), []),
    ("field-type-changed", rec("R", f("a", "string")), rec("R", f("a", "int")), [(TM, "/fields/0/type")]),
    ("field-type-promoted", rec("R", f("a", "long")), rec("R", f("a", "int")), []),
    ("field-alias-matches-writer-name", rec("R", f("b", "int", aliases=["a"])), rec("R", f("a", "int")), []),
    ("field-renamed-without-alias", rec("R", f("b", "int")), rec("R", f("a", "int")), [(RFD, "/fields/0")]),
    ("writer-alias-unused", rec("R", f("b", "int")), rec("R", f("a", "int", aliases=["b"])), [(RFD, "/fields/0")]),
    (
        "several-problems-in-field-order",
        rec("R", f("a", "string"), f("b", "int"), f("c", "long")),
        rec("R", f("a", "int"), f("c", "double")),
        [(TM, "/fields/0/type"), (RFD, "/fields/1"), (TM, "/fields/2/type")],
    ),
    ("record-renamed", rec("S", f("a", "int")), rec("R", f("a", "int")), [(NM, "/name")]),
    ("record-renamed-and-field-missing", rec("S", f("a", "int")), rec("R"), [(NM, "/name"), (RFD, "/fields/0")]),
    ("namespace-changed-same-name", rec("R", namespace="new.ns"), rec("R", namespace="old.ns"), []),
    ("full-name-vs-namespace", rec("a.b.R"), rec("R", namespace="a.b"), []),
    ("record-alias-full-name", rec("S", namespace="n", aliases=["old.R"]), rec("R", namespace="old"), []),
    ("record-alias-relative-to-namespace", rec("S", namespace="n", aliases=["R"]), rec("R", namespace="n"), []),
    ("record-alias-other-namespace", rec("S", namespace="n", aliases=["R"]), rec("R", namespace="m"), [(NM, "/name")]),
    (
        "nested-record-missing-default",
        rec("Outer", f("inner", rec("Inner", f("x", "int"), f("y", "int")))),
        rec("Outer", f("inner", rec("Inner", f("x", "int")))),
        [(RFD, "/fields/0/type/fields/1")],
    ),
    # enums
    ("enum-reader-adds-symbol", enum("E", "A", "B", "C"), enum("E", "A", "B"), []),
    ("enum-reader-drops-symbols", enum("E", "A"), enum("E", "A", "C", "B"), [(MES, "/symbols")]),
    ("enum-reader-drops-symbol-with-default", enum("E", "A", "B", default="A"), enum("E", "A", "B", "C"), []),
    ("enum-renamed", enum("F", "A"), enum("E", "A"), [(NM, "/name")]),
    (
        "enum-default-field-missing-in-writer",
        rec("R", f("a", "int"), f("e", enum("E", "A", default="A"))),
        rec("R", f("a", "int")),
        [(TM, "/fields/1/type")],
    ),
    ("enum-vs-string", "string", enum("E", "A"), [(TM, "/")]),
    # fixed
    ("fixed-same", fixed("F", 16), fixed("F", 16), []),
    ("fixed-size-changed", fixed("F", 8), fixed("F", 16), [(FS, "/size")]),
    ("fixed-renamed-and-resized", fixed("G", 8), fixed("F", 16), [(NM, "/name"), (FS, "/size")]),
    ("fixed-vs-bytes", "bytes", fixed("F", 4), [(TM, "/")]),
    # arrays and maps
    ("array-items-promoted", {"type": "array", "items": "long"}, {"type": "array", "items": "int"}, []),
    ("array-items-changed", {"type": "array", "items": "int"}, {"type": "array", "items": "string"}, [(TM, "/items")]),
    ("map-values-changed", {"type": "map", "values": "int"}, {"type": "map", "values": "string"}, [(TM, "/values")]),
    (
        "map-of-records-missing-default",
        {"type": "map", "values": rec("V", f("a", "int"))},
        {"type": "map", "values": rec("V")},
        [(RFD, "/values/fields/0")],
    ),
    ("array-vs-map", {"type": "array", "items": "int"}, {"type": "map", "values": "int"}, [(TM, "/")]),
    # unions
    ("reader-union-has-writer-type", ["null", "string"], "string", []),
    ("reader-union-lacks-writer-type", ["null", "string"], "int", [(MUB, "/")]),
    ("reader-union-promotes-writer-type", ["null", "long"], "int", []),
    ("writer-union-all-readable", "long", ["int", "long"], []),
    ("writer-union-branch-unreadable", "string", ["null", "string"], [(TM, "/0")]),
    ("union-widened", ["null", "string", "int"], ["null", "string"], []),
    ("union-narrowed", ["null", "string"], ["null", "string", "int"], [(MUB, "/2")]),
    ("union-reordered", ["string", "null"], ["null", "string"], []),
    (
        "union-in-field-narrowed",
        rec("R", f("a", ["null", "int"])),
        rec("R", f("a", ["null", "string", "int"])),
        [(MUB, "/fields/0/type/1")],
    ),
    ("record-in-union-changed", [rec("R", f("a", "int"), f("b", "int"))], [rec("R", f("a", "int"))], [(MUB, "/0")]),
    ("optional-field-made-required", R_A, rec("R", f("a", ["null", "int"])), [(TM, "/fields/0/type/0")]),
    # named references and recursion
    (
        "reference-by-simple-name",
        rec("R", f("a", enum("E", "A", "B")), f("b", "E"), namespace="n"),
        rec("R", f("a", enum("E", "A", "B")), f("b", "E"), namespace="n"),
        [],
    ),
    (
        "reference-by-full-name-other-namespace",
        rec("R", f("a", enum("E", "A", namespace="x")), f("b", "x.E"), namespace="n"),
        rec("R", f("a", enum("E", "A", namespace="x")), f("b", {"type": "x.E"}), namespace="n"),
        [],
    ),
    (
        "reference-inherits-enclosing-namespace",
        rec("R", f("a", rec("Inner", f("x", "int"))), f("b", "n.Inner"), namespace="n"),
        rec("R", f("a", rec("Inner", f("x", "int"))), f("b", "Inner"), namespace="n"),
        [],
    ),
    (
        "reference-falls-back-to-null-namespace",
        rec("R", f("a", enum("E", "A", namespace="")), f("b", "E"), namespace="n"),
        rec("R", f("a", enum("E", "A", "B", namespace="")), f("b", "E"), namespace="n"),
        [(MES, "/fields/0/type/symbols"), (MES, "/fields/0/type/symbols")],
    ),
    (
        # Avro memoises reader/writer pairs: the second use of the pair repeats the first result.
        "shared-type-reported-per-use",
        rec("R", f("a", enum("E", "A")), f("b", "E")),
        rec("R", f("a", enum("E", "A", "B")), f("b", "E")),
        [(MES, "/fields/0/type/symbols"), (MES, "/fields/0/type/symbols")],
    ),
    ("recursive-same", LIST_NODE, LIST_NODE, []),
    ("recursive-reader-adds-default", LIST_NODE_NEW_DEFAULT, LIST_NODE, []),
    ("recursive-reader-adds-required", LIST_NODE_NEW_FIELD, LIST_NODE, [(RFD, "/fields/2")]),
    ("recursive-writer-adds-field", LIST_NODE, LIST_NODE_NEW_FIELD, []),
    # logical types: only the underlying type is resolved
    ("timestamp-vs-long", TIMESTAMP_MS, "long", []),
    ("date-to-timestamp", TIMESTAMP_MS, {"type": "int", "logicalType": "date"}, []),
    ("uuid-vs-string", {"type": "string", "logicalType": "uuid"}, "string", []),
    ("decimal-scale-changed", decimal(10, 3), decimal(10, 2), []),
    ("decimal-vs-string", "string", decimal(4, 2), []),
    ("decimal-fixed-vs-bytes", decimal(4, 2), fixed("D", 4, logicalType="decimal", precision=4, scale=2), [(TM, "/")]),
]


@pytest.mark.parametrize(("reader", "writer", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_can_read(reader: Any, writer: Any, expected: list[tuple[str, str]]) -> None:
    assert [(i.type, i.location) for i in can_read(reader, writer)] == expected


@pytest.mark.parametrize(
    ("reader", "writer", "expected"),
    [
        (decimal(10, 3), decimal(10, 2), ["DECIMAL_SCALE_OR_PRECISION_MISMATCH"]),
        (decimal(12, 2), decimal(10, 2), ["DECIMAL_SCALE_OR_PRECISION_MISMATCH"]),
        (decimal(10, 2), decimal(10, 2), []),
        (decimal(4, 2), "bytes", []),
        (
            rec("R", f("d", fixed("D", 8, logicalType="decimal", precision=10, scale=1))),
            rec("R", f("d", fixed("D", 8, logicalType="decimal", precision=10, scale=2))),
            ["DECIMAL_SCALE_OR_PRECISION_MISMATCH"],
        ),
    ],
)
def test_strict_decimal_follows_the_avro_spec(reader: Any, writer: Any, expected: list[str]) -> None:
    assert [i.type for i in can_read(reader, writer, strict_decimal=True)] == expected


def test_messages_are_avros_details() -> None:
    reader = rec("S", f("a", "string"), f("e", enum("E", "A")), f("x", fixed("F", 4)), f("u", ["null", "int"]))
    writer = rec(
        "ns.R", f("a", "int"), f("e", enum("E", "A", "C", "B")), f("x", fixed("F", 8)), f("u", ["int", "string"])
    )
    assert [(i.type, i.location, i.message) for i in can_read(reader, writer)] == [
        (NM, "/name", "expected: ns.R"),
        (TM, "/fields/0/type", "reader type: STRING not compatible with writer type: INT"),
        (MES, "/fields/1/type/symbols", "[B, C]"),
        (FS, "/fields/2/type/size", "expected: 8, found: 4"),
        (MUB, "/fields/3/type/1", "reader union lacking writer type: STRING"),
    ]


def test_str_is_confluents_verbose_format() -> None:
    [found] = can_read(rec("R", f("a", "int"), f("x", "string")), rec("R", f("a", "int")))
    assert str(found) == (
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'x' at path '/fields/1' "
        "in the new schema has no default value and is missing in the old schema', additionalInfo:'x'}"
    )


def test_incompatibility_is_a_frozen_value() -> None:
    [found] = can_read("int", "string")
    assert found == Incompatibility(
        IncompatibilityType.TYPE_MISMATCH, "/", "reader type: INT not compatible with writer type: STRING"
    )
    with pytest.raises(AttributeError):
        found.location = "/x"  # type: ignore[misc]


def test_pointer_tokens_are_escaped() -> None:
    reader = {"type": "map", "values": rec("V", f("a/b~c", "int"))}
    assert [i.location for i in can_read(reader, {"type": "map", "values": rec("V")})] == ["/values/fields/0"]
    [found] = can_read(rec("R", f("a/b", "int")), rec("R"))
    assert (found.location, found.message) == ("/fields/0", "a/b")


@pytest.mark.parametrize(
    "schema",
    [
        rec("R", f("a", "Unknown")),
        rec("R", f("a", "int"), f("a", "long")),
        rec("R", f("a", enum("E", "A")), f("b", enum("E", "B"))),
        {"type": "record", "name": "R"},
        {"name": "no-type"},
        42,
        ["null", "int", "null"],
        ["null", ["int"]],
        enum("E", "A", "A"),
        enum("E", "A", default="B"),
        {"type": "fixed", "name": "F", "size": "16"},
    ],
    ids=[
        "unknown-name", "duplicate-field", "redefined-type", "no-fields", "no-type", "not-a-schema",
        "duplicate-union-branch", "nested-union", "duplicate-symbol", "enum-default-not-a-symbol",
        "fixed-size-not-an-int",
    ],
)
def test_unresolvable_schema_is_rejected(schema: Any) -> None:
    with pytest.raises(InvalidSchema):
        can_read(schema, "int")


def test_reader_field_matching_two_writer_fields_is_rejected() -> None:
    reader = rec("R", f("a", "int", aliases=["b"]))
    with pytest.raises(InvalidSchema, match="matches several writer fields: a, b"):
        can_read(reader, rec("R", f("a", "int"), f("b", "int")))


# -- levels ---------------------------------------------------------------------------------------
V_A = rec("R", f("a", "int"))
V_AB_REQUIRED = rec("R", f("a", "int"), f("b", "string"))
V_AB_DEFAULT = rec("R", f("a", "int"), f("b", "string", default="x"))


def kinds(found: list[Incompatibility]) -> list[tuple[str, str]]:
    return [(i.type, i.reader) for i in found]


@pytest.mark.parametrize(
    ("level", "existing", "new", "expected"),
    [
        # BACKWARD: the new schema reads the latest only. The newest is fine with v2, not with v1.
        (Level.BACKWARD, [V_A, V_AB_DEFAULT], V_AB_REQUIRED, []),
        (Level.BACKWARD_TRANSITIVE, [V_A, V_AB_DEFAULT], V_AB_REQUIRED, [(RFD, "new")]),
        (Level.BACKWARD, [V_AB_DEFAULT], V_A, []),
        # FORWARD: the latest reads the new schema. Dropping b is fine for v2 (default), not for v1.
        (Level.FORWARD, [V_AB_REQUIRED, V_AB_DEFAULT], V_A, []),
        (Level.FORWARD_TRANSITIVE, [V_AB_REQUIRED, V_AB_DEFAULT], V_A, [(RFD, "old")]),
        (Level.FORWARD, [V_A], V_AB_REQUIRED, []),
        # FULL: both directions, forward first.
        (Level.FULL, [V_AB_REQUIRED, V_AB_DEFAULT], V_A, []),
        (Level.FULL_TRANSITIVE, [V_AB_REQUIRED, V_AB_DEFAULT], V_A, [(RFD, "old")]),
        (Level.FULL, [V_A], V_AB_REQUIRED, [(RFD, "new")]),
        (Level.FULL, [rec("R", f("a", "int"))], rec("R", f("a", "string")), [(TM, "old"), (TM, "new")]),
        # NONE, and an empty history, accept anything.
        (Level.NONE, [V_A], "string", []),
        (Level.FULL_TRANSITIVE, [], "string", []),
    ],
)
def test_check_levels(level: Level, existing: list[Any], new: Any, expected: list[tuple[str, str]]) -> None:
    assert kinds(check(new, existing, level)) == expected


def test_transitive_reports_only_the_newest_incompatible_version() -> None:
    v1 = rec("R", f("a", "int"))
    v2 = rec("R", f("a", "int"), f("b", "int"))
    new = rec("R", f("a", "string"), f("b", "int"), f("c", "int"))
    found = check(new, [v1, v2], Level.BACKWARD_TRANSITIVE)
    assert [(i.type, i.location) for i in found] == [(TM, "/fields/0/type"), (RFD, "/fields/2")]


def test_forward_describes_the_old_schema_as_reader() -> None:
    [found] = check(V_A, [V_AB_REQUIRED], Level.FORWARD)
    assert found.description == (
        "The field 'b' at path '/fields/1' in the old schema has no default value and is missing in the new schema"
    )


def test_check_passes_strict_decimal_through() -> None:
    old, new = rec("R", f("d", decimal(10, 2))), rec("R", f("d", decimal(10, 4)))
    assert kinds(check(new, [old], Level.FULL)) == []
    assert kinds(check(new, [old], Level.FULL, strict_decimal=True)) == [
        ("DECIMAL_SCALE_OR_PRECISION_MISMATCH", "old"),
        ("DECIMAL_SCALE_OR_PRECISION_MISMATCH", "new"),
    ]


def test_levels_have_confluents_names() -> None:
    assert [level.value for level in Level] == [
        "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"
    ]
    assert Level("FULL_TRANSITIVE") is Level.FULL_TRANSITIVE
