"""The registry's state, rebuilt by applying the topic's records in order (deterministic, no I/O).

Every instance that reads the same topic arrives at the same state. ``apply`` never raises: a record it
cannot use (unknown key type, malformed value, or a schema id already bound to a different schema — the
same first-wins rule as Confluent's reader) is counted in ``skipped`` and otherwise ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry import records as r
from registry.avro import canonical_or_none
from registry.model import DEFAULT_LEVEL, LEVELS, Mode, SchemaVersion


@dataclass
class RegistryState:
    """Subjects' versions, schema ids, compatibility levels and modes (``None`` subject = global)."""

    versions: dict[str, dict[int, SchemaVersion]] = field(default_factory=dict)
    levels: dict[str | None, str] = field(default_factory=dict)
    modes: dict[str | None, Mode] = field(default_factory=dict)
    max_id: int = 0
    skipped: int = 0
    _texts: dict[int, str] = field(default_factory=dict)  # schema id -> stored text (first registration)
    _canonical_of_id: dict[int, str] = field(default_factory=dict)
    _id_of_canonical: dict[str, int] = field(default_factory=dict)
    _users: dict[int, set[tuple[str, int]]] = field(default_factory=dict)  # id -> (subject, version)s

    # -- applying records ----------------------------------------------------------------------
    def apply(self, record: r.Record) -> None:
        handler = _HANDLERS.get(record.key.keytype)
        if handler is None or not handler(self, record):
            self.skipped += 1

    def _apply_schema(self, record: r.Record) -> bool:
        subject, version = record.key.subject, record.key.version
        if subject is None or version is None:
            return False
        if record.value is None:
            self._remove(subject, version)
            return True
        sv = _schema_version(subject, version, record.value)
        if sv is None:
            return False
        canonical = canonical_or_none(sv.schema)
        if canonical is None or self._canonical_of_id.get(sv.id, canonical) != canonical:
            return False
        self._remove(subject, version)
        self.versions.setdefault(subject, {})[version] = sv
        self._texts.setdefault(sv.id, sv.schema)
        self._canonical_of_id[sv.id] = canonical
        self._id_of_canonical.setdefault(canonical, sv.id)
        self._users.setdefault(sv.id, set()).add((subject, version))
        self.max_id = max(self.max_id, sv.id)
        return True

    def _remove(self, subject: str, version: int) -> None:
        old = self.versions.get(subject, {}).pop(version, None)
        if old is None:
            return
        if not self.versions[subject]:
            del self.versions[subject]
        users = self._users.get(old.id, set())
        users.discard((subject, version))
        if users:
            return
        self._users.pop(old.id, None)
        self._texts.pop(old.id, None)
        canonical = self._canonical_of_id.pop(old.id)
        if self._id_of_canonical.get(canonical) == old.id:
            del self._id_of_canonical[canonical]
            others = sorted(i for i, c in self._canonical_of_id.items() if c == canonical)
            if others:
                self._id_of_canonical[canonical] = others[0]

    def _apply_delete_subject(self, record: r.Record) -> bool:
        if record.value is None:
            return True
        subject, up_to = record.value.get("subject"), record.value.get("version")
        if not isinstance(subject, str) or not isinstance(up_to, int):
            return False
        for version, sv in list(self.versions.get(subject, {}).items()):
            if version <= up_to and not sv.deleted:
                self.versions[subject][version] = _soft_deleted(sv)
        return True

    def _apply_config(self, record: r.Record) -> bool:
        if record.value is None:
            self.levels.pop(record.key.subject, None)
            return True
        level = record.value.get("compatibilityLevel")
        if level not in LEVELS:
            return False
        self.levels[record.key.subject] = level
        return True

    def _apply_mode(self, record: r.Record) -> bool:
        if record.value is None:
            self.modes.pop(record.key.subject, None)
            return True
        try:
            self.modes[record.key.subject] = Mode(record.value.get("mode"))
        except ValueError:
            return False
        return True

    def _apply_noop(self, record: r.Record) -> bool:
        max_id = (record.value or {}).get("maxId")
        if isinstance(max_id, int):
            self.max_id = max(self.max_id, max_id)
        return True

    # -- reading -------------------------------------------------------------------------------
    def subject_versions(self, subject: str, deleted: bool = False) -> list[SchemaVersion]:
        """Versions of ``subject``, oldest first; soft-deleted ones only if ``deleted``."""
        found = self.versions.get(subject, {})
        return [found[v] for v in sorted(found) if deleted or not found[v].deleted]

    def subjects(self, deleted: bool = False) -> list[str]:
        return sorted(s for s in self.versions if self.subject_versions(s, deleted))

    def schema_text(self, schema_id: int) -> str | None:
        return self._texts.get(schema_id)

    def id_of(self, canonical: str) -> int | None:
        return self._id_of_canonical.get(canonical)

    def canonical_of(self, schema_id: int) -> str | None:
        return self._canonical_of_id.get(schema_id)

    def users_of(self, schema_id: int, deleted: bool = False) -> list[SchemaVersion]:
        """Subject versions registered with this id, by subject then version."""
        found = (self.versions[s][v] for s, v in sorted(self._users.get(schema_id, ())))
        return [sv for sv in found if deleted or not sv.deleted]

    def level(self, subject: str | None) -> str | None:
        return self.levels.get(subject)

    def level_in_scope(self, subject: str) -> str:
        return self.levels.get(subject) or self.levels.get(None) or DEFAULT_LEVEL

    def mode(self, subject: str | None) -> Mode | None:
        return self.modes.get(subject)

    def mode_in_scope(self, subject: str) -> Mode:
        return self.modes.get(subject) or self.modes.get(None) or Mode.READWRITE

    def snapshot(self) -> dict[str, Any]:
        """Everything a client can observe, as plain values (for comparing two instances or a restart)."""
        return {
            "subjects": {s: [(sv.version, sv.id, sv.schema, sv.deleted) for sv in self.subject_versions(s, True)]
                         for s in sorted(self.versions)},
            "levels": {str(k): v for k, v in sorted(self.levels.items(), key=lambda kv: str(kv[0]))},
            "modes": {str(k): v.value for k, v in sorted(self.modes.items(), key=lambda kv: str(kv[0]))},
            "max_id": self.max_id,
        }


def _schema_version(subject: str, version: int, value: dict[str, Any]) -> SchemaVersion | None:
    schema_id, text, deleted = value.get("id"), value.get("schema"), value.get("deleted", False)
    if not isinstance(schema_id, int) or not isinstance(text, str) or schema_id < 0:
        return None
    if value.get("schemaType", "AVRO") != "AVRO":
        return None
    return SchemaVersion(subject, version, schema_id, text, bool(deleted))


def _soft_deleted(sv: SchemaVersion) -> SchemaVersion:
    return SchemaVersion(sv.subject, sv.version, sv.id, sv.schema, deleted=True)


_HANDLERS = {
    r.SCHEMA: RegistryState._apply_schema,
    r.DELETE_SUBJECT: RegistryState._apply_delete_subject,
    r.CONFIG: RegistryState._apply_config,
    r.MODE: RegistryState._apply_mode,
    r.NOOP: RegistryState._apply_noop,
}
