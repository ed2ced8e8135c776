"""``hub lag`` and ``hub dashboard`` (a typer app; ``hub.cli`` mounts its commands).

``hub lag`` judges every consumer group of the namespace: see :mod:`monitor.sampler` for how a one-shot
run gets its window of observations and :mod:`monitor.evaluator` for the rules. Exit code 0 whatever the
status (it is a report, not a check); 2 when Kafka cannot be read.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.console import Console

from hub.catalogue import load_catalogue
from hub.settings import Settings
from monitor.main import lag_sampler, serve
from monitor.render import lag_table
from monitor.settings import MonitorSettings

app = typer.Typer(help="Consumer lag and the monitoring dashboard.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


@app.command()
def lag(as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        watch: Annotated[bool, typer.Option("--watch", help="Sample and print again every --interval s.")] = False,
        interval: Annotated[float, typer.Option(help="Seconds between samples.")] = 1.0,
        samples: Annotated[int, typer.Option(help="Samples a run takes when no recent history is stored.")] = 5,
        all_partitions: Annotated[bool, typer.Option("--all", help="Show partitions without lag too.")] = False,
        ) -> None:
    """Lag of every consumer group and partition: offsets, messages, seconds, status (Burrow's rules)."""
    settings, mon = Settings(), MonitorSettings()
    sampler = lag_sampler(settings, mon, load_catalogue())
    console = Console()
    try:
        report = sampler.one_shot(samples, interval, fresh_within_s=3 * mon.sample_interval_s)
        while True:
            if as_json:
                print(json.dumps(report.to_dict(), ensure_ascii=False), flush=True)
            else:
                if watch:
                    console.clear()
                console.print(lag_table(report, all_partitions))
            if not watch:
                return
            time.sleep(interval)
            _, report = sampler.sample()
    except KeyboardInterrupt:
        return
    finally:
        sampler.reader.close()
        sampler.store.close()


@app.command()
def dashboard(port: Annotated[int | None, typer.Option(help="Port (default HUB_MONITOR_PORT, 8090).")] = None) -> None:
    """Run the monitor service in the foreground: dashboard, /api, /metrics, sampler and probe."""
    import logging

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    mon = MonitorSettings() if port is None else MonitorSettings(port=port)
    Console().print(f"dashboard on {mon.url}  (Ctrl-C stops)")
    serve(Settings(), mon)


def main() -> None:
    """Entry point of ``python -m monitor.cli`` (``hub`` itself turns HubError into exit code 2 the same way)."""
    import sys

    from hub.errors import HubError

    try:
        app()
    except HubError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
