"""The benchmark's ratios and its markdown report (pure)."""

from __future__ import annotations

from typing import Any

TARGETS = {
    "end_to_end / consume_decode_ceiling": 0.20,
    "sdk / bare_produce": 0.40,
    "sink / chdb_columnar_insert": 0.50,
}
E2E_TARGET_PER_S = 20_000
FRESHNESS_P99_TARGET_MS = 1000
MEMORY_GROWTH_TARGET = 1.10
"""Peak RSS at the end over peak RSS at half the events, per hub process."""


def ratios(results: dict[str, Any]) -> dict[str, float]:
    def per_s(stage: str) -> float:
        return float(results[stage]["per_second"])

    return {
        "end_to_end / consume_decode_ceiling": round(per_s("end_to_end") / per_s("consume_decode_ceiling"), 3),
        "sdk / bare_produce": round(per_s("sdk_produce") / per_s("bare_produce"), 3),
        "sink / chdb_columnar_insert": round(per_s("sink_alone") / per_s("chdb_columnar_insert"), 3),
    }


def memory_growth(e2e: dict[str, Any]) -> dict[str, float]:
    """Per process: peak RSS at the end ÷ peak RSS at half the events."""
    half, end = e2e.get("peak_rss_at_half_mb", {}), e2e.get("peak_rss_at_end_mb", {})
    return {name: round(end[name] / half[name], 3) for name in end if half.get(name)}


def sink_memory_cause(e2e: dict[str, Any], limit: float = MEMORY_GROWTH_TARGET) -> str | None:
    """When the sink's peak RSS grew past ``limit`` from half to end: whether its ClickHouse engine accounts
    for the growth (one merge in flight larger than it, or the engine's peak tracked memory); None when the
    sink's memory was flat or the engine was not sampled."""
    growth = memory_growth(e2e).get("sink")
    peaks = e2e.get("engine_peaks")
    if growth is None or growth <= limit or not peaks:
        return None
    grown = e2e["peak_rss_at_end_mb"]["sink"] - e2e["peak_rss_at_half_mb"]["sink"]
    merge = peaks.get("largest_merge")
    said = f"The sink's peak RSS grew by {grown:,.0f} MB from half to end"
    if merge and merge["mb"] >= grown:
        return (f"{said}; one background merge of its ClickHouse engine ({merge['table']}, {merge['parts']} parts) "
                f"held {merge['mb']:,.0f} MB at a sample: the growth is the engine's merges, not memory the sink keeps.")
    if peaks["peak_tracked_mb"] >= grown:
        return (f"{said}; its ClickHouse engine tracked up to {peaks['peak_tracked_mb']:,.0f} MB at a sample, enough "
                "for the growth, but no single merge seen was as large.")
    return (f"{said}, more than its ClickHouse engine tracked at any sample ({peaks['peak_tracked_mb']:,.0f} MB): "
            "the growth is outside the engine.")


def limiting_stage(e2e: dict[str, Any]) -> str:
    """Which stage bounded the end-to-end run, from when the processors and the sink finished."""
    # The processors are done when every topic they read has drained: the raw topics, and their own clean,
    # contributions and news topics that the golden and quality agents read (older reports: raw only).
    drained = "streams_drained_s" in e2e
    streams = float(e2e["streams_drained_s"] if drained else e2e["streams_done_s"])
    done = "had drained every topic they read" if drained else "had committed the last raw offset"
    landed = float(e2e["landed_s"])
    cpu = e2e.get("cpu_s", {})
    busiest = max(cpu, key=cpu.get) if cpu else None
    if landed - streams <= 0.1 * landed:
        who = (f"the stream processors: they {done} at {streams:.0f} s and the sink had landed everything "
               f"{landed - streams:.0f} s later")
    else:
        who = f"the sink: the processors {done} at {streams:.0f} s, the sink needed another {landed - streams:.0f} s"
    if busiest:
        who += (f"; the busiest process was {busiest} with {cpu[busiest]:.0f} CPU-seconds in {landed:.0f} s "
                f"({cpu[busiest] / landed:.2f} cores)")
    return who


def _busy(e2e: dict[str, Any], cores: int | None) -> str:
    """How much of the machine the measured processes kept busy while the run lasted."""
    total, landed = sum(e2e.get("cpu_s", {}).values()), float(e2e["landed_s"])
    if not total or not cores or not landed:
        return ""
    return f" Together {total:,.0f} CPU-seconds in {landed:,.0f} s: {total / landed:.2f} of the {cores} cores."


def cpu_budget(e2e: dict[str, Any], rate: float = E2E_TARGET_PER_S) -> dict[str, dict[str, float]]:
    """Per measured process: CPU milliseconds per end-to-end event, and the cores that cost would take at
    ``rate`` events/s (what the process used ÷ events × rate; the sink's includes its engine's merges)."""
    events = e2e.get("events")
    if not events:
        return {}
    return {name: {"ms_per_event": round(cpu / events * 1000, 3), "cores_at_rate": round(cpu / events * rate, 2)}
            for name, cpu in e2e.get("cpu_s", {}).items()}


def _budget(e2e: dict[str, Any], cores: int | None) -> str:
    """The CPU budget line: what the target rate would take at the CPU cost per event measured here."""
    budget = cpu_budget(e2e)
    if not budget:
        return ""
    total = sum(b["cores_at_rate"] for b in budget.values())
    heavy = sorted(budget.items(), key=lambda item: -item[1]["ms_per_event"])
    return (f"At the CPU each event cost here, {E2E_TARGET_PER_S:,} events/s would take {total:,.1f} cores"
            + (f" (this machine has {cores})" if cores else "") + ": "
            + ", ".join(f"{name} {b['ms_per_event']:.3f} ms per event, {b['cores_at_rate']:,.1f} cores"
                        for name, b in heavy) + ".")


def sdk_cost(results: dict[str, Any]) -> str | None:
    """Where the SDK's time per event goes: its own validating and encoding (measured alone) against the
    bare client's produce; None for reports without the encoding stage."""
    if not {"sdk_encode", "sdk_produce", "bare_produce"} <= results.keys():
        return None
    def us(stage: str) -> float:
        return 1e6 / float(results[stage]["per_second"])
    sdk, encode, bare = us("sdk_produce"), us("sdk_encode"), us("bare_produce")
    return (f"Per event the SDK took {sdk:.1f} µs and bare producing {bare:.1f} µs; validating and encoding alone "
            f"(no Kafka) took {encode:.1f} µs of the SDK's: at the ratio's target of "
            f"{TARGETS['sdk / bare_produce']}, all of the SDK would have {bare / TARGETS['sdk / bare_produce']:.1f} µs.")


def _workers(report: dict[str, Any]) -> str:
    workers = report.get("stream_workers")
    return "" if workers is None else f", {workers} stream worker process{'es' if workers > 1 else ''}"


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    r = report["results"]
    e2e = r["end_to_end"]
    lines = [f"# Benchmark {report['date']} on {m['host']}", "",
             f"{m['cores']} cores, Python {m['python']}, Kafka {m['kafka']}, confluent-kafka {m['confluent-kafka']}, "
             f"faust-streaming {m['faust-streaming']}, fastavro {m['fastavro']}, clickhouse-connect "
             f"{m['clickhouse-connect']}, chdb {m['chdb']}; {report.get('partitions', '?')} partitions per topic"
             f"{_workers(report)}.", "",
             f"End to end: {report['events']:,} simulated changes of the five ministries with dirt, pre-loaded on "
             f"the raw topics; the ceiling consumes and decodes the same messages. Produce and insert stages: "
             f"{report.get('stage_events', report['events']):,} simulated citizens.", "",
             "| stage | events/s | seconds |", "|---|---:|---:|"]
    for name in ("bare_produce", "sdk_produce", "sdk_encode", "consume_decode_ceiling", "chdb_columnar_insert",
                 "sink_alone", "end_to_end"):
        if name in r:
            lines.append(f"| {name.replace('_', ' ')} | {r[name]['per_second']:,.0f} | {r[name]['seconds']} |")
    rounds = {name: r[name].get("rounds_per_second") for name in ("bare_produce", "sdk_produce") if name in r}
    if all(rounds.values()) and rounds:
        lines += ["", "Producing: the median of alternated rounds (" + "; ".join(
            f"{name.replace('_', ' ')} " + ", ".join(f"{v:,.0f}" for v in values) for name, values in rounds.items())
            + " events/s)."]
    cost = sdk_cost(r)
    if cost:
        lines += ["", cost]
    lines += ["", "| target | measured | target | |", "|---|---:|---:|---|",
              f"| end to end, events/s | {e2e['per_second']:,.0f} | ≥ {E2E_TARGET_PER_S:,} | "
              f"{_mark(e2e['per_second'] >= E2E_TARGET_PER_S)} |"]
    for name, value in report["ratios"].items():
        lines.append(f"| {name} | {value} | ≥ {TARGETS[name]} | {_mark(value >= TARGETS[name])} |")
    f = r.get("freshness")
    if f:
        lines.append(f"| freshness p99 at {f['target_rate']:,}/s, ms | {f['p99_ms']:,.0f} | ≤ "
                     f"{FRESHNESS_P99_TARGET_MS:,} | {_mark(f['p99_ms'] <= FRESHNESS_P99_TARGET_MS)} |")
    growth = memory_growth(e2e)
    for name in [n for n in growth if n.startswith("streams") or n == "sink"]:
        lines.append(f"| peak RSS of {name}, end ÷ half of the events | {growth[name]} | ≤ {MEMORY_GROWTH_TARGET}"
                     f" | {_mark(growth[name] <= MEMORY_GROWTH_TARGET)} |")
    lines += ["", "## End to end", "",
              f"Started in {e2e.get('startup_s', '?')} s; every raw offset committed by the stream processors at "
              f"{e2e['streams_done_s']} s, every topic they read drained at {e2e.get('streams_drained_s', '?')} s, "
              f"everything landed (no lag in any group) at {e2e['landed_s']} s.",
              f"Limiting stage: {limiting_stage(e2e)}.", "",
              "CPU-seconds per process: " + ", ".join(f"{k} {v}" for k, v in e2e.get("cpu_s", {}).items()) + "."
              + _busy(e2e, m.get("cores")), ""]
    budget = _budget(e2e, m.get("cores"))
    if budget:
        lines += [budget, ""]
    if r.get("tables"):
        lines += ["Rows landed per table: " + ", ".join(f"{k} {v:,}" for k, v in r["tables"].items()) + ".", ""]
    if f:
        lines += [f"Freshness at {f['achieved_rate']:,.0f} events/s (target {f['target_rate']}) for {f['seconds']} s: "
                  f"p50 {f['p50_ms']:,.0f} ms, p95 {f['p95_ms']:,.0f} ms, p99 {f['p99_ms']:,.0f} ms, max "
                  f"{f['max_ms']:,.0f} ms (event produced → row inserted in ClickHouse)" + _not_landed(f) + ".", ""]
    light = r.get("freshness_light")
    if light:
        lines += [f"At a light load, {light['achieved_rate']:,.0f} events/s for {light['seconds']} s before that stage "
                  f"(what the pipeline adds when it keeps up): p50 {light['p50_ms']:,.0f} ms, p95 "
                  f"{light['p95_ms']:,.0f} ms, p99 {light['p99_ms']:,.0f} ms, max {light['max_ms']:,.0f} ms"
                  + _not_landed(light) + ".", ""]
    anon_half, anon_end = e2e.get("peak_anon_at_half_mb", {}), e2e.get("peak_anon_at_end_mb", {})
    lines += ["## Memory", "", "Resident memory (RSS), and apart the part the process allocated itself (anonymous: "
              "without the pages of the libraries and files it maps).", "",
              "| process | peak RSS at half, MB | at the end, MB | anonymous at half, MB | at the end, MB |",
              "|---|---:|---:|---:|---:|"]
    for name, end in e2e.get("peak_rss_at_end_mb", {}).items():
        lines.append(f"| {name} | {e2e.get('peak_rss_at_half_mb', {}).get(name, '?')} | {end} | "
                     f"{anon_half.get(name, '?')} | {anon_end.get(name, '?')} |")
    engine = e2e.get("engine_tracked_mb", {})
    if engine:
        lines += ["", "Of the sink's memory, its ClickHouse engine tracked (MemoryTracking, MB): at half "
                  f"{engine.get('half', '?')}, at the end {engine.get('end', '?')}."]
    peaks = e2e.get("engine_peaks")
    if peaks:
        merge = peaks.get("largest_merge")
        lines += ["", f"Its highest sample (every 0.5 s): {peaks['peak_tracked_mb']:,.1f} MB. "
                  + (f"The largest background merge in flight (system.merges): {merge['table']}, "
                     f"{merge['parts']} parts, {merge['mb']:,.1f} MB." if merge else "No merge was in flight at a sample.")]
    cause = sink_memory_cause(e2e)
    if cause:
        lines += ["", cause]
    lines += ["", "Peak RSS over the whole run (MB): " +
              ", ".join(f"{k} {v}" for k, v in r.get("peak_rss_mb", {}).items()), ""]
    for name, top in e2e.get("profile_top", {}).items():
        lines += [f"## Profile of {name} (py-spy, top self time; full summary: {e2e['profiles'][name]})", ""]
        lines += [f"- {share:.1%} {frame}" for frame, share in top]
        lines.append("")
    return "\n".join(lines)


def _not_landed(freshness: dict[str, Any]) -> str:
    """What the freshness quantiles leave out: events not landed when the stage stopped waiting."""
    landed = freshness.get("landed", freshness["events"])
    if landed >= freshness["events"]:
        return ""
    return (f"; only {landed:,} of {freshness['events']:,} events had landed when the stage stopped waiting, "
            "so these quantiles leave out the slowest")
