"""The ``hub`` command line. Settings are read from the environment here, once, and passed down."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.catalogue import load_catalogue
from hub.errors import HubError
from hub.local.kafka import LocalKafka
from hub.local.stack import Stack
from hub.settings import Settings
from producers.gateway.settings import GatewaySettings
from monitor.cli import dashboard as dashboard_command
from monitor.cli import lag as lag_command
from monitor.settings import MonitorSettings
from producers.cli import app as producers_app
from registry.cli import app as schemas_app
from streams.dlq import app as dlq_app

app = typer.Typer(help="The national data hub: Kafka change events into ClickHouse.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
kafka_app = typer.Typer(help="The local single-node Kafka broker (KRaft).", no_args_is_help=True)
app.add_typer(kafka_app, name="kafka")
app.add_typer(schemas_app, name="schemas")
app.add_typer(producers_app)
app.add_typer(dlq_app, name="dlq")
app.command("lag")(lag_command)
app.command("dashboard")(dashboard_command)
console = Console()


def _stack(settings: Settings | None = None) -> Stack:
    s = settings or Settings()
    return Stack(s.hub, s.kafka, s.clickhouse, s.registry, GatewaySettings(), MonitorSettings(), load_catalogue())


def _local_kafka() -> LocalKafka:
    s = Settings()
    return LocalKafka(s.kafka, s.hub)


@kafka_app.command("fetch")
def kafka_fetch() -> None:
    """Download the Kafka broker's jars from Maven Central (cached)."""
    console.print(f"Kafka jars in {_local_kafka().fetch()}")


@kafka_app.command("start")
def kafka_start() -> None:
    """Start the local broker and wait until it answers."""
    console.print(f"Kafka is up at {_local_kafka().start()}")


@kafka_app.command("stop")
def kafka_stop() -> None:
    """Stop the local broker."""
    console.print("Kafka stopped" if _local_kafka().stop() else "Kafka was not running")


@kafka_app.command("status")
def kafka_status() -> None:
    """Show the local broker's pid and whether it answers."""
    console.print_json(json.dumps(_local_kafka().status()))


@app.command()
def up() -> None:
    """Start the local stack in the background: Kafka, stream processors, ClickHouse sink."""
    for name, value in _stack().up().items():
        console.print(f"{name:<11} {value}")


@app.command()
def down() -> None:
    """Stop the local stack."""
    stopped = _stack().down()
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status() -> None:
    """Show each service of the local stack."""
    console.print_json(json.dumps(_stack().status(), default=str))


@app.command()
def demo(events: Annotated[int, typer.Option(help="Simulated events to send.")] = 20_000,
         seed: Annotated[int, typer.Option(help="Simulator seed.")] = 42) -> None:
    """Run the pipeline end to end on simulated events in a fresh data dir, print counts, stop."""
    import os

    from hub.demo import fresh_demo_dir, run_demo

    base = Settings().hub.data_dir
    os.environ["HUB_DATA_DIR"] = str(Path(base).resolve() / "demo")
    os.environ["HUB_MONITOR_PROBE_INTERVAL_S"] = "0"  # canaries would add to the exact counts the demo checks
    stack = _stack()
    fresh_demo_dir(stack)
    try:
        result = run_demo(stack, events, seed, console)
    finally:
        console.print(f"Stopping: {', '.join(stack.down())}")
    raise typer.Exit(0 if result.exact else 1)


@app.command()
def simulate(count: Annotated[int, typer.Option(help="Change events to send.")] = 10_000,
             seed: Annotated[int, typer.Option(help="Same seed, same stream.")] = 42,
             dirt: Annotated[float, typer.Option(help="Share of events with labelled dirt.")] = 0.05,
             rate: Annotated[float, typer.Option(help="Events per second (0: as fast as possible).")] = 0.0,
             manifest: Annotated[Path | None, typer.Option(help="Write the ground-truth manifest here.")] = None,
             datasets: Annotated[str, typer.Option(help="Comma-separated datasets (default: all five).")] = "") -> None:
    """Send the five ministries' simulated change events (with labelled dirt) to the running hub's raw topics."""
    import time

    from hub.topics import ensure_topics, hub_topics
    from producers.simulator import MinistriesSimulator, build_manifest
    from producers.simulator.publish import RawPublisher
    from registry.store import KafkaSchemaStore

    s = Settings()
    catalogue = load_catalogue()
    ensure_topics(s.kafka, hub_topics(catalogue, s.hub.namespace))
    publisher = RawPublisher(s.kafka.bootstrap_servers, s.hub.namespace, catalogue,
                             KafkaSchemaStore(s.kafka.bootstrap_servers, s.registry.topic))
    from producers.simulator.generator import DATASETS

    chosen = [catalogue.get(d.strip()).name for d in datasets.split(",") if d.strip()] or list(DATASETS)
    simulator = MinistriesSimulator(seed, dirt=dirt, datasets=chosen)
    changes = list(simulator.changes(count))
    started = time.monotonic()
    for i, change in enumerate(changes):
        if rate > 0 and (pause := started + i / rate - time.monotonic()) > 0:
            time.sleep(pause)
        publisher.publish([change])
    publisher.flush()
    console.print(f"acknowledged: {publisher.sent} ({sum(1 for c in changes if c.dirt)} with dirt) "
                  f"in {time.monotonic() - started:.1f}s")
    if manifest is not None:
        build_manifest(changes, catalogue).to_json(manifest)
        console.print(f"manifest: {manifest}")


@app.command()
def bench(events: Annotated[int, typer.Option(help="End-to-end events (simulated five-ministry mix); memory is "
                                              "compared at half of them and at the end.")] = 1_000_000,
          stage_events: Annotated[int, typer.Option(help="Events of the produce and insert stages.")] = 200_000,
          fresh_rate: Annotated[int, typer.Option(help="Events/s for the freshness stage.")] = 5000,
          fresh_seconds: Annotated[int, typer.Option(help="Length of the freshness stage (0: none).")] = 60,
          light_rate: Annotated[int, typer.Option(help="Events/s of the freshness stage at a light load, run "
                                                  "first (0: none).")] = 300,
          light_seconds: Annotated[int, typer.Option(help="Length of the light-load freshness stage "
                                                     "(0: none).")] = 30,
          profile_seconds: Annotated[int, typer.Option(help="py-spy profile length (0: none).")] = 30,
          stream_workers: Annotated[int, typer.Option(help="Stream worker processes of the end-to-end stack (at "
                                                      "most one per partition is useful).")] = 1,
          out: Annotated[Path, typer.Option(help="Report folder.")] = Path("benchmarks")) -> None:
    """Benchmark every stage on a dedicated local broker and write the report."""
    from bench.run import Options, run

    options = Options(events=events, stage_events=stage_events, fresh_rate=fresh_rate, fresh_seconds=fresh_seconds,
                      light_rate=light_rate, light_seconds=light_seconds, profile_seconds=profile_seconds,
                      stream_workers=stream_workers, out=out)
    console.print(f"report: {run(options)}")


@app.command()
def sql(query: Annotated[str, typer.Argument(help="A read-only SQL query.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False) -> None:
    """Query the analyst tables (through the sink's endpoint on the embedded engine)."""
    from hub.sql import run_query

    s = Settings()
    names, rows = run_query(s.hub, s.clickhouse, query)
    if as_json:
        console.print_json(json.dumps([dict(zip(names, r)) for r in rows], default=str))
        return
    table = Table()
    for n in names:
        table.add_column(n)
    for r in rows:
        table.add_row(*(str(v) for v in r))
    console.print(table)


def main() -> None:  # noqa: D103
    try:
        app()
    except HubError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
