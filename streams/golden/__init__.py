"""Golden records: one ``citizen`` per CCCD and one ``enterprise`` per tax code, merged from every dataset's
clean events with field-level survivorship and per-attribute provenance.

Pure core, in the order the data flows:

* :mod:`.rules` — which dataset is the authority for which attribute and how it gives it (also the
  simulator's ground truth, :func:`~.rules.merge_state`);
* :mod:`.routing` — :func:`~.routing.route`: a clean change event → contributions re-keyed by golden key;
* :mod:`.merge` — :func:`~.merge.merge` (and :func:`~.merge.apply`): a contribution into a golden record;
* :mod:`.view` — the published golden record; :mod:`.publish` — its change event (Avro envelope);
* :mod:`.fold` — both stages over events in memory.

:mod:`.agents` wires them into a faust app (:func:`~.agents.add_golden_agents`); :mod:`.codec` holds the
bytes of its tables and internal topics.
"""

from streams.golden.merge import Applied, Golden, apply, merge
from streams.golden.routing import Routed, SourceState, route
from streams.golden.values import Attribute, Contribution, GoldenChange, GoldenRecord, Provenance, SourceEvent

__all__ = ["Applied", "Attribute", "Contribution", "Golden", "GoldenChange", "GoldenRecord", "Provenance", "Routed",
           "SourceEvent", "SourceState", "apply", "merge", "route"]
