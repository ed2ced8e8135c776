"""Errors of the golden-record stage.

::

    hub.errors.HubError
    └── GoldenError                 root of this package's errors
        ├── RulesMismatch           the catalogue's ``authoritative`` lists disagree with the merge rules
        └── CorruptState            a stored state or internal message cannot be decoded (table, topic, offset)
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import HubError


class GoldenError(HubError):
    """Root of the golden-record stage's errors."""


@dataclass
class RulesMismatch(GoldenError):
    """The catalogue names other attributes for an authority than the merge rules compute."""

    dataset: str
    entity: str
    catalogue: tuple[str, ...]
    rules: tuple[str, ...]

    def __str__(self) -> str:
        return (f"catalogue: {self.dataset} is authoritative for {self.entity} attributes {list(self.catalogue)}, "
                f"but the golden merge rules take {list(self.rules)} from it (streams/golden/rules.py)")


@dataclass
class CorruptState(GoldenError):
    """Bytes in a state table or an internal topic that are not what this package wrote."""

    what: str
    detail: str

    def __str__(self) -> str:
        return f"cannot decode {self.what}: {self.detail}"
