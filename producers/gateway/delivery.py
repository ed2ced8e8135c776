"""Handing checked events to the SDK and learning what became of each (blocking: run it in a thread).

An event is answered ``accepted`` only once Kafka acknowledged it: :func:`deliver` emits the request's
events, then flushes the producer. While the SDK's spool holds older events (Kafka was away), new ones would
only join the spool, so the request is refused with :class:`KafkaUnavailable` (503, nothing sent) unless a
replay empties the spool first. Events that Kafka does not acknowledge within the delivery timeout during
the flush are spooled by the SDK: they are answered ``spooled``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hub.errors import KafkaError, ValidationError
from producers.gateway.errors import KafkaUnavailable
from producers.gateway.events import IncomingEvent, Invalid, Outcome, in_record
from producers.loader import Emitter, emit_errors
from producers.validation import FieldError, RecordInvalid


def deliver(producer: Emitter, dataset: str, events: Sequence[IncomingEvent | Invalid],
            replay_timeout_s: float, retry_after_s: int) -> list[Outcome]:
    """Emit the valid events, wait until each is acknowledged, spooled or refused; one outcome per event.

    Raises :class:`KafkaUnavailable` (nothing emitted) while the spool cannot be emptied."""
    if any(isinstance(e, IncomingEvent) for e in events):
        report = producer.flush(timeout_s=0)
        if report.backlog:
            report = producer.flush(timeout_s=replay_timeout_s)
            if report.backlog:
                raise KafkaUnavailable(retry_after_s, report.backlog)
    outcomes: list[Outcome] = []
    for event in events:
        if isinstance(event, Invalid):
            outcomes.append(Outcome(event.line, "rejected", errors=event.errors))
            continue
        try:
            event_id = producer.emit(dataset, event.op, event.key, event.record, event_time=event.event_time,
                                     event_id=event.event_id)
        except (ValidationError, KafkaError) as exc:
            errors = emit_errors(exc)
            if isinstance(exc, RecordInvalid):  # paths inside the record, as check_event gives them
                errors = tuple(replace(e, path=in_record(e.path)) for e in errors)
            outcomes.append(Outcome(event.line, "rejected", errors=errors))
        else:
            outcomes.append(Outcome(event.line, "pending", event_id))
    if not any(o.status == "pending" for o in outcomes):
        return outcomes
    report = producer.flush()
    unconfirmed = bool(report.backlog or report.pending)
    return [_settled(o, report.failed, unconfirmed) if o.status == "pending" else o for o in outcomes]


def _settled(outcome: Outcome, failed: dict[str, str], unconfirmed: bool) -> Outcome:
    reason = failed.get(outcome.event_id or "")
    if reason is not None:
        refused = FieldError("", "kafka_refused", "", "", reason)
        return Outcome(outcome.line, "rejected", outcome.event_id, (refused,))
    return Outcome(outcome.line, "spooled" if unconfirmed else "accepted", outcome.event_id)
