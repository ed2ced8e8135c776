"""The human table of ``hub lag`` (rich)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from monitor.evaluator import Status
from monitor.lag import LagReport

_STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.ERR: "bold red", Status.STOP: "red",
          Status.STALL: "red", Status.REWIND: "magenta"}


def _status(status: Status) -> Text:
    return Text(status.value, style=_STYLE[status])


def lag_table(report: LagReport, all_partitions: bool = False) -> Table:
    """One row per group, then its partitions (only lagging or not-OK ones unless ``all_partitions``)."""
    table = Table(title=f"consumer lag — window of {report.window} observations", title_justify="left")
    for name, justify in (("group / topic", "left"), ("part", "right"), ("committed", "right"),
                          ("log end", "right"), ("lag", "right"), ("lag s", "right"), ("status", "left"),
                          ("owner", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for g in report.groups:
        table.add_row(Text(g.group, style="bold"), "", "", "", f"{g.lag:,}", f"{g.lag_seconds:.1f}",
                      _status(g.status), f"window {g.complete:.0%} full", end_section=False)
        for p in g.partitions:
            if not all_partitions and p.lag == 0 and p.status is Status.OK:
                continue
            table.add_row(f"  {p.topic}", str(p.partition), "—" if p.committed is None else f"{p.committed:,}",
                          f"{p.log_end:,}", f"{p.lag:,}", f"{p.lag_seconds:.1f}", _status(p.status), p.owner or "—")
        table.add_section()
    if not report.groups:
        table.add_row("(no consumer group of this namespace)", "", "", "", "", "", "", "")
    return table
