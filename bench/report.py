"""The benchmark report as markdown (pure)."""

from __future__ import annotations

from typing import Any

TARGETS = {
    "end_to_end / consume_decode_ceiling": 0.20,
    "sdk / bare_produce": 0.40,
    "sink / chdb_columnar_insert": 0.50,
}


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    r = report["results"]
    lines = [f"# Benchmark {report['date']} on {m['host']}", "",
             f"{m['cores']} cores, Python {m['python']}, Kafka {m['kafka']}, confluent-kafka {m['confluent-kafka']}, "
             f"faust-streaming {m['faust-streaming']}, fastavro {m['fastavro']}, clickhouse-connect "
             f"{m['clickhouse-connect']}, chdb {m['chdb']}; {report['events']} events (population.citizen).", "",
             "| stage | events/s | seconds |", "|---|---:|---:|"]
    for name in ("bare_produce", "sdk_produce", "consume_decode_ceiling", "chdb_columnar_insert", "sink_alone",
                 "end_to_end"):
        if name in r:
            lines.append(f"| {name.replace('_', ' ')} | {r[name]['per_second']:,.0f} | {r[name]['seconds']} |")
    lines += ["", "| ratio | measured | target |", "|---|---:|---:|"]
    for name, value in report["ratios"].items():
        lines.append(f"| {name} | {value} | ≥ {TARGETS[name]} |")
    f = r.get("freshness")
    if f:
        lines += ["", f"Freshness at {f['achieved_rate']:,.0f} events/s (target {f['target_rate']}) for "
                  f"{f['seconds']} s: p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, p99 {f['p99_ms']} ms, "
                  f"max {f['max_ms']} ms (event produced → row inserted in ClickHouse; target p99 ≤ 1000 ms)."]
    lines += ["", "Peak RSS (MB): " + ", ".join(f"{k} {v}" for k, v in r.get("peak_rss_mb", {}).items()), ""]
    return "\n".join(lines)
