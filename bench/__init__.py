"""The benchmark harness: throughput ceilings, the SDK, the sink, end to end, freshness, memory.

``make bench`` (or ``hub bench``) runs every stage in one run on one machine against a dedicated local
Kafka broker and a fresh embedded ClickHouse, and writes ``benchmarks/<date>-<host>.json`` and ``.md``.
Ratios are what count on a noisy machine; the figures are reported beside the machine's facts.
"""
