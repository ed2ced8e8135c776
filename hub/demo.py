"""``hub demo``: a fresh local stack, simulated events through the whole pipeline, exact counts, a query.

The demo runs in its own data dir (``<data dir>/demo``, wiped first) so its counts are exact, and stops
what it started.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from hub.errors import HubError
from hub.local.stack import Stack
from hub.sql import run_query
from hub.topics import message_count
from producers.sdk import HubProducer
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore
from sinks.ddl import history_table

DATASET = "population.citizen"
BAD_MESSAGES = (b"", b"not avro at all", b"\x00\x00\x00\x00\x07garbage")


@dataclass(frozen=True)
class DemoResult:
    produced: int
    rejected_at_source: int
    raw: int
    clean: int
    dead_letters: int
    rows: int
    distinct_events: int

    @property
    def exact(self) -> bool:
        return (self.raw == self.produced + self.rejected_at_source and self.clean == self.produced
                and self.dead_letters == self.rejected_at_source
                and self.rows == self.distinct_events == self.produced)


def produce(stack: Stack, events: int, seed: int) -> int:
    bootstrap = stack.kafka.bootstrap_servers
    producer = HubProducer(bootstrap, stack.hub.namespace, stack.catalogue, KafkaSchemaStore(bootstrap, stack.registry.topic),
                           system="demo-simulator", spool_dir=stack.hub.data_dir.resolve() / "spool")
    for change in PopulationSimulator(seed).changes(events):
        producer.emit(change.dataset, change.op, change.key, change.record, event_time=change.event_time)
    report = producer.flush()
    producer.close()
    if report.failed or report.pending or report.backlog:
        raise HubError(f"{len(report.failed)} events failed, {report.pending} pending, "
                       f"{report.backlog} waiting in the spool")
    return report.acknowledged


def send_bad_messages(stack: Stack) -> int:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": stack.kafka.bootstrap_servers})
    topic = stack.catalogue.get(DATASET).topics(stack.hub.namespace).raw
    for value in BAD_MESSAGES:
        producer.produce(topic, key=b"bad", value=value)
    producer.flush()
    return len(BAD_MESSAGES)


def count_rows(stack: Stack) -> tuple[int, int]:
    table = f"{stack.clickhouse.database}.{history_table(stack.catalogue.get(DATASET))}"
    _, rows = run_query(stack.hub, stack.clickhouse, f"SELECT count(), uniqExact(event_id) FROM {table}")
    return int(rows[0][0]), int(rows[0][1])


def run_demo(stack: Stack, events: int, seed: int, console: Console, timeout_s: float = 180.0) -> DemoResult:
    started = time.monotonic()
    console.print(f"[bold]Starting the local stack[/] (data dir {stack.hub.data_dir})")
    endpoints = stack.up()
    for name, value in endpoints.items():
        console.print(f"  {name:<11} {value}")
    t0 = time.monotonic()
    produced = produce(stack, events, seed)
    console.print(f"Produced {produced} simulated '{DATASET}' events in {time.monotonic() - t0:.1f}s "
                  f"({produced / max(time.monotonic() - t0, 1e-9):,.0f}/s)")
    bad = send_bad_messages(stack)
    console.print(f"Sent {bad} malformed messages to the raw topic (they must reach the dead-letter topic)")
    deadline = time.monotonic() + timeout_s
    rows, distinct = count_rows(stack)
    while rows < produced and time.monotonic() < deadline:
        time.sleep(0.25)
        stack.check_alive()
        rows, distinct = count_rows(stack)
    time.sleep(1.0)  # let any late duplicate show itself before counting for good
    rows, distinct = count_rows(stack)
    topics = stack.catalogue.get(DATASET).topics(stack.hub.namespace)
    bootstrap = stack.kafka.bootstrap_servers
    result = DemoResult(produced=produced, rejected_at_source=bad, raw=message_count(bootstrap, topics.raw),
                        clean=message_count(bootstrap, topics.clean), dead_letters=message_count(bootstrap, topics.dlq),
                        rows=rows, distinct_events=distinct)
    _print_result(console, stack, result, topics.raw, topics.clean, topics.dlq)
    console.print(f"Pipeline landed everything {time.monotonic() - t0:.1f}s after the first event; "
                  f"demo took {time.monotonic() - started:.1f}s")
    return result


def _print_result(console: Console, stack: Stack, r: DemoResult, raw: str, clean: str, dlq: str) -> None:
    table = Table(title="Per-stage counts")
    table.add_column("stage")
    table.add_column("where")
    table.add_column("count", justify="right")
    table.add_row("produced (acknowledged)", "producer SDK", str(r.produced))
    table.add_row("malformed (sent on purpose)", "raw topic", str(r.rejected_at_source))
    table.add_row("raw topic", raw, str(r.raw))
    table.add_row("cleaned", clean, str(r.clean))
    table.add_row("dead letters", dlq, str(r.dead_letters))
    table.add_row("rows in ClickHouse", history_table(stack.catalogue.get(DATASET)), str(r.rows))
    table.add_row("distinct event ids in ClickHouse", "", str(r.distinct_events))
    console.print(table)
    sql = (f"SELECT permanent_address_province_code AS province, count() AS events, "
           f"countIf(op = 'c') AS new_citizens FROM {stack.clickhouse.database}."
           f"{history_table(stack.catalogue.get(DATASET))} GROUP BY province ORDER BY events DESC LIMIT 5")
    names, rows = run_query(stack.hub, stack.clickhouse, sql)
    console.print(f"[bold]Sample query[/] (no personal data): {sql}")
    sample = Table()
    for n in names:
        sample.add_column(n, justify="right")
    for row in rows:
        sample.add_row(*(str(v) for v in row))
    console.print(sample)
    verdict = "[green]EXACT: produced = cleaned = rows in ClickHouse, malformed = dead letters[/]" if r.exact \
        else "[red]MISMATCH between stages[/]"
    console.print(verdict)


def fresh_demo_dir(stack: Stack) -> None:
    shutil.rmtree(stack.hub.data_dir, ignore_errors=True)

