"""From a raw framed message to an outcome: decode, dedup, clean, validate, encode (no I/O here).

Steps, for one message of a dataset's raw topic:

1. **Decode** with the writer schema named by the Confluent frame (:class:`hub.wire.SchemaCache`), then
   check it is a change event of this dataset: ``op`` agrees with ``after`` (null exactly for deletes),
   the Kafka message key is the envelope's key, and the record's key fields make that key. Per-key state
   lives in the key's partition, so a message filed under another key cannot be judged.
2. **Dedup**: an event id among the key's recently accepted ones (:class:`streams.ordering.KeyState`)
   is dropped before anything else.
3. **Clean and validate** with :mod:`streams.rules` (:func:`~streams.rules.clean_record`,
   :func:`~streams.rules.check`) against the *catalogue's* record schema, whatever the writer's schema.
4. **Encode** the cleaned envelope with the clean schema (:mod:`streams.clean_schema`): the catalogue's
   record plus the ``original_*`` administrative codes. Fields a newer writer schema has and the catalogue
   does not are not carried over (Avro's reader-schema rule); missing defaulted fields get their defaults.
5. **Order**: the event is late when the key's current version is newer or equal; its envelope (event time,
   source position) is passed on unchanged, so the sink's current table orders it the same way.

Any exception while judging one message becomes a ``processing_failed`` rejection of that message: a poison
message never stops the agent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from fastavro.validation import validate

from hub import wire
from hub.catalogue import Dataset
from hub.errors import WireFormatError
from streams.base import Accepted, Duplicate, Event, Outcome, Rejected
from streams.clean_schema import clean_record_schema
from streams.encoder import FramedEncoder
from streams.ordering import KeyState
from streams.rules import Rejection, check, clean_record
from streams.rules.base import KEY_MISMATCH, OP_MISMATCH, PROCESSING_FAILED, SCHEMA_MISMATCH
from streams.rules.records import with_original_codes

log = logging.getLogger("hub.streams")

BirthOf = Callable[[str], date | None]


def _no_births(_cccd: str) -> date | None:
    return None


class DatasetProcessor:
    """Judges the raw messages of one dataset; the clean schema must be registered (``clean_schema_id``)."""

    def __init__(self, dataset: Dataset, schemas: wire.SchemaCache, clean_schema_id: int,
                 clean_schema: dict[str, Any]) -> None:
        self.dataset = dataset
        self._schemas = schemas
        self._clean_id = clean_schema_id
        self._clean = FramedEncoder(clean_schema)
        self._clean_record = clean_record_schema(dataset)
        self._catalogue_shape: dict[int, bool] = {}  # writer schema id → the catalogue's envelope schema

    def decode(self, raw: bytes | None, kafka_key: bytes | None) -> Event | Rejected:
        """The decoded event, or the reason it is not a change event of this dataset."""
        try:
            schema_id, envelope = self._schemas.decode(raw)
        except WireFormatError as exc:
            return Rejected(Rejection(exc.code, "", exc.detail))
        event = Event(schema_id, envelope)
        try:
            problem = self._envelope_problem(event, kafka_key)
        except Exception as exc:  # an envelope from a writer schema that lacks what the hub's envelope has
            return Rejected(Rejection(PROCESSING_FAILED, "", type(exc).__name__), event.event_id or None,
                            event.system)
        return event if problem is None else Rejected(problem, event.event_id or None, event.system)

    def _envelope_problem(self, event: Event, kafka_key: bytes | None) -> Rejection | None:
        after = event.envelope.get("after")
        if (event.envelope.get("op") == "d") != (after is None):
            return Rejection(OP_MISMATCH, "after", "null exactly when op is d (delete)")
        if kafka_key is None or kafka_key != event.key.encode():
            return Rejection(KEY_MISMATCH, "key", "the Kafka message key is not the envelope's key")
        if isinstance(after, dict) and all(after.get(k) is not None for k in self.dataset.key):
            if "|".join(str(after[k]) for k in self.dataset.key) != event.key:
                return Rejection(KEY_MISMATCH, self.dataset.key[0], "the record's key fields do not make the envelope's key")
        return None

    def judge(self, event: Event, state: KeyState | None, birth_of: BirthOf = _no_births) -> Outcome:
        """Dedup, clean, validate and encode ``event`` given its key's ``state``; never raises."""
        try:
            return self._judge(event, state, birth_of)
        except Exception as exc:  # a bug or a value nobody foresaw must not stop the agent
            # The exception's type only: its message may quote a value of the record.
            log.error("processing %s event %s failed: %s", self.dataset.name, event.event_id, type(exc).__name__)
            return Rejected(Rejection(PROCESSING_FAILED, "", type(exc).__name__), event.event_id or None)

    def _judge(self, event: Event, state: KeyState | None, birth_of: BirthOf) -> Outcome:
        if state is not None and state.seen(event.event_id):
            return Duplicate(event.event_id)
        cleaned = clean_record(self.dataset.name, event.record) if event.record is not None else None
        rejection = check(self.dataset, cleaned.record if cleaned else None, event.event_time, birth_of)
        if rejection is not None:
            return Rejected(rejection, event.event_id)
        after = with_original_codes(self.dataset.name, cleaned) if cleaned is not None else None
        envelope = {**event.envelope, "after": after}
        try:
            value = self._clean.encode(self._clean_id, envelope)
        except Exception:  # fastavro's messages quote the value: keep only the field path
            return Rejected(Rejection(SCHEMA_MISMATCH, self._invalid_field(after),
                                      "does not fit the catalogue's schema"), event.event_id)
        version = event.version
        late = state is not None and not state.is_newer(version)
        new_state = KeyState.first(event.event_id, version) if state is None else state.accept(event.event_id, version)
        return Accepted(value, event.event_id, late, new_state, None if cleaned is None else cleaned.record, envelope)

    def clean_envelope(self, event: Event, accepted: Accepted) -> dict[str, Any]:
        """The clean envelope of ``accepted`` as a reader of the clean topic decodes it.

        When ``event``'s writer schema is the catalogue's envelope itself, that is the envelope the encoder was
        given; otherwise the clean bytes are decoded, so that fields the writer lacked carry the clean schema's
        defaults and fields the catalogue lacks are gone."""
        if accepted.envelope is not None and self._is_catalogue_shape(event.schema_id):
            return accepted.envelope
        return self._schemas.decode(accepted.value)[1]

    def _is_catalogue_shape(self, schema_id: int) -> bool:
        same = self._catalogue_shape.get(schema_id)
        if same is None:
            same = self._catalogue_shape[schema_id] = self._schemas.schema(schema_id) == self.dataset.envelope_schema
        return same

    def _invalid_field(self, after: dict[str, Any] | None) -> str:
        if after is None:
            return ""
        for f in self._clean_record["fields"]:
            if f["name"] in after and not validate(after[f["name"]], f["type"], raise_errors=False):
                return str(f["name"])
        return ""
