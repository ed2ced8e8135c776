"""Field-level differences between two Avro schemas (pure): what a ministry changed in its ``.avsc``.

Fields are matched by name inside records, recursively (through unions, arrays and maps), and named
by their dotted path from the top record: ``after.permanent_address.ward_code``. Reported: fields added
or removed, a field's type, default or doc changed, enum symbols added or removed, a record renamed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_MISSING = object()


@dataclass(frozen=True)
class Change:
    kind: str  # "added", "removed" or "changed"
    path: str
    detail: str

    def __str__(self) -> str:
        sign = {"added": "+", "removed": "-"}.get(self.kind, "~")
        return f"{sign} {self.path}: {self.detail}"


def diff(old: Any, new: Any) -> list[Change]:
    """Changes from ``old`` to ``new`` (parsed JSON schemas), in the order of the new schema's fields."""
    return _Differ(_named(old), _named(new)).types("", old, new)


def _named(schema: Any, found: dict[str, Any] | None = None) -> dict[str, Any]:
    """Named types defined in ``schema``, by short name (enough to follow references inside one schema)."""
    found = {} if found is None else found
    if isinstance(schema, list):
        for branch in schema:
            _named(branch, found)
    elif isinstance(schema, dict):
        t = schema.get("type")
        if t in ("record", "error", "enum", "fixed") and isinstance(schema.get("name"), str):
            found.setdefault(schema["name"].rsplit(".", 1)[-1], schema)
        for f in schema.get("fields", []) if t in ("record", "error") else []:
            if isinstance(f, dict):
                _named(f.get("type"), found)
        for key in ("items", "values"):
            if key in schema:
                _named(schema[key], found)
        if isinstance(t, (dict, list)):
            _named(t, found)
    return found


class _Differ:
    def __init__(self, old_names: dict[str, Any], new_names: dict[str, Any]) -> None:
        self.old_names, self.new_names = old_names, new_names
        self.seen: set[tuple[str, str]] = set()

    def resolve(self, t: Any, names: dict[str, Any]) -> Any:
        if isinstance(t, str) and t.rsplit(".", 1)[-1] in names:
            return names[t.rsplit(".", 1)[-1]]
        if isinstance(t, dict) and isinstance(t.get("type"), (dict, list)) and len(t) == 1:
            return t["type"]
        return t

    def types(self, path: str, old: Any, new: Any) -> list[Change]:
        old, new = self.resolve(old, self.old_names), self.resolve(new, self.new_names)
        if _is_record(old) and _is_record(new):
            return self.records(path, old, new)
        if isinstance(old, list) and isinstance(new, list):
            return self.unions(path, old, new)
        changes: list[Change] = []
        if describe(old) != describe(new):
            changes.append(Change("changed", path or "/", f"type {describe(old)} → {describe(new)}"))
        elif _kind(old) == "enum":
            added = [s for s in new.get("symbols", []) if s not in old.get("symbols", [])]
            removed = [s for s in old.get("symbols", []) if s not in new.get("symbols", [])]
            if added or removed:
                parts = [f"+{s}" for s in added] + [f"-{s}" for s in removed]
                changes.append(Change("changed", path or "/", f"enum {new['name']} symbols {' '.join(parts)}"))
        elif _kind(old) in ("array", "map"):
            key = "items" if _kind(old) == "array" else "values"
            changes += self.types(f"{path}[]", old.get(key), new.get(key))
        return changes

    def unions(self, path: str, old: list[Any], new: list[Any]) -> list[Change]:
        changes: list[Change] = []
        old_by = {describe(self.resolve(b, self.old_names)): b for b in old}
        new_by = {describe(self.resolve(b, self.new_names)): b for b in new}
        if list(old_by) != list(new_by):
            changes.append(Change("changed", path or "/", f"type {' | '.join(old_by)} → {' | '.join(new_by)}"))
        for name in new_by:
            if name in old_by:
                changes += self.types(path, old_by[name], new_by[name])
        return changes

    def records(self, path: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
        if (path, new.get("name", "")) in self.seen:  # recursive types: each record once per path
            return []
        self.seen.add((path, new.get("name", "")))
        changes: list[Change] = []
        if old.get("name") != new.get("name"):
            changes.append(Change("changed", path or "/", f"record renamed {old.get('name')} → {new.get('name')}"))
        old_fields = {f["name"]: f for f in old.get("fields", [])}
        new_fields = {f["name"]: f for f in new.get("fields", [])}
        for name, f in new_fields.items():
            where = f"{path}.{name}" if path else name
            if name not in old_fields:
                changes.append(Change("added", where, _field_summary(f)))
            else:
                changes += self.field(where, old_fields[name], f)
        for name, f in old_fields.items():
            if name not in new_fields:
                changes.append(Change("removed", f"{path}.{name}" if path else name, _field_summary(f)))
        return changes

    def field(self, path: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
        changes = self.types(path, old.get("type"), new.get("type"))
        old_default, new_default = old.get("default", _MISSING), new.get("default", _MISSING)
        if old_default != new_default:
            changes.append(Change("changed", path, f"default {_show(old_default)} → {_show(new_default)}"))
        if old.get("doc") != new.get("doc"):
            changes.append(Change("changed", path, "doc changed"))
        return changes


def _is_record(t: Any) -> bool:
    return isinstance(t, dict) and t.get("type") in ("record", "error")


def _kind(t: Any) -> str:
    if isinstance(t, dict):
        return str(t.get("type"))
    return "union" if isinstance(t, list) else str(t)


def describe(t: Any) -> str:
    """A short type name: ``string``, ``int(date)``, ``Citizen``, ``enum Sex``, ``array<string>``, ``null | string``."""
    if isinstance(t, list):
        return " | ".join(describe(b) for b in t)
    if isinstance(t, str):
        return t.rsplit(".", 1)[-1]
    if not isinstance(t, dict):
        return json.dumps(t)
    kind = t.get("type")
    if kind in ("record", "error", "fixed"):
        return str(t.get("name", "")).rsplit(".", 1)[-1]
    if kind == "enum":
        return f"enum {str(t.get('name', '')).rsplit('.', 1)[-1]}"
    if kind == "array":
        return f"array<{describe(t.get('items'))}>"
    if kind == "map":
        return f"map<{describe(t.get('values'))}>"
    if isinstance(kind, (dict, list)):
        return describe(kind)
    logical = t.get("logicalType")
    return f"{kind}({logical})" if logical else str(kind)


def _field_summary(f: dict[str, Any]) -> str:
    default = f.get("default", _MISSING)
    return f"{describe(f.get('type'))}" + ("" if default is _MISSING else f", default {_show(default)}")


def _show(value: Any) -> str:
    return "(none)" if value is _MISSING else json.dumps(value, ensure_ascii=False)
