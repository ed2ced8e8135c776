"""What the producers' validation reports: one :class:`FieldError` per violation, gathered in
:class:`RecordInvalid`. Neither ever holds a value: records carry personal data, so an error names the field
path, the rule, the expected type and the type found.

    hub.errors.HubError
    └── hub.errors.ValidationError
        └── RecordInvalid          every violation of one record (``errors``), the first as field/rule
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.errors import ValidationError

MISSING = "missing"
"""The ``actual_type`` of a required field that is absent."""


@dataclass(frozen=True)
class FieldError:
    """One violation: where, which rule, what was expected and what type was found (never the value)."""

    path: str
    rule: str
    expected_type: str
    actual_type: str
    detail: str = ""
    """What the schema asks for (e.g. the enum's symbols); derived from the schema only, never the value."""

    def __str__(self) -> str:
        detail = f"; {self.detail}" if self.detail else ""
        return f"{self.path}: {self.rule} (expected {self.expected_type}, got {self.actual_type}{detail})"


@dataclass
class RecordInvalid(ValidationError):
    """A record violates its schema; ``errors`` lists every violation, ``field``/``rule`` are the first's."""

    errors: tuple[FieldError, ...] = field(default=())

    @classmethod
    def of(cls, dataset: str, errors: tuple[FieldError, ...]) -> RecordInvalid:
        return cls(dataset=dataset, field=errors[0].path, rule=errors[0].rule, errors=errors)

    def __str__(self) -> str:
        listed = "; ".join(str(e) for e in self.errors)
        return f"{self.dataset}: {len(self.errors)} invalid field(s): {listed}"


def type_name(value: Any) -> str:
    """The name of a value's type, safe to log."""
    return "null" if value is None else type(value).__name__
