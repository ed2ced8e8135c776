"""The golden-record rules of the ground truth, which live with the stream processors that apply them.

The rules (``RULES.md``, "Golden records") are implemented once, in :mod:`streams.golden.rules`:
:func:`merge` here is its :func:`~streams.golden.rules.merge_state`, applied to the final clean state of
every dataset; the stream processors apply the same rules one event at a time (:mod:`streams.golden.merge`).
"""

from __future__ import annotations

from streams.golden.rules import Live, Version, attributes_by_authority
from streams.golden.rules import merge_state as merge

__all__ = ["Live", "Version", "attributes_by_authority", "merge"]
