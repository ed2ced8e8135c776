"""Consumer status without thresholds: Burrow's sliding-window rules, adapted to sampled offsets (pure).

Burrow (LinkedIn's consumer-lag checker) judges a consumer by how its committed offsets and lag move over a
window of recent observations, not by a fixed "N messages behind" threshold. Burrow observes every offset
commit; the hub instead *samples* each group's committed offsets (and the log-end offsets) every few
seconds, so one rule changes meaning, as marked below.

An :class:`Observation` of one partition holds the sample time, the committed offset, the lag (log-end
offset minus committed offset, never negative) and whether a live member of the group holds the partition.
A window is the last ``N`` observations, oldest first (``HUB_MONITOR_WINDOW``, default 10, as Burrow's
``intervals``).

Partition rules, in order; the first that matches decides:

1. **OK** if the current lag is zero, or any lag in the window is zero (the consumer caught up within it).
2. **REWIND** if the committed offset goes *down* between two consecutive observations (a reset or a
   consumer replaying data).
3. **STOP** if no live member of the group holds the partition and the committed offset did not move between
   the last two observations: the consumer is gone. (Burrow infers this from commit timestamps — the time
   since the last commit exceeds the window's span; sampling cannot see commits that repeat an offset, so
   the hub reads the group's membership instead. A consumer using ``assign()`` without a group keeps
   committing, so its moving offsets keep it out of STOP.)
4. **STALL** if the committed offset is the same in every observation of the window: a member holds the
   partition but makes no progress while there is lag.
5. **WARN** if the offsets move but the lag never decreases between consecutive observations: the consumer
   is alive but slower than its producers.
6. **OK** otherwise: it is behind, but catching up.

Rules 2–5 need at least two observations; with one, only rule 1 can be applied and the status is OK.

A group's status is the worst of its partitions': OK, else WARN, else **ERR** when any partition is
STOP, STALL or REWIND (Burrow folds these into ERR for the group the same way).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class Status(str, enum.Enum):
    OK = "OK"
    WARN = "WARN"
    ERR = "ERR"
    STOP = "STOP"
    STALL = "STALL"
    REWIND = "REWIND"


PARTITION_STATUSES = (Status.OK, Status.WARN, Status.STOP, Status.STALL, Status.REWIND)
GROUP_STATUSES = (Status.OK, Status.WARN, Status.ERR)


@dataclass(frozen=True)
class Observation:
    """One sample of one partition of one group."""

    at_ms: int
    offset: int
    lag: int
    owned: bool = True


def evaluate(window: Sequence[Observation]) -> Status:
    """The partition's status over ``window`` (oldest first); an empty window is OK."""
    if not window or window[-1].lag == 0 or any(o.lag == 0 for o in window):
        return Status.OK
    if len(window) < 2:
        return Status.OK
    pairs = list(zip(window, window[1:]))
    if any(b.offset < a.offset for a, b in pairs):
        return Status.REWIND
    last, before = window[-1], window[-2]
    if not last.owned and last.offset == before.offset:
        return Status.STOP
    if all(b.offset == a.offset for a, b in pairs):
        return Status.STALL
    if all(b.lag >= a.lag for a, b in pairs):
        return Status.WARN
    return Status.OK


def group_status(partitions: Iterable[Status]) -> Status:
    """OK, WARN or ERR: the worst of the partition statuses (STOP, STALL and REWIND count as ERR)."""
    worst = Status.OK
    for status in partitions:
        if status in (Status.STOP, Status.STALL, Status.REWIND, Status.ERR):
            return Status.ERR
        if status is Status.WARN:
            worst = Status.WARN
    return worst
