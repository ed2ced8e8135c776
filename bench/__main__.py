"""``python -m bench``: run the benchmark and print where the report went."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.run import Options, run


def main() -> None:
    defaults = Options()
    parser = argparse.ArgumentParser(description="Benchmark the hub on the local stack.")
    parser.add_argument("--events", type=int, default=defaults.events, help="end-to-end events (simulator mix)")
    parser.add_argument("--stage-events", type=int, default=defaults.stage_events,
                        help="events of the produce and insert stages")
    parser.add_argument("--fresh-rate", type=int, default=defaults.fresh_rate)
    parser.add_argument("--fresh-seconds", type=int, default=defaults.fresh_seconds)
    parser.add_argument("--light-rate", type=int, default=defaults.light_rate,
                        help="events/s of the freshness stage at a light load, run first (0: none)")
    parser.add_argument("--light-seconds", type=int, default=defaults.light_seconds)
    parser.add_argument("--profile-seconds", type=int, default=defaults.profile_seconds)
    parser.add_argument("--stream-workers", type=int, default=defaults.stream_workers,
                        help="stream worker processes of the end-to-end stack")
    parser.add_argument("--out", type=Path, default=defaults.out)
    args = parser.parse_args()
    options = Options(events=args.events, stage_events=args.stage_events, fresh_rate=args.fresh_rate,
                      fresh_seconds=args.fresh_seconds, light_rate=args.light_rate,
                      light_seconds=args.light_seconds, profile_seconds=args.profile_seconds,
                      stream_workers=args.stream_workers, out=args.out)
    print(f"report: {run(options)}")


if __name__ == "__main__":
    main()
