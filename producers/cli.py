"""``hub load`` and ``hub gateway …``: source systems publishing from the command line.

Mounted into the ``hub`` command by :mod:`hub.cli` with ``app.add_typer(producers.cli.app)`` (no name:
``load`` and ``gateway`` become top-level commands). Each command reads the environment once
(:class:`hub.settings.Settings`, :class:`producers.gateway.settings.GatewaySettings`) and passes it down.

``hub load`` exits 0 when every row was acknowledged by Kafka, 1 when some were rejected, 2 on a fatal
error (unknown dataset, unreadable file, bad mapping), 3 when none was rejected but some events wait in the
SDK's spool (Kafka did not acknowledge them; the next run of the same ``--system`` sends them first).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from hub.catalogue import load_catalogue
from hub.errors import HubError
from hub.settings import HubSettings, Settings
from producers.gateway.auth import add_token, revoke_token
from producers.gateway.settings import GatewaySettings
from producers.loader import LoaderError, LoadSummary, SourceFile, load, load_mapping
from producers.sdk import HubProducer

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
gateway_app = typer.Typer(help="The HTTP ingest gateway for ministries' systems.", no_args_is_help=True)
tokens_app = typer.Typer(help="Ministries' gateway API tokens (only their SHA-256 is stored).", no_args_is_help=True)
app.add_typer(gateway_app, name="gateway")
gateway_app.add_typer(tokens_app, name="tokens")
console = Console()
err = Console(stderr=True)


class Op(str, Enum):
    c = "c"
    u = "u"
    r = "r"


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(2)


@contextmanager
def _rejects_file(path: Path | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None
        return
    with path.open("w", encoding="utf-8") as out:
        yield out


@app.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(help="A .csv (UTF-8, BOM allowed) or .jsonl/.ndjson file.")],
    dataset: Annotated[str, typer.Option("--dataset", help="Catalogue dataset, e.g. population.citizen.")],
    mapping: Annotated[Path | None, typer.Option(help="YAML mapping: record field path -> source column.")] = None,
    op: Annotated[Op, typer.Option(help="c create, u update, r snapshot row.")] = Op.r,
    rejects: Annotated[Path | None, typer.Option(help="Write rejected line numbers and reasons here.")] = None,
    system: Annotated[str, typer.Option(help="source.system of the events; also names the SDK's spool.")] = "hub-load",
    delimiter: Annotated[str, typer.Option(help="CSV delimiter.")] = ",",
) -> None:
    """Send every row of a file to a dataset's raw topic; rows that break the schema are listed, not sent."""
    settings = Settings()
    try:
        catalogue = load_catalogue()
        target = catalogue.get(dataset)
        fields = None
        if mapping is not None:
            try:
                fields = load_mapping(target, mapping.read_text(encoding="utf-8"), str(mapping))
            except (OSError, UnicodeDecodeError) as exc:
                raise LoaderError(f"cannot read mapping {mapping}: {exc}") from exc
        source = SourceFile(file, target, fields, delimiter)
    except HubError as exc:
        raise _fail(str(exc)) from exc
    try:
        with source, _rejects_file(rejects) as out, \
                HubProducer.connect(settings, system=system, catalogue=catalogue) as producer, \
                Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                         TimeRemainingColumn(), console=err) as bar:
            task = bar.add_task(file.name, total=source.size)
            summary = load(source, producer, target.name, op.value, out,
                           progress=lambda done: bar.update(task, completed=done))
    except (OSError, HubError) as exc:
        raise _fail(str(exc)) from exc
    _print_summary(summary, rejects, settings.hub.data_dir / "spool", system)
    raise typer.Exit(summary.exit_code)


def _print_summary(summary: LoadSummary, rejects: Path | None, spool: Path, system: str) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("rows read", f"{summary.rows:,}")
    table.add_row("sent (acknowledged)", f"{summary.sent:,}")
    table.add_row("rejected", f"{summary.rejected:,}")
    for rule, count in summary.rejected_by_rule.items():
        table.add_row(f"  {rule}", f"{count:,}")
    if summary.spooled:
        table.add_row("spooled (not yet in Kafka)", f"{summary.spooled:,}")
    table.add_row("throughput", f"{summary.rows_per_s:,.0f} rows/s ({summary.elapsed_s:.1f} s)")
    console.print(table)
    if summary.rejected:
        console.print(f"rejected lines and reasons: {rejects}" if rejects else
                      "pass --rejects FILE to list the rejected lines and their reasons")
    if summary.spooled:
        console.print(f"{summary.spooled:,} events wait in the spool {spool / system}.sqlite3; the next "
                      f"`hub load --system {system}` sends them first")


@gateway_app.command("run")
def gateway_run(host: Annotated[str | None, typer.Option(help="Overrides HUB_GATEWAY_HOST.")] = None,
                port: Annotated[int | None, typer.Option(help="Overrides HUB_GATEWAY_PORT.")] = None) -> None:
    """Serve the ingest gateway in the foreground (settings from the environment)."""
    import logging

    from producers.gateway.main import serve

    settings, gateway = Settings(), GatewaySettings()
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(settings, gateway.model_copy(update=overrides))
    except HubError as exc:
        raise _fail(str(exc)) from exc


def _ministry(code: str) -> str:
    owners = sorted({d.owner.code for d in load_catalogue()})
    if code not in owners:
        raise _fail(f"{code!r} owns no dataset; the catalogue's owners are {', '.join(owners)}")
    return code


@tokens_app.command("add")
def tokens_add(ministry: Annotated[str, typer.Argument(help="Ministry code, e.g. BCA.")],
               replace: Annotated[bool, typer.Option(help="Rotate: replace the ministry's token.")] = False) -> None:
    """Make a ministry's API token, print it once, store only its SHA-256."""
    path = GatewaySettings().resolved_tokens_file(HubSettings())
    try:
        token = add_token(path, _ministry(ministry), replace=replace)
    except HubError as exc:
        raise _fail(str(exc)) from exc
    err.print(f"API token of {ministry} (shown once; {path} keeps only its SHA-256):", highlight=False)
    print(token)


@tokens_app.command("revoke")
def tokens_revoke(ministry: Annotated[str, typer.Argument(help="Ministry code, e.g. BCA.")]) -> None:
    """Remove a ministry's API token; a running gateway stops accepting it at once."""
    path = GatewaySettings().resolved_tokens_file(HubSettings())
    try:
        removed = revoke_token(path, ministry)
    except HubError as exc:
        raise _fail(str(exc)) from exc
    if not removed:
        raise _fail(f"{ministry} has no token in {path}")
    console.print(f"revoked the token of {ministry}")
