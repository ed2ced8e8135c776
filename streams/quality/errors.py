"""Errors of the data-quality stage.

::

    hub.errors.HubError
    └── QualityError                root of this package's errors
        └── CorruptQualityState     a stored state or internal message cannot be decoded
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import HubError


class QualityError(HubError):
    """Root of the data-quality stage's errors."""


@dataclass
class CorruptQualityState(QualityError):
    """Bytes in the quality table or internal topic that are not what this package wrote."""

    what: str
    detail: str

    def __str__(self) -> str:
        return f"cannot decode {self.what}: {self.detail}"
