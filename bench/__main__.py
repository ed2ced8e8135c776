"""``python -m bench``: run the benchmark and print where the report went."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.run import run


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the hub on the local stack.")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--fresh-rate", type=int, default=5000)
    parser.add_argument("--fresh-seconds", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path("benchmarks"))
    args = parser.parse_args()
    print(f"report: {run(args.events, args.fresh_rate, args.fresh_seconds, args.out)}")


if __name__ == "__main__":
    main()
