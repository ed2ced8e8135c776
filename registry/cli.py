"""``hub schemas …``: the schema registry from the command line, over its REST API.

The registry's URL comes from :class:`hub.settings.RegistrySettings` (``HUB_REGISTRY_URL``, else
``http://HUB_REGISTRY_HOST:HUB_REGISTRY_PORT``), read once per command. ``check`` is meant for a ministry
that changed its ``.avsc``: exit code 0 if the registry would accept it, 1 if not (with the reasons),
2 if the question could not be asked (registry unreachable, unreadable file).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.settings import RegistrySettings
from registry.client import RegistryClient
from registry.diff import diff as schema_diff
from registry.errors import RegistryError

app = typer.Typer(help="The schema registry: subjects, versions, and whether a changed .avsc is compatible.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

_CONFLUENT_REASON = re.compile(r"^\{errorType:'(?P<type>[A-Z_]+)', description:'(?P<text>.*)', additionalInfo:'.*'\}$")
File = Annotated[Path, typer.Argument(help="An Avro schema file (.avsc)", exists=True, dir_okay=False)]


def _client() -> RegistryClient:
    return RegistryClient(RegistrySettings().resolved_url)


def _fail(exc: RegistryError) -> typer.Exit:
    err.print(f"[red]error {exc.error_code}[/red]: {exc}", highlight=False, markup=True)
    return typer.Exit(2)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"cannot read {file}: {exc}")
        raise typer.Exit(2) from exc


def for_subject(subject: str, text: str) -> str:
    """The schema to send for ``subject``: a dataset's record schema (the .avsc a ministry edits) is wrapped
    in the change envelope when the subject is one of the hub's dataset topics (``<ns>.<dataset>.<stage>-value``)."""
    from hub.catalogue import load_catalogue, wrap_in_envelope

    try:
        schema = json.loads(text)
    except ValueError:
        return text  # the registry answers with the parse error
    if not isinstance(schema, dict) or any(f.get("name") == "after" for f in schema.get("fields", [])):
        return text
    topic = subject.removesuffix("-value")
    for dataset in load_catalogue():
        if re.fullmatch(rf"[A-Za-z0-9_.-]+\.{re.escape(dataset.name)}\.(raw|clean)", topic):
            err.print(f"(wrapping the {dataset.name} record in the change envelope for {subject})")
            envelope = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "envelope.avsc").read_text())
            return json.dumps(wrap_in_envelope(envelope, schema), ensure_ascii=False)
    return text


def readable(reason: str) -> str:
    """A Confluent-style reason (``{errorType:'…', description:'…', …}``) as ``description [TYPE]``."""
    m = _CONFLUENT_REASON.match(reason)
    return f"{m['text']} [{m['type']}]" if m else reason


@app.command("list")
def list_subjects() -> None:
    """List the subjects with their latest version and schema id."""
    try:
        with _client() as client:
            table = Table("subject", "latest version", "schema id")
            for subject in client.subjects():
                latest = client.version(subject)
                table.add_row(subject, str(latest["version"]), str(latest["id"]))
    except RegistryError as exc:
        raise _fail(exc) from exc
    console.print(table)


@app.command()
def show(subject: str, version: Annotated[str, typer.Option(help="A version number or 'latest'")] = "latest") -> None:
    """Show one version of a subject: its number, id and schema."""
    try:
        with _client() as client:
            found = client.version(subject, version)
    except RegistryError as exc:
        raise _fail(exc) from exc
    console.print(f"{found['subject']} version {found['version']} (schema id {found['id']})", highlight=False)
    console.print_json(found["schema"])


@app.command()
def register(subject: str, file: File) -> None:
    """Register the schema in FILE under SUBJECT (the registry checks compatibility first)."""
    try:
        with _client() as client:
            answer = client.register(subject, for_subject(subject, _read(file)))
    except RegistryError as exc:
        raise _fail(exc) from exc
    console.print(f"{subject}: schema id {answer['id']}, version {answer.get('version', '?')}", highlight=False)


@app.command()
def check(subject: str, file: File) -> None:
    """Would the registry accept FILE as the next version of SUBJECT? Exit code 1 if not, with the reasons.

    Avro reports a change inside a union (such as the envelope's ``after`` record) as a missing union
    branch, so the field-level differences against the latest version are listed too."""
    text = for_subject(subject, _read(file))
    try:
        with _client() as client:
            ok, reasons = client.check(subject, text)
            level = client.level(subject)
            latest = None if ok else client.version(subject)
    except RegistryError as exc:
        raise _fail(exc) from exc
    if ok:
        console.print(f"[green]compatible[/green]: {file} can be registered under {subject} ({level})")
        return
    console.print(f"[red]incompatible[/red]: {file} breaks {level} compatibility of {subject}:")
    for reason in reasons:
        console.print(f"  - {readable(reason)}", highlight=False, markup=False)
    changes = _changes(latest, text) if latest is not None else []
    if changes:
        console.print(f"changes against version {latest['version'] if latest else '?'}:")
        for change in changes:
            console.print(f"  {change}", highlight=False, markup=False)
    raise typer.Exit(1)


def _changes(latest: dict[str, object], text: str) -> list[object]:
    try:
        return list(schema_diff(json.loads(str(latest["schema"])), json.loads(text)))
    except ValueError:
        return []


@app.command()
def diff(subject: str, file: File) -> None:
    """Field-level differences between the latest version of SUBJECT and FILE."""
    text = for_subject(subject, _read(file))
    try:
        new = json.loads(text)
    except ValueError as exc:
        err.print(f"{file} is not JSON: {exc}")
        raise typer.Exit(2) from exc
    try:
        with _client() as client:
            latest = client.version(subject)
    except RegistryError as exc:
        raise _fail(exc) from exc
    changes = schema_diff(json.loads(latest["schema"]), new)
    console.print(f"{subject} version {latest['version']} → {file}:", highlight=False)
    if not changes:
        console.print("  no field-level differences")
    for change in changes:
        console.print(f"  {change}", highlight=False, markup=False)
