"""``hub dlq``: inspect the dead-letter topics and publish fixed events again.

Mounted by :mod:`hub.cli` as ``app.add_typer(streams.dlq.app, name="dlq")``. Every command reads the
environment once (:class:`hub.settings.Settings`).

* ``hub dlq list [DATASET]`` — per dataset: dead letters, counts by reason, the latest, how many replayed.
* ``hub dlq show DATASET POSITION [--raw [--json]]`` — one dead letter (``POSITION`` is ``P:O``, or an
  offset looked up in every partition): its headers, and only with ``--raw`` its bytes (hex and UTF-8) and
  decoded event. The bytes are the rejected message as the source sent it: personal data.
* ``hub dlq replay DATASET --offsets P:O,… | --file fixed.jsonl`` — publish to the raw topic through the SDK
  (:class:`producers.sdk.HubProducer`), so its validation applies and the stream processor judges the event
  again. ``--offsets`` re-sends dead letters as they are (after a rule or reference-data fix); ``--file``
  sends corrected events, one JSON object per line as ``show --raw --json`` prints them. The event id, event
  time and source position are kept, so the event keeps its place in its key's history. Every replay is
  recorded in ``<HUB_DATA_DIR>/dlq/replays.jsonl``: when, dataset, DLQ position, event id, outcome — never
  record values.

Exit codes: 0 done, 1 some events were not sent (invalid or not acknowledged), 2 bad arguments.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from confluent_kafka import Consumer, TopicPartition
from rich.console import Console
from rich.table import Table

from hub import wire
from hub.catalogue import Catalogue, Dataset, load_catalogue
from hub.errors import HubError, ValidationError, WireFormatError
from hub.settings import Settings
from producers.sdk import HubProducer
from registry.store import KafkaSchemaStore
from streams.dead_letters import DeadLetter, DeadLetterHeaders, Fix, Position, hex_dump, jsonable, summarise

app = typer.Typer(help="Dead letters: rejected events, their reasons, and replay of fixed ones.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()
err = Console(stderr=True)
REPLAY_SYSTEM = "hub-dlq-replay"


# --- reading the DLQ topics ---------------------------------------------------------------------------
def _consumer(settings: Settings) -> Consumer:
    return Consumer({"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": "hub-dlq-cli",
                     "enable.auto.commit": False, "isolation.level": "read_committed", "log_level": 3})


def _letter(msg: Any) -> DeadLetter:
    return DeadLetter(Position(int(msg.partition()), int(msg.offset())), msg.key(), msg.value(),
                      DeadLetterHeaders.parse(msg.headers()))


def read_letters(settings: Settings, topic: str, timeout_s: float = 30.0) -> Iterator[DeadLetter]:
    """Every dead letter of ``topic`` up to its end when called."""
    consumer = _consumer(settings)
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in metadata.partitions}
        low = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[0] for p in ends}
        todo = {p for p in ends if ends[p] > low[p]}
        consumer.assign([TopicPartition(topic, p, low[p]) for p in todo])
        deadline = time.monotonic() + timeout_s
        while todo and time.monotonic() < deadline:
            for msg in consumer.consume(500, 0.5):
                if msg.error() is None:
                    letter = _letter(msg)
                    yield letter
                    if letter.position.offset >= ends[letter.position.partition] - 1:
                        todo.discard(letter.position.partition)
    finally:
        consumer.close()


def read_at(settings: Settings, topic: str, partition: int | None, offset: int) -> list[DeadLetter]:
    """The dead letters at ``offset`` of ``partition`` (of every partition when None)."""
    consumer = _consumer(settings)
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        partitions = sorted(metadata.partitions) if metadata is not None and metadata.error is None else []
        found = []
        for p in partitions if partition is None else [partition]:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if not low <= offset < high:
                continue
            consumer.assign([TopicPartition(topic, p, offset)])
            msg = consumer.poll(10)
            if msg is not None and msg.error() is None and msg.offset() == offset:
                found.append(_letter(msg))
        return found
    finally:
        consumer.close()


# --- commands -----------------------------------------------------------------------------------------
def _datasets(catalogue: Catalogue, name: str | None) -> list[Dataset]:
    try:
        return list(catalogue) if name is None else [catalogue.get(name)]
    except HubError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


def _replay_log(settings: Settings) -> Path:
    return settings.hub.data_dir / "dlq" / "replays.jsonl"


def _replayed(settings: Settings) -> dict[str, set[str]]:
    """Dataset → DLQ positions replayed successfully, from the replay record."""
    done: dict[str, set[str]] = {}
    path = _replay_log(settings)
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        entry = json.loads(line)
        if entry.get("outcome") == "sent" and entry.get("dlq"):
            done.setdefault(entry["dataset"], set()).add(entry["dlq"])
    return done


@app.command("list")
def list_letters(dataset: Annotated[str | None, typer.Argument(help="one dataset, e.g. population.citizen")] = None
                 ) -> None:
    """Dead letters per dataset: count, reasons, the latest, how many were replayed."""
    settings = Settings()
    replayed = _replayed(settings)
    table = Table("dataset", "dead letters", "by reason", "latest (UTC)", "replayed")
    for d in _datasets(load_catalogue(), dataset):
        summary = summarise(read_letters(settings, d.topics(settings.hub.namespace).dlq))
        latest = "-"
        if summary.latest is not None:
            h = summary.latest.headers
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(h.rejected_at_ms / 1000))
            latest = f"{when} {h.reason} at {summary.latest.position} (from {h.source_partition}:{h.source_offset})"
        reasons = ", ".join(f"{reason} {n}" for reason, n in summary.reasons.items()) or "-"
        table.add_row(d.name, str(summary.count), reasons, latest, str(len(replayed.get(d.name, ()))))
    console.print(table)


def _one(settings: Settings, dataset: Dataset, position: str) -> DeadLetter:
    try:
        partition, offset = Position.parse(position)
    except ValueError as exc:
        err.print(f"[red]position must be P:O or an offset, not {position!r}[/]")
        raise typer.Exit(2) from exc
    found = read_at(settings, dataset.topics(settings.hub.namespace).dlq, partition, offset)
    if len(found) != 1:
        where = ", ".join(str(f.position) for f in found) or "nowhere"
        err.print(f"[red]{len(found)} dead letters at {position} ({where}); give the position as P:O[/]")
        raise typer.Exit(2)
    return found[0]


@app.command()
def show(dataset: Annotated[str, typer.Argument(help="e.g. population.citizen")],
         position: Annotated[str, typer.Argument(help="P:O (partition:offset in the DLQ topic), or an offset")],
         raw: Annotated[bool, typer.Option("--raw", help="also show the bytes and the decoded event: "
                                                         "personal data")] = False,
         as_json: Annotated[bool, typer.Option("--json", help="with --raw: print only the decoded event as one "
                                                              "JSON line, ready to fix and replay")] = False) -> None:
    """One dead letter: its headers; with --raw, its bytes and decoded event."""
    settings = Settings()
    d = _datasets(load_catalogue(), dataset)[0]
    letter = _one(settings, d, position)
    event = _decode_once(settings, letter.raw) if raw else None
    if as_json:
        if not raw or event is None:
            err.print("[red]--json needs --raw and a dead letter whose bytes decode[/]")
            raise typer.Exit(2)
        print(json.dumps({**jsonable(event), "dlq": str(letter.position)}, ensure_ascii=False))
        return
    h = letter.headers
    for name, value in (("position", str(letter.position)), ("reason", h.reason), ("field", h.field),
                        ("detail", h.detail), ("source", f"{h.source_topic} {h.source_partition}:{h.source_offset}"),
                        ("rejected at (UTC)", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(h.rejected_at_ms / 1000))),
                        ("event id", h.event_id or "-"), ("raw bytes", str(len(letter.raw or b"")))):
        console.print(f"[bold]{name:>18}[/] {value}", highlight=False)
    if not raw:
        console.print("(the bytes may hold personal data: pass --raw to show them)")
        return
    data = letter.raw or b""
    console.print("\n".join(hex_dump(data)), highlight=False, markup=False)
    console.print(data.decode("utf-8", errors="replace"), highlight=False, markup=False)
    if event is not None:
        console.print_json(json.dumps(jsonable(event), ensure_ascii=False))


def _decoded(schemas: wire.SchemaCache, raw: bytes | None) -> dict[str, Any] | None:
    try:
        return schemas.decode(raw)[1]
    except WireFormatError:
        return None


def _decode_once(settings: Settings, raw: bytes | None) -> dict[str, Any] | None:
    store = KafkaSchemaStore(settings.kafka.bootstrap_servers, settings.registry.topic)
    try:
        return _decoded(wire.SchemaCache(store.schema), raw)
    finally:
        store.close()


@app.command()
def replay(dataset: Annotated[str, typer.Argument(help="e.g. population.citizen")],
           file: Annotated[Path | None, typer.Option("--file", help="fixed events, one JSON object per line")] = None,
           offsets: Annotated[str | None, typer.Option("--offsets", help="P:O,P:O… dead letters to send as they are")]
           = None) -> None:
    """Publish fixed events (or dead letters as they are) to the raw topic, through the SDK's validation."""
    if (file is None) == (offsets is None):
        err.print("[red]give exactly one of --file and --offsets[/]")
        raise typer.Exit(2)
    settings = Settings()
    catalogue = load_catalogue()
    d = _datasets(catalogue, dataset)[0]
    fixes = _fixes_from_file(file) if file is not None else _fixes_from_letters(settings, d, offsets or "")
    producer = HubProducer.connect(settings, system=REPLAY_SYSTEM, catalogue=catalogue)
    outcomes: list[dict[str, Any]] = []
    try:
        for fix in fixes:
            outcomes.append(_emit(producer, d, fix))
        report = producer.flush()
    finally:
        producer.close()
    for outcome in outcomes:
        if outcome["outcome"] == "sent" and outcome["event_id"] in report.failed:
            outcome["outcome"] = "not acknowledged"
    _record(settings, outcomes)
    sent = sum(o["outcome"] == "sent" for o in outcomes)
    console.print(f"replayed {sent} of {len(outcomes)} event(s) to {d.topics(settings.hub.namespace).raw}")
    for o in outcomes:
        if o["outcome"] != "sent":
            console.print(f"  {o['dlq'] or '-'} {o['event_id'] or '-'}: {o['outcome']}", highlight=False)
    raise typer.Exit(0 if sent == len(outcomes) else 1)


def _fixes_from_file(path: Path) -> list[Fix]:
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [Fix.from_json(line) for line in lines]
    except (OSError, ValueError) as exc:
        err.print(f"[red]cannot read fixes from {path}: {exc}[/]")
        raise typer.Exit(2) from exc


def _fixes_from_letters(settings: Settings, dataset: Dataset, offsets: str) -> list[Fix]:
    fixes = []
    store = KafkaSchemaStore(settings.kafka.bootstrap_servers, settings.registry.topic)
    schemas = wire.SchemaCache(store.schema)
    try:
        letters = [_one(settings, dataset, text) for text in offsets.split(",") if text.strip()]
        decoded = [(letter, _decoded(schemas, letter.raw)) for letter in letters]
    finally:
        store.close()
    for letter, event in decoded:
        if event is None:
            err.print(f"[red]the dead letter at {letter.position} does not decode: fix it with --file[/]")
            raise typer.Exit(2)
        fixes.append(Fix(event["op"], event["key"], event["after"], event["event_id"], event["event_time"],
                         event["source"]["position"], str(letter.position)))
    return fixes


def _emit(producer: HubProducer, dataset: Dataset, fix: Fix) -> dict[str, Any]:
    outcome = {"dataset": dataset.name, "dlq": fix.dlq, "event_id": fix.event_id, "outcome": "sent"}
    try:
        outcome["event_id"] = producer.emit(dataset.name, fix.op, fix.key, fix.after, event_time=fix.event_time,
                                            event_id=fix.event_id, position=fix.position)
    except ValidationError as exc:  # names the field and the rule, never the value
        outcome["outcome"] = f"invalid: {exc}"
    return outcome


def _record(settings: Settings, outcomes: list[dict[str, Any]]) -> None:
    path = _replay_log(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with path.open("a", encoding="utf-8") as log:
        for outcome in outcomes:
            log.write(json.dumps({"at": at, **outcome}) + "\n")
