"""Burrow's rules as :func:`monitor.evaluator.evaluate` applies them: one table row per rule and edge."""

from __future__ import annotations

import pytest

from monitor.evaluator import Observation, Status, evaluate, group_status


def window(*points: tuple[int, int], owned: bool = True, step_ms: int = 5000) -> list[Observation]:
    """Observations from (offset, lag) pairs, ``step_ms`` apart; the last one's ownership is ``owned``."""
    out = [Observation(i * step_ms, offset, lag) for i, (offset, lag) in enumerate(points)]
    out[-1] = Observation(out[-1].at_ms, out[-1].offset, out[-1].lag, owned)
    return out


CASES = [
    ("empty window", [], Status.OK),
    ("one observation without lag", window((10, 0)), Status.OK),
    ("one observation with lag: nothing to judge yet", window((10, 5)), Status.OK),
    ("rule 1: current lag zero", window((10, 5), (20, 3), (30, 0)), Status.OK),
    ("rule 1: a zero lag inside the window", window((10, 5), (20, 0), (20, 7), (20, 9)), Status.OK),
    ("rule 1 beats a rewind", window((50, 0), (10, 40)), Status.OK),
    ("rule 2: offset goes down", window((50, 10), (60, 10), (10, 70)), Status.REWIND),
    ("rule 2 beats stop", window((50, 10), (10, 50), (10, 55), owned=False), Status.REWIND),
    ("rule 3: nobody holds it and the offset stands", window((10, 5), (20, 8), (20, 12), owned=False), Status.STOP),
    ("rule 3 needs the offset to stand", window((10, 5), (20, 8), (30, 9), owned=False), Status.WARN),
    ("rule 4: held, offset never moves, lag fixed", window((10, 5), (10, 5), (10, 5)), Status.STALL),
    ("rule 4: held, offset never moves, lag grows", window((10, 5), (10, 9), (10, 20)), Status.STALL),
    ("rule 5: moving but lag never decreases", window((10, 5), (20, 5), (30, 8)), Status.WARN),
    ("rule 6: moving and lag decreased once", window((10, 5), (20, 9), (30, 4), (40, 6)), Status.OK),
    ("rule 6: catching up", window((10, 50), (40, 30), (70, 10)), Status.OK),
]


@pytest.mark.parametrize(("name", "observations", "expected"), CASES, ids=[c[0] for c in CASES])
def test_partition_rules(name: str, observations: list[Observation], expected: Status) -> None:
    assert evaluate(observations) == expected


GROUP_CASES = [
    ([], Status.OK),
    ([Status.OK, Status.OK], Status.OK),
    ([Status.OK, Status.WARN], Status.WARN),
    ([Status.WARN, Status.STALL], Status.ERR),
    ([Status.STOP], Status.ERR),
    ([Status.OK, Status.REWIND, Status.WARN], Status.ERR),
]


@pytest.mark.parametrize(("partitions", "expected"), GROUP_CASES)
def test_group_status_is_the_worst(partitions: list[Status], expected: Status) -> None:
    assert group_status(partitions) == expected
