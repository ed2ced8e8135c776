"""Scaling the full streams worker (cleaning, golden and quality agents) on a real broker: one worker, then
two sharing the partitions, then one again, in the middle of a simulated run with dirt. The rebalances must
lose nothing and add nothing but at-least-once copies: the clean topics, the dead letters and the golden
records end as the manifest says.

The second worker joins after the population register's events are cleaned: it recovers the citizens'
dates of birth (a global table) when it starts, so the death-before-birth rule sees the same citizens on
both workers (see ``streams/app.py`` for why the rule depends on that order).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from confluent_kafka.admin import AdminClient

from hub.catalogue import load_catalogue
from hub.settings import HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics
from registry.store import KafkaSchemaStore
from streams.golden.agents import golden_topics_to_create
from tests.integration.golden_checks import GoldenState, Run
from tests.integration.pipeline import streams_worker
from tests.integration.streams_checks import (CITIZEN, RawPublisher, expected_outputs, group_lag, group_members,
                                              processed, read_clean, read_dead_letters, simulate, wait_for)

GOLDEN_TIMEOUT_S = 180.0


def test_one_worker_then_two_then_one_loses_and_duplicates_nothing(kafka: KafkaSettings,
                                                                   hub_settings: HubSettings) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, [*hub_topics(catalogue, ns), *golden_topics_to_create(ns)])
    citizens, others, manifest = simulate(seed=7)
    changes = citizens + others
    run = Run.of(catalogue, changes, manifest)
    half = len(others) // 2
    citizens_out = expected_outputs(manifest, [CITIZEN])
    total = expected_outputs(manifest, manifest.datasets)
    group = f"{ns}-streams"
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap_servers})
    second_hub = HubSettings(data_dir=hub_settings.data_dir.parent / "second", namespace=ns)
    publisher = RawPublisher(kafka, ns, catalogue)
    golden = GoldenState(kafka, ns, KafkaSchemaStore(kafka.bootstrap_servers))

    def outputs() -> int:
        return processed(kafka, catalogue, ns, manifest.datasets)

    try:
        with streams_worker(kafka, hub_settings) as first:
            first_alive: Callable[[], bool] = lambda: first.poll() is None
            publisher.publish(citizens)
            wait_for(lambda: outputs() >= citizens_out, first_alive)
            publisher.publish(others[:half])
            with streams_worker(kafka, second_hub) as second:
                both_alive: Callable[[], bool] = lambda: first_alive() and second.poll() is None
                wait_for(lambda: group_members(admin, group) == 2, both_alive, 120,
                         "the two workers did not both get partitions")
                publisher.publish(others[half:])
                midway = citizens_out + (total - citizens_out) * 3 // 4
                wait_for(lambda: outputs() >= midway, both_alive)
                members_with_two = group_members(admin, group)
            wait_for(lambda: group_members(admin, group) == 1, first_alive, 120,
                     "the first worker did not take the second one's partitions back")
            wait_for(lambda: outputs() >= total, first_alive)
            final = golden.settle(run.expected, first_alive, GOLDEN_TIMEOUT_S)
            print(f"lag of {group} once settled: {group_lag(kafka, group, ns)}")
            time.sleep(3)  # anything extra would show up now
            assert first_alive()
    finally:
        publisher.close()
        golden.close()

    assert members_with_two == 2
    clean = read_clean(kafka, catalogue, ns)
    letters = read_dead_letters(kafka, catalogue, ns)
    accepted = {d: {c.event_id for c in changes if c.dataset == d} - set(manifest.datasets[d].rejected)
                for d in manifest.datasets}
    assert {d: set(clean.ids(d)) for d in accepted} == accepted
    assert {d: {h.event_id: h.reason for _, h in rows} for d, rows in letters.items()} == \
        {d: t.rejected for d, t in manifest.datasets.items()}
    assert {d: clean.current_state(d) for d in accepted} == {d: t.state for d, t in manifest.datasets.items()}
    # At least once: a rebalance may hand over a batch whose output went out but whose offsets were not yet
    # committed; its copies are the same event (same id, same bytes). Record how many there were.
    copies = {d: sum(n - 1 for n in Counter(clean.ids(d)).values()) for d in accepted}
    letter_copies = {d: len(rows) - len({h.event_id for _, h in rows}) for d, rows in letters.items()}
    print(f"copies after 1→2→1 workers: clean {copies}, dead letters {letter_copies}")
    assert [e for e, values in clean.values.items() if len(values) != 1] == []
    run.check(final)
