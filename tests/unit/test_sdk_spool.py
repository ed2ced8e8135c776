"""The producer's SQLite spool: emit order, one row per event id, survives close and crash, one owner."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from producers.spool import Spool, SpooledEvent, SpoolLocked, fingerprint

SCHEMA = {"type": "record", "name": "Citizen", "fields": [{"name": "cccd", "type": "string"}]}
SUBJECT = "hub.population.citizen.raw-value"
FP = fingerprint(SCHEMA)


TIMED_OUT = "_MSG_TIMED_OUT: Local: Message timed out"


def event(seq: int, event_id: str | None = None, reason: str = TIMED_OUT) -> SpooledEvent:
    return SpooledEvent(event_id or f"e-{seq}", seq, "hub.population.citizen.raw", f"0011900{seq:05d}".encode(), FP,
                        f"body {seq}: Nguyễn Văn An".encode(), reason)


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    opened = Spool.open(tmp_path / "dancu-core.sqlite3")
    opened.remember_schema(SUBJECT, SCHEMA)
    return opened


def test_replays_in_emit_order_whatever_the_order_of_failures(spool: Spool) -> None:
    assert spool.add([event(3), event(1)]) == 2
    assert spool.add([event(2), event(5), event(4)]) == 3
    assert spool.oldest(10) == [event(1), event(2), event(3), event(4), event(5)]
    assert spool.oldest(2) == [event(1), event(2)]
    assert (len(spool), spool.next_seq()) == (5, 6)


def test_an_event_id_is_spooled_once(spool: Spool) -> None:
    assert spool.add([event(1), event(2)]) == 2
    assert spool.add([event(7, "e-1"), event(3), event(3)]) == 1  # e-1 again (later seq), e-3 twice
    assert spool.oldest(10) == [event(1), event(2), event(3)]


def test_remove_forgets_delivered_events_only(spool: Spool) -> None:
    spool.add([event(1), event(2), event(3)])
    assert spool.remove(["e-2", "e-9"]) == 1
    assert spool.oldest(10) == [event(1), event(3)]
    assert spool.add([event(2)]) == 1  # delivered ids are not remembered: the producer decides what to spool


def test_bury_keeps_refused_events_with_their_reason(spool: Spool) -> None:
    spool.add([event(1), event(2)])
    spool.bury({"e-1": "MSG_SIZE_TOO_LARGE: Broker: Message size too large"},
               [event(9, reason="TOPIC_AUTHORIZATION_FAILED: Broker: Topic authorization failed")])
    assert spool.oldest(10) == [event(2)]
    assert spool.dead() == {"e-1": "MSG_SIZE_TOO_LARGE: Broker: Message size too large",
                            "e-9": "TOPIC_AUTHORIZATION_FAILED: Broker: Topic authorization failed"}


def test_schemas_are_kept_by_fingerprint(spool: Spool) -> None:
    stored = spool.schema(FP)
    assert stored is not None and (stored.subject, stored.schema) == (SUBJECT, SCHEMA)
    assert spool.remember_schema("other-value", SCHEMA) == FP  # the first subject stays
    assert spool.schema("0" * 64) is None


def test_reopened_spool_has_everything_in_order(tmp_path: Path) -> None:
    path = tmp_path / "dancu-core.sqlite3"
    first = Spool.open(path)
    first.remember_schema(SUBJECT, SCHEMA)
    first.add([event(2), event(1)])
    first.close()
    second = Spool.open(path)
    try:
        assert (second.oldest(10), second.next_seq(), second.schema(FP) is not None) == ([event(1), event(2)], 3, True)
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        second.close()


def test_survives_a_process_killed_without_closing(tmp_path: Path) -> None:
    path = tmp_path / "dancu-core.sqlite3"
    script = textwrap.dedent(f"""
        import os
        from producers.spool import Spool, SpooledEvent
        spool = Spool.open({str(path)!r})
        fp = spool.remember_schema({SUBJECT!r}, {SCHEMA!r})
        spool.add([SpooledEvent(f"e-{{i}}", i, "t", b"k", fp, b"v", "timeout") for i in range(1, 1001)])
        os._exit(9)  # no close, no atexit: the lock must go with the process and the rows stay
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], capture_output=True)
    assert (done.returncode, done.stderr) == (9, b"")
    reopened = Spool.open(path)
    try:
        ids = [e.event_id for e in reopened.oldest(2000)]
        assert (ids, len(reopened)) == ([f"e-{i}" for i in range(1, 1001)], 1000)
    finally:
        reopened.close()


def test_one_owner_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "dancu-core.sqlite3"
    owner = Spool.open(path)
    with pytest.raises(SpoolLocked):
        Spool.open(path)
    owner.close()
    Spool.open(path).close()  # free again once the owner closed it


def test_in_memory_spool_works_the_same() -> None:
    spool = Spool.in_memory()
    spool.remember_schema(SUBJECT, SCHEMA)
    spool.add([event(2), event(1), event(1)])
    assert spool.oldest(10) == [event(1), event(2)]
