"""Sampling profiles of the hub's processes during the benchmark, with py-spy, and their summary.

py-spy attaches to a running process from outside (no code change, little overhead) and writes "collapsed"
stacks: one line per distinct stack, ``frame;frame;…;leaf count``, each frame ``function (file:line)``.
:func:`summarize` turns that into the two tables a reader needs to see *why* a stage is slow: where the
samples are spent themselves (self) and which functions they are under (inclusive).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


@dataclass(frozen=True)
class Summary:
    samples: int
    self_share: list[tuple[str, float]]
    """(function, share of all samples spent in it, not in its callees), largest first."""
    inclusive_share: list[tuple[str, float]]
    """(function, share of all samples with it anywhere on the stack), largest first."""


def frame_name(frame: str) -> str:
    """``function (file)`` without the line number, the file shortened to its package path."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = "/".join(Path(path).parts[-2:])
    return f"{match['function']} ({path})"


def summarize(collapsed: str, top: int = 25, inclusive_top: int = 60) -> Summary:
    """The top self and inclusive functions of a py-spy ``--format raw`` profile (pure). The inclusive list is
    longer: its first twenty or so are the launcher and event-loop frames every sample is under."""
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        count = int(match["count"])
        frames = [frame_name(f) for f in match["stack"].split(";") if f]
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    if total == 0:
        return Summary(0, [], [])

    def shares(counts: Counter[str], most: int) -> list[tuple[str, float]]:
        return [(name, round(n / total, 4)) for name, n in counts.most_common(most)]

    return Summary(total, shares(self_counts, top), shares(inclusive, inclusive_top))


def to_text(title: str, summary: Summary) -> str:
    lines = [f"# {title}", "", f"{summary.samples} samples (py-spy, --idle excluded).", "",
             "## Self (time spent in the function itself)", ""]
    lines += [f"{share:7.1%}  {name}" for name, share in summary.self_share]
    lines += ["", "## Inclusive (time spent in the function and what it calls)", ""]
    lines += [f"{share:7.1%}  {name}" for name, share in summary.inclusive_share]
    return "\n".join(lines) + "\n"


class Recording:
    """A py-spy recording of ``pid`` for ``seconds``, running in the background."""

    def __init__(self, pid: int, seconds: int, out: Path, rate: int = 50) -> None:
        exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
        if exe is None:
            raise FileNotFoundError("py-spy is not installed (pip install py-spy, or the project's dev extra)")
        self.out = out
        self._proc = subprocess.Popen(
            [exe, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(rate), "--format", "raw",
             "--nonblocking", "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def finish(self, timeout_s: float = 120.0) -> str:
        """The collapsed stacks, once the recording is over; raises if py-spy failed."""
        _, err = self._proc.communicate(timeout=timeout_s)
        if self._proc.returncode != 0 or not self.out.exists():
            raise RuntimeError(f"py-spy failed ({self._proc.returncode}): {err.decode(errors='replace')[-500:]}")
        return self.out.read_text()
