"""The faust shell of :func:`.routing.route` for one dataset: its golden-source table and a batch's sends.

Two agents use it. In the hub's worker the dataset's cleaning agent routes each event it accepts, with the
clean envelope it has just encoded (:class:`streams.agent.CleaningAgent`), so the clean topic is not read
and decoded a second time; the golden-source table is then written in the store of the raw message's
partition, which is the clean message's partition number too. Where only the golden merge runs (the
golden-stage tests), an agent reads the clean topic (:func:`.agents.add_golden_agents`).

Per input batch: :meth:`SourceRouter.begin`, :meth:`SourceRouter.route` for each event in order (its
contributions join the batch's output), and once that output is acknowledged :meth:`SourceRouter.put_states`
inside :func:`streams.changelog.state_writes`.
"""

from __future__ import annotations

from typing import Any

from streams.changelog import put_states
from streams.golden.codec import decode_source_state, encode_contribution, encode_source_state
from streams.golden.routing import SourceState, route
from streams.golden.values import SourceEvent
from streams.output import OutputBatch
from streams.tables import read

Where = tuple[int, bytes]
"""A key in the store of one partition (faust's stores are per partition of the event being processed)."""


def contributions_topic(namespace: str, entity: str) -> str:
    return f"{namespace}.golden.{entity}.contributions"


class SourceRouter:
    """Routes one dataset's clean events to contributions; used by one agent at a time."""

    def __init__(self, namespace: str, dataset: str, table: Any) -> None:
        self.dataset = dataset
        self.table = table
        self._namespace = namespace
        self._states: dict[Where, SourceState | None] = {}  # as earlier events of the batch left them
        self._changed: dict[Where, Any] = {}  # the event that last changed it

    def begin(self) -> None:
        self._states, self._changed = {}, {}

    def route(self, out: OutputBatch, event: Any, envelope: dict[str, Any]) -> None:
        """Send the contributions of ``event``, a clean change ``envelope``; faust's current event must be
        ``event`` (its partition picks the store)."""
        source = SourceEvent.from_envelope(self.dataset, envelope)
        where = (event.message.partition, source.key.encode())
        if where in self._states:
            state = self._states[where]
        else:
            state = self._states[where] = decode_source_state(read(self.table, where[1]))
        routed = route(state, source)
        if routed.state is not state and routed.state is not None:
            self._states[where], self._changed[where] = routed.state, event
        for c in routed.send:
            out.send(contributions_topic(self._namespace, c.entity), c.key.encode(), encode_contribution(c))

    def put_states(self, events: list[Any]) -> None:
        """Write the last state of every key the batch changed, for the partitions still owned (inside
        :func:`streams.changelog.state_writes`, after the batch's output was acknowledged)."""
        put_states(self.table, events, self._changed, self._states, encode_source_state)
        self.begin()
