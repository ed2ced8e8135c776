"""The stream processors on a real broker against the simulator's ground truth (``build_manifest``): raw →
clean and dead letters → golden records, in one worker, undisturbed and across SIGKILLs.

How events are published and in which order: :mod:`tests.integration.streams_checks`.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from hub.catalogue import Catalogue, load_catalogue
from hub.settings import HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics
from producers.simulator import Change, Manifest
from registry.store import KafkaSchemaStore
from streams.dead_letters import HEADERS
from streams.golden.agents import golden_topics_to_create
from streams.rules import clean_record
from streams.rules.records import with_original_codes
from tests.integration.golden_checks import GoldenState, Records, Run
from tests.integration.pipeline import streams_worker
from tests.integration.stacks import dump_stacks
from tests.integration.streams_checks import (CITIZEN, RawPublisher, expected_outputs, late_ids, processed,
                                              raw_lag, read_clean, read_dead_letters, simulate, split_originals,
                                              wait_for)
from tests.integration.streams_checks import read_topic as read_topic  # test_streams_dlq imports it from here

GOLDEN_TIMEOUT_S = 180.0
"""How long the golden topics may take to reach the manifest once the clean topics are complete."""


def run_two_phases(kafka: KafkaSettings, hub: HubSettings, catalogue: Catalogue, publisher: RawPublisher,
                   citizens: list[Change], others: list[Change], manifest: Manifest,
                   kill_at: float | None = None, golden: GoldenState | None = None,
                   expected: Records | None = None) -> tuple[int, Records]:
    """Publish, run the worker until every event is accounted for; with ``kill_at`` (a share of each phase's
    output), SIGKILL the worker once per phase at that point and start another. With ``golden``, keep the
    worker running until its golden topics say ``expected`` (or :data:`GOLDEN_TIMEOUT_S` passed). Returns the
    number of kills and the golden records read last (empty without ``golden``)."""
    others_names = sorted({c.dataset for c in others})
    kills = 0
    phases = [([c for c in citizens], [CITIZEN]), (others, others_names)]
    target = 0
    worker_cm = streams_worker(kafka, hub)
    worker = worker_cm.__enter__()
    try:
        for changes, names in phases:
            publisher.publish(changes)
            target += expected_outputs(manifest, names)
            if kill_at is not None:
                threshold = int(target - expected_outputs(manifest, names) * (1 - kill_at))
                wait_for(lambda: processed(kafka, catalogue, hub.namespace, manifest.datasets) >= threshold,
                         lambda: worker.poll() is None)
                worker.kill()
                worker.wait(30)
                kills += 1
                worker_cm.__exit__(None, None, None)
                worker_cm = streams_worker(kafka, hub)
                worker = worker_cm.__enter__()
            wait_for(lambda: processed(kafka, catalogue, hub.namespace, manifest.datasets) >= target
                     and raw_lag(kafka, catalogue, hub.namespace, manifest.datasets) == 0,
                     lambda: worker.poll() is None)
        final: Records = {}
        if golden is not None:
            final = golden.settle(expected or {}, lambda: worker.poll() is None, GOLDEN_TIMEOUT_S)
        time.sleep(3)  # anything extra would show up now
        assert worker.poll() is None
    except BaseException:
        dump_stacks(worker)
        raise
    finally:
        worker_cm.__exit__(None, None, None)
    return kills, final


def record_of(change: Change) -> dict[str, Any]:
    """The record of a change that has one (not a delete)."""
    assert change.record is not None
    return change.record


def golden_reader(kafka: KafkaSettings, namespace: str) -> GoldenState:
    """A reader of the golden topics (created first: a reader assigned to a missing topic gets nothing)."""
    ensure_topics(kafka, golden_topics_to_create(namespace))
    return GoldenState(kafka, namespace, KafkaSchemaStore(kafka.bootstrap_servers))


# --- the tests ----------------------------------------------------------------------------------------
def test_simulated_ministries_end_to_end(kafka: KafkaSettings, hub_settings: HubSettings) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    citizens, others, manifest = simulate(seed=5)
    changes = citizens + others
    run = Run.of(catalogue, changes, manifest)
    publisher = RawPublisher(kafka, ns, catalogue)
    golden = golden_reader(kafka, ns)
    try:
        _, final = run_two_phases(kafka, hub_settings, catalogue, publisher, citizens, others, manifest,
                                  golden=golden, expected=run.expected)
    finally:
        publisher.close()
        golden.close()
    clean = read_clean(kafka, catalogue, ns)
    letters = read_dead_letters(kafka, catalogue, ns)
    by_id = {c.event_id: c for c in changes}

    # Every valid event reaches its clean topic exactly once; duplicates are dropped.
    accepted = {d: [e for e in dict.fromkeys(c.event_id for c in changes if c.dataset == d)
                    if e not in manifest.datasets[d].rejected] for d in manifest.datasets}
    assert {d: sorted(clean.ids(d)) for d in accepted} == {d: sorted(ids) for d, ids in accepted.items()}
    assert {d: len(manifest.datasets[d].duplicates) for d in accepted} != {d: 0 for d in accepted}

    # Every rejected event reaches the dead-letter topic with the manifest's reason, its raw bytes and headers.
    assert {d: {h.event_id: h.reason for _, h in rows} for d, rows in letters.items()} == \
        {d: t.rejected for d, t in manifest.datasets.items()}
    assert sum(len(rows) for rows in letters.values()) == sum(len(t.rejected) for t in manifest.datasets.values())
    for name, dead in letters.items():
        raw_topic = catalogue.get(name).topics(ns).raw
        assert [(m.value, h.source_topic, m.key) for m, h in dead] == \
            [(publisher.sent[h.event_id or ""], raw_topic, by_id[h.event_id or ""].key.encode()) for _, h in dead]
        assert [sorted(m.headers) for m, _ in dead] == [sorted(HEADERS)] * len(dead)
        assert [(h.source_partition, h.source_offset >= 0, h.rejected_at_ms > 0, h.field != "") for _, h in dead] == \
            [(m.partition, True, True, True) for m, _ in dead]
    assert Counter(h.reason for rows in letters.values() for _, h in rows).keys() == {
        "required_missing", "cccd_inconsistent", "mst_check_digit", "date_impossible", "death_before_birth"}

    # Cleaned records equal the manifest's: each event's clean value, the current state, the original codes.
    late = late_ids(changes, manifest)
    for name in manifest.datasets:
        rows = clean.events[name]
        got = {e: (env["op"], env["key"], env["event_time"], env["source"]["position"],
                   None if env["after"] is None else split_originals(name, env["after"])[0], is_late)
               for e, env, is_late in rows}
        want = {e: (by_id[e].op, by_id[e].key, by_id[e].event_time, by_id[e].source_position,
                    None if by_id[e].record is None else clean_record(name, record_of(by_id[e])).record, e in late)
                for e in accepted[name]}
        assert got == want
        assert clean.current_state(name) == manifest.datasets[name].state
        originals = {e: split_originals(name, env["after"])[1] for e, env, _ in rows if env["after"] is not None}
        assert {e: o for e, o in originals.items() if o} == manifest.datasets[name].original_admin_codes
        assert {e: env["after"] for e, env, _ in rows if env["after"] is not None} == \
            {e: with_original_codes(name, clean_record(name, record_of(by_id[e]))) for e, env, _ in rows
             if env["after"] is not None}
    assert late != set()

    # The golden records merged from the clean topics equal the manifest's, attribute by attribute.
    run.check(final)


def test_sigkill_mid_run_leaves_the_same_clean_event_ids_and_golden_records(kafka: KafkaSettings,
                                                                              hub_settings: HubSettings) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    citizens, others, manifest = simulate(seed=6)
    changes = citizens + others
    run = Run.of(catalogue, changes, manifest)
    publisher = RawPublisher(kafka, ns, catalogue)
    golden = golden_reader(kafka, ns)
    try:
        kills, final = run_two_phases(kafka, hub_settings, catalogue, publisher, citizens, others, manifest,
                                      kill_at=0.5, golden=golden, expected=run.expected)
    finally:
        publisher.close()
        golden.close()
    clean = read_clean(kafka, catalogue, ns)
    letters = read_dead_letters(kafka, catalogue, ns)
    accepted = {d: {c.event_id for c in changes if c.dataset == d} - set(manifest.datasets[d].rejected)
                for d in manifest.datasets}
    assert kills == 2
    assert {d: set(clean.ids(d)) for d in accepted} == accepted
    assert {d: {h.event_id: h.reason for _, h in rows} for d, rows in letters.items()} == \
        {d: t.rejected for d, t in manifest.datasets.items()}
    assert {d: clean.current_state(d) for d in accepted} == {d: t.state for d, t in manifest.datasets.items()}
    # At least once: a batch whose output was acknowledged but whose state was not yet written when the worker
    # died is sent again. Such copies are the same event (same id, same bytes); record how many there were.
    copies = {d: sum(n - 1 for n in Counter(clean.ids(d)).values()) for d in accepted}
    print(f"clean-topic copies after {kills} SIGKILLs: {copies}")
    assert [e for e, values in clean.values.items() if len(values) != 1] == []
    run.check(final)
