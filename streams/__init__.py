"""faust-streaming processors: clean and validate raw change events, dead-letter the bad ones.

Where a citizen record gets cleaned:

=======================  ==============================================================================
module                   what it does
=======================  ==============================================================================
:mod:`.rules`            the cleaning and validation rules, pure, one module per concern
:mod:`.processor`        raw bytes → decoded event → dedup, clean, validate → clean bytes or a rejection
:mod:`.ordering`         per-key state: the dedup window and the current version (late events)
:mod:`.clean_schema`     the clean topics' schema: the catalogue record plus the original admin codes
:mod:`.dead_letters`     the dead-letter header contract, and what ``hub dlq`` shows
:mod:`.agent`            the faust shell of one dataset: batches in, outcomes out, state after the acks
:mod:`.output`           the worker's one producer for every agent's output, acknowledged per batch
:mod:`.faust_fixes`      faust's offset bookkeeping made safe across rebalances (no skipped offset committed)
:mod:`.app`              wiring: topics, tables, one agent per dataset (``python -m streams``)
:mod:`.dlq`              ``hub dlq list|show|replay``
:mod:`.golden`           golden records merged from the clean topics
:mod:`.quality`          data-quality windows per dataset, source system and minute
=======================  ==============================================================================
"""
