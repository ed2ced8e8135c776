"""Data-quality metrics per dataset, source system and minute: received, valid, rejected by reason,
completeness per field and freshness, from the raw, clean and dead-letter topics.

Pure core: :mod:`.aggregate` (observations → mergeable window stats), :mod:`.sketch` (quantiles),
:mod:`.windows` (when a window is published, and its record); :mod:`.publish` (its Avro form).
:mod:`.agents` wires them into a faust app (:func:`~.agents.add_quality_agents`).
"""

from streams.quality.aggregate import Observation, WindowStats, summarize
from streams.quality.windows import QualityRecord, QualityState, Tick, accept

__all__ = ["Observation", "QualityRecord", "QualityState", "Tick", "WindowStats", "accept", "summarize"]
