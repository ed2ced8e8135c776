"""The benchmark's pure parts: profile summaries, ratios, the limiting stage and the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.e2e import EnginePeaks, EngineSample
from bench.profile import frame_name, summarize, to_text
from bench.report import cpu_budget, limiting_stage, sdk_cost, markdown, memory_growth, ratios, sink_memory_cause
from bench.run import Options, freshness_stages, report_stem

COLLAPSED = """\
<module> (streams/__main__.py:10);run (faust/worker.py:20);process (/work/main/streams/agent.py:95);decode (/work/main/streams/processor.py:70) 30
<module> (streams/__main__.py:10);run (faust/worker.py:20);process (/work/main/streams/agent.py:95);send (/x/lib/python3.11/site-packages/aiokafka/producer/producer.py:400) 50
<module> (streams/__main__.py:10);run (faust/worker.py:20) 20
not a profile line
"""


def test_frame_names_drop_line_numbers_and_shorten_paths() -> None:
    assert frame_name("send (/x/lib/python3.11/site-packages/aiokafka/producer/producer.py:400)") == \
        "send (aiokafka/producer/producer.py)"
    assert frame_name("decode (/work/main/streams/processor.py:70)") == "decode (streams/processor.py)"
    assert frame_name("odd frame") == "odd frame"


def test_summary_counts_self_and_inclusive_shares() -> None:
    summary = summarize(COLLAPSED)
    assert summary.samples == 100
    assert summary.self_share == [("send (aiokafka/producer/producer.py)", 0.5), ("decode (streams/processor.py)", 0.3),
                                  ("run (faust/worker.py)", 0.2)]
    inclusive = dict(summary.inclusive_share)
    assert inclusive["run (faust/worker.py)"] == 1.0
    assert inclusive["process (streams/agent.py)"] == 0.8
    text = to_text("streams", summary)
    assert "100 samples" in text and " 50.0%  send (aiokafka/producer/producer.py)" in text


def test_an_empty_profile_summarises_to_nothing() -> None:
    assert summarize("").samples == 0


def e2e(streams_done: float, landed: float) -> dict[str, object]:
    return {"events": 1_000_000, "seconds": landed, "per_second": 1_000_000 / landed, "streams_done_s": streams_done,
            "landed_s": landed, "startup_s": 3.0, "cpu_s": {"streams": 90.0, "sink": 20.0},
            "peak_rss_at_half_mb": {"streams": 100.0, "sink": 200.0},
            "peak_rss_at_end_mb": {"streams": 105.0, "sink": 260.0},
            "peak_anon_at_half_mb": {"streams": 60.0, "sink": 90.0},
            "peak_anon_at_end_mb": {"streams": 61.0, "sink": 150.0},
            "profiles": {"streams": "benchmarks/profiles/x-streams.txt"},
            "profile_top": {"streams": [("send (aiokafka/producer/producer.py)", 0.5)]}}


def results(landed: float = 100.0) -> dict[str, object]:
    def stage(per_second: float) -> dict[str, float]:
        return {"events": 1000, "seconds": 1000 / per_second, "per_second": per_second}

    return {"bare_produce": stage(100_000), "sdk_produce": stage(45_000), "consume_decode_ceiling": stage(50_000),
            "chdb_columnar_insert": stage(120_000), "sink_alone": stage(30_000), "end_to_end": e2e(95.0, landed),
            "freshness": {"target_rate": 5000, "achieved_rate": 4990.0, "seconds": 60, "events": 300_000,
                          "p50_ms": 300.0, "p95_ms": 700.0, "p99_ms": 1200.0, "max_ms": 1500},
            "tables": {"population_citizen_history": 1000}, "peak_rss_mb": {"streams": 110.0}}


def report_of(r: dict[str, object], day: str) -> dict[str, object]:
    """A report of results ``r`` as ``bench.run`` writes it, on a 2-core machine called vm."""
    return {"date": f"{day}T00:00:00+00:00", "events": 1000, "stage_events": 1000, "partitions": 4,
            "machine": {"host": "vm", "cores": 2, "python": "3.11", "kafka": "4.1.1", "confluent-kafka": "2",
                        "faust-streaming": "0.15", "fastavro": "1", "clickhouse-connect": "1", "chdb": "4"},
            "results": r, "ratios": ratios(r)}


def test_ratios_divide_each_stage_by_its_ceiling() -> None:
    assert ratios(results()) == {"end_to_end / consume_decode_ceiling": 0.2, "sdk / bare_produce": 0.45,
                                 "sink / chdb_columnar_insert": 0.25}


def test_memory_growth_is_end_over_half_per_process() -> None:
    assert memory_growth(e2e(95.0, 100.0)) == {"streams": 1.05, "sink": 1.3}


def test_the_limiting_stage_is_the_one_that_finished_last() -> None:
    assert limiting_stage(e2e(95.0, 100.0)).startswith("the stream processors")
    assert limiting_stage(e2e(40.0, 100.0)).startswith("the sink")
    assert "streams with 90 CPU-seconds" in limiting_stage(e2e(95.0, 100.0))


def test_the_processors_are_done_when_every_topic_they_read_drained_not_only_the_raw_ones() -> None:
    # Raw committed at 40 s, but golden merging read the processors' own topics until 97 s.
    assert limiting_stage({**e2e(40.0, 100.0), "streams_drained_s": 97.0}).startswith("the stream processors")


def test_the_report_marks_each_target_met_or_missed() -> None:
    r = results()
    report = {"date": "2026-11-27T00:00:00+00:00", "events": 1000, "stage_events": 1000, "partitions": 4,
              "stream_workers": 2, "machine": {"host": "vm", "cores": 2, "python": "3.11", "kafka": "4.1.1", "confluent-kafka": "2",
                          "faust-streaming": "0.15", "fastavro": "1", "clickhouse-connect": "1", "chdb": "4"},
              "results": r, "ratios": ratios(r)}
    text = markdown(report)
    assert "| end to end, events/s | 10,000 | ≥ 20,000 | **missed** |" in text
    assert "| sdk / bare_produce | 0.45 | ≥ 0.4 | met |" in text
    assert "| sink / chdb_columnar_insert | 0.25 | ≥ 0.5 | **missed** |" in text
    assert "| freshness p99 at 5,000/s, ms | 1,200 | ≤ 1,000 | **missed** |" in text
    assert "| peak RSS of streams, end ÷ half of the events | 1.05 | ≤ 1.1 | met |" in text
    assert "| peak RSS of sink, end ÷ half of the events | 1.3 | ≤ 1.1 | **missed** |" in text
    assert "- 50.0% send (aiokafka/producer/producer.py)" in text
    assert "Limiting stage: the stream processors" in text
    assert "4 partitions per topic, 2 stream worker processes." in text
    assert "| streams | 100.0 | 105.0 | 60.0 | 61.0 |" in text
    assert "CPU-seconds per process: streams 90.0, sink 20.0. Together 110 CPU-seconds in 100 s: 1.10 of the 2 cores." \
        in text


def test_the_cpu_budget_scales_each_process_cost_per_event_to_the_target_rate() -> None:
    # 90 CPU-seconds for 1M events: 0.09 ms each, 1.8 cores at 20k/s; the sink's 20 s: 0.4 cores.
    assert cpu_budget(e2e(95.0, 100.0)) == {"streams": {"ms_per_event": 0.09, "cores_at_rate": 1.8},
                                             "sink": {"ms_per_event": 0.02, "cores_at_rate": 0.4}}
    assert cpu_budget({**e2e(95.0, 100.0), "events": 0}) == {}
    text = markdown(report_of(results(), "2026-11-27"))
    assert ("At the CPU each event cost here, 20,000 events/s would take 2.2 cores (this machine has 2): streams "
            "0.090 ms per event, 1.8 cores, sink 0.020 ms per event, 0.4 cores.") in text


def test_the_sdk_cost_splits_its_time_per_event_into_encoding_and_the_rest() -> None:
    r = results()
    assert sdk_cost(r) is None  # a report from before the encoding stage
    # 45k/s: 22.2 µs per event; encoding at 80k/s: 12.5 µs; bare at 100k/s: 10 µs, so 25 µs at a ratio of 0.4.
    r["sdk_encode"] = {"events": 1000, "seconds": 0.0125, "per_second": 80_000}
    said = ("Per event the SDK took 22.2 µs and bare producing 10.0 µs; validating and encoding alone (no Kafka) "
            "took 12.5 µs of the SDK's: at the ratio's target of 0.4, all of the SDK would have 25.0 µs.")
    assert sdk_cost(r) == said
    text = markdown(report_of(r, "2026-11-27"))
    assert said in text and "| sdk encode | 80,000 | 0.0125 |" in text


def test_the_median_round_keeps_every_round_beside_it() -> None:
    from bench.stages import median_round

    rounds = [{"events": 10, "seconds": 1.0, "per_second": 10.0}, {"events": 10, "seconds": 0.5, "per_second": 20.0},
              {"events": 10, "seconds": 2.0, "per_second": 5.0}]
    assert median_round(rounds) == {"events": 10, "seconds": 1.0, "per_second": 10.0,
                                    "rounds_per_second": [10.0, 20.0, 5.0]}


def test_the_report_says_when_freshness_left_out_events_that_had_not_landed() -> None:
    r = results()
    r["freshness"] = {**r["freshness"], "landed": 120_000}  # type: ignore[dict-item]
    report = report_of(r, "2026-12-06")
    assert "only 120,000 of 300,000 events had landed" in markdown(report)
    r["freshness"]["landed"] = 300_000  # type: ignore[index]
    assert "events had landed" not in markdown(report)


def test_the_report_gives_the_light_load_freshness_beside_the_target_one() -> None:
    r = results()
    report = report_of(r, "2026-12-07")
    assert "At a light load" not in markdown(report)  # reports from before the stage existed
    r["freshness_light"] = {"target_rate": 300, "achieved_rate": 299.7, "seconds": 30, "events": 9000,
                            "landed": 9000, "p50_ms": 255.0, "p95_ms": 415.0, "p99_ms": 476.2, "max_ms": 524}
    text = markdown(report)
    assert "At a light load, 300 events/s for 30 s" in text
    assert "p50 255 ms, p95 415 ms, p99 476 ms, max 524 ms." in text
    assert "| freshness p99 at 5,000/s, ms | 1,200 | ≤ 1,000 | **missed** |" in text  # the target row is unchanged


def test_freshness_stages_run_light_load_first_and_a_zero_rate_or_length_leaves_one_out() -> None:
    assert freshness_stages(Options()) == [("freshness_light", 300, 30, "fresh-light"),
                                           ("freshness", 5000, 60, "fresh")]
    assert freshness_stages(Options(light_seconds=0)) == [("freshness", 5000, 60, "fresh")]
    assert freshness_stages(Options(light_rate=0, fresh_seconds=10)) == [("freshness", 5000, 10, "fresh")]
    assert freshness_stages(Options(fresh_rate=0, light_seconds=0)) == []


def test_the_report_gives_the_sink_engines_tracked_memory_when_it_was_sampled() -> None:
    r = results()
    report = report_of(r, "2026-12-07")
    assert "ClickHouse engine tracked" not in markdown(report)  # reports from before it was sampled
    r["end_to_end"]["engine_tracked_mb"] = {"half": 41.5, "end": 97.25}  # type: ignore[index]
    assert "its ClickHouse engine tracked (MemoryTracking, MB): at half 41.5, at the end 97.25." in markdown(report)


def test_the_report_gives_the_engines_peak_and_its_largest_merge_when_sampled() -> None:
    r = results()
    assert "largest background merge" not in markdown(report_of(r, "2026-12-07"))
    peaks = EnginePeaks()
    for sample in (EngineSample(120.0), None, EngineSample(640.3, ("golden_citizen_history", 5, 618.4)),
                   EngineSample(300.0, ("golden_citizen_current", 4, 303.0)), EngineSample(90.0)):
        peaks.add(sample)
    r["end_to_end"]["engine_peaks"] = peaks.to_dict()  # type: ignore[index]
    assert ("Its highest sample (every 0.5 s): 640.3 MB. The largest background merge in flight (system.merges): "
            "golden_citizen_history, 5 parts, 618.4 MB.") in markdown(report_of(r, "2026-12-07"))
    r["end_to_end"]["engine_peaks"] = EnginePeaks(tracked_mb=80.0).to_dict()  # type: ignore[index]
    assert "80.0 MB. No merge was in flight at a sample." in markdown(report_of(r, "2026-12-07"))


def test_a_grown_sink_is_put_down_to_a_merge_larger_than_the_growth_else_to_the_engine_else_to_neither() -> None:
    e2e: dict[str, Any] = {"peak_rss_at_half_mb": {"sink": 600.0, "streams": 380.0},
                           "peak_rss_at_end_mb": {"sink": 1150.0, "streams": 395.0}}
    assert sink_memory_cause(e2e) is None  # not sampled
    e2e["engine_peaks"] = {"peak_tracked_mb": 1330.0,
                           "largest_merge": {"table": "golden_citizen_history", "parts": 7, "mb": 718.5}}
    assert sink_memory_cause(e2e) == (
        "The sink's peak RSS grew by 550 MB from half to end; one background merge of its ClickHouse engine "
        "(golden_citizen_history, 7 parts) held 718 MB at a sample: the growth is the engine's merges, not memory "
        "the sink keeps.")
    e2e["engine_peaks"]["largest_merge"]["mb"] = 300.0
    assert "engine tracked up to 1,330 MB at a sample, enough for the growth, but no single merge" in str(
        sink_memory_cause(e2e))
    e2e["engine_peaks"] = {"peak_tracked_mb": 200.0, "largest_merge": None}
    assert "more than its ClickHouse engine tracked at any sample (200 MB): the growth is outside the engine." in str(
        sink_memory_cause(e2e))
    e2e["peak_rss_at_end_mb"]["sink"] = 640.0  # 1.07 of half: flat
    assert sink_memory_cause(e2e) is None


def test_a_second_run_of_the_day_gets_a_report_name_of_its_own(tmp_path: Path) -> None:
    assert report_stem(tmp_path, "2026-12-07-vm-1000000") == "2026-12-07-vm-1000000"
    (tmp_path / "2026-12-07-vm-1000000.json").write_text("{}")
    assert report_stem(tmp_path, "2026-12-07-vm-1000000") == "2026-12-07-vm-1000000-2"
    (tmp_path / "2026-12-07-vm-1000000-2.md").write_text("")
    assert report_stem(tmp_path, "2026-12-07-vm-1000000") == "2026-12-07-vm-1000000-3"
    assert report_stem(tmp_path, "2026-12-07-vm-200000") == "2026-12-07-vm-200000"
