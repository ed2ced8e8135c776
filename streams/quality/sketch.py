"""A mergeable quantile sketch with bounded relative error (pure; the DDSketch bucketing).

Positive values fall in logarithmic buckets ``γ^(i-1) < v ≤ γ^i`` with ``γ = (1+α)/(1-α)``; a bucket's
estimate ``2γ^i/(γ+1)`` is within ``α`` (1 %) of every value in it. Zero and negative values (an event time
after the processing time: clock skew) share one bucket estimated as 0. Sketches of parts merge into the
sketch of the whole, exactly, so partial aggregates from many workers combine; the maximum is kept exact.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

RELATIVE_ACCURACY = 0.01
_GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)


def bucket(value: float) -> int:
    return math.ceil(math.log(value) / _LOG_GAMMA)


def estimate(index: int) -> float:
    return 2 * _GAMMA ** index / (_GAMMA + 1)


@dataclass(frozen=True)
class Sketch:
    buckets: tuple[tuple[int, int], ...] = ()
    """(bucket index, count), ascending."""
    non_positive: int = 0
    maximum: int | None = None

    @property
    def count(self) -> int:
        return self.non_positive + sum(n for _, n in self.buckets)

    @classmethod
    def of(cls, values: Iterable[int]) -> Sketch:
        values = list(values)
        counts = Counter(bucket(v) for v in values if v > 0)
        return cls(tuple(sorted(counts.items())), sum(1 for v in values if v <= 0), max(values, default=None))

    def merge(self, other: Sketch) -> Sketch:
        counts = Counter(dict(self.buckets))
        counts.update(dict(other.buckets))
        maxima = [m for m in (self.maximum, other.maximum) if m is not None]
        return Sketch(tuple(sorted(counts.items())), self.non_positive + other.non_positive, max(maxima, default=None))

    def quantile(self, q: float) -> int | None:
        """The nearest-rank ``q`` quantile (the ``⌈q·count⌉``-th smallest value, 0 ≤ q ≤ 1), within 1 %, in whole
        units; None when empty."""
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        seen = self.non_positive
        if seen >= rank:
            return 0
        for index, n in self.buckets:
            seen += n
            if seen >= rank:
                return min(round(estimate(index)), self.maximum or 0)
        return self.maximum
