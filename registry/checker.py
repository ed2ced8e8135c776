"""The compatibility checker the registry uses: :mod:`registry.compatibility` behind :data:`registry.base.Checker`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry import compatibility


def compatibility_checker(new: Any, existing: Sequence[Any], level: str) -> list[str]:
    """Reasons ``new`` breaks ``level`` against ``existing`` (oldest first), one readable line each."""
    return [str(reason) for reason in compatibility.check(new, list(existing), compatibility.Level(level))]
